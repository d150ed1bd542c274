"""Which Postgres adwh talks to, and small connection helpers.

`ADWH_DATABASE_URL` selects an external server; without it adwh starts (on demand) and
uses its own embedded server under `<ADWH_HOME>/pg`.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from urllib.parse import unquote, urlparse, urlunparse

from loaders.core.errors import ConfigError, register_secret
from loaders.core.settings import adwh_home


def database_url() -> str:
    """The warehouse URL; starts the embedded server when no external one is configured."""
    url = os.environ.get("ADWH_DATABASE_URL")
    if url:
        parts = urlparse(url)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
            raise ConfigError(
                "ADWH_DATABASE_URL must look like postgresql://user:password@host:port/database"
            )
        register_secret(unquote(parts.password) if parts.password else None)
        return url
    from loaders.warehouse.embedded_pg import EmbeddedPostgres

    return EmbeddedPostgres(adwh_home()).start()


def uses_embedded() -> bool:
    return not os.environ.get("ADWH_DATABASE_URL")


def embedded_server():
    """The embedded Postgres adwh manages, or None when ADWH_DATABASE_URL names another."""
    if not uses_embedded():
        return None
    from loaders.warehouse.embedded_pg import EmbeddedPostgres

    return EmbeddedPostgres(adwh_home())


@contextlib.contextmanager
def connect(url: str | None = None, autocommit: bool = False) -> Iterator:
    """A psycopg2 connection that commits on success and rolls back on error."""
    import psycopg2

    conn = psycopg2.connect(url or database_url(), connect_timeout=15)
    conn.autocommit = autocommit
    try:
        yield conn
        if not autocommit:
            conn.commit()
    except BaseException:
        if not autocommit:
            conn.rollback()
        raise
    finally:
        conn.close()


def dbt_env(url: str) -> dict[str, str]:
    """Environment variables read by profiles.example.yml (`env_var()`) for this URL."""
    parts = urlparse(url)
    if not parts.hostname:
        raise ConfigError("database URL has no host")
    return {
        "ADWH_PG_HOST": parts.hostname,
        "ADWH_PG_PORT": str(parts.port or 5432),
        "ADWH_PG_USER": unquote(parts.username or "postgres"),
        "ADWH_PG_PASSWORD": unquote(parts.password or ""),
        "ADWH_PG_DATABASE": (parts.path or "/").lstrip("/") or "postgres",
    }


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database of the same server."""
    return urlunparse(urlparse(url)._replace(path=f"/{database}"))


@contextlib.contextmanager
def scratch_database(url: str, prefix: str = "scratch", name: str | None = None) -> Iterator[str]:
    """A new empty database on the server of `url`, dropped (even if in use) afterwards.

    Named `adwh_<prefix>_<random>`, or `name`: a database of that name left behind is dropped
    first, and so is dlt's local state for it. For tests and benchmarks; the role needs CREATEDB.
    """
    import psycopg2

    from loaders.core.pipeline import forget_local_state

    name_given = name is not None
    name = name or f"adwh_{prefix}_{uuid.uuid4().hex[:10]}"
    admin_url = with_database(url, "postgres")
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
            cur.execute(f'create database "{name}"')
        if name_given:
            forget_local_state(with_database(url, name))
        try:
            yield with_database(url, name)
        finally:
            with admin.cursor() as cur:
                cur.execute(f'drop database if exists "{name}" with (force)')
    finally:
        admin.close()
