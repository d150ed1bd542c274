"""Reading delivered CSV/XLSX files into typed Arrow tables, or refusing them with a reason.

Two steps, shared by every file-based source:

1. `read_strings(data, name)` -> `RawSheet`: every cell as text, the header as written, the
   row number of every data row as a spreadsheet shows it (header = row 1). Fully blank rows
   are dropped. CSV goes through Arrow's reader; XLSX through calamine (xlsx.py: the first
   sheet - or the first whose header the caller accepts - with the header on its first
   non-empty row; formulas give their cached value).
2. `type_columns(sheet, spec)` -> Arrow table: header matching ignores case, spaces,
   underscores and dashes; required columns must be present; numbers may carry thousands
   separators; blank numeric cells are NULL (or 0 where a source says so). The first bad
   value stops the file with its row, column and value. Columns the spec does not know are
   kept as text under a snake_case name so nothing the vendor sent is lost.

The fast path is vectorised (Arrow compute); only a failing column is re-scanned in Python
to find the exact offending cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders.core.errors import FileRejected

DECIMAL_TYPE = pa.decimal128(38, 12)
TEXT, INT, DECIMAL, DATE = "text", "int", "decimal", "date"

_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_INTEGRAL = r"^([+-]?\d+)\.0*$"
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class Column:
    """One column a source expects. `aliases` are other header spellings (any case/spacing)."""

    name: str
    kind: str = TEXT
    required: bool = True
    aliases: tuple[str, ...] = ()
    blank_as_zero: bool = False

    def matches(self, header_key: str) -> bool:
        return header_key in {header_key_of(n) for n in (self.name, *self.aliases)}


@dataclass
class RawSheet:
    file_name: str
    headers: list[str]
    table: pa.Table  # string columns named c0..cN, in header order
    row_numbers: pa.Array  # int64, spreadsheet row number of each data row
    # cells read as empty that a reader should know about (file, row and column named)
    warnings: list[str] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return self.table.num_rows


def header_key_of(header: str) -> str:
    """The matching key of a header: case, spaces, underscores and dashes do not count."""
    return re.sub(r"[\s_\-]+", "", header.replace("\ufeff", "")).lower()


def snake_case(header: str) -> str:
    text = re.sub(r"[^0-9a-zA-Z]+", "_", header.replace("\ufeff", "").strip()).strip("_").lower()
    return text or "column"


# --- step 1: cells as text --------------------------------------------------------------------


def read_strings(
    data: bytes, file_name: str, is_header: Callable[[list[str]], bool] | None = None
) -> RawSheet:
    """Every cell as text. For XLSX, `is_header` (optional) picks the first sheet whose
    header row it accepts (a workbook may open with a notes or pivot sheet); when no sheet
    passes, or without it, the first sheet is read."""
    lower = file_name.lower()
    if lower.endswith(".csv"):
        return _read_csv(data, file_name)
    if lower.endswith(".xlsx"):
        from loaders.core.xlsx import read_xlsx  # imports this module: a cycle at import time

        return read_xlsx(data, file_name, is_header)
    raise FileRejected(file_name, "not a CSV or XLSX file (expected a .csv or .xlsx name)")


def _decode(data: bytes, file_name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves "CSV" in the ANSI code page.
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            file_name, "cannot be read as text (not UTF-8, UTF-16 or Windows-1252)"
        ) from exc


def _read_csv(data: bytes, file_name: str) -> RawSheet:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: transcode once, rarely used
        data = _decode(data, file_name).encode("utf-8")
    if not re.search(rb"\S", data):
        raise FileRejected(file_name, "the file is empty")
    newline = data.find(b"\n")
    first_line = _decode(data[: newline if newline >= 0 else len(data)], file_name)
    delimiter = max((",", ";", "\t"), key=first_line.count)
    header = next(csv.reader([first_line.strip("\r")], delimiter=delimiter), [])
    if not any(h.strip() for h in header):
        raise FileRejected(file_name, "the first line holds no column names", row=1)
    ncols = len(header)
    filler = re.escape(delimiter.encode()) + rb"\s"
    if newline < 0 or not re.compile(rb"[^" + filler + rb"]").search(data, newline):
        raise FileRejected(file_name, "the file has a header but no data rows")
    try:
        table = _arrow_csv(data, delimiter, ncols)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            # not UTF-8: read it as the Windows code page Excel uses
            data = _decode(data, file_name).encode("utf-8")
            try:
                table = _arrow_csv(data, delimiter, ncols)
            except pa.ArrowInvalid as again:
                exc = again
                table = None
        else:
            table = None
        if table is None:
            row = _first_ragged_row(_decode(data, file_name), delimiter, ncols)
            if row is not None:
                raise FileRejected(
                    file_name,
                    f"expected {ncols} fields like the header, found {row[1]}",
                    row=row[0],
                ) from None
            raise FileRejected(file_name, f"cannot be parsed as CSV: {exc}") from None
    table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    return drop_blank_rows(file_name, [h.strip() for h in header], table, first_row=2)


def _arrow_csv(data: bytes, delimiter: str, ncols: int) -> pa.Table:
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(
            autogenerate_column_names=True, skip_rows=1, block_size=16 << 20
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, ignore_empty_lines=False, newlines_in_values=True
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(ncols)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _first_ragged_row(text: str, delimiter: str, ncols: int) -> tuple[int, int] | None:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for index, record in enumerate(reader, start=1):
        if record and len(record) != ncols:
            return index, len(record)
    return None


def drop_blank_rows(
    file_name: str, headers: list[str], table: pa.Table, first_row: int
) -> RawSheet:
    row_numbers = pa.array(range(first_row, first_row + table.num_rows), pa.int64())
    if table.num_rows and table.num_columns:
        blank = _blank(table.column(0))
        # a blank row is blank in its first cell: look further only when such cells exist
        if pc.any(blank).as_py():
            for col in table.columns[1:]:
                blank = pc.and_(blank, _blank(col))
            if pc.any(blank).as_py():
                keep = pc.invert(blank)
                table = table.filter(keep)
                row_numbers = row_numbers.filter(keep)
    if table.num_rows == 0:
        raise FileRejected(file_name, "the file has a header but no data rows")
    return RawSheet(file_name, headers, table, row_numbers)


def _blank(column) -> pa.Array:
    """True where a text cell is empty or only whitespace."""
    return pc.equal(pc.binary_length(pc.utf8_trim_whitespace(column)), 0)


# --- step 2: types ----------------------------------------------------------------------------


def match_columns(sheet: RawSheet, spec: list[Column]) -> dict[str, int]:
    """Map each spec column to its position in the sheet; refuse on missing or duplicated ones."""
    found: dict[str, int] = {}
    for index, header in enumerate(sheet.headers):
        key = header_key_of(header)
        for column in spec:
            if column.matches(key):
                if column.name in found:
                    raise FileRejected(
                        sheet.file_name,
                        f"two columns match {column.name!r}: "
                        f"{sheet.headers[found[column.name]]!r} and {header!r}",
                        row=1,
                        column=header,
                    )
                found[column.name] = index
                break
    missing = [c.name for c in spec if c.required and c.name not in found]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise FileRejected(
            sheet.file_name,
            f"missing required column(s) {names}; "
            f"the header has {', '.join(repr(h) for h in sheet.headers)}",
            row=1,
        )
    return found


def type_columns(sheet: RawSheet, spec: list[Column], keep_extra: bool = True) -> pa.Table:
    """Typed table with the spec's columns (absent optional ones as NULL) and extra text."""
    positions = match_columns(sheet, spec)
    arrays: dict[str, pa.Array] = {}
    for column in spec:
        if column.name not in positions:
            arrays[column.name] = pa.nulls(sheet.num_rows, _arrow_type(column.kind))
            continue
        index = positions[column.name]
        raw = sheet.table.column(index)
        arrays[column.name] = _convert(raw, column, sheet, sheet.headers[index])
    if keep_extra:
        arrays.update(extra_columns(sheet, set(positions.values()), set(arrays)))
    return pa.table(arrays)


def extra_columns(sheet: RawSheet, used: set[int], taken: set[str]) -> dict[str, pa.Array]:
    """The sheet's columns a spec does not know, as text, named in snake_case (`_extra`
    appended where a name is `taken`), so nothing a vendor sent is lost."""
    extra: dict[str, pa.Array] = {}
    for index, header in enumerate(sheet.headers):
        if index in used or not header:
            continue
        name = snake_case(header)
        while name in taken or name in extra:
            name += "_extra"
        extra[name] = sheet.table.column(index)
    return extra


def _arrow_type(kind: str) -> pa.DataType:
    return {TEXT: pa.string(), INT: pa.int64(), DECIMAL: DECIMAL_TYPE, DATE: pa.date32()}[kind]


def _convert(raw: pa.Array, column: Column, sheet: RawSheet, header: str) -> pa.Array:
    if column.kind == TEXT:
        return raw
    if column.kind in (INT, DECIMAL):
        # fast path: clean numbers cast directly (no blanks, spaces or separators)
        try:
            return pc.cast(raw, _arrow_type(column.kind))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    values = pc.utf8_trim_whitespace(raw)
    empty = pc.equal(values, "")
    if column.blank_as_zero:
        values = pc.if_else(empty, "0", values)
    else:
        values = pc.if_else(empty, pa.scalar(None, pa.string()), values)
    if column.kind == DATE:
        return _to_date(values, column, sheet, header)
    values = strip_thousands(values)
    if column.kind == INT:
        return _to_int(values, sheet, header)
    return _to_decimal(values, sheet, header)


def strip_thousands(values: pa.Array) -> pa.Array:
    """Numbers written with thousands separators in groups of three (`1,234,567.89`) without
    them; every other value as it was."""
    if not pc.any(pc.match_substring(values, ",")).as_py():
        return values
    thousands = pc.match_substring_regex(values, _THOUSANDS)
    return pc.if_else(thousands, pc.replace_substring(values, ",", ""), values)


def drop_zero_fraction(values: pa.Array) -> pa.Array:
    """Whole numbers written with a zero fraction (`12.0`, `12.`) as `12`."""
    return pc.replace_substring_regex(values, _INTEGRAL, r"\1")


def _to_int(values: pa.Array, sheet: RawSheet, header: str) -> pa.Array:
    try:
        return pc.cast(values, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    integral = drop_zero_fraction(values)
    try:
        return pc.cast(integral, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    for i, value in enumerate(integral.to_pylist()):
        if value is None:
            continue
        try:
            number = int(value)
        except ValueError:
            _bad(sheet, i, header, "not a whole number", values[i].as_py())
        if not -(2**63) <= number < 2**63:
            _bad(sheet, i, header, "number too large", values[i].as_py())
    raise FileRejected(
        sheet.file_name, "cannot read the numbers", column=header
    )  # pragma: no cover


def _to_decimal(values: pa.Array, sheet: RawSheet, header: str) -> pa.Array:
    try:
        return pc.cast(values, DECIMAL_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out: list[Decimal | None] = []
    quantum = Decimal(1).scaleb(-DECIMAL_TYPE.scale)
    for i, value in enumerate(values.to_pylist()):
        if value is None:
            out.append(None)
            continue
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            _bad(sheet, i, header, "not a number", value)
        number = number.quantize(quantum)
        if number.adjusted() >= DECIMAL_TYPE.precision - DECIMAL_TYPE.scale:
            _bad(sheet, i, header, "number too large", value)
        out.append(number)
    return pa.array(out, DECIMAL_TYPE)


def _to_date(values: pa.Array, column: Column, sheet: RawSheet, header: str) -> pa.Array:
    parsed = None
    for fmt in _DATE_FORMATS:
        attempt = pc.strptime(values, format=fmt, unit="s", error_is_null=True)
        parsed = attempt if parsed is None else pc.coalesce(parsed, attempt)
        if parsed.null_count == values.null_count:
            break  # every date read with the formats tried so far
    unparsed = pc.and_(pc.is_valid(values), pc.is_null(parsed))
    if pc.any(unparsed).as_py():
        i = pc.index(unparsed, True).as_py()
        _bad(sheet, i, header, "not a date (expected YYYY-MM-DD or MM/DD/YYYY)", values[i].as_py())
    return pc.cast(parsed, pa.date32())


def _bad(sheet: RawSheet, index: int, header: str, reason: str, value: str | None) -> None:
    raise FileRejected(
        sheet.file_name, reason, row=sheet.row_numbers[index].as_py(), column=header, value=value
    )
