{#- The ingestion log, one row per load attempt, newest attempt per source/client/day marked.
    A `retired` row (adwh retention) is no attempt: it is never the newest, so data coverage
    of a retired day stays as it was. -#}
select
    log_rows.log_id,
    log_rows.run_id,
    log_rows.source,
    log_rows.client_id,
    log_rows.report_date,
    log_rows.object_key,
    log_rows.object_version,
    log_rows.rows_loaded,
    log_rows.status,
    log_rows.message,
    log_rows.load_id,
    log_rows.started_at,
    log_rows.finished_at,
    log_rows.duration_ms,
    log_rows.status != 'retired' and row_number() over (
        partition by
            log_rows.source, log_rows.client_id, log_rows.report_date,
            log_rows.status = 'retired'
        order by log_rows.finished_at desc, log_rows.log_id desc
    ) = 1 as is_latest_attempt
from {{ source_or_empty('adwh_ops', 'ingestion_log') }} as log_rows
