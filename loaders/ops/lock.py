"""One `adwh run` at a time: a session-level Postgres advisory lock held for the whole run.

The lock lives in the warehouse itself, so it also holds across hosts that share it, and it
goes away with the session when a run dies (no stale lock file to clean up).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from loaders.core.errors import AdwhError

# pg_advisory_lock(classid, objid): a fixed pair that names "adwh run".
LOCK_KEY = (0x616457, 0x72756E)


class RunLocked(AdwhError):
    """Another `adwh run` holds the lock; this one did nothing."""

    exit_code = 3


@contextlib.contextmanager
def run_lock(url: str) -> Iterator[None]:
    """Hold the run lock, or raise RunLocked at once naming the holder."""
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=15, application_name="adwh run (lock)")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_try_advisory_lock(%s, %s)", LOCK_KEY)
            if not cur.fetchone()[0]:
                raise RunLocked(
                    f"another `adwh run` is in progress ({_holder(cur)}); "
                    "this run did nothing — it will be picked up by the next scheduled run"
                )
        yield
    finally:
        conn.close()  # ends the session: the lock goes with it


def _holder(cur) -> str:
    cur.execute(
        """select a.pid, a.backend_start, a.client_addr
           from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where l.locktype = 'advisory' and l.classid = %s and l.objid = %s and l.granted""",
        LOCK_KEY,
    )
    row = cur.fetchone()
    if row is None:
        return "holder unknown"
    return f"database session {row[0]}, started {row[1]:%Y-%m-%d %H:%M:%S %Z}"
