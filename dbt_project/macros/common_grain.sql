{#- The columns every staging model hands to int_daily_performance__unioned, in order.
    A new source adds its staging model to the list in that model and nothing else.
    country_code (ISO 3166 alpha-2, upper case) and device_type are NULL for sources that do
    not break their figures down by geography or device. -#}
{% macro common_grain_columns() -%}
    {{ return([
        'source', 'client_id', 'date_day',
        'campaign_name', 'strategy_name', 'placement_name', 'creative_name',
        'impressions', 'clicks', 'conversions', 'conversion_revenue', 'media_cost',
        'currency_code', 'video_starts', 'video_completions',
        'country_code', 'device_type',
        'source_file', 'source_row_number', 'load_id', 'loaded_at',
        'invalid_reasons', 'offending_values', 'is_valid'
    ]) }}
{%- endmacro %}
