"""Running dbt against the warehouse adwh is configured for.

dbt reads `profiles.example.yml` (env_var() based, no secrets), which adwh copies to
`<ADWH_HOME>/dbt/profiles.yml`, and adwh sets the ADWH_PG_* variables from the database URL,
so `adwh build` needs no set-up. An operator's own DBT_PROFILES_DIR wins when set. With
`[access] connect_as_roles = true` dbt runs as adwh_transformer (docs/access.md).

dbt re-parses the whole project (~10-15 s of CPU) whenever its `--vars`, role or database
differ from the previous call's, and `adwh run` alternates `build --vars ...` with `source
freshness`. So adwh keeps one saved parse per such state (parse_cache.py) and hands dbt the
matching one; dbt still checks it (files, vars, profile, version) before using it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from loaders.core.errors import AdwhError
from loaders.core.settings import adwh_home, project_dir
from loaders.warehouse import parse_cache
from loaders.warehouse.database import dbt_env


def profiles_dir() -> Path:
    """DBT_PROFILES_DIR when set; else a copy of profiles.example.yml under ADWH_HOME."""
    if os.environ.get("DBT_PROFILES_DIR"):
        return Path(os.environ["DBT_PROFILES_DIR"])
    target = adwh_home() / "dbt"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(project_dir() / "profiles.example.yml", target / "profiles.yml")
    return target


def dbt_args(args: list[str]) -> list[str]:
    """`args` plus the project and profiles dirs, unless the caller gave them."""
    full = list(args)
    if "--project-dir" not in full:
        full += ["--project-dir", str(project_dir())]
    if "--profiles-dir" not in full:
        full += ["--profiles-dir", str(profiles_dir())]
    return full


def target_dir() -> Path:
    """Where dbt writes run_results.json / sources.json (DBT_TARGET_PATH or `target/`)."""
    env = os.environ.get("DBT_TARGET_PATH")
    return Path(env) if env else project_dir() / "target"


def run_dbt(args: list[str], url: str, check: bool = True):
    """Invoke dbt in this process; returns dbt's result object, raises on failure (`check`)."""
    from dbt.cli.main import dbtRunner

    from loaders.access.passwords import role_url
    from loaders.access.roles import installed_at

    # the marts' `grants` config names adwh_analyst only once `adwh access init` made it
    os.environ["ADWH_ACCESS"] = "on" if installed_at(url) else "off"
    os.environ.update(dbt_env(role_url(url, "adwh_transformer")))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    with parse_cache.saved_parse(args, target_dir()):
        result = dbtRunner().invoke(dbt_args(args))
    if check and not result.success:
        reason = f": {result.exception}" if result.exception else ""
        raise AdwhError(f"dbt {args[0] if args else ''} failed{reason} (see the dbt output above)")
    return result
