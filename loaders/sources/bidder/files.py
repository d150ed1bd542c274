"""One bidder file: read, typed, with lineage; and its result (status and import summary)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from loaders.core import ingestion_log
from loaders.core.errors import FileRejected
from loaders.core.pipeline import append_lineage, constant
from loaders.core.tabular import read_strings
from loaders.sources.bidder.parsing import (
    CATALOG_COLUMNS,
    PERFORMANCE_COLUMNS,
    parse_catalog,
    parse_performance,
)
from loaders.sources.bidder.settings import PerformanceSettings


@dataclass
class Rejection:
    row: int
    column: str
    rule: str
    detail: str | None

    def line(self) -> str:
        where = f"row {self.row}" + (f", column {self.column!r}" if self.column else "")
        text = f"{where}: {self.rule}"
        return text + (f" ({self.detail})" if self.detail else "")


@dataclass
class FileResult:
    path: str
    status: str = "failed"  # loaded | rejected | failed
    rows: int = 0
    message: str = ""
    load_id: str | None = None
    sha256: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # spec column -> header as written
    started_at: dt.datetime = field(default_factory=ingestion_log.utcnow)
    table: pa.Table | None = None
    # the import summary (summary.py): the staging rules applied to the file's rows
    valid_rows: int | None = None
    rejected_rows: int | None = None
    rejection_count: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    superseded_elsewhere: int = 0
    warnings: list[str] = field(default_factory=list)  # e.g. formulas read as empty cells

    def lines(self) -> list[str]:
        if self.status != "loaded":
            # a refusal names the file, row and column itself
            where = "" if self.message.startswith(self.path) else f"{self.path}: "
            return [f"{self.status}: {where}{self.message}"]
        warnings = [f"  warning: {w}" for w in self.warnings]
        if self.valid_rows is None:
            return [f"{self.path}: imported {self.rows:,} rows", *warnings]
        out = [
            f"{self.path}: imported {self.rows:,} rows: {self.valid_rows:,} accepted, "
            f"{self.rejected_rows:,} rejected (load {self.load_id})"
        ]
        out += warnings
        for rejection in self.rejections:
            out.append(f"  {rejection.line()}")
        if self.rejection_count > len(self.rejections):
            more = self.rejection_count - len(self.rejections)
            out.append(
                f"  ... and {more:,} more (marts.dq_quarantine after `adwh build`, "
                f"load_id = '{self.load_id}')"
            )
        if self.superseded_elsewhere:
            out.append(
                f"  {self.superseded_elsewhere:,} row(s) of earlier imports are now superseded "
                "by this file's finer breakdown (rule breakdown_superseded)"
            )
        return out


def _read_file(path: str, settings: PerformanceSettings) -> tuple[bytes, int]:
    file = Path(path)
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise FileRejected(path, "not a regular file")
        if size > settings.max_file_mb * 1024 * 1024:
            raise FileRejected(
                path,
                f"{size / 1048576:.1f} MB is over the {settings.max_file_mb:g} MB limit "
                "(sources.bidder.max_file_mb)",
            )
        return file.read_bytes(), size
    except OSError as exc:
        raise FileRejected(path, f"cannot be read ({exc.strerror or exc})") from None


def _with_lineage(
    table: pa.Table,
    hints: dict,
    path: str,
    sha256: str,
    size: int,
    row_numbers: pa.Array,
    loaded_at: dt.datetime,
) -> pa.Table:
    n = table.num_rows
    return append_lineage(
        table,
        hints,
        {
            "source_file": constant(path, pa.string(), n),
            "source_sha256": constant(sha256, pa.string(), n),
            "source_size": constant(size, pa.int64(), n),
            "source_row_number": row_numbers,
            "loaded_at": constant(loaded_at, pa.timestamp("us", tz="UTC"), n),
        },
    )


def read_file(
    path: str,
    kind: str,
    loaded_at: dt.datetime,
    settings: PerformanceSettings,
) -> FileResult:
    """Read and type one catalog or performance file; `table` is set when it is accepted."""
    result = FileResult(path)
    try:
        data, size = _read_file(path, settings)
        result.sha256 = hashlib.sha256(data).hexdigest()
        sheet = read_strings(data, path)
        result.warnings = sheet.warnings
        del data
        if kind == "catalog":
            typed, hints = parse_catalog(sheet), CATALOG_COLUMNS
        else:
            typed, result.headers = parse_performance(sheet)
            hints = PERFORMANCE_COLUMNS
        source_file = str(Path(path).resolve())
        result.table = _with_lineage(
            typed, hints, source_file, result.sha256, size, sheet.row_numbers, loaded_at
        )
        result.rows = result.table.num_rows
        result.status = "loaded"  # provisional: final once dlt has committed
    except FileRejected as exc:
        result.status, result.message = "rejected", str(exc)
    return result
