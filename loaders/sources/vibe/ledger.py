"""The Vibe report ledger: `adwh_ops.vibe_report_requests`, one row per client x day x request.

Report creations are scarce (15 per hour per key), so every day the loader asks for is written
down with the report that covers it and where that report stands:

    pending    not requested yet (the rate-limit window was spent); the next run asks for it
    created    the vendor accepted the request (report_id known), not downloaded yet
    processing polled at least once and not ready
    timeout    not ready within --poll-timeout; the next run polls the same report again
    failed     creating, downloading or loading failed; a report that exists is polled again
    error      the vendor's report ended in `error` (its message is kept); asked anew next time
    rejected   the downloaded CSV was unusable (e.g. a missing column); asked anew next time
    loaded     landed in raw_vibe (rows = rows of that day)

The latest row of a (client, day) is its state. A re-run resumes from it: reports already
created are polled, not created again; `pending` days are picked up by whatever run comes next.
The table is written outside dlt, in short transactions, so a run killed at any point leaves a
state the next run can continue from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from loaders.core.errors import redact
from loaders.warehouse.database import connect

SCHEMA = "adwh_ops"
TABLE = f"{SCHEMA}.vibe_report_requests"
RESUMABLE = ("created", "processing", "timeout", "failed")

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    request_id     bigserial   primary key,
    client_id      text        not null,
    report_date    date        not null,
    advertiser_id  text        not null,
    report_id      text,
    report_start   date,
    report_end     date,
    status         text        not null,
    run_id         text        not null,
    created_at     timestamptz,
    finished_at    timestamptz,
    rows_loaded    bigint,
    error          text,
    updated_at     timestamptz not null default now()
);
create index if not exists vibe_report_requests_client_day
    on {TABLE} (client_id, report_date, request_id desc);
create index if not exists vibe_report_requests_report on {TABLE} (report_id);
comment on table {TABLE} is
    'Vibe report ledger: one row per client x day x report request, latest row = current state '
    '(pending | created | processing | timeout | failed | error | rejected | loaded).';
"""


@dataclass(frozen=True)
class DayState:
    client_id: str
    report_date: dt.date
    request_id: int
    advertiser_id: str
    report_id: str | None
    report_start: dt.date | None
    report_end: dt.date | None
    status: str
    created_at: dt.datetime | None
    finished_at: dt.datetime | None
    rows_loaded: int | None
    error: str | None


def ensure_schema(url: str) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext(%s))", (TABLE,))
        cur.execute(DDL)


def latest(url: str, client_id: str) -> dict[dt.date, DayState]:
    """The current state of every day the ledger knows for a client."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""select distinct on (report_date)
                       client_id, report_date, request_id, advertiser_id, report_id,
                       report_start, report_end, status, created_at, finished_at,
                       rows_loaded, error
                from {TABLE} where client_id = %s
                order by report_date, request_id desc""",
            (client_id,),
        )
        return {row[1]: DayState(*row) for row in cur.fetchall()}


def mark_pending(
    url: str,
    client_id: str,
    advertiser_id: str,
    days: Iterable[dt.date],
    run_id: str,
    message: str,
) -> None:
    """Days not requested yet: a new `pending` row unless the day is pending already."""
    days = list(days)
    if not days:
        return
    with connect(url) as conn, conn.cursor() as cur:
        for day in days:
            cur.execute(
                f"""update {TABLE} set run_id = %s, error = %s, updated_at = now()
                    where request_id = (
                        select request_id from {TABLE}
                        where client_id = %s and report_date = %s
                        order by request_id desc limit 1)
                      and status = 'pending'""",
                (run_id, redact(message), client_id, day),
            )
            if cur.rowcount == 0:
                cur.execute(
                    f"""insert into {TABLE}
                        (client_id, report_date, advertiser_id, status, run_id, error)
                        values (%s, %s, %s, 'pending', %s, %s)""",
                    (client_id, day, advertiser_id, run_id, redact(message)),
                )


def record_created(
    url: str,
    client_id: str,
    advertiser_id: str,
    days: list[dt.date],
    report_id: str,
    run_id: str,
    created_at: dt.datetime,
) -> None:
    """A report exists now: one `created` row per day it covers (committed at once)."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            f"""insert into {TABLE}
                (client_id, report_date, advertiser_id, report_id, report_start, report_end,
                 status, run_id, created_at)
                values (%s, %s, %s, %s, %s, %s, 'created', %s, %s)""",
            [
                (client_id, day, advertiser_id, report_id, days[0], days[-1], run_id, created_at)
                for day in days
            ],
        )


def record_failure(
    url: str,
    client_id: str,
    advertiser_id: str,
    days: list[dt.date],
    run_id: str,
    status: str,
    message: str,
) -> None:
    """A request that never got a report (e.g. the creation failed after its retries)."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            f"""insert into {TABLE}
                (client_id, report_date, advertiser_id, status, run_id, finished_at, error)
                values (%s, %s, %s, %s, %s, now(), %s)""",
            [(client_id, day, advertiser_id, status, run_id, redact(message)) for day in days],
        )


def update_report(
    url: str,
    client_id: str,
    report_id: str,
    status: str,
    run_id: str,
    *,
    days: Iterable[dt.date] | None = None,
    message: str | None = None,
    rows: dict[dt.date, int] | None = None,
    finished_at: dt.datetime | None = None,
) -> None:
    """Move every ledger row of a report (or only `days` of it) to `status`."""
    day_list = list(days) if days is not None else None
    with connect(url) as conn, conn.cursor() as cur:
        if rows:
            cur.executemany(
                f"""update {TABLE} set status = %s, run_id = %s, rows_loaded = %s,
                        finished_at = %s, error = %s, updated_at = now()
                    where client_id = %s and report_id = %s and report_date = %s""",
                [
                    (
                        status,
                        run_id,
                        count,
                        finished_at,
                        redact(message) if message else None,
                        client_id,
                        report_id,
                        day,
                    )
                    for day, count in rows.items()
                ],
            )
            return
        sql = f"""update {TABLE} set status = %s, run_id = %s, error = %s,
                      finished_at = coalesce(%s, finished_at), updated_at = now()
                  where client_id = %s and report_id = %s"""
        params: list = [
            status,
            run_id,
            redact(message) if message else None,
            finished_at,
            client_id,
            report_id,
        ]
        if day_list is not None:
            sql += " and report_date = any(%s)"
            params.append(day_list)
        cur.execute(sql, params)
