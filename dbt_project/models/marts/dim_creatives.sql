{{ config(indexes=table_indexes([
    {'columns': ['creative_key'], 'unique': true},
    {'columns': ['placement_key']},
])) }}

{#- One scan of the fact, grouped by the creative key alone (the names and parent keys are
    functions of it); the other dims are rolled up from this table. -#}
select
    creative_key,
    max(placement_key) as placement_key,
    max(strategy_key) as strategy_key,
    max(campaign_key) as campaign_key,
    max(client_key) as client_key,
    max(client_id) as client_id,
    max(source) as source,
    max(campaign_name) as campaign_name,
    max(strategy_name) as strategy_name,
    max(placement_name) as placement_name,
    max(creative_name) as creative_name,
    min(date_day) as first_seen_date,
    max(date_day) as last_seen_date
from {{ ref('fact_daily_metrics') }}
group by creative_key
