{{ config(indexes=[{'columns': ['campaign_key'], 'unique': true}, {'columns': ['client_id']}]) }}

select
    campaign_key,
    client_key,
    client_id,
    source,
    campaign_name,
    min(date_day) as first_seen_date,
    max(date_day) as last_seen_date
from {{ ref('fact_daily_metrics') }}
group by campaign_key, client_key, client_id, source, campaign_name
