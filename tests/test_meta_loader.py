"""Meta loader against a real Postgres and the Meta stand-in on loopback (real HTTP, no patches).

Expected figures are computed from the `Ad` objects the tests hand the server (what it
serves), never from the loader's output.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal

import pytest
from conftest import query
from meta_server import ACCOUNT, TOKEN, Ad, server, settings, use_env

from loaders import cli
from loaders.sources import meta
from loaders.sources.meta.rows import ActionTypes, to_table

D0 = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 4, 15)
BAD_TOKEN = "EAAGexpiredToken0000aaaaZZZZ"


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def quiet(_line: str) -> None:
    pass


def ads_for(n: int) -> list[Ad]:
    """The ads of day n: three every day, a fourth on even days; varied figures."""
    ads = [
        Ad(f"a{k}", f"Ad {k}", impressions=1000 + 37 * n + 100 * k, link_clicks=10 + k + n % 7,
           clicks=20 + 2 * k + n % 5, spend=f"{12 + n % 9}.{k}5", reach=800 + 30 * n + 90 * k,
           purchases=(n + k) % 4, purchase_value=f"{(n + k) % 4 * 19}.90" if (n + k) % 4 else "0",
           trials=(n * k) % 3, trial_value="0",
           adset_id=f"s{k % 2}", adset_name=["Prospecting", "Retargeting"][k % 2],
           countries={"US": 3, "DE": 2, "FR": 1} if k != 1 else {"GB": 1})
        for k in range(3)
    ]  # fmt: skip
    if n % 2 == 0:
        types = ("purchase", "offsite_conversion.fb_pixel_purchase")  # no omni_purchase
        ads.append(Ad("a9", "Ad 9", 500, 4, 6, "3.33", 450, purchases=1, purchase_value="9.99",
                      purchase_types=types))  # fmt: skip
    return ads


def expected(ads_by_day: dict[dt.date, list[Ad]]) -> dict[dt.date, tuple]:
    out = {}
    for d, ads in ads_by_day.items():
        out[d] = (
            len(ads),
            sum(a.impressions for a in ads),
            sum(a.link_clicks for a in ads),
            sum(a.clicks for a in ads),
            sum(Decimal(a.spend) for a in ads),
            sum(Decimal(a.purchases) for a in ads),
            sum(Decimal(a.purchase_value) for a in ads),
            sum(Decimal(a.trials) for a in ads),
        )
    return out


def raw_by_day(url: str, table: str = "ad_daily") -> dict[dt.date, tuple]:
    rows = query(
        url,
        f"select report_date, count(*), sum(impressions), sum(link_clicks), sum(clicks_all), "
        f"sum(spend), coalesce(sum(purchases), 0), coalesce(sum(purchase_value), 0), "
        f"coalesce(sum(trials), 0) from raw_meta.{table} where client_id = 'acme' "
        f"group by 1 order by 1",
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def log_rows(url: str) -> list[tuple]:
    return query(
        url,
        "select report_date, status, rows_loaded, message from adwh_ops.ingestion_log "
        "where source = 'meta' order by log_id",
    )


# --- rows (no server) -----------------------------------------------------------------------


def test_purchases_are_counted_once_from_the_first_configured_type():
    row = {
        "ad_id": "9", "date_start": "2026-01-05", "date_stop": "2026-01-05",
        "impressions": "1200", "clicks": "40", "inline_link_clicks": "31", "spend": "17.42",
        "reach": "1000", "frequency": "1.2",
        "actions": [
            {"action_type": "link_click", "value": "31"},
            {"action_type": "purchase", "value": "3", "7d_click": "2", "1d_view": "1"},
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "3"},
            {"action_type": "omni_purchase", "value": "3"},
            {"action_type": "start_trial_total", "value": "2"},
        ],
        "action_values": [
            {"action_type": "omni_purchase", "value": "89.70"},
            {"action_type": "purchase", "value": "89.70"},
        ],
    }  # fmt: skip
    types = ActionTypes(("omni_purchase", "purchase"), ("start_trial_total",))
    table = to_table([row], types, country=False, first_row=1).to_pylist()[0]
    assert table["purchases"] == Decimal(3)  # not 9
    assert table["purchase_action_type"] == "omni_purchase"
    assert table["purchase_value"] == Decimal("89.70")
    assert table["trials"] == Decimal(2) and table["trial_value"] is None
    assert (table["impressions"], table["link_clicks"], table["clicks_all"]) == (1200, 31, 40)
    assert table["spend"] == Decimal("17.42") and table["reach"] == 1000
    # a row without actions: Meta omits the lists
    bare = dict(row, actions=None, action_values=None)
    out = to_table([bare], types, country=False, first_row=1).to_pylist()[0]
    assert out["purchases"] is None and out["purchase_action_type"] is None


def test_a_daily_run_refetches_the_lookback_and_old_dates_are_refused():
    days = meta.target_days([TODAY], refetch=True, lookback=28, today=TODAY)
    assert days[0] == TODAY - dt.timedelta(days=27) and days[-1] == TODAY and len(days) == 28
    with pytest.raises(meta.RangeRefused, match=r"37 months.*2023-03-15"):
        meta.target_days([dt.date(2023, 3, 14)], refetch=False, lookback=28, today=TODAY)
    assert meta.target_days([dt.date(2023, 3, 15)], refetch=False, lookback=28, today=TODAY)


# --- against the stand-in -------------------------------------------------------------------


def test_a_90_day_backfill_survives_a_failed_job_and_throttling_and_reruns_idempotently(db_url):
    days = [day(n) for n in range(90)]
    data = {d: ads_for(n) for n, d in enumerate(days)}
    with server() as stub:
        stub.data.update({(ACCOUNT, d): ads for d, ads in data.items()})
        stub.fail_job(day(40))  # the job covering day 40 fails once
        stub.fail_next("80000", count=2, path="/insights")
        stub.fail_next("613", path="/insights")
        stub.fail_next("17")
        stub.fail_next("503")
        cfg = settings(stub, page_limit=25)
        outcome = meta.load(db_url, ["acme"], days, cfg, today=TODAY, echo=quiet)
        assert outcome.problem() is None
        assert [r.status for r in outcome.results] == ["loaded"] * 90
        want = expected(data)
        assert raw_by_day(db_url) == want
        # country rows add up to the ad rows, day by day
        country = raw_by_day(db_url, "ad_country_daily")
        assert {d: v[1:] for d, v in country.items()} == {d: v[1:] for d, v in want.items()}
        # three 31-day ranges, the failed one asked twice; several pages per job
        ad_jobs = stub.created(None)
        assert sorted((j.since, j.until) for j in ad_jobs) == sorted(
            [(day(0), day(30)), (day(31), day(61)), (day(31), day(61)), (day(62), day(89))]
        )
        assert len(stub.created("country")) == 3
        pages = [p for m, p, _b in stub.requests if "/insights?" in p and "after=" in p]
        assert len(pages) >= 6
        # the token only ever travelled in the Authorization header
        assert all(TOKEN not in p and TOKEN not in b for _m, p, b in stub.requests)
        assert set(stub.auth_headers) == {f"OAuth {TOKEN}"}
        before = query(
            db_url,
            "select ad_id, report_date, impressions, spend, purchases, purchase_action_type, "
            "account_currency, account_timezone from raw_meta.ad_daily order by 1, 2",
        )
        again = meta.load(db_url, ["acme"], days, cfg, today=TODAY, echo=quiet)
        assert again.problem() is None
        after = query(
            db_url,
            "select ad_id, report_date, impressions, spend, purchases, purchase_action_type, "
            "account_currency, account_timezone from raw_meta.ad_daily order by 1, 2",
        )
    assert after == before
    assert raw_by_day(db_url) == want
    assert before[0][6:] == ("EUR", "Europe/Berlin")
    # the ad with no omni_purchase used `purchase`
    assert {r[5] for r in before if r[0] == "a9"} == {"purchase"}
    assert [r[1] for r in log_rows(db_url)] == ["loaded"] * 180


def test_a_day_that_keeps_failing_is_split_out_and_the_others_load(db_url):
    days = [day(n) for n in range(8)]
    with server() as stub:
        stub.data.update({(ACCOUNT, d): ads_for(n) for n, d in enumerate(days)})
        stub.fail_job(day(5), times=None)
        outcome = meta.load(db_url, ["acme"], days, settings(stub), today=TODAY, echo=quiet)
        ranges = [(j.since, j.until) for j in stub.created(None)]
    status = {r.day: r.status for r in outcome.results}
    assert status.pop(day(5)) == "failed"
    assert set(status.values()) == {"loaded"}
    # 0..7 twice, then halves 0..3 (ok) and 4..7, then 4..5 and 6..7, then 4 and 5
    assert ranges.count((day(0), day(7))) == 2 and (day(5), day(5)) in ranges
    assert "Job Failed" in outcome.problem()
    assert sorted(raw_by_day(db_url)) == [d for d in days if d != day(5)]


def test_a_daily_run_replaces_restated_conversions_and_drops_vanished_ads(db_url):
    d = TODAY - dt.timedelta(days=1)
    window = [d - dt.timedelta(days=i) for i in range(28)]
    with server() as stub:
        data = {x: ads_for(i) for i, x in enumerate(sorted(window))}
        stub.data.update({(ACCOUNT, x): ads for x, ads in data.items()})
        meta.load(db_url, ["acme"], [d], settings(stub), refetch=True, today=TODAY, echo=quiet)
        restated, vanished, emptied = d - dt.timedelta(days=20), d - dt.timedelta(days=3), d
        data[restated][0].purchases += 5
        data[restated][0].purchase_value = "500.00"
        data[vanished] = [a for a in data[vanished] if a.ad_id != "a2"]
        data[emptied] = []
        stub.data.update({(ACCOUNT, x): ads for x, ads in data.items()})
        outcome = meta.load(
            db_url, ["acme"], [d], settings(stub), refetch=True, today=TODAY, echo=quiet
        )
        second = stub.created(None)[-1]
    assert (second.since, second.until) == (min(window), d)
    assert len(outcome.results) == 28 and outcome.problem() is None
    raw = raw_by_day(db_url)
    want = expected({x: ads for x, ads in data.items() if ads})
    assert raw == want
    assert emptied not in raw and emptied not in raw_by_day(db_url, "ad_country_daily")
    assert query(
        db_url,
        "select count(*) from raw_meta.ad_country_daily where ad_id = 'a2' and report_date = %s",
        (vanished,),
    ) == [(0,)]


def test_a_bad_token_is_named_without_showing_it(db_url, monkeypatch, capsys, caplog):
    with server() as stub:
        use_env(monkeypatch, stub, token=BAD_TOKEN)
        stub.data[(ACCOUNT, day(3))] = ads_for(3)
        with caplog.at_level(logging.DEBUG):
            code = cli.main(["-v", "load", "meta", "--client", "acme", "--from", str(day(0)),
                             "--to", str(day(6))])  # fmt: skip
        seen = [p + b for _m, p, b in stub.requests]
    out = capsys.readouterr()
    assert code != 0
    assert "the access token for client acme is invalid or expired: create a new one" in out.err
    everything = out.out + out.err + caplog.text + json.dumps(log_rows(db_url), default=str)
    assert BAD_TOKEN not in everything and BAD_TOKEN[8:20] not in everything
    assert all(BAD_TOKEN not in s for s in seen)
    assert query(db_url, "select to_regclass('raw_meta.ad_daily')") == [(None,)]
    assert {r[1] for r in log_rows(db_url)} == {"failed"}


def test_a_refused_parameter_is_named(db_url, monkeypatch, capsys):
    with server() as stub:
        use_env(monkeypatch, stub, SOURCES__META__ACTION_ATTRIBUTION_WINDOWS='["9d_click"]')
        code = cli.main(["load", "meta", "--client", "acme", "--date", str(day(2)),
                         "--from", str(day(0))])  # fmt: skip
        assert code == 2  # --date with --from
        code = cli.main(["load", "meta", "--client", "acme", "--from", str(day(0)),
                         "--to", str(day(1))])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "action_attribution_windows" in err and "9d_click" in err


def test_a_long_throttle_leaves_days_pending_and_the_next_run_takes_them(db_url, monkeypatch):
    days = [day(n) for n in range(4)]
    with server() as stub:
        stub.data.update({(ACCOUNT, d): ads_for(n) for n, d in enumerate(days)})
        stub.fail_next("80000", path="/insights", regain_minutes=30)
        cfg = settings(stub)
        outcome = meta.load(db_url, ["acme"], days, cfg, today=TODAY, echo=quiet)
        problem = outcome.problem()
        assert {r.status for r in outcome.results} == {"pending"}
        assert "pending: acme 2026-01-01..2026-01-04" in problem and "30 min" in problem
        # a short wait within --max-wait is waited out
        stub.fail_next("17", path="/insights", regain_minutes=0.001)
        other = meta.load(db_url, ["acme"], [day(1)], cfg, max_wait=5, today=TODAY, echo=quiet)
    assert {r.day for r in other.results} == set(days)  # the pending days came along
    assert {r.status for r in other.results} == {"loaded"}
    assert sorted(raw_by_day(db_url)) == days


def test_a_job_still_running_at_the_poll_timeout_is_left_pending(db_url):
    with server(polls_to_complete=10_000) as stub:
        stub.data[(ACCOUNT, day(0))] = ads_for(0)
        cfg = settings(stub)
        outcome = meta.load(
            db_url, ["acme"], [day(0)], cfg, poll_timeout=0.1, echo=quiet, today=TODAY
        )
    assert [r.status for r in outcome.results] == ["pending"]
    assert "not completed within 0.1 s" in outcome.results[0].message


def test_timeouts_resets_and_high_usage_are_survived(db_url, caplog):
    with server() as stub:
        stub.data[(ACCOUNT, day(0))] = ads_for(0)
        stub.usage_pct = 90
        stub.fail_next("hang", seconds=1.5)
        stub.fail_next("reset")
        stub.fail_next("500", path="/insights")
        cfg = settings(stub, request_timeout=0.5)
        with caplog.at_level(logging.INFO, logger="adwh"):
            outcome = meta.load(db_url, ["acme"], [day(0)], cfg, echo=quiet, today=TODAY)
    assert outcome.problem() is None
    assert "usage at 90%" in caplog.text
    assert "ReadTimeout" in caplog.text


def test_the_demo_step_loads_its_days_through_the_stand_in(db_url):
    from loaders.demo import meta_demo

    window = [TODAY - dt.timedelta(days=i) for i in range(30, 0, -1)]
    lines: list[str] = []
    meta_demo.serve_and_load(db_url, window, lines.append)
    assert "7 days loaded" in lines[-1]
    assert query(db_url, "select count(distinct report_date), count(*) from raw_meta.ad_daily") == [
        (7, 7 * len(meta_demo.ADS))
    ]
