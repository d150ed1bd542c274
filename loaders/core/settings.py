"""Where adwh keeps things: project directory, local state, dlt settings.

Everything is resolved at call time (not import time) so tests and the CLI can point
`ADWH_HOME` / `ADWH_PROJECT_DIR` somewhere else before the first call.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_dir() -> Path:
    """The repository root: holds dbt_project.yml, .dlt/ and profiles.example.yml."""
    env = os.environ.get("ADWH_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def adwh_home() -> Path:
    """Local state: the embedded Postgres cluster, dlt working dirs, generated profiles."""
    env = os.environ.get("ADWH_HOME")
    return Path(env).resolve() if env else project_dir() / ".adwh"


def dlt_pipelines_dir() -> Path:
    return adwh_home() / "dlt"


def prepare_dlt_environment() -> None:
    """Make dlt read `<project>/.dlt/config.toml` and `secrets.toml` wherever adwh runs from.

    Must be called before the first dlt import that resolves configuration; an explicit
    DLT_PROJECT_DIR set by the operator wins.
    """
    os.environ.setdefault("DLT_PROJECT_DIR", str(project_dir()))
    # dlt's anonymous telemetry would try the network, which is closed here and in most
    # warehouses' cron hosts.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
