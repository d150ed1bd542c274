"""Surfside: daily report files per client in S3 (CSV or XLSX) -> `raw_surfside`.

One object per client and day, found with `key_pattern` (placeholders `{client}` and
`{date}`, e.g. `surfside/{client}/media-report-{date}.csv`; `{date:%Y%m%d}` for other date
spellings). A re-delivery may sit beside the original (`...-2026-01-05_v2.csv`, `.xlsx`
instead of `.csv`): every object whose name starts with the expected key's stem and ends in
.csv/.xlsx is a candidate and the newest by LastModified wins.

Each day's object is downloaded to a temporary file, checked whole and typed in record
batches into a local spool (`fetch`, `loaders.core.spool`); the accepted days are then
appended in one dlt load package: their rows to `daily_performance` (the file's columns +
`delivery_id`, `source_row_number`, `_dlt_load_id`) and one row per object to `deliveries`
(client, day, bucket, key, etag, size, ...). Staging counts only the current delivery of each
client x day (`loaders.core.deliveries`): a corrected re-delivery replaces the day, an object
already current is skipped without being downloaded, and the rows of replaced deliveries are
deleted once the new one is committed. Every day gets a line in the ingestion log.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pyarrow as pa

from loaders.core import deliveries, failures, ingestion_log
from loaders.core.errors import AdwhError
from loaders.core.pipeline import append_resource, run_data, source_pipeline
from loaders.core.spool import iter_spool
from loaders.sources.surfside.fetch import SCHEMA, SOURCE, TABLE, DayResult, fetch_day
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
    client_ids = list(dict.fromkeys(client_ids))
    days = list(dict.fromkeys(days))
    results: list[DayResult] = []
    batch: list[DayResult] = []

    with (
        source_pipeline(SOURCE, url) as pipeline,
        tempfile.TemporaryDirectory(prefix="adwh-surfside-") as tmp,
    ):
        # a warehouse gone before anything is written is reported for these clients and days
        shown = sorted(days)
        what = f"{SOURCE} for client {', '.join(sorted(client_ids))}, " + (
            f"day {shown[0]}" if len(shown) == 1 else f"days {shown[0]}..{shown[-1]}"
        )
        with failures.loading(what):
            deliveries.check_layout(url, SCHEMA, TABLE)
            ids = deliveries.prepare(url, SCHEMA, TABLE)
            current = deliveries.current(url, SCHEMA, client_ids, days)
        for client_id in client_ids:
            for day in days:
                previous = current.get((client_id, day))
                result = fetch_day(s3, settings, client_id, day, previous, Path(tmp), ids)
                results.append(result)
                if result.spool is not None:
                    batch.append(result)
                    if sum(r.rows for r in batch) >= settings.batch_rows:
                        _flush(pipeline, url, run_id, batch, settings.bucket, loaded_at)
                        batch = []
                else:
                    ingestion_log.record(url, run_id, [result.log_entry()])
        if batch:
            _flush(pipeline, url, run_id, batch, settings.bucket, loaded_at)
        deliveries.ensure_indexes(url, SCHEMA, TABLE)
    for r in results:
        echo(r.line())
    return results


def _spooled(batch: list[DayResult]):
    for r in batch:
        yield from iter_spool(r.spool)


def _deliveries_table(batch: list[DayResult], bucket: str, loaded_at: dt.datetime) -> pa.Table:
    timestamp = pa.timestamp("us", tz="UTC")
    types = {
        "delivery_id": pa.int64(),
        "client_id": pa.string(),
        "report_date": pa.date32(),
        "source_bucket": pa.string(),
        "source_key": pa.string(),
        "source_etag": pa.string(),
        "source_size": pa.int64(),
        "source_last_modified": timestamp,
        "row_count": pa.int64(),
        "loaded_at": timestamp,
    }
    values = {
        "delivery_id": [r.delivery_id for r in batch],
        "client_id": [r.client_id for r in batch],
        "report_date": [r.day for r in batch],
        "source_bucket": [bucket] * len(batch),
        "source_key": [r.key for r in batch],
        "source_etag": [r.etag for r in batch],
        "source_size": [r.size for r in batch],
        "source_last_modified": [r.last_modified for r in batch],
        "row_count": [r.rows for r in batch],
        "loaded_at": [loaded_at] * len(batch),
    }
    schema = pa.schema(
        [
            pa.field(name, type_, nullable=deliveries.COLUMNS[name]["nullable"])
            for name, type_ in types.items()
        ]
    )
    return pa.table(values, schema=schema)


def _flush(
    pipeline, url: str, run_id: str, batch: list[DayResult], bucket: str, loaded_at: dt.datetime
) -> None:
    data = [
        append_resource(TABLE, deliveries.ROW_COLUMNS, _spooled(batch)),
        append_resource(
            deliveries.TABLE, deliveries.COLUMNS, [_deliveries_table(batch, bucket, loaded_at)]
        ),
    ]
    what = failures.describe_tables(SOURCE, [_deliveries_table(batch, bucket, loaded_at)])
    try:
        outcome = run_data(pipeline, data, what=what)
    except AdwhError as exc:
        for r in batch:
            r.status, r.message, r.rows = "failed", str(exc), 0
    else:
        for r in batch:
            r.load_id = outcome.load_id
        deliveries.supersede(url, SCHEMA, TABLE, [(r.client_id, r.day) for r in batch])
    finally:
        for r in batch:
            r.spool.unlink(missing_ok=True)
            r.spool = None
    ingestion_log.record(url, run_id, [r.log_entry() for r in batch])
