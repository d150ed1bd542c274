"""End to end: Surfside files in S3 -> raw_surfside -> dbt build -> facts, dims, quarantine.

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
from helpers.surfside_s3 import local_settings

from loaders.core.errors import AdwhError
from loaders.sources import surfside
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

D1, D2, D3 = dt.date(2026, 3, 1), dt.date(2026, 3, 10), dt.date(2026, 3, 20)
MISSING = dt.date(2026, 3, 11)  # acme is loaded for this day too, but no file was delivered
FUTURE = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=5)
HEADER = (
    "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,Conversion Revenue"
)


def csv_body(rows: list[tuple]) -> bytes:
    """rows: (date, campaign, creative, impressions, clicks, conversions, revenue)"""
    lines = [HEADER] + [
        f"{d},{campaign},Contextual,Display,{creative},{imps},{clicks},{conv},{rev}"
        for d, campaign, creative, imps, clicks, conv, rev in rows
    ]
    return ("\n".join(lines) + "\n").encode()


DELIVERIES = {
    ("acme", D1): [
        (D1, "Spring", "A", 10000, 100, 5, "250.00"),
        (D1, "Spring", "B", 20000, 50, 1, "40.00"),
        (D1, "Spring", "NEG", -500, 3, 0, "0"),  # negative impressions
    ],
    ("acme", D2): [
        (D2, "Spring", "A", 5000, 20, 2, "90"),
        (D2, "Spring", "BIG", 100, 150, 0, "0"),  # clicks > impressions
    ],
    ("acme", D3): [
        (D3, "Spring", "A", 8000, 40, 4, "120"),
        (FUTURE, "Spring", "A2", 1000, 1, 0, "0"),  # dated after the day it was loaded
    ],
    ("globex", D1): [
        (D1, "Launch", "G1", 4000, 10, 0, "0"),
        (D1, "", "G2", 3000, 3, 0, "0"),  # no campaign
    ],
    ("globex", D2): [(D2, "Launch", "G1", 6000, 30, 3, "60")],
    ("zzz", D1): [(D1, "Mystery", "X", 700, 7, 0, "0")],  # client not in seeds/clients.csv
}

MART_DIGESTS = {
    "entity": """
        select count(*), md5(coalesce(string_agg(md5(row(entity_type, entity_id, date_day,
            is_active, impressions, clicks, conversions, spend, media_cost, ctr, cpa,
            source_row_count, entity_name, campaign_key, placement_key)::text), ','
            order by entity_type, entity_id, date_day), ''))
        from marts.mart_entity_daily_metrics""",
    "weekly": """
        select count(*), md5(coalesce(string_agg(md5(s::text), ',' order by client_id,
            period_start), '')) from (select client_id, period_start, impressions, spend,
            impressions_delta, spend_delta_pct from marts.mart_weekly_summary) as s""",
}

FACT_DIGEST = """
select count(*), md5(coalesce(string_agg(md5(row(
    fact_id, client_id, source, date_day, campaign_key, strategy_key, placement_key,
    creative_key, creative_name, impressions, clicks, conversions, conversion_revenue,
    media_cost, spend, cpm_rate, ctr, cpc, cpm, cpa, roas, vcr,
    source_row_count)::text), ',' order by fact_id), ''))
from marts.fact_daily_metrics
"""


@pytest.fixture(scope="module")
def warehouse(server_url, s3):
    """A warehouse loaded with DELIVERIES and built once; tests read it, some restate it."""
    bucket = "wh-surfside"
    client = s3.client()
    client.create_bucket(Bucket=bucket)
    for (client_id, day), rows in DELIVERIES.items():
        client.put_object(
            Bucket=bucket, Key=f"surfside/{client_id}/media-report-{day}.csv", Body=csv_body(rows)
        )
    cfg = local_settings(s3, bucket)
    with fresh_database(server_url) as url:
        for client_id in ("acme", "globex", "zzz"):
            days = sorted(d for c, d in DELIVERIES if c == client_id)
            if client_id == "acme":
                days.append(MISSING)
            results = surfside.load(url, [client_id], days, settings=cfg, echo=lambda _: None)
            assert [r.status for r in results if r.day != MISSING] == ["loaded"] * (
                len(days) - (client_id == "acme")
            )
        run_dbt(["build"], url)
        yield {"url": url, "bucket": bucket, "settings": cfg, "s3": client}


def test_invalid_rows_are_quarantined_with_their_rule_and_never_reach_the_fact(warehouse):
    url = warehouse["url"]
    quarantined = query(
        url,
        "select client_id, creative_name, rule, source_row_number, "
        "offending_values from marts.dq_quarantine order by 1, 2",
    )
    assert [(c, k, rule, row) for c, k, rule, row, _ in quarantined] == [
        ("acme", "A2", "future_date", 3),
        ("acme", "BIG", "clicks_exceed_impressions", 3),
        ("acme", "NEG", "negative_impressions", 4),
        ("globex", "G2", "missing_campaign_name", 3),
        ("zzz", "X", "unknown_client", 2),
    ]
    values = {k: v for _, k, _, _, v in quarantined}
    assert "impressions=-500" in values["NEG"]
    assert "clicks=150, impressions=100" in values["BIG"]
    in_fact = query(url, "select distinct creative_name from marts.fact_daily_metrics order by 1")
    assert in_fact == [("A",), ("B",), ("G1",)]


def test_fact_measures_and_cpm_spend(warehouse):
    rows = query(
        warehouse["url"],
        """
        select client_id, date_day, sum(impressions), sum(clicks), sum(conversions),
               sum(conversion_revenue), sum(spend), max(cpm_rate)
        from marts.fact_daily_metrics group by 1, 2 order by 1, 2""",
    )
    # acme bills 12.50 CPM from 2025-01-01, globex 18.00 from 2025-06-01 (seeds)
    assert rows == [
        ("acme", D1, 30000, 150, Decimal(6), Decimal("290.00"), Decimal("375.00"), Decimal("12.5")),
        ("acme", D2, 5000, 20, Decimal(2), Decimal(90), Decimal("62.50"), Decimal("12.5")),
        ("acme", D3, 8000, 40, Decimal(4), Decimal(120), Decimal("100.00"), Decimal("12.5")),
        ("globex", D1, 4000, 10, Decimal(0), Decimal(0), Decimal("72.00"), Decimal(18)),
        ("globex", D2, 6000, 30, Decimal(3), Decimal(60), Decimal("108.00"), Decimal(18)),
    ]


def test_ratios_are_null_on_zero_denominators(warehouse):
    rows = query(
        warehouse["url"],
        """
        select creative_name, ctr, cpc, cpa, roas, vcr from marts.fact_daily_metrics
        where client_id = 'globex' and date_day = %s""",
        (D1,),
    )
    # G1: 4000 imps, 10 clicks, 0 conversions, 0 revenue, spend 72.00, no video
    assert rows == [("G1", Decimal("0.0025"), Decimal("7.2"), None, Decimal(0), None)]


def test_conservation_raw_equals_fact_plus_quarantine(warehouse):
    url = warehouse["url"]
    raw = query(
        url,
        """select d.client_id, r."date", count(*), sum(r.impressions), sum(r.clicks)
           from raw_surfside.daily_performance as r
           inner join raw_surfside.deliveries as d on d.delivery_id = r.delivery_id
           where d._dlt_load_id in (select load_id from raw_surfside._dlt_loads where status = 0)
             and not exists (
                 select 1 from raw_surfside.deliveries as newer
                 where newer.client_id = d.client_id and newer.report_date = d.report_date
                   and newer._dlt_load_id > d._dlt_load_id)
           group by 1, 2 order by 1, 2""",
    )
    downstream = query(
        url,
        """
        select client_id, date_day, sum(n), sum(imps), sum(clicks) from (
            select client_id, date_day, source_row_count as n, impressions as imps, clicks
            from marts.fact_daily_metrics
            union all
            select client_id, date_day, 1, impressions, clicks from marts.dq_quarantine
        ) as x group by 1, 2 order by 1, 2""",
    )
    assert raw == downstream
    assert sum(r[2] for r in raw) == sum(len(v) for v in DELIVERIES.values())


def test_dims_hold_the_hierarchy_with_hashed_keys(warehouse):
    url = warehouse["url"]
    assert query(
        url,
        "select client_id, first_seen_date, last_seen_date, source_count "
        "from marts.dim_clients order by 1",
    ) == [
        ("acme", D1, D3, 1),
        ("globex", D1, D2, 1),
        ("initech", None, None, 0),
        ("umbrella", None, None, 0),
    ]
    creatives = query(
        url,
        "select client_id, campaign_name, creative_name, creative_key, "
        "md5(concat_ws('||', client_id, source, campaign_name, strategy_name, "
        "placement_name, creative_name)) from marts.dim_creatives order by 1, 3",
    )
    assert [(c, k) for c, _, k, _, _ in creatives] == [
        ("acme", "A"),
        ("acme", "B"),
        ("globex", "G1"),
    ]
    assert all(key == expected for *_, key, expected in creatives)


def test_entity_daily_metrics_fill_gap_days_with_zero_rows(warehouse):
    rows = query(
        warehouse["url"],
        """
        select entity_type, count(*), count(*) filter (where is_active), min(date_day),
               max(date_day), sum(impressions)
        from marts.mart_entity_daily_metrics where client_id = 'acme'
        group by entity_type order by entity_type""",
    )
    # acme has data on 03-01, 03-10 and 03-20: every level spans 20 days, 3 of them active
    # (creative A; B only on 03-01), all levels adding up to the fact's 43,000 impressions
    assert rows == [
        ("campaign", 20, 3, D1, D3, 43000),
        ("client", 20, 3, D1, D3, 43000),
        ("creative", 21, 4, D1, D3, 43000),
        ("placement", 20, 3, D1, D3, 43000),
        ("strategy", 20, 3, D1, D3, 43000),
    ]


def test_coverage_shows_a_missing_file_as_missing_file(warehouse):
    rows = query(
        warehouse["url"],
        """
        select date_day, status, reason from marts.mart_data_coverage
        where client_id = 'acme' and source = 'surfside' and date_day in (%s, %s, %s)
        order by date_day""",
        (D1, dt.date(2026, 3, 5), MISSING),
    )
    assert [(d, status) for d, status, _ in rows] == [
        (D1, "loaded"),
        (dt.date(2026, 3, 5), "no_data"),
        (MISSING, "missing_file"),
    ]
    assert f"media-report-{MISSING}" in rows[2][2]


def test_conservation_test_catches_a_lost_row(warehouse):
    url = warehouse["url"]
    query(url, "delete from marts.fact_daily_metrics where creative_name = 'B'")
    try:
        with pytest.raises(AdwhError):
            run_dbt(
                ["test", "--select", "assert_conservation_raw_equals_fact_plus_quarantine"], url
            )
    finally:
        run_dbt(["build", "--full-refresh", "--select", "fact_daily_metrics"], url)
    run_dbt(["test", "--select", "assert_conservation_raw_equals_fact_plus_quarantine"], url)


def test_incremental_build_after_restatement_equals_full_refresh(warehouse):
    url, cfg, client = warehouse["url"], warehouse["settings"], warehouse["s3"]
    before = query(url, FACT_DIGEST)

    # D1 lies outside the trailing lookback window (3 days before D3): only the partition
    # fingerprints can tell the incremental build that it changed.
    client.put_object(
        Bucket=cfg.bucket,
        Key=f"surfside/acme/media-report-{D1}.csv",
        Body=csv_body([(D1, "Spring", "A", 11000, 110, 6, "300.00")]),
    )
    # every globex D2 row turns invalid: the partition must vanish from the fact
    client.put_object(
        Bucket=cfg.bucket,
        Key=f"surfside/globex/media-report-{D2}.csv",
        Body=csv_body([(D2, "Launch", "G1", 6000, 9000, 3, "60")]),
    )
    surfside.load(url, ["acme"], [D1], settings=cfg, echo=lambda _: None)
    surfside.load(url, ["globex"], [D2], settings=cfg, echo=lambda _: None)

    run_dbt(["build"], url)
    incremental = query(url, FACT_DIGEST)
    rows = query(
        url,
        "select client_id, date_day, creative_name, impressions "
        "from marts.fact_daily_metrics where date_day in (%s, %s) order by 1, 2, 3",
        (D1, D2),
    )
    run_dbt(["build", "--full-refresh"], url)
    full = query(url, FACT_DIGEST)

    assert incremental == full
    assert incremental != before
    assert rows == [("acme", D1, "A", 11000), ("acme", D2, "A", 5000), ("globex", D1, "G1", 4000)]


def test_docs_generate_and_every_model_and_column_is_described(warehouse):
    run_dbt(["docs", "generate"], warehouse["url"])
    target = Path(os.environ["DBT_TARGET_PATH"])
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    missing = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] not in ("model", "seed") or node["package_name"] != "adwh":
            continue
        if not node["description"].strip():
            missing.append(unique_id)
        described = {n for n, c in node["columns"].items() if c["description"].strip()}
        for column in catalog["nodes"].get(unique_id, {}).get("columns", {}):
            if column not in described:
                missing.append(f"{unique_id}.{column}")
    for unique_id, node in manifest["sources"].items():
        if not node["description"].strip():
            missing.append(unique_id)
        described = {n for n, c in node["columns"].items() if c["description"].strip()}
        for column in catalog["sources"].get(unique_id, {}).get("columns", {}):
            if column not in described:
                missing.append(f"{unique_id}.{column}")
    assert missing == []


def test_build_on_an_empty_warehouse_succeeds_then_takes_a_first_load(server_url, s3):
    """No source ever loaded: staging reads typed empty stand-ins, marts are empty. The next
    build, after a first load, must not trip over column types (incremental facts fail on a
    schema change)."""
    with fresh_database(server_url) as url:
        run_dbt(["build"], url)
        assert query(url, "select count(*) from marts.fact_daily_metrics") == [(0,)]
        assert query(url, "select count(*) from marts.dim_clients") == [(4,)]

        s3.client().create_bucket(Bucket="wh-empty-first")
        s3.client().put_object(
            Bucket="wh-empty-first", Key=f"s/acme/{D1}.csv", Body=csv_body(DELIVERIES[("acme", D1)])
        )
        cfg = local_settings(s3, "wh-empty-first", "s/{client}/{date}.csv")
        surfside.load(url, ["acme"], [D1], settings=cfg, echo=lambda _: None)
        run_dbt(["build"], url)
        assert query(url, "select sum(impressions) from marts.fact_daily_metrics") == [(30000,)]
