"""One Surfside delivery in S3: finding a day's object, downloading it, spooling it typed.

`fetch_day` finds the object of (client, day), skips it when it is already the current
delivery, otherwise downloads it to a temporary file and checks and types it in record batches
into a local spool (`loaders.core.spool`) that the loader hands to dlt.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

import pyarrow as pa

from loaders.core import deliveries
from loaders.core.errors import FileRejected, redact
from loaders.core.pipeline import append_lineage
from loaders.core.results import DayAttempt
from loaders.core.spool import spool_delivery
from loaders.core.tabular import DATE, DECIMAL, INT, TEXT, Column
from loaders.sources.surfside.settings import SurfsideSettings

log = logging.getLogger("adwh.surfside")

SOURCE = "surfside"
SCHEMA = "raw_surfside"
TABLE = "daily_performance"
CHUNK_BYTES = 8 << 20

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
class DayResult(DayAttempt):
    source: ClassVar[str] = SOURCE

    key: str | None = None
    etag: str | None = None
    size: int | None = None
    last_modified: dt.datetime | None = None
    delivery_id: int | None = None
    spool: Path | None = None

    def origin(self) -> str:
        return f"{self.key}" + (f" ({self.message})" if self.message else "")

    def object_ref(self) -> tuple[str | None, str | None]:
        return self.key, self.etag


_DELIVERY_SUFFIX = re.compile(r"^[^/]*\.(csv|xlsx)$", re.I)


def stem(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    return key[: -len(suffix)] if suffix in (".csv", ".xlsx") else key


def find_object(s3, settings: SurfsideSettings, client_id: str, day: dt.date):
    """The object delivered for (client, day) or None; also returns a note on ignored ones."""
    expected = settings.key_for(client_id, day)
    prefix = stem(expected)
    candidates = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=settings.bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if _DELIVERY_SUFFIX.match(obj["Key"][len(prefix) :]):
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


def download(s3, settings: SurfsideSettings, key: str, target: Path) -> None:
    """GET the object into `target` in chunks, with bounded retries around the body read
    (botocore retries the request itself); a retry starts the file over."""
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
            body = s3.get_object(Bucket=settings.bucket, Key=key)["Body"]
            with target.open("wb") as out:
                for chunk in body.iter_chunks(chunk_size=CHUNK_BYTES):
                    out.write(chunk)
            return
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
