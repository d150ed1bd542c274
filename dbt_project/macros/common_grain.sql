{#- The columns every staging model hands to int_daily_performance__unioned, in order.
    A new source adds its staging model to the list in that model and nothing else. -#}
{% macro common_grain_columns() -%}
    {{ return([
        'source', 'client_id', 'date_day',
        'campaign_name', 'strategy_name', 'placement_name', 'creative_name',
        'impressions', 'clicks', 'conversions', 'conversion_revenue', 'media_cost',
        'currency_code', 'video_starts', 'video_completions',
        'source_file', 'source_row_number', 'load_id', 'loaded_at',
        'invalid_reasons', 'offending_values', 'is_valid'
    ]) }}
{%- endmacro %}
