{{ config(indexes=[{'columns': ['strategy_key'], 'unique': true}, {'columns': ['campaign_key']}]) }}

select
    strategy_key,
    campaign_key,
    client_id,
    source,
    campaign_name,
    strategy_name,
    min(date_day) as first_seen_date,
    max(date_day) as last_seen_date
from {{ ref('fact_daily_metrics') }}
group by strategy_key, campaign_key, client_id, source, campaign_name, strategy_name
