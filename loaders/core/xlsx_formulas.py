"""Formula cells of an XLSX sheet that hold no cached value.

calamine (the XLSX reader of tabular.py) reads a formula cell's cached value - what Excel
shows - and an empty cell when there is none (a file written by a script and never opened in
Excel). Only the sheet's XML tells such a cell from a blank one, so tabular.py asks here and
names each one in a warning.

The XML comes from a delivered file: a part with a DOCTYPE (which XLSX parts never have, and
which entity-expansion attacks need) is not parsed.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

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
