"""Surfside: daily report files per client in S3 (CSV or XLSX) -> `raw_surfside.daily_performance`.

One object per client and day, found with `key_pattern` (placeholders `{client}` and
`{date}`, e.g. `surfside/{client}/media-report-{date}.csv`; `{date:%Y%m%d}` for other date
spellings). A re-delivery may sit beside the original (`...-2026-01-05_v2.csv`, `.xlsx`
instead of `.csv`): every object whose name starts with the expected key's stem and ends in
.csv/.xlsx is a candidate and the newest by LastModified wins.

Each day is fetched and checked on its own (`fetch`); the accepted days are then loaded
together with dlt `merge` / `delete-insert` on (client_id, report_date), so a day loaded twice
keeps one copy and a corrected re-delivery replaces the day. Every day gets a line in the
ingestion log.
"""

from __future__ import annotations

import datetime as dt

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError
from loaders.core.pipeline import run_arrow, source_pipeline
from loaders.sources.surfside.fetch import RAW, SOURCE, DayResult, fetch_day
from loaders.sources.surfside.fetch import SPEC as SPEC
from loaders.sources.surfside.settings import SurfsideSettings, load_settings
from loaders.sources.surfside.settings import s3_client as s3_client


def load(
    url: str,
    client_ids: list[str],
    days: list[dt.date],
    settings: SurfsideSettings | None = None,
    echo=print,
) -> list[DayResult]:
    """Fetch, check and load every (client, day); returns one result per pair."""
    settings = settings or load_settings()
    s3 = s3_client(settings)
    run_id = ingestion_log.new_run_id()
    loaded_at = ingestion_log.utcnow()
    results: list[DayResult] = []
    batch: list[DayResult] = []

    with source_pipeline(SOURCE, url) as pipeline:
        for client_id in client_ids:
            for day in days:
                result = fetch_day(s3, settings, client_id, day, loaded_at)
                results.append(result)
                if result.table is not None:
                    batch.append(result)
                    if sum(r.rows for r in batch) >= settings.batch_rows:
                        _flush(pipeline, url, run_id, batch)
                        batch = []
                else:
                    ingestion_log.record(url, run_id, [result.log_entry()])
        if batch:
            _flush(pipeline, url, run_id, batch)
    RAW.ensure_index(url)
    for r in results:
        echo(r.line())
    return results


def _flush(pipeline, url: str, run_id: str, batch: list[DayResult]) -> None:
    tables = [r.table for r in batch]
    for r in batch:
        r.table = None  # run_arrow releases the tables once dlt has them
    try:
        outcome = run_arrow(pipeline, RAW.resource(), tables)
    except AdwhError as exc:
        for r in batch:
            r.status, r.message, r.rows = "failed", str(exc), 0
    else:
        for r in batch:
            r.load_id = outcome.load_id
    ingestion_log.record(url, run_id, [r.log_entry() for r in batch])
