"""Loading bidder files: catalogs (replace each named client's catalog) and performance files
(merged on the row key), one dlt load per file, each attempt in the ingestion log."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError
from loaders.core.pipeline import ensure_index, merge_resource, run_arrow, source_pipeline
from loaders.sources.bidder import summary as import_summary
from loaders.sources.bidder.files import FileResult, read_file
from loaders.sources.bidder.parsing import CATALOG_COLUMNS, PERFORMANCE_COLUMNS
from loaders.sources.bidder.settings import (
    CATALOG_TABLE,
    DATASET,
    PERFORMANCE_TABLE,
    SOURCE,
    SUMMARY_LIMIT,
    PerformanceSettings,
    load_settings,
)

_catalog_resource = merge_resource(CATALOG_TABLE, ["client_id"], CATALOG_COLUMNS)


_performance_resource = merge_resource(PERFORMANCE_TABLE, ["row_key"], PERFORMANCE_COLUMNS)


def _load_one(pipeline, url: str, run_id: str, result: FileResult, resource, note: str) -> None:
    if result.table is not None:
        tables = [result.table]
        result.table = None  # run_arrow releases it once dlt has it
        try:
            result.load_id = run_arrow(pipeline, resource, tables).load_id
        except AdwhError as exc:
            result.status, result.message, result.rows = "failed", str(exc), 0
    ingestion_log.record_attempt(
        url,
        run_id,
        SOURCE,
        result,
        object_key=result.path,
        object_version=result.sha256,
        note=note,
    )


def load_catalog(
    url: str,
    path: str,
    settings: PerformanceSettings | None = None,
    echo: Callable[[str], None] | None = print,
    check: Callable[[list[str]], object] | None = None,
) -> FileResult:
    """Load one creative catalog file; it replaces the catalog of every client it names.
    `check` gets the clients the file names before anything is written (it may raise)."""
    settings = settings or load_settings()
    loaded_at = ingestion_log.utcnow()
    result = read_file(path, "catalog", loaded_at, settings)
    clients: list[str] = []
    if result.table is not None:
        clients = sorted(set(result.table.column("client_id").to_pylist()))
        if check is not None:
            check(clients)
    with source_pipeline(DATASET, url) as pipeline:
        _load_one(
            pipeline,
            url,
            ingestion_log.new_run_id(),
            result,
            _catalog_resource,
            f"creative catalog for {', '.join(clients)}",
        )
    _ensure_indexes(url)
    if echo is None:
        pass
    elif result.status == "loaded":
        echo(
            f"{path}: loaded {result.rows:,} creatives; replaced the catalog of "
            f"{', '.join(clients)}"
        )
    else:
        for line in result.lines():
            echo(line)
    return result


def load_performance(
    url: str,
    paths: list[str],
    settings: PerformanceSettings | None = None,
    echo: Callable[[str], None] | None = print,
    summary: bool = True,
) -> list[FileResult]:
    """Import performance files in order, one load each (a later file's keys replace an
    earlier one's). With `summary`, each loaded file's summary (the staging rules applied to
    its rows, summary.py) is echoed; a refused file is reported and the next still loads."""
    settings = settings or load_settings()
    loaded_at = ingestion_log.utcnow()
    run_id = ingestion_log.new_run_id()
    results: list[FileResult] = []
    checks: dict[int, import_summary.FileChecks] = {}
    with source_pipeline(DATASET, url) as pipeline:
        for path in paths:
            result = read_file(path, "performance", loaded_at, settings)
            if summary and result.table is not None:
                found = import_summary.check_file(url, result.table, loaded_at, SUMMARY_LIMIT)
                if len(paths) > 1:
                    found.row_key = result.table.column("row_key").combine_chunks()
                checks[len(results)] = found
            _load_one(pipeline, url, run_id, result, _performance_resource, "")
            results.append(result)
    _ensure_indexes(url)
    later_keys = None
    for index in reversed(range(len(results))):
        result, found = results[index], checks.get(index)
        if found is None or result.status != "loaded":
            continue
        replaced = None
        if later_keys is not None:
            replaced = pc.is_in(found.row_key, value_set=later_keys)
        import_summary.finish(url, result, found, replaced, SUMMARY_LIMIT)
        if found.row_key is not None:
            keys = found.row_key
            later_keys = keys if later_keys is None else pa.concat_arrays([later_keys, keys])
    if echo is not None:
        for result in results:
            for line in result.lines():
                echo(line)
    return results


def _ensure_indexes(url: str) -> None:
    performance = f"raw_{DATASET}.{PERFORMANCE_TABLE}"
    # the merge deletes stored rows by row_key
    ensure_index(url, performance, f"{PERFORMANCE_TABLE}_row_key", ("row_key",))
    # the import summary reads the stored rows of a file's creative-days, and the catalog
    # entries of its creative_ids
    ensure_index(url, performance, f"{PERFORMANCE_TABLE}_creative_day", ("creative_id", "date"))
    catalog = f"raw_{DATASET}.{CATALOG_TABLE}"
    ensure_index(url, catalog, f"{CATALOG_TABLE}_creative_id", ("creative_id",))
