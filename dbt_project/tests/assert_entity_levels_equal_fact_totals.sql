{#- Every entity level of mart_entity_daily_metrics adds up, per client and day, to
    fact_daily_metrics (measures and raw row counts). Returns the mismatches. After an
    incremental build, on the days it rebuilt only (macros/incremental_state.sql). -#}
{%- set built = ['fact_daily_metrics', 'mart_entity_daily_metrics'] %}

with fact_totals as (
    select
        client_id,
        date_day,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversion_revenue) as conversion_revenue,
        sum(spend) as spend,
        sum(source_row_count) as source_rows
    from {{ ref('fact_daily_metrics') }}
    where {{ incremental_test_days(built, 'date_day') }}
    group by client_id, date_day
),

level_totals as (
    select
        entity_type,
        client_id,
        date_day,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversion_revenue) as conversion_revenue,
        sum(spend) as spend,
        sum(source_row_count) as source_rows
    from {{ ref('mart_entity_daily_metrics') }}
    where {{ incremental_test_days(built, 'date_day') }}
    group by entity_type, client_id, date_day
),

levels as (
    select distinct entity_type from level_totals
),

expected as (
    select levels.entity_type, fact_totals.*
    from fact_totals
    cross join levels
)

select
    coalesce(expected.entity_type, level_totals.entity_type) as entity_type,
    coalesce(expected.client_id, level_totals.client_id) as client_id,
    coalesce(expected.date_day, level_totals.date_day) as date_day,
    expected.impressions as fact_impressions,
    level_totals.impressions as level_impressions,
    expected.spend as fact_spend,
    level_totals.spend as level_spend
from expected
full outer join level_totals
    on
        expected.entity_type = level_totals.entity_type
        and expected.client_id = level_totals.client_id
        and expected.date_day = level_totals.date_day
where
    -- zero rows of gap days have no fact counterpart
    coalesce(expected.impressions, 0) <> coalesce(level_totals.impressions, 0)
    or coalesce(expected.clicks, 0) <> coalesce(level_totals.clicks, 0)
    or coalesce(expected.conversions, 0) <> coalesce(level_totals.conversions, 0)
    or coalesce(expected.conversion_revenue, 0) <> coalesce(level_totals.conversion_revenue, 0)
    or coalesce(expected.spend, 0) <> coalesce(level_totals.spend, 0)
    or coalesce(expected.source_rows, 0) <> coalesce(level_totals.source_rows, 0)
    or (expected.client_id is null and level_totals.source_rows > 0)
