"""`adwh export MODEL`: one mart or dim of the marts schema to CSV or XLSX, streamed.

Rows come through a server-side (named) cursor `ITERSIZE` at a time and go straight to the
file (csv.writer, or openpyxl in write-only mode), so memory stays flat however many rows
there are. The file is written under a temporary name next to the target and renamed at the
end: a failed export leaves no partial file behind.

Formula injection: a text value starting with `=`, `+`, `-`, `@`, tab or carriage return is
written with a leading `'` in CSV (spreadsheets then show it as text) and as an explicit
string cell in XLSX (never a formula).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from loaders.core.errors import AdwhError

SCHEMA = "marts"
FORMATS = ("csv", "xlsx")
ITERSIZE = 10_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header included


class ExportError(AdwhError):
    """A request the catalog or the arguments refuse; nothing is written."""

    exit_code = 2


@dataclass(frozen=True)
class ExportRequest:
    model: str
    fmt: str = "csv"
    client: str | None = None
    first: dt.date | None = None
    last: dt.date | None = None
    columns: tuple[str, ...] = ()
    bom: bool = False


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    columns: tuple[str, ...]


def model_columns(conn, model: str) -> list[str]:
    """Columns of marts.<model> in table order; ExportError naming the models when unknown."""
    with conn.cursor() as cur:
        cur.execute(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s order by ordinal_position",
            (SCHEMA, model),
        )
        columns = [r[0] for r in cur.fetchall()]
        if columns:
            return columns
        cur.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "order by table_name",
            (SCHEMA,),
        )
        known = [r[0] for r in cur.fetchall()]
    if not known:
        raise ExportError(f"the {SCHEMA} schema has no models yet: run `adwh build` first")
    raise ExportError(f"unknown model {model!r}; models in {SCHEMA}: {', '.join(known)}")


def build_query(request: ExportRequest, available: Sequence[str]) -> tuple[str, list]:
    """The SELECT for the request, validated against the model's columns."""
    model = request.model
    unknown = [c for c in request.columns if c not in available]
    if unknown:
        raise ExportError(
            f"unknown column(s) {', '.join(map(repr, unknown))} in {SCHEMA}.{model}; "
            f"columns: {', '.join(available)}"
        )
    if request.client is not None and "client_id" not in available:
        raise ExportError(f"{SCHEMA}.{model} has no client_id column: --client does not apply")
    if (request.first or request.last) and "date_day" not in available:
        raise ExportError(f"{SCHEMA}.{model} has no date_day column: --from/--to do not apply")
    if request.first and request.last and request.first > request.last:
        raise ExportError(f"--from {request.first} is after --to {request.last}")
    selected = list(request.columns) or list(available)
    where, params = [], []
    if request.client is not None:
        where.append("client_id = %s")
        params.append(request.client)
    if request.first:
        where.append("date_day >= %s")
        params.append(request.first)
    if request.last:
        where.append("date_day <= %s")
        params.append(request.last)
    sql = f"select {', '.join(_ident(c) for c in selected)} from {SCHEMA}.{_ident(model)}"
    if where:
        sql += " where " + " and ".join(where)
    order = [c for c in ("client_id", "date_day") if c in available]
    if order:
        sql += " order by " + ", ".join(order)
    return sql, params


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def neutralise(text: str) -> str:
    """CSV: a value a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def stream_rows(conn, sql: str, params: list) -> tuple[list[str], Iterator[tuple]]:
    """Column names and a row iterator from a named (server-side) cursor."""
    cur = conn.cursor(name="adwh_export", withhold=False)
    cur.itersize = ITERSIZE
    cur.execute(sql, params)
    first = cur.fetchone()  # the description is only known once the portal has run
    names = [d[0] for d in cur.description]

    def rows() -> Iterator[tuple]:
        try:
            if first is None:
                return
            yield first
            yield from cur
        finally:
            cur.close()

    return names, rows()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[tuple], bom: bool) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
    return count


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[tuple], sheet: str) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.append(list(header))
    count = 0
    for row in rows:
        count += 1
        if count >= XLSX_MAX_ROWS:
            raise ExportError(
                f"more than {XLSX_MAX_ROWS - 1:,} rows do not fit one XLSX sheet: "
                "use --format csv or narrow with --client/--from/--to"
            )
        cells = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
                cell.data_type = "s"  # text starting with '=' stays text, never a formula
                cells.append(cell)
            elif isinstance(value, dt.datetime) and value.tzinfo is not None:
                cells.append(value.astimezone(dt.UTC).replace(tzinfo=None))
            else:
                cells.append(value)
        ws.append(cells)
    wb.save(path)
    return count


def export(url: str, request: ExportRequest, out: Path | None = None) -> ExportResult:
    """Run the export; the file appears at `out` only when complete."""
    import psycopg2

    if request.fmt not in FORMATS:
        raise ExportError(f"unknown format {request.fmt!r}; use one of {', '.join(FORMATS)}")
    target = Path(out) if out else Path(f"{request.model}.{request.fmt}")
    if target.is_dir():
        raise ExportError(f"--out {target} is a directory")
    if not target.parent.exists():
        raise ExportError(f"--out {target}: folder {target.parent} does not exist")
    conn = psycopg2.connect(url, connect_timeout=15)
    try:
        conn.set_session(readonly=True)
        available = model_columns(conn, request.model)
        _check_client(conn, request.client)
        sql, params = build_query(request, available)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            header, rows = stream_rows(conn, sql, params)
            if request.fmt == "csv":
                count = write_csv(tmp, header, rows, request.bom)
            else:
                count = write_xlsx(tmp, header, rows, request.model)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    finally:
        conn.close()
    return ExportResult(target, count, tuple(header))


def _check_client(conn, client: str | None) -> None:
    """An unknown client is a typo more often than an empty export: refuse it."""
    if client is None:
        return
    with conn.cursor() as cur:
        cur.execute(
            "select 1 from information_schema.tables where table_schema = %s "
            "and table_name = 'dim_clients'",
            (SCHEMA,),
        )
        if cur.fetchone() is None:
            return
        cur.execute(f"select 1 from {SCHEMA}.dim_clients where client_id = %s", (client,))
        if cur.fetchone() is None:
            raise ExportError(f"unknown client {client!r} (not in {SCHEMA}.dim_clients)")
