{#- Canonical dashboard query: the 14-day country breakdown of one campaign, the overall (ALL)
    row first, then countries by spend. Served by the
    (entity_type, entity_id, date_day, country_code) index of mart_entity_country_daily.
    vars: campaign_key, last_day (the last day of the window). -#}
select
    country_code,
    sum(impressions) as impressions,
    sum(clicks) as clicks,
    sum(conversions) as conversions,
    sum(spend) as spend,
    {{ safe_divide('sum(clicks)', 'sum(impressions)') }} as ctr,
    {{ safe_divide('sum(spend)', 'sum(clicks)') }} as cpc
from {{ ref('mart_entity_country_daily') }}
where
    entity_type = 'campaign'
    and entity_id = '{{ var("campaign_key", "") }}'
    and date_day between '{{ var("last_day", "2026-01-14") }}'::date - 13
    and '{{ var("last_day", "2026-01-14") }}'::date
group by country_code
order by country_code = 'ALL' desc, sum(spend) desc, country_code
