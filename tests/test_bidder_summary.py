"""The bidder import summary: the staging rules applied to a file's own rows, without dbt.

One file with every kind of bad row, and an earlier file of the same run (one row superseded
by the later file's hourly row, one key re-imported by it). Expected figures are worked out by
hand below; the slow test builds the staging view with dbt and checks that it says the same.

Catalogs: tests/fixtures/performance_creatives_example.csv (acme: 500001, 500002, 800001;
zzz: 700001 - zzz is not in seeds/clients.csv) and GLOBEX (800001 again: ambiguous).
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FIXTURES, fresh_database, query

from loaders.sources import bidder
from loaders.warehouse.dbt_runner import run_dbt

TODAY = dt.datetime.now(dt.UTC).date()
FUTURE = TODAY + dt.timedelta(days=5)

GLOBEX = "creative_id,client_id,creative_name,campaign_name\n800001,globex,Shared,Launch\n"
HEADER = "Creative ID,Date,Hour,Impressions,Clicks,Spend,Geography,Device Type\n"

EARLIER = HEADER + (
    "500001,2025-11-25,,1000,10,5.00,,\n"  # 2: daily; row 27 of EVERY reports the day hourly
    "500001,2025-11-24,,10,1,1.00,US,mobile\n"  # 3: valid
    "500002,2025-11-29,,999,9,9.99,US,desktop\n"  # 4: its key comes again in EVERY row 21
)

EVERY = HEADER + (
    "500001,2025-11-30,,1000,10,5.00,US,mobile\n"  # 2 valid
    ",2025-11-30,,100,1,1.00,US,mobile\n"  # 3
    "500001,,,100,1,1.00,DE,mobile\n"  # 4
    "5000O1,2025-11-30,,100,1,1.00,FR,mobile\n"  # 5
    "500001,2025-11-21,7h,100,1,1.00,GB,mobile\n"  # 6 (own creative-day)
    "500001,2025-11-30,,100,1x,1.00,IE,mobile\n"  # 7
    "500001,2025-11-30,,100,-3,1.00,ES,mobile\n"  # 8
    "999999,2025-11-30,,100,1,1.00,US,desktop\n"  # 9
    "800001,2025-11-30,,100,1,1.00,US,mobile\n"  # 10
    "700001,2025-11-30,,100,1,1.00,US,mobile\n"  # 11
    "500002,2025-11-20,24,100,1,1.00,US,mobile\n"  # 12 (own creative-day)
    "500001,2025-11-30,,100,1,1.00,XX,mobile\n"  # 13
    "500001,2025-11-30,,100,1,1.00,NL,smart\\watch\n"  # 14
    "500001,2025-11-30,,100,1,-2.50,BE,mobile\n"  # 15
    "500001,2025-11-30,,-50,0,0.50,AT,mobile\n"  # 16
    "500001,2025-11-30,,10,20,1.00,CH,mobile\n"  # 17
    f"500001,{FUTURE},,100,1,1.00,US,mobile\n"  # 18
    "500001,2025-11-31,,100,1,1.00,PT,mobile\n"  # 19
    "500001,2025-11-30,,12O,1,$3.00,PL,mobile\n"  # 20
    "500002,2025-11-29,,300,3,1.50,US,desktop\n"  # 21 valid (replaces EARLIER row 4)
    "500002,2025-11-28,,100,1,1.00,US,desktop\n"  # 22
    "500002,2025-11-28,,200,2,2.00,us,DESKTOP\n"  # 23 valid: same key as 22, wins
    "500002,2025-11-27,,1000,10,4.00,,\n"  # 24: daily row under row 25's hour+geography
    "500002,2025-11-27,5,400,4,1.60,US,\n"  # 25 valid
    "500001,2025-11-26, ,100,1,1.00,US,mobile\n"  # 26 valid: a space is a blank hour
    "500001,2025-11-25,3,500,5,2.00,,\n"  # 27 valid: supersedes EARLIER row 2
)

EXPECTED_EVERY = [
    (3, "Creative ID", "missing_creative_id", "creative_id is empty"),
    (4, "Date", "missing_date", "date is empty"),
    (5, "Creative ID", "malformed_creative_id", "creative_id='5000O1' is not a whole number"),
    (6, "Hour", "malformed_hour", "hour='7h' is not a whole number"),
    (7, "Clicks", "malformed_clicks", "clicks='1x' is not a whole number"),
    (8, "Clicks", "negative_clicks", "clicks=-3"),
    (9, "Creative ID", "unknown_creative_id", "creative_id=999999 is not in the creative catalog"),
    (
        10,
        "Creative ID",
        "ambiguous_creative_id",
        "creative_id=800001 is listed by 2 clients' catalogs",
    ),
    (11, "Creative ID", "unknown_client", "client_id=zzz"),
    (12, "Hour", "hour_out_of_range", "hour=24, expected 0-23"),
    (13, "Geography", "unknown_country_code", "geography='XX' is not an ISO 3166-1 alpha-2 code"),
    (
        14,
        "Device Type",
        "unknown_device_type",
        "device_type=E'smart\\\\watch', expected mobile, desktop, tablet, ctv or other",
    ),
    (15, "Spend", "negative_spend", "spend=-2.5"),
    (16, "Impressions", "negative_impressions", "impressions=-50"),
    (16, "Clicks", "clicks_exceed_impressions", "clicks=0, impressions=-50"),
    (17, "Clicks", "clicks_exceed_impressions", "clicks=20, impressions=10"),
    (18, "Date", "future_date", f"date_day={FUTURE}, loaded on {{load_day}}"),
    (19, "Date", "malformed_date", "date='2025-11-31' is not a YYYY-MM-DD date"),
    (20, "Impressions", "malformed_impressions", "impressions='12O' is not a whole number"),
    (20, "Spend", "malformed_spend", "spend='$3.00' is not a number"),
    (
        22,
        None,
        "duplicate_key_in_file",
        "key 500002|2025-11-28||US|desktop again in row 23, which wins",
    ),
    (
        24,
        "Hour",
        "breakdown_superseded",
        "reported by day; the creative-day is counted from its day+hour+geography rows",
    ),
]
EXPECTED_EARLIER = [
    (
        2,
        "Hour",
        "breakdown_superseded",
        "reported by day; the creative-day is counted from its day+hour rows",
    ),
]


def expected_every(load_days: set[dt.date]) -> list[list[tuple]]:
    """EXPECTED_EVERY as a load on any of `load_days` reports it (row 18 names its UTC day)."""
    return [
        [
            (row, column, rule, detail.format(load_day=day))
            for row, column, rule, detail in EXPECTED_EVERY
        ]
        for day in sorted(load_days)
    ]


def load_every_kind(url: str, folder) -> tuple[dict[str, bidder.FileResult], set[dt.date]]:
    """Load both files; also the UTC days the load ran on (two when it crossed midnight)."""
    before = dt.datetime.now(dt.UTC).date()
    (folder / "globex.csv").write_text(GLOBEX)
    (folder / "earlier.csv").write_text(EARLIER)
    (folder / "every.csv").write_text(EVERY)
    bidder.load_catalog(url, str(FIXTURES / "performance_creatives_example.csv"), echo=None)
    bidder.load_catalog(url, str(folder / "globex.csv"), echo=None)
    earlier, every = bidder.load_performance(
        url, [str(folder / "earlier.csv"), str(folder / "every.csv")], echo=None
    )
    after = dt.datetime.now(dt.UTC).date()
    return {"earlier": earlier, "every": every}, {before, after}


def entries(result: bidder.FileResult) -> list[tuple]:
    return [(r.row, r.column, r.rule, r.detail) for r in result.rejections]


def test_summary_of_every_kind_of_bad_row_without_dbt(db_url, tmp_path):
    results, load_days = load_every_kind(db_url, tmp_path)
    every, earlier = results["every"], results["earlier"]
    # 26 rows: 2, 21, 23, 25, 26, 27 accepted; 18 rows 3-20 + 22 + 24 rejected; 16 and 20
    # break two rules each
    assert (every.rows, every.valid_rows, every.rejected_rows) == (26, 6, 20)
    assert every.rejection_count == 22
    assert entries(every) in expected_every(load_days)
    assert every.superseded_elsewhere == 1  # EARLIER row 2
    # EARLIER keeps 2 of its 3 rows (row 4's key was re-imported by EVERY)
    assert (earlier.rows, earlier.valid_rows, earlier.rejected_rows) == (2, 1, 1)
    assert entries(earlier) == EXPECTED_EARLIER
    # no dbt ran: no staging schema exists
    assert query(db_url, "select to_regclass('staging.stg_bidder__creative_performance')") == [
        (None,)
    ]


def test_summary_lists_at_most_the_limit_and_counts_every_rejection(db_url, tmp_path):
    first = dt.date(2025, 10, 1)
    rows = "".join(
        f"999999,{first + dt.timedelta(days=i // 24)},{i % 24},1,1,1,US,mobile\n"
        for i in range(130)
    )
    (tmp_path / "many.csv").write_text(HEADER + rows)
    lines: list[str] = []
    [result] = bidder.load_performance(db_url, [str(tmp_path / "many.csv")], echo=lines.append)
    assert (result.rows, result.valid_rows, result.rejection_count) == (130, 0, 130)
    assert [r.row for r in result.rejections] == list(range(2, 102))
    assert len(lines) == 1 + 100 + 1
    assert lines[-1].startswith("  ... and 30 more")


@pytest.mark.slow
def test_summary_says_what_staging_says_after_a_dbt_build(server_url, tmp_path):
    with fresh_database(server_url) as url:
        results, load_days = load_every_kind(url, tmp_path)
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
        for name, expected in (
            ("every", expected_every(load_days)),
            ("earlier", [EXPECTED_EARLIER]),
        ):
            result = results[name]
            staged = query(
                url,
                """select s.source_row_number, r.item ->> 'column', r.item ->> 'rule',
                          r.item ->> 'detail'
                   from staging.stg_bidder__creative_performance as s
                   cross join lateral jsonb_array_elements(s.rejections)
                       with ordinality as r (item, n)
                   where s.load_id = %s order by 1, r.n""",
                (result.load_id,),
            )
            headers = {None: None, **result.headers}
            assert [(row, headers[c], rule, d) for row, c, rule, d in staged] in expected
            counts = query(
                url,
                """select count(*), sum(case when is_valid then 1 else 0 end)
                   from staging.stg_bidder__creative_performance where load_id = %s""",
                (result.load_id,),
            )
            assert counts == [(result.rows, result.valid_rows)]
