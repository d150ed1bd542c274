{#- Every enabled source's staging rows in one shape (macros/common_grain.sql), one row per
    raw row, valid or not. The sources come from the registry (var adwh_sources). -#}
{%- set sources = adwh_sources() -%}

{% for entry in sources %}
    select
        {%- for name, type in common_grain_columns() %}
            cast({{ name }} as {{ type }}) as {{ name }}{% if not loop.last %},{% endif %}
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
