{#- Meta API vs Facebook uploads for the same client-day: the API rows count, the uploads'
    rows are in the quarantine with `superseded_by_api`, so nothing is counted twice.
    Returns client-days with both sources in the fact, and superseded upload rows that are
    not in the quarantine with that rule. -#}

with fact_days as (
    select client_id, date_day
    from {{ ref('fact_daily_partitions') }}
    where source in ('facebook', 'meta')
    group by client_id, date_day
    having count(distinct source) > 1
),

superseded as (
    select client_id, date_day, source_file, source_row_number, load_id
    from {{ ref('stg_facebook__ad_daily') }}
    where is_superseded_by_api
),

quarantined as (
    select client_id, date_day, source_file, source_row_number, load_id
    from {{ ref('dq_quarantine') }}
    where source = 'facebook' and invalid_reasons like '%superseded_by_api%'
)

select client_id, date_day, 'both sources in the fact' as problem
from fact_days
union all
select superseded.client_id, superseded.date_day, 'superseded row not quarantined' as problem
from superseded
left join quarantined
    on
        superseded.source_file = quarantined.source_file
        and superseded.source_row_number = quarantined.source_row_number
        and superseded.load_id = quarantined.load_id
where quarantined.source_file is null
