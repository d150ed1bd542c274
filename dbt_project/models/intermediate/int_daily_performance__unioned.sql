{#- Every source's staging rows in one shape: one row per raw row, valid or not. -#}
{%- set staging_models = [
    'stg_surfside__daily_performance',
    'stg_facebook__ad_daily',
    'stg_vibe__daily_performance',
    'stg_bidder__creative_performance',
    'stg_partner__daily_metrics',
] -%}

{% for model in staging_models %}
    select
        {%- for name, type in common_grain_columns() %}
            cast({{ name }} as {{ type }}) as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
