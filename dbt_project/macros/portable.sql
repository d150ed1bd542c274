{#- What only some engines do, behind adapter.dispatch: a postgres__ implementation and a
    default__ one for other adapters (docs/postgres-only.md lists what is still Postgres-only). -#}

{#- The day `timestamp` falls on in UTC (a timestamp with time zone). -#}
{% macro utc_date(timestamp) -%}
    {{ adapter.dispatch('utc_date', 'adwh')(timestamp) }}
{%- endmacro %}

{% macro postgres__utc_date(timestamp) -%}
    (({{ timestamp }}) at time zone 'UTC')::date
{%- endmacro %}

{% macro default__utc_date(timestamp) -%}
    cast({{ timestamp }} as date)
{%- endmacro %}

{#- `cross join` every day from range_start to range_end (dates, inclusive) as `alias`.day. -#}
{% macro day_series_join(range_start, range_end, alias) -%}
    {{ adapter.dispatch('day_series_join', 'adwh')(range_start, range_end, alias) }}
{%- endmacro %}

{% macro postgres__day_series_join(range_start, range_end, alias) -%}
    cross join lateral generate_series(
        {{ range_start }}, {{ range_end }}, interval '1 day'
    ) as {{ alias }} (day)
{%- endmacro %}

{% macro default__day_series_join(range_start, range_end, alias) -%}
    {{ exceptions.raise_compiler_error(
        "day_series_join has no implementation for adapter " ~ adapter.type()
        ~ " (Postgres uses generate_series): add " ~ adapter.type() ~ "__day_series_join") }}
{%- endmacro %}

{#- The `indexes` config of a table: the given indexes on Postgres, none elsewhere. -#}
{% macro table_indexes(indexes) -%}
    {{ return(adapter.dispatch('table_indexes', 'adwh')(indexes)) }}
{%- endmacro %}

{% macro postgres__table_indexes(indexes) -%}
    {{ return(indexes) }}
{%- endmacro %}

{% macro default__table_indexes(indexes) -%}
    {{ return([]) }}
{%- endmacro %}

{#- Refresh the planner statistics of `relation` (a post-hook); with vacuum=true also set its
    visibility map - VACUUM cannot run inside a transaction, so that hook needs
    "transaction": false. A no-op elsewhere. -#}
{% macro analyze_relation(relation, vacuum=false) -%}
    {{ return(adapter.dispatch('analyze_relation', 'adwh')(relation, vacuum)) }}
{%- endmacro %}

{% macro postgres__analyze_relation(relation, vacuum) -%}
    {% if vacuum %}vacuum {% endif %}analyze {{ relation }}
{%- endmacro %}

{% macro default__analyze_relation(relation, vacuum) -%}
{%- endmacro %}

{#- Appended to a subquery whose computed columns are read several times downstream: on
    Postgres `offset 0` keeps the planner from flattening it, so each expression is evaluated
    once per row instead of once per reference (a 2x cost on mart_creative_fatigue's full
    build). Engines that compute a subquery's columns once need nothing. -#}
{% macro evaluate_once() -%}
    {{ adapter.dispatch('evaluate_once', 'adwh')() }}
{%- endmacro %}

{% macro postgres__evaluate_once() -%}
    offset 0
{%- endmacro %}

{% macro default__evaluate_once() -%}
{%- endmacro %}
