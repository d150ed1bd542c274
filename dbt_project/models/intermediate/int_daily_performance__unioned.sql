{#- Every enabled source's staging rows in one shape (macros/common_grain.sql), one row per
    raw row, valid or not. The sources come from the registry (var adwh_sources). -#}
{%- set sources = adwh_sources() -%}
{#- a staging model may leave out the optional columns (optional_grain_defaults): they get
    their default. The staging views are built before this one; while parsing, assume all. -#}
{%- set optional = optional_grain_defaults() %}

{% for entry in sources %}
    {%- set present = [] %}
    {%- if execute %}
        {%- for column in adapter.get_columns_in_relation(ref(entry.staging_model)) %}
            {%- do present.append(column.name) %}
        {%- endfor %}
    {%- endif %}
    select
        {%- for name, type in common_grain_columns() %}
            {%- set value = optional[name] if (name in optional and present
                and name not in present) else name %}
            cast({{ value }} as {{ type }}) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(entry.staging_model) }}
    {% if not loop.last %}union all{% endif %}
{% else %}
    -- no source enabled: an empty, typed relation
    select
        {%- for name, type in common_grain_columns() %}
            cast(null as {{ type }}) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    where false
{% endfor %}
