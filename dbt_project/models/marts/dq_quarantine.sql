{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(raw_state_sql(), raw_changed_partitions_sql(quarantine=this),
            ['client_id', 'source', 'date_day'], null_safe=true) }}",
        post_hook="{{ incremental_end(incremental_partition_columns()['dq_quarantine']) }}",
        indexes=[{'columns': ['client_id', 'source', 'date_day']}, {'columns': ['rule']}],
    )
}}

{#- Every raw row that breaks an error-level rule: where it came from (file and row), the
    primary rule, all rules it breaks, and the values that broke them. Incremental like
    fact_daily_metrics, by client x source x day partitions (client_id or date_day may be
    NULL: rows without a known client or a readable date), found from raw load ids: it always
    reflects the current rules and the current raw data (docs/incremental.md). -#}

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
from {{ ref('int_daily_performance__priced') }} as priced
where
    not priced.is_valid
    {% if is_incremental() %}
        and (
            {{ in_values('priced.date_day', 'select distinct changed.date_day from '
                ~ changed_partitions_table() ~ ' as changed') }}
            or (
                priced.date_day is null
                and exists (
                    select 1 from {{ changed_partitions_table() }} as changed
                    where changed.date_day is null
                )
            )
        )
        and exists (
            select 1 from {{ changed_partitions_table() }} as changed
            where
                changed.source = priced.source
                and (changed.client_id = priced.client_id
                     or (changed.client_id is null and priced.client_id is null))
                and (changed.date_day = priced.date_day
                     or (changed.date_day is null and priced.date_day is null))
        )
    {% endif %}
