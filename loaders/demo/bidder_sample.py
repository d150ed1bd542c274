"""Deterministic sample bidder files (creative catalog + performance) and the demo's bidder step.

Same inputs, same bytes: every number comes from a RNG seeded by (client, creative, day).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random

CATALOG_HEADER = [
    "creative_id",
    "client_id",
    "creative_name",
    "campaign_name",
    "buyer_seat",
    "format",
    "destination_url",
]
DAILY_HEADER = ["creative_id", "date", "impressions", "clicks", "spend", "geography", "device_type"]
HOURLY_HEADER = [
    "creative_id",
    "date",
    "hour",
    "impressions",
    "clicks",
    "spend",
    "geography",
    "device_type",
]

COUNTRIES = ("US", "CA", "GB", "DE", "BR", "FR")
DEVICES = ("mobile", "desktop", "tablet", "ctv")
FORMATS = ("300x250", "728x90", "native", "video")


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))  # noqa: S311 - sample data


def catalog(client_id: str, first_id: int, campaigns: int = 2, per_campaign: int = 3) -> list[list]:
    """Catalog rows: creative_ids first_id, first_id + 1, ... across `campaigns` campaigns."""
    brand = client_id.capitalize()
    rows = []
    creative_id = first_id
    for c in range(1, campaigns + 1):
        campaign = f"{brand} {'Prospecting' if c % 2 else 'Retargeting'} Bidder {c}"
        for k in range(1, per_campaign + 1):
            fmt = FORMATS[(c + k) % len(FORMATS)]
            rows.append(
                [
                    creative_id,
                    client_id,
                    f"{brand} {fmt} creative {c}.{k}",
                    campaign,
                    f"seat-{client_id}-{c}",
                    fmt,
                    f"https://{client_id}.example/landing/{c}/{k}",
                ]
            )
            creative_id += 1
    return rows


def _measures(rng: random.Random, low: int, high: int) -> tuple[int, int, str]:
    impressions = rng.randint(low, high)
    clicks = int(impressions * rng.uniform(0.002, 0.015))
    spend = round(impressions / 1000 * rng.uniform(2.0, 9.0), 2)
    return impressions, clicks, f"{spend:.2f}"


def daily_rows(client_id: str, creative_ids: list[int], days: list[dt.date]) -> list[list]:
    """One row per creative x day x (country, device) pair the creative ran on that day."""
    rows = []
    for day in days:
        for creative_id in creative_ids:
            rng = _rng(client_id, creative_id, day.isoformat())
            pairs = sorted(
                {(rng.choice(COUNTRIES[:4]), rng.choice(DEVICES)) for _ in range(rng.randint(2, 4))}
            )
            for country, device in pairs:
                rows.append(
                    [creative_id, day.isoformat(), *_measures(rng, 800, 30_000), country, device]
                )
    return rows


def hourly_rows(client_id: str, creative_ids: list[int], days: list[dt.date]) -> list[list]:
    """24 rows per creative x day (one country and device)."""
    rows = []
    for day in days:
        for creative_id in creative_ids:
            rng = _rng(client_id, creative_id, day.isoformat(), "hourly")
            country, device = rng.choice(COUNTRIES[:4]), rng.choice(DEVICES[:2])
            for hour in range(24):
                rows.append(
                    [
                        creative_id,
                        day.isoformat(),
                        hour,
                        *_measures(rng, 50, 2_500),
                        country,
                        device,
                    ]
                )
    return rows


def to_csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# --- the demo's bidder step -----------------------------------------------------------------------


def demo_files(window: list[dt.date]) -> dict[str, bytes]:
    """Catalogs and performance files for acme and globex, in import order. Deliberate problems:
    acme's daily file has an unknown creative, a negative spend, clicks above impressions, an
    unknown country, a malformed number and a future date; acme's hourly file (last two days)
    supersedes the daily rows of those creative-days and has an hour 24; globex re-exports one
    day corrected (same keys: the corrected rows replace the first ones)."""
    acme, globex = catalog("acme", 910001), catalog("globex", 920001)
    acme_ids, globex_ids = [r[0] for r in acme], [r[0] for r in globex]
    d = window[-4].isoformat()
    future = (window[-1] + dt.timedelta(days=3)).isoformat()
    acme_daily = [
        *daily_rows("acme", acme_ids, window),
        [999999, d, 1000, 10, "5.00", "US", "mobile"],  # not in the catalog
        [acme_ids[0], d, 1000, 10, "-3.00", "IE", "mobile"],  # negative spend
        [acme_ids[1], d, 100, 250, "1.00", "NL", "desktop"],  # clicks > impressions
        [acme_ids[2], d, 1000, 5, "4.00", "ZZ", "mobile"],  # unknown country
        [acme_ids[3], d, "1O00", 5, "4.00", "ES", "mobile"],  # malformed number
        [acme_ids[4], future, 900, 9, "3.00", "US", "ctv"],  # dated after the load
    ]
    acme_hourly = [
        *hourly_rows("acme", acme_ids[:2], window[-2:]),
        [acme_ids[0], window[-2].isoformat(), 24, 100, 1, "0.50", "US", "mobile"],  # hour 24
    ]
    globex_daily = daily_rows("globex", globex_ids, window)
    restated = window[-5].isoformat()
    globex_corrected = [
        [cid, day, round(imps * 1.1), round(clicks * 1.1), f"{float(spend) * 1.1:.2f}", geo, dev]
        for cid, day, imps, clicks, spend, geo, dev in globex_daily
        if day == restated
    ]
    return {
        "creatives-acme.csv": to_csv(CATALOG_HEADER, acme),
        "creatives-globex.csv": to_csv(CATALOG_HEADER, globex),
        "performance-acme-daily.csv": to_csv(DAILY_HEADER, acme_daily),
        "performance-acme-hourly.csv": to_csv(HOURLY_HEADER, acme_hourly),
        "performance-globex-daily.csv": to_csv(DAILY_HEADER, globex_daily),
        "performance-globex-corrected.csv": to_csv(DAILY_HEADER, globex_corrected),
    }
