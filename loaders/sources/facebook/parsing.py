"""One Facebook export checked and typed: summary rows set apart, one day per row."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core.errors import FileRejected
from loaders.core.tabular import RawSheet, read_strings, type_columns
from loaders.sources.facebook.layout import Layout, file_layout, looks_like_header

# A total line: "Total", "Grand total:", "Results from 12 ads" in a date or campaign cell.
_TOTAL_CELL = r"(?i)^\s*((grand\s+)?totals?|summary|results\s+from\b.*)\s*:?\s*$"


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
    layout = file_layout(sheet)
    sheet, summary_rows = _split_summary_rows(sheet, layout)
    typed = type_columns(sheet, layout.spec)
    dates = _report_dates(typed, sheet, layout)
    return ParsedFile(typed, sheet.row_numbers, dates, layout, summary_rows, warnings)
