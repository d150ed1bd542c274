"""Fail when anything people read lacks a description: every model, seed and snapshot of the
project and each of their columns (as built, from target/catalog.json), every source, source
table and declared source column, every metric, semantic model and exposure.

    python scripts/check_docs_coverage.py [--target target]

Needs target/manifest.json and target/catalog.json (`adwh dbt docs generate`, the last step of
`make dbt-build`). Prints one line per gap and exits 1 when there is any.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PROJECT = "adwh"
DOCUMENTED = ("model", "seed", "snapshot")


def _blank(text) -> bool:
    return not (text or "").strip()


def gaps(manifest: dict, catalog: dict) -> list[str]:
    found: list[str] = []
    built = {**catalog.get("nodes", {})}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] not in DOCUMENTED or node["package_name"] != PROJECT:
            continue
        kind, name = node["resource_type"], node["name"]
        if _blank(node.get("description")):
            found.append(f"{kind} {name}: no description")
        declared = {c.lower(): v for c, v in node.get("columns", {}).items()}
        columns = built.get(uid, {}).get("columns") or declared
        for column in columns:
            if _blank(declared.get(column.lower(), {}).get("description")):
                found.append(f"{kind} {name}: column {column} has no description")
    for source in manifest["sources"].values():
        if source["package_name"] != PROJECT:
            continue
        name = f"{source['source_name']}.{source['name']}"
        if _blank(source.get("source_description")):
            found.append(f"source {source['source_name']}: no description")
        if _blank(source.get("description")):
            found.append(f"source table {name}: no description")
        for column, spec in source.get("columns", {}).items():
            if _blank(spec.get("description")):
                found.append(f"source table {name}: column {column} has no description")
    for section, kind in (("metrics", "metric"), ("semantic_models", "semantic model"),
                          ("exposures", "exposure")):  # fmt: skip
        for item in manifest.get(section, {}).values():
            if item["package_name"] == PROJECT and _blank(item.get("description")):
                found.append(f"{kind} {item['name']}: no description")
    return sorted(set(found))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="target", type=Path)
    args = parser.parse_args()
    try:
        manifest = json.loads((args.target / "manifest.json").read_text())
        catalog = json.loads((args.target / "catalog.json").read_text())
    except FileNotFoundError as exc:
        print(f"docs coverage: {exc.filename} missing: run `adwh dbt docs generate` first")
        return 2
    found = gaps(manifest, catalog)
    for line in found:
        print(f"docs coverage: {line}")
    exposures = sum(1 for e in manifest.get("exposures", {}).values())
    print(f"docs coverage: {len(found)} gap(s); {exposures} exposure(s) checked")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
