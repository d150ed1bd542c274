"""Append-only raw data by delivery: one row per delivered object in `raw_<source>.deliveries`.

A file-based source appends each accepted delivery (write disposition `append`: no staging
dataset, no merge) to its rows table, every row carrying only `delivery_id`, its row number and
`_dlt_load_id`; the object's lineage (bucket, key, etag, size, last modified, client, day,
`loaded_at`, row count) is one row of `raw_<source>.deliveries`, written in the same dlt load
package. Which delivery counts:

- a delivery is *committed* when its load package is in `_dlt_loads` with status 0 (dlt writes
  that row only after every table job of the package has been loaded);
- the *current* delivery of a client x day is its committed delivery with the newest load id.

So an interrupted load never shows: its rows and delivery rows are not committed. `prepare`
removes them at the start of the next run (under the pipeline lock, after dlt dropped the
unfinished package): delivery ids grow with every run, so every row whose id is above the
newest committed one belongs to an unfinished package. `supersede` deletes the rows of
deliveries replaced by a newer committed one, by delivery id (indexed).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from loaders.core.pipeline import CLIENT_DAY, CLIENT_DAY_HINTS, ensure_index
from loaders.warehouse.database import connect

TABLE = "deliveries"

COLUMNS = {
    "delivery_id": {"data_type": "bigint", "nullable": False},
    **CLIENT_DAY_HINTS,
    "source_bucket": {"data_type": "text", "nullable": True},
    "source_key": {"data_type": "text", "nullable": False},
    "source_etag": {"data_type": "text", "nullable": True},
    "source_size": {"data_type": "bigint", "nullable": False},
    "source_last_modified": {"data_type": "timestamp", "nullable": True},
    "row_count": {"data_type": "bigint", "nullable": False},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
}

# the columns every row of a rows table carries besides the file's own (and _dlt_load_id)
ROW_COLUMNS = {
    "delivery_id": {"data_type": "bigint", "nullable": False},
    "source_row_number": {"data_type": "bigint", "nullable": False},
}


@dataclass(frozen=True)
class Delivery:
    delivery_id: int
    client_id: str
    report_date: dt.date
    source_bucket: str | None
    source_key: str
    source_etag: str | None
    source_size: int
    load_id: str

    def same_object(self, bucket: str | None, key: str, etag: str | None, size: int) -> bool:
        return (self.source_bucket, self.source_key, self.source_etag, self.source_size) == (
            bucket,
            key,
            etag,
            size,
        )


def _exists(cur, schema: str, table: str) -> bool:
    cur.execute("select to_regclass(%s)", (f"{schema}.{table}",))
    return cur.fetchone()[0] is not None


def _committed_sql(schema: str) -> str:
    return f"""
        select distinct on (d.client_id, d.report_date)
            d.delivery_id, d.client_id, d.report_date, d.source_bucket, d.source_key,
            d.source_etag, d.source_size, d._dlt_load_id
        from {schema}.{TABLE} as d
        inner join {schema}._dlt_loads as l on l.load_id = d._dlt_load_id and l.status = 0
        where d.client_id = any(%s) and d.report_date = any(%s)
        order by d.client_id, d.report_date, d._dlt_load_id desc, d.delivery_id desc"""


def current(
    url: str, schema: str, clients: list[str], days: list[dt.date]
) -> dict[tuple[str, dt.date], Delivery]:
    """The current delivery of every (client, day) asked for that has one."""
    with connect(url) as conn, conn.cursor() as cur:
        if not (_exists(cur, schema, TABLE) and _exists(cur, schema, "_dlt_loads")):
            return {}
        cur.execute(_committed_sql(schema), (list(clients), list(days)))
        return {(r[1], r[2]): Delivery(*r) for r in cur.fetchall()}


class IdAllocator:
    """Delivery ids: microseconds since the epoch, strictly above every id already stored
    (committed or not), so ids grow run after run even if the clock steps back."""

    def __init__(self, floor: int) -> None:
        self._last = floor

    def next(self) -> int:
        self._last = max(self._last + 1, time.time_ns() // 1000)
        return self._last


def prepare(url: str, schema: str, rows_table: str) -> IdAllocator:
    """Remove what unfinished load packages left and return the id allocator of this run.
    Call under the pipeline lock, after dlt dropped pending packages."""
    with connect(url) as conn, conn.cursor() as cur:
        has_deliveries = _exists(cur, schema, TABLE)
        committed = stored = 0
        if has_deliveries and _exists(cur, schema, "_dlt_loads"):
            cur.execute(
                f"""select coalesce(max(d.delivery_id), 0) from {schema}.{TABLE} as d
                    where d._dlt_load_id in (select load_id from {schema}._dlt_loads
                                             where status = 0)"""
            )
            committed = cur.fetchone()[0]
        if has_deliveries:
            cur.execute(f"select coalesce(max(delivery_id), 0) from {schema}.{TABLE}")
            stored = cur.fetchone()[0]
            cur.execute(f"delete from {schema}.{TABLE} where delivery_id > %s", (committed,))
        if _exists(cur, schema, rows_table):
            cur.execute(f"delete from {schema}.{rows_table} where delivery_id > %s", (committed,))
        return IdAllocator(stored)


def supersede(url: str, schema: str, rows_table: str, keys: list[tuple[str, dt.date]]) -> int:
    """Delete the rows of every delivery of `keys` (client, day) but the current one; returns
    the number of rows deleted. The delivery rows stay as the history of what was delivered."""
    if not keys:
        return 0
    clients = sorted({k[0] for k in keys})
    days = sorted({k[1] for k in keys})
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""with current_deliveries as ({_committed_sql(schema)})
                select d.delivery_id from {schema}.{TABLE} as d
                inner join current_deliveries as c
                    on d.client_id = c.client_id and d.report_date = c.report_date
                where d.delivery_id <> c.delivery_id""",
            (clients, days),
        )
        stale = [r[0] for r in cur.fetchall()]
        if not stale:
            return 0
        cur.execute(f"delete from {schema}.{rows_table} where delivery_id = any(%s)", (stale,))
        return cur.rowcount


def ensure_indexes(url: str, schema: str, rows_table: str) -> None:
    """Indexes the loaders and dbt look deliveries up by (created once, after the first load)."""
    lineage = f"{schema}.{TABLE}"
    ensure_index(url, lineage, f"{TABLE}_id", ("delivery_id",), unique=True)
    ensure_index(url, lineage, f"{TABLE}_client_day", CLIENT_DAY)
    ensure_index(url, f"{schema}.{rows_table}", f"{rows_table}_delivery", ("delivery_id",))


def check_layout(url: str, schema: str, rows_table: str) -> None:
    """Refuse to append to a rows table of the earlier merge layout (lineage on every row, no
    delivery_id): its rows would not be attributed to any delivery."""
    from loaders.core.errors import ConfigError

    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            """select count(*) filter (where column_name = 'delivery_id'), count(*)
               from information_schema.columns where table_schema = %s and table_name = %s""",
            (schema, rows_table),
        )
        with_id, columns = cur.fetchone()
    if columns and not with_id:
        raise ConfigError(
            f"{schema}.{rows_table} has the layout of adwh before delivery ids (lineage on "
            f"every row); drop schema {schema} (cascade) and reload the days from the source, "
            "which keeps every delivered file"
        )
