"""End to end: a partner database -> raw_partner -> dbt build -> fact, quarantine, conservation.

Expected figures are computed here from the test's own copy of the partner's rows (never read
back from the models), and kept in step with each change made to the partner's database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import fresh_database, query
from helpers.partition_log import rebuilt

from loaders.core.errors import AdwhError
from loaders.demo import partner_demo
from loaders.sources import partner
from loaders.sources.partner.settings import PartnerSettings
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 2, 14)
DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
BUYS = [
    ("mb-a1", "Prospecting", "c-1", "Acme Launch", "YouTube", "acme"),
    ("mb-a2", "Retargeting", "c-1", "Acme Launch", "Hulu", "acme"),
    ("mb-g1", "Always-on", "c-9", "Globex Brand", "Roku", "globex"),
]
CLIENT = {b[0]: b[5] for b in BUYS}
VIDEOS_ONLY = (dt.date(2026, 2, 10), "mb-a2")  # the partner has videos, no impressions row
OVER_COMPLETED = (dt.date(2026, 2, 11), "mb-g1")  # completions > starts: quarantined
UNKNOWN = (dt.date(2026, 2, 12), "mb-zz")  # not in media_buys: quarantined

FACT_DIGEST = """
select count(*), md5(coalesce(string_agg(md5(row(
    fact_id, client_id, source, date_day, creative_key, impressions, clicks, media_cost, spend,
    video_starts, video_completions, source_row_count)::text), ','
    order by fact_id), ''))
from marts.fact_daily_metrics where source = 'partner'
"""


def partner_rows():
    imps, vids = {}, {}
    for d, day in enumerate(DAYS):
        for b, (buy, *_rest) in enumerate(BUYS):
            n = 2_000 + 7 * d + 100 * b
            if (day, buy) != VIDEOS_ONLY:
                imps[(day, buy)] = (n, n // 40, Decimal(n) / 80)
            vids[(day, buy)] = (n // 2, n // 3, n // 4)
    starts = vids[OVER_COMPLETED][0]
    vids[OVER_COMPLETED] = (starts, starts + 5, 1)
    imps[UNKNOWN] = (777, 7, Decimal("7.77"))
    return imps, vids


def expected_fact(imps, vids):
    """client, day -> [rows, impressions, clicks, spend, video_starts, video_completions]."""
    totals: dict = {}
    for key in sorted(set(imps) | set(vids)):
        day, buy = key
        i = imps.get(key, (0, 0, Decimal(0)))
        v = vids.get(key, (0, 0, 0))
        if buy not in CLIENT or v[1] > v[0]:
            continue
        t = totals.setdefault((CLIENT[buy], day), [0, 0, 0, Decimal(0), 0, 0])
        for pos, value in enumerate((1, i[0], i[1], i[2], v[0], v[1])):
            t[pos] += value
    return [(c, d, *t) for (c, d), t in sorted(totals.items())]


FACT_TOTALS = """
select client_id, date_day, sum(source_row_count)::int, sum(impressions)::int, sum(clicks)::int,
       sum(spend), sum(video_starts)::int, sum(video_completions)::int
from marts.fact_daily_metrics where source = 'partner' group by 1, 2 order by 1, 2"""


@pytest.fixture(scope="module")
def warehouse(server_url):
    with fresh_database(server_url) as url, fresh_database(server_url) as src:
        imps, vids = partner_rows()
        partner_demo.create_tables(src)
        partner_demo.insert_media_buys(src, BUYS)
        partner_demo.insert_impressions(src, [(d, b, *v) for (d, b), v in imps.items()])
        partner_demo.insert_videos(src, [(d, b, *v) for (d, b), v in vids.items()])
        cfg = PartnerSettings(credentials=src.replace("postgresql://", "postgresql+psycopg2://"))
        partner.load(url, None, settings=cfg, echo=lambda _: None)
        run_dbt(["build"], url)
        yield {"src": src, "url": url, "cfg": cfg, "imps": imps, "vids": vids}


def test_fact_totals_are_exact(warehouse):
    rows = query(warehouse["url"], FACT_TOTALS)
    assert rows == [tuple(r) for r in expected_fact(warehouse["imps"], warehouse["vids"])]
    # the videos-only day is in the fact with 0 impressions and spend, and its video figures
    starts, completions, _views = warehouse["vids"][VIDEOS_ONLY]
    vcr = (Decimal(completions) / starts).quantize(Decimal("1e-12"))
    assert query(
        warehouse["url"],
        "select impressions, video_starts, vcr, spend from marts.fact_daily_metrics "
        "where source = 'partner' and date_day = %s and strategy_name = 'Retargeting'",
        (VIDEOS_ONLY[0],),
    ) == [(0, starts, vcr, 0)]


def test_hierarchy_campaign_media_buy_platform(warehouse):
    rows = query(
        warehouse["url"],
        "select distinct campaign_name, strategy_name, placement_name, creative_name "
        "from marts.fact_daily_metrics where source = 'partner' order by 1, 2",
    )
    assert rows == [
        ("Acme Launch", "Prospecting", "YouTube", "Prospecting"),
        ("Acme Launch", "Retargeting", "Hulu", "Retargeting"),
        ("Globex Brand", "Always-on", "Roku", "Always-on"),
    ]


def test_unknown_media_buy_and_over_completed_day_are_quarantined(warehouse):
    rows = query(
        warehouse["url"],
        "select client_id, date_day, rule, impressions, source_file from marts.dq_quarantine "
        "where source = 'partner' order by date_day",
    )
    starts = warehouse["vids"][OVER_COMPLETED][0]
    assert rows == [
        (
            "globex",
            OVER_COMPLETED[0],
            "video_completions_exceed_starts",
            warehouse["imps"][OVER_COMPLETED][0],
            f"partner://media_buys/mb-g1/{OVER_COMPLETED[0]}",
        ),
        (None, UNKNOWN[0], "unknown_media_buy", 777, f"partner://media_buys/mb-zz/{UNKNOWN[0]}"),
    ]
    offending = query(
        warehouse["url"],
        "select offending_values from marts.dq_quarantine where rule like 'video%%'",
    )
    assert f"video_completions={starts + 5}, video_starts={starts}" in offending[0][0]


def test_conservation_counts_partner_raw_rows(warehouse):
    url = warehouse["url"]
    test = ["test", "--select", "assert_conservation_raw_equals_fact_plus_quarantine"]
    run_dbt(test, url)
    query(url, "update raw_partner.impressions set clicks = clicks + 1 where date = %s", (LAST,))
    try:
        with pytest.raises(AdwhError):
            run_dbt(test, url)
    finally:
        query(
            url, "update raw_partner.impressions set clicks = clicks - 1 where date = %s", (LAST,)
        )


def test_restated_window_reaches_the_fact_and_incremental_equals_full_refresh(warehouse):
    src, url, cfg = warehouse["src"], warehouse["url"], warehouse["cfg"]
    imps, vids = warehouse["imps"], warehouse["vids"]
    ten_back, forty_back, five_back = (LAST - dt.timedelta(days=n) for n in (10, 40, 5))
    query(
        src,
        "update platform_buy_daily_impressions set impressions = impressions + 500, "
        "spend = spend + 1 where date = %s",
        (ten_back,),
    )
    for buy in CLIENT:
        i = imps[(ten_back, buy)]
        imps[(ten_back, buy)] = (i[0] + 500, i[1], i[2] + 1)
    query(
        src,
        "update platform_buy_daily_impressions set impressions = 1 where date = %s",
        (forty_back,),
    )  # outside the window: not read
    query(
        src,
        "delete from platform_buy_daily_impressions where date = %s and media_buy_id = 'mb-a1'",
        (five_back,),
    )
    query(
        src,
        "delete from platform_buy_daily_videos where date = %s and media_buy_id = 'mb-a1'",
        (five_back,),
    )
    del imps[(five_back, "mb-a1")], vids[(five_back, "mb-a1")]
    partner.load(url, None, settings=cfg, echo=lambda _: None)
    run_dbt(["build"], url)
    assert query(url, FACT_TOTALS) == [tuple(r) for r in expected_fact(imps, vids)]
    run_dbt(["test", "--select", "assert_conservation_raw_equals_fact_plus_quarantine"], url)
    incremental = query(url, FACT_DIGEST)
    run_dbt(["build", "--full-refresh", "--select", "fact_daily_metrics"], url)
    assert query(url, FACT_DIGEST) == incremental


def test_a_day_emptied_by_a_restatement_vanishes_without_lookback(warehouse):
    """Every row of a day inside the restatement window is deleted at the partner: the load
    deletes them from raw (no new load id on that day), and the build - lookback 0 - must
    still rebuild that day's partitions of both clients, from the ingestion log."""
    src, url, cfg = warehouse["src"], warehouse["url"], warehouse["cfg"]
    imps, vids = warehouse["imps"], warehouse["vids"]
    emptied = LAST - dt.timedelta(days=7)
    query(src, "delete from platform_buy_daily_impressions where date = %s", (emptied,))
    query(src, "delete from platform_buy_daily_videos where date = %s", (emptied,))
    for table in (imps, vids):
        for key in [k for k in table if k[0] == emptied]:
            del table[key]
    partner.load(url, None, settings=cfg, echo=lambda _: None)
    run_dbt(["build", "--vars", '{"lookback_days": 0}'], url)
    assert {("acme", "partner", emptied), ("globex", "partner", emptied)} <= rebuilt(url)
    assert query(url, FACT_TOTALS) == [tuple(r) for r in expected_fact(imps, vids)]
    assert not [r for r in query(url, FACT_TOTALS) if r[1] == emptied]


def test_a_media_buy_moved_to_another_client_moves_its_whole_history(warehouse):
    """mb-a2 moves from acme to globex in media_buys (no performance row changes): every day
    of it is rebuilt under both clients, lookback 0, and the result equals a full refresh."""
    src, url, cfg = warehouse["src"], warehouse["url"], warehouse["cfg"]
    imps, vids = warehouse["imps"], warehouse["vids"]
    query(src, "update media_buys set client_id = 'globex' where media_buy_id = 'mb-a2'")
    CLIENT["mb-a2"] = "globex"
    try:
        partner.load(url, None, settings=cfg, echo=lambda _: None)
        run_dbt(["build", "--vars", '{"lookback_days": 0}'], url)
        first_day = ("acme", "partner", FIRST), ("globex", "partner", FIRST)
        assert set(first_day) <= rebuilt(url)
        assert query(url, FACT_TOTALS) == [tuple(r) for r in expected_fact(imps, vids)]
        incremental = query(url, FACT_DIGEST)
        run_dbt(["build", "--full-refresh", "--select", "fact_daily_metrics"], url)
        assert query(url, FACT_DIGEST) == incremental
    finally:
        CLIENT["mb-a2"] = "acme"
