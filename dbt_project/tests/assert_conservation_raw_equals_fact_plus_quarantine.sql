{#- Conservation (DESIGN.md section 5): for every client, source and day, what the raw tables
    hold equals what reached fact_daily_metrics plus what sits in dq_quarantine - rows and every
    reported measure. Read straight from the raw tables (not staging), so a row dropped or
    duplicated anywhere downstream shows up here. One CTE per source.
    After an incremental build only the days it rebuilt are compared (all clients and sources
    of those days); everything after a full build or with var full_scan_tests. -#}
{%- set built = ['fact_daily_metrics', 'dq_quarantine'] %}

with raw_surfside as (
    select
        raw_rows.client_id,
        'surfside'::text as source,
        raw_rows.date as date_day,
        count(*) as row_count,
        coalesce(sum(raw_rows.impressions), 0) as impressions,
        coalesce(sum(raw_rows.clicks), 0) as clicks,
        coalesce(sum(raw_rows.conversions), 0) as conversions,
        coalesce(sum(raw_rows.conversion_revenue), 0) as conversion_revenue,
        0::numeric as media_cost
    from {{ source_or_empty('surfside', 'daily_performance') }} as raw_rows
    where {{ incremental_test_days(built, 'raw_rows.date') }}
    group by 1, 2, 3
),

-- measures through the columns the loader recorded for each file (macros/facebook.sql)
raw_facebook as (
    select
        raw_rows.client_id,
        'facebook'::text as source,
        raw_rows.report_date as date_day,
        count(*) as row_count,
        coalesce(sum(raw_rows.impressions), 0) as impressions,
        coalesce(sum({{ facebook_measure('clicks', 'raw_rows.') }}), 0) as clicks,
        coalesce(sum({{ facebook_measure('conversions', 'raw_rows.') }}), 0) as conversions,
        coalesce(sum({{ facebook_measure('revenue', 'raw_rows.') }}), 0) as conversion_revenue,
        coalesce(sum({{ facebook_measure('media_cost', 'raw_rows.') }}), 0) as media_cost
    from {{ source_or_empty('facebook', 'ad_daily') }} as raw_rows
    where {{ incremental_test_days(built, 'raw_rows.report_date') }}
    group by 1, 2, 3
),

raw_vibe as (
    select
        raw_rows.client_id,
        'vibe'::text as source,
        raw_rows.impression_date as date_day,
        count(*) as row_count,
        coalesce(sum(raw_rows.impressions), 0) as impressions,
        0::numeric as clicks,
        coalesce(sum(raw_rows.number_of_purchases), 0) as conversions,
        coalesce(sum(raw_rows.amount_of_purchases), 0) as conversion_revenue,
        coalesce(sum(raw_rows.spend), 0) as media_cost
    from {{ source_or_empty('vibe', 'daily_performance') }} as raw_rows
    where {{ incremental_test_days(built, 'raw_rows.impression_date') }}
    group by 1, 2, 3
),

-- bidder rows get their client from the creative catalog exactly as staging does: only a
-- creative_id listed by one catalog row has a client (others are quarantined without one)
raw_bidder_catalog as (
    select
        catalog_rows.creative_id,
        min(nullif(trim(catalog_rows.client_id), '')) as client_id
    from {{ source_or_empty('bidder', 'creatives') }} as catalog_rows
    group by 1
    having count(*) = 1
),

raw_bidder as (
    select
        catalog.client_id,
        'bidder'::text as source,
        raw_rows.date as date_day,
        count(*) as row_count,
        coalesce(sum(raw_rows.impressions), 0) as impressions,
        coalesce(sum(raw_rows.clicks), 0) as clicks,
        0::numeric as conversions,
        0::numeric as conversion_revenue,
        coalesce(sum(raw_rows.spend), 0) as media_cost
    from {{ source_or_empty('bidder', 'creative_performance') }} as raw_rows
    left join raw_bidder_catalog as catalog
        on raw_rows.creative_id = catalog.creative_id
    where {{ incremental_test_days(built, 'raw_rows.date') }}
    group by 1, 2, 3
),

raw_totals as (
    select * from raw_surfside
    union all
    select * from raw_facebook
    union all
    select * from raw_vibe
    union all
    select * from raw_bidder
),

fact_totals as (
    select
        client_id,
        source,
        date_day,
        sum(source_row_count) as row_count,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversion_revenue) as conversion_revenue,
        coalesce(sum(media_cost), 0) as media_cost
    from {{ ref('fact_daily_metrics') }}
    where {{ incremental_test_days(built, 'date_day') }}
    group by 1, 2, 3
),

quarantine_totals as (
    select
        client_id,
        source,
        date_day,
        count(*) as row_count,
        -- a malformed measure is NULL in the quarantine, as it is in raw
        coalesce(sum(impressions), 0) as impressions,
        coalesce(sum(clicks), 0) as clicks,
        coalesce(sum(conversions), 0) as conversions,
        coalesce(sum(conversion_revenue), 0) as conversion_revenue,
        coalesce(sum(media_cost), 0) as media_cost
    from {{ ref('dq_quarantine') }}
    where {{ incremental_test_days(built, 'date_day') }}
    group by 1, 2, 3
),

downstream as (
    select
        client_id,
        source,
        date_day,
        sum(row_count) as row_count,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversion_revenue) as conversion_revenue,
        sum(media_cost) as media_cost
    from (
        select * from fact_totals
        union all
        select * from quarantine_totals
    ) as both_sides
    group by 1, 2, 3
)

select
    coalesce(raw_totals.client_id, downstream.client_id) as client_id,
    coalesce(raw_totals.source, downstream.source) as source,
    coalesce(raw_totals.date_day, downstream.date_day) as date_day,
    raw_totals.row_count as raw_rows,
    downstream.row_count as downstream_rows,
    raw_totals.impressions as raw_impressions,
    downstream.impressions as downstream_impressions,
    raw_totals.clicks as raw_clicks,
    downstream.clicks as downstream_clicks,
    raw_totals.conversions as raw_conversions,
    downstream.conversions as downstream_conversions,
    raw_totals.conversion_revenue as raw_revenue,
    downstream.conversion_revenue as downstream_revenue,
    raw_totals.media_cost as raw_media_cost,
    downstream.media_cost as downstream_media_cost
from raw_totals
full outer join downstream
    on
        raw_totals.client_id is not distinct from downstream.client_id
        and raw_totals.source = downstream.source
        and raw_totals.date_day is not distinct from downstream.date_day
where
    raw_totals.row_count is distinct from downstream.row_count
    or raw_totals.impressions is distinct from downstream.impressions
    or raw_totals.clicks is distinct from downstream.clicks
    or raw_totals.conversions is distinct from downstream.conversions
    or raw_totals.conversion_revenue is distinct from downstream.conversion_revenue
    or raw_totals.media_cost is distinct from downstream.media_cost
