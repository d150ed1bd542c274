"""End to end: Facebook Ads Manager uploads -> raw_facebook -> dbt build -> fact + quarantine.

Built once per module, on a warehouse already in use (one Surfside day, built before any
upload: the incremental fact takes the first upload in its stride). Then acme uploads
plain_template.csv and ads_manager_by_day.csv, globex uploads ads_manager_daily.csv, the
warehouse is built; globex uploads the newer ads_manager_corrected.csv (replacing 2026-03-03)
and the warehouse is built again (incrementally). Expected figures are the files' own sums,
worked out by hand:

acme   plain_template.csv  impressions 1000+2000+1500+500 = 5,000; clicks 10+30+0+600 = 640;
                           conversions 4; revenue 95.50; no media cost
       ads_manager_by_day  impressions 20,000+5,000+18,000 = 43,000; clicks (all) 150+20+120
                           = 290; amount spent 210.40+52.10+190.00 = 452.50 EUR; results 3;
                           revenue 99.90+45.00 = 144.90
globex ads_manager_daily   days 03-01, 03-02 (03-03 replaced): impressions 12,345+3,000+12,600
                           +2,850 = 30,795; link clicks 150+30+160+25 = 365; amount 2,620.33
       ads_manager_corr.   impressions 13,500+9,000 = 22,500; link clicks 140+80 = 220;
                           amount 1,400+900 = 2,300.00
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import FIXTURES, fresh_database, query

from loaders.core.errors import AdwhError
from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET
from loaders.sources import facebook, surfside
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

FB = FIXTURES / "facebook"
D1, D2, D3, D4, D5 = (dt.date(2026, 3, d) for d in range(1, 6))

FACT_DIGEST = """
select count(*), md5(coalesce(string_agg(md5(row(
    fact_id, client_id, source, date_day, creative_key, impressions, clicks, conversions,
    conversion_revenue, media_cost, currency_code, spend,
    source_row_count)::text), ',' order by fact_id), ''))
from marts.fact_daily_metrics
"""

TOTALS = """
select client_id, sum(n), sum(impressions), sum(clicks), sum(conversions),
       sum(conversion_revenue), sum(media_cost)
from (
    select client_id, source_row_count as n, impressions, clicks, conversions,
           conversion_revenue, media_cost
    from marts.fact_daily_metrics where source = 'facebook'
    union all
    select client_id, 1, impressions, clicks, conversions, conversion_revenue, media_cost
    from marts.dq_quarantine where source = 'facebook'
) as both_sides
group by 1 order by 1
"""


def _load(url: str, client: str, *names: str) -> None:
    results = facebook.load(
        url,
        client,
        [FB / n for n in names],
        settings=facebook.FacebookSettings(),
        echo=lambda _: None,
    )
    assert [r.status for r in results] == ["loaded"] * len(names), [r.message for r in results]


def _surfside_day(url: str, s3) -> None:
    """One Surfside day for acme (2026-03-01: 1,000 impressions), loaded before any upload."""
    bucket = "wh-facebook-surfside"
    s3.client().create_bucket(Bucket=bucket)
    s3.client().put_object(
        Bucket=bucket,
        Key=f"surfside/acme/media-report-{D1}.csv",
        Body=(
            "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,"
            f"Conversion Revenue\n{D1},Spring,Contextual,Display,A,1000,10,1,5\n"
        ).encode(),
    )
    settings = surfside.SurfsideSettings(
        bucket=bucket,
        key_pattern="surfside/{client}/media-report-{date}.csv",
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=LOCAL_KEY_ID,
        aws_secret_access_key=LOCAL_SECRET,
    )
    [result] = surfside.load(url, ["acme"], [D1], settings=settings, echo=lambda _: None)
    assert result.status == "loaded"


@pytest.fixture(scope="module")
def warehouse(server_url, s3):
    with fresh_database(server_url) as url:
        # a warehouse in use (Surfside loaded and built) gets its first Facebook upload
        _surfside_day(url, s3)
        run_dbt(["build"], url)
        _load(url, "acme", "plain_template.csv", "ads_manager_by_day.csv")
        _load(url, "globex", "ads_manager_daily.csv")
        run_dbt(["build"], url)
        first_build = query(
            url,
            "select date_day, sum(impressions) from marts.fact_daily_metrics "
            "where client_id = 'globex' group by 1 order by 1",
        )
        _load(url, "globex", "ads_manager_corrected.csv")
        run_dbt(["build"], url)  # incremental
        yield {"url": url, "first_build": first_build}


def test_fact_plus_quarantine_equal_the_files_own_sums(warehouse):
    assert query(warehouse["url"], TOTALS) == [
        (
            "acme",
            4 + 3,
            5000 + 43000,
            640 + 290,
            Decimal(4 + 3),
            Decimal("240.40"),  # 95.50 + 144.90
            Decimal("452.50"),
        ),
        (
            "globex",
            4 + 2,
            30795 + 22500,
            365 + 220,
            Decimal(9 + 8),  # results 3+0+5+1 and 6+2
            Decimal("2170.50"),  # 450+0+1020.50+80 and 500+120
            Decimal("4920.33"),  # 2620.33 + 2300
        ),
    ]


def test_flagged_rows_are_quarantined_with_file_row_and_rule(warehouse):
    assert query(
        warehouse["url"],
        "select client_id, date_day, source_file, source_row_number, creative_name, rule, "
        "offending_values from marts.dq_quarantine where source = 'facebook' order by 3, 4",
    ) == [
        (
            "acme",
            D4,
            "ads_manager_by_day.csv",
            3,
            "Static D",
            "missing_strategy_name",
            "missing_strategy_name: strategy_name is empty",
        ),
        (
            "acme",
            D5,
            "ads_manager_by_day.csv",
            4,
            "Static C",
            "reach_exceeds_impressions",
            "reach_exceeds_impressions: reach=20000, impressions=18000",
        ),
        (
            "acme",
            D2,
            "plain_template.csv",
            5,
            "Ad 3",
            "clicks_exceed_impressions",
            "clicks_exceed_impressions: clicks=600, impressions=500",
        ),
    ]


def test_fact_maps_the_hierarchy_and_prices_spend_by_cpm(warehouse):
    rows = query(
        warehouse["url"],
        "select client_id, date_day, campaign_name, strategy_name, placement_name, "
        "creative_name, impressions, clicks, media_cost, currency_code, cpm_rate, spend "
        "from marts.fact_daily_metrics where source = 'facebook' and date_day >= %s "
        "order by 1, 2, 6",
        (D3,),
    )
    # spend = impressions / 1000 x CPM (acme 12.50, globex 18.00); media_cost as exported
    assert rows == [
        (
            "acme",
            D4,
            "Brand Awareness",
            "Broad 18-65",
            "Static C",
            "Static C",
            20000,
            150,
            Decimal("210.40"),
            "EUR",
            Decimal("12.5"),
            Decimal("250.00"),
        ),
        (
            "globex",
            D3,
            "Spring Sale, US",
            "Lookalike 1%",
            "Video A",
            "Video A",
            13500,
            140,
            Decimal("1400.00"),
            "USD",
            Decimal(18),
            Decimal("243.00"),
        ),
        (
            "globex",
            D4,
            "Spring Sale, US",
            "Lookalike 1%",
            "Video A",
            "Video A",
            9000,
            80,
            Decimal("900.00"),
            "USD",
            Decimal(18),
            Decimal("162.00"),
        ),
    ]
    plain = query(
        warehouse["url"],
        "select sum(impressions), sum(spend), max(media_cost), max(currency_code) "
        "from marts.fact_daily_metrics "
        "where source = 'facebook' and client_id = 'acme' and date_day <= %s",
        (D2,),
    )
    # the plain template has no Amount spent: media_cost stays NULL, spend still CPM-priced
    assert plain == [(4500, Decimal("56.25"), None, None)]


def test_newer_upload_replaced_its_day_through_the_incremental_build(warehouse):
    url = warehouse["url"]
    # before the newer file, 03-03 held Video A 13,200 + Static C 60,000
    assert warehouse["first_build"] == [(D1, 15345), (D2, 15450), (D3, 73200)]
    after = query(
        url,
        "select date_day, sum(impressions) from marts.fact_daily_metrics "
        "where client_id = 'globex' group by 1 order by 1",
    )
    assert after == [(D1, 15345), (D2, 15450), (D3, 13500), (D4, 9000)]
    incremental = query(url, FACT_DIGEST)
    run_dbt(["build", "--full-refresh", "--select", "fact_daily_metrics"], url)
    assert query(url, FACT_DIGEST) == incremental


def test_surfside_rows_are_untouched_by_the_uploads(warehouse):
    assert query(
        warehouse["url"],
        "select client_id, source, date_day, impressions from marts.fact_daily_metrics "
        "where source = 'surfside'",
    ) == [("acme", "surfside", D1, 1000)]


def test_reach_stays_out_of_the_fact(warehouse):
    columns = query(
        warehouse["url"],
        "select column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'fact_daily_metrics'",
    )
    assert ("reach",) not in columns
    assert ("frequency",) not in columns


def test_conservation_test_counts_facebook_raw_rows(warehouse):
    url = warehouse["url"]
    test = ["test", "--select", "assert_conservation_raw_equals_fact_plus_quarantine"]
    query(
        url,
        "update raw_facebook.ad_daily set link_clicks = link_clicks + 1 "
        "where client_id = 'globex' and report_date = %s",
        (D4,),
    )
    try:
        with pytest.raises(AdwhError):
            run_dbt(test, url)
    finally:
        query(
            url,
            "update raw_facebook.ad_daily set link_clicks = link_clicks - 1 "
            "where client_id = 'globex' and report_date = %s",
            (D4,),
        )
    run_dbt(test, url)


def test_a_row_missing_its_campaign_name_is_quarantined_not_lost(server_url, tmp_path):
    from test_facebook_loader import MISSING_CAMPAIGN

    path = tmp_path / "missing_campaign.csv"
    path.write_text(MISSING_CAMPAIGN)
    with fresh_database(server_url) as url:
        [result] = facebook.load(url, "acme", [path], echo=lambda _: None)
        assert result.status == "loaded"
        run_dbt(
            [
                "build",
                "--quiet",
                "--select",
                "+stg_facebook__ad_daily",
                "--exclude-resource-type",
                "test",
                "unit_test",
            ],
            url,
        )
        assert query(
            url,
            "select source_row_number, impressions, is_valid, invalid_reasons "
            "from staging.stg_facebook__ad_daily order by 1",
        ) == [(3, 1000, True, None), (4, 2000, False, "missing_campaign_name")]
