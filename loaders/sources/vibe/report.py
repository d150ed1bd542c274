"""A Vibe report: what adwh asks for, the report while it is open, and its CSV as Arrow.

The requested fields are the CSV header; a downloaded report is typed, and every row tagged
with client, advertiser, report id and range, report_date and row number.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core import pipeline, tabular
from loaders.core.days import span
from loaders.core.errors import FileRejected
from loaders.core.pipeline import append_lineage, constant
from loaders.core.tabular import DATE, DECIMAL, INT, TEXT, Column
from loaders.sources.vibe.api import VibeApi
from loaders.sources.vibe.settings import VibeClient, VibeSettings

log = logging.getLogger("adwh.vibe")

SOURCE = "vibe"


# What adwh asks Vibe for and what it expects back: the API field names are the CSV header.
# This is the one place to change if Vibe names a field differently (see DECISIONLOG.md,
# "Vibe report fields"); staging (stg_vibe__daily_performance) and the sources YAML follow it.
DIMENSIONS = [
    Column("impression_date", DATE, aliases=("date", "day")),
    Column("campaign_id", TEXT),
    Column("campaign_name", TEXT),
    Column("strategy_id", TEXT),
    Column("strategy_name", TEXT),
    Column("channel_name", TEXT),
    Column("creative_id", TEXT),
    Column("creative_name", TEXT),
]
METRICS = [
    Column("impressions", INT),
    Column("completed_views", INT),
    Column("number_of_purchases", DECIMAL),
    Column("amount_of_purchases", DECIMAL),
    Column("spend", DECIMAL),
]
SPEC = DIMENSIONS + METRICS

LINEAGE_COLUMNS = {
    **pipeline.CLIENT_DAY_HINTS,
    "advertiser_id": {"data_type": "text", "nullable": False},
    "report_id": {"data_type": "text", "nullable": False},
    "report_start_date": {"data_type": "date", "nullable": False},
    "report_end_date": {"data_type": "date", "nullable": False},
    **pipeline.ROW_HINTS,
}
RAW = pipeline.ClientDayTable(SOURCE, "daily_performance", LINEAGE_COLUMNS)


@dataclass
class OpenReport:
    client: VibeClient
    api: VibeApi
    report_id: str
    days: list[dt.date]  # the days this report is the current request for
    start: dt.date
    end: dt.date
    resumed: bool
    next_poll: float = 0.0
    interval: float = 0.0
    deadline: float = 0.0
    state: str = (
        "created"  # created | processing | done | loaded | error | timeout | failed | rejected
    )
    message: str = ""
    notes: list[str] = field(default_factory=list)
    table: pa.Table | None = None
    rows_by_day: dict[dt.date, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state not in ("created", "processing")


def request_body(settings: VibeSettings, client: VibeClient, days: list[dt.date]) -> dict:
    """The create_async_report body for consecutive `days` of one client."""
    end = days[-1] + dt.timedelta(days=1) if settings.end_date_exclusive else days[-1]
    body = {
        "advertiser_id": client.advertiser_id,
        "start_date": days[0].isoformat(),
        "end_date": end.isoformat(),
        "metrics": [c.name for c in METRICS],
        "dimensions": [c.name for c in DIMENSIONS],
        "timezone": "UTC",
        "granularity": "day",
        "format": "csv",
    }
    if settings.attribution_window:
        body["attribution_window"] = settings.attribution_window
    return body


def parse_report(data: bytes, location: str) -> tuple[pa.Table, pa.Array, list[str]]:
    """A downloaded CSV -> (typed table, row numbers, ignored extra headers), or FileRejected.

    A report with a header and no rows is fine (nothing ran that day); a header missing a
    column adwh asked for refuses the whole report, naming the columns.
    """
    if not data.strip():
        raise FileRejected(location, "the report is empty (not even a header)")
    lines = data.strip().splitlines()
    if len(lines) == 1:
        try:
            header = next(csv.reader([lines[0].decode("utf-8-sig")]))
        except UnicodeDecodeError:
            raise FileRejected(location, "the header is not UTF-8 text", row=1) from None
        empty = pa.table({f"c{i}": pa.array([], pa.string()) for i in range(len(header))})
        sheet = tabular.RawSheet(
            location, [h.strip() for h in header], empty, pa.array([], pa.int64())
        )
    else:
        sheet = tabular.read_strings(data, location)
    typed = tabular.type_columns(sheet, SPEC, keep_extra=False)
    extra = [
        h for h in sheet.headers if h and not any(c.matches(tabular.header_key_of(h)) for c in SPEC)
    ]
    return typed, sheet.row_numbers, extra


def with_lineage(
    report: OpenReport,
    typed: pa.Table,
    row_numbers: pa.Array,
    settings: VibeSettings,
    loaded_at: dt.datetime,
) -> pa.Table:
    """The report's rows tagged with their lineage; only the days this report owns."""
    n = typed.num_rows
    start = pa.scalar(report.start, pa.date32())
    end = pa.scalar(report.end, pa.date32())
    dates = typed.column("impression_date")
    inside = pc.fill_null(pc.and_(pc.greater_equal(dates, start), pc.less_equal(dates, end)), False)
    # a row dated outside the report's range (a vendor slip) stays with the report's first
    # day, so a re-fetch of that day replaces it; staging quarantines it
    report_date = pc.if_else(inside, dates, start)
    outside = n - (pc.sum(inside).as_py() or 0)
    if outside:
        later = pc.sum(pc.fill_null(pc.greater(dates, end), False)).as_py() or 0
        note = (
            f"{outside} row(s) dated outside the requested days "
            f"{span((report.start, report.end))} (quarantined downstream)"
        )
        if later:
            setting = "false" if settings.end_date_exclusive else "true"
            note += (
                f"; {later} of them after {report.end}: if Vibe's end_date is not what "
                f"adwh assumes, set sources.vibe.end_date_exclusive = {setting}"
            )
        log.warning("report %s: %s", report.report_id, note)
        report.notes.append(note)
    table = append_lineage(
        typed,
        LINEAGE_COLUMNS,
        {
            "client_id": constant(report.client.client_id, pa.string(), n),
            "advertiser_id": constant(report.client.advertiser_id, pa.string(), n),
            "report_date": report_date,
            "report_id": constant(report.report_id, pa.string(), n),
            "report_start_date": constant(report.start, pa.date32(), n),
            "report_end_date": constant(report.end, pa.date32(), n),
            "source_row_number": row_numbers,
            "loaded_at": constant(loaded_at, pa.timestamp("us", tz="UTC"), n),
        },
    )
    covered = pa.array(report.days, pa.date32())
    if len(report.days) < (report.end - report.start).days + 1:
        # days of this report that a newer request owns are not loaded from it
        table = table.filter(pc.is_in(table.column("report_date"), value_set=covered))
    return table
