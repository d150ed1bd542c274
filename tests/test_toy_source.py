"""Adding a source takes a raw table, a staging folder and one registry line - nothing else.

The dbt project is copied to a temp dir; a toy source gets a tiny raw table in a fresh
database, one staging model (plus its sources YAML, a new file) and one line in the registry
(var adwh_sources). `dbt build` must then carry its valid rows into fact_daily_metrics, its
bad rows into dq_quarantine, and the conservation test must cover it (it fails when a toy row
goes missing). No existing file other than the registry line changes. Expected figures are
worked out by hand from TOY_ROWS.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import REPO, fresh_database, query

from loaders.core.errors import AdwhError
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

D1, D2 = dt.date(2025, 6, 1), dt.date(2025, 6, 2)
# client, day, creative, impressions, clicks, spend (the toy platform's reported cost)
TOY_ROWS = [
    ("acme", D1, "A", 1000, 10, "2.50"),
    ("acme", D1, "B", 3000, 30, "4.50"),
    ("acme", D2, "A", 2000, 5, "3.00"),
    ("acme", D2, "A", 100, 500, "1.00"),  # clicks > impressions: quarantined
    ("nobody", D1, "Z", 700, 7, "0.70"),  # client not in seeds/clients.csv: quarantined
]

REGISTRY_LINE = (
    "- {name: toy, staging_model: stg_toy__daily_rows, spend_basis: reported_cost, enabled: true}"
)

SOURCES_YML = """\
version: 2

sources:
  - name: toy
    description: A toy source for the registry test.
    schema: raw_toy
    tables:
      - name: daily_rows
        description: One row per toy report row.
"""

# The staging model a new source writes: its raw columns in the common shape
# (macros/common_grain.sql) plus the validation flags of the standard rules.
STAGING_SQL = """\
with standardised as (
    select
        'toy'::text as source,
        client_id,
        day as date_day,
        'Toy campaign'::text as campaign_name,
        'Toy strategy'::text as strategy_name,
        'Toy placement'::text as placement_name,
        creative as creative_name,
        impressions,
        clicks,
        0 as conversions,
        0 as conversion_revenue,
        spend as media_cost,
        'USD'::text as currency_code,
        null::bigint as video_starts,
        null::bigint as video_completions,
        null::text as country_code,
        null::text as device_type,
        'toy://rows'::text as source_file,
        row_number as source_row_number,
        'toy-load-1'::text as load_id,
        loaded_at
    from {{ source('toy', 'daily_rows') }}
)

select
    standardised.*,
    {{ dq_columns(dq_rules(standard_rule_codes())) }}
from standardised
"""


def add_registry_line(project_yml: Path) -> None:
    """Append REGISTRY_LINE after the last entry of var adwh_sources, same indentation."""
    lines = project_yml.read_text().splitlines(keepends=True)
    entries = [
        i for i, line in enumerate(lines) if re.match(r"\s+- \{name: \w+, staging_model:", line)
    ]
    assert entries, "no adwh_sources entry found in dbt_project.yml"
    last = entries[-1]
    indent = lines[last][: len(lines[last]) - len(lines[last].lstrip())]
    lines.insert(last + 1, f"{indent}{REGISTRY_LINE}\n")
    project_yml.write_text("".join(lines))


@pytest.fixture(scope="module")
def toy_project(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("toy-project")
    shutil.copytree(REPO / "dbt_project", project / "dbt_project")
    for name in ("dbt_project.yml", "profiles.example.yml"):
        shutil.copy(REPO / name, project / name)
    add_registry_line(project / "dbt_project.yml")
    staging = project / "dbt_project" / "models" / "staging" / "toy"
    staging.mkdir()
    (staging / "_toy__sources.yml").write_text(SOURCES_YML)
    (staging / "stg_toy__daily_rows.sql").write_text(STAGING_SQL)
    return project


def test_only_new_files_and_one_registry_line_differ(toy_project):
    compared = filecmp.dircmp(REPO / "dbt_project", toy_project / "dbt_project")

    def changed(cmp: filecmp.dircmp, prefix: str = "") -> list[str]:
        out = [prefix + name for name in cmp.diff_files + cmp.left_only]
        for name, sub in cmp.subdirs.items():
            out += changed(sub, f"{prefix}{name}/")
        return out

    assert changed(compared) == []
    before = (REPO / "dbt_project.yml").read_text().splitlines()
    after = (toy_project / "dbt_project.yml").read_text().splitlines()
    assert [line for line in after if line not in before] == ["    " + REGISTRY_LINE]
    assert len(after) == len(before) + 1


@pytest.fixture(scope="module")
def toy_warehouse(toy_project, server_url, tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("ADWH_PROJECT_DIR", str(toy_project))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path_factory.mktemp("toy-target")))
    try:
        with fresh_database(server_url) as url:
            query(
                url,
                """
                create schema raw_toy;
                create table raw_toy.daily_rows (
                    client_id text, day date, creative text, impressions bigint,
                    clicks bigint, spend numeric, row_number bigint,
                    loaded_at timestamptz default now()
                )""",
            )
            for number, (client, day, creative, imps, clicks, spend) in enumerate(TOY_ROWS, 2):
                query(
                    url,
                    "insert into raw_toy.daily_rows (client_id, day, creative, impressions, "
                    "clicks, spend, row_number) values (%s, %s, %s, %s, %s, %s, %s)",
                    (client, day, creative, imps, clicks, Decimal(spend), number),
                )
            run_dbt(["build"], url)
            yield url
    finally:
        monkeypatch.undo()


def test_toy_rows_reach_the_fact_with_reported_cost_spend(toy_warehouse):
    rows = query(
        toy_warehouse,
        """
        select client_id, date_day, creative_name, impressions, clicks, spend, spend_basis
        from marts.fact_daily_metrics where source = 'toy' order by 1, 2, 3""",
    )
    assert rows == [
        ("acme", D1, "A", 1000, 10, Decimal("2.50"), "reported_cost"),
        ("acme", D1, "B", 3000, 30, Decimal("4.50"), "reported_cost"),
        ("acme", D2, "A", 2000, 5, Decimal("3.00"), "reported_cost"),
    ]


def test_toy_bad_rows_are_quarantined(toy_warehouse):
    rows = query(
        toy_warehouse,
        "select client_id, source_row_number, rule from marts.dq_quarantine "
        "where source = 'toy' order by 2",
    )
    assert rows == [("acme", 5, "clicks_exceed_impressions"), ("nobody", 6, "unknown_client")]


def test_conservation_covers_the_toy_source(toy_warehouse):
    url = toy_warehouse
    conservation = ["test", "--select", "assert_conservation_raw_equals_fact_plus_quarantine"]
    run_dbt(conservation, url)
    query(url, "delete from marts.fact_daily_metrics where source = 'toy' and creative_name = 'B'")
    with pytest.raises(AdwhError):
        run_dbt(conservation, url)
