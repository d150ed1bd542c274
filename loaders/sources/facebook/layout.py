"""What a Facebook export's header says: the known columns, their spellings and types, and
which column each measure comes from (`Layout`)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from loaders.core.errors import FileRejected
from loaders.core.hints import column_hints
from loaders.core.tabular import (
    DATE,
    DECIMAL,
    INT,
    TEXT,
    Column,
    RawSheet,
    header_key_of,
    match_columns,
)

# Every column adwh knows, typed. All are optional to tabular: which ones a file must have is
# decided in `file_layout` (several alternatives exist). A column of the file not listed here is
# kept as text under its snake_case name.
SPEC: list[Column] = [
    Column("reporting_starts", DATE, required=False),
    Column("reporting_ends", DATE, required=False),
    Column("day", DATE, required=False, aliases=("date",)),
    Column("campaign_name", TEXT, required=False, aliases=("campaign",)),
    Column("ad_set_name", TEXT, required=False, aliases=("ad set", "adset name", "adset")),
    Column("ad_name", TEXT, required=False, aliases=("ad",)),
    Column("impressions", INT, required=False),
    Column("reach", INT, required=False),
    Column("frequency", DECIMAL, required=False),
    Column("clicks", INT, required=False),
    Column("link_clicks", INT, required=False),
    Column("clicks_all", INT, required=False, aliases=("clicks (all)",)),
    Column("conversions", DECIMAL, required=False),
    Column("results", DECIMAL, required=False, aliases=("result",)),
    Column("revenue", DECIMAL, required=False, aliases=("conversion revenue",)),
    Column(
        "purchases_conversion_value",
        DECIMAL,
        required=False,
        aliases=("purchase conversion value",),
    ),
    Column(
        "website_purchases_conversion_value",
        DECIMAL,
        required=False,
        aliases=("website purchase conversion value",),
    ),
    Column(
        "meta_purchases_conversion_value",
        DECIMAL,
        required=False,
        aliases=("on-facebook purchases conversion value", "meta purchase conversion value"),
    ),
    Column(
        "in_app_purchases_conversion_value",
        DECIMAL,
        required=False,
        aliases=("mobile app purchases conversion value",),
    ),
    Column("offline_purchases_conversion_value", DECIMAL, required=False),
    Column("amount_spent", DECIMAL, required=False, aliases=("spend",)),
]

# Money columns may carry the currency in the header: `Amount spent (EUR)`.
CURRENCY_COLUMNS = {
    "amount_spent",
    "revenue",
    "purchases_conversion_value",
    "website_purchases_conversion_value",
    "meta_purchases_conversion_value",
    "in_app_purchases_conversion_value",
    "offline_purchases_conversion_value",
}
_CURRENCY_SUFFIX = re.compile(r"^(?P<base>.*?)\s*\((?P<currency>[A-Z]{3})\)\s*$")

# Which column a measure comes from: the first one the file has. Staging maps these raw column
# names back to values (macros/facebook.sql); an accepted_values test guards the contract.
CLICKS_FROM = ("clicks", "link_clicks", "clicks_all")
CONVERSIONS_FROM = ("conversions", "results")
REVENUE_FROM = (
    "revenue",
    "purchases_conversion_value",
    "website_purchases_conversion_value",
    "meta_purchases_conversion_value",
    "in_app_purchases_conversion_value",
    "offline_purchases_conversion_value",
)

# Names as people see them in Ads Manager / the template, for messages.
LABELS = {
    "day": "Day",
    "reporting_starts": "Reporting starts",
    "reporting_ends": "Reporting ends",
    "campaign_name": "Campaign name",
    "ad_set_name": "Ad set name",
    "ad_name": "Ad name",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "link_clicks": "Link clicks",
    "clicks_all": "Clicks (all)",
}

LINEAGE_COLUMNS = column_hints(
    "client_id text!, report_date date!, upload_id text!, source_file_name text!, "
    "source_sha256 text!, source_size bigint!, source_row_number bigint!, clicks_column text!, "
    "conversions_column text, revenue_column text, media_cost_column text, currency_code text, "
    "loaded_at timestamp!"
)

_SPEC_HINTS = {
    TEXT: {"data_type": "text"},
    INT: {"data_type": "bigint"},
    DECIMAL: {"data_type": "decimal", "precision": 38, "scale": 12},
    DATE: {"data_type": "date"},
}
# every known column always exists in the raw table, even before a file that has it arrives
COLUMN_HINTS = {
    **{c.name: {**_SPEC_HINTS[c.kind], "nullable": True} for c in SPEC},
    **LINEAGE_COLUMNS,
}


@dataclass
class Layout:
    """What a file's header says: where each known column is and which measures to use."""

    spec: list[Column]
    positions: dict[str, int]
    headers: list[str]
    by_day_column: bool
    clicks: str
    conversions: str | None
    revenue: str | None
    media_cost: str | None
    currency: str | None

    def header(self, name: str | None) -> str | None:
        return None if name is None else self.headers[self.positions[name]]

    def choices(self) -> str:
        def said(what: str, name: str | None, otherwise: str) -> str:
            return f"{what} from {self.header(name)!r}" if name else otherwise

        return ", ".join(
            [
                said("clicks", self.clicks, ""),
                said("conversions", self.conversions, "no conversions column (0)"),
                said("revenue", self.revenue, "no revenue column (0)"),
                said("media cost", self.media_cost, "no amount spent column (no media cost)"),
            ]
        )


def file_spec(headers: list[str]) -> list[Column]:
    """SPEC plus this file's spellings of money columns with a currency: `Amount spent (EUR)`."""
    extra: dict[str, list[str]] = {name: [] for name in CURRENCY_COLUMNS}
    for header in headers:
        match = _CURRENCY_SUFFIX.match(header)
        if not match:
            continue
        key = header_key_of(match["base"])
        for column in SPEC:
            if column.name in CURRENCY_COLUMNS and column.matches(key):
                extra[column.name].append(header)
    return [
        dataclasses.replace(c, aliases=c.aliases + tuple(extra[c.name])) if extra.get(c.name) else c
        for c in SPEC
    ]


def looks_like_header(headers: list[str]) -> bool:
    """True for a row naming a campaign column: picks the XLSX sheet holding the report."""
    campaign = next(c for c in SPEC if c.name == "campaign_name")
    return any(campaign.matches(header_key_of(h)) for h in headers)


def file_layout(sheet: RawSheet) -> Layout:
    spec = file_spec(sheet.headers)
    positions = match_columns(sheet, spec)  # refuses two columns for one name
    missing: list[str] = []
    by_day = "day" in positions
    if not by_day and not {"reporting_starts", "reporting_ends"} <= positions.keys():
        if "reporting_starts" in positions or "reporting_ends" in positions:
            absent = "reporting_ends" if "reporting_starts" in positions else "reporting_starts"
            missing.append(f"'{LABELS[absent]}' (or a 'Day' column)")
        else:
            missing.append("'Day' (or 'Date', or 'Reporting starts' and 'Reporting ends')")
    missing += [
        f"'{LABELS[n]}'"
        for n in ("campaign_name", "ad_set_name", "ad_name", "impressions")
        if n not in positions
    ]
    clicks = next((n for n in CLICKS_FROM if n in positions), None)
    if clicks is None:
        missing.append("'Clicks' (or 'Link clicks', or 'Clicks (all)')")
    if missing:
        raise FileRejected(
            sheet.file_name,
            f"missing required column(s) {', '.join(missing)}; the header has "
            f"{', '.join(repr(h) for h in sheet.headers)}. Export at ad level with those "
            "columns, or use the template (Date, Campaign Name, Ad Set Name, Ad Name, "
            "Impressions, Clicks, Conversions, Revenue)",
            row=1,
        )
    media_cost = "amount_spent" if "amount_spent" in positions else None
    currency = None
    if media_cost:
        match = _CURRENCY_SUFFIX.match(sheet.headers[positions["amount_spent"]])
        currency = match["currency"] if match else None
    return Layout(
        spec=spec,
        positions=positions,
        headers=sheet.headers,
        by_day_column=by_day,
        clicks=clicks,
        conversions=next((n for n in CONVERSIONS_FROM if n in positions), None),
        revenue=next((n for n in REVENUE_FROM if n in positions), None),
        media_cost=media_cost,
        currency=currency,
    )
