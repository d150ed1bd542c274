{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(log_position_state_sql('fact_daily_metrics'),
            dim_creatives_changed_keys_sql(this), ['creative_key']) }}",
        post_hook="{{ incremental_end() }}",
        indexes=table_indexes([
            {'columns': ['creative_key'], 'unique': true},
            {'columns': ['placement_key']},
        ]),
    )
}}

{#- One row per creative key (the names and parent keys are functions of it) with its span;
    the other dims are rolled up from this table. A full build scans the fact once, grouped by
    the creative key. Incremental: only the creatives on a client x source x day
    fact_daily_metrics rebuilt are recomputed, their span read from the fact's
    (creative_key, date_day) index (docs/incremental.md). -#}
{% if is_incremental() %}
    with spans as (
        select
            changed.creative_key,
            (
                select min(fact.date_day) from {{ ref('fact_daily_metrics') }} as fact
                where fact.creative_key = changed.creative_key
            ) as first_seen_date,
            (
                select max(fact.date_day) from {{ ref('fact_daily_metrics') }} as fact
                where fact.creative_key = changed.creative_key
            ) as last_seen_date
        from {{ changed_partitions_table() }} as changed
    )

    select
        spans.creative_key,
        max(latest.placement_key) as placement_key,
        max(latest.strategy_key) as strategy_key,
        max(latest.campaign_key) as campaign_key,
        max(latest.client_key) as client_key,
        max(latest.client_id) as client_id,
        max(latest.source) as source,
        max(latest.campaign_name) as campaign_name,
        max(latest.strategy_name) as strategy_name,
        max(latest.placement_name) as placement_name,
        max(latest.creative_name) as creative_name,
        min(spans.first_seen_date) as first_seen_date,
        max(spans.last_seen_date) as last_seen_date
    from spans
    inner join {{ ref('fact_daily_metrics') }} as latest
        on spans.creative_key = latest.creative_key and spans.last_seen_date = latest.date_day
    group by spans.creative_key
{% else %}
    select
        creative_key,
        max(placement_key) as placement_key,
        max(strategy_key) as strategy_key,
        max(campaign_key) as campaign_key,
        max(client_key) as client_key,
        max(client_id) as client_id,
        max(source) as source,
        max(campaign_name) as campaign_name,
        max(strategy_name) as strategy_name,
        max(placement_name) as placement_name,
        max(creative_name) as creative_name,
        min(date_day) as first_seen_date,
        max(date_day) as last_seen_date
    from {{ ref('fact_daily_metrics') }}
    group by creative_key
{% endif %}
