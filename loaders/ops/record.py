"""`adwh_ops.runs`: one row per `adwh run` with its steps, timings and outcome."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import socket
from dataclasses import asdict, dataclass, field

from loaders.core.ingestion_log import SCHEMA, utcnow
from loaders.warehouse.database import connect

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.runs (
    run_id       text primary key,
    started_at   timestamptz not null,
    finished_at  timestamptz,
    outcome      text not null,
    os_user      text,
    host         text,
    steps        jsonb not null default '[]'::jsonb,
    summary      text
);
comment on table {SCHEMA}.runs is
    'Every `adwh run`: its steps (name, status, timings, detail) and outcome '
    '(running | ok | failed).';
"""


@dataclass
class Step:
    name: str
    status: str  # ok | failed | skipped
    started_at: dt.datetime = field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    detail: str = ""

    @property
    def seconds(self) -> float:
        return ((self.finished_at or utcnow()) - self.started_at).total_seconds()

    def as_json(self) -> dict:
        out = asdict(self)
        out["started_at"] = self.started_at.isoformat()
        out["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        out["seconds"] = round(self.seconds, 1)
        return out


def ensure_schema(url: str) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('adwh_ops.runs'))")
        cur.execute(DDL)


def start(url: str, run_id: str, started_at: dt.datetime) -> None:
    ensure_schema(url)
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""insert into {SCHEMA}.runs (run_id, started_at, outcome, os_user, host)
                values (%s, %s, 'running', %s, %s)""",
            (run_id, started_at, getpass.getuser(), socket.gethostname()),
        )


def save(url: str, run_id: str, steps: list[Step], outcome: str, summary: str = "") -> None:
    """Write the steps so far (called after every step, so a killed run shows how far it got)."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""update {SCHEMA}.runs set steps = %s::jsonb, outcome = %s, summary = %s,
                   finished_at = case when %s = 'running' then null else now() end
                where run_id = %s""",
            (json.dumps([s.as_json() for s in steps]), outcome, summary, outcome, run_id),
        )


def last_success(url: str, step_name: str) -> dt.datetime | None:
    """When a step of that name last finished ok in any run (None: never, or no table yet)."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", (f"{SCHEMA}.runs",))
        if cur.fetchone()[0] is None:
            return None
        cur.execute(
            f"""select max((s->>'finished_at')::timestamptz)
                from {SCHEMA}.runs r cross join lateral jsonb_array_elements(r.steps) as s
                where s->>'name' = %s and s->>'status' = 'ok'""",
            (step_name,),
        )
        return cur.fetchone()[0]
