{#- Vibe: conservation totals straight from raw (macros/conservation.sql). CTV has no
    clicks; purchases are the conversions; Vibe's spend is media_cost. -#}
{% macro raw_totals__vibe() -%}
    {{ totals_sql(
        'vibe',
        source_or_empty('vibe', 'daily_performance') ~ ' as raw_rows',
        'raw_rows.client_id',
        'raw_rows.impression_date',
        {
            'impressions': 'raw_rows.impressions',
            'conversions': 'raw_rows.number_of_purchases',
            'conversion_revenue': 'raw_rows.amount_of_purchases',
            'media_cost': 'raw_rows.spend',
        }
    ) }}
{%- endmacro %}

{#- Vibe's own validation rule (macros/data_quality.sql). -#}
{% macro dq_rules__vibe(relation) -%}
    {{ return([{
        'code': 'date_outside_report_range',
        'condition': 'date_day is not null and date_day not between report_start_date and report_end_date',
        'offending': dbt.concat(["'date_day='", 'date_day', "', report for '", 'report_start_date',
                                 "'..'", 'report_end_date'])
    }]) }}
{%- endmacro %}

{#- How vibe raw tables change (macros/incremental_changes.sql): a report replaces its client x
    report_date (merge), and its rows lie on any day of the report's range: the range is
    rebuilt, and quarantined rows whose raw row the merge deleted are found. -#}
{% macro change_specs__vibe() -%}
    {{ return([
        {'table': 'daily_performance', 'client': 'client_id', 'date': 'impression_date',
         'delivery_day': 'report_date', 'span': ['report_start_date', 'report_end_date'],
         'replaces': true},
    ]) }}
{%- endmacro %}
