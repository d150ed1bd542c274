"""Process and port checks for the embedded server, including recovery from an unclean stop."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from pathlib import Path

log = logging.getLogger("adwh.db")

RECLAIM_SECONDS = 30.0


def pid_alive(pid: int) -> bool:
    """True when `pid` runs (a zombie, killed and not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(Exception):
        import psutil

        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    return True


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def port_free(port: int) -> bool:
    """Whether Postgres could listen on `port`: bound the way it binds (SO_REUSEADDR), so
    connections of a killed server lingering in TIME_WAIT do not count as "taken"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(port: int, seconds: float = RECLAIM_SECONDS) -> bool:
    """Wait up to `seconds` for `port` to be free (a killed server's processes exiting)."""
    deadline = time.monotonic() + seconds
    announced = False
    while True:
        if port_free(port):
            return True
        if time.monotonic() >= deadline:
            return False
        if not announced:
            log.info("waiting up to %.0f s for port %s to be released", seconds, port)
            announced = True
        time.sleep(0.5)


def clear_stale_pid_file(pid_file: Path, pid: int | None, seconds: float = RECLAIM_SECONDS):
    """After a kill -9 the old postmaster's backends exit on their own (they notice the
    postmaster is gone) and, in a container whose init does not reap at once, the postmaster
    can linger as a zombie that Postgres's own lock-file check takes for a live server. Wait
    for the backends, then remove the lock file of a postmaster that no longer runs."""
    if pid is None or not pid_file.exists():
        return
    deadline = time.monotonic() + seconds
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.3)
    if pid_alive(pid):
        return  # really running: pg_ctl will say so
    _wait_for_children(pid_file.parent, deadline)
    with contextlib.suppress(FileNotFoundError):
        pid_file.unlink()
        log.info("removed the lock file of a postmaster (pid %s) that no longer runs", pid)


def _wait_for_children(data_dir: Path, deadline: float) -> None:
    """Wait until no live `postgres` process works on `data_dir` (old backends exiting)."""
    try:
        import psutil
    except ImportError:
        time.sleep(1.0)
        return
    while time.monotonic() < deadline:
        busy = False
        for proc in psutil.process_iter(["name", "status", "cwd"]):
            with contextlib.suppress(psutil.Error):
                info = proc.info
                alive = info["name"] == "postgres" and info["status"] != "zombie"
                if alive and info["cwd"] and Path(info["cwd"]) == data_dir:
                    busy = True
                    break
        if not busy:
            return
        time.sleep(0.3)
