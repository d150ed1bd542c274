{#- Canonical dashboard query: the 28-day overview sparkline of a client (all sources), one
    row per day with the headline measures and ratios.
    vars: client_id, last_day (the last day shown). -#}
select
    date_day,
    impressions,
    clicks,
    conversions,
    conversion_revenue,
    spend,
    ctr,
    cpm,
    cpa,
    roas
from {{ ref('mart_entity_daily_metrics') }}
where
    entity_type = 'client'
    and entity_id = '{{ var("client_id", "") }}'
    and date_day between '{{ var("last_day", "2026-01-28") }}'::date - 27
    and '{{ var("last_day", "2026-01-28") }}'::date
order by date_day
