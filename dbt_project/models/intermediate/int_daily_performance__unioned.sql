{#- Every source's staging rows in one shape: one row per raw row, valid or not. -#}
{%- set staging_models = [
    'stg_surfside__daily_performance',
    'stg_performance__creative_performance',
] -%}

{% for model in staging_models %}
    select {{ common_grain_columns() | join(', ') }}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
