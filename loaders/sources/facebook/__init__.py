"""Facebook Ads Manager uploads (CSV/XLSX) -> `raw_facebook.ad_daily` + `raw_facebook.uploads`.

People export a report from Ads Manager and hand the file over:
`adwh load facebook FILE [FILE ...] --client C`. Each file is checked on its own and is either
loaded whole or refused whole (nothing of a refused file lands):

- size first (`max_upload_mb`, before a byte is read), then the name must end in .csv/.xlsx;
- the same bytes (SHA-256) already loaded for the client: a no-op, "already loaded on ...";
- header: Ads Manager's (`Reporting starts`, `Reporting ends`, `Day`, `Campaign name`,
  `Ad set name`, `Ad name`, `Impressions`, `Link clicks`, `Amount spent (USD)`, `Results`, ...)
  or the plain template (`Date, Campaign Name, Ad Set Name, Ad Name, Impressions, Clicks,
  Conversions, Revenue`); matching ignores case and spacing, every column is kept;
- daily grain: a `Day`/`Date` column, or `Reporting starts` = `Reporting ends` on every row;
  a period export is refused (it cannot be spread over days);
- summary rows (no campaign, ad set or ad name, or a "Total" line) are skipped and counted;
  a data row missing a name is loaded (staging quarantines it: missing_campaign_name, ...).

Measures are chosen per file and the choice is recorded on every row (`clicks_column`, ...):
clicks = `Clicks`, else `Link clicks`, else `Clicks (all)`; conversions = `Conversions`, else
`Results`; revenue = `Revenue`, else a purchase conversion value column; media cost = `Amount
spent (<CUR>)` with the currency code from the header. Staging reads the recorded choice.

A loaded file replaces the client's rows for the days it covers: dlt `merge` /
`delete-insert` on (client_id, report_date). Every attempt gets a row in the uploads registry
and in the ingestion log. The file's name is kept as data only; no path is ever built from it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError, ConfigError, FileRejected
from loaders.core.pipeline import (
    append_lineage,
    constant,
    merge_resource,
    run_arrow,
    source_pipeline,
)
from loaders.core.tabular import (
    DATE,
    DECIMAL,
    INT,
    TEXT,
    Column,
    RawSheet,
    header_key_of,
    match_columns,
    read_strings,
    type_columns,
)

log = logging.getLogger("adwh.facebook")

SOURCE = "facebook"
DATASET = "raw_facebook"
TABLE = "ad_daily"
MERGE_KEY = ("client_id", "report_date")

# Every column adwh knows, typed. All are optional to tabular: which ones a file must have is
# decided in `_layout` (several alternatives exist). A column of the file not listed here is
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
SPEC_NAMES = [c.name for c in SPEC]

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

# A total line: "Total", "Grand total:", "Results from 12 ads" in a date or campaign cell.
_TOTAL_CELL = r"(?i)^\s*((grand\s+)?totals?|summary|results\s+from\b.*)\s*:?\s*$"

LINEAGE_COLUMNS = {
    "client_id": {"data_type": "text", "nullable": False},
    "report_date": {"data_type": "date", "nullable": False},
    "upload_id": {"data_type": "text", "nullable": False},
    "source_file_name": {"data_type": "text", "nullable": False},
    "source_sha256": {"data_type": "text", "nullable": False},
    "source_size": {"data_type": "bigint", "nullable": False},
    "source_row_number": {"data_type": "bigint", "nullable": False},
    "clicks_column": {"data_type": "text", "nullable": False},
    "conversions_column": {"data_type": "text", "nullable": True},
    "revenue_column": {"data_type": "text", "nullable": True},
    "media_cost_column": {"data_type": "text", "nullable": True},
    "currency_code": {"data_type": "text", "nullable": True},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
}

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

UPLOADS_DDL = f"""
create schema if not exists {DATASET};
create table if not exists {DATASET}.uploads (
    upload_id             text        primary key,
    client_id             text        not null,
    file_name             text        not null,
    sha256                text,
    size_bytes            bigint,
    status                text        not null,
    message               text,
    rows_loaded           bigint,
    summary_rows_skipped  integer,
    first_day             date,
    last_day              date,
    days                  integer,
    days_replaced         integer,
    clicks_from           text,
    conversions_from      text,
    revenue_from          text,
    media_cost_from       text,
    currency_code         text,
    header                text,
    load_id               text,
    loaded_at             timestamptz not null
);
create index if not exists uploads_client_sha256 on {DATASET}.uploads (client_id, sha256);
comment on table {DATASET}.uploads is
    'Every Facebook Ads Manager file handed to adwh load facebook: one row per attempt '
    '(loaded | skipped | rejected | failed | missing_file).';
"""


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


# --- one file: layout, checks, typed rows ---------------------------------------------------


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


def _layout(sheet: RawSheet) -> Layout:
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


def _split_summary_rows(sheet: RawSheet, layout: Layout) -> tuple[RawSheet, list[int]]:
    """The sheet without summary rows, and the row numbers of those rows.

    A summary row names no campaign, ad set or ad (Ads Manager's summary row, a total line
    added in Excel; its campaign cell may read "Total"), or reads "Total"/"Results from ..."
    in a date cell. A data row missing one name (say an empty campaign cell) is not one: it
    is loaded, and staging quarantines it (missing_campaign_name), so its figures stay in
    the conservation proof."""
    dates = [
        sheet.table.column(layout.positions[n])
        for n in ("day", "reporting_starts", "reporting_ends")
        if n in layout.positions
    ]

    def blank(name: str) -> pa.Array:
        column = sheet.table.column(layout.positions[name])
        return pc.equal(pc.binary_length(pc.utf8_trim_whitespace(column)), 0)

    campaign = sheet.table.column(layout.positions["campaign_name"])
    no_campaign = pc.or_(blank("campaign_name"), pc.match_substring_regex(campaign, _TOTAL_CELL))
    summary = pc.and_(no_campaign, pc.and_(blank("ad_set_name"), blank("ad_name")))
    for column in dates:
        summary = pc.or_(summary, pc.match_substring_regex(column, _TOTAL_CELL))
    if not pc.any(summary).as_py():
        return sheet, []
    skipped = sheet.row_numbers.filter(summary).to_pylist()
    keep = pc.invert(summary)
    if not pc.any(keep).as_py():
        raise FileRejected(
            sheet.file_name,
            f"no data rows: all {len(skipped)} row(s) are summary rows "
            "(no campaign, ad set or ad name, or a total line)",
        )
    kept = RawSheet(
        sheet.file_name, sheet.headers, sheet.table.filter(keep), sheet.row_numbers.filter(keep)
    )
    return kept, skipped


def _report_dates(typed: pa.Table, sheet: RawSheet, layout: Layout) -> pa.Array:
    """The day each row covers; refuses blank dates and period rows."""

    def first(mask) -> int:
        return pc.index(mask, True).as_py()

    if layout.by_day_column:
        days = typed.column("day").combine_chunks()
        if days.null_count:
            i = first(pc.is_null(days))
            raise FileRejected(
                sheet.file_name,
                "the date is blank (every data row needs its day)",
                row=sheet.row_numbers[i].as_py(),
                column=layout.header("day"),
            )
        return days
    starts = typed.column("reporting_starts").combine_chunks()
    ends = typed.column("reporting_ends").combine_chunks()
    for name, values in (("reporting_starts", starts), ("reporting_ends", ends)):
        if values.null_count:
            i = first(pc.is_null(values))
            raise FileRejected(
                sheet.file_name,
                "the date is blank (every data row needs its day)",
                row=sheet.row_numbers[i].as_py(),
                column=layout.header(name),
            )
    period = pc.not_equal(starts, ends)
    if pc.any(period).as_py():
        i = first(period)
        count = pc.sum(period.cast(pa.int64())).as_py()
        raise FileRejected(
            sheet.file_name,
            f"this is a period export: {count} row(s) cover more than one day "
            f"(this one {starts[i].as_py()} to {ends[i].as_py()}), and figures for a period "
            "cannot be split into days. Export again from Ads Manager with a daily breakdown "
            "(Breakdown > By time > Day), so that each row covers one day",
            row=sheet.row_numbers[i].as_py(),
            column=layout.header("reporting_ends"),
        )
    return starts


@dataclass
class ParsedFile:
    table: pa.Table  # typed rows, without lineage
    row_numbers: pa.Array
    report_dates: pa.Array
    layout: Layout
    summary_rows: list[int]
    warnings: list[str] = field(default_factory=list)  # e.g. formulas read as empty cells


def parse(data: bytes, file_name: str) -> ParsedFile:
    """Check and type one export; raises FileRejected naming file, row and column."""
    sheet = read_strings(data, file_name, is_header=looks_like_header)
    warnings = sheet.warnings
    layout = _layout(sheet)
    sheet, summary_rows = _split_summary_rows(sheet, layout)
    typed = type_columns(sheet, layout.spec)
    dates = _report_dates(typed, sheet, layout)
    return ParsedFile(typed, sheet.row_numbers, dates, layout, summary_rows, warnings)


# --- one upload ----------------------------------------------------------------------------


@dataclass
class UploadResult:
    client_id: str
    file_name: str
    status: str = "failed"
    message: str = ""
    upload_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    sha256: str | None = None
    size: int | None = None
    rows: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    days: int = 0
    days_replaced: int = 0
    replaced_from: list[str] = field(default_factory=list)
    summary_rows: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    layout: Layout | None = None
    load_id: str | None = None
    started_at: dt.datetime = field(default_factory=ingestion_log.utcnow)

    def summary(self) -> str:
        """What was loaded, for the line, the registry and the ingestion log."""
        replaced = f", {self.days_replaced} replaced" if self.days_replaced else ", none replaced"
        if self.replaced_from:
            replaced += f" (previously from {', '.join(self.replaced_from)})"
        text = (
            f"{self.rows:,} rows for {self.first_day}..{self.last_day} "
            f"({self.days} day(s){replaced})"
        )
        if self.summary_rows:
            shown = ", ".join(str(r) for r in self.summary_rows[:10])
            more = ", ..." if len(self.summary_rows) > 10 else ""
            text += (
                f"; skipped {len(self.summary_rows)} summary row(s) "
                f"(row {shown}{more}; no campaign, ad set or ad name, or a total line)"
            )
        if self.layout is not None:
            text += f"; {self.layout.choices()}"
            if self.layout.currency:
                text += f" [{self.layout.currency}]"
        for warning in self.warnings:
            text += f"; warning: {warning.removeprefix(self.file_name + ', ')}"
        return text

    def line(self) -> str:
        head = f"{self.client_id} {self.file_name}"
        if self.status == "loaded":
            return f"{head}: loaded {self.message}"
        return f"{head}: {self.status}: {self.message}"


def _read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _rejection_text(exc: FileRejected) -> str:
    """The refusal without the file name in front (the line already names the file)."""
    text = str(exc)
    for prefix in (f"{exc.file}, ", f"{exc.file}: "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _check_file(path: Path, result: UploadResult, settings: FacebookSettings) -> bytes:
    """Size and name first, then the bytes; raises FileRejected."""
    size = path.stat().st_size
    result.size = size
    limit = settings.max_upload_mb * 1024 * 1024
    if size > limit:
        raise FileRejected(
            result.file_name,
            f"{size / 1048576:.1f} MB is over the {settings.max_upload_mb:g} MB limit "
            "(sources.facebook.max_upload_mb); the file was not read",
        )
    if not result.file_name.lower().endswith((".csv", ".xlsx")):
        raise FileRejected(
            result.file_name,
            "not a CSV or XLSX file (export from Ads Manager as .csv or .xlsx)",
        )
    return _read_bytes(path)


def _previous_load(cur, client_id: str, sha256: str) -> tuple | None:
    cur.execute(
        f"""select upload_id, file_name, loaded_at, rows_loaded, first_day, last_day, days
            from {DATASET}.uploads
            where client_id = %s and sha256 = %s and status = 'loaded'
            order by loaded_at desc limit 1""",
        (client_id, sha256),
    )
    return cur.fetchone()


def _raw_table_exists(cur) -> bool:
    cur.execute(f"select to_regclass('{DATASET}.{TABLE}')")
    return cur.fetchone()[0] is not None


def _already_loaded_message(url: str, client_id: str, sha256: str) -> str | None:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        previous = _previous_load(cur, client_id, sha256)
        if previous is None:
            return None
        upload_id, file_name, loaded_at, rows, first_day, last_day, days = previous
        still = None
        if _raw_table_exists(cur):
            cur.execute(
                f"select count(distinct report_date) from {DATASET}.{TABLE} where upload_id = %s",
                (upload_id,),
            )
            still = cur.fetchone()[0]
    text = (
        f"already loaded on {loaded_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"as {file_name!r} (upload {upload_id}, {rows:,} rows for {first_day}..{last_day}); "
        "nothing changed"
    )
    if still is not None and still < days:
        text += (
            f". Newer uploads have since replaced some of its days ({still} still from it); "
            "use --force to load it again over them"
        )
    return text


def _days_already_loaded(url: str, client_id: str, days: list[dt.date]) -> tuple[int, list[str]]:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        if not _raw_table_exists(cur):
            return 0, []
        cur.execute(
            f"""select count(distinct report_date), array_agg(distinct source_file_name)
                from {DATASET}.{TABLE} where client_id = %s and report_date = any(%s)""",
            (client_id, days),
        )
        count, files = cur.fetchone()
    return count, sorted(files or [])


def _null_or_constant(value, type_: pa.DataType, n: int) -> pa.Array:
    return pa.nulls(n, type_) if value is None else constant(value, type_, n)


def _with_lineage(parsed: ParsedFile, result: UploadResult, loaded_at: dt.datetime) -> pa.Table:
    n = parsed.table.num_rows
    layout = parsed.layout
    text = pa.string()
    return append_lineage(
        parsed.table,
        LINEAGE_COLUMNS,
        {
            "client_id": constant(result.client_id, text, n),
            "report_date": parsed.report_dates,
            "upload_id": constant(result.upload_id, text, n),
            "source_file_name": constant(result.file_name, text, n),
            "source_sha256": constant(result.sha256, text, n),
            "source_size": constant(result.size, pa.int64(), n),
            "source_row_number": parsed.row_numbers,
            "clicks_column": constant(layout.clicks, text, n),
            "conversions_column": _null_or_constant(layout.conversions, text, n),
            "revenue_column": _null_or_constant(layout.revenue, text, n),
            "media_cost_column": _null_or_constant(layout.media_cost, text, n),
            "currency_code": _null_or_constant(layout.currency, text, n),
            "loaded_at": constant(loaded_at, pa.timestamp("us", tz="UTC"), n),
        },
    )


_resource = merge_resource(TABLE, MERGE_KEY, COLUMN_HINTS)


def upload_file(
    url: str,
    pipeline,
    client_id: str,
    path: Path,
    settings: FacebookSettings,
    force: bool = False,
) -> UploadResult:
    """Check, parse and load one file; never raises for a bad file (see the result)."""
    result = UploadResult(client_id, path.name)
    try:
        if not path.is_file():
            result.status, result.message = "missing_file", f"no such file: {path.name}"
            return result
        data = _check_file(path, result, settings)
        result.sha256 = hashlib.sha256(data).hexdigest()
        if not force:
            previous = _already_loaded_message(url, client_id, result.sha256)
            if previous:
                result.status, result.message = "skipped", previous
                return result
        parsed = parse(data, result.file_name)
        del data
    except FileRejected as exc:
        result.status, result.message = "rejected", _rejection_text(exc)
        return result
    except OSError as exc:
        result.status, result.message = "rejected", f"cannot read the file: {exc.strerror}"
        return result

    result.layout = parsed.layout
    result.summary_rows = parsed.summary_rows
    result.warnings = parsed.warnings
    days = sorted(set(parsed.report_dates.to_pylist()))
    result.first_day, result.last_day, result.days = days[0], days[-1], len(days)
    result.days_replaced, result.replaced_from = _days_already_loaded(url, client_id, days)
    table = _with_lineage(parsed, result, result.started_at)
    del parsed
    try:
        outcome = run_arrow(pipeline, _resource, [table])
    except AdwhError as exc:
        result.status, result.message = "failed", str(exc)
        return result
    result.status, result.rows, result.load_id = "loaded", table.num_rows, outcome.load_id
    result.message = result.summary()
    return result


# --- a run: several files for one client ---------------------------------------------------


def ensure_registry(url: str) -> None:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('raw_facebook.uploads'))")
        cur.execute(UPLOADS_DDL)


def _register(url: str, run_id: str, result: UploadResult) -> None:
    from loaders.warehouse.database import connect

    layout = result.layout
    loaded = result.status == "loaded"
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""insert into {DATASET}.uploads
                (upload_id, client_id, file_name, sha256, size_bytes, status, message,
                 rows_loaded, summary_rows_skipped, first_day, last_day, days, days_replaced,
                 clicks_from, conversions_from, revenue_from, media_cost_from, currency_code,
                 header, load_id, loaded_at)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                        %s, %s, %s, %s)""",
            (
                result.upload_id,
                result.client_id,
                result.file_name,
                result.sha256,
                result.size,
                result.status,
                result.message or None,
                result.rows if loaded else None,
                len(result.summary_rows) if loaded else None,
                result.first_day if loaded else None,
                result.last_day if loaded else None,
                result.days if loaded else None,
                result.days_replaced if loaded else None,
                layout.header(layout.clicks) if layout else None,
                layout.header(layout.conversions) if layout else None,
                layout.header(layout.revenue) if layout else None,
                layout.header(layout.media_cost) if layout else None,
                layout.currency if layout else None,
                json.dumps(layout.headers) if layout else None,
                result.load_id,
                result.started_at,
            ),
        )
    ingestion_log.record(
        url,
        run_id,
        [
            ingestion_log.LogEntry(
                source=SOURCE,
                status=result.status,
                client_id=result.client_id,
                object_key=result.file_name,
                object_version=result.sha256,
                rows_loaded=result.rows if loaded else None,
                message=result.message or None,
                load_id=result.load_id,
                started_at=result.started_at,
            )
        ],
    )


def _ensure_indexes(url: str) -> None:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        if _raw_table_exists(cur):
            cur.execute(
                f"create index if not exists ad_daily_client_day "
                f"on {DATASET}.{TABLE} (client_id, report_date)"
            )


def load(
    url: str,
    client_id: str,
    paths: list[Path],
    settings: FacebookSettings | None = None,
    force: bool = False,
    echo: Callable[[str], None] = print,
) -> list[UploadResult]:
    """Load each file in the order given (a later file wins the days it shares with an
    earlier one); one result per file, each echoed as one line."""
    if not client_id or not client_id.strip():
        raise ConfigError("--client must name a client")
    settings = settings or load_settings()
    run_id = ingestion_log.new_run_id()
    ensure_registry(url)
    results: list[UploadResult] = []
    with source_pipeline(SOURCE, url) as pipeline:
        for path in paths:
            result = upload_file(url, pipeline, client_id, Path(path), settings, force=force)
            _register(url, run_id, result)
            results.append(result)
            echo(result.line())
    _ensure_indexes(url)
    return results


def raise_on_failures(results: list[UploadResult], echo: Callable[[str], None] = print) -> None:
    """Exit status of a run: a no-op (already loaded) is fine, anything not loaded is not."""
    bad = [r for r in results if r.status not in ("loaded", "skipped")]
    if not bad:
        skipped = sum(r.status == "skipped" for r in results)
        note = f", {skipped} already loaded before (unchanged)" if skipped else ""
        echo(f"{len(results) - skipped} file(s) loaded{note}")
        return
    counts: dict[str, int] = {}
    for r in bad:
        counts[r.status] = counts.get(r.status, 0) + 1
    detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    raise AdwhError(f"{len(bad)} of {len(results)} file(s) not loaded ({detail})")
