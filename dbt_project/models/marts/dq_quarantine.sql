{{ config(indexes=table_indexes([{'columns': ['client_id', 'source', 'date_day']}, {'columns': ['rule']}])) }}

{#- Every raw row that breaks an error-level rule: where it came from (file and row), the
    primary rule, all rules it breaks, and the values that broke them. Rebuilt in full on
    every build, so it always reflects the current rules and the current raw data. -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired() %}
select
    {{ surrogate_key(['source', 'source_file', 'source_row_number', 'load_id']) }}
        as quarantine_id,
    source,
    client_id,
    date_day,
    split_part(invalid_reasons, ',', 1) as rule,
    invalid_reasons,
    offending_values,
    campaign_name,
    strategy_name,
    placement_name,
    creative_name,
    impressions,
    clicks,
    conversions,
    conversion_revenue,
    media_cost,
    spend,
    video_starts,
    video_completions,
    country_code,
    device_type,
    source_file,
    source_row_number,
    load_id,
    loaded_at,
    '{{ run_started_at.isoformat() }}'::timestamptz as dbt_updated_at
from {{ ref('int_daily_performance__priced') }}
where not is_valid
{% endcall %}
