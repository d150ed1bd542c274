{{ config(indexes=table_indexes([
    {'columns': ['campaign_key'], 'unique': true},
    {'columns': ['client_id']},
])) }}

{#- Per bidder campaign, as of var as_of_date (default today, UTC): spend over the last 7 and
    30 days (ending yesterday) and all time (every day before as_of), CPC and CPM over 7 days
    from summed spend, clicks and impressions (never averaged), the geography and device type
    with the most spend over 7 days (ties: alphabetical; NULL when no spend was broken down
    that way), and when the campaign's performance was last imported. All-time figures add
    whole months from int_bidder__creative_months to the days of as_of's month. -#}
{%- set month_start = dbt.cast(dbt.date_trunc('month', as_of_date()), 'date') %}

-- the days of the 30-day window and of as_of's month before as_of; whole months before it,
-- and the catalog-wide counts, from int_bidder__creative_months (cost independent of history)
with months as (
    select * from {{ ref('int_bidder__creative_months') }}
),

recent as (
    select *
    from {{ ref('mart_creative_geo_device_daily') }}
    where
        date_day >= least({{ days_before_as_of(30) }}, {{ month_start }})
        and date_day < {{ as_of_date() }}
),

last_7_days as (
    select * from recent where date_day >= {{ days_before_as_of(7) }}
),

campaigns as (
    select
        client_id,
        client_key,
        campaign_key,
        campaign_name,
        count(distinct creative_id) as creative_count,
        max(last_loaded_at) as last_performance_update
    from months
    group by client_id, client_key, campaign_key, campaign_name
),

totals as (
    select
        campaign_key,
        sum(spend_7d)::numeric(38, 12) as total_spend_7d,
        sum(spend_30d)::numeric(38, 12) as total_spend_30d,
        sum(spend_all_time)::numeric(38, 12) as total_spend_all_time,
        sum(impressions_7d)::bigint as impressions_7d,
        sum(clicks_7d)::bigint as clicks_7d
    from (
        select
            campaign_key,
            sum(case when date_day >= {{ days_before_as_of(7) }} then spend end) as spend_7d,
            sum(case when date_day >= {{ days_before_as_of(30) }} then spend end) as spend_30d,
            sum(case when date_day >= {{ month_start }} then spend end) as spend_all_time,
            sum(case when date_day >= {{ days_before_as_of(7) }} then impressions end) as impressions_7d,
            sum(case when date_day >= {{ days_before_as_of(7) }} then clicks end) as clicks_7d
        from recent
        group by campaign_key
        union all
        select
            campaign_key,
            null as spend_7d,
            null as spend_30d,
            sum(spend) as spend_all_time,
            null as impressions_7d,
            null as clicks_7d
        from months
        where month_start < {{ month_start }}
        group by campaign_key
    ) as parts
    group by campaign_key
),

geography_spend as (
    select
        campaign_key,
        country_code,
        sum(spend) as spend
    from last_7_days
    where country_code is not null
    group by campaign_key, country_code
    having sum(spend) > 0
),

device_spend as (
    select
        campaign_key,
        device_type,
        sum(spend) as spend
    from last_7_days
    where device_type is not null
    group by campaign_key, device_type
    having sum(spend) > 0
),

top_geography as (
    select distinct on (campaign_key)
        campaign_key,
        country_code as top_geography
    from geography_spend
    order by campaign_key asc, spend desc, country_code asc
),

top_device as (
    select distinct on (campaign_key)
        campaign_key,
        device_type as top_device_type
    from device_spend
    order by campaign_key asc, spend desc, device_type asc
)

select
    {{ as_of_date() }} as as_of_date,
    campaigns.client_id,
    campaigns.client_key,
    campaigns.campaign_key,
    campaigns.campaign_name,
    campaigns.creative_count,
    coalesce(totals.total_spend_7d, 0)::numeric(38, 12) as total_spend_7d,
    coalesce(totals.total_spend_30d, 0)::numeric(38, 12) as total_spend_30d,
    coalesce(totals.total_spend_all_time, 0)::numeric(38, 12) as total_spend_all_time,
    coalesce(totals.impressions_7d, 0)::bigint as impressions_7d,
    coalesce(totals.clicks_7d, 0)::bigint as clicks_7d,
    {{ stored_ratio(safe_divide('totals.total_spend_7d', 'totals.clicks_7d')) }} as avg_cpc_7d,
    {{ stored_ratio(safe_divide('totals.total_spend_7d', 'totals.impressions_7d') ~ ' * 1000') }}
        as avg_cpm_7d,
    top_geography.top_geography,
    top_device.top_device_type,
    campaigns.last_performance_update
from campaigns
left join totals
    on campaigns.campaign_key = totals.campaign_key
left join top_geography
    on campaigns.campaign_key = top_geography.campaign_key
left join top_device
    on campaigns.campaign_key = top_device.campaign_key
