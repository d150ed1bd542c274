"""`adwh db backup` / `adwh db restore`: pg_dump custom format with the embedded server's own
binaries (the same PostgreSQL major version as the cluster), the password passed in the
environment (never on a command line)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

from loaders.core.errors import AdwhError
from loaders.core.settings import adwh_home, project_dir
from loaders.warehouse.database import connect

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def bindir() -> Path:
    from loaders.warehouse.embedded_pg import EmbeddedPostgres

    found = EmbeddedPostgres(adwh_home()).status().bindir
    if found is None or not (found / "pg_dump").exists():
        raise AdwhError("no pg_dump found beside the embedded server's binaries (ADWH_PG_BINDIR)")
    return found


def _conn_args(url: str) -> tuple[list[str], dict[str, str]]:
    parts = urlparse(url)
    args = [
        "--host", parts.hostname or "127.0.0.1",
        "--port", str(parts.port or 5432),
        "--username", unquote(parts.username or "postgres"),
        "--dbname", (parts.path or "/").lstrip("/") or "postgres",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        raise AdwhError(f"{Path(args[0]).name} failed: {'; '.join(lines[-3:]) or proc.returncode}")


def default_path() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return project_dir() / "backups" / f"adwh-{stamp}.dump"


def backup(url: str, path: Path | None = None) -> Path:
    path = (path or default_path()).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn, env = _conn_args(url)
    tmp = path.with_name(path.name + ".partial")
    try:
        _run([str(bindir() / "pg_dump"), "--format=custom", f"--file={tmp}", *conn], env)
        tmp.chmod(0o600)  # it holds every client's data
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def user_tables(url: str) -> int:
    with connect(url) as c, c.cursor() as cur:
        cur.execute(
            "select count(*) from pg_tables where schemaname <> all(%s)", (list(SYSTEM_SCHEMAS),)
        )
        return cur.fetchone()[0]


def restore(url: str, path: Path, force: bool = False) -> int:
    """Restore `path` into the warehouse of `url`; returns the number of tables after it."""
    existing = user_tables(url)
    if existing and not force:
        raise AdwhError(
            f"the warehouse is not empty ({existing} tables): refusing to overwrite it; "
            "give --force to replace everything in it with the backup"
        )
    if existing:
        with connect(url) as c, c.cursor() as cur:
            cur.execute(
                """select nspname from pg_namespace where nspname <> all(%s)
                   and nspname not like 'pg\\_%%'""",
                (list(SYSTEM_SCHEMAS),),
            )
            for (schema,) in cur.fetchall():
                cur.execute(f'drop schema "{schema}" cascade')
            cur.execute("create schema public")
    conn, env = _conn_args(url)
    # `public` exists in every new database: its CREATE is the one error to tolerate
    _run(
        [str(bindir() / "pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
         *conn, str(path)],
        env,
    )  # fmt: skip
    return user_tables(url)
