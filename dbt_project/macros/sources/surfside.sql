{#- Surfside: conservation totals straight from raw (macros/conservation.sql). Surfside
    reports no media cost. -#}
{% macro raw_totals__surfside() -%}
    {{ totals_sql(
        'surfside',
        source_or_empty('surfside', 'daily_performance') ~ ' as raw_rows',
        'raw_rows.client_id',
        'raw_rows.date',
        {
            'impressions': 'raw_rows.impressions',
            'clicks': 'raw_rows.clicks',
            'conversions': 'raw_rows.conversions',
            'conversion_revenue': 'raw_rows.conversion_revenue',
        }
    ) }}
{%- endmacro %}

{#- Surfside's own validation rule (macros/data_quality.sql). -#}
{% macro dq_rules__surfside(relation) -%}
    {{ return([{
        'code': 'date_outside_report_day',
        'condition': 'date_day <> report_date',
        'offending': dbt.concat(["'date_day='", 'date_day', "', file for '", 'report_date'])
    }]) }}
{%- endmacro %}
