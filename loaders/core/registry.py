"""The source registry: the dbt var `adwh_sources` in dbt_project.yml, read once for Python.

dbt (the union model, the conservation test, data coverage) and Python (the demo, `adwh
sources`) iterate the same list, so adding a source is one registry line beside its loader
package and staging folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loaders.core.errors import ConfigError
from loaders.core.settings import project_dir

VAR = "adwh_sources"


@dataclass(frozen=True)
class Source:
    name: str
    staging_model: str
    spend_basis: str
    enabled: bool = True


def sources(path: Path | None = None, *, enabled_only: bool = False) -> list[Source]:
    """The registry in its order; `path` defaults to the project's dbt_project.yml."""
    import yaml

    path = path or project_dir() / "dbt_project.yml"
    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the source registry ({exc})") from None
    entries = (project.get("vars") or {}).get(VAR)
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: vars.{VAR} must be a list of sources")
    out: list[Source] = []
    for i, entry in enumerate(entries, start=1):
        missing = [k for k in ("name", "staging_model", "spend_basis") if not _text(entry, k)]
        if missing:
            raise ConfigError(f"{path}: vars.{VAR} entry {i} lacks {', '.join(missing)}")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{path}: vars.{VAR} entry {i}: enabled must be true or false")
        source = Source(
            str(entry["name"]), str(entry["staging_model"]), str(entry["spend_basis"]), enabled
        )
        if any(s.name == source.name for s in out):
            raise ConfigError(f"{path}: vars.{VAR} names {source.name!r} twice")
        out.append(source)
    return [s for s in out if s.enabled] if enabled_only else out


def _text(entry: object, key: str) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get(key), str) and bool(entry[key])
