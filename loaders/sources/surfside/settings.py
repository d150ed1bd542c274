"""Surfside settings: `[sources.surfside]` the dlt way, and the S3 client they describe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loaders.core.errors import ConfigError, register_secret


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
