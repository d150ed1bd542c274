"""A database that goes away during a load: one clear line, no dlt retry tracebacks (unless -v)."""

from __future__ import annotations

import datetime as dt

from helpers.receivers import free_port
from helpers.surfside_env import surfside_env

from loaders import cli

D1 = dt.date(2026, 3, 1)
CSV = (
    "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,Conversion Revenue\n"
    f"{D1},Spring,Contextual,Display,A,1000,10,1,5\n"
)


def _gone_database(monkeypatch, s3, bucket) -> None:
    s3.client().put_object(Bucket=bucket, Key=f"surfside/acme/{D1}.csv", Body=CSV.encode())
    port = free_port()  # nothing listens there: the warehouse is down
    monkeypatch.setenv("ADWH_DATABASE_URL", f"postgresql://postgres:pw-x1y2@127.0.0.1:{port}/wh")
    surfside_env(monkeypatch, s3, bucket, "surfside/{client}/{date}.csv")
    monkeypatch.delenv("RUNTIME__LOG_LEVEL", raising=False)


def test_a_lost_database_is_one_line_naming_client_and_day(monkeypatch, s3, bucket, capfd):
    _gone_database(monkeypatch, s3, bucket)
    assert cli.main(["load", "surfside", "--client", "acme", "--date", str(D1)]) == 1
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines == [
        "adwh: error: the database went away during the load of surfside for client acme, "
        f"day {D1}; nothing of it was written; start the database (`adwh db status`) and run "
        "it again (-v for details)"
    ]
    assert "pw-x1y2" not in err


def test_verbose_shows_the_details(monkeypatch, s3, bucket, capfd):
    _gone_database(monkeypatch, s3, bucket)
    assert cli.main(["-v", "load", "surfside", "--client", "acme", "--date", str(D1)]) == 1
    err = capfd.readouterr().err
    assert "Traceback" in err and "the database went away" in err
    assert "pw-x1y2" not in err
