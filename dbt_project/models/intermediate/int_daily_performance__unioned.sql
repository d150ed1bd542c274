{#- Every source's staging rows in one shape: one row per raw row, valid or not. -#}
{%- set staging_models = [
    'stg_surfside__daily_performance',
    'stg_facebook__ad_daily',
    'stg_vibe__daily_performance',
    'stg_bidder__creative_performance',
    'stg_meta__ad_daily',
] -%}

{%- set optional = optional_grain_defaults() %}
{% for model in staging_models %}
    {#- the staging views are built before this one; without them (parsing) assume all -#}
    {%- set present = [] %}
    {%- if execute %}
        {%- for column in adapter.get_columns_in_relation(ref(model)) %}
            {%- do present.append(column.name) %}
        {%- endfor %}
    {%- endif %}
    select
        {%- for name, type in common_grain_columns() %}
            {%- set value = optional[name] if (name in optional and present
                and name not in present) else name %}
            cast({{ value }} as {{ type }}) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
