"""Shared fixtures: a real Postgres (the embedded one adwh starts), a real S3 API server on
loopback (moto server mode), and a fresh database per test module or test.

The embedded server for the test session lives in its own temporary ADWH_HOME, so tests never
touch the developer's demo warehouse. With ADWH_TEST_DATABASE_URL set, tests create their
databases on that server instead (it needs CREATEDB).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

from loaders.warehouse.database import scratch_database

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _isolated_adwh() -> Iterator[Path]:
    """ADWH_HOME, dbt target and log paths of the session in a temp dir; no external DB.

    Not under pytest's basetemp: pytest prunes old basetemps, and a concurrent session on the
    same machine would delete this session's live database cluster.
    """
    home = Path(tempfile.mkdtemp(prefix="adwh-test-"))
    saved = {
        k: os.environ.get(k)
        for k in (
            "ADWH_HOME",
            "ADWH_DATABASE_URL",
            "DBT_TARGET_PATH",
            "DBT_LOG_PATH",
            "DBT_PROFILES_DIR",
            "DBT_EXCLUDE_RESOURCE_TYPES",
            "DBT_LOG_LEVEL_FILE",
        )
    }
    os.environ["ADWH_HOME"] = str(home)
    os.environ["DBT_TARGET_PATH"] = str(home / "dbt-target")
    os.environ["DBT_LOG_PATH"] = str(home / "dbt-logs")
    os.environ.pop("ADWH_DATABASE_URL", None)
    os.environ.pop("DBT_PROFILES_DIR", None)
    # dbt's unit tests check models on fixed rows, whatever the warehouse holds: they run in
    # `make dbt-build` (the demo's build); here every `dbt build` of every test would repeat them
    os.environ["DBT_EXCLUDE_RESOURCE_TYPES"] = "unit_test"
    # dbt's debug log file (every statement and event): measured once, a test module 88 -> 83 s
    # and the demo's build 37 -> 28 s without it, within noise on a whole CI run; no test reads
    # it, and a failing dbt call prints its error on stdout anyway
    os.environ["DBT_LOG_LEVEL_FILE"] = "none"
    from loaders.core.settings import prepare_dlt_environment

    prepare_dlt_environment()
    yield home
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url(_isolated_adwh: Path) -> Iterator[str]:
    """URL of a Postgres server (maintenance database) for the session."""
    external = os.environ.get("ADWH_TEST_DATABASE_URL")
    if external:
        yield external
        return
    from loaders.warehouse.embedded_pg import EmbeddedPostgres

    _worker_port(_isolated_adwh)
    server = EmbeddedPostgres(_isolated_adwh)
    server.start()
    yield server.url("postgres")
    server.stop()


def _worker_port(home: Path) -> None:
    """Under pytest-xdist every worker starts its own server: give each its own port range,
    so two workers starting at the same moment never race for the default port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    from loaders.warehouse.pg_process import port_free

    base = 55000 + 20 * int(worker[2:])
    port = next((p for p in range(base, base + 20) if port_free(p)), None)
    if port is not None:
        (home / "pg").mkdir(parents=True, exist_ok=True)
        (home / "pg" / "port").write_text(f"{port}\n")


_SLOTS_IN_USE: set[int] = set()


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server (loaders.database.scratch_database).

    Named from a small pool (`adwh_test_<pid>_<n>`, the lowest n not in use), so consecutive
    test modules hand dbt the same database name: the name is part of dbt's profile, and a new
    one throws away dbt's partial parse - a full parse of the project costs ~20 s, on the first
    dbt call of every module otherwise.
    """
    slot = next(n for n in itertools.count() if n not in _SLOTS_IN_USE)
    _SLOTS_IN_USE.add(slot)
    try:
        with scratch_database(server, name=f"adwh_test_{os.getpid()}_{slot}") as url:
            yield url
    finally:
        _SLOTS_IN_USE.discard(slot)


@pytest.fixture
def db_url(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty warehouse database for one test; ADWH_DATABASE_URL points at it."""
    with fresh_database(server_url) as url:
        monkeypatch.setenv("ADWH_DATABASE_URL", url)
        yield url


@pytest.fixture(scope="session")
def s3():
    """moto's S3 server on 127.0.0.1 for the session."""
    from loaders.demo.local_s3 import local_s3

    with local_s3() as server:
        yield server


@pytest.fixture
def bucket(s3) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=name)
    return name


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Run one statement and commit; rows if it returns any."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
        conn.commit()
        return rows
    finally:
        conn.close()
