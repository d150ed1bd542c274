"""Bidder creative performance: catalog + performance files -> `raw_bidder` (source bidder).

Two commands, two raw tables:

- `adwh load creatives FILE` -> `raw_bidder.creatives`: which client and campaign each
  bidder creative_id belongs to. A catalog is reference data: a file with a bad row (a
  creative_id that is not a whole number, a blank client, a creative_id listed twice) is
  refused whole. Loading replaces the catalog of every client the file names (dlt merge /
  delete-insert on client_id).
- `adwh load performance FILE [FILE ...]` -> `raw_bidder.creative_performance`: one row
  per file row. The key is (creative_id, date, hour, geography, device_type); an absent hour,
  geography or device (no such column, or a blank cell) is a value of its own. Rows are
  merged on that key (dlt merge / delete-insert on `row_key`): a re-imported key replaces the
  stored row, so a corrected export wins and importing a file twice changes nothing.

Unlike Surfside, a malformed cell does not refuse the file: every parsed column keeps the cell
as delivered (`<column>_text`) beside a typed column that is NULL when the cell cannot be read.
Staging (`stg_bidder__creative_performance`) flags such rows (`malformed_<column>`) with
the other rules, and `dq_quarantine` holds them. Only file-level problems refuse a file
(unreadable, not CSV/XLSX, empty, a required column missing, over `max_file_mb`).

After each file, the import summary is read back from the warehouse: the staging view's
`is_valid` / `rejections` for the rows of that load (the view is built with dbt first when it
does not read the raw tables yet). The loader itself never re-validates values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError, FileRejected
from loaders.core.pipeline import (
    append_lineage,
    constant,
    ensure_index,
    merge_resource,
    run_arrow,
    source_pipeline,
)
from loaders.core.tabular import (
    DECIMAL_TYPE,
    INT,
    TEXT,
    Column,
    RawSheet,
    drop_zero_fraction,
    extra_columns,
    match_columns,
    read_strings,
    strip_thousands,
    type_columns,
)

log = logging.getLogger("adwh.performance")

SOURCE = "bidder"  # the source name in the warehouse (fact, quarantine, ingestion log)
DATASET = "bidder"  # raw schema raw_bidder, dlt pipeline adwh_bidder
CATALOG_TABLE = "creatives"
PERFORMANCE_TABLE = "creative_performance"
STAGING_VIEW = "stg_bidder__creative_performance"
CATALOG_VIEW = "stg_bidder__creatives"
SUMMARY_LIMIT = 100

# --- file layouts -----------------------------------------------------------------------------

CATALOG_SPEC = [
    Column("creative_id", INT, aliases=("creative",)),
    Column("client_id", TEXT, aliases=("client",)),
    Column("creative_name", TEXT),
    Column("campaign_name", TEXT, aliases=("campaign",)),
    Column("buyer_seat", TEXT, required=False, aliases=("seat",)),
    Column("format", TEXT, required=False, aliases=("creative format",)),
    Column("destination_url", TEXT, required=False, aliases=("landing page", "click url")),
]

# Performance columns are matched by header only; values are typed leniently below.
PERFORMANCE_SPEC = [
    Column("creative_id", aliases=("creative",)),
    Column("date", aliases=("day", "report date")),
    Column("impressions", aliases=("imps",)),
    Column("clicks"),
    Column("spend", aliases=("cost", "media cost")),
    Column("hour", required=False, aliases=("hour of day",)),
    Column("geography", required=False, aliases=("geo", "country", "country code")),
    Column("device_type", required=False, aliases=("device",)),
    Column("placement", required=False),
]

# column -> kind of the typed column; the cell as delivered is kept in `<column>_text`
PARSED = {
    "creative_id": "int",
    "date": "date",
    "hour": "int",
    "impressions": "int",
    "clicks": "int",
    "spend": "decimal",
}
PLAIN_TEXT = ("geography", "device_type", "placement")

_COMMON_LINEAGE = {
    "source_file": {"data_type": "text", "nullable": False},
    "source_sha256": {"data_type": "text", "nullable": False},
    "source_size": {"data_type": "bigint", "nullable": False},
    "source_row_number": {"data_type": "bigint", "nullable": False},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
}

CATALOG_COLUMNS = {
    "creative_id": {"data_type": "bigint", "nullable": False},
    "client_id": {"data_type": "text", "nullable": False},
    "creative_name": {"data_type": "text", "nullable": True},
    "campaign_name": {"data_type": "text", "nullable": True},
    "buyer_seat": {"data_type": "text", "nullable": True},
    "format": {"data_type": "text", "nullable": True},
    "destination_url": {"data_type": "text", "nullable": True},
    **_COMMON_LINEAGE,
}

PERFORMANCE_COLUMNS = {
    "creative_id": {"data_type": "bigint", "nullable": True},
    "date": {"data_type": "date", "nullable": True},
    "hour": {"data_type": "bigint", "nullable": True},
    "geography": {"data_type": "text", "nullable": True},
    "device_type": {"data_type": "text", "nullable": True},
    "placement": {"data_type": "text", "nullable": True},
    "impressions": {"data_type": "bigint", "nullable": True},
    "clicks": {"data_type": "bigint", "nullable": True},
    "spend": {"data_type": "decimal", "precision": 38, "scale": 12, "nullable": True},
    **{f"{name}_text": {"data_type": "text", "nullable": True} for name in PARSED},
    "row_key": {"data_type": "text", "nullable": False},
    **_COMMON_LINEAGE,
}

_ARROW_TYPES = {"int": pa.int64(), "date": pa.date32(), "decimal": DECIMAL_TYPE}
_INTEGER = r"^[+-]?\d{1,18}$"
_DECIMAL = r"^[+-]?(\d{1,26}(\.\d*)?|\.\d+)$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class PerformanceSettings:
    max_file_mb: float = 500.0


def load_settings() -> PerformanceSettings:
    """`[sources.bidder]` from .dlt/config.toml or SOURCES__BIDDER__* env vars."""
    import dlt

    value = dlt.config.get("sources.bidder.max_file_mb")
    return PerformanceSettings(max_file_mb=float(value or 500))


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
    # the import summary, read back from the warehouse
    valid_rows: int | None = None
    rejected_rows: int | None = None
    rejection_count: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    superseded_elsewhere: int = 0

    def lines(self) -> list[str]:
        if self.status != "loaded":
            # a refusal names the file, row and column itself
            where = "" if self.message.startswith(self.path) else f"{self.path}: "
            return [f"{self.status}: {where}{self.message}"]
        if self.valid_rows is None:
            return [f"{self.path}: imported {self.rows:,} rows"]
        out = [
            f"{self.path}: imported {self.rows:,} rows: {self.valid_rows:,} accepted, "
            f"{self.rejected_rows:,} rejected (load {self.load_id})"
        ]
        for rejection in self.rejections:
            out.append(f"  {rejection.line()}")
        if self.rejection_count > len(self.rejections):
            more = self.rejection_count - len(self.rejections)
            out.append(
                f"  ... and {more:,} more (marts.dq_quarantine after `adwh build`, or "
                f"staging.{STAGING_VIEW} where load_id = '{self.load_id}')"
            )
        if self.superseded_elsewhere:
            out.append(
                f"  {self.superseded_elsewhere:,} row(s) of earlier imports are now superseded "
                "by this file's finer breakdown (rule breakdown_superseded)"
            )
        return out


# --- reading files ----------------------------------------------------------------------------


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


def _blank_to_null(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def lenient_number(text: pa.Array, kind: str) -> pa.Array:
    """Cells as numbers; blank, and anything that is not a plain number, become NULL.

    Accepted: optional sign, digits, thousands separators in groups of three
    (`1,234,567.89`), and for whole numbers a zero fraction (`12.0`).
    """
    values = _blank_to_null(text)
    values = strip_thousands(values)
    if kind == "int":
        values = drop_zero_fraction(values)
        ok = pc.match_substring_regex(values, _INTEGER)
        return pc.cast(pc.if_else(ok, values, pa.scalar(None, pa.string())), pa.int64())
    ok = pc.match_substring_regex(values, _DECIMAL)
    candidates = pc.if_else(ok, values, pa.scalar(None, pa.string()))
    try:
        return pc.cast(candidates, DECIMAL_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # e.g. more than 12 decimals: round those in Python
    from decimal import Decimal

    quantum = Decimal(1).scaleb(-DECIMAL_TYPE.scale)
    return pa.array(
        [None if v is None else Decimal(v).quantize(quantum) for v in candidates.to_pylist()],
        DECIMAL_TYPE,
    )


def lenient_date(text: pa.Array) -> pa.Array:
    """YYYY-MM-DD cells as dates; blank and anything else (including 2025-02-30) NULL."""
    values = _blank_to_null(text)
    ok = pc.match_substring_regex(values, _ISO_DATE)
    candidates = pc.if_else(ok, values, pa.scalar(None, pa.string()))
    parsed = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
    # Arrow rolls impossible days over (2025-11-31 -> 2025-12-01): keep only round trips
    shown = pc.strftime(parsed, format="%Y-%m-%d")
    parsed = pc.if_else(pc.equal(shown, candidates), parsed, pa.scalar(None, parsed.type))
    return pc.cast(parsed, pa.date32())


def _key_part(typed: pa.Array, text: pa.Array) -> pa.Array:
    """The typed value as text where it parsed, else the trimmed cell ('' when blank)."""
    if pa.types.is_date32(typed.type):
        shown = pc.strftime(pc.cast(typed, pa.timestamp("s")), format="%Y-%m-%d")
    else:
        shown = pc.cast(typed, pa.string())
    return pc.fill_null(pc.coalesce(shown, _blank_to_null(text)), "")


def parse_performance(sheet: RawSheet) -> tuple[pa.Table, dict[str, str]]:
    """Typed performance columns, the cells as delivered, extra columns as text, the row key."""
    positions = match_columns(sheet, PERFORMANCE_SPEC)
    n = sheet.num_rows
    headers = {name: sheet.headers[index] for name, index in positions.items()}

    def cells(name: str) -> pa.Array:
        if name not in positions:
            return pa.nulls(n, pa.string())
        return sheet.table.column(positions[name]).combine_chunks()

    arrays: dict[str, pa.Array] = {}
    texts: dict[str, pa.Array] = {}
    for name, kind in PARSED.items():
        texts[name] = cells(name)
        if name not in positions:
            arrays[name] = pa.nulls(n, _ARROW_TYPES[kind])
        elif kind == "date":
            arrays[name] = lenient_date(texts[name])
        else:
            arrays[name] = lenient_number(texts[name], kind)
    for name in PLAIN_TEXT:
        arrays[name] = cells(name)

    geography = pc.utf8_upper(pc.fill_null(pc.utf8_trim_whitespace(arrays["geography"]), ""))
    device = pc.utf8_lower(pc.fill_null(pc.utf8_trim_whitespace(arrays["device_type"]), ""))
    row_key = pc.binary_join_element_wise(
        _key_part(arrays["creative_id"], texts["creative_id"]),
        _key_part(arrays["date"], texts["date"]),
        _key_part(arrays["hour"], texts["hour"]),
        geography,
        device,
        "|",
    )

    ordered = {
        "creative_id": arrays["creative_id"],
        "date": arrays["date"],
        "hour": arrays["hour"],
        "geography": arrays["geography"],
        "device_type": arrays["device_type"],
        "placement": arrays["placement"],
        "impressions": arrays["impressions"],
        "clicks": arrays["clicks"],
        "spend": arrays["spend"],
        **{f"{name}_text": texts[name] for name in PARSED},
    }
    # columns the layout does not know are kept as text so nothing the bidder sent is lost
    taken = set(ordered) | set(PERFORMANCE_COLUMNS)
    ordered.update(extra_columns(sheet, set(positions.values()), taken))
    ordered["row_key"] = row_key
    fields = [
        pa.field(name, array.type, nullable=name != "row_key") for name, array in ordered.items()
    ]
    return pa.Table.from_arrays(list(ordered.values()), schema=pa.schema(fields)), headers


def parse_catalog(sheet: RawSheet) -> pa.Table:
    """The catalog typed; refuses the file on a blank required cell or a repeated creative_id."""
    table = type_columns(sheet, CATALOG_SPEC, keep_extra=False)
    positions = match_columns(sheet, CATALOG_SPEC)
    for name in ("creative_id", "client_id", "creative_name", "campaign_name"):
        column = table.column(name)
        blank = pc.is_null(column) if name == "creative_id" else pc.is_null(_blank_to_null(column))
        if pc.any(blank).as_py():
            i = pc.index(blank, True).as_py()
            raise FileRejected(
                sheet.file_name,
                "a catalog row needs a creative_id, client_id, creative_name and campaign_name",
                row=sheet.row_numbers[i].as_py(),
                column=sheet.headers[positions[name]],
            )
    ids = table.column("creative_id").to_pylist()
    if len(set(ids)) != len(ids):
        seen: dict[int, int] = {}
        for i, creative_id in enumerate(ids):
            if creative_id in seen:
                first = sheet.row_numbers[seen[creative_id]].as_py()
                raise FileRejected(
                    sheet.file_name,
                    f"creative_id {creative_id} is listed twice (first in row {first})",
                    row=sheet.row_numbers[i].as_py(),
                    column=sheet.headers[positions["creative_id"]],
                )
            seen[creative_id] = i
    return table.cast(
        pa.schema(
            [
                pa.field(f.name, f.type, nullable=f.name not in ("creative_id", "client_id"))
                for f in table.schema
            ]
        )
    )


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


# --- loading ----------------------------------------------------------------------------------


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
) -> FileResult:
    """Load one creative catalog file; it replaces the catalog of every client it names."""
    settings = settings or load_settings()
    loaded_at = ingestion_log.utcnow()
    result = read_file(path, "catalog", loaded_at, settings)
    clients: list[str] = []
    if result.table is not None:
        clients = sorted(set(result.table.column("client_id").to_pylist()))
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
    earlier one's). With `summary`, each loaded file's summary is read from the warehouse and
    echoed; a refused file is reported and the next file still loads."""
    settings = settings or load_settings()
    loaded_at = ingestion_log.utcnow()
    run_id = ingestion_log.new_run_id()
    results: list[FileResult] = []
    with source_pipeline(DATASET, url) as pipeline:
        for path in paths:
            result = read_file(path, "performance", loaded_at, settings)
            _load_one(pipeline, url, run_id, result, _performance_resource, "")
            results.append(result)
    _ensure_indexes(url)
    problem = None
    if summary and any(r.status == "loaded" for r in results):
        try:
            ensure_staging_views(url)
            for result in results:
                if result.status == "loaded":
                    read_summary(url, result)
        except AdwhError as exc:
            problem = exc
    if echo is not None:
        for result in results:
            for line in result.lines():
                echo(line)
    if problem is not None:
        loaded = sum(r.status == "loaded" for r in results)
        raise AdwhError(
            f"{loaded} file(s) imported, but their summary could not be read from "
            f"staging.{STAGING_VIEW} ({problem}); `adwh build` shows the rejected rows in "
            "marts.dq_quarantine"
        )
    return results


def _ensure_indexes(url: str) -> None:
    # the merge deletes stored rows by row_key
    table = f"raw_{DATASET}.{PERFORMANCE_TABLE}"
    ensure_index(url, table, f"{PERFORMANCE_TABLE}_row_key", ("row_key",))


# --- the import summary, read back from the warehouse ----------------------------------------


def _view_reads(cur, view: str, table: str) -> bool:
    """True when staging.<view> exists and its definition reads raw_bidder.<table>."""
    cur.execute(
        """select exists (
               select 1 from pg_depend as d
               join pg_rewrite as r on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
               where r.ev_class = to_regclass(%s) and d.refobjid = to_regclass(%s))""",
        (f"staging.{view}", f"raw_{DATASET}.{table}"),
    )
    return bool(cur.fetchone()[0])


def ensure_staging_views(url: str) -> bool:
    """Build the bidder staging views (and the seeds they read) unless they already read the
    raw tables. A view built before the first load reads a typed empty stand-in
    (`source_or_empty`), so it must be rebuilt once the raw table exists. True when dbt ran."""
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        current = _view_reads(cur, STAGING_VIEW, PERFORMANCE_TABLE)
        cur.execute(f"select to_regclass('raw_{DATASET}.{CATALOG_TABLE}')")
        if cur.fetchone()[0] is not None:
            current = current and _view_reads(cur, CATALOG_VIEW, CATALOG_TABLE)
    if current:
        return False
    from loaders.warehouse.dbt_runner import run_dbt

    log.info("building the bidder staging views for the import summary")
    run_dbt(
        [
            "build",
            "--quiet",
            "--select",
            f"+{STAGING_VIEW}",
            "--exclude-resource-type",
            "test",
            "unit_test",
        ],
        url,
    )
    return True


# The view is evaluated once per summary: its window functions (one breakdown per creative-day,
# duplicate keys) need every stored row, so a filter on load_id cannot be pushed into it.
SUMMARY_ROWS_SQL = f"""
create temporary table import_summary on commit drop as
select load_id, source_row_number, is_valid, rejections, creative_id, date_day
from staging.{STAGING_VIEW}
where load_id = %(load_id)s
   or (not is_valid and invalid_reasons like '%%breakdown_superseded%%')
"""

SUMMARY_COUNTS_SQL = """
select count(*), count(*) filter (where is_valid), count(*) filter (where not is_valid),
       coalesce(sum(jsonb_array_length(rejections)), 0)
from import_summary
where load_id = %(load_id)s
"""

SUMMARY_REJECTIONS_SQL = """
select s.source_row_number, r.item ->> 'column', r.item ->> 'rule', r.item ->> 'detail'
from import_summary as s
cross join lateral jsonb_array_elements(s.rejections) with ordinality as r (item, n)
where s.load_id = %(load_id)s and not s.is_valid
order by s.source_row_number, r.n
limit %(limit)s
"""

SUMMARY_SUPERSEDED_SQL = """
select count(*)
from import_summary as other
where other.load_id <> %(load_id)s
  and exists (
      select 1 from import_summary as mine
      where mine.load_id = %(load_id)s
        and mine.creative_id = other.creative_id and mine.date_day = other.date_day)
"""


def read_summary(url: str, result: FileResult, limit: int = SUMMARY_LIMIT) -> FileResult:
    """Fill `result`'s summary from staging: the dbt rules decide, this only reads."""
    from loaders.warehouse.database import connect

    params = {"load_id": result.load_id, "limit": limit}
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(SUMMARY_ROWS_SQL, params)
        cur.execute(SUMMARY_COUNTS_SQL, params)
        rows, valid, rejected, rejection_count = cur.fetchone()
        cur.execute(SUMMARY_REJECTIONS_SQL, params)
        found = cur.fetchall()
        cur.execute(SUMMARY_SUPERSEDED_SQL, params)
        superseded = cur.fetchone()[0]
    result.rows, result.valid_rows, result.rejected_rows = rows, valid, rejected
    result.rejection_count = rejection_count
    result.superseded_elsewhere = superseded
    result.rejections = [
        Rejection(row, result.headers.get(column, column), rule, detail)
        for row, column, rule, detail in found
    ]
    return result
