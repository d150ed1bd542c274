"""Surfside settings for the session's local S3 server (moto), shared by warehouse tests."""

from __future__ import annotations

from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET
from loaders.sources import surfside

KEY_PATTERN = "surfside/{client}/media-report-{date}.csv"


def local_settings(s3, bucket: str, key_pattern: str = KEY_PATTERN) -> surfside.SurfsideSettings:
    return surfside.SurfsideSettings(
        bucket=bucket,
        key_pattern=key_pattern,
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=LOCAL_KEY_ID,
        aws_secret_access_key=LOCAL_SECRET,
    )
