"""Acceptance: `adwh run` through a day with a missing Surfside file and a failing dbt test.

Real parts throughout: moto's S3 server, the embedded Postgres, dbt, aiosmtpd and a webhook
receiver on loopback. Expected texts come from the fixture (file names, test names), not from
the code's output.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import query
from helpers.receivers import SmtpServer, WebhookReceiver
from helpers.surfside_env import surfside_env
from vibe_server import ADV, row, server, use_env

from loaders import cli

pytestmark = pytest.mark.slow

D0, D = dt.date(2026, 3, 1), dt.date(2026, 3, 11)  # D0 outside the lookback window
PATTERN = "surfside/{client}/media-report-{date}.csv"
HEADER = (
    "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,Conversion Revenue"
)


def body(day: dt.date, creative: str, imps: int) -> bytes:
    return f"{HEADER}\n{day},Spring,Contextual,Display,{creative},{imps},10,1,5\n".encode()


def test_a_day_with_a_missing_file_and_a_failing_test(db_url, s3, bucket, monkeypatch, capsys):
    client = s3.client()
    surfside_env(monkeypatch, s3, bucket, PATTERN)
    monkeypatch.setenv("SCHEDULE__SURFSIDE__CLIENTS", '["acme", "globex"]')
    with SmtpServer() as smtp, WebhookReceiver() as hook, server() as vibe_api:
        use_env(monkeypatch, vibe_api)
        # an earlier day of both scheduled sources, loaded, built, then edited by hand in the
        # raw table: no new load id, so the incremental build does not rebuild it; the run's
        # tests scan every partition (full_scan_tests), so the conservation test (error
        # severity) fails from now on
        monkeypatch.setenv("SCHEDULE__BUILD__FULL_SCAN_TESTS", "true")
        # (initech, a client the run does not load)
        client.put_object(
            Bucket=bucket, Key=f"surfside/initech/media-report-{D0}.csv", Body=body(D0, "Z", 500)
        )
        assert cli.main(["load", "surfside", "--client", "initech", "--date", str(D0)]) == 0
        # Vibe's raw tables exist before the first build (a source's first appearance rebuilds
        # everything); the run re-reads this day, not D0
        day_before = D - dt.timedelta(days=1)
        vibe_api.data[(ADV, day_before)] = [row("V0", 100, 50)]
        assert cli.main(["load", "vibe", "--client", "acme", "--date", str(day_before)]) == 0
        assert cli.main(["build"]) == 0
        query(db_url, "update raw_surfside.daily_performance set impressions = impressions + 1")
        # day D: globex delivered, acme did not
        client.put_object(
            Bucket=bucket, Key=f"surfside/globex/media-report-{D}.csv", Body=body(D, "G", 4000)
        )
        missing = f"surfside/acme/media-report-{D}.csv"

        # Vibe, the other scheduled source, delivers its day normally
        monkeypatch.setenv("SCHEDULE__VIBE__CLIENTS", '["acme"]')
        vibe_api.data[(ADV, D)] = [row("V1", 3000, 2000)]
        monkeypatch.setenv("ALERTS__EMAIL__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ALERTS__EMAIL__SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("ALERTS__EMAIL__STARTTLS", "false")
        monkeypatch.setenv("ALERTS__EMAIL__SENDER", "adwh@example.test")
        monkeypatch.setenv("ALERTS__EMAIL__TO", '["ops@example.test"]')
        monkeypatch.setenv("ALERTS__WEBHOOK__URL", hook.url)
        capsys.readouterr()

        assert cli.main(["run", "--date", str(D)]) == 1
        out = capsys.readouterr().out
        print(out)
        assert "load surfside" in out and "dbt build" in out and "alerts" in out
        # globex's Surfside file and acme's Vibe report loaded and were built into the fact
        assert query(
            db_url,
            "select client_id, source, sum(impressions) from marts.fact_daily_metrics "
            "where date_day = %s group by 1, 2 order by 1, 2",
            (D,),
        ) == [("acme", "vibe", 3000), ("globex", "surfside", 4000)]
        assert len(smtp.messages) == 1 and len(hook.posts) == 1
        mail = smtp.bodies()[0]
        print(mail)
        assert missing in mail and missing in hook.posts[0]["text"]
        assert "assert_conservation_raw_equals_fact_plus_quarantine" in mail
        assert "assert_conservation_raw_equals_fact_plus_quarantine" in hook.posts[0]["text"]
        assert mail.index("[ERROR]") < mail.index(missing)  # the failing test outranks it

        # second run, nothing changed: nothing new is sent
        assert cli.main(["run", "--date", str(D)]) == 1
        assert len(smtp.messages) == 1 and len(hook.posts) == 1

        # the file arrives: the third run loads it, sends nothing, records the day as loaded
        client.put_object(Bucket=bucket, Key=missing, Body=body(D, "A", 1000))
        cli.main(["run", "--date", str(D)])
        assert len(smtp.messages) == 1 and len(hook.posts) == 1
    latest = query(
        db_url,
        "select distinct on (client_id) client_id, status from adwh_ops.ingestion_log "
        "where source = 'surfside' and report_date = %s order by client_id, finished_at desc",
        (D,),
    )
    # globex's file is unchanged since the first run: its newest attempt is `skipped` (the same
    # object is never loaded twice), acme's arrived file is loaded
    assert latest == [("acme", "loaded"), ("globex", "skipped")]
    runs = query(db_url, "select outcome, jsonb_array_length(steps) from adwh_ops.runs")
    assert len(runs) == 3 and all(n == 5 for _, n in runs)  # 2 loads, build, freshness, alerts
    assert query(db_url, "select command, exit_code from adwh_ops.audit_log where command = 'run'")[
        0
    ] == ("run", 1)
