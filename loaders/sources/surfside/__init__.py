"""Surfside: daily report files per client in S3 (CSV or XLSX) -> `raw_surfside.daily_performance`.

One object per client and day, found with `key_pattern` (placeholders `{client}` and
`{date}`, e.g. `surfside/{client}/media-report-{date}.csv`; `{date:%Y%m%d}` for other date
spellings). A re-delivery may sit beside the original (`...-2026-01-05_v2.csv`, `.xlsx`
instead of `.csv`): every object whose name starts with the expected key's stem and ends in
.csv/.xlsx is a candidate and the newest by LastModified wins.

Each day is fetched and checked on its own; the accepted days are then loaded together with
dlt `merge` / `delete-insert` on (client_id, report_date), so a day loaded twice keeps one
copy and a corrected re-delivery replaces the day. Every day gets a line in the ingestion log.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pyarrow as pa

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError, ConfigError, FileRejected, redact, register_secret
from loaders.core.pipeline import (
    append_lineage,
    constant,
    merge_resource,
    run_arrow,
    source_pipeline,
)
from loaders.core.tabular import DATE, DECIMAL, INT, TEXT, Column, read_strings, type_columns

log = logging.getLogger("adwh.surfside")

SOURCE = "surfside"
TABLE = "daily_performance"
MERGE_KEY = ("client_id", "report_date")

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

LINEAGE_COLUMNS = {
    "client_id": {"data_type": "text", "nullable": False},
    "report_date": {"data_type": "date", "nullable": False},
    "source_bucket": {"data_type": "text", "nullable": False},
    "source_key": {"data_type": "text", "nullable": False},
    "source_etag": {"data_type": "text", "nullable": True},
    "source_size": {"data_type": "bigint", "nullable": False},
    "source_last_modified": {"data_type": "timestamp", "nullable": True},
    "source_row_number": {"data_type": "bigint", "nullable": False},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
}


@dataclass(frozen=True)
class SurfsideSettings:
    bucket: str
    key_pattern: str
    endpoint_url: str | None = None
    region_name: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    max_file_mb: float = 500.0
    max_attempts: int = 5
    read_timeout: float = 60.0
    batch_rows: int = 2_000_000

    def key_for(self, client_id: str, day: dt.date) -> str:
        try:
            return self.key_pattern.format(client=client_id, date=day)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(
                f"sources.surfside.key_pattern {self.key_pattern!r} is invalid: "
                f"only {{client}} and {{date}} placeholders are known ({exc})"
            ) from None


@dataclass
class DayResult:
    client_id: str
    day: dt.date
    status: str
    key: str | None = None
    etag: str | None = None
    size: int | None = None
    rows: int = 0
    message: str = ""
    started_at: dt.datetime = field(default_factory=ingestion_log.utcnow)
    table: pa.Table | None = None
    load_id: str | None = None

    def line(self) -> str:
        where = f" {self.key}" if self.key else ""
        if self.status == "loaded":
            text = f"{self.day} {self.client_id}: loaded {self.rows:,} rows from{where}"
            return text + (f" ({self.message})" if self.message else "")
        return f"{self.day} {self.client_id}: {self.status}: {self.message}".rstrip()


def load_settings() -> SurfsideSettings:
    """`[sources.surfside]` from .dlt/config.toml + secrets.toml, or SOURCES__SURFSIDE__* env."""
    import dlt

    def get(name: str, secret: bool = False):
        provider = dlt.secrets if secret else dlt.config
        return provider.get(f"sources.surfside.{name}")

    bucket, pattern = get("bucket"), get("key_pattern")
    if not bucket:
        raise ConfigError(
            "sources.surfside.bucket is not set (.dlt/config.toml or SOURCES__SURFSIDE__BUCKET)"
        )
    if not pattern or "{client}" not in pattern or "{date" not in pattern:
        raise ConfigError(
            "sources.surfside.key_pattern must contain {client} and {date}, e.g. "
            "surfside/{client}/media-report-{date}.csv"
        )
    settings = SurfsideSettings(
        bucket=str(bucket),
        key_pattern=str(pattern),
        endpoint_url=get("endpoint_url"),
        region_name=get("region_name"),
        aws_access_key_id=get("aws_access_key_id", secret=True),
        aws_secret_access_key=get("aws_secret_access_key", secret=True),
        aws_session_token=get("aws_session_token", secret=True),
        max_file_mb=float(get("max_file_mb") or 500),
        max_attempts=int(get("max_attempts") or 5),
        read_timeout=float(get("read_timeout") or 60),
    )
    for secret in (
        settings.aws_secret_access_key,
        settings.aws_session_token,
        settings.aws_access_key_id,
    ):
        register_secret(secret)
    return settings


def s3_client(settings: SurfsideSettings):
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"total_max_attempts": settings.max_attempts, "mode": "standard"},
        connect_timeout=10,
        read_timeout=settings.read_timeout,
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region_name or "us-east-1",
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
        aws_session_token=settings.aws_session_token,
        config=config,
    )


# --- finding and reading one day's object -----------------------------------------------------

_DELIVERY_SUFFIX = re.compile(r"^[^/]*\.(csv|xlsx)$", re.I)


def _stem(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    return key[: -len(suffix)] if suffix in (".csv", ".xlsx") else key


def find_object(s3, settings: SurfsideSettings, client_id: str, day: dt.date):
    """The object delivered for (client, day) or None; also returns a note on ignored ones."""
    expected = settings.key_for(client_id, day)
    stem = _stem(expected)
    candidates = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.bucket, Prefix=stem):
        for obj in page.get("Contents", []):
            if _DELIVERY_SUFFIX.match(obj["Key"][len(stem) :]):
                candidates.append(obj)
    if not candidates:
        return None, expected, ""
    candidates.sort(key=lambda o: (o["LastModified"], o["Key"]), reverse=True)
    chosen = candidates[0]
    note = ""
    if len(candidates) > 1:
        others = "; ".join(
            f"{o['Key']} ({o['LastModified']:%Y-%m-%d %H:%M:%S})" for o in candidates[1:]
        )
        note = (
            f"{len(candidates)} deliveries, newest wins: {chosen['Key']} "
            f"({chosen['LastModified']:%Y-%m-%d %H:%M:%S}); ignored {others}"
        )
        log.info("%s %s: %s", client_id, day, note)
    return chosen, expected, note


def _download(s3, settings: SurfsideSettings, key: str) -> bytes:
    """GET with bounded retries around the body read (botocore retries the request itself)."""
    from botocore.exceptions import (
        ConnectionClosedError,
        EndpointConnectionError,
        IncompleteReadError,
        ReadTimeoutError,
        ResponseStreamingError,
    )

    transient = (
        ReadTimeoutError,
        ConnectionClosedError,
        EndpointConnectionError,
        IncompleteReadError,
        ResponseStreamingError,
    )
    attempts = max(1, settings.max_attempts)
    for attempt in range(1, attempts + 1):
        try:
            return s3.get_object(Bucket=settings.bucket, Key=key)["Body"].read()
        except transient as exc:
            if attempt == attempts:
                raise
            delay = min(20.0, 0.5 * 2 ** (attempt - 1))
            log.warning(
                "reading s3://%s/%s failed (%s); retry %d/%d in %.1fs",
                settings.bucket,
                key,
                type(exc).__name__,
                attempt,
                attempts - 1,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def fetch_day(
    s3, settings: SurfsideSettings, client_id: str, day: dt.date, loaded_at: dt.datetime
) -> DayResult:
    from botocore.exceptions import BotoCoreError, ClientError

    result = DayResult(client_id, day, "failed")
    try:
        obj, expected, note = find_object(s3, settings, client_id, day)
        if obj is None:
            result.status, result.key = "missing_file", expected
            result.message = f"no object s3://{settings.bucket}/{_stem(expected)}.(csv|xlsx)"
            return result
        result.key, result.etag, result.size = (
            obj["Key"],
            obj.get("ETag", "").strip('"'),
            obj["Size"],
        )
        result.message = note
        location = f"s3://{settings.bucket}/{obj['Key']}"
        if obj["Size"] > settings.max_file_mb * 1024 * 1024:
            raise FileRejected(
                location,
                f"{obj['Size'] / 1048576:.1f} MB is over the "
                f"{settings.max_file_mb:g} MB limit (sources.surfside.max_file_mb)",
            )
        data = _download(s3, settings, obj["Key"])
        sheet = read_strings(data, location)
        del data  # the text copies in `sheet` are all that is needed from here on
        typed = type_columns(sheet, SPEC)
        result.table = _with_lineage(
            typed, sheet.row_numbers, client_id, day, settings.bucket, obj, loaded_at
        )
        del sheet, typed
        result.rows = result.table.num_rows
        result.status = "loaded"  # provisional: becomes final once dlt has committed
    except FileRejected as exc:
        result.status, result.message = "rejected", str(exc)
    except (ClientError, BotoCoreError) as exc:
        result.status, result.message = "failed", f"S3 error: {redact(str(exc))}"
    return result


def _with_lineage(
    typed: pa.Table,
    row_numbers: pa.Array,
    client_id: str,
    day: dt.date,
    bucket: str,
    obj: dict,
    loaded_at: dt.datetime,
) -> pa.Table:
    n = typed.num_rows
    etag = obj.get("ETag", "").strip('"')
    return append_lineage(
        typed,
        LINEAGE_COLUMNS,
        {
            "client_id": constant(client_id, pa.string(), n),
            "report_date": constant(day, pa.date32(), n),
            "source_bucket": constant(bucket, pa.string(), n),
            "source_key": constant(obj["Key"], pa.string(), n),
            "source_etag": constant(etag, pa.string(), n),
            "source_size": constant(obj["Size"], pa.int64(), n),
            "source_last_modified": constant(
                obj.get("LastModified"), pa.timestamp("us", tz="UTC"), n
            ),
            "source_row_number": row_numbers,
            "loaded_at": constant(loaded_at, pa.timestamp("us", tz="UTC"), n),
        },
    )


# --- loading ----------------------------------------------------------------------------------


_resource = merge_resource(TABLE, MERGE_KEY, LINEAGE_COLUMNS)


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    if last < first:
        raise ConfigError(f"--from {first} is after --to {last}")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


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
                    _finish(url, run_id, [result])
        if batch:
            _flush(pipeline, url, run_id, batch)
    _ensure_indexes(url)
    for r in results:
        echo(r.line())
    return results


def _flush(pipeline, url: str, run_id: str, batch: list[DayResult]) -> None:
    tables = [r.table for r in batch]
    for r in batch:
        r.table = None  # run_arrow releases the tables once dlt has them
    try:
        outcome = run_arrow(pipeline, _resource, tables)
    except AdwhError as exc:
        for r in batch:
            r.status, r.message, r.rows = "failed", str(exc), 0
    else:
        for r in batch:
            r.load_id = outcome.load_id
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


def _ensure_indexes(url: str) -> None:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('raw_surfside.daily_performance')")
        if cur.fetchone()[0] is None:
            return
        cur.execute(
            "create index if not exists daily_performance_client_day "
            "on raw_surfside.daily_performance (client_id, report_date)"
        )
