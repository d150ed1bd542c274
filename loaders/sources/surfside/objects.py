"""Surfside objects in S3: settings, the client, finding a day's delivery, downloading it."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from loaders.core.errors import ConfigError, register_secret

log = logging.getLogger("adwh.surfside")

CHUNK_BYTES = 8 << 20


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
