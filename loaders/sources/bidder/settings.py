"""Names and settings of the bidder source: `raw_bidder`, `[sources.bidder]`."""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "bidder"  # the source name in the warehouse (fact, quarantine, ingestion log)
DATASET = "bidder"  # raw schema raw_bidder, dlt pipeline adwh_bidder
CATALOG_TABLE = "creatives"
PERFORMANCE_TABLE = "creative_performance"
SUMMARY_LIMIT = 100  # rejections listed per file (the counts cover every row)

DEVICE_TYPES = ("mobile", "desktop", "tablet", "ctv", "other")


@dataclass(frozen=True)
class PerformanceSettings:
    max_file_mb: float = 500.0


def load_settings() -> PerformanceSettings:
    """`[sources.bidder]` from .dlt/config.toml or SOURCES__BIDDER__* env vars."""
    import dlt

    value = dlt.config.get("sources.bidder.max_file_mb")
    return PerformanceSettings(max_file_mb=float(value or 500))
