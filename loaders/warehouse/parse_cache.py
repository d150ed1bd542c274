"""One saved dbt parse per state, so that alternating dbt calls stop re-parsing the project.

dbt keeps a single `target/partial_parse.msgpack` and throws it away (a full parse, ~10-15 s
of CPU here) when the call's `--vars`, profile (role, database) or the env vars that
dbt_project.yml reads differ from the call that wrote it. `adwh run` alternates
`build --vars {full_scan_tests: true}` with `source freshness`, so every run paid two full
parses. Here each state gets its own copy under `target/parse_cache/`: before a call, dbt is
pointed at the copy for the call's state (DBT_PARTIAL_PARSE_FILE_PATH, dbt's own setting);
after it, a parse dbt wrote is copied back. dbt still checks the copy (file checksums, vars,
profile, env vars, dbt version) and parses in full when it does not match, so a wrong or
stale copy costs time, never correctness. The newest KEEP copies are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KEEP = 8
PARSE_FILE = "partial_parse.msgpack"
# what adwh varies between dbt calls and dbt compares before reusing a parse; the password is
# left out on purpose (no secret, even hashed, in a file name)
STATE_ENV = (
    "ADWH_PG_HOST",
    "ADWH_PG_PORT",
    "ADWH_PG_USER",
    "ADWH_PG_DATABASE",
    "ADWH_DBT_TARGET",
    "ADWH_ACCESS",
    "DBT_PROFILES_DIR",
)
STATE_FLAGS = ("--vars", "--target", "-t", "--profile")


def state_key(args: list[str]) -> str:
    """A short hash of the call's parse-relevant flags and environment."""
    flags: list[tuple[str, str]] = []
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in STATE_FLAGS:
            flags.append((name, value if eq else (args[i + 1] if i + 1 < len(args) else "")))
    state = {"flags": flags, "env": {k: os.environ.get(k) for k in STATE_ENV}}
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def enabled(args: list[str]) -> bool:
    """Off when the caller chose partial parsing's file or turned partial parsing off."""
    if os.environ.get("DBT_PARTIAL_PARSE_FILE_PATH") or "--partial-parse-file-path" in args:
        return False
    if "--no-partial-parse" in args:
        return False
    return os.environ.get("DBT_PARTIAL_PARSE", "true").lower() not in ("false", "0", "no")


@contextmanager
def saved_parse(args: list[str], target: Path) -> Iterator[None]:
    """Point dbt at the saved parse for this call's state; keep the parse dbt writes."""
    if not enabled(args):
        yield
        return
    cache = target / "parse_cache"
    copy = cache / f"{state_key(args)}.msgpack"
    written = target / PARSE_FILE
    started = time.time()
    try:
        os.utime(copy)  # newest use first when pruning
        os.environ["DBT_PARTIAL_PARSE_FILE_PATH"] = str(copy)
    except OSError:
        pass  # no copy for this state yet: dbt reads its own file
    try:
        yield
    finally:
        os.environ.pop("DBT_PARTIAL_PARSE_FILE_PATH", None)
        _keep(written, copy, started)


def _keep(written: Path, copy: Path, started: float) -> None:
    """Copy a parse dbt wrote during this call (none when it reused the copy unchanged)."""
    try:
        if not written.exists() or written.stat().st_mtime < started:
            return
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(written, partial)
        os.replace(partial, copy)
        kept = sorted(copy.parent.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache: losing a copy costs one full parse, nothing else
