"""The Mixpanel loader against the loopback export server: gzip JSON Lines, basic auth, the
`event` filter, UTC days, duplicates landed (staging dedupes), the query plan and budget,
429 back-off, 401/400 messages, a stream cut midway, idempotent re-runs, bad lines."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import query
from mixpanel_server import PROJECT, SECRET, event, server, settings, use_env

from loaders.sources import mixpanel
from loaders.sources.mixpanel.api import QueryBudget, Throttled

UTC = dt.UTC
D1, D2, D3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def sample() -> list[dict]:
    return [
        event("RC Trial started", "u1", at(D1, 0, 5), "i1", product_id="pro", ad_id="a1",
              adset_id="s1", campaign_id=111, mp_country_code="US"),
        event("App Open", "u1", at(D1, 0, 6), "n1"),  # noise: asked away by `event`
        event("RC Initial purchase", "u2", at(D1, 23, 59), "i2", product_id="pro",
              revenue="9.99", mp_country_code="DE"),
        event("RC Trial converted", "u1", at(D2, 0, 0), "i3", product_id="pro", revenue=29.99),
        event("RC Cancellation", "u2", at(D3, 12), "i4", product_id="pro", revenue=-9.99),
        event("Screen View", "u3", at(D3, 13), "n2"),
    ]  # fmt: skip


def quiet(_line: str) -> None:
    pass


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def raw(url: str) -> list[tuple]:
    return query(
        url,
        "select report_date, event_role, distinct_id, insert_id, product_id, revenue, "
        "country_code, campaign_id, ad_id from raw_mixpanel.events "
        "order by event_time, source_row_number",
    )


def test_a_range_lands_the_configured_events_with_duplicates_by_utc_day(db_url, capsys):
    with server(duplicate_every=3) as stub:
        stub.events[PROJECT] = sample()
        said: list[str] = []
        outcome = mixpanel.load(db_url, ["acme"], [D1, D2, D3], settings(stub), echo=said.append)
    assert outcome.problem() is None
    # one query for the three days, gzip asked for, only the four configured names
    assert len(stub.queries) == 1
    q = stub.queries[0]
    assert (q["from_date"], q["to_date"], q["project_id"], q["gzip"]) == (
        "2026-03-01", "2026-03-03", str(PROJECT), True)  # fmt: skip
    assert sorted(eval(q["event"])) == sorted(settings(stub).events.values())  # noqa: S307
    rows = raw(db_url)
    # event 3 of the stored six (the initial purchase) was sent twice: both landed
    assert [r[:3] for r in rows] == [
        (D1, "trial_started", "u1"),
        (D1, "initial_purchase", "u2"),
        (D1, "initial_purchase", "u2"),
        (D2, "trial_converted", "u1"),
        (D3, "cancellation", "u2"),
    ]
    assert rows[0][6:] == ("US", "111", "a1")  # a numeric id kept as text
    assert rows[1][5] == 9.99 and rows[4][5] == -9.99
    per_day = {r.day: (r.status, r.rows) for r in outcome.results}
    assert per_day == {D1: ("loaded", 3), D2: ("loaded", 1), D3: ("loaded", 1)}
    log = query(db_url, "select report_date, status, rows_loaded from adwh_ops.ingestion_log "
                "where source = 'mixpanel' order by 1")  # fmt: skip
    assert log == [(D1, "loaded", 3), (D2, "loaded", 1), (D3, "loaded", 1)]
    assert "1 export query: 2026-03-01..2026-03-03" in said[0]
    assert SECRET not in " ".join(said) + capsys.readouterr().err


def test_rerun_changes_nothing_and_an_emptied_day_is_emptied(db_url):
    with server() as stub:
        stub.events[PROJECT] = sample()
        cfg = settings(stub)
        mixpanel.load(db_url, ["acme"], [D1, D2, D3], cfg, echo=quiet)
        first = raw(db_url)
        mixpanel.load(db_url, ["acme"], [D1, D2, D3], cfg, echo=quiet)
        assert raw(db_url) == first
        stub.events[PROJECT] = [e for e in sample() if e["event"] != "RC Trial converted"]
        outcome = mixpanel.load(db_url, ["acme"], [D2], cfg, echo=quiet)
    assert [(r.day, r.status, r.rows) for r in outcome.results] == [(D2, "loaded", 0)]
    assert [r[1] for r in raw(db_url)] == ["trial_started", "initial_purchase", "cancellation"]


def test_the_plan_cuts_ranges_and_a_daily_run_re_exports_the_lookback():
    days = [D1 + dt.timedelta(days=i) for i in range(90)]
    ranges = mixpanel.plan(days, 31)
    assert [(a.isoformat(), b.isoformat()) for a, b in ranges] == [
        ("2026-03-01", "2026-03-31"), ("2026-04-01", "2026-05-01"), ("2026-05-02", "2026-05-29")
    ]  # fmt: skip
    lookback = mixpanel.target_days([D3], refetch=True, lookback=7)
    assert lookback == [D3 - dt.timedelta(days=i) for i in range(6, -1, -1)]
    assert mixpanel.plan([D1, D3], 31) == [(D1, D1), (D3, D3)]  # a gap: two queries


def test_the_query_budget_spaces_queries_per_second_and_per_hour():
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    budget = QueryBudget(3, 60, max_wait=3600, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        budget.acquire()
    assert waits == []
    budget.acquire()  # the 4th within the same second waits for the second to pass
    assert waits == [1.0]
    for _ in range(56):
        budget.acquire()
    assert len(budget.sent) == 60
    waited = sum(waits)
    budget.acquire()  # the 61st within the hour waits until the first is an hour old
    assert now[0] == pytest.approx(3600.0) and sum(waits) - waited > 3000
    tight = QueryBudget(3, 1, max_wait=10, clock=lambda: now[0], sleep=sleep)
    tight.acquire()
    with pytest.raises(Throttled, match="60 min; --max-wait 10 s"):
        tight.acquire()


def test_429_backs_off_and_resumes_and_a_spent_budget_leaves_days_failed(db_url):
    sleeps = Sleeps()
    with server() as stub:
        stub.events[PROJECT] = sample()
        stub.fail_next("429")
        stub.fail_next("429")
        cfg = settings(stub, throttle_backoff=30.0)
        outcome = mixpanel.load(db_url, ["acme"], [D1], cfg, sleep=sleeps, echo=quiet)
        assert outcome.problem() is None
        assert sleeps == [30.0, 60.0]  # throttle_backoff x attempt
        assert len(stub.queries) == 3
        # two ranges, one query left in Mixpanel's budget: the first range loads
        stub.reset_budget(1)
        cfg = settings(stub, max_attempts=2)
        outcome = mixpanel.load(db_url, ["acme"], [D1, D3], cfg, sleep=sleeps, echo=quiet)
        assert [(r.day, r.status) for r in outcome.results] == [(D1, "loaded"), (D3, "failed")]
        assert "HTTP 429" in outcome.problem()
        stub.reset_budget(None)  # the next run picks the day up
        outcome = mixpanel.load(db_url, ["acme"], [D3], cfg, sleep=sleeps, echo=quiet)
    assert outcome.problem() is None
    assert [r[1] for r in raw(db_url)] == ["trial_started", "initial_purchase", "cancellation"]


def test_401_and_400_are_named_and_nothing_is_retried(db_url):
    with server() as stub:
        stub.events[PROJECT] = sample()
        outcome = mixpanel.load(db_url, ["acme"], [D1], settings(stub, secret="wrong-secret"),
                                echo=quiet)  # fmt: skip
        assert "Mixpanel rejected the service account for client acme" in outcome.problem()
        assert len(stub.queries) == 1
        stub.fail_next("400")
        outcome = mixpanel.load(db_url, ["acme"], [D1], settings(stub), echo=quiet)
    assert "refused a parameter (HTTP 400): to_date: cannot be in the future" in outcome.problem()
    assert len(stub.queries) == 2
    assert "wrong-secret" not in outcome.problem()


def test_a_stream_cut_midway_is_exported_again_and_loaded_once(db_url):
    with server() as stub:
        stub.events[PROJECT] = sample()
        stub.fail_next("500")
        stub.fail_next("cut")
        outcome = mixpanel.load(db_url, ["acme"], [D1, D2, D3], settings(stub), echo=quiet)
    assert outcome.problem() is None
    assert len(stub.queries) == 3
    assert len(raw(db_url)) == 4


def test_a_bad_line_fails_its_range_naming_it_and_other_ranges_load(db_url):
    with server() as stub:
        bad = event("RC Initial purchase", "u9", at(D3, 9), "i9", product_id="pro",
                    revenue="ten dollars")  # fmt: skip
        stub.events[PROJECT] = [*sample(), bad]
        outcome = mixpanel.load(db_url, ["acme"], [D1, D3], settings(stub), echo=quiet)
    assert [(r.day, r.status) for r in outcome.results] == [(D1, "loaded"), (D3, "failed")]
    assert "export 2026-03-03, line 2: property revenue (revenue) is not a number" in (
        outcome.problem()
    )
    assert [r[0] for r in raw(db_url)] == [D1, D1]


def test_cli_reads_the_dlt_config_and_exits_non_zero_on_a_rejected_account(
    db_url, monkeypatch, capsys
):
    from loaders import cli

    with server() as stub:
        stub.events[PROJECT] = sample()
        use_env(monkeypatch, stub)
        code = cli.main(["load", "mixpanel", "--client", "acme", "--from", "2026-03-01",
                         "--to", "2026-03-03"])  # fmt: skip
        ok = capsys.readouterr()
        assert code == 0, ok.err
        assert "all 3 day(s) loaded (1 export queries)" in ok.out
        use_env(monkeypatch, stub, secret="not-the-secret")
        code = cli.main(["load", "mixpanel", "--client", "acme", "--date", "2026-03-03"])
        bad = capsys.readouterr()
    assert code != 0
    assert "Mixpanel rejected the service account for client acme" in bad.err
    assert "not-the-secret" not in bad.out + bad.err and SECRET not in ok.out + ok.err


def test_a_missing_or_malformed_client_setting_is_named_with_where_it_belongs(monkeypatch):
    from loaders.core.errors import ConfigError
    from loaders.sources.mixpanel.settings import load_settings

    prefix = "SOURCES__MIXPANEL__CLIENTS__ACME__"
    monkeypatch.setenv(prefix + "PROJECT_ID", "4242")
    monkeypatch.setenv(prefix + "USERNAME", "svc.acme")
    monkeypatch.delenv(prefix + "SECRET", raising=False)
    with pytest.raises(ConfigError) as missing:
        load_settings(["acme"])
    assert str(missing.value) == (
        "sources.mixpanel.clients.acme.secret is not set "
        "(.dlt/secrets.toml or SOURCES__MIXPANEL__CLIENTS__ACME__SECRET)"
    )
    monkeypatch.setenv(prefix + "SECRET", "s3cr3t-value")
    monkeypatch.setenv(prefix + "PROJECT_ID", "42x")
    with pytest.raises(ConfigError, match=r"clients\.acme\.project_id must be a number"):
        load_settings(["acme"])
    monkeypatch.setenv(prefix + "PROJECT_ID", "4242")
    monkeypatch.setenv("SOURCES__MIXPANEL__LOOKBACK_DAYS", "3")
    loaded = load_settings(["acme"])
    assert (loaded.client("acme").project_id, loaded.lookback_days) == (4242, 3)
