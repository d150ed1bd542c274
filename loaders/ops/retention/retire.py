"""Plan and apply retention: per source, the client-days whose raw rows are older than the
cutoff; `apply` deletes them one client-day per transaction and records each retired
partition (adwh_ops.retired_partitions) and an ingestion-log row in that same transaction, so
dbt never sees raw rows gone without the partition recorded as retired."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from psycopg2 import sql

from loaders.core.errors import ConfigError
from loaders.core.ingestion_log import SCHEMA
from loaders.ops.retention.declarations import RawTable, raw_tables
from loaders.warehouse.database import connect

DEFAULT_RAW_MONTHS = 13
STATUS = "retired"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.retired_partitions (
    source       text        not null,
    client_id    text        not null,
    date_day     date        not null,
    raw_rows     bigint      not null,
    retired_at   timestamptz not null default now(),
    run_id       text        not null,
    primary key (source, client_id, date_day)
);
comment on table {SCHEMA}.retired_partitions is
    'Client x source x day partitions whose raw rows `adwh retention` deleted: dbt keeps their '
    'fact, quarantine and mart rows frozen (macros/retention.sql).';
"""


@dataclass
class SourcePlan:
    source: str
    tables: list[RawTable]
    days: dict[tuple[str, dt.date], int] = field(default_factory=dict)  # (client, day) -> rows

    @property
    def rows(self) -> int:
        return sum(self.days.values())


@dataclass
class Plan:
    cutoff: dt.date
    raw_months: int
    sources: list[SourcePlan]

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.sources)


def raw_months() -> int:
    from loaders.ops import config

    months = config.get_int("retention.raw_months", DEFAULT_RAW_MONTHS)
    if months < 1:
        raise ConfigError(f"retention.raw_months: {months} must be at least 1")
    return months


def cutoff_day(today: dt.date, months: int) -> dt.date:
    """The first day kept: `today` minus `months` calendar months (clamped to month end)."""
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for day in range(today.day, 0, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _ident(*parts: str) -> sql.Composable:
    return sql.SQL(".").join(sql.Identifier(p) for p in parts)


def client_expr(t: RawTable) -> sql.Composable:
    """The client of a row of `t` (alias t); via another table only when unambiguous."""
    if t.client_via is None:
        return sql.SQL("t.{}").format(sql.Identifier(t.client_column))
    via = t.client_via
    return sql.SQL(
        "(select min(l.{c}) from {tbl} as l where l.{k} = t.{k} having count(distinct l.{c}) = 1)"
    ).format(c=sql.Identifier(via.client_column), tbl=_ident(t.schema, via.table),
             k=sql.Identifier(via.key))  # fmt: skip


def _exists(cur, t: RawTable) -> bool:
    cur.execute("select to_regclass(%s)", (f'"{t.schema}"."{t.table}"',))
    return cur.fetchone()[0] is not None


def plan(url: str, today: dt.date, months: int | None = None) -> Plan:
    """What retention would delete: every source of the registry, every declared raw table."""
    from loaders.core.registry import sources

    months = months or raw_months()
    cutoff = cutoff_day(today, months)
    out = []
    with connect(url) as conn, conn.cursor() as cur:
        conn.set_session(readonly=True)
        for source in sources():
            tables = [t for t in raw_tables(source.name) if _exists(cur, t)]
            sp = SourcePlan(source.name, tables)
            for t in tables:
                cur.execute(
                    sql.SQL(
                        "select client_id, day, count(*) from (select {client} as client_id, "
                        "t.{day} as day from {tbl} as t where t.{day} < %s) as x "
                        "where client_id is not null group by 1, 2"
                    ).format(
                        client=client_expr(t),
                        day=sql.Identifier(t.day_column),
                        tbl=_ident(t.schema, t.table),
                    ),
                    (cutoff,),
                )
                for client, day, rows in cur.fetchall():
                    sp.days[(client, day)] = sp.days.get((client, day), 0) + rows
            out.append(sp)
    return Plan(cutoff, months, out)


def _delete_sql(t: RawTable, tables: list[RawTable]) -> sql.Composable:
    """Delete one client-day of `t`; a row another table still reads its client from stays
    (a delivery whose rows are not all retired)."""
    keep = [
        sql.SQL("not exists (select 1 from {child} as c where c.{k} = t.{k})").format(
            child=_ident(c.schema, c.table), k=sql.Identifier(c.client_via.key)
        )
        for c in tables
        if c.client_via is not None and c.client_via.table == t.table
    ]
    where = [sql.SQL("t.{} = %s").format(sql.Identifier(t.day_column)),
             sql.SQL("{} = %s").format(client_expr(t)), *keep]  # fmt: skip
    return sql.SQL("delete from {tbl} as t where {where}").format(
        tbl=_ident(t.schema, t.table), where=sql.SQL(" and ").join(where)
    )


def _index_days(url: str, tables: list[RawTable]) -> None:
    """An index on each table's day column, so each client-day's delete reads that day only
    (kept: the marts' change detection and ad-hoc queries read by day too)."""
    with connect(url) as conn, conn.cursor() as cur:
        for t in tables:
            name = f"{t.table}__{t.day_column}__by_day"[:63]
            cur.execute(
                sql.SQL("create index if not exists {} on {} ({})").format(
                    sql.Identifier(name), _ident(t.schema, t.table), sql.Identifier(t.day_column)
                )
            )


def apply(url: str, p: Plan, run_id: str, echo: Callable[[str], None]) -> int:
    """Delete every planned client-day, one transaction each; the raw rows deleted."""
    from loaders.core import ingestion_log

    ingestion_log.ensure_schema(url)
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"select pg_advisory_xact_lock(hashtext('{SCHEMA}.retired_partitions'))")
        cur.execute(DDL)
    total = 0
    for sp in p.sources:
        if sp.days:
            _index_days(url, sp.tables)
        deleted_here = 0
        for (client, day), _ in sorted(sp.days.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            started = ingestion_log.utcnow()
            with connect(url) as conn, conn.cursor() as cur:
                rows = 0
                for t in sp.tables:
                    cur.execute(_delete_sql(t, sp.tables), (day, client))
                    rows += cur.rowcount
                cur.execute(
                    f"""insert into {SCHEMA}.retired_partitions
                        (source, client_id, date_day, raw_rows, run_id) values (%s, %s, %s, %s, %s)
                        on conflict (source, client_id, date_day) do update set
                            raw_rows = {SCHEMA}.retired_partitions.raw_rows + excluded.raw_rows,
                            retired_at = excluded.retired_at, run_id = excluded.run_id""",
                    (sp.source, client, day, rows, run_id),
                )
                cur.execute(
                    f"""insert into {SCHEMA}.ingestion_log (run_id, source, client_id, report_date,
                            rows_loaded, status, message, started_at, finished_at, duration_ms)
                        values (%s, %s, %s, %s, %s, %s, %s, %s, now(),
                            (extract(epoch from now() - %s) * 1000)::bigint)""",
                    (run_id, sp.source, client, day, rows, STATUS,
                     f"retention: {rows} raw row(s) older than {p.raw_months} months deleted "
                     f"(kept from {p.cutoff})", started, started),
                )  # fmt: skip
            deleted_here += rows
        ingestion_log.rows_written += deleted_here  # the audit log's rows affected
        total += deleted_here
        if sp.days:
            echo(
                f"{sp.source}: deleted {deleted_here:,} raw row(s), {len(sp.days):,} client-day(s)"
            )
    return total
