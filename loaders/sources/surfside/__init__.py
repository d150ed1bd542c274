"""Surfside: daily report files per client in S3 (CSV or XLSX) -> `raw_surfside`.

One object per client and day, found with `key_pattern` (placeholders `{client}` and
`{date}`, e.g. `surfside/{client}/media-report-{date}.csv`; `{date:%Y%m%d}` for other date
spellings). A re-delivery may sit beside the original (`...-2026-01-05_v2.csv`, `.xlsx`
instead of `.csv`): every object whose name starts with the expected key's stem and ends in
.csv/.xlsx is a candidate and the newest by LastModified wins.

Each day's object is downloaded to a temporary file, checked whole and typed in record
batches into a local spool (`loaders.core.spool`); the accepted days are then appended in one
dlt load package: their rows to `daily_performance` (the file's columns + `delivery_id`,
`source_row_number`, `_dlt_load_id`) and one row per object to `deliveries` (client, day,
bucket, key, etag, size, ...). Staging counts only the current delivery of each client x day
(`loaders.core.deliveries`): a corrected re-delivery replaces the day, an object already
current is skipped without being downloaded, and the rows of replaced deliveries are deleted
once the new one is committed. Every day gets a line in the ingestion log.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyarrow as pa

from loaders.core import deliveries, ingestion_log
from loaders.core.errors import AdwhError, ConfigError, FileRejected, redact
from loaders.core.pipeline import append_lineage, append_resource, run_data, source_pipeline
from loaders.core.spool import iter_spool, spool_delivery
from loaders.core.tabular import DATE, DECIMAL, INT, TEXT, Column
from loaders.sources.surfside.objects import (
    SurfsideSettings,
    download,
    find_object,
    load_settings,
    s3_client,
    stem,
)

__all__ = ["SPEC", "SurfsideSettings", "days_between", "load", "load_settings", "s3_client"]

log = logging.getLogger("adwh.surfside")

SOURCE = "surfside"
SCHEMA = "raw_surfside"
TABLE = "daily_performance"

SPEC = [
    Column("date", DATE, aliases=("day", "report date")),
    Column("campaign", TEXT, aliases=("campaign name",)),
    Column("strategy", TEXT, aliases=("strategy name",)),
    Column("placement", TEXT, aliases=("placement name",)),
    Column("creative", TEXT, aliases=("creative name",)),
    Column("impressions", INT, aliases=("imps",)),
    Column("clicks", INT),
    Column("conversions", DECIMAL),
    Column("conversion_revenue", DECIMAL, aliases=("revenue", "conv revenue")),
    # CTR is recomputed downstream; the vendor's figure is kept as delivered text.
    Column("ctr", TEXT, required=False),
]


@dataclass
class DayResult:
    client_id: str
    day: dt.date
    status: str
    key: str | None = None
    etag: str | None = None
    size: int | None = None
    last_modified: dt.datetime | None = None
    rows: int = 0
    message: str = ""
    started_at: dt.datetime = field(default_factory=ingestion_log.utcnow)
    delivery_id: int | None = None
    spool: Path | None = None
    load_id: str | None = None

    def line(self) -> str:
        where = f" {self.key}" if self.key else ""
        if self.status == "loaded":
            text = f"{self.day} {self.client_id}: loaded {self.rows:,} rows from{where}"
            return text + (f" ({self.message})" if self.message else "")
        return f"{self.day} {self.client_id}: {self.status}: {self.message}".rstrip()


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    if last < first:
        raise ConfigError(f"--from {first} is after --to {last}")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def fetch_day(
    s3,
    settings: SurfsideSettings,
    client_id: str,
    day: dt.date,
    previous: deliveries.Delivery | None,
    workdir: Path,
    ids: deliveries.IdAllocator,
) -> DayResult:
    """Find, download, check and spool one day's object (or skip it when already current)."""
    from botocore.exceptions import BotoCoreError, ClientError

    result = DayResult(client_id, day, "failed")
    try:
        obj, expected, note = find_object(s3, settings, client_id, day)
        if obj is None:
            result.status, result.key = "missing_file", expected
            result.message = f"no object s3://{settings.bucket}/{stem(expected)}.(csv|xlsx)"
            return result
        result.key, result.size = obj["Key"], obj["Size"]
        result.etag = obj.get("ETag", "").strip('"')
        result.last_modified = obj.get("LastModified")
        result.message = note
        if previous and previous.same_object(settings.bucket, result.key, result.etag, result.size):
            result.status, result.load_id = "skipped", previous.load_id
            result.message = f"{result.key} unchanged since load {previous.load_id}"
            return result
        location = f"s3://{settings.bucket}/{obj['Key']}"
        if obj["Size"] > settings.max_file_mb * 1024 * 1024:
            raise FileRejected(
                location,
                f"{obj['Size'] / 1048576:.1f} MB is over the "
                f"{settings.max_file_mb:g} MB limit (sources.surfside.max_file_mb)",
            )
        delivery_id = ids.next()
        downloaded = workdir / f"{delivery_id}{PurePosixPath(obj['Key']).suffix.lower()}"
        spool = workdir / f"{delivery_id}.arrow"
        try:
            download(s3, settings, obj["Key"], downloaded)
            result.rows = spool_delivery(downloaded, location, SPEC, spool, _lineage(delivery_id))
        finally:
            downloaded.unlink(missing_ok=True)
        result.delivery_id, result.spool = delivery_id, spool
        result.status = "loaded"  # provisional: becomes final once dlt has committed
    except FileRejected as exc:
        result.status, result.message = "rejected", str(exc)
    except (ClientError, BotoCoreError) as exc:
        result.status, result.message = "failed", f"S3 error: {redact(str(exc))}"
    return result


def _lineage(delivery_id: int):
    def add(typed: pa.Table, row_numbers: pa.Array) -> pa.Table:
        ids = pa.repeat(pa.scalar(delivery_id, pa.int64()), typed.num_rows)
        return append_lineage(
            typed,
            deliveries.ROW_COLUMNS,
            {"delivery_id": ids, "source_row_number": row_numbers},
        )

    return add


# --- loading ----------------------------------------------------------------------------------


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
                    _finish(url, run_id, [result])
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
    try:
        outcome = run_data(pipeline, data)
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
    _finish(url, run_id, batch)


def _finish(url: str, run_id: str, results: list[DayResult]) -> None:
    ingestion_log.record(
        url,
        run_id,
        [
            ingestion_log.LogEntry(
                source=SOURCE,
                status=r.status,
                client_id=r.client_id,
                report_date=r.day,
                object_key=r.key,
                object_version=r.etag,
                rows_loaded=r.rows if r.status == "loaded" else None,
                message=r.message or None,
                load_id=r.load_id,
                started_at=r.started_at,
            )
            for r in results
        ],
    )
