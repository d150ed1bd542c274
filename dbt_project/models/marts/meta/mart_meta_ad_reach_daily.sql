{#- Reach and frequency of every Meta ad-day, at the only grain Meta reported them: reach is
    not additive (the same account reached by two ads, or on two days, counts once in each),
    so it is never summed across ads or days. Frequency = impressions / reach of the ad-day.
    Valid ad-days only (the rows that reached the fact), with the fact's hierarchy keys. -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired(source="'meta'") %}
with ad_days as (
    select
        client_id,
        date_day,
        ad_account_id,
        ad_id,
        campaign_id,
        campaign_name,
        adset_id,
        strategy_name as adset_name,
        placement_name as ad_name,
        impressions,
        clicks,
        media_cost,
        currency_code,
        reach,
        frequency as meta_frequency,
        {{ surrogate_key(['client_id', 'source', 'campaign_name', 'strategy_name',
                          'placement_name', 'creative_name']) }} as creative_key
    from {{ ref('stg_meta__ad_daily') }}
    where is_valid
)

select
    ad_days.*,
    {{ stored_ratio(safe_divide('ad_days.impressions', 'ad_days.reach')) }} as frequency
from ad_days
{% endcall %}
