"""Point `adwh load surfside` (its dlt config, by env vars) at moto's S3 server."""

from __future__ import annotations

from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET


def surfside_env(monkeypatch, s3, bucket: str, pattern: str) -> None:
    for key, value in {
        "SOURCES__SURFSIDE__BUCKET": bucket,
        "SOURCES__SURFSIDE__KEY_PATTERN": pattern,
        "SOURCES__SURFSIDE__ENDPOINT_URL": s3.endpoint_url,
        "SOURCES__SURFSIDE__AWS_ACCESS_KEY_ID": LOCAL_KEY_ID,
        "SOURCES__SURFSIDE__AWS_SECRET_ACCESS_KEY": LOCAL_SECRET,
    }.items():
        monkeypatch.setenv(key, value)
