"""End to end: the Meta stand-in -> raw_meta -> dbt build -> fact, entity and country marts,
reach mart, quarantine, conservation, and the API superseding Facebook uploads.

Expected figures are worked out by hand from the ads below (what the stand-in serves):
per day 2026-03-02..06, Video A 6,000 impressions / 60 link clicks / 60.00 spend / 3
purchases 90.00 / 2 trials, split US 3 : DE 2 : FR 1; Carousel B 1,200 / 24 / 18.00 / 1
purchase 25.50, all GB. So a day: 7,200 impressions, 84 clicks, 78.00 spend, 4 purchases,
115.50 revenue, 2 trials. On 03-03 "Broken Ad" has 50 link clicks on 10 impressions
(quarantined). acme's plain_template.csv upload covers 03-01 (kept: 3,000 impressions) and
03-02 (2 rows, superseded by the API).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES, fresh_database, query
from helpers.partition_log import rebuilt
from meta_server import ACCOUNT, TOKEN, Ad, server, settings, use_env

from loaders import cli
from loaders.sources import facebook, meta
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

DAYS = [dt.date(2026, 3, d) for d in range(2, 7)]
D2, D3, D4, D5, D6 = DAYS
TODAY = dt.date(2026, 3, 20)
BAD_TOKEN = "EAAGrevokedTokenForTests0099"


def ads(day: dt.date) -> list[Ad]:
    out = [
        Ad("101", "Video A", 6000, 60, 90, "60.00", 5000, purchases=3, purchase_value="90.00",
           trials=2, countries={"US": 3, "DE": 2, "FR": 1}),
        Ad("102", "Carousel B", 1200, 24, 30, "18.00", 1000, purchases=1, purchase_value="25.50",
           adset_id="s2", adset_name="Retargeting", countries={"GB": 1}),
    ]  # fmt: skip
    if day == D3:
        out.append(Ad("103", "Broken Ad", 10, 50, 50, "1.00", 10, countries={"US": 1}))
    return out


def quiet(_line: str) -> None:
    pass


@pytest.fixture(scope="module")
def warehouse(server_url):
    with server() as stub, fresh_database(server_url) as url:
        stub.data.update({(ACCOUNT, d): ads(d) for d in DAYS})
        cfg = settings(stub)
        outcome = meta.load(url, ["acme"], DAYS, cfg, today=TODAY, echo=quiet)
        assert outcome.problem() is None
        facebook.load(url, "acme", [FIXTURES / "facebook" / "plain_template.csv"], echo=quiet)
        run_dbt(["build"], url)
        yield {"url": url, "stub": stub, "settings": cfg}


def fact_by_day(url: str) -> list[tuple]:
    return query(
        url,
        "select date_day, sum(impressions), sum(clicks), sum(spend), sum(media_cost), "
        "sum(conversions), sum(conversion_revenue), sum(trials), sum(purchases), "
        "max(spend_basis), max(currency_code) from marts.fact_daily_metrics "
        "where source = 'meta' group by 1 order by 1",
    )


def test_meta_rows_reach_the_fact_with_reported_spend_purchases_and_trials(warehouse):
    day = (7200, 84, Decimal("78"), Decimal("78"), Decimal(4), Decimal("115.5"), Decimal(2))
    assert fact_by_day(warehouse["url"]) == [(d, *day, Decimal(4), "reported_cost", "EUR")
                                             for d in DAYS]  # fmt: skip
    # the hierarchy: campaign -> ad set (strategy) -> ad
    names = query(
        warehouse["url"],
        "select distinct campaign_name, strategy_name, placement_name, creative_name "
        "from marts.fact_daily_metrics where source = 'meta' order by 3",
    )
    assert names == [
        ("Spring Sale", "Retargeting", "Carousel B", "Carousel B"),
        ("Spring Sale", "Prospecting", "Video A", "Video A"),
    ]
    # other sources have no trials or purchases: 0
    assert query(
        warehouse["url"],
        "select sum(trials), sum(purchases) from marts.fact_daily_metrics where source <> 'meta'",
    ) == [(Decimal(0), Decimal(0))]


def test_the_broken_ad_is_quarantined(warehouse):
    rows = query(
        warehouse["url"],
        "select date_day, rule, impressions, clicks from marts.dq_quarantine where source = 'meta'",
    )
    assert rows == [(D3, "clicks_exceed_impressions", 10, 50)]


def test_entity_and_country_marts_carry_meta(warehouse):
    url = warehouse["url"]
    campaign = query(
        url,
        "select date_day, impressions, spend from marts.mart_entity_daily_metrics "
        "where entity_type = 'campaign' and source = 'meta' order by 1",
    )
    assert campaign == [(d, 7200, Decimal("78")) for d in DAYS]
    country = query(
        url,
        "select country_code, impressions, clicks, spend from marts.mart_entity_country_daily "
        "where entity_type = 'campaign' and source = 'meta' and date_day = %s order by 1",
        (D3,),
    )
    assert country == [
        ("ALL", 7200, 84, Decimal("78")),
        ("DE", 2000, 20, Decimal("20")),
        ("FR", 1000, 10, Decimal("10")),
        ("GB", 1200, 24, Decimal("18")),
        ("US", 3000, 30, Decimal("30")),
    ]
    reach = query(
        url,
        "select ad_name, reach, frequency from marts.mart_meta_ad_reach_daily "
        "where date_day = %s order by 1",
        (D2,),
    )
    assert reach == [("Carousel B", 1000, Decimal("1.2")), ("Video A", 5000, Decimal("1.2"))]


def test_the_api_supersedes_the_upload_of_the_same_client_day(warehouse):
    url = warehouse["url"]
    assert query(
        url,
        "select source, date_day, sum(impressions) from marts.fact_daily_metrics "
        "where client_id = 'acme' and source in ('facebook', 'meta') and date_day <= %s "
        "group by 1, 2 order by 2, 1",
        (D2,),
    ) == [("facebook", dt.date(2026, 3, 1), 3000), ("meta", D2, 7200)]
    superseded = query(
        url,
        "select date_day, impressions, invalid_reasons like '%%superseded_by_api%%' "
        "from marts.dq_quarantine where source = 'facebook' order by impressions",
    )
    assert superseded == [(D2, 500, True), (D2, 1500, True)]
    run_dbt(["test", "--select", "assert_meta_api_supersedes_uploads",
             "assert_conservation_raw_equals_fact_plus_quarantine",
             "assert_meta_country_rows_add_up"], url)  # fmt: skip


def test_a_restated_refetch_replaces_the_fact_and_matches_a_full_refresh(warehouse):
    url, stub = warehouse["url"], warehouse["stub"]
    restated = ads(D4)
    restated[0].purchases, restated[0].purchase_value = 5, "150.00"
    stub.data[(ACCOUNT, D4)] = restated
    stub.data[(ACCOUNT, D5)] = ads(D5)[:1]  # Carousel B vanished from 03-05
    outcome = meta.load(url, ["acme"], [D6], warehouse["settings"], refetch=True, today=TODAY,
                        echo=quiet)  # fmt: skip
    assert outcome.problem() is None
    run_dbt(["build"], url)
    by_day = {r[0]: r for r in fact_by_day(url)}
    assert by_day[D4][5:7] == (Decimal(6), Decimal("175.5"))
    assert by_day[D5][1:4] == (6000, 60, Decimal("60"))
    assert query(
        url,
        "select count(*) from marts.mart_entity_country_daily where source = 'meta' "
        "and date_day = %s and country_code = 'GB'",
        (D5,),
    ) == [(0,)]
    digest = (
        "select md5(string_agg(md5(row(client_id, source, date_day, creative_key, impressions, "
        "clicks, conversions, conversion_revenue, spend, trials, purchases)::text), ',' "
        "order by fact_id)) from marts.fact_daily_metrics"
    )
    incremental = query(url, digest)
    run_dbt(["build", "--full-refresh"], url)
    assert query(url, digest) == incremental


def test_no_token_anywhere_after_a_bad_token_run_and_a_build(warehouse, monkeypatch, capsys):
    url, stub = warehouse["url"], warehouse["stub"]
    monkeypatch.setenv("ADWH_DATABASE_URL", url)
    use_env(monkeypatch, stub, token=BAD_TOKEN)
    code = cli.main(["load", "meta", "--client", "acme", "--date", str(D6)])
    out = capsys.readouterr()
    assert code == 1 and "invalid or expired: create a new one" in out.err
    run_dbt(["build", "--select", "source:meta+"], url)
    for token in (TOKEN, BAD_TOKEN):
        assert token not in out.out + out.err
        dumped = query(
            url,
            "select count(*) from (select row_to_json(r)::text as t from raw_meta.ad_daily r "
            "union all select row_to_json(r)::text from raw_meta.ad_country_daily r "
            "union all select row_to_json(r)::text from adwh_ops.ingestion_log r) as rows "
            "where t like %s",
            (f"%{token[4:]}%",),
        )
        assert dumped == [(0,)]
    # dbt's logs and artifacts, dlt's working files and the database files themselves
    home = Path(os.environ["ADWH_HOME"])
    needles = [t.encode() for t in (TOKEN, BAD_TOKEN)]
    for path in home.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            assert not any(n in data for n in needles), path


def test_meta_source_and_models_are_documented(warehouse):
    import json

    run_dbt(["docs", "generate"], warehouse["url"])
    target = Path(os.environ["DBT_TARGET_PATH"])
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    missing, checked = [], 0
    for kind in ("nodes", "sources"):
        for unique_id, node in manifest[kind].items():
            if ".meta" not in unique_id and "_meta_" not in unique_id:
                continue
            described = {n for n, c in node["columns"].items() if c["description"].strip()}
            columns = catalog[kind].get(unique_id, {}).get("columns", {})
            missing += [f"{unique_id}.{c}" for c in columns if c not in described]
            checked += len(columns)
    assert missing == [] and checked > 100


def test_a_meta_load_supersedes_an_upload_day_in_an_incremental_build(warehouse):
    """The API now delivers 03-01, a day only the upload had (3,000 impressions, counted):
    the Meta load changes no facebook raw row, yet the incremental build - lookback 0 - must
    rebuild acme's facebook partition of that day, moving the upload's rows to the quarantine,
    and equal a full refresh."""
    url, stub = warehouse["url"], warehouse["stub"]
    d1 = dt.date(2026, 3, 1)
    stub.data[(ACCOUNT, d1)] = ads(d1)
    outcome = meta.load(url, ["acme"], [d1], warehouse["settings"], today=TODAY, echo=quiet)
    assert outcome.problem() is None
    run_dbt(["build", "--vars", '{"lookback_days": 0}'], url)
    logged = rebuilt(url)
    assert ("acme", "facebook", d1) in logged and ("acme", "meta", d1) in logged
    assert query(
        url,
        "select source, sum(impressions) from marts.fact_daily_metrics "
        "where client_id = 'acme' and date_day = %s group by 1",
        (d1,),
    ) == [("meta", 7200)]
    assert query(
        url,
        "select sum(impressions) from marts.dq_quarantine where source = 'facebook' "
        "and date_day = %s and invalid_reasons like '%%superseded_by_api%%'",
        (d1,),
    ) == [(3000,)]
    digest = (
        "select md5(string_agg(md5(row(client_id, source, date_day, creative_key, impressions, "
        "spend)::text), ',' order by fact_id)) from marts.fact_daily_metrics"
    )
    incremental = query(url, digest)
    run_dbt(["build", "--full-refresh"], url)
    assert query(url, digest) == incremental
