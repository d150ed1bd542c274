{{ config(indexes=table_indexes([
    {'columns': ['campaign_key'], 'unique': true},
    {'columns': ['client_id']},
])) }}

select
    campaign_key,
    max(client_key) as client_key,
    max(client_id) as client_id,
    max(source) as source,
    max(campaign_name) as campaign_name,
    min(first_seen_date) as first_seen_date,
    max(last_seen_date) as last_seen_date
from {{ ref('dim_creatives') }}
group by campaign_key
