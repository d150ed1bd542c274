"""scripts/check_docs_coverage.py finds every undocumented thing, on hand-made artifacts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_docs_coverage.py"


def artifacts(tmp_path: Path, *, complete: bool) -> Path:
    text = "Documented." if complete else ""
    manifest = {
        "nodes": {
            "model.adwh.m": {
                "resource_type": "model", "package_name": "adwh", "name": "m",
                "description": "A model.",
                "columns": {"a": {"description": "A column."}},
            },
            "seed.adwh.s": {
                "resource_type": "seed", "package_name": "adwh", "name": "s",
                "description": text, "columns": {},
            },
            "test.adwh.t": {
                "resource_type": "test", "package_name": "adwh", "name": "t", "description": "",
            },
            "model.other.x": {
                "resource_type": "model", "package_name": "other", "name": "x", "description": "",
            },
        },
        "sources": {
            "source.adwh.raw.tbl": {
                "package_name": "adwh", "source_name": "raw", "name": "tbl",
                "source_description": "Raw.", "description": "A table.",
                "columns": {"c": {"description": text}},
            }
        },
        "metrics": {"metric.adwh.roas": {"package_name": "adwh", "name": "roas",
                                         "description": text}},
        "semantic_models": {},
        "exposures": {"exposure.adwh.e": {"package_name": "adwh", "name": "e",
                                          "description": text}},
    }  # fmt: skip
    # the built model has a column its YAML does not declare
    built_columns = {"a": {}, "b": {}} if not complete else {"a": {}}
    catalog = {"nodes": {"model.adwh.m": {"columns": built_columns}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    return tmp_path


def run(target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--target", str(target)], capture_output=True, text=True
    )


def test_every_gap_is_named_and_fails(tmp_path):
    result = run(artifacts(tmp_path, complete=False))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:-1] == [
        "docs coverage: exposure e: no description",
        "docs coverage: metric roas: no description",
        "docs coverage: model m: column b has no description",
        "docs coverage: seed s: no description",
        "docs coverage: source table raw.tbl: column c has no description",
    ]
    assert lines[-1] == "docs coverage: 5 gap(s); 1 exposure(s) checked"


def test_complete_docs_pass(tmp_path):
    result = run(artifacts(tmp_path, complete=True))
    assert result.returncode == 0, result.stdout


def test_missing_artifacts_say_what_to_run(tmp_path):
    result = run(tmp_path)
    assert result.returncode == 2
    assert "adwh dbt docs generate" in result.stdout
