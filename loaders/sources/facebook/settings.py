"""Names and settings of the Facebook source: `raw_facebook`, `[sources.facebook]`."""

from __future__ import annotations

from dataclasses import dataclass

from loaders.core.errors import ConfigError

SOURCE = "facebook"
DATASET = "raw_facebook"
TABLE = "ad_daily"
MERGE_KEY = ("client_id", "report_date")


@dataclass(frozen=True)
class FacebookSettings:
    max_upload_mb: float = 50.0


def load_settings() -> FacebookSettings:
    """`[sources.facebook]` from .dlt/config.toml, or SOURCES__FACEBOOK__* env vars."""
    import dlt

    raw = dlt.config.get("sources.facebook.max_upload_mb")
    try:
        limit = float(raw) if raw is not None else 50.0
    except (TypeError, ValueError):
        raise ConfigError(f"sources.facebook.max_upload_mb must be a number, not {raw!r}") from None
    if limit <= 0:
        raise ConfigError("sources.facebook.max_upload_mb must be positive")
    return FacebookSettings(max_upload_mb=limit)
