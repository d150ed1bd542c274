{{ config(severity='warn') }}

{#- Meta's country breakdown of an ad-day adds up to the ad-day row (impressions, link clicks,
    spend). Warn only: Meta may leave part of a day without a country; the country mart then
    shows the difference as ZZ. Returns the ad-days that differ. -#}

with ad_days as (
    select client_id, ad_id, date_day, impressions, clicks, media_cost
    from {{ ref('stg_meta__ad_daily') }}
),

country_sums as (
    select
        client_id,
        ad_id,
        date_day,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(media_cost) as media_cost
    from {{ ref('stg_meta__ad_country_daily') }}
    group by client_id, ad_id, date_day
)

select
    coalesce(ad_days.client_id, country_sums.client_id) as client_id,
    coalesce(ad_days.ad_id, country_sums.ad_id) as ad_id,
    coalesce(ad_days.date_day, country_sums.date_day) as date_day,
    ad_days.impressions as ad_impressions,
    country_sums.impressions as country_impressions,
    ad_days.clicks as ad_clicks,
    country_sums.clicks as country_clicks,
    ad_days.media_cost as ad_spend,
    country_sums.media_cost as country_spend
from ad_days
full outer join country_sums
    on
        ad_days.client_id = country_sums.client_id
        and ad_days.ad_id = country_sums.ad_id
        and ad_days.date_day = country_sums.date_day
where
    ad_days.impressions is distinct from country_sums.impressions
    or ad_days.clicks is distinct from country_sums.clicks
    or ad_days.media_cost is distinct from country_sums.media_cost
