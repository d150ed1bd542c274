{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(raw_state_sql(), without_retired(raw_changed_partitions_sql(this, quarantine=true)),
            ['client_id', 'source', 'date_day'], null_safe=true) }}",
        post_hook="{{ incremental_end(incremental_partition_columns()['dq_quarantine']) }}",
        indexes=table_indexes([{'columns': ['client_id', 'source', 'date_day']}, {'columns': ['rule']}]),
    )
}}

{#- Every raw row that breaks an error-level rule: where it came from (file and row), the
    primary rule, all rules it breaks, and the values that broke them. Incremental like
    fact_daily_metrics, by client x source x day partitions (client_id or date_day may be
    NULL: rows without a known client or a readable date), found from raw load ids: it always
    reflects the current rules and the current raw data (docs/incremental.md). -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired() %}
select
    {{ surrogate_key(['priced.source', 'priced.source_file', 'priced.source_row_number',
                      'priced.load_id']) }} as quarantine_id,
    priced.source,
    priced.client_id,
    priced.date_day,
    split_part(priced.invalid_reasons, ',', 1) as rule,
    priced.invalid_reasons,
    priced.offending_values,
    priced.campaign_name,
    priced.strategy_name,
    priced.placement_name,
    priced.creative_name,
    priced.impressions,
    priced.clicks,
    priced.conversions,
    priced.conversion_revenue,
    priced.media_cost,
    priced.spend,
    priced.video_starts,
    priced.video_completions,
    priced.country_code,
    priced.device_type,
    priced.source_file,
    priced.source_row_number,
    priced.load_id,
    priced.loaded_at,
    '{{ run_started_at.isoformat() }}'::timestamptz as dbt_updated_at
from {{ ref('int_daily_performance__priced') }} as priced
{% if is_incremental() %}
    where
        not priced.is_valid
        and {{ in_changed_partitions('priced', ['client_id', 'source', 'date_day'], null_safe=true) }}
{% else %}
    where not priced.is_valid
{% endif %}
{% endcall %}
