"""Deterministic sample Facebook Ads Manager exports for the demo.

Same window of days, same figures: every number comes from a RNG seeded by (client, ad, day).
The files look like what people really upload: a CSV saved from Ads
Manager with a UTF-8 BOM, CRLF line ends, `Amount spent (USD)`, thousands separators and the
summary row Ads Manager puts on top; an XLSX with a `Day` breakdown and real number cells; and
a period export (no daily breakdown), which the loader must refuse.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import re
import zipfile
from dataclasses import dataclass

CAMPAIGNS = {
    "Holiday Sale, US": ("Lookalike 1%", "Retargeting 30d"),
    "Brand Awareness Q4": ("Broad 18-65", "Interests: Streaming"),
}
ADS = ("Video 15s", "Carousel 3 cards")


@dataclass(frozen=True)
class AdDay:
    day: dt.date
    campaign: str
    ad_set: str
    ad: str
    impressions: int
    reach: int
    link_clicks: int
    clicks_all: int
    spend: float
    results: int
    purchase_value: float


def _rng(*parts: object) -> random.Random:
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))  # noqa: S311 - sample data


def ad_days(client_id: str, days: list[dt.date], variant: str = "") -> list[AdDay]:
    rows = []
    for day in days:
        for campaign, ad_sets in CAMPAIGNS.items():
            for ad_set in ad_sets:
                for ad in ADS:
                    rng = _rng(client_id, campaign, ad_set, ad, day.isoformat(), variant)
                    impressions = rng.randint(2_000, 40_000)
                    link_clicks = int(impressions * rng.uniform(0.004, 0.02))
                    results = int(link_clicks * rng.uniform(0.0, 0.08))
                    rows.append(
                        AdDay(
                            day=day,
                            campaign=campaign,
                            ad_set=ad_set,
                            ad=ad,
                            impressions=impressions,
                            reach=int(impressions / rng.uniform(1.05, 1.6)),
                            link_clicks=link_clicks,
                            clicks_all=int(link_clicks * rng.uniform(1.2, 2.0)),
                            spend=round(impressions / 1000 * rng.uniform(6, 14), 2),
                            results=results,
                            purchase_value=round(results * rng.uniform(30, 120), 2),
                        )
                    )
    return rows


CSV_HEADER = [
    "Reporting starts",
    "Reporting ends",
    "Campaign name",
    "Ad set name",
    "Ad name",
    "Delivery status",
    "Result indicator",
    "Results",
    "Reach",
    "Frequency",
    "Impressions",
    "Amount spent (USD)",
    "CPM (cost per 1,000 impressions) (USD)",
    "Link clicks",
    "CTR (link click-through rate)",
    "Clicks (all)",
    "Purchases conversion value",
]


def _blank_if_zero(text: str, value: float) -> str:
    return text if value else ""  # Ads Manager leaves zero results blank


def to_ads_manager_csv(rows: list[AdDay], first: dt.date, last: dt.date) -> bytes:
    """A daily export (Reporting starts = Reporting ends) with the summary row on top."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    imps = sum(r.impressions for r in rows)
    spend = sum(r.spend for r in rows)
    links = sum(r.link_clicks for r in rows)
    results = sum(r.results for r in rows)
    writer.writerow(
        [
            first.isoformat(),
            last.isoformat(),
            "",
            "",
            "",
            "",
            "",
            f"{results:,}",
            "",  # reach does not add up: Ads Manager shows the deduplicated figure
            "",
            f"{imps:,}",
            f"{spend:,.2f}",
            f"{spend / imps * 1000:,.2f}",
            f"{links:,}",
            f"{links / imps * 100:.2f}",
            f"{sum(r.clicks_all for r in rows):,}",
            f"{sum(r.purchase_value for r in rows):,.2f}",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.day.isoformat(),
                r.day.isoformat(),
                r.campaign,
                r.ad_set,
                r.ad,
                "active",
                "actions:offsite_conversion.fb_pixel_purchase",
                _blank_if_zero(f"{r.results:,}", r.results),
                f"{r.reach:,}",
                f"{r.impressions / r.reach:.2f}",
                f"{r.impressions:,}",
                f"{r.spend:,.2f}",
                f"{r.spend / r.impressions * 1000:,.2f}",
                f"{r.link_clicks:,}",
                f"{r.link_clicks / r.impressions * 100:.2f}",
                f"{r.clicks_all:,}",
                _blank_if_zero(f"{r.purchase_value:,.2f}", r.purchase_value),
            ]
        )
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


XLSX_HEADER = [
    "Day",
    "Campaign name",
    "Ad set name",
    "Ad name",
    "Reach",
    "Impressions",
    "Amount spent (USD)",
    "Link clicks",
    "Clicks (all)",
    "Results",
    "Purchases conversion value",
]


def to_ads_manager_xlsx(rows: list[AdDay], blank_ad_set_at: int | None = None) -> bytes:
    """A `Day`-breakdown export as Excel: real date and number cells.

    `blank_ad_set_at`: index of a row whose ad set name is left empty (a planted problem)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Raw Data Report")
    sheet.append(XLSX_HEADER)
    for i, r in enumerate(rows):
        sheet.append(
            [
                r.day,
                r.campaign,
                None if i == blank_ad_set_at else r.ad_set,
                r.ad,
                r.reach,
                r.impressions,
                r.spend,
                r.link_clicks,
                r.clicks_all,
                r.results or None,
                r.purchase_value or None,
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return _repeatable(out.getvalue(), max(r.day for r in rows))


def _repeatable(xlsx: bytes, day: dt.date) -> bytes:
    """The same workbook bytes on every run: openpyxl stamps the save time into the document
    properties and the zip entries; use the export's last day instead."""
    stamp = f"{day.isoformat()}T06:00:00Z".encode()
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp, body)
            entry = zipfile.ZipInfo(info.filename, date_time=(*day.timetuple()[:3], 6, 0, 0))
            target.writestr(entry, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def to_period_csv(rows: list[AdDay], first: dt.date, last: dt.date) -> bytes:
    """One row per ad for the whole period: what an export without a daily breakdown holds."""
    totals: dict[tuple[str, str, str], list[int | float]] = {}
    for r in rows:
        t = totals.setdefault((r.campaign, r.ad_set, r.ad), [0, 0, 0.0])
        t[0] += r.impressions
        t[1] += r.link_clicks
        t[2] += r.spend
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_HEADER[:5], "Impressions", "Link clicks", "Amount spent (USD)"])
    for (campaign, ad_set, ad), (imps, links, spend) in totals.items():
        writer.writerow(
            [first, last, campaign, ad_set, ad, f"{imps:,}", f"{links:,}", f"{spend:,.2f}"]
        )
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def demo_exports(client_id: str, window: list[dt.date]) -> list[tuple[str, bytes]]:
    """(file name, bytes) in upload order: the CSV covers the first 18 days of the window, the
    XLSX the last 15 (so 3 days overlap: the newer XLSX replaces them), then the CSV again
    (a no-op) and a period export (refused)."""
    csv_days, xlsx_days = window[:18], window[-15:]
    csv_body = to_ads_manager_csv(ad_days(client_id, csv_days), csv_days[0], csv_days[-1])
    return [
        (f"{client_id}-ads-manager-{csv_days[0]}-{csv_days[-1]}.csv", csv_body),
        (
            f"{client_id}-ads-manager-by-day-{xlsx_days[0]}-{xlsx_days[-1]}.xlsx",
            to_ads_manager_xlsx(ad_days(client_id, xlsx_days, "v2"), blank_ad_set_at=20),
        ),
        (f"{client_id}-ads-manager-{csv_days[0]}-{csv_days[-1]} (copy).csv", csv_body),
        (
            f"{client_id}-ads-manager-last-7-days.csv",
            to_period_csv(ad_days(client_id, window[-7:]), window[-7], window[-1]),
        ),
    ]
