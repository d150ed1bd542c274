"""End to end: the Vibe stand-in -> raw_vibe -> dbt build -> fact, quarantine, conservation.

Expected figures are worked out by hand from the fixture rows below, not read from the code.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import fresh_database, query
from vibe_server import ADV, ADV2, row, server, settings

from loaders.sources import vibe
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
STRAY = dt.date(2026, 1, 31)  # a row Vibe dates outside the report it is in

DATA = {
    (ADV, D1): [
        row("A", 10000, 9000, 12, "600.00", "250.0000"),
        row("B", 20000, 18500, 3, "90.00", "480.0000", channel="Tubi"),
        row("NEGSPEND", 1000, 900, 0, "0", "-5.00"),  # negative media cost
    ],
    (ADV, D2): [
        row("A", 8000, 7000, 5, "250.00", "200"),
        row("", 500, 400, 0, "0", "10"),  # no creative name
        row("A2", 300, 200, 1, "15", "6", date=STRAY),
    ],
    (ADV2, D1): [
        # seven view-through purchases and no clicks: legitimate on CTV
        row("I1", 4000, 3000, 7, "140.00", "100", campaign="Initech Brand"),
        row("I2", 2000, 1500, 1, "20", "", campaign="Initech Brand"),  # blank spend
    ],
}


@pytest.fixture(scope="module")
def warehouse(server_url):
    with server() as stub, fresh_database(server_url) as url:
        stub.data.update(DATA)
        cfg = settings(stub)
        outcome = vibe.load(url, ["acme", "initech"], [D1, D2], cfg, echo=lambda _: None)
        # initech has no rows on D2: loaded as an empty day
        assert {r.status for r in outcome.results} == {"loaded"}
        run_dbt(["build"], url)
        yield {"url": url, "stub": stub, "settings": cfg}


def test_vibe_rows_reach_the_fact_with_cpm_spend_and_vendor_cost_as_media_cost(warehouse):
    rows = query(
        warehouse["url"],
        """
        select client_id, date_day, sum(impressions), sum(clicks), sum(conversions),
               sum(conversion_revenue), sum(media_cost), sum(spend), max(cpm_rate),
               max(cpm_rate_source), sum(video_starts), sum(video_completions), max(currency_code)
        from marts.fact_daily_metrics where source = 'vibe' group by 1, 2 order by 1, 2""",
    )
    # acme bills 12.50 CPM (seeds); initech has no rate before 2026-11-10: default 15.00
    assert rows == [
        (
            "acme",
            D1,
            30000,
            0,
            Decimal(15),
            Decimal("690.00"),
            Decimal("730.00"),
            Decimal("375.00"),
            Decimal("12.5"),
            "contract",
            30000,
            27500,
            "USD",
        ),
        (
            "acme",
            D2,
            8000,
            0,
            Decimal(5),
            Decimal(250),
            Decimal(200),
            Decimal("100.00"),
            Decimal("12.5"),
            "contract",
            8000,
            7000,
            "USD",
        ),
        (
            "initech",
            D1,
            6000,
            0,
            Decimal(8),
            Decimal(160),
            Decimal(100),
            Decimal("90.00"),
            Decimal(15),
            "default",
            6000,
            4500,
            "USD",
        ),
    ]


def test_ratios_for_ctv_rows(warehouse):
    rows = query(
        warehouse["url"],
        """select creative_name, placement_name, ctr, cpc, vcr, roas from marts.fact_daily_metrics
           where client_id = 'acme' and date_day = %s order by 1""",
        (D1,),
    )
    # A: 10000 imps, 9000 completions, spend 125.00, revenue 600; B: 20000, 18500, 250, 90
    assert rows == [
        ("A", "Pluto TV", Decimal(0), None, Decimal("0.9"), Decimal("4.8")),
        ("B", "Tubi", Decimal(0), None, Decimal("0.925"), Decimal("0.36")),
    ]


def test_invalid_vibe_rows_are_quarantined_with_their_rule(warehouse):
    rows = query(
        warehouse["url"],
        """select client_id, date_day, creative_name, rule, source_row_number, source_file,
                  offending_values
           from marts.dq_quarantine where source = 'vibe'
           order by source_row_number, client_id, date_day""",
    )
    stub = warehouse["stub"]
    report_of = {(c.advertiser_id, c.start_date): c.report_id for c in stub.creations}
    assert [r[:5] for r in rows] == [
        ("acme", D2, None, "missing_creative_name", 3),
        ("acme", STRAY, "A2", "date_outside_report_range", 4),
        ("acme", D1, "NEGSPEND", "negative_media_cost", 4),
    ]
    files = {r[2]: r[5] for r in rows}
    assert files["NEGSPEND"] == f"vibe://{ADV}/reports/{report_of[(ADV, D1)]}.csv"
    offending = {r[2]: r[6] for r in rows}
    assert "media_cost=-5" in offending["NEGSPEND"]
    assert f"date_day={STRAY}, report for {D2}..{D2}" in offending["A2"]


def test_conservation_holds_for_vibe(warehouse):
    url = warehouse["url"]
    raw = query(
        url,
        """select client_id, impression_date, count(*), sum(impressions),
                  coalesce(sum(spend), 0)
           from raw_vibe.daily_performance group by 1, 2 order by 1, 2""",
    )
    downstream = query(
        url,
        """
        select client_id, date_day, sum(n), sum(imps), sum(cost) from (
            select client_id, date_day, source_row_count as n, impressions as imps,
                   media_cost as cost
            from marts.fact_daily_metrics where source = 'vibe'
            union all
            select client_id, date_day, 1, impressions, media_cost from marts.dq_quarantine
            where source = 'vibe'
        ) as x group by 1, 2 order by 1, 2""",
    )
    assert raw == downstream
    assert sum(r[2] for r in raw) == sum(len(v) for v in DATA.values())
    run_dbt(["test", "--select", "assert_conservation_raw_equals_fact_plus_quarantine"], url)


def test_a_refetched_day_restates_the_fact(warehouse):
    url, stub = warehouse["url"], warehouse["stub"]
    stub.data[(ADV, D2)] = [row("A", 8800, 7700, 6, "300.00", "220")]  # settled figures
    outcome = vibe.load(
        url, ["acme"], [D2], warehouse["settings"], refetch=True, today=D2, echo=lambda _: None
    )
    assert [(r.day, r.status) for r in outcome.results] == [(D1, "loaded"), (D2, "loaded")]
    run_dbt(["build"], url)
    assert query(
        url,
        """select date_day, sum(impressions), sum(spend), sum(video_completions)
           from marts.fact_daily_metrics where client_id = 'acme' and source = 'vibe'
           group by 1 order by 1""",
    ) == [(D1, 30000, Decimal("375.00"), 27500), (D2, 8800, Decimal("110.00"), 7700)]
    # the restated day's bad rows are gone with it; D1's stay
    assert query(url, "select rule from marts.dq_quarantine where source = 'vibe' order by 1") == [
        ("negative_media_cost",)
    ]


def test_vibe_source_and_staging_are_documented(warehouse):
    run_dbt(["docs", "generate"], warehouse["url"])
    target = Path(os.environ["DBT_TARGET_PATH"])
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    missing = []
    for kind in ("nodes", "sources"):
        for unique_id, node in manifest[kind].items():
            if "vibe" not in unique_id:
                continue
            described = {n for n, c in node["columns"].items() if c["description"].strip()}
            columns = catalog[kind].get(unique_id, {}).get("columns", {})
            if kind == "sources" or node["resource_type"] == "model":
                assert columns, f"{unique_id} has no catalog entry"
            missing += [f"{unique_id}.{c}" for c in columns if c not in described]
    assert missing == []
