"""`adwh access init`: the adwh roles, who owns which schema, and the grants (idempotent).

Run as the warehouse administrator (the embedded server's superuser or ADWH_DATABASE_URL).
See docs/access.md for the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from psycopg2 import sql

from loaders.access import passwords
from loaders.access.sql import (
    ANALYST,
    CLIENT,
    INSTALL,
    LOADER,
    MODEL_SCHEMAS,
    OPS_SCHEMA,
    OWNER,
    PII,
    ROLES,
    SCHEMA,
    TRANSFORMER,
)
from loaders.warehouse.database import connect

log = logging.getLogger("adwh.access")

_KEYWORD = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}


def installed(cur) -> bool:
    signature = f"{SCHEMA}.secure_relation(regclass,text)"
    cur.execute("select to_regprocedure(%s) is not null", (signature,))
    return bool(cur.fetchone()[0])


def installed_at(url: str) -> bool:
    """Whether `adwh access init` has run in the warehouse at `url`."""
    with connect(url) as conn, conn.cursor() as cur:
        return installed(cur)


def set_password(cur, role: str, password: str) -> None:
    """ALTER ROLE with a SCRAM verifier computed here: the plain password never reaches the
    server (nor its statement log)."""
    from psycopg2.extensions import encrypt_password

    verifier = encrypt_password(password, role, cur.connection, "scram-sha-256")
    cur.execute(sql.SQL("alter role {} password %s").format(sql.Identifier(role)), (verifier,))


def init(url: str, echo: Callable[[str], None] = log.info) -> None:
    """Create or update the roles, schemas, grants and the adwh_access functions."""
    from loaders.ops import audit

    audit.ensure_schema(url)
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('adwh access init'))")
        _roles(cur, echo)
        _database(cur)
        _schemas(cur)
        cur.execute(INSTALL)
        _secure_existing_marts(cur)
    echo(f"access: roles {', '.join(ROLES)} ready; passwords in secrets or {passwords.store_dir()}")


def _roles(cur, echo) -> None:
    for role, (login, _) in ROLES.items():
        cur.execute("select 1 from pg_roles where rolname = %s", (role,))
        if cur.fetchone() is None:
            # a concurrent init on the same server may win the race: tolerate it
            cur.execute(
                sql.SQL(
                    "do $$ begin create role {} {}; "
                    "exception when duplicate_object then null; end $$"
                ).format(sql.Identifier(role), sql.SQL("login" if login else "nologin"))
            )
            echo(f"access: created role {role}")
        else:
            cur.execute(
                sql.SQL("alter role {} {}").format(
                    sql.Identifier(role), sql.SQL("login" if login else "nologin")
                )
            )
        if login:
            set_password(cur, role, passwords.role_password(role, create=True))
    cur.execute(sql.SQL("grant {} to {}").format(sql.Identifier(ANALYST), sql.Identifier(PII)))


def _database(cur) -> None:
    cur.execute("select current_database()")
    db = sql.Identifier(cur.fetchone()[0])
    # temporary tables only for the roles that need them (dbt's incremental models do);
    # client logins can create nothing anywhere
    cur.execute(sql.SQL("revoke temporary on database {} from public").format(db))
    cur.execute(
        sql.SQL("grant connect, temporary on database {} to {}").format(
            db, sql.SQL(", ").join(map(sql.Identifier, (LOADER, TRANSFORMER, ANALYST)))
        )
    )
    cur.execute(sql.SQL("grant connect on database {} to {}").format(db, sql.Identifier(CLIENT)))
    # dlt creates a new source's raw_<name> (and raw_<name>_staging) schema on its first load
    cur.execute(sql.SQL("grant create on database {} to {}").format(db, sql.Identifier(LOADER)))


def _schemas(cur) -> None:
    from loaders.core.registry import sources

    # every registered source's raw schema exists before its first load, owned by adwh_owner
    # (dlt's scratch schema raw_<name>_staging is the loader's own)
    raw = [f"raw_{source.name}" for source in sources()]
    for schema in (*MODEL_SCHEMAS, OPS_SCHEMA, *raw):
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    cur.execute(
        "select nspname from pg_namespace where nspname like 'raw\\_%%' or nspname = %s order by 1",
        (OPS_SCHEMA,),
    )
    loader_schemas = [row[0] for row in cur.fetchall()]
    for schema in [*loader_schemas, *MODEL_SCHEMAS]:
        cur.execute(
            sql.SQL("alter schema {} owner to {}").format(
                sql.Identifier(schema), sql.Identifier(OWNER)
            )
        )
    for schema in loader_schemas:
        _own_relations(cur, schema, LOADER)
        _grant(cur, "grant usage, create on schema {} to {}", schema, LOADER)
        _grant(cur, "grant usage on schema {} to {}", schema, TRANSFORMER)
        _grant(cur, "grant select on all tables in schema {} to {}", schema, TRANSFORMER)
    for schema in MODEL_SCHEMAS:
        _own_relations(cur, schema, TRANSFORMER)
        _grant(cur, "grant usage, create on schema {} to {}", schema, TRANSFORMER)
    for role in (ANALYST, CLIENT):
        _grant(cur, "grant usage on schema {} to {}", "marts", role)
    # what the loader creates later (a new source's schema and tables) dbt can read
    for what in ("tables", "schemas"):
        privilege = "select" if what == "tables" else "usage"
        cur.execute(
            sql.SQL("alter default privileges for role {} grant {} on {} to {}").format(
                sql.Identifier(LOADER),
                sql.SQL(privilege),
                sql.SQL(what),
                sql.Identifier(TRANSFORMER),
            )
        )
    # the audit log stays with adwh_owner: no login role can rewrite it
    cur.execute(sql.SQL("alter table adwh_ops.audit_log owner to {}").format(sql.Identifier(OWNER)))


def _grant(cur, statement: str, schema: str, role: str) -> None:
    cur.execute(sql.SQL(statement).format(sql.Identifier(schema), sql.Identifier(role)))


def _own_relations(cur, schema: str, role: str) -> None:
    """Hand `schema`'s relations to `role` (tables built before init, by the administrator)."""
    cur.execute(
        """select c.relname, c.relkind from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')
             and pg_get_userbyid(c.relowner) <> %s
             and not (n.nspname = 'adwh_ops' and c.relname = 'audit_log')""",
        (schema, role),
    )
    for name, kind in cur.fetchall():
        cur.execute(
            sql.SQL("alter {} {} owner to {}").format(
                sql.SQL(_KEYWORD[kind]), sql.Identifier(schema, name), sql.Identifier(role)
            )
        )


def _secure_existing_marts(cur) -> None:
    """Grants and policies on the marts built before init (dbt re-applies them on every build,
    with each model's own client_access; here every relation gets the default, `rows`)."""
    cur.execute(
        """select c.oid::regclass::text from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'marts' and c.relkind in ('r', 'p', 'v')"""
    )
    for (rel,) in cur.fetchall():
        cur.execute(f"select {SCHEMA}.secure_relation(%s::regclass, 'rows')", (rel,))
