{#- Mixpanel subscription events, one per (event, distinct_id, time, $insert_id) - the export
    is not deduplicated, Mixpanel's own documented dedupe key - with the attribution ids,
    country and product cleaned, and the UTC day of the event (the cohort day of a trial start
    or initial purchase). Of duplicates the most recently loaded copy is kept. -#}
with source_rows as (
    select raw_rows.* from {{ source_or_empty('mixpanel', 'events') }} as raw_rows
),

ranked as (
    select
        source_rows.*,
        row_number() over (
            partition by
                source_rows.client_id,
                source_rows.event_name,
                source_rows.distinct_id,
                source_rows.event_time,
                coalesce(source_rows.insert_id, '')
            order by source_rows._dlt_load_id desc, source_rows.source_row_number asc
        ) as copy_number
    from source_rows
)

select
    client_id,
    project_id,
    event_role,
    event_name,
    distinct_id,
    event_time,
    {{ utc_date('event_time') }} as event_date,
    insert_id,
    coalesce(nullif(trim(product_id), ''), 'unknown') as product_id,
    cast(revenue as numeric(38, 12)) as revenue_usd,
    coalesce(upper(nullif(trim(country_code), '')), 'ZZ') as country_code,
    nullif(trim(campaign_id), '') as campaign_id,
    nullif(trim(adset_id), '') as adset_id,
    nullif(trim(ad_id), '') as ad_id,
    report_date,
    export_range,
    source_row_number,
    _dlt_load_id as load_id,
    loaded_at
from ranked
where copy_number = 1
