{#- mart_entity_country_daily: per entity-day, the countries (ZZ included) add up to the ALL
    row, the ALL row equals the entity-day in mart_entity_daily_metrics, and the real countries
    never exceed it (ZZ, the uncovered part, is never negative: geography rows are not counted
    twice). Returns mismatches. After an incremental build, on the client-days it rebuilt only
    (macros/incremental_state.sql). -#}

with scoped as (
    select country_rows.*
    from {{ ref('mart_entity_country_daily') }} as country_rows
    where {{ incremental_test_scope('mart_entity_country_daily', 'country_rows') }}
),

country_sums as (
    select
        entity_type,
        entity_id,
        date_day,
        sum(case when country_code <> 'ALL' then impressions end) as country_impressions,
        sum(case when country_code <> 'ALL' then spend end) as country_spend,
        sum(case when country_code <> 'ALL' then clicks end) as country_clicks,
        max(case when country_code = 'ALL' then impressions end) as all_impressions,
        max(case when country_code = 'ALL' then spend end) as all_spend,
        max(case when country_code = 'ALL' then clicks end) as all_clicks,
        min(case when country_code = 'ZZ' then least(impressions, clicks, spend) end) as zz_minimum
    from scoped
    group by entity_type, entity_id, date_day
)

select
    country_sums.*,
    daily.impressions as daily_impressions,
    daily.spend as daily_spend
from country_sums
left join {{ ref('mart_entity_daily_metrics') }} as daily
    on
        country_sums.entity_type = daily.entity_type
        and country_sums.entity_id = daily.entity_id
        and country_sums.date_day = daily.date_day
where
    country_sums.country_impressions is distinct from country_sums.all_impressions
    or country_sums.country_spend is distinct from country_sums.all_spend
    or country_sums.country_clicks is distinct from country_sums.all_clicks
    or daily.entity_id is null
    or daily.impressions <> country_sums.all_impressions
    or daily.spend <> country_sums.all_spend
    or daily.clicks <> country_sums.all_clicks
    or country_sums.zz_minimum < 0
