{{ config(indexes=[{'columns': ['placement_key'], 'unique': true}, {'columns': ['strategy_key']}]) }}

select
    placement_key,
    strategy_key,
    campaign_key,
    client_id,
    source,
    campaign_name,
    strategy_name,
    placement_name,
    min(date_day) as first_seen_date,
    max(date_day) as last_seen_date
from {{ ref('fact_daily_metrics') }}
group by
    placement_key, strategy_key, campaign_key, client_id, source, campaign_name, strategy_name,
    placement_name
