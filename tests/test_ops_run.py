"""`adwh run`: schedule decisions, --dry-run, the advisory lock that keeps runs apart."""

from __future__ import annotations

import datetime as dt

from conftest import query

from loaders import cli
from loaders.ops import schedule
from loaders.ops.lock import run_lock

DAILY = schedule.Entry("surfside", ("acme",), "daily", 6)
HOURLY = schedule.Entry("vibe", ("acme",), "hourly", 0)


def at(hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def test_a_daily_source_is_due_once_a_day_from_its_hour():
    assert not schedule.decide(DAILY, at(5, 59), None).due
    assert schedule.decide(DAILY, at(6), None).due
    # loaded yesterday evening: due again today from 06:00
    assert schedule.decide(DAILY, at(6, 30), at(22, day=1)).due
    # loaded today at 06:05: not due again at 14:00
    assert not schedule.decide(DAILY, at(14), at(6, 5)).due
    # a failed attempt is no success: still due (last_success stays yesterday's)
    assert schedule.decide(DAILY, at(7), at(6, 5, day=1)).due
    assert schedule.decide(DAILY, at(14), at(6, 5), force=True).due


def test_an_hourly_source_is_due_once_an_hour():
    assert schedule.decide(HOURLY, at(9, 10), at(8, 59)).due
    assert not schedule.decide(HOURLY, at(9, 50), at(9, 1)).due


def test_dry_run_lists_due_loaders_and_skips_file_drop_sources(db_url, monkeypatch, capsys):
    monkeypatch.setenv("SCHEDULE__SURFSIDE__CLIENTS", '["acme", "globex"]')
    monkeypatch.setenv("SCHEDULE__SURFSIDE__AFTER_HOUR_UTC", "0")
    monkeypatch.setenv("SCHEDULE__FACEBOOK__CLIENTS", '["acme"]')
    monkeypatch.setenv("SCHEDULE__MIXPANEL__CLIENTS", '["globex"]')
    monkeypatch.setenv("SCHEDULE__BUILD__SELECT", "tag:daily")
    monkeypatch.setenv("SCHEDULE__BUILD__FULL_SCAN_TESTS", "true")
    assert cli.main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would run: adwh load surfside --client acme --client globex" in out
    assert "not due:   load facebook  (not a client+day loader" in out
    # not a spend source (no registry line), but a client+day loader: scheduled too
    assert "would run: adwh load mixpanel --client globex" in out
    assert (
        "would run: dbt build --select tag:daily --vars {full_scan_tests: true} "
        "--exclude-resource-type unit_test\n" in out
    )
    # a dry run changes nothing: no run recorded, no audit row
    assert query(
        db_url, "select to_regclass('adwh_ops.runs'), to_regclass('adwh_ops.audit_log')"
    ) == [(None, None)]


def test_unit_tests_join_the_scheduled_build_only_when_asked(db_url, monkeypatch, capsys):
    monkeypatch.setenv("SCHEDULE__BUILD__UNIT_TESTS", "true")
    assert cli.main(["run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would run: dbt build\n" in out
    assert "unit_test" not in out


def test_a_bad_schedule_is_a_configuration_error(db_url, monkeypatch, capsys):
    monkeypatch.setenv("SCHEDULE__SURFSIDE__CLIENTS", '["acme"]')
    monkeypatch.setenv("SCHEDULE__SURFSIDE__CADENCE", "weekly")
    assert cli.main(["run", "--dry-run"]) == 2
    assert "schedule.surfside.cadence: 'weekly' is not daily or hourly" in capsys.readouterr().err


def test_a_second_run_exits_at_once_while_one_holds_the_lock(db_url, capsys):
    with run_lock(db_url):
        assert cli.main(["run"]) == 3
    err = capsys.readouterr().err
    assert "another `adwh run` is in progress (database session" in err
    assert query(db_url, "select to_regclass('adwh_ops.runs')") == [(None,)]
    # the refused run is audited as such
    assert query(db_url, "select command, outcome, exit_code from adwh_ops.audit_log") == [
        ("run", "failed", 3)
    ]
