{#- The day windowed marts are "as of": var as_of_date (YYYY-MM-DD) when set, else today (UTC).
    "Yesterday" is the day before it; a 7-day window is the 7 days ending yesterday. Tests and
    backfills pass a fixed day (`--vars '{as_of_date: 2025-12-01}'`) so results reproduce. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if value -%}
        {%- if not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', value | string) -%}
            {{ exceptions.raise_compiler_error(
                "var as_of_date must be YYYY-MM-DD, got '" ~ value ~ "'") }}
        {%- endif -%}
        date '{{ value }}'
    {%- else -%}
        {{ utc_date(dbt.current_timestamp()) }}
    {%- endif -%}
{%- endmacro %}

{#- The day `days` days before as_of_date(). -#}
{% macro days_before_as_of(days) -%}
    cast({{ dbt.dateadd('day', -(days | int), as_of_date()) }} as date)
{%- endmacro %}
