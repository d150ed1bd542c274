"""Finding, reading and checking one Surfside delivery: (client, day) -> typed Arrow table."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import ClassVar

import pyarrow as pa

from loaders.core.errors import FileRejected, redact
from loaders.core.pipeline import (
    CLIENT_DAY_HINTS,
    ROW_HINTS,
    ClientDayTable,
    append_lineage,
    constant,
)
from loaders.core.results import DayAttempt
from loaders.core.tabular import DATE, DECIMAL, INT, TEXT, Column, read_strings, type_columns
from loaders.sources.surfside.settings import SurfsideSettings

log = logging.getLogger("adwh.surfside")

SOURCE = "surfside"

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
    **CLIENT_DAY_HINTS,
    "source_bucket": {"data_type": "text", "nullable": False},
    "source_key": {"data_type": "text", "nullable": False},
    "source_etag": {"data_type": "text", "nullable": True},
    "source_size": {"data_type": "bigint", "nullable": False},
    "source_last_modified": {"data_type": "timestamp", "nullable": True},
    **ROW_HINTS,
}
RAW = ClientDayTable(SOURCE, "daily_performance", LINEAGE_COLUMNS)


@dataclass
class DayResult(DayAttempt):
    source: ClassVar[str] = SOURCE

    key: str | None = None
    etag: str | None = None
    size: int | None = None
    table: pa.Table | None = None

    def origin(self) -> str:
        return f"{self.key}" + (f" ({self.message})" if self.message else "")

    def object_ref(self) -> tuple[str | None, str | None]:
        return self.key, self.etag


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
