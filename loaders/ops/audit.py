"""`adwh_ops.audit_log`: who changed data or access, when, with what, and how it ended.

Append-only: UPDATE, DELETE and TRUNCATE are revoked from PUBLIC and a trigger refuses UPDATE,
DELETE and TRUNCATE to everyone but the table's owner (the role adwh runs as; a reader or a
BI role that was granted more by mistake still cannot rewrite history). The row is written
when the command ends (start and end both known), so a restore's own row lands in the
restored warehouse.
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import socket
from dataclasses import dataclass, field

from loaders.core.errors import redact
from loaders.core.ingestion_log import SCHEMA, utcnow
from loaders.warehouse.database import connect

log = logging.getLogger("adwh.audit")

# The commands that change data or access; `adwh <group> <command>` or `adwh <command>`.
AUDITED = (
    "load",
    "build",
    "dbt",
    "run",
    "demo",
    "db backup",
    "db restore",
    "access init",
    "access add-login",
    "access revoke",
    "access rotate",
)
# Audited only with the flag that makes them act (a mailed report, retention that deletes).
AUDITED_WITH = {"report": "--send", "retention": "--apply"}

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.audit_log (
    audit_id       bigserial primary key,
    os_user        text not null,
    host           text not null,
    db_user        text not null default current_user,
    command        text not null,
    args           text not null,
    started_at     timestamptz not null,
    finished_at    timestamptz not null,
    outcome        text not null,
    exit_code      integer not null,
    rows_affected  bigint,
    message        text
);
comment on table {SCHEMA}.audit_log is
    'Append-only record of every adwh command that changed data or access.';
revoke update, delete, truncate on {SCHEMA}.audit_log from public;
create or replace function {SCHEMA}.audit_log_append_only() returns trigger
language plpgsql as $$
begin
    if current_user <> (select tableowner from pg_tables
                        where schemaname = TG_TABLE_SCHEMA and tablename = TG_TABLE_NAME) then
        raise exception 'adwh_ops.audit_log is append-only: % refused for %', TG_OP, current_user;
    end if;
    return case when TG_OP = 'DELETE' then old else new end;
end $$;
drop trigger if exists audit_log_append_only on {SCHEMA}.audit_log;
create trigger audit_log_append_only before update or delete on {SCHEMA}.audit_log
    for each row execute function {SCHEMA}.audit_log_append_only();
drop trigger if exists audit_log_no_truncate on {SCHEMA}.audit_log;
create trigger audit_log_no_truncate before truncate on {SCHEMA}.audit_log
    for each statement execute function {SCHEMA}.audit_log_append_only();
"""


@dataclass
class Entry:
    command: str
    args: list[str]
    started_at: dt.datetime = field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    exit_code: int = 0
    rows_affected: int | None = None
    message: str | None = None

    @property
    def outcome(self) -> str:
        return "ok" if self.exit_code == 0 else "failed"


def command_path(group, argv: list[str]) -> list[str]:
    """The command names in argv (`["db", "restore"]`) of click `group`, options left out."""
    import click

    path: list[str] = []
    for token in argv:
        if token.startswith("-"):
            continue
        if not isinstance(group, click.Group) or token not in group.commands:
            break
        path.append(token)
        group = group.commands[token]
    return path


def run_audited(group, argv: list[str], run) -> int:
    """`run(argv, entry)` -> exit code; an audited command then leaves its row (a usage or
    configuration error, exit 2, ran nothing and leaves none)."""
    from loaders.core import ingestion_log

    command = command_of(command_path(group, argv), argv)
    if {"--help", "-h", "--dry-run"} & set(argv):
        command = None
    entry = Entry(command or "", argv)
    written_before = ingestion_log.rows_written
    code = run(argv, entry)
    if command and code != 2:
        from loaders.warehouse.database import database_url

        entry.finished_at = utcnow()
        entry.exit_code = code
        entry.rows_affected = ingestion_log.rows_written - written_before
        try_write(database_url, entry, quiet=code != 0)
    return code


def command_of(path: list[str], argv: list[str] = ()) -> str | None:
    """`"load surfside"` for path ["load", "surfside"] when audited, else None."""
    text = " ".join(path)
    if path and AUDITED_WITH.get(path[0]) in argv:
        return text
    for name in AUDITED:
        if text == name or text.startswith(name + " "):
            return text
    return None


def ensure_schema(url: str) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('adwh_ops.audit_log'))")
        cur.execute("select to_regclass(%s)", (f"{SCHEMA}.audit_log",))
        if cur.fetchone()[0] is None:
            cur.execute(DDL)


def write(url: str, entry: Entry) -> None:
    ensure_schema(url)
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""insert into {SCHEMA}.audit_log (os_user, host, command, args, started_at,
                    finished_at, outcome, exit_code, rows_affected, message)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                getpass.getuser(),
                socket.gethostname(),
                entry.command,
                redact(" ".join(entry.args)),
                entry.started_at,
                entry.finished_at or utcnow(),
                entry.outcome,
                entry.exit_code,
                entry.rows_affected,
                redact(entry.message)[:2000] if entry.message else None,
            ),
        )


def try_write(url_factory, entry: Entry, quiet: bool = False) -> None:
    """Write the row; a failure (database gone) is a warning, never the command's outcome
    (`quiet`: only with -v, when the command failed and said why already)."""
    try:
        write(url_factory(), entry)
    except Exception as exc:
        reason = redact(f"{type(exc).__name__}: {exc}")
        (log.info if quiet else log.warning)("audit log not written: %s", reason)
