{#- Meta's side of the subscription marts: valid Meta API ad-day rows (the rows the fact
    keeps) with the platform ids, spend converted to USD (fx_rates: the latest rate on or
    before the day; USD as is; NULL when no rate is known yet), link clicks, trials and
    purchases as Meta reports them. -#}

with ad_days as (
    select *
    from {{ ref('stg_meta__ad_daily') }}
    where is_valid and campaign_id is not null and adset_id is not null and ad_id is not null
),

rates as (
    select
        ad_days.client_id,
        ad_days.date_day,
        ad_days.ad_id,
        max(fx_rates.rate_date) as rate_date
    from ad_days
    inner join {{ ref('fx_rates') }} as fx_rates
        on
            upper(ad_days.currency_code) = upper(fx_rates.currency_code)
            and ad_days.date_day >= fx_rates.rate_date
    group by ad_days.client_id, ad_days.date_day, ad_days.ad_id
)

select
    ad_days.client_id,
    ad_days.date_day,
    cast(ad_days.campaign_id as {{ dbt.type_string() }}) as campaign_id,
    cast(ad_days.adset_id as {{ dbt.type_string() }}) as adset_id,
    cast(ad_days.ad_id as {{ dbt.type_string() }}) as ad_id,
    ad_days.campaign_name,
    ad_days.strategy_name as adset_name,
    ad_days.placement_name as ad_name,
    ad_days.currency_code,
    ad_days.media_cost,
    -- rounded to micro-dollars so that sums over ads, ad sets and countries agree exactly
    round(case
        when upper(coalesce(ad_days.currency_code, 'USD')) = 'USD' then ad_days.media_cost
        else ad_days.media_cost * fx_rates.usd_per_unit
    end, 6) as spend_usd,
    ad_days.clicks as link_clicks,
    ad_days.trials as meta_trials,
    ad_days.purchases as meta_purchases,
    ad_days.load_id
from ad_days
left join rates
    on
        ad_days.client_id = rates.client_id
        and ad_days.date_day = rates.date_day
        and ad_days.ad_id = rates.ad_id
left join {{ ref('fx_rates') }} as fx_rates
    on
        upper(ad_days.currency_code) = upper(fx_rates.currency_code)
        and rates.rate_date = fx_rates.rate_date
