"""CLI contracts: exit codes and one clear line on stderr."""

from __future__ import annotations

from loaders import cli


def test_demo_refuses_an_external_warehouse(monkeypatch, capsys):
    monkeypatch.setenv("ADWH_DATABASE_URL", "postgresql://u:pw-not-shown@db.example:5432/wh")
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "--allow-external" in err
    assert "pw-not-shown" not in err


def test_conflicting_date_options_are_a_usage_error(capsys):
    code = cli.main(
        [
            "load",
            "surfside",
            "--client",
            "a",
            "--date",
            "2026-01-01",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
        ]
    )
    assert code == 2
    assert "either --date or --from/--to" in capsys.readouterr().err


def test_bad_date_is_a_usage_error(capsys):
    assert cli.main(["load", "surfside", "--client", "a", "--date", "01/02/2026"]) == 2
    assert "is not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_backfill_range_must_be_ordered(capsys):
    code = cli.main(
        ["load", "surfside", "--client", "a", "--from", "2026-02-01", "--to", "2026-01-01"]
    )
    assert code == 2
    assert "--from 2026-02-01 is after --to 2026-01-01" in capsys.readouterr().err


def test_old_bidder_verbs_still_work_with_a_deprecation_notice(capsys):
    # `adwh load creatives` / `adwh load performance` are aliases of `adwh load bidder`: they
    # refuse a missing file the same way and say which command replaces them
    assert cli.main(["load", "creatives", "/nonexistent/catalog.csv"]) != 0
    err = capsys.readouterr().err
    assert "deprecated" in err and "adwh load bidder --catalog" in err
    assert cli.main(["load", "performance", "/nonexistent/perf.csv"]) != 0
    assert "adwh load bidder FILE" in capsys.readouterr().err
