"""dlt plumbing shared by every source: one pipeline per source, Arrow in, parquet via ADBC out.

- dataset `raw_<source>` in the warehouse; dlt's working dir under `<ADWH_HOME>/dlt/<db>`,
  keyed by database so two warehouses never share local state;
- a lock per pipeline: one pipeline name never runs twice at once (a second run waits);
- a package left by a crashed run is dropped before a new run extracts, so every run loads
  exactly what it was asked to (dlt would otherwise finish the old package and return);
- `_dlt_load_id` is written on Arrow rows (parquet normaliser setting).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

from loaders.core.errors import AdwhError, redact
from loaders.core.settings import dlt_pipelines_dir, prepare_dlt_environment

log = logging.getLogger("adwh.pipeline")

LOADER_FILE_FORMAT = "parquet"


@dataclass(frozen=True)
class LoadOutcome:
    load_id: str
    rows: int


def _db_key(url: str) -> str:
    parts = urlparse(url)
    ident = f"{parts.hostname}:{parts.port}/{parts.path.lstrip('/')}"
    return hashlib.sha1(ident.encode()).hexdigest()[:10]  # noqa: S324 - a directory name


def forget_local_state(url: str) -> None:
    """Remove dlt's local working state (pipeline state, schemas, packages) kept for the
    warehouse at `url`. dlt trusts that state over an empty destination, so a database created
    anew under a name used before must start without it."""
    shutil.rmtree(dlt_pipelines_dir() / _db_key(url), ignore_errors=True)


@contextlib.contextmanager
def source_pipeline(source: str, url: str) -> Iterator:
    """A dlt pipeline for `source` with the pipeline lock held for the whole block."""
    prepare_dlt_environment()
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    import dlt

    workdir = dlt_pipelines_dir() / _db_key(url)
    workdir.mkdir(parents=True, exist_ok=True)
    lock_path = workdir / f"adwh_{source}.lock"
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another `adwh load %s` is running against this warehouse; waiting", source)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pipeline = dlt.pipeline(
                pipeline_name=f"adwh_{source}",
                destination=dlt.destinations.postgres(credentials=url),
                dataset_name=f"raw_{source}",
                pipelines_dir=str(workdir),
            )
            if pipeline.has_pending_data:
                log.warning("dropping an unfinished load package of a previous %s run", source)
                pipeline.drop_pending_packages()
            yield pipeline
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def merge_resource(name: str, merge_key, columns: dict):
    """A maker of dlt resources over Arrow tables, merged into table `name` with
    delete-insert on `merge_key`: rows of the merge key values present in the load replace
    every row those values had. `columns` are the dlt column hints (types, nullability)."""

    def make(tables):
        import dlt

        @dlt.resource(
            name=name,
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            merge_key=list(merge_key),
            columns=columns,
        )
        def rows():
            yield from tables

        return rows()

    return make


def constant(value, type_, length: int):
    """A column holding one value: dictionary-encoded for text (one copy in memory)."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_string(type_):
        indices = pa.array(np.zeros(length, dtype=np.int32))
        return pa.DictionaryArray.from_arrays(indices, pa.array([value], type_))
    return pa.repeat(pa.scalar(value, type_), length)


def append_lineage(table, hints: dict[str, dict], columns: dict):
    """Append lineage `columns` (name -> Arrow array) to `table`, nullability per dlt `hints`.

    A vendor column that already carries a lineage name is kept, renamed `vendor_<name>`.
    Declaring non-nullable columns as such in Arrow keeps dlt from warning that Arrow and the
    resource hints disagree.
    """
    import pyarrow as pa

    for name, array in columns.items():
        if name in table.column_names:
            table = table.rename_columns(
                [f"vendor_{c}" if c == name else c for c in table.column_names]
            )
        nullable = hints.get(name, {}).get("nullable", True)
        table = table.append_column(pa.field(name, array.type, nullable=nullable), array)
    return table


def append_resource(name: str, columns: dict, items):
    """A dlt resource appending `items` (Arrow tables or record batches, or an iterator of
    them) to table `name`: no staging dataset, no merge. `columns` are dlt column hints."""
    import dlt

    return dlt.resource(items, name=name, write_disposition="append", columns=columns)


def run_arrow(pipeline, resource, tables: list) -> LoadOutcome:
    """Load Arrow `tables` through `resource` (a function making the dlt resource).

    The caller's tables are released (the list is emptied) once dlt has written them to its
    load package: peak memory stays near one copy of the data. The warehouse is unchanged on
    failure because dlt merges from its staging dataset in one transaction.
    """
    from loaders.core import failures

    what = failures.describe_tables(pipeline.dataset_name.removeprefix("raw_"), tables)
    return run_data(pipeline, resource(tables), after_extract=tables.clear, what=what)


def run_data(pipeline, data, after_extract=None, what: str | None = None) -> LoadOutcome:
    """Extract `data` (resources), normalise and load it as one load package.

    Extract, normalise and load run as separate steps so `after_extract` can release what dlt
    has written to its package. On failure the package is dropped so nothing of it is retried
    implicitly, and an AdwhError with dlt's (redacted) reason is raised.
    """
    import pyarrow as pa
    from dlt.pipeline.exceptions import PipelineStepFailed

    from loaders.core import failures

    what = what or pipeline.dataset_name.removeprefix("raw_")
    try:
        with failures.loading(what):
            pipeline.extract(data, loader_file_format=LOADER_FILE_FORMAT)
            if after_extract is not None:
                after_extract()
            pa.default_memory_pool().release_unused()
            normalized = pipeline.normalize()
            info = pipeline.load()
    except PipelineStepFailed as exc:
        with contextlib.suppress(Exception):
            pipeline.drop_pending_packages()
        cause = exc.__cause__ or exc
        raise AdwhError(
            f"load into raw_{pipeline.dataset_name.removeprefix('raw_')} failed "
            f"at the {exc.step} step: {redact(str(cause))}"
        ) from None
    load_id = info.loads_ids[-1] if info.loads_ids else ""
    rows = sum(
        count for table, count in normalized.row_counts.items() if not table.startswith("_dlt")
    )
    return LoadOutcome(load_id, rows)


def ensure_index(
    url: str, table: str, index: str, columns: tuple[str, ...], unique: bool = False
) -> None:
    """`create [unique] index if not exists` on a raw table, once dlt has created that table."""
    from loaders.warehouse.database import connect

    kind = "unique index" if unique else "index"
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", (table,))
        if cur.fetchone()[0] is None:
            return
        cur.execute(f"create {kind} if not exists {index} on {table} ({', '.join(columns)})")


CLIENT_DAY = ("client_id", "report_date")

# dlt hints of the lineage columns every (client, day) source carries
CLIENT_DAY_HINTS = {
    "client_id": {"data_type": "text", "nullable": False},
    "report_date": {"data_type": "date", "nullable": False},
}
ROW_HINTS = {
    "source_row_number": {"data_type": "bigint", "nullable": False},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
}


@dataclass(frozen=True)
class ClientDayTable:
    """A raw table merged per (client_id, report_date): a day loaded again replaces the day."""

    source: str
    name: str
    hints: dict

    def resource(self):
        return merge_resource(self.name, CLIENT_DAY, self.hints)

    def ensure_index(self, url: str) -> None:
        ensure_index(url, f"raw_{self.source}.{self.name}", f"{self.name}_client_day", CLIENT_DAY)
