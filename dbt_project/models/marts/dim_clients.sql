{{ config(indexes=table_indexes([{'columns': ['client_id'], 'unique': true}])) }}

{#- Every client of seeds/clients.csv, with the span of days it has facts for. -#}
with activity as (
    select
        client_id,
        min(first_seen_date) as first_seen_date,
        max(last_seen_date) as last_seen_date,
        count(distinct source) as source_count
    from {{ ref('dim_creatives') }}
    group by client_id
)

select
    {{ surrogate_key(['clients.client_id']) }} as client_key,
    clients.client_id,
    clients.client_name,
    clients.status,
    activity.first_seen_date,
    activity.last_seen_date,
    coalesce(activity.source_count, 0) as source_count
from {{ ref('clients') }} as clients
left join activity
    on clients.client_id = activity.client_id
