"""Which raw tables of a source hold days, and where each row's client and day are.

Each source declares this beside its raw tables, in its own dbt source file
(`dbt_project/models/staging/<source>/_<source>__sources.yml`), as table meta:

```yaml
tables:
  - name: ad_daily
    config:
      meta:
        adwh_retention: {day_column: report_date, client_column: client_id}
  - name: creative_performance          # the client comes from another raw table
    config:
      meta:
        adwh_retention:
          day_column: date
          client_via: {table: creatives, key: creative_id, client_column: client_id}
```

`day_column` is the column staging reads as `date_day`, so a retired partition is the same
client x source x day as the fact's. A table without the meta (a catalog, dlt's own tables)
is never retired. A new source declares its own tables; nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loaders.core.errors import ConfigError
from loaders.core.settings import project_dir

META = "adwh_retention"


@dataclass(frozen=True)
class ClientVia:
    table: str
    key: str
    client_column: str


@dataclass(frozen=True)
class RawTable:
    source: str
    schema: str
    table: str
    day_column: str
    client_column: str | None = None
    client_via: ClientVia | None = None


def raw_tables(source: str, root: Path | None = None) -> list[RawTable]:
    """The retention declarations of `source` (dbt source of that name), in deletion order:
    tables whose client comes from another table first, so that table still answers."""
    import yaml

    folder = (root or project_dir()) / "dbt_project" / "models" / "staging" / source
    out: list[RawTable] = []
    for path in sorted(folder.glob("*.yml")):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read ({exc})") from None
        for src in doc.get("sources") or []:
            if src.get("name") != source:
                continue
            schema = src.get("schema") or f"raw_{source}"
            for table in src.get("tables") or []:
                meta = {
                    **(table.get("meta") or {}),
                    **((table.get("config") or {}).get("meta") or {}),
                }
                if META in meta:
                    out.append(_declaration(path, source, schema, table["name"], meta[META]))
    return sorted(out, key=lambda t: t.client_via is None)


def _declaration(path: Path, source: str, schema: str, table: str, meta) -> RawTable:
    where = f"{path}: table {table}: meta.{META}"
    if not isinstance(meta, dict) or not isinstance(meta.get("day_column"), str):
        raise ConfigError(f"{where} needs day_column")
    via = meta.get("client_via")
    if via is not None:
        if not isinstance(via, dict) or not all(
            isinstance(via.get(k), str) for k in ("table", "key", "client_column")
        ):
            raise ConfigError(f"{where}.client_via needs table, key and client_column")
        return RawTable(
            source, schema, table, meta["day_column"],
            client_via=ClientVia(via["table"], via["key"], via["client_column"]),
        )  # fmt: skip
    if not isinstance(meta.get("client_column"), str):
        raise ConfigError(f"{where} needs client_column or client_via")
    return RawTable(source, schema, table, meta["day_column"], client_column=meta["client_column"])
