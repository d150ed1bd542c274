"""End to end: bidder catalog + performance files -> raw_bidder -> dbt build -> fact, marts,
quarantine; the import summary (computed at load time, without dbt) agrees with staging.

Every expected figure below is worked out by hand from the files in this module and the
specification's example (tests/fixtures/performance_import_example.csv), with as_of_date
2025-12-01: yesterday = 2025-11-30, the 7 days = 11-24 .. 11-30, the 30 days = 11-01 .. 11-30,
all time = every day before 12-01.

The example file (8 rows, all acme, campaign "Holiday Push" in the catalog fixture):
  79783:  11-29 BR mobile 125.50, BR desktop 80.00, IE mobile 30.00; 11-28 BR mobile 150.00
          -> 385.50 (impressions 29,000, clicks 665)
  144634: 11-29 US mobile 200.00, US desktop 135.00, CA mobile 40.00; 11-28 US mobile 187.50
          -> 562.50 (impressions 133,000, clicks 2,050)
  campaign Holiday Push -> 948.00
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES, fresh_database, query

from loaders import cli
from loaders.sources import bidder as performance
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

AS_OF = json.dumps({"as_of_date": "2025-12-01"})
FUTURE = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=5)

GLOBEX_CATALOG = """Creative ID,Client,Creative Name,Campaign
600001,globex,Launch Teaser,Launch
600002,globex,Launch Trailer,Launch
800001,globex,Shared Creative,Launch
"""

# one problem per row (header spelled differently from the specification on purpose)
BAD_ROWS = f"""Creative ID,Date,Hour,Impressions,Clicks,Spend,Geography,Device Type
500001,2025-11-30,,1000,10,5.00,US,mobile
999999,2025-11-30,,100,1,1.00,US,mobile
500001,2025-11-30,,-50,0,0.50,DE,mobile
500001,2025-11-30,,100,1,-2.00,FR,mobile
500001,2025-11-30,,10,20,1.00,GB,mobile
500001,{FUTURE},,100,1,1.00,US,mobile
500002,2025-11-20,24,100,1,1.00,US,mobile
500001,2025-11-30,,100,1,1.00,XX,mobile
500001,2025-11-30,,12O,1,1.00,IT,mobile
500001,2025-11-30,,100,1,1.00,ES,smartwatch
500001,2025-11-31,,100,1,1.00,US,mobile
700001,2025-11-30,,100,1,1.00,US,mobile
800001,2025-11-30,,100,1,1.00,US,mobile
500001,2025-11-30,,100,1,$3.00,NL,mobile
500001,2025-11-30,,1200,12,6.00,us,MOBILE
500002,2025-11-30,,2000,40,8.00,US,desktop
"""

# globex creative-days reported as daily rows here and as hourly rows in HOURLY
DAILY = """creative_id,date,impressions,clicks,spend
600001,2025-11-27,5000,50,25.00
600002,2025-11-26,3000,30,12.00
600002,2025-11-25,2500,25,10.00
"""

HOURLY = """creative_id,date,hour,impressions,clicks,spend
600001,2025-11-27,0,1000,10,4.00
600001,2025-11-27,1,2000,20,6.00
600001,2025-11-27,2,1500,15,5.50
600002,2025-11-26,5,1000,10,4.00
600002,2025-11-26,6,1200,12,4.80
"""

# acme Scarves history around the window boundaries
HISTORY = """creative_id,date,impressions,clicks,spend,geography,device_type
500001,2025-11-10,500,5,50.00,US,mobile
500001,2025-10-15,1000,10,100.00,US,mobile
500001,2025-12-01,9000,90,999.00,US,mobile
500002,2025-11-24,800,8,20.00,CA,desktop
500002,2025-10-31,700,7,7.00,CA,desktop
"""

FACT_DIGEST = """
select count(*), md5(coalesce(string_agg(md5(row(
    fact_id, client_id, source, date_day, campaign_key, campaign_name, creative_key,
    creative_name, impressions, clicks, media_cost, spend, ctr, cpc, cpm,
    source_row_count)::text), ',' order by fact_id), ''))
from marts.fact_daily_metrics
"""


@pytest.fixture(scope="module")
def warehouse(server_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bidder")
    files = {"example": str(shutil.copy(FIXTURES / "performance_import_example.csv", folder))}
    for name, text in [
        ("globex_catalog", GLOBEX_CATALOG),
        ("bad", BAD_ROWS),
        ("daily", DAILY),
        ("hourly", HOURLY),
        ("history", HISTORY),
    ]:
        (folder / f"{name}.csv").write_text(text)
        files[name] = str(folder / f"{name}.csv")
    with fresh_database(server_url) as url:
        # an existing warehouse: the staging views were built before any bidder load, on the
        # empty stand-ins of source_or_empty; the import summary does not need them (no dbt
        # at load time), and the build after the loads makes them read raw_bidder
        run_dbt(
            [
                "build",
                "--quiet",
                "--select",
                "+stg_bidder__creative_performance",
                "--exclude-resource-type",
                "test",
                "unit_test",
            ],
            url,
        )
        performance.load_catalog(
            url, str(FIXTURES / "performance_creatives_example.csv"), echo=None
        )
        performance.load_catalog(url, files["globex_catalog"], echo=None)
        lines: list[str] = []
        results = performance.load_performance(
            url,
            [files[n] for n in ("example", "bad", "daily", "hourly", "history")],
            echo=lines.append,
        )
        assert [r.status for r in results] == ["loaded"] * 5
        run_dbt(["build", "--vars", AS_OF], url)
        yield {
            "url": url,
            "folder": folder,
            "files": files,
            "results": dict(
                zip(["example", "bad", "daily", "hourly", "history"], results, strict=True)
            ),
            "lines": lines,
        }


def test_example_file_spend_per_creative_and_per_campaign(warehouse):
    url = warehouse["url"]
    per_creative = query(
        url,
        """select creative_name, sum(spend), sum(media_cost), sum(impressions), sum(clicks)
           from marts.fact_daily_metrics
           where source = 'bidder' and campaign_name = 'Holiday Push' group by 1 order by 1""",
    )
    assert per_creative == [
        ("Winter Boots 300x250 (79783)", Decimal("385.50"), Decimal("385.50"), 29000, 665),
        ("Winter Boots Video (144634)", Decimal("562.50"), Decimal("562.50"), 133000, 2050),
    ]
    per_campaign = query(
        url,
        """select client_id, campaign_name, sum(spend) from marts.fact_daily_metrics
           where source = 'bidder' and campaign_name = 'Holiday Push' group by 1, 2""",
    )
    assert per_campaign == [("acme", "Holiday Push", Decimal("948.00"))]
    # the fact is daily per creative: 79783 on 11-29 sums BR mobile, BR desktop and IE mobile
    assert query(
        url,
        """select impressions, clicks, spend, cpc, cpm from marts.fact_daily_metrics
           where creative_name like '%%(79783)' and date_day = '2025-11-29'""",
    ) == [
        # cpc 235.50 / 365 = 0.6452054794520..., cpm 235.50 / 17000 x 1000 = 13.8529411764705...
        (17000, 365, Decimal("235.50"), Decimal("0.645205479452"), Decimal("13.852941176471"))
    ]
    assert warehouse["results"]["example"].rows == 8
    assert warehouse["results"]["example"].rejected_rows == 0


def test_geography_and_device_flow_through_the_priced_grain(warehouse):
    rows = query(
        warehouse["url"],
        """select country_code, device_type, sum(spend)
           from intermediate.int_daily_performance__priced
           where source = 'bidder' and is_valid and date_day = '2025-11-29'
             and campaign_name = 'Holiday Push'
           group by 1, 2 order by 1, 2""",
    )
    assert rows == [
        ("BR", "desktop", Decimal("80.00")),
        ("BR", "mobile", Decimal("125.50")),
        ("CA", "mobile", Decimal("40.00")),
        ("IE", "mobile", Decimal("30.00")),
        ("US", "desktop", Decimal("135.00")),
        ("US", "mobile", Decimal("200.00")),
    ]


def test_import_summary_names_each_rejection_with_row_column_and_reason(warehouse):
    bad = warehouse["results"]["bad"]
    assert (bad.rows, bad.valid_rows, bad.rejected_rows) == (16, 2, 14)
    assert [(r.row, r.column, r.rule) for r in bad.rejections] == [
        (2, None, "duplicate_key_in_file"),  # row 16 repeats its key (us/MOBILE) and wins
        (3, "Creative ID", "unknown_creative_id"),
        (4, "Impressions", "negative_impressions"),
        (4, "Clicks", "clicks_exceed_impressions"),  # 0 > -50
        (5, "Spend", "negative_spend"),
        (6, "Clicks", "clicks_exceed_impressions"),
        (7, "Date", "future_date"),
        (8, "Hour", "hour_out_of_range"),
        (9, "Geography", "unknown_country_code"),
        (10, "Impressions", "malformed_impressions"),
        (11, "Device Type", "unknown_device_type"),
        (12, "Date", "malformed_date"),
        (13, "Creative ID", "unknown_client"),  # its catalog client zzz is not in seeds
        (14, "Creative ID", "ambiguous_creative_id"),  # in acme's and globex's catalogs
        (15, "Spend", "malformed_spend"),
    ]
    details = {(r.row, r.rule): r.detail for r in bad.rejections}
    assert details[(10, "malformed_impressions")] == "impressions='12O' is not a whole number"
    assert details[(15, "malformed_spend")] == "spend='$3.00' is not a number"
    assert details[(8, "hour_out_of_range")] == "hour=24, expected 0-23"
    lines = warehouse["lines"]
    assert f"{bad.path}: imported 16 rows: 2 accepted, 14 rejected (load {bad.load_id})" in lines
    assert "  row 9, column 'Geography': unknown_country_code (geography='XX' is not an ISO " in (
        "\n".join(lines)
    )


def test_bad_rows_are_quarantined_and_the_good_rows_load(warehouse):
    url, bad = warehouse["url"], warehouse["results"]["bad"]
    quarantined = query(
        url,
        "select source_row_number, rule, client_id from marts.dq_quarantine "
        "where source = 'bidder' and source_file = %s order by 1",
        (bad.path,),
    )
    assert quarantined == [
        (2, "duplicate_key_in_file", "acme"),
        (3, "unknown_creative_id", None),
        (4, "negative_impressions", "acme"),
        (5, "negative_spend", "acme"),
        (6, "clicks_exceed_impressions", "acme"),
        (7, "future_date", "acme"),
        (8, "hour_out_of_range", "acme"),
        (9, "unknown_country_code", "acme"),
        (10, "malformed_impressions", "acme"),
        (11, "unknown_device_type", "acme"),
        (12, "malformed_date", "acme"),
        (13, "unknown_client", "zzz"),
        (14, "ambiguous_creative_id", None),
        (15, "malformed_spend", "acme"),
    ]
    # rows 16 and 17 are the only ones of the file in the fact
    assert query(
        url,
        """select creative_name, impressions, clicks, spend from marts.fact_daily_metrics
           where source = 'bidder' and date_day = '2025-11-30' order by 1""",
    ) == [
        ("Scarf Banner (500001)", 1200, 12, Decimal("6.00")),
        ("Scarf Native (500002)", 2000, 40, Decimal("8.00")),
    ]


def test_a_creative_day_is_counted_from_its_hourly_rows_not_its_daily_row(warehouse):
    url = warehouse["url"]
    assert query(
        url,
        """select date_day, creative_name, impressions, clicks, spend from marts.fact_daily_metrics
           where client_id = 'globex' and source = 'bidder' order by 1""",
    ) == [
        (dt.date(2025, 11, 25), "Launch Trailer (600002)", 2500, 25, Decimal("10.00")),  # daily
        (dt.date(2025, 11, 26), "Launch Trailer (600002)", 2200, 22, Decimal("8.80")),  # h 5, 6
        (dt.date(2025, 11, 27), "Launch Teaser (600001)", 4500, 45, Decimal("15.50")),  # h 0-2
    ]


def test_daily_rows_superseded_by_hourly_ones_are_quarantined_and_reported(warehouse):
    url, results = warehouse["url"], warehouse["results"]
    assert query(
        url,
        "select source_row_number, rule, date_day, spend from marts.dq_quarantine "
        "where source_file = %s order by 1",
        (results["daily"].path,),
    ) == [
        (2, "breakdown_superseded", dt.date(2025, 11, 27), Decimal("25.00")),
        (3, "breakdown_superseded", dt.date(2025, 11, 26), Decimal("12.00")),
    ]
    # the daily file was imported first: the hourly file's summary says what it superseded
    assert results["daily"].rejected_rows == 2
    assert results["hourly"].rejected_rows == 0
    assert results["hourly"].superseded_elsewhere == 2
    assert [r.rule for r in results["daily"].rejections] == ["breakdown_superseded"] * 2
    assert query(
        url,
        """select hours_reported, spend from marts.mart_creative_geo_device_daily
           where creative_id = 600001 and date_day = '2025-11-27'""",
    ) == [(3, Decimal("15.50"))]


def test_spend_rankings_per_window(warehouse):
    rows = query(
        warehouse["url"],
        """select client_id, creative_id, spend_yesterday, spend_rank_yesterday, spend_7d,
                  spend_rank_7d, spend_30d, spend_rank_30d, spend_all_time, spend_rank_all_time
           from marts.mart_creative_spend_rankings order by client_id, creative_id""",
    )
    d = Decimal
    assert rows == [
        # nothing yesterday; 11-28 + 11-29
        ("acme", 79783, d(0), None, d("385.50"), 2, d("385.50"), 2, d("385.50"), 2),
        ("acme", 144634, d(0), None, d("562.50"), 1, d("562.50"), 1, d("562.50"), 1),
        # 11-30: 6.00; 11-10: 50.00 (30 days only); 10-15: 100.00 (all time); 12-01 excluded
        ("acme", 500001, d("6.00"), 2, d("6.00"), 4, d("56.00"), 3, d("156.00"), 3),
        # 11-30: 8.00; 11-24 (first of the 7 days): 20.00; 10-31 (day before the 30): 7.00
        ("acme", 500002, d("8.00"), 1, d("28.00"), 3, d("28.00"), 4, d("35.00"), 4),
        ("globex", 600001, d(0), None, d("15.50"), 2, d("15.50"), 2, d("15.50"), 2),
        ("globex", 600002, d(0), None, d("18.80"), 1, d("18.80"), 1, d("18.80"), 1),
    ]
    assert query(
        warehouse["url"],
        """select as_of_date, impressions_7d, clicks_7d, impressions_30d, clicks_30d,
                  first_date, last_date
           from marts.mart_creative_spend_rankings where creative_id in (500001, 500002)
           order by creative_id""",
    ) == [
        (dt.date(2025, 12, 1), 1200, 12, 1700, 17, dt.date(2025, 10, 15), dt.date(2025, 11, 30)),
        (dt.date(2025, 12, 1), 2800, 48, 2800, 48, dt.date(2025, 10, 31), dt.date(2025, 11, 30)),
    ]


def test_campaign_performance_windows_ratios_and_top_breakdowns(warehouse):
    url = warehouse["url"]
    rows = query(
        url,
        """select client_id, campaign_name, creative_count, total_spend_7d, total_spend_30d,
                  total_spend_all_time, impressions_7d, clicks_7d, avg_cpc_7d, avg_cpm_7d,
                  top_geography, top_device_type
           from marts.mart_campaign_performance order by client_id, campaign_name""",
    )
    d = Decimal
    assert rows == [
        # 7d geography: US 522.50 > BR 355.50 > CA 40 > IE 30; device: mobile 733 > desktop 215
        ("acme", "Holiday Push", 2, d("948.00"), d("948.00"), d("948.00"), 162000, 2715,
         d("0.349171270718"), d("5.851851851852"), "US", "mobile"),
        # 7d: 6.00 + 8.00 + 20.00; geography CA 20 > US 14; device desktop 28 > mobile 6
        ("acme", "Scarves", 2, d("34.00"), d("84.00"), d("191.00"), 4000, 60,
         d("0.566666666667"), d("8.500000000000"), "CA", "desktop"),
        # 10.00 + 8.80 + 15.50, never broken down by geography or device
        ("globex", "Launch", 2, d("34.30"), d("34.30"), d("34.30"), 9200, 92,
         d("0.372826086957"), d("3.728260869565"), None, None),
    ]  # fmt: skip
    # last_performance_update: the latest import of the campaign's valid rows
    assert query(
        url,
        """select c.last_performance_update = (
                  select max(loaded_at) from raw_bidder.creative_performance
                  where creative_id in (79783, 144634))
           from marts.mart_campaign_performance as c where campaign_name = 'Holiday Push'""",
    ) == [(True,)]


def test_per_creative_lookups_use_the_index(warehouse):
    plan = query(
        warehouse["url"],
        """explain (costs off)
           select date_day, sum(impressions), sum(clicks), sum(spend)
           from marts.mart_creative_geo_device_daily
           where creative_id = 79783 and date_day between '2025-11-01' and '2025-11-30'
             and country_code = 'BR'
           group by date_day""",
    )
    text = "\n".join(line for (line,) in plan)
    # the table is tiny here, so only check that the planner can use the index; the benchmark
    # (scripts/bench_performance.py) shows the plan at 1 M rows
    assert "mart_creative_geo_device_daily" in text
    index = query(
        warehouse["url"],
        "select indexdef from pg_indexes where tablename = 'mart_creative_geo_device_daily' "
        "and indexdef like '%%(creative_id, date_day)%%'",
    )
    assert len(index) == 1


def test_conservation_raw_equals_fact_plus_quarantine_for_bidder(warehouse):
    url = warehouse["url"]
    raw = query(
        url,
        """select date, count(*), coalesce(sum(impressions), 0), coalesce(sum(spend), 0)
           from raw_bidder.creative_performance group by 1 order by 1 nulls first""",
    )
    downstream = query(
        url,
        """select date_day, sum(n), sum(imps), sum(spend) from (
               select date_day, source_row_count as n, impressions as imps, media_cost as spend
               from marts.fact_daily_metrics where source = 'bidder'
               union all
               select date_day, 1, coalesce(impressions, 0), coalesce(media_cost, 0)
               from marts.dq_quarantine where source = 'bidder'
           ) as x group by 1 order by 1 nulls first""",
    )
    assert raw == downstream
    assert sum(r[1] for r in raw) == 8 + 16 + 3 + 5 + 5
    run_dbt(["test", "--select", "assert_conservation_raw_equals_fact_plus_quarantine"], url)


def test_cli_prints_the_summary_and_exits_non_zero_only_for_a_refused_file(
    warehouse, monkeypatch, capsys
):
    monkeypatch.setenv("ADWH_DATABASE_URL", warehouse["url"])
    folder: Path = warehouse["folder"]
    good = folder / "late.csv"
    good.write_text("creative_id,date,impressions,clicks,spend\n600001,2025-09-01,10,1,0.10\n")
    refused = folder / "no_spend.csv"
    refused.write_text("creative_id,date,impressions,clicks\n600001,2025-09-02,10,1\n")

    assert cli.main(["load", "bidder", str(good)]) == 0
    out, _ = capsys.readouterr()
    assert f"{good}: imported 1 rows: 1 accepted, 0 rejected" in out

    assert cli.main(["load", "bidder", str(good), str(refused)]) == 1
    out, err = capsys.readouterr()
    assert f"{good}: imported 1 rows: 1 accepted, 0 rejected" in out
    assert f"rejected: {refused}, row 1: missing required column(s) 'spend'" in out
    assert "1 of 2 file(s) not imported" in err


def test_reimport_correction_and_catalog_rename_then_incremental_equals_full_refresh(warehouse):
    url, files, folder = warehouse["url"], warehouse["files"], warehouse["folder"]
    raw_sql = (
        "select row_key, impressions, clicks, spend, source_row_number "
        "from raw_bidder.creative_performance order by row_key, source_row_number"
    )
    before = query(url, raw_sql)

    # 1. the same file again: nothing changes
    [again] = performance.load_performance(url, [files["example"]], echo=None)
    assert query(url, raw_sql) == before
    assert (again.rows, again.valid_rows) == (8, 8)

    # 2. a corrected export of one key replaces it: 79783 11-29 BR mobile 125.50 -> 130.00
    corrected = folder / "corrected.csv"
    corrected.write_text(
        "creative_id,date,impressions,clicks,spend,geography,device_type\n"
        "79783,2025-11-29,11000,260,130.00,BR,mobile\n"
    )
    performance.load_performance(url, [str(corrected)], echo=None)

    # 3. the acme catalog renames Scarves: its history (10-15, 10-31, 11-10, 11-24) lies
    #    outside the lookback window and has no new load - only the fingerprint's hierarchy
    #    hash tells the incremental fact to rebuild those days
    renamed = folder / "acme_renamed.csv"
    renamed.write_text(
        (FIXTURES / "performance_creatives_example.csv")
        .read_text()
        .replace(",Scarves,", ",Scarves Winter,")
    )
    performance.load_catalog(url, str(renamed), echo=None)

    run_dbt(["build", "--vars", AS_OF], url)
    incremental = query(url, FACT_DIGEST)
    assert query(
        url,
        """select sum(spend), sum(impressions) from marts.fact_daily_metrics
           where creative_name like '%%(79783)'""",
    ) == [(Decimal("390.00"), 30000)]  # 385.50 - 125.50 + 130.00; 29000 - 10000 + 11000
    assert query(
        url,
        """select date_day, campaign_name from marts.fact_daily_metrics
           where creative_name like 'Scarf%%' order by 1""",
    ) == [
        (dt.date(2025, 10, 15), "Scarves Winter"),
        (dt.date(2025, 10, 31), "Scarves Winter"),
        (dt.date(2025, 11, 10), "Scarves Winter"),
        (dt.date(2025, 11, 24), "Scarves Winter"),
        (dt.date(2025, 11, 30), "Scarves Winter"),
        (dt.date(2025, 11, 30), "Scarves Winter"),
        (dt.date(2025, 12, 1), "Scarves Winter"),
    ]
    assert query(
        url,
        "select campaign_name, total_spend_7d from marts.mart_campaign_performance "
        "where client_id = 'acme' order by 1",
    ) == [("Holiday Push", Decimal("952.50")), ("Scarves Winter", Decimal("34.00"))]
    assert query(
        url, "select count(*) from marts.dim_campaigns where campaign_name = 'Scarves'"
    ) == [(0,)]

    run_dbt(["build", "--full-refresh", "--vars", AS_OF], url)
    assert query(url, FACT_DIGEST) == incremental
