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
