"""A delivered file, checked whole and typed in record batches, spooled to local disk.

`spool_delivery(path, name, spec, out, lineage)` reads the delivered file at `path` (CSV is
streamed in blocks of `block_size` bytes with Arrow's incremental reader; XLSX, always small,
is read whole), types every batch with `tabular.type_columns`, lets `lineage` append the
caller's columns and writes the batches to an Arrow IPC file at `out`. Only when the whole
file passed does the caller hand the spool to dlt (`iter_spool`), so a bad value in the last
row refuses the file before any of it reaches a load package, and memory holds one batch at a
time rather than the file.

The checks and their messages are those of `tabular.read_strings` + `type_columns`: header on
the first line (delimiter sniffed from it), UTF-8 with a Windows-1252 fallback, UTF-16 by BOM,
ragged rows named by row, blank rows dropped, row numbers as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from loaders.core.errors import FileRejected
from loaders.core.tabular import (
    Column,
    RawSheet,
    _blank,
    _decode,
    _first_ragged_row,
    match_columns,
    read_strings,
    type_columns,
)

BLOCK_SIZE = 16 << 20  # bytes of CSV per batch (~150-200 k report rows)
_HEAD_BYTES = 1 << 20  # the header line must fit in this

Lineage = Callable[[pa.Table, pa.Array], pa.Table]


class _NotUtf8(Exception):
    pass


def spool_delivery(
    path: Path,
    file_name: str,
    spec: list[Column],
    out: Path,
    lineage: Lineage,
    block_size: int | None = None,
) -> int:
    """Type the file at `path` into the IPC spool `out`; returns its row count.
    Raises FileRejected (naming `file_name`, row and column) and leaves no spool then."""
    block_size = block_size or BLOCK_SIZE
    try:
        if file_name.lower().endswith(".csv"):
            try:
                return _spool_csv(path, file_name, spec, out, lineage, block_size, "utf8")
            except _NotUtf8:
                # Excel on Windows saves "CSV" in the ANSI code page
                return _spool_csv(path, file_name, spec, out, lineage, block_size, "cp1252")
        sheet = read_strings(path.read_bytes(), file_name)
        with _SpoolWriter(out) as writer:
            writer.write(lineage(type_columns(sheet, spec), sheet.row_numbers))
            return writer.rows
    except BaseException:
        out.unlink(missing_ok=True)
        raise


def iter_spool(spool: Path) -> Iterator[pa.RecordBatch]:
    """The spooled batches, read one at a time (not memory-mapped: mapped pages would stay
    resident, and count, until the whole spool was read)."""
    with pa.OSFile(str(spool)) as source:
        reader = pa.ipc.open_file(source)
        for index in range(reader.num_record_batches):
            yield reader.get_batch(index)


class _SpoolWriter:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows = 0
        self._writer: pa.ipc.RecordBatchFileWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pa.ipc.new_file(str(self.out), table.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def __enter__(self) -> _SpoolWriter:
        return self

    def __exit__(self, *exc) -> None:
        if self._writer is not None:
            self._writer.close()


def _header(path: Path, file_name: str) -> tuple[str, list[str], str, bool]:
    """Delimiter, header cells, encoding for Arrow, and whether a line follows the header."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
        more = bool(fh.read(1))
    encoding = "utf8"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    if not re.search(rb"\S", head) and not more:
        raise FileRejected(file_name, "the file is empty")
    newline = head.find(b"\n")
    if newline < 0 and more:
        raise FileRejected(file_name, "the first line is longer than 1 MB", row=1)
    first_line = _decode(head[: newline if newline >= 0 else len(head)], file_name)
    delimiter = max((",", ";", "\t"), key=first_line.count)
    header = next(csv.reader([first_line.strip("\r")], delimiter=delimiter), [])
    if not any(h.strip() for h in header):
        raise FileRejected(file_name, "the first line holds no column names", row=1)
    return delimiter, [h.strip() for h in header], encoding, newline >= 0


def _spool_csv(
    path: Path,
    file_name: str,
    spec: list[Column],
    out: Path,
    lineage: Lineage,
    block_size: int,
    encoding: str,
) -> int:
    delimiter, headers, sniffed, has_body = _header(path, file_name)
    if sniffed != "utf8":
        encoding = sniffed
    # refuse a file missing required columns before reading its body
    match_columns(RawSheet(file_name, headers, pa.table({}), pa.array([], pa.int64())), spec)
    if not has_body:
        raise FileRejected(file_name, "the file has a header but no data rows")
    ncols = len(headers)
    names = [f"c{i}" for i in range(ncols)]
    next_row = 2  # the header is row 1
    with _SpoolWriter(out) as writer:
        try:
            reader = pacsv.open_csv(
                str(path),
                read_options=pacsv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=block_size, encoding=encoding
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, ignore_empty_lines=False, newlines_in_values=True
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            for batch in reader:
                table = pa.Table.from_batches([batch])
                rows = pa.array(range(next_row, next_row + table.num_rows), pa.int64())
                next_row += table.num_rows
                table, rows = _without_blank_rows(table, rows)
                if table.num_rows:
                    sheet = RawSheet(file_name, headers, table, rows)
                    writer.write(lineage(type_columns(sheet, spec), rows))
        except pa.ArrowInvalid as exc:
            _refuse_unparsable(path, file_name, delimiter, ncols, encoding, exc)
        if writer.rows == 0:
            raise FileRejected(file_name, "the file has a header but no data rows")
        return writer.rows


def _refuse_unparsable(path, file_name, delimiter, ncols, encoding, exc) -> None:
    message = str(exc)
    if encoding == "utf8" and "utf8" in message.lower():
        raise _NotUtf8 from None
    # the error path: read the text whole to name the first ragged row
    text = _decode(path.read_bytes(), file_name)
    row = _first_ragged_row(text, delimiter, ncols)
    if row is not None:
        raise FileRejected(
            file_name, f"expected {ncols} fields like the header, found {row[1]}", row=row[0]
        ) from None
    raise FileRejected(file_name, f"cannot be parsed as CSV: {message}") from None


def _without_blank_rows(table: pa.Table, rows: pa.Array) -> tuple[pa.Table, pa.Array]:
    """Drop fully blank rows (a blank row is blank in its first cell: look further only then)."""
    if not table.num_rows or not table.num_columns:
        return table, rows
    blank = _blank(table.column(0))
    if not pc.any(blank).as_py():
        return table, rows
    for column in table.columns[1:]:
        blank = pc.and_(blank, _blank(column))
    if not pc.any(blank).as_py():
        return table, rows
    keep = pc.invert(blank)
    if isinstance(keep, pa.ChunkedArray):
        keep = keep.combine_chunks()
    return table.filter(keep), rows.filter(keep)
