"""Partner warehouse loader against a real partner database (Postgres, in the session's
embedded server): restatement window, deletions, backfill, interruptions, errors.

Expectations are the test's own copy of the partner's rows (dicts below), changed alongside
the database; raw_partner must equal that copy exactly, row by row.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import fresh_database, query
from helpers.tcp_cut import CuttingProxy

from loaders.core.errors import AdwhError, ConfigError
from loaders.demo import partner_demo
from loaders.sources import partner
from loaders.sources.partner.settings import PartnerSettings

FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 3, 1)
DAYS = [FIRST + dt.timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
BUYS = [
    ("mb-a1", "Prospecting", "c-1", "Acme Launch", "YouTube", "acme"),
    ("mb-a2", "Retargeting", "c-1", "Acme Launch", "Hulu", "acme"),
    ("mb-g1", "Always-on", "c-9", "Globex Brand", "Roku", "globex"),
]
MARKER = 7_777_777  # an impressions figure the cutting proxy watches for


def make_rows():
    imps, vids = {}, {}
    for d, day in enumerate(DAYS):
        for b, (buy, *_rest) in enumerate(BUYS):
            n = 1_000 + 10 * d + b
            imps[(day, buy)] = (n, n // 50, Decimal(n) / 100)
            vids[(day, buy)] = (n // 2, n // 3, n // 4)
    return imps, vids


def fill(url, imps, vids):
    partner_demo.create_tables(url)
    partner_demo.insert_media_buys(url, BUYS)
    partner_demo.insert_impressions(url, [(d, b, *v) for (d, b), v in imps.items()])
    partner_demo.insert_videos(url, [(d, b, *v) for (d, b), v in vids.items()])


def settings_for(url: str, **kwargs) -> PartnerSettings:
    kwargs.setdefault("retry_backoff", 0)
    return PartnerSettings(
        credentials=url.replace("postgresql://", "postgresql+psycopg2://"), **kwargs
    )


def raw(url):
    imps = {
        (d, b): (i, c, s)
        for d, b, i, c, s in query(
            url,
            "select date, media_buy_id, impressions, clicks, spend from raw_partner.impressions",
        )
    }
    vids = {
        (d, b): (s, c, v)
        for d, b, s, c, v in query(
            url,
            "select date, media_buy_id, video_starts, video_completions, video_views "
            "from raw_partner.videos",
        )
    }
    return imps, vids


def sync(url, cfg, *args, **kwargs):
    lines = []
    outcome = partner.load(url, *args, settings=cfg, echo=lines.append, **kwargs)
    return outcome, lines


@pytest.fixture
def partner_env(server_url):
    with fresh_database(server_url) as src, fresh_database(server_url) as wh:
        imps, vids = make_rows()
        fill(src, imps, vids)
        yield {"src": src, "wh": wh, "imps": imps, "vids": vids, "cfg": settings_for(src)}


@pytest.mark.parametrize("copy_reads", [True, False], ids=["copy", "row-fetch"])
def test_window_restates_deletes_and_leaves_older_days_alone(partner_env, copy_reads):
    src, wh, imps, vids = (partner_env[k] for k in ("src", "wh", "imps", "vids"))
    cfg = settings_for(src, copy_reads=copy_reads)  # row-fetch: the path Snowflake takes
    outcome, _ = sync(wh, cfg)
    assert outcome.windows["impressions"].start is None  # first sync: whole history
    assert raw(wh) == (imps, vids)
    assert query(wh, "select count(*) from raw_partner.media_buys") == [(3,)]

    ten_back, forty_back, five_back = (LAST - dt.timedelta(days=n) for n in (10, 40, 5))
    query(
        src,
        "update platform_buy_daily_impressions set impressions = 5, clicks = 1, "
        "spend = 0.05 where date = %s and media_buy_id = 'mb-a1'",
        (ten_back,),
    )
    imps[(ten_back, "mb-a1")] = (5, 1, Decimal("0.05"))
    query(
        src,
        "update platform_buy_daily_videos set video_completions = 1 "
        "where date = %s and media_buy_id = 'mb-g1'",
        (forty_back,),
    )  # outside: not read
    query(
        src,
        "delete from platform_buy_daily_impressions where date = %s and media_buy_id = 'mb-a2'",
        (five_back,),
    )
    del imps[(five_back, "mb-a2")]
    query(src, "delete from platform_buy_daily_videos where date = %s", (five_back,))
    for buy, *_ in BUYS:  # a whole day of videos deleted upstream
        del vids[(five_back, buy)]
    outcome, lines = sync(wh, cfg)
    # newest day seen (LAST) - 30 days, read again and replaced
    assert outcome.windows["impressions"].start == LAST - dt.timedelta(days=30)
    assert outcome.windows["videos"].start == LAST - dt.timedelta(days=30)
    assert raw(wh) == (imps, vids)
    assert "30-day restatement window from 2026-01-30" in lines[0]

    # the backfill reads the 40-days-back change, without moving the incremental state
    vids[(forty_back, "mb-g1")] = (
        vids[(forty_back, "mb-g1")][0],
        1,
        vids[(forty_back, "mb-g1")][2],
    )
    outcome, lines = sync(wh, cfg, first=forty_back, last=forty_back)
    assert (outcome.windows["videos"].start, outcome.windows["videos"].end) == (forty_back,) * 2
    assert outcome.windows["videos"].rows == 3
    assert raw(wh) == (imps, vids)
    assert "incremental state untouched" in lines[0]
    outcome, _ = sync(wh, cfg)
    assert outcome.windows["impressions"].start == LAST - dt.timedelta(days=30)
    assert raw(wh) == (imps, vids)


def test_unknown_media_buy_lands_in_raw_and_is_reported(partner_env):
    src, wh, imps, vids, cfg = (partner_env[k] for k in ("src", "wh", "imps", "vids", "cfg"))
    partner_demo.insert_impressions(src, [(LAST, "mb-new", 900, 9, Decimal("9.5"))])
    imps[(LAST, "mb-new")] = (900, 9, Decimal("9.5"))
    outcome, lines = sync(wh, cfg)
    assert raw(wh) == (imps, vids)
    assert outcome.unknown_buys() == {"mb-new": 1}
    assert any("mb-new" in line and "unknown_media_buy" in line for line in lines)
    logged = query(
        wh,
        "select client_id, rows_loaded from adwh_ops.ingestion_log "
        "where source = 'partner' and report_date = %s order by 1 nulls last",
        (LAST,),
    )
    # acme: 2 buys x (impressions + videos); globex: 1 x 2; the unknown buy's row
    assert logged == [("acme", 4), ("globex", 2), (None, 1)]


def test_client_run_replaces_only_that_clients_media_buys(partner_env):
    src, wh, imps, vids, cfg = (partner_env[k] for k in ("src", "wh", "imps", "vids", "cfg"))
    sync(wh, cfg)
    day = LAST - dt.timedelta(days=3)
    query(src, "update platform_buy_daily_impressions set impressions = 1 where date = %s", (day,))
    for buy in ("mb-a1", "mb-a2"):  # only acme's change is read by an acme run
        imps[(day, buy)] = (1, *imps[(day, buy)][1:])
    outcome, _ = sync(wh, cfg, ["acme"])
    assert raw(wh) == (imps, vids)
    assert outcome.windows["impressions"].rows == 2 * 31
    with pytest.raises(ConfigError, match=r"client\(s\) nobody have no media buys.*acme, globex"):
        sync(wh, cfg, ["nobody"])


def test_interrupted_run_loads_nothing_and_the_next_run_resumes(partner_env, server_url):
    src, wh, imps, vids, cfg = (partner_env[k] for k in ("src", "wh", "imps", "vids", "cfg"))
    sync(wh, cfg)
    before = raw(wh)
    day = LAST - dt.timedelta(days=2)
    query(
        src,
        "update platform_buy_daily_impressions set impressions = %s "
        "where date = %s and media_buy_id = 'mb-g1'",
        (MARKER, day),
    )
    imps[(day, "mb-g1")] = (MARKER, *imps[(day, "mb-g1")][1:])
    port = int(src.rsplit(":", 1)[1].split("/")[0])
    with CuttingProxy("127.0.0.1", port, str(MARKER).encode(), cuts=1) as proxy:
        via_proxy = src.replace(f":{port}/", f":{proxy.port}/")
        cut_cfg = settings_for(via_proxy, max_attempts=1, chunk_size=10)
        with pytest.raises(AdwhError, match="unreachable") as failure:
            sync(wh, cut_cfg)
        assert proxy.cuts_done == 1
    assert "\n" not in str(failure.value)
    assert raw(wh) == before  # nothing of the interrupted run reached raw
    status = query(wh, "select status from adwh_ops.ingestion_log order by log_id desc limit 1")
    assert status == [("failed",)]
    outcome, _ = sync(wh, cfg)  # resumes: the same window, read again
    assert outcome.windows["impressions"].start == LAST - dt.timedelta(days=30)
    assert raw(wh) == (imps, vids)


def test_a_dropped_connection_is_retried_within_the_run(partner_env):
    src, wh, imps, vids = (partner_env[k] for k in ("src", "wh", "imps", "vids"))
    query(
        src,
        "update platform_buy_daily_impressions set impressions = %s "
        "where date = %s and media_buy_id = 'mb-a1'",
        (MARKER, FIRST),
    )
    imps[(FIRST, "mb-a1")] = (MARKER, *imps[(FIRST, "mb-a1")][1:])
    port = int(src.rsplit(":", 1)[1].split("/")[0])
    with CuttingProxy("127.0.0.1", port, str(MARKER).encode(), cuts=1) as proxy:
        cfg = settings_for(src.replace(f":{port}/", f":{proxy.port}/"), max_attempts=3)
        sync(wh, cfg)
        assert proxy.cuts_done == 1
    assert raw(wh) == (imps, vids)


def test_unreachable_warehouse_is_one_line_without_the_password(server_url):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]  # nothing listens there once closed
    with fresh_database(server_url) as wh:
        cfg = settings_for(f"postgresql://partner:Sup3r-s3cret@127.0.0.1:{free}/dw", max_attempts=2)
        with pytest.raises(AdwhError) as failure:
            sync(wh, cfg)
    text = str(failure.value)
    assert "Sup3r-s3cret" not in text and "\n" not in text
    assert f"127.0.0.1:{free}/dw" in text and "after 2 attempts" in text
    assert "Connection refused" in text


def test_cli_unreachable_exit_code_and_message(server_url, monkeypatch, capsys):
    import socket

    from loaders.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with fresh_database(server_url) as wh:
        monkeypatch.setenv("ADWH_DATABASE_URL", wh)
        monkeypatch.setenv(
            "SOURCES__PARTNER__CREDENTIALS", f"postgresql://u:An0ther-pw@127.0.0.1:{free}/dw"
        )
        monkeypatch.setenv("SOURCES__PARTNER__MAX_ATTEMPTS", "1")
        code = main(["load", "partner"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1 and "An0ther-pw" not in err
    assert err.startswith("adwh: error: partner warehouse postgresql+psycopg2://u:***@127.0.0.1")


def test_missing_table_and_column_are_named(partner_env):
    src, wh = partner_env["src"], partner_env["wh"]
    with pytest.raises(
        ConfigError, match=r"public\.nope not found .*sources\.partner\.videos_table"
    ):
        sync(wh, settings_for(src, videos_table="nope"))
    query(src, "alter table platform_buy_daily_videos drop column video_completions")
    with pytest.raises(
        ConfigError,
        match=r"_videos has no column 'video_completions'.*columns\.video_completions",
    ):
        sync(wh, settings_for(src))
    assert query(wh, "select to_regclass('raw_partner.impressions')") == [(None,)]


def test_partner_column_names_are_mapped(partner_env):
    src, wh, imps, vids = (partner_env[k] for k in ("src", "wh", "imps", "vids"))
    for table in ("platform_buy_daily_impressions", "platform_buy_daily_videos", "media_buys"):
        query(src, f"alter table {table} rename column media_buy_id to buy_id")
    query(src, "alter table platform_buy_daily_impressions rename column date to day")
    query(src, "alter table platform_buy_daily_videos rename column date to day")
    cfg = settings_for(src, columns={"media_buy_id": "buy_id", "date": "day"})
    sync(wh, cfg)
    assert raw(wh) == (imps, vids)
