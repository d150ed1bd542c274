{{ config(indexes=[{'columns': ['creative_key'], 'unique': true}, {'columns': ['placement_key']}]) }}

select
    creative_key,
    placement_key,
    strategy_key,
    campaign_key,
    client_id,
    source,
    campaign_name,
    strategy_name,
    placement_name,
    creative_name,
    min(date_day) as first_seen_date,
    max(date_day) as last_seen_date
from {{ ref('fact_daily_metrics') }}
group by
    creative_key, placement_key, strategy_key, campaign_key, client_id, source, campaign_name,
    strategy_name, placement_name, creative_name
