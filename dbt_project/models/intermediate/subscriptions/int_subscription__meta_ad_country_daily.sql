{#- Meta's ad-days spread over countries for the country mart: the valid rows of known
    countries from stg_meta__ad_country_daily (spend converted with the ad-day's own USD
    factor), and what they do not cover (the ad-day minus its country rows, for every
    measure) as country ZZ, so the countries of an ad-day add up to the ad-day exactly. -#}

with ad_days as (
    select
        *,
        spend_usd / nullif(media_cost, 0) as usd_factor
    from {{ ref('int_subscription__meta_ad_daily') }}
),

known as (
    select
        ad_days.client_id,
        ad_days.date_day,
        ad_days.campaign_id,
        ad_days.adset_id,
        ad_days.ad_id,
        country_rows.country_code,
        round(sum(country_rows.media_cost * coalesce(ad_days.usd_factor, 0)), 6) as spend_usd,
        sum(country_rows.clicks) as link_clicks,
        sum(country_rows.trials) as meta_trials,
        sum(country_rows.purchases) as meta_purchases
    from ad_days
    inner join {{ ref('stg_meta__ad_country_daily') }} as country_rows
        on
            ad_days.client_id = country_rows.client_id
            and ad_days.date_day = country_rows.date_day
            and ad_days.ad_id = cast(country_rows.ad_id as {{ dbt.type_string() }})
    where country_rows.is_valid and country_rows.is_known_country
    group by
        ad_days.client_id, ad_days.date_day, ad_days.campaign_id, ad_days.adset_id,
        ad_days.ad_id, country_rows.country_code
),

covered as (
    select
        client_id,
        date_day,
        ad_id,
        sum(spend_usd) as spend_usd,
        sum(link_clicks) as link_clicks,
        sum(meta_trials) as meta_trials,
        sum(meta_purchases) as meta_purchases
    from known
    group by client_id, date_day, ad_id
)

select
    client_id, date_day, campaign_id, adset_id, ad_id, country_code,
    spend_usd, link_clicks, meta_trials, meta_purchases
from known

union all

select
    ad_days.client_id,
    ad_days.date_day,
    ad_days.campaign_id,
    ad_days.adset_id,
    ad_days.ad_id,
    'ZZ' as country_code,
    ad_days.spend_usd - coalesce(covered.spend_usd, 0) as spend_usd,
    ad_days.link_clicks - coalesce(covered.link_clicks, 0) as link_clicks,
    ad_days.meta_trials - coalesce(covered.meta_trials, 0) as meta_trials,
    ad_days.meta_purchases - coalesce(covered.meta_purchases, 0) as meta_purchases
from ad_days
left join covered
    on
        ad_days.client_id = covered.client_id
        and ad_days.date_day = covered.date_day
        and ad_days.ad_id = covered.ad_id
where
    covered.ad_id is null
    or ad_days.spend_usd <> covered.spend_usd
    or ad_days.link_clicks <> covered.link_clicks
    or ad_days.meta_trials <> covered.meta_trials
    or ad_days.meta_purchases <> covered.meta_purchases
