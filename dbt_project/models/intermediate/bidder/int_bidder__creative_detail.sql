{#- Valid bidder rows with the spend and hierarchy keys of int_daily_performance__priced (so
    spend follows the source registry's spend basis exactly as in fact_daily_metrics) and the
    bidder detail the common grain does not carry (creative_id, hour, placement) from staging.
    One row per valid raw row; the bidder marts are built on it. -#}
with priced as (
    select * from {{ ref('int_daily_performance__priced') }}
    where source = 'bidder' and is_valid
),

detail as (
    select
        load_id,
        date_day,
        source_file,
        source_row_number,
        creative_id,
        hour,
        placement
    from {{ ref('stg_bidder__creative_performance') }}
)

select
    priced.client_id,
    priced.date_day,
    detail.creative_id,
    detail.hour,
    priced.country_code,
    priced.device_type,
    detail.placement,
    priced.client_key,
    priced.campaign_key,
    priced.campaign_name,
    priced.creative_key,
    priced.creative_name,
    priced.impressions,
    priced.clicks,
    priced.media_cost,
    priced.spend,
    priced.source_file,
    priced.source_row_number,
    priced.load_id,
    priced.loaded_at
from priced
inner join detail
    on
        priced.load_id = detail.load_id
        -- equal anyway; joining on it lets a day filter reach both sides
        and priced.date_day = detail.date_day
        and priced.source_file = detail.source_file
        and priced.source_row_number = detail.source_row_number
