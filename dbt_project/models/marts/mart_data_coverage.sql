{{ config(indexes=table_indexes([{'columns': ['client_id', 'source', 'date_day'], 'unique': true}])) }}

{#- Client x source x day with what happened, for every enabled source of the registry (var
    adwh_sources), so a dashboard shows a gap as a gap and not as a zero. Days run from the
    first day a source was attempted or had data for the client to the newest day the client
    has in any source (a source that stopped delivering shows as no_data). Status:
      loaded        valid rows are in fact_daily_metrics, or the day was loaded and every row
                    was quarantined (reason says so)
      missing_file  the newest attempt found nothing to load
      rejected      the newest attempt refused the file (reason = the refusal)
      failed        the newest attempt failed (S3/API/database error)
      no_data       never attempted, or still pending (rate-limited API) -#}

with attempts as (
    select *
    from {{ ref('stg_adwh_ops__ingestion_log') }}
    where
        is_latest_attempt and client_id is not null and report_date is not null
        -- the enabled sources of the registry (var adwh_sources)
        and source in {{ adwh_source_names_sql() }}
),

facts as (
    select client_id, source, date_day, source_rows
    from {{ ref('fact_daily_partitions') }}
),

quarantined as (
    select client_id, source, date_day, count(*) as quarantined_rows
    from {{ ref('dq_quarantine') }}
    where client_id is not null and date_day is not null
    group by client_id, source, date_day
),

known_days as (
    select client_id, source, report_date as date_day from attempts
    union
    select client_id, source, date_day from facts
),

client_newest as (
    select client_id, max(date_day) as newest_day from known_days group by client_id
),

spans as (
    select known_days.client_id, known_days.source, min(known_days.date_day) as first_day
    from known_days
    group by known_days.client_id, known_days.source
),

grid as (
    select spans.client_id, spans.source, series.day::date as date_day
    from spans
    inner join client_newest on spans.client_id = client_newest.client_id
    {{ day_series_join('spans.first_day', 'client_newest.newest_day', 'series') }}
)

select
    grid.client_id,
    grid.source,
    grid.date_day,
    case
        when facts.source_rows > 0 then 'loaded'
        when attempts.status in ('loaded', 'skipped') then 'loaded'
        when attempts.status in ('missing_file', 'rejected', 'failed') then attempts.status
        else 'no_data'
    end as status,
    case
        when facts.source_rows > 0 and attempts.status in ('missing_file', 'rejected', 'failed')
            then concat(
                'data from an earlier load; newest attempt ', attempts.status, ': ',
                attempts.message
            )
        when facts.source_rows > 0 then null
        when attempts.status in ('loaded', 'skipped') and coalesce(quarantined.quarantined_rows, 0) > 0
            then 'loaded, but all ' || quarantined.quarantined_rows || ' rows are in dq_quarantine'
        when attempts.status in ('loaded', 'skipped') then 'loaded, but the delivery had no rows'
        when attempts.status in ('missing_file', 'rejected', 'failed') then attempts.message
        when attempts.status = 'pending'
            then 'pending: requested, not yet delivered by the source'
        else 'no load attempt for this day'
    end as reason,
    coalesce(facts.source_rows, 0)::bigint as fact_source_rows,
    coalesce(quarantined.quarantined_rows, 0)::bigint as quarantined_rows,
    attempts.status as last_attempt_status,
    attempts.finished_at as last_attempt_at,
    attempts.object_key as last_object_key
from grid
left join facts
    on
        grid.client_id = facts.client_id
        and grid.source = facts.source
        and grid.date_day = facts.date_day
left join attempts
    on
        grid.client_id = attempts.client_id
        and grid.source = attempts.source
        and grid.date_day = attempts.report_date
left join quarantined
    on
        grid.client_id = quarantined.client_id
        and grid.source = quarantined.source
        and grid.date_day = quarantined.date_day
