"""One upload (check, parse, load a file) and a run of uploads for one client."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError, ConfigError, FileRejected
from loaders.core.pipeline import (
    append_lineage,
    constant,
    ensure_index,
    merge_resource,
    run_arrow,
    source_pipeline,
)
from loaders.core.results import incomplete
from loaders.sources.facebook.layout import COLUMN_HINTS, LINEAGE_COLUMNS, Layout
from loaders.sources.facebook.parsing import ParsedFile, parse
from loaders.sources.facebook.registry import (
    _already_loaded_message,
    _days_already_loaded,
    _register,
    ensure_registry,
)
from loaders.sources.facebook.settings import (
    DATASET,
    MERGE_KEY,
    SOURCE,
    TABLE,
    FacebookSettings,
    load_settings,
)


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


def _ensure_indexes(url: str) -> None:
    ensure_index(url, f"{DATASET}.{TABLE}", "ad_daily_client_day", ("client_id", "report_date"))


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
    problem = incomplete(results, "file", ("loaded", "skipped"))
    if problem:
        raise AdwhError(problem)
    skipped = sum(r.status == "skipped" for r in results)
    note = f", {skipped} already loaded before (unchanged)" if skipped else ""
    echo(f"{len(results) - skipped} file(s) loaded{note}")
