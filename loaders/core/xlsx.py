"""XLSX workbooks -> RawSheet (every cell as text), for tabular.read_strings.

Cells are read with calamine: a formula cell gives its cached value - what Excel shows - and
an empty cell when there is none (a file written by a script and never opened in Excel).
Only the sheet's XML tells such a cell from a blank one: `uncached_formulas` finds them and
the sheet carries a warning naming file, row and column for each (also logged).

The XML comes from a delivered file: a part with a DOCTYPE (which XLSX parts never have, and
which entity-expansion attacks need) is not parsed.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from xml.etree import ElementTree

import pyarrow as pa

from loaders.core.errors import FileRejected
from loaders.core.tabular import RawSheet, drop_blank_rows

log = logging.getLogger("adwh.tabular")

_DOCTYPE = b"<!DOCTYPE"


def _parse(xml: bytes) -> ElementTree.Element:
    if _DOCTYPE in xml:
        raise ValueError("an XLSX part with a DOCTYPE")
    return ElementTree.fromstring(xml)  # noqa: S314 - no DOCTYPE: no entity expansion


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def uncached_formulas(data: bytes, sheet_index: int) -> list[tuple[int, int]]:
    """(row, 0-based column) of each formula cell without a cached value in a sheet.

    calamine reads a formula cell's cached value (what Excel shows) and an empty cell when
    there is none (files written by scripts, never opened in Excel); only the sheet's XML says
    which empty cells are such formulas. Read only when the sheet holds a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook = _parse(archive.read("xl/workbook.xml"))
        sheets = [e for e in workbook.iter() if local(e.tag) == "sheet"]
        rel_id = next(v for k, v in sheets[sheet_index].attrib.items() if local(k) == "id")
        rels = _parse(archive.read("xl/_rels/workbook.xml.rels"))
        target = next(e.get("Target") for e in rels if e.get("Id") == rel_id)
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        xml = archive.read(path)
    if _DOCTYPE in xml or not re.search(rb"<(\w+:)?f[\s>/]", xml):
        return []
    found = []
    for _, cell in ElementTree.iterparse(io.BytesIO(xml)):  # noqa: S314 - no DOCTYPE (above)
        if local(cell.tag) != "c":
            continue
        parts = {local(child.tag): child for child in cell}
        value = parts.get("v")
        if "f" in parts and "is" not in parts and (value is None or not value.text):
            match = re.fullmatch(r"([A-Z]+)(\d+)", cell.get("r", ""))
            if match:
                letters, row = match.groups()
                index = 0
                for letter in letters:
                    index = index * 26 + ord(letter) - 64
                found.append((int(row), index - 1))
        cell.clear()
    return found


def formula_warnings(
    data: bytes, sheet_index: int, file_name: str, header: list[str], header_row: int
) -> list[str]:
    """One line per formula cell without a cached value under the header, naming file, row
    and column. A workbook whose XML cannot be followed gets none (calamine read it)."""
    try:
        cells = uncached_formulas(data, sheet_index)
    except (
        KeyError,
        IndexError,
        StopIteration,
        ValueError,
        ElementTree.ParseError,
        zipfile.BadZipFile,
    ):
        return []
    return [
        f"{file_name}, row {row}, column {header[index]!r}: a formula without a cached value "
        "(the workbook was saved without calculating it) is read as an empty cell; open and "
        "save the file in Excel to keep the value"
        for row, index in cells
        if row > header_row and index < len(header)
    ]


def read_xlsx(
    data: bytes, file_name: str, is_header: Callable[[list[str]], bool] | None = None
) -> RawSheet:
    from python_calamine import CalamineWorkbook

    if not data:
        raise FileRejected(file_name, "the file is empty")
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise FileRejected(file_name, "the workbook has no sheets")
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        chosen = 0
        if is_header is not None and not is_header(_xlsx_header(rows)[1]):
            for index in range(1, len(workbook.sheet_names)):
                candidate = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
                if is_header(_xlsx_header(candidate)[1]):
                    rows, chosen = candidate, index
                    break
    except FileRejected:
        raise
    except Exception as exc:  # calamine raises several private error types
        raise FileRejected(file_name, f"cannot be read as an XLSX workbook ({exc})") from None
    header_index, header = _xlsx_header(rows)
    if header_index is None:
        raise FileRejected(file_name, "the first sheet is empty")
    ncols = len(header)
    body = rows[header_index + 1 :]
    columns = [[_cell_text(r[i]) if i < len(r) else "" for r in body] for i in range(ncols)]
    for offset, r in enumerate(body):
        if any(_cell_text(c) for c in r[ncols:]):
            raise FileRejected(
                file_name,
                "a value stands right of the last named column",
                row=header_index + 2 + offset,
            )
    table = pa.table({f"c{i}": pa.array(col, pa.string()) for i, col in enumerate(columns)})
    sheet = drop_blank_rows(file_name, header, table, first_row=header_index + 2)
    sheet.warnings = formula_warnings(data, chosen, file_name, header, header_index + 1)
    for warning in sheet.warnings:
        log.warning("%s", warning)
    return sheet


def _xlsx_header(rows: list[list]) -> tuple[int | None, list[str]]:
    """Index and cells of a sheet's header: its first non-empty row."""
    header_index = next((i for i, r in enumerate(rows) if any(_cell_text(c) for c in r)), None)
    if header_index is None:
        return None, []
    header = [_cell_text(c).strip() for c in rows[header_index]]
    while header and not header[-1]:
        header.pop()
    return header_index, header


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
