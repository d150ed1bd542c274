"""The ingestion log: one row per attempt to load one (source, client, day) or one file.

It is written by the loaders, outside dlt, so that refusals and missing files (which load
nothing) are recorded too. dbt reads it as the `adwh_ops` source (data coverage).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from loaders.core.errors import redact
from loaders.warehouse.database import connect

SCHEMA = "adwh_ops"
# retired: `adwh retention` deleted the raw rows of that client-day (rows_loaded = rows deleted)
STATUSES = ("loaded", "missing_file", "rejected", "failed", "pending", "skipped", "retired")

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.ingestion_log (
    log_id          bigserial primary key,
    run_id          text        not null,
    source          text        not null,
    client_id       text,
    report_date     date,
    object_key      text,
    object_version  text,
    rows_loaded     bigint,
    status          text        not null,
    message         text,
    load_id         text,
    started_at      timestamptz not null,
    finished_at     timestamptz not null default now(),
    duration_ms     bigint
);
create index if not exists ingestion_log_source_client_day
    on {SCHEMA}.ingestion_log (source, client_id, report_date);
comment on table {SCHEMA}.ingestion_log is
    'Every load attempt by adwh loaders: one row per source x client x day or uploaded file, '
    'with status loaded | missing_file | rejected | failed | pending | skipped.';
"""


# Rows this process recorded as loaded (the audit log's "rows affected" of a command).
rows_written = 0


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class LogEntry:
    source: str
    status: str
    client_id: str | None = None
    report_date: dt.date | None = None
    object_key: str | None = None
    object_version: str | None = None
    rows_loaded: int | None = None
    message: str | None = None
    load_id: str | None = None
    started_at: dt.datetime = field(default_factory=utcnow)
    finished_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown ingestion status {self.status!r}")


class Attempt(Protocol):
    """What every source's result of one attempt (a day, a file) carries."""

    status: str
    rows: int
    message: str
    load_id: str | None
    started_at: dt.datetime


def attempt_entry(
    source: str,
    attempt: Attempt,
    *,
    client_id: str | None = None,
    report_date: dt.date | None = None,
    object_key: str | None = None,
    object_version: str | None = None,
    note: str | None = None,
) -> LogEntry:
    """The log row of one attempt; rows count only when it loaded, `note` stands in for an
    empty message."""
    return LogEntry(
        source=source,
        status=attempt.status,
        client_id=client_id,
        report_date=report_date,
        object_key=object_key,
        object_version=object_version,
        rows_loaded=attempt.rows if attempt.status == "loaded" else None,
        message=attempt.message or note or None,
        load_id=attempt.load_id,
        started_at=attempt.started_at,
    )


def record_attempt(url: str, run_id: str, source: str, attempt: Attempt, **where) -> None:
    """Write the log row of one attempt (`where`: the keywords of `attempt_entry`)."""
    record(url, run_id, [attempt_entry(source, attempt, **where)])


def ensure_schema(url: str) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('adwh_ops.ingestion_log'))")
        cur.execute(DDL)


def record(url: str, run_id: str, entries: list[LogEntry]) -> None:
    global rows_written
    if not entries:
        return
    ensure_schema(url)
    rows_written += sum(e.rows_loaded or 0 for e in entries if e.status == "loaded")
    now = utcnow()
    rows = []
    for e in entries:
        finished = e.finished_at or now
        rows.append(
            (
                run_id,
                e.source,
                e.client_id,
                e.report_date,
                e.object_key,
                e.object_version,
                e.rows_loaded,
                e.status,
                redact(e.message) if e.message else None,
                e.load_id,
                e.started_at,
                finished,
                int((finished - e.started_at).total_seconds() * 1000),
            )
        )
    with connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            f"""insert into {SCHEMA}.ingestion_log
                (run_id, source, client_id, report_date, object_key, object_version, rows_loaded,
                 status, message, load_id, started_at, finished_at, duration_ms)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            rows,
        )
