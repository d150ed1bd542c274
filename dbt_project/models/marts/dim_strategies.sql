{{ config(indexes=table_indexes([
    {'columns': ['strategy_key'], 'unique': true},
    {'columns': ['campaign_key']},
])) }}

select
    strategy_key,
    max(campaign_key) as campaign_key,
    max(client_id) as client_id,
    max(source) as source,
    max(campaign_name) as campaign_name,
    max(strategy_name) as strategy_name,
    min(first_seen_date) as first_seen_date,
    max(last_seen_date) as last_seen_date
from {{ ref('dim_creatives') }}
group by strategy_key
