"""Per-client logins: `adwh access add-login / revoke / list / rotate`.

A client login is a LOGIN role whose only right is membership of adwh_client; which clients it
sees is a row per client in adwh_access.client_logins, read by the row-level-security policy of
every marts table. Names go into SQL as quoted identifiers, client ids and passwords as bound
parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg2 import sql

from loaders.access.roles import installed, set_password
from loaders.access.sql import CLIENT, LOGIN_ROLES, SCHEMA
from loaders.core.errors import AdwhError, ConfigError
from loaders.warehouse.database import connect

# What a BI tool's login field accepts without surprises; quoting would make anything safe,
# but a name like `x"; drop table ...` is refused outright.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.@-]{0,62}")
RESERVED = ("pg_", "adwh_")


@dataclass(frozen=True)
class Login:
    name: str
    clients: tuple[str, ...]
    created_at: str
    can_login: bool


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"login name {name!r} refused: use letters, digits, _ . @ - "
            "(starting with a letter, at most 63 characters)"
        )
    if name.lower().startswith(RESERVED):
        raise ConfigError(f"login name {name!r} refused: pg_ and adwh_ names are reserved")
    return name


def check_clients(clients: list[str]) -> list[str]:
    from loaders.core.clients import known_clients

    wanted = sorted({c.strip() for c in clients if c.strip()})
    if not wanted:
        raise ConfigError("give at least one --client")
    known = known_clients()
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ConfigError(
            f"unknown client(s) {', '.join(map(repr, unknown))}: the clients seed "
            f"(dbt_project/seeds/clients.csv) lists {', '.join(sorted(known))}"
        )
    return wanted


def _require_installed(cur) -> None:
    if not installed(cur):
        raise ConfigError("access control is not set up in this warehouse: run `adwh access init`")


def add_login(url: str, name: str, clients: list[str], password: str) -> None:
    check_name(name)
    wanted = check_clients(clients)
    with connect(url) as conn, conn.cursor() as cur:
        _require_installed(cur)
        cur.execute("select 1 from pg_roles where rolname = %s", (name,))
        if cur.fetchone() is not None:
            raise AdwhError(f"a role named {name!r} exists already: revoke it or choose another")
        cur.execute(
            sql.SQL("create role {} login in role {}").format(
                sql.Identifier(name), sql.Identifier(CLIENT)
            )
        )
        set_password(cur, name, password)
        cur.executemany(
            f"insert into {SCHEMA}.client_logins (login, client_id) values (%s, %s)",
            [(name, client) for client in wanted],
        )


def _client_login(cur, name: str) -> None:
    cur.execute(f"select 1 from {SCHEMA}.client_logins where login = %s limit 1", (name,))
    if cur.fetchone() is None:
        raise AdwhError(f"{name!r} is not a client login of this warehouse (adwh access list)")


def revoke(url: str, name: str) -> int:
    """Remove the login at once: its rows, its role, its open sessions. Returns sessions ended."""
    with connect(url) as conn, conn.cursor() as cur:
        _require_installed(cur)
        _client_login(cur, name)
        cur.execute(f"delete from {SCHEMA}.client_logins where login = %s", (name,))
        cur.execute("select 1 from pg_roles where rolname = %s", (name,))
        exists = cur.fetchone() is not None
        if exists:
            cur.execute(sql.SQL("alter role {} nologin").format(sql.Identifier(name)))
    # ended after the commit above, so a reconnect cannot see the old rows
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = %s",
            (name,),
        )
        ended = cur.fetchone()[0]
        if exists:
            cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))
    return ended


def rotate(url: str, name: str, password: str) -> None:
    """A new password for a client login or an adwh login role (the caller stores it)."""
    with connect(url) as conn, conn.cursor() as cur:
        _require_installed(cur)
        if name not in LOGIN_ROLES:
            _client_login(cur, name)
        set_password(cur, name, password)


def list_logins(url: str) -> list[Login]:
    with connect(url) as conn, conn.cursor() as cur:
        _require_installed(cur)
        cur.execute(
            f"""select l.login, array_agg(l.client_id order by l.client_id),
                       to_char(min(l.created_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI'),
                       coalesce(bool_and(r.rolcanlogin), false)
                from {SCHEMA}.client_logins l left join pg_roles r on r.rolname = l.login
                group by l.login order by l.login"""
        )
        return [Login(n, tuple(c), created, ok) for n, c, created, ok in cur.fetchall()]
