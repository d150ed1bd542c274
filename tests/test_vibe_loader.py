"""Vibe loader against a real Postgres and the Vibe stand-in on loopback (real HTTP, no patches).

Expected figures are worked out by hand from the fixture rows written here.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from conftest import REPO, query
from vibe_server import ADV, ADV2, KEY, KEY2, row, server, settings, use_env

from loaders import cli
from loaders.core.errors import ConfigError
from loaders.sources import vibe

D0 = dt.date(2026, 3, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def quiet(_line: str) -> None:
    pass


def raw_by_day(url: str, client: str = "acme") -> list[tuple]:
    return query(
        url,
        "select report_date, count(*), sum(impressions), sum(spend) "
        "from raw_vibe.daily_performance where client_id = %s group by 1 order by 1",
        (client,),
    )


def ledger(url: str) -> list[tuple]:
    return query(
        url,
        "select distinct on (client_id, report_date) client_id, report_date, status, report_id, "
        "rows_loaded, error from adwh_ops.vibe_report_requests "
        "order by client_id, report_date, request_id desc",
    )


def log_rows(url: str) -> list[tuple]:
    return query(
        url,
        "select report_date, status, rows_loaded, message from adwh_ops.ingestion_log "
        "where source = 'vibe' order by log_id",
    )


def creation_days(stub) -> list[dt.date]:
    return [d for c in stub.creations for d in c.days]


# --- planning (no server) -----------------------------------------------------------------------


def test_thirteen_months_of_history_cost_nine_reports():
    days = vibe.days_between(dt.date(2025, 1, 1), dt.date(2026, 1, 31))
    chunks = vibe.group_days(days, max_days=45, single_up_to=3)
    assert len(days) == 396
    assert len(chunks) == 9  # ceil(396 / 45)
    assert [len(c) for c in chunks] == [45] * 8 + [36]
    assert [d for c in chunks for d in c] == days


def test_a_daily_run_asks_one_report_per_day_and_refetches_the_day_before():
    targets = vibe.with_refetch([day(10)], refetch_days=1)
    assert targets == [day(9), day(10)]
    assert vibe.group_days(targets, 45, 3) == [[day(9)], [day(10)]]
    # gaps split reports even when grouping
    days = [day(i) for i in (1, 2, 3, 4, 8, 9)]
    assert vibe.group_days(days, 45, 3) == [days[:4], days[4:]]


def test_settings_the_dlt_way_and_a_missing_key_is_named(monkeypatch):
    monkeypatch.setenv("SOURCES__VIBE__CLIENTS__ACME__ADVERTISER_ID", ADV)
    monkeypatch.setenv("SOURCES__VIBE__CLIENTS__ACME__API_KEY", KEY)
    cfg = vibe.load_settings(["acme"])
    assert cfg.base_url == "https://clear-platform.vibe.co/rest/reporting/v1"
    assert cfg.client("acme").advertiser_id == ADV
    assert (cfg.refetch_days, cfg.max_report_days, cfg.poll_timeout) == (1, 45, 1800)
    assert KEY not in repr(cfg)
    monkeypatch.delenv("SOURCES__VIBE__CLIENTS__ACME__API_KEY")
    with pytest.raises(ConfigError, match="SOURCES__VIBE__CLIENTS__ACME__API_KEY"):
        vibe.load_settings(["acme"])


# --- acceptance ---------------------------------------------------------------------------------


def test_ninety_day_backfill_lands_ninety_days_with_two_creations(db_url):
    first, last = day(0), day(89)
    with server() as stub:
        for i in range(90):
            stub.data[(ADV, day(i))] = [row("A", 1000 + i, 900, 1, "10.00", "20.5000")]
        lines: list[str] = []
        outcome = vibe.load(
            db_url, ["acme"], vibe.days_between(first, last), settings(stub), echo=lines.append
        )

        assert outcome.problem() is None
        assert stub.creation_count() == 2
        assert [(c.start_date, c.end_date) for c in stub.creations] == [
            (day(0), day(44)),
            (day(45), day(89)),
        ]
        body = stub.creations[0].body
        assert body["format"] == "csv" and body["granularity"] == "day"
        assert body["timezone"] == "UTC" and body["advertiser_id"] == ADV
        assert {"impressions", "spend", "number_of_purchases", "completed_views"} <= set(
            body["metrics"]
        )
        assert {"impression_date", "campaign_name", "strategy_name", "channel_name"} <= set(
            body["dimensions"]
        )
        # the pre-signed download URL never gets the API key
        assert len(stub.downloads) == 2 and not any(d.had_api_key for d in stub.downloads)
    assert f"plan vibe acme: 90 day(s): 2 new report(s) ({day(0)}..{day(44)}, " in lines[0]
    rows = raw_by_day(db_url)
    assert len(rows) == 90 and {r[1] for r in rows} == {1}
    # impressions 1000 + i for i in 0..89 = 90 * 1000 + 89 * 90 / 2
    assert sum(r[2] for r in rows) == 94005
    assert {r[2] for r in ledger(db_url)} == {"loaded"}
    lineage = query(
        db_url,
        "select report_id, report_start_date, report_end_date, advertiser_id, source_row_number, "
        "_dlt_load_id is not null from raw_vibe.daily_performance where report_date = %s",
        (day(50),),
    )
    assert lineage == [(stub.creations[1].report_id, day(45), day(89), ADV, 7, True)]


def test_daily_runs_with_a_small_budget_never_create_a_report_twice(db_url, monkeypatch, capsys):
    """20 daily runs (a catch-up after an outage) against a budget of 5 creations per window."""
    with server(budget=5) as stub:
        for i in range(21):
            stub.data[(ADV, day(i))] = [row("A", 100 * (i + 1), 50, 1, "5", "1.5")]
        use_env(monkeypatch, stub)
        codes, errors = {}, {}
        for n in range(1, 21):
            if n == 13:
                stub.advance(3600)  # the window resets
            codes[n] = cli.main(["load", "vibe", "--client", "acme", "--date", str(day(n))])
            errors[n] = capsys.readouterr().err
        stub.advance(3600)
        final = cli.main(["load", "vibe", "--client", "acme", "--date", str(day(20))])
        final_out = capsys.readouterr()

        # run 1 asks D0 and D1 (refetch), runs 2-4 one day each (the day before was loaded
        # today): 5 creations. Runs 5-12 find the window spent: everything stays pending.
        assert [codes[n] for n in range(1, 5)] == [0] * 4
        assert all(codes[n] == 1 for n in range(5, 13))
        assert f"pending: acme {day(5)}..{day(12)}" in errors[12]
        assert "the report-creation window resets at" in errors[12]
        assert "the next run picks them up" in errors[12]
        # run 13 (new window): D5..D13 in one report, runs 14-17 one each; 18-20 pending again
        assert [codes[n] for n in range(13, 18)] == [0] * 5
        assert all(codes[n] == 1 for n in range(18, 21))
        assert f"pending: acme {day(18)}..{day(20)}" in errors[20]
        assert final == 0, final_out.err
        spans = [(c.start_date, c.end_date) for c in stub.creations]
        assert spans == [
            (day(0), day(0)),
            (day(1), day(1)),
            (day(2), day(2)),
            (day(3), day(3)),
            (day(4), day(4)),
            (day(5), day(13)),
            (day(14), day(14)),
            (day(15), day(15)),
            (day(16), day(16)),
            (day(17), day(17)),
            (day(18), day(18)),  # three days left: one report per day again
            (day(19), day(19)),
            (day(20), day(20)),
        ]
        created = creation_days(stub)
        assert len(created) == len(set(created)) == 21  # no day requested twice
        assert stub.rate_limited >= 1
    rows = raw_by_day(db_url)
    assert [(r[0], r[1], r[2]) for r in rows] == [(day(i), 1, 100 * (i + 1)) for i in range(21)]
    statuses = {s for _, s, _, _ in log_rows(db_url)}
    assert statuses == {"loaded", "pending", "skipped"}


def test_budget_spent_mid_run_loads_what_it_can_then_waits_when_allowed(db_url):
    with server(budget=2, window_seconds=1.5) as stub:
        for i in range(3):
            stub.data[(ADV, day(i))] = [row("A", 10 + i)]
        cfg = settings(stub, refetch_days=2)
        lines: list[str] = []
        first = vibe.load(db_url, ["acme"], [day(2)], cfg, refetch=True, echo=lines.append)
        assert [(r.day, r.status) for r in first.results] == [
            (day(0), "loaded"),
            (day(1), "loaded"),
            (day(2), "pending"),
        ]
        assert f"pending: acme {day(2)}" in first.problem()
        started = time.monotonic()
        second = vibe.load(db_url, ["acme"], [day(2)], cfg, refetch=True, max_wait=10, echo=quiet)
        waited = time.monotonic() - started
        assert [(r.day, r.status) for r in second.results] == [
            (day(0), "skipped"),
            (day(1), "skipped"),
            (day(2), "loaded"),
        ]
        assert second.problem() is None
        assert waited < 8
        assert creation_days(stub) == [day(0), day(1), day(2)]
    assert [(r[0], r[2]) for r in raw_by_day(db_url)] == [(day(0), 10), (day(1), 11), (day(2), 12)]


def test_killed_between_creation_and_download_the_rerun_downloads_that_report(db_url, monkeypatch):
    with server() as stub:
        stub.data[(ADV, day(3))] = [row("A", 4321, 4000, 2, "30", "70.25")]
        stub.hold()  # the report stays `processing` while the first run polls it
        use_env(monkeypatch, stub)
        args = ["load", "vibe", "--client", "acme", "--from", str(day(3)), "--to", str(day(3))]
        proc = subprocess.Popen(
            [sys.executable, "-m", "loaders", *args],
            cwd=REPO,
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            # polled at least twice: the ledger row was committed before the first poll
            while stub.status_polls() < 2 and proc.poll() is None:
                assert time.monotonic() < deadline, "the loader never polled"
                time.sleep(0.05)
            assert proc.poll() is None, proc.stderr.read().decode()
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert stub.creation_count() == 1
        assert ledger(db_url)[0][2] in ("created", "processing")

        stub.release()
        code = cli.main(args)
        assert code == 0
        assert stub.creation_count() == 1  # resumed, not created again
        report_id = stub.creations[0].report_id
    assert raw_by_day(db_url) == [(day(3), 1, 4321, Decimal("70.25"))]
    assert ledger(db_url) == [("acme", day(3), "loaded", report_id, 1, None)]


def test_injected_500s_hangs_and_resets_are_retried_and_the_load_completes(db_url):
    with server(hang_seconds=0.6) as stub:
        stub.data[(ADV, day(1))] = [row("A", 500)]
        stub.fail_next(2, "500", "create_async_report")
        stub.fail_next(1, "hang", "create_async_report")
        stub.fail_next(1, "503", "get_report_status")
        stub.fail_next(1, "hang", "get_report_status")
        stub.fail_next(1, "reset", "download")
        cfg = settings(stub, request_timeout=0.3, max_attempts=5)
        outcome = vibe.load(db_url, ["acme"], [day(1)], cfg, echo=quiet)
        assert outcome.problem() is None
        assert stub.creation_count() == 1  # the failed attempts created nothing
        failed = [r for r in stub.requests if r.status in (0, 500, 503)]
        assert len(failed) == 6
    assert raw_by_day(db_url) == [(day(1), 1, 500, 0)]


def test_persistent_errors_fail_the_day_after_bounded_retries_and_the_next_run_retries(db_url):
    with server() as stub:
        stub.data[(ADV, day(1))] = [row("A", 500)]
        stub.fail_next(50, "500", "create_async_report")
        cfg = settings(stub, max_attempts=3)
        outcome = vibe.load(db_url, ["acme"], [day(1)], cfg, echo=quiet)
        assert [r.status for r in outcome.results] == ["failed"]
        assert "failed after 3 attempt(s) (HTTP 500)" in outcome.problem()
        assert sum(1 for r in stub.requests if r.endpoint == "create_async_report") == 3
        assert ledger(db_url)[0][2:4] == ("failed", None)

        stub._faults.clear()
        # a later run for another day takes the failed day up as well
        again = vibe.load(db_url, ["acme"], [day(2)], cfg, echo=quiet)
        assert [(r.day, r.status) for r in again.results] == [
            (day(1), "loaded"),
            (day(2), "loaded"),
        ]


def test_bad_key_gives_a_clear_message_and_the_key_appears_nowhere(
    db_url, monkeypatch, capsys, caplog
):
    wrong = "vk_live_WRONG_k3y_d0_n0t_print"
    with server() as stub:
        stub.data[(ADV, day(1))] = [row("A", 1)]
        use_env(monkeypatch, stub, key=wrong)
        with caplog.at_level(logging.DEBUG):
            code = cli.main(["-v", "load", "vibe", "--client", "acme", "--date", str(day(1))])
        out, err = capsys.readouterr()
        assert stub.creation_count() == 0
    assert code == 1
    assert "invalid API key for client acme" in err
    assert "invalid API key for client acme" in out  # the per-day lines
    stored = query(
        db_url,
        "select coalesce(string_agg(message, ' '), '') from adwh_ops.ingestion_log "
        "union all select coalesce(string_agg(error, ' '), '') "
        "from adwh_ops.vibe_report_requests",
    )
    assert "invalid API key for client acme" in stored[0][0]
    for text in (out, err, caplog.text, stored[0][0], stored[1][0]):
        assert wrong not in text
        assert wrong[8:20] not in text


def test_a_key_without_access_to_the_advertiser_is_named(db_url):
    with server() as stub:
        cfg = settings(stub, clients={"acme": vibe.VibeClient("acme", ADV2, KEY)})
        outcome = vibe.load(db_url, ["acme"], [day(1)], cfg, echo=quiet)
    assert outcome.results[0].status == "failed"
    assert f"the API key of client acme has no access to advertiser '{ADV2}'" in (
        outcome.results[0].message
    )


def test_an_error_report_is_logged_with_the_vendor_message_and_other_days_load(db_url):
    with server() as stub:
        for i in (1, 2, 3):
            stub.data[(ADV, day(i))] = [row("A", 10 * i)]
        stub.error_days[(ADV, day(2))] = "query exceeded the maximum execution time"
        cfg = settings(stub)
        outcome = vibe.load(db_url, ["acme"], vibe.days_between(day(1), day(3)), cfg, echo=quiet)
        assert [(r.day, r.status) for r in outcome.results] == [
            (day(1), "loaded"),
            (day(2), "failed"),
            (day(3), "loaded"),
        ]
        assert "ended in error: query exceeded the maximum execution time" in outcome.problem()
        assert [(d, s) for d, s, _, _ in log_rows(db_url)] == [
            (day(1), "loaded"),
            (day(2), "failed"),
            (day(3), "loaded"),
        ]
        state = {d: (s, e) for _, d, s, _, _, e in ledger(db_url)}
        assert state[day(2)][0] == "error"
        assert "query exceeded the maximum execution time" in state[day(2)][1]

        # the next run asks for the failed day again, and only for it
        del stub.error_days[(ADV, day(2))]
        again = vibe.load(db_url, ["acme"], vibe.days_between(day(1), day(3)), cfg, echo=quiet)
        assert [r.status for r in again.results] == ["skipped", "loaded", "skipped"]
        assert creation_days(stub) == [day(1), day(2), day(3), day(2)]
    assert [(r[0], r[2]) for r in raw_by_day(db_url)] == [(day(1), 10), (day(2), 20), (day(3), 30)]


def test_rerunning_a_day_replaces_it_and_an_emptied_day_loses_its_rows(db_url):
    with server() as stub:
        stub.data[(ADV, day(1))] = [row("A", 100, spend="1"), row("B", 200, spend="2")]
        stub.data[(ADV, day(2))] = [row("A", 7)]
        cfg = settings(stub)
        days = [day(1), day(2)]
        vibe.load(db_url, ["acme"], days, cfg, echo=quiet)
        assert raw_by_day(db_url) == [(day(1), 2, 300, 3), (day(2), 1, 7, 0)]

        # same day again without --force: loaded today, nothing requested
        skipped = vibe.load(db_url, ["acme"], days, cfg, echo=quiet)
        assert [r.status for r in skipped.results] == ["skipped", "skipped"]
        assert stub.creation_count() == 2

        stub.data[(ADV, day(1))] = [row("C", 150, spend="4")]
        stub.data[(ADV, day(2))] = []  # nothing ran that day after all
        forced = vibe.load(db_url, ["acme"], days, cfg, force=True, echo=quiet)
        assert [(r.status, r.rows) for r in forced.results] == [("loaded", 1), ("loaded", 0)]
    assert raw_by_day(db_url) == [(day(1), 1, 150, 4)]
    assert query(db_url, "select creative_name from raw_vibe.daily_performance") == [("C",)]


def test_the_refetch_window_restates_the_previous_day(db_url):
    with server() as stub:
        stub.data[(ADV, day(4))] = [row("A", 1000)]
        stub.data[(ADV, day(5))] = [row("A", 400)]  # partial: figures still moving
        cfg = settings(stub)
        vibe.load(db_url, ["acme"], [day(5)], cfg, refetch=True, today=day(6), echo=quiet)
        assert raw_by_day(db_url) == [(day(4), 1, 1000, 0), (day(5), 1, 400, 0)]

        stub.data[(ADV, day(5))] = [row("A", 950), row("B", 50)]  # settled
        stub.data[(ADV, day(6))] = [row("A", 800)]
        next_day = vibe.load(
            db_url, ["acme"], [day(6)], cfg, refetch=True, today=day(7), echo=quiet
        )
        assert [(r.day, r.status) for r in next_day.results] == [
            (day(5), "loaded"),
            (day(6), "loaded"),
        ]
        assert creation_days(stub) == [day(4), day(5), day(5), day(6)]
    assert raw_by_day(db_url) == [(day(4), 1, 1000, 0), (day(5), 2, 1000, 0), (day(6), 1, 800, 0)]


def test_a_report_with_an_unexpected_header_is_refused_whole(db_url):
    with server() as stub:
        stub.data[(ADV, day(1))] = [row("A", 10), row("B", 20)]
        stub.drop_columns = {"spend", "completed_views"}
        outcome = vibe.load(db_url, ["acme"], [day(1)], settings(stub), echo=quiet)
        report_id = stub.creations[0].report_id
    result = outcome.results[0]
    assert result.status == "rejected"
    assert f"vibe://{ADV}/reports/{report_id}.csv, row 1" in result.message
    assert "missing required column(s) 'completed_views', 'spend'" in result.message
    assert query(db_url, "select to_regclass('raw_vibe.daily_performance')") == [(None,)]
    assert ledger(db_url)[0][2] == "rejected"
    assert log_rows(db_url)[0][1] == "rejected"


def test_a_report_not_ready_in_time_is_polled_again_by_the_next_run(db_url):
    with server() as stub:
        stub.data[(ADV, day(1))] = [row("A", 10)]
        stub.hold()
        cfg = settings(stub)
        first = vibe.load(db_url, ["acme"], [day(1)], cfg, poll_timeout=0.1, echo=quiet)
        assert first.results[0].status == "pending"
        assert "not ready after 0.1 s" in first.results[0].message
        assert ledger(db_url)[0][2] == "timeout"

        stub.release()
        lines: list[str] = []
        second = vibe.load(db_url, ["acme"], [day(1)], cfg, echo=lines.append)
        assert second.problem() is None
        assert stub.creation_count() == 1
        assert "1 report(s) created earlier" in lines[0]
    assert raw_by_day(db_url) == [(day(1), 1, 10, 0)]


def test_two_clients_with_their_own_keys_and_rows_outside_the_report_stay_with_it(db_url):
    with server() as stub:
        stub.data[(ADV, day(1))] = [row("A", 10), row("Z", 5, date=day(40))]
        stub.data[(ADV2, day(1))] = [row("I", 30, purchases=4)]
        outcome = vibe.load(db_url, ["acme", "initech"], [day(1)], settings(stub), echo=quiet)
        assert outcome.problem() is None
        assert {c.advertiser_id for c in stub.creations} == {ADV, ADV2}
    # the stray row keeps its vendor date, is filed under the report's day (replaced with it)
    assert query(
        db_url,
        "select client_id, creative_name, impression_date, report_date, source_row_number "
        "from raw_vibe.daily_performance order by 1, 5",
    ) == [
        ("acme", "A", day(1), day(1), 2),
        ("acme", "Z", day(40), day(1), 3),
        ("initech", "I", day(1), day(1), 2),
    ]
    assert KEY2 not in str(outcome.results)


def test_a_wrong_end_date_convention_shows_up_instead_of_doubling_a_day(db_url):
    """adwh sends end_date as the day after the last day; if Vibe read it as inclusive, the
    extra day comes back, stays with the report's own day (so it is never loaded twice) and
    the result says which setting to flip."""
    with server(end_date_exclusive=False) as stub:
        stub.data[(ADV, day(1))] = [row("A", 10)]
        stub.data[(ADV, day(2))] = [row("A", 20)]
        outcome = vibe.load(db_url, ["acme"], [day(1)], settings(stub), echo=quiet)
        assert stub.creations[0].body["end_date"] == str(day(2))
    result = outcome.results[0]
    assert result.status == "loaded"
    assert f"1 row(s) dated outside the requested days {day(1)}" in result.message
    assert "set sources.vibe.end_date_exclusive = false" in result.message
    assert query(
        db_url,
        "select impression_date, report_date from raw_vibe.daily_performance order by 1",
    ) == [(day(1), day(1)), (day(2), day(1))]
