"""Prediction files (CSV or JSON lines) -> one typed Arrow table, or a refusal naming the file,
row and column of the first bad value. A file is taken whole or not at all.

Columns: prediction_id, client_id, campaign, period_start, period_end, predicted_roas,
predicted_ctr, model, created_at. CSV rows are numbered as a spreadsheet shows them (header =
row 1); JSON lines by line. Columns the contract does not name are ignored.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core.errors import FileRejected
from loaders.core.tabular import DATE, DECIMAL, TEXT, Column, RawSheet, read_strings, type_columns

SPEC = [
    Column("prediction_id"),
    Column("client_id"),
    Column("campaign"),
    Column("period_start", DATE),
    Column("period_end", DATE),
    Column("predicted_roas", DECIMAL),
    Column("predicted_ctr", DECIMAL),
    Column("model"),
    Column("created_at", TEXT),
]
REQUIRED = ("prediction_id", "client_id", "campaign", "period_start", "period_end", "model")


def read_predictions(data: bytes, file_name: str) -> pa.Table:
    """The file's predictions, typed and checked; FileRejected on the first bad row."""
    if file_name.lower().endswith((".jsonl", ".ndjson", ".json")):
        sheet = _jsonl_sheet(data, file_name)
    else:
        sheet = read_strings(data, file_name)
    table = type_columns(sheet, SPEC, keep_extra=False)
    rows = sheet.row_numbers.to_pylist()
    _check_rows(table, rows, sheet)
    created = _timestamps(table.column("created_at").to_pylist(), rows, sheet)
    table = table.set_column(
        table.schema.get_field_index("created_at"),
        "created_at",
        pa.array(created, pa.timestamp("us", "UTC")),
    )
    return table.append_column("source_row", pa.array(rows, pa.int64()))


def _jsonl_sheet(data: bytes, file_name: str) -> RawSheet:
    """JSON lines as text cells (numbers as written), line numbers as row numbers."""
    records: list[tuple[int, dict]] = []
    for number, line in enumerate(data.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FileRejected(file_name, f"not valid JSON: {exc.msg}", row=number) from None
        if not isinstance(record, dict):
            raise FileRejected(file_name, "a line must hold one JSON object", row=number)
        records.append((number, record))
    if not records:
        raise FileRejected(file_name, "the file holds no predictions")
    headers = [c.name for c in SPEC]
    columns = {
        f"c{i}": pa.array([_cell(r.get(h)) for _, r in records], pa.string())
        for i, h in enumerate(headers)
    }
    numbers = pa.array([n for n, _ in records], pa.int64())
    return RawSheet(file_name, headers, pa.table(columns), numbers)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        return json.dumps(value)
    return str(value)


def _check_rows(table: pa.Table, rows: list[int], sheet: RawSheet) -> None:
    for name in REQUIRED:
        values = table.column(name)
        blank = pc.is_null(values)
        if pa.types.is_string(values.type):
            blank = pc.or_(blank, pc.equal(pc.utf8_trim_whitespace(values), ""))
        if pc.any(blank).as_py():
            i = pc.index(blank, True).as_py()
            raise FileRejected(sheet.file_name, "a value is required", row=rows[i], column=name)
    roas, ctr = table.column("predicted_roas"), table.column("predicted_ctr")
    neither = pc.and_(pc.is_null(roas), pc.is_null(ctr))
    if pc.any(neither).as_py():
        i = pc.index(neither, True).as_py()
        raise FileRejected(
            sheet.file_name, "neither predicted_roas nor predicted_ctr is given", row=rows[i]
        )
    for name in ("predicted_roas", "predicted_ctr"):
        negative = pc.fill_null(
            pc.less(table.column(name), pa.scalar(0, table.column(name).type)), False
        )
        if pc.any(negative).as_py():
            i = pc.index(negative, True).as_py()
            value = str(table.column(name)[i].as_py())
            raise FileRejected(
                sheet.file_name, "must not be negative", row=rows[i], column=name, value=value
            )
    backwards = pc.less(table.column("period_end"), table.column("period_start"))
    if pc.any(backwards).as_py():
        i = pc.index(backwards, True).as_py()
        raise FileRejected(
            sheet.file_name, "period_end is before period_start", row=rows[i], column="period_end"
        )
    seen: dict[str, int] = {}
    for i, key in enumerate(table.column("prediction_id").to_pylist()):
        if key in seen:
            raise FileRejected(
                sheet.file_name,
                f"prediction_id {key!r} appears twice (first on row {seen[key]})",
                row=rows[i],
                column="prediction_id",
            )
        seen[key] = rows[i]


def _timestamps(values: list, rows: list[int], sheet: RawSheet) -> list[dt.datetime]:
    """ISO 8601 timestamps (a time without zone is UTC)."""
    out = []
    for i, value in enumerate(values):
        text = (value or "").strip()
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FileRejected(
                sheet.file_name,
                "not a timestamp (expected ISO 8601, e.g. 2026-03-01T08:00:00Z)",
                row=rows[i],
                column="created_at",
                value=text,
            ) from None
        out.append(stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC))
    return out
