"""dlt resources over the partner's tables (dlt's `sql_table`, pyarrow backend: Arrow batches).

- `media_buys`: reference data, read whole every run, `replace`.
- `impressions`, `videos`: incremental on `date` with `lag = lookback_days` (days, for a date
  cursor): a run re-reads from (newest day seen - lookback_days) on. `--from/--to` sets
  `initial_value`/`end_value`: dlt then reads exactly that range, switches the lag off and
  leaves the incremental state as it was, so normal runs continue where they were.
- Replacement: `merge` / `delete-insert` with a `destination_scope` (dlt 1.31) built from the
  range dlt actually queried: the load deletes every raw row of the window - of the selected
  clients' media buys and of unknown media buys - and inserts what was read, in one
  transaction. A restated row overwrites, a row deleted upstream disappears, older days are
  untouched. The scope is attached to the first batch (dlt `with_hints`), once the query has
  been built, so it is the very range read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core.pipeline import constant
from loaders.sources.partner.copy_loader import copy_loader_class
from loaders.sources.partner.settings import PartnerSettings
from loaders.sources.partner.tables import partner_table, renamed

LOADED_AT = {"loaded_at": {"data_type": "timestamp", "nullable": False}}


@dataclass
class MediaBuys:
    """media_buy_id -> client_id, and which media buys this run reads."""

    table: pa.Table
    clients: list[str] | None = None  # None: every client

    def __post_init__(self) -> None:
        ids = self.table.column("media_buy_id").cast(pa.string())
        owners = self.table.column("client_id").cast(pa.string())
        self.ids = pc.drop_null(ids).combine_chunks() if len(ids) else pa.array([], pa.string())
        self.owner = dict(zip(ids.to_pylist(), owners.to_pylist(), strict=True))
        self.all_clients = sorted({c for c in self.owner.values() if c is not None})
        if self.clients is None:
            self.selected = None
        else:
            wanted = set(self.clients)
            self.selected = sorted(
                b for b, c in self.owner.items() if b is not None and c in wanted
            )

    def client_of(self, buy_ids: pa.ChunkedArray | pa.Array) -> pa.Array:
        """The client of each media buy (NULL for one not in media_buys)."""
        keys = list(self.owner)
        values = pa.array([self.owner[k] for k in keys], pa.string())
        index = pc.index_in(buy_ids, value_set=pa.array(keys, pa.string()))
        return pc.take(values, index)


def _literal(value: str) -> str:
    # a literal in dlt's scope template: quotes doubled for SQL, braces for str.format
    return "'" + value.replace("'", "''").replace("{", "{{").replace("}", "}}") + "'"


def scope_sql(start: dt.date | None, end: dt.date | None, buys: MediaBuys) -> str:
    """The raw rows a run replaces: its days (and undated rows), of the media buys it reads."""
    parts = []
    if start is not None or end is not None:
        days = []
        if start is not None:
            days.append(f"\"date\" >= '{start.isoformat()}'")
        if end is not None:
            days.append(f"\"date\" <= '{end.isoformat()}'")
        parts.append(f'(({" and ".join(days)}) or "date" is null)')
    if buys.selected is not None:
        chosen = ", ".join(_literal(b) for b in buys.selected) or "null"
        known = ", ".join(_literal(b) for b in buys.owner if b is not None) or "null"
        parts.append(
            f"(media_buy_id in ({chosen}) or media_buy_id is null or media_buy_id not in ({known}))"
        )
    return " and ".join(parts) or "1 = 1"


@dataclass
class Window:
    """What one metrics table's read covered, filled in while dlt extracts."""

    raw_name: str
    start: dt.date | None = None
    end: dt.date | None = None
    queried: bool = False
    rows: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    unknown_buys: Counter = field(default_factory=Counter)
    by_client_day: Counter = field(default_factory=Counter)  # (client|None, day) -> rows

    def observe(self, batch: pa.Table, buys: MediaBuys) -> None:
        self.rows += batch.num_rows
        dates = batch.column("date")
        low, high = pc.min(dates).as_py(), pc.max(dates).as_py()
        if low is not None:
            self.first_day = low if self.first_day is None else min(self.first_day, low)
            self.last_day = high if self.last_day is None else max(self.last_day, high)
        ids = batch.column("media_buy_id")
        clients = buys.client_of(ids)
        counts = (
            pa.table({"client": clients, "day": dates})
            .group_by(["client", "day"])
            .aggregate([([], "count_all")])
        )
        for client, day, n in zip(*(counts.column(i).to_pylist() for i in range(3)), strict=True):
            self.by_client_day[(client, day)] += n
        unknown = pc.filter(ids, pc.is_null(clients))
        if len(unknown):
            counted = pc.value_counts(unknown)
            for item in counted:
                self.unknown_buys[item["values"].as_py()] += item["counts"].as_py()


def media_buy_rows(engine, metadata, settings: PartnerSettings, loaded_at: dt.datetime):
    """Read the media buys whole (dlt sql_table, iterated here: it is small reference data the
    run needs before reading the metrics) and return them as one Arrow table."""
    from dlt.sources.sql_database import sql_table

    resource = sql_table(
        credentials=engine,
        table=partner_table(settings, "media_buys"),
        metadata=metadata,
        backend="pyarrow",
        reflection_level="full_with_precision",
        chunk_size=settings.chunk_size,
        table_adapter_callback=lambda t: renamed(t, "media_buys", settings),
    )
    batches = [b for b in resource if isinstance(b, pa.Table) and b.num_rows]
    if not batches:
        from loaders.sources.partner.tables import TABLES

        schema = pa.schema([(s.name, pa.string()) for s in TABLES["media_buys"]])
        table = schema.empty_table()
    else:
        table = pa.concat_tables(batches, promote_options="permissive")
    return table.append_column(
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        constant(loaded_at, pa.timestamp("us", tz="UTC"), table.num_rows),
    )


def media_buys_resource(table: pa.Table):
    import dlt

    @dlt.resource(name="media_buys", write_disposition="replace", columns=LOADED_AT)
    def media_buys():
        yield table

    return media_buys()


def metrics_resource(
    engine,
    metadata,
    settings: PartnerSettings,
    raw_name: str,
    buys: MediaBuys,
    window: Window,
    loaded_at: dt.datetime,
    first: dt.date | None = None,
    last: dt.date | None = None,
):
    """`impressions` or `videos`: incremental on date, window replaced (module docstring)."""
    import dlt
    import sqlalchemy as sa
    from dlt.sources.sql_database import sql_table

    backfill = first is not None
    incremental = dlt.sources.incremental[dt.date](
        "date",
        initial_value=first if backfill else settings.start_date,
        end_value=last if backfill else None,
        lag=None if backfill else settings.lookback_days or None,
        range_start="closed",
        range_end="closed",
        on_cursor_value_missing="include",  # undated rows land in raw (and the quarantine)
    )

    def adapt_query(query, table, incremental=None, engine=None):
        window.start, window.end = incremental.get_current_range() if incremental else (None, None)
        if not backfill:
            window.end = None  # an incremental run reads everything newer
        window.queried = True
        if buys.selected is not None:
            column = table.c.media_buy_id
            query = query.where(
                sa.or_(
                    column.in_(buys.selected),
                    column.is_(None),
                    sa.not_(column.in_([b for b in buys.owner if b is not None])),
                )
            )
        return query

    resource = sql_table(
        credentials=engine,
        table=partner_table(settings, raw_name),
        metadata=metadata,
        incremental=incremental,
        backend="pyarrow",
        reflection_level="full_with_precision",
        chunk_size=settings.chunk_size,
        table_adapter_callback=lambda t: renamed(t, raw_name, settings),
        query_adapter_callback=adapt_query,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        table_loader_class=copy_loader_class() if settings.copy_reads else None,
    ).with_name(raw_name)

    def tag(batch):
        if not isinstance(batch, pa.Table) or batch.num_rows == 0:
            return batch
        scoped = window.rows == 0
        window.observe(batch, buys)
        batch = batch.append_column(
            pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
            constant(loaded_at, pa.timestamp("us", tz="UTC"), batch.num_rows),
        )
        if not scoped:
            return batch
        if not window.queried:  # never: sql_table builds its query before the first batch
            raise RuntimeError(f"partner {raw_name}: no query range recorded")
        disposition = {
            "disposition": "merge",
            "strategy": "delete-insert",
            "destination_scope": scope_sql(window.start, window.end, buys),
        }
        return dlt.mark.with_hints(batch, dlt.mark.make_hints(write_disposition=disposition))

    resource.add_map(tag)
    return resource
