"""The embedded PostgreSQL server adwh runs when no ADWH_DATABASE_URL is given.

A normal cluster (initdb + pg_ctl) under `<ADWH_HOME>/pg/`, listening on 127.0.0.1 only,
password-protected (scram), with binaries that arrive with `pip install` (the `pgserver`
wheel bundles PostgreSQL 16) or, failing that, the system's. PostgreSQL refuses to run as
root, so when adwh runs as root the server runs as an unprivileged system user (`postgres`
if it exists, else `adwh-pg`, created on first use).

Layout of `<ADWH_HOME>/pg/`:
    data/       the cluster (owned by the server's user)
    log/        server log (owned by the server's user)
    port        the TCP port last used
    password    the generated password of the `postgres` role (0600)
    lock        serialises concurrent start/stop calls
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import importlib.util
import logging
import os
import pwd
import random
import secrets
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from loaders.core.errors import AdwhError, register_secret
from loaders.warehouse.pg_process import (
    clear_stale_pid_file,
    pid_alive,
    port_free,
    port_open,
    wait_for_port,
)

log = logging.getLogger("adwh.db")

DATABASE = "adwh"
SUPERUSER = "postgres"
FIRST_PORT = 54329
BIND_ATTEMPTS = 3
SERVICE_USERS = ("postgres", "adwh-pg")

# Tuned for an analytics workload on a developer machine or a small warehouse host.
# synchronous_commit=off trades the last few commits on an OS crash for speed; it never
# corrupts data. wal_level=minimal lets COPY into new tables skip WAL.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "max_connections": "60",
    "shared_buffers": "'512MB'",
    "work_mem": "'64MB'",
    "maintenance_work_mem": "'512MB'",
    "effective_cache_size": "'4GB'",
    "random_page_cost": "1.1",
    "max_wal_size": "'4GB'",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "synchronous_commit": "off",
    "jit": "off",
    "timezone": "'UTC'",
    "log_min_messages": "warning",
    "log_timezone": "'UTC'",
}


@dataclass(frozen=True)
class Status:
    running: bool
    port: int | None
    pid: int | None
    data_dir: Path
    version: str | None
    bindir: Path | None


class EmbeddedPostgres:
    def __init__(self, home: Path) -> None:
        self.root = home / "pg"
        self.data = self.root / "data"
        self.log_dir = self.root / "log"
        self.log_file = self.log_dir / "postgres.log"
        self.port_file = self.root / "port"
        self.password_file = self.root / "password"
        self.lock_file = self.root / "lock"

    # --- public API ---------------------------------------------------------------------

    def start(self) -> str:
        """Start the server if it is not running (idempotent) and return its URL."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            status = self.status()
            if status.running:
                log.debug("embedded Postgres already running on port %s", status.port)
            else:
                self._start_locked()
            self._ensure_database()
        return self.url()

    def stop(self) -> bool:
        """Stop the server; returns False when it was not running."""
        if not self.data.exists():
            return False
        with self._locked():
            if not self.status().running:
                return False
            bindir = self._bindir()
            self._run_as_service(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    "60",
                    "stop",
                ]
            )
            return True

    def status(self) -> Status:
        pid, port = self._read_postmaster_pid()
        running = pid is not None and pid_alive(pid) and port is not None and port_open(port)
        version = None
        if (self.data / "PG_VERSION").exists():
            version = (self.data / "PG_VERSION").read_text().strip()
        bindir = None
        with contextlib.suppress(AdwhError):
            bindir = self._bindir()
        return Status(
            running,
            port if running else self._stored_port(),
            pid if running else None,
            self.data,
            version,
            bindir,
        )

    def url(self, database: str = DATABASE) -> str:
        port = self.status().port
        if port is None:
            raise AdwhError("the embedded Postgres has never been started: run `adwh db start`")
        password = self.password_file.read_text().strip()
        register_secret(password)
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{port}/{database}"

    # --- start ----------------------------------------------------------------------------

    def _start_locked(self) -> None:
        bindir = self._bindir()
        service = _service_user()
        if not (self.data / "PG_VERSION").exists():
            self._initdb(bindir, service)
        self._prepare_runtime_dirs(service)
        # A port found free can be taken before the server binds it (another cluster starting
        # at the same moment): then try another one, a few times.
        lost: set[int] = set()
        while True:
            port = self._choose_port(skip=lost)
            log.info("starting embedded Postgres (%s) on 127.0.0.1:%s", bindir, port)
            try:
                self._run_as_service(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-l",
                        str(self.log_file),
                        "-o",
                        f"-p {port}",
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ]
                )
            except AdwhError as exc:
                if len(lost) + 1 < BIND_ATTEMPTS and self._could_not_listen():
                    log.warning(
                        "port %s was taken while the embedded Postgres started; trying another",
                        port,
                    )
                    lost.add(port)
                    continue
                raise AdwhError(f"{exc}\n{self._log_tail()}") from None
            self.port_file.write_text(f"{port}\n")
            return

    def _could_not_listen(self) -> bool:
        """Whether the server log's last lines say the server found its port taken."""
        return "could not create any TCP/IP sockets" in self._log_tail()

    def _initdb(self, bindir: Path, service: pwd.struct_passwd | None) -> None:
        if self.data.exists() and any(self.data.iterdir()):
            raise AdwhError(f"{self.data} exists but holds no PostgreSQL cluster; move it away")
        log.info("initialising embedded Postgres cluster in %s", self.data)
        self.data.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        _write_private(self.password_file, password + "\n")
        register_secret(password)
        if service is not None:
            _make_traversable(self.root, bindir)
            os.chown(self.data, service.pw_uid, service.pw_gid)
        self.data.chmod(0o700)
        # initdb reads the password from a file that only the server's user can read.
        with tempfile.NamedTemporaryFile("w", dir=self.root, delete=False) as fh:
            fh.write(password + "\n")
            pwfile = Path(fh.name)
        try:
            if service is not None:
                os.chown(pwfile, service.pw_uid, service.pw_gid)
            pwfile.chmod(0o600)
            self._run_as_service(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-instructions",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# --- adwh embedded server settings ---\n")
            for key, value in SERVER_SETTINGS.items():
                conf.write(f"{key} = {value}\n")

    def _prepare_runtime_dirs(self, service: pwd.struct_passwd | None) -> None:
        self.log_dir.mkdir(exist_ok=True)
        if service is not None:
            os.chown(self.log_dir, service.pw_uid, service.pw_gid)
            _make_traversable(self.root, self._bindir())

    def _ensure_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(self.url("postgres"), connect_timeout=10)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (DATABASE,))
                if cur.fetchone() is None:
                    cur.execute(f'create database "{DATABASE}"')
        finally:
            conn.close()

    # --- helpers ----------------------------------------------------------------------------

    def _bindir(self) -> Path:
        wanted = None
        if (self.data / "PG_VERSION").exists():
            wanted = (self.data / "PG_VERSION").read_text().strip()
        candidates = _candidate_bindirs()
        if not candidates:
            raise AdwhError(
                "no PostgreSQL server binaries found: `pip install pgserver` (bundled binaries) "
                "or install PostgreSQL, or set ADWH_PG_BINDIR"
            )
        if wanted is None:
            return candidates[0]
        for bindir in candidates:
            if _major_version(bindir) == wanted:
                return bindir
        found = ", ".join(f"{b} ({_major_version(b)})" for b in candidates)
        raise AdwhError(
            f"the embedded cluster in {self.data} was created by PostgreSQL {wanted}, "
            f"but only these binaries are available: {found}; remove {self.root} to start afresh "
            "or set ADWH_PG_BINDIR"
        )

    def _read_postmaster_pid(self) -> tuple[int | None, int | None]:
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None, None
        try:
            return int(lines[0]), int(lines[3])
        except (IndexError, ValueError):
            return None, None

    def _stored_port(self) -> int | None:
        try:
            return int(self.port_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _choose_port(self, skip: set[int] | frozenset[int] = frozenset()) -> int:
        """The port used last time; another one only when a different program holds it.

        After an unclean stop (kill -9, power loss) the old server's processes may still be
        exiting: wait for them and reclaim the port, so BI tools and profiles keep working.
        """
        stored = self._stored_port()
        if stored and stored not in skip:
            old_pid, _ = self._read_postmaster_pid()
            clear_stale_pid_file(self.data / "postmaster.pid", old_pid)
            if wait_for_port(stored):
                return stored
        # the first free port from FIRST_PORT, else a random one of the range, so that two
        # clusters starting at the same moment rarely pick the same port
        others = list(range(FIRST_PORT + 1, FIRST_PORT + 200))
        random.shuffle(others)
        for port in [FIRST_PORT, *others]:
            if port not in skip and port_free(port):
                if stored:
                    log.warning(
                        "PORT CHANGED: 127.0.0.1:%s, where the embedded Postgres ran before, is "
                        "held by another program; starting on %s instead. Update BI tools, "
                        "psql aliases and profiles, or free port %s and restart "
                        "(adwh db stop && adwh db start).",
                        stored,
                        port,
                        stored,
                    )
                return port
        raise AdwhError(f"no free TCP port in {FIRST_PORT}-{FIRST_PORT + 199} on 127.0.0.1")

    def _run_as_service(self, args: list[str]) -> None:
        service = _service_user()
        kwargs: dict = {}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        if service is not None:
            kwargs = {"user": service.pw_uid, "group": service.pw_gid, "extra_groups": []}
            env["HOME"] = service.pw_dir if os.path.isdir(service.pw_dir) else str(self.root)
        # pg_ctl's server inherits stdout; a pipe would keep us waiting, a file does not.
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(self.root),
                check=False,
                **kwargs,
            )
            out.seek(0)
            output = out.read().strip()
        if proc.returncode != 0:
            raise AdwhError(f"{Path(args[0]).name} failed (exit {proc.returncode}): {output}")

    def _log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_file.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "server log:\n" + "\n".join(text[-lines:])

    @contextlib.contextmanager
    def _locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with self.lock_file.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


# --- module helpers -------------------------------------------------------------------------


def _candidate_bindirs() -> list[Path]:
    found: list[Path] = []
    env = os.environ.get("ADWH_PG_BINDIR")
    if env:
        found.append(Path(env))
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin:
        found.append(Path(spec.origin).parent / "pginstall" / "bin")
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            found.append(Path(out.stdout.strip()))
    found += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    usable = []
    for bindir in found:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists() and bindir not in usable:
            usable.append(bindir)
    return usable


def _major_version(bindir: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(bindir / "pg_ctl"), "--version"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # "pg_ctl (PostgreSQL) 16.2"
    version = out.strip().split()[-1]
    return version.split(".")[0]


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as when adwh runs as root; None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in SERVICE_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    name = SERVICE_USERS[-1]
    log.info(
        "creating system user %s to run the embedded Postgres (it refuses to run as root)", name
    )
    try:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise AdwhError(
            f"cannot create system user {name} for the embedded Postgres: {exc}"
        ) from exc
    return pwd.getpwnam(name)


def _make_traversable(*paths: Path) -> None:
    """Let the server's user reach the data dir and the binaries (adds o+x, never o+r)."""
    for path in paths:
        for parent in [path, *path.resolve().parents]:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                log.info("adding o+x to %s so the Postgres service user can reach it", parent)
                parent.chmod(mode | stat.S_IXOTH)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
