{#- Canonical dashboard query: the 14-day row sparkline of one entity (any level), newest day
    last. Served by the (entity_type, entity_id, date_day) index of
    mart_entity_daily_metrics; every day is present (zero rows fill the gaps).
    vars: entity_type, entity_id, last_day (the last day shown). -#}
select
    date_day,
    impressions,
    clicks,
    conversions,
    spend,
    ctr,
    cpc,
    roas
from {{ ref('mart_entity_daily_metrics') }}
where
    entity_type = '{{ var("entity_type", "campaign") }}'
    and entity_id = '{{ var("entity_id", "") }}'
    and date_day between '{{ var("last_day", "2026-01-14") }}'::date - 13
    and '{{ var("last_day", "2026-01-14") }}'::date
order by date_day
