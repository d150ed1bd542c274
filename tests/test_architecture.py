"""The layout's rules, checked by reading the code (ast), and the source registry."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from loaders import cli
from loaders.core.registry import Source, sources
from loaders.demo.context import DemoContext
from loaders.demo.runner import run_steps

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "loaders"


def imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(module imported, at module level?) for every import statement in `tree`."""
    top = {id(node) for node in getattr(tree, "body", [])}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top))
            # `from loaders import demo` imports the package loaders.demo
            found += [(f"{node.module}.{a.name}", id(node) in top) for a in node.names]
    return found


def violations(path: Path, source: str) -> list[str]:
    """Imports of loaders.demo or moto that `path` may not make."""
    rel = path.relative_to(ROOT).as_posix()
    if rel.startswith("loaders/demo/"):
        return []
    out = []
    for module, top_level in imports(ast.parse(source, filename=rel)):
        if module == "moto" or module.startswith("moto."):
            out.append(f"{rel} imports {module}")
        elif module == "loaders.demo" or module.startswith("loaders.demo."):
            if rel == "loaders/cli.py" and not top_level:
                continue  # the `demo` command imports the runner lazily
            out.append(f"{rel} imports {module}")
    return out


def runtime_modules() -> list[Path]:
    paths = sorted(PACKAGE.rglob("*.py"))
    assert len(paths) > 20  # the walk found the package
    return paths


def test_nothing_outside_loaders_demo_imports_it_or_moto():
    found = [v for p in runtime_modules() for v in violations(p, p.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize(
    ("rel", "code"),
    [
        ("loaders/sources/x/__init__.py", "from loaders.demo.local_s3 import LocalS3\n"),
        ("loaders/core/x.py", "def f():\n    from loaders import demo\n"),
        ("loaders/cli.py", "from loaders.demo import runner\n"),  # not lazily
        ("loaders/warehouse/x.py", "def f():\n    import moto.server\n"),
    ],
)
def test_the_import_check_catches_each_kind_of_violation(rel, code):
    assert violations(ROOT / rel, code) != []


def test_the_cli_demo_command_imports_the_runner_lazily():
    source = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    demo_imports = [m for m, top in imports(ast.parse(source)) if m.startswith("loaders.demo")]
    assert demo_imports  # the check above is not vacuous for the CLI
    assert violations(PACKAGE / "cli.py", source) == []


def test_a_plain_install_does_not_bring_moto():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [d.split(">")[0].split("[")[0].split("=")[0].strip() for d in project["dependencies"]]
    assert "moto" not in names and "boto3" in names
    assert any(d.startswith("moto") for d in project["optional-dependencies"]["demo"])


def test_the_registry_lists_every_source_with_its_staging_model():
    registry = sources()
    assert [s.name for s in registry] == ["surfside", "facebook", "vibe", "bidder"]
    for s in registry:
        assert (ROOT / "dbt_project/models/staging" / s.name / f"{s.staging_model}.sql").is_file()
        assert (PACKAGE / "sources" / s.name / "__init__.py").is_file()
        assert (PACKAGE / "demo" / f"{s.name}_demo.py").is_file()
    basis = {s.name: s.spend_basis for s in registry}
    assert basis == {"surfside": "cpm", "facebook": "cpm", "vibe": "cpm", "bidder": "reported_cost"}


def test_a_bad_registry_is_refused_naming_the_entry(tmp_path):
    path = tmp_path / "dbt_project.yml"
    path.write_text("vars:\n  adwh_sources:\n    - {name: a, staging_model: stg_a__x}\n")
    with pytest.raises(Exception, match="entry 1 lacks spend_basis"):
        sources(path)


def test_adwh_sources_lists_the_registry(capsys):
    assert cli.main(["sources"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["source", "spend"]
    assert [line.split()[0] for line in lines[1:]] == ["surfside", "facebook", "vibe", "bidder"]
    assert lines[4].split()[1:3] == ["reported_cost", "yes"]


def test_a_source_without_a_demo_step_is_reported_not_skipped():
    said: list[str] = []
    ctx = DemoContext(url="postgresql://unused", window=[], echo=said.append, s3=None)
    registry = [
        Source("toy", "stg_toy__daily", "cpm", enabled=True),
        Source("surfside", "stg_surfside__daily_performance", "cpm", enabled=False),
    ]
    assert run_steps(ctx, registry) == ["toy"]
    assert any("toy: NO DEMO STEP" in line and "toy_demo.py" in line for line in said)
    assert any("surfside: disabled" in line for line in said)
