"""Deterministic sample Surfside deliveries for the demo, tests and benchmarks.

Same inputs, same bytes: every number comes from a RNG seeded by (client, date), so a demo
run on any machine produces the same files for the same window of days.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
from dataclasses import dataclass

HEADER = [
    "Date",
    "Campaign",
    "Strategy",
    "Placement",
    "Creative",
    "Impressions",
    "Clicks",
    "Conversions",
    "Conversion Revenue",
    "CTR",
]


@dataclass(frozen=True)
class Delivery:
    key: str
    body: bytes


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))  # noqa: S311 - sample data


def hierarchy(
    client_id: str, campaigns: int = 3, strategies: int = 2, placements: int = 2, creatives: int = 3
) -> list[tuple[str, str, str, str]]:
    """(campaign, strategy, placement, creative) paths of a client's media plan."""
    brand = client_id.capitalize()
    paths = []
    for c in range(1, campaigns + 1):
        campaign = f"{brand} Q4 Prospecting {c}" if c % 2 else f"{brand} Retargeting {c}"
        for s in range(1, strategies + 1):
            strategy = f"{['Contextual', 'Audience', 'Geo'][s % 3]} {c}.{s}"
            for p in range(1, placements + 1):
                placement = f"{['Display 300x250', 'Display 728x90', 'Native'][p % 3]} #{p}"
                for k in range(1, creatives + 1):
                    paths.append((campaign, strategy, placement, f"{brand} Creative {c}{s}{p}{k}"))
    return paths


def day_rows(
    client_id: str, day: dt.date, paths: list[tuple[str, str, str, str]], variant: str = ""
) -> list[list[object]]:
    """One day's report rows: [date, campaign, strategy, placement, creative, metrics...]."""
    rng = _rng(client_id, day.isoformat(), variant)
    rows = []
    for campaign, strategy, placement, creative in paths:
        impressions = rng.randint(800, 25_000)
        if campaign.endswith("Prospecting 3"):
            # a campaign that spends without results: mart_underperformers lists it
            clicks = int(impressions * rng.uniform(0.0005, 0.003))
            conversions = int(clicks * rng.uniform(0.0, 0.002))
        else:
            clicks = int(impressions * rng.uniform(0.001, 0.012))
            conversions = int(clicks * rng.uniform(0.0, 0.15))
        revenue = round(conversions * rng.uniform(20, 90), 2)
        ctr = f"{clicks / impressions:.4%}" if impressions else ""
        rows.append(
            [
                day.isoformat(),
                campaign,
                strategy,
                placement,
                creative,
                impressions,
                clicks,
                conversions,
                revenue,
                ctr,
            ]
        )
    return rows


def to_csv(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Report")
    sheet.append(header)
    for date, *rest in rows:
        # a real Excel date cell, as vendors' XLSX exports have
        sheet.append([dt.date.fromisoformat(date) if isinstance(date, str) else date, *rest])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
