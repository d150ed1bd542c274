"""Alert delivery to a real SMTP server and a webhook receiver on loopback: one digest per
recipient, most severe first, each alert once, failed deliveries retried by the next run."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import query
from helpers.receivers import SmtpServer, WebhookReceiver

from loaders import cli
from loaders.core import ingestion_log
from loaders.ops.alerts import collect, deliver

D = dt.date(2026, 3, 11)
FAILING_TEST = {
    "unique_id": "test.adwh.not_null_stg_surfside__daily_performance_campaign.abc123",
    "status": "fail",
    "failures": 2,
    "message": "Got 2 results, configured to fail if != 0",
}
PASSING_TEST = {"unique_id": "test.adwh.unique_dim_clients_client_id.def", "status": "pass"}


@pytest.fixture
def channels(monkeypatch):
    with SmtpServer() as smtp, WebhookReceiver() as hook:
        _configure(monkeypatch, smtp, hook)
        yield smtp, hook


def _configure(monkeypatch, smtp, hook) -> None:
    monkeypatch.setenv("ALERTS__EMAIL__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALERTS__EMAIL__SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("ALERTS__EMAIL__STARTTLS", "false")
    monkeypatch.setenv("ALERTS__EMAIL__SENDER", "adwh@example.test")
    monkeypatch.setenv("ALERTS__EMAIL__TO", '["ops@example.test"]')
    monkeypatch.setenv("ALERTS__CLIENTS__ACME__TO", '["acme-team@example.test"]')
    monkeypatch.setenv("ALERTS__WEBHOOK__URL", hook.url)


def _log_problems(url: str) -> None:
    ingestion_log.record(
        url,
        "r1",
        [
            ingestion_log.LogEntry(
                "surfside", "missing_file", "acme", D, "surfside/acme/media-report-2026-03-11.csv"
            ),
            ingestion_log.LogEntry("vibe", "failed", "globex", D, message="HTTP 500 from Vibe"),
            # loaded after an earlier failure: no alert
            ingestion_log.LogEntry("surfside", "failed", "globex", D, message="timeout"),
            ingestion_log.LogEntry("surfside", "loaded", "globex", D, rows_loaded=3),
        ],
    )


def test_one_digest_per_recipient_most_severe_first_and_each_alert_once(db_url, channels):
    smtp, hook = channels
    _log_problems(db_url)
    found = collect(db_url, [FAILING_TEST, PASSING_TEST], [], run_day=D)
    assert sorted((a.kind, a.severity, a.client_id, a.source) for a in found) == [
        ("load", "error", "globex", "vibe"),
        ("load", "warning", "acme", "surfside"),
        ("test", "error", None, "surfside"),
    ]
    report = deliver(db_url, "run1", found)
    assert report.failed == []

    by_rcpt = {m["X-Envelope-To"]: m for m in smtp.messages}
    assert sorted(by_rcpt) == ["acme-team@example.test", "ops@example.test"]
    ops = by_rcpt["ops@example.test"].get_payload(decode=True).decode()
    # errors before warnings; each item names client, source, day and what to do
    assert ops.index("[ERROR]") < ops.index("[WARNING]")
    assert "acme · surfside · 2026-03-11" in ops
    assert "surfside/acme/media-report-2026-03-11.csv has not arrived" in ops
    assert "not_null_stg_surfside__daily_performance_campaign" in ops
    assert ops.count("what to do:") == 3
    assert "globex · surfside" not in ops  # loaded in the end
    acme = by_rcpt["acme-team@example.test"].get_payload(decode=True).decode()
    assert acme.count("what to do:") == 1 and "media-report-2026-03-11.csv" in acme
    assert len(hook.posts) == 1 and hook.posts[0]["text"].count("what to do:") == 3

    # the same problems seen again: nothing new is sent
    again = deliver(db_url, "run2", collect(db_url, [FAILING_TEST], [], run_day=D))
    assert again.sent == [] and len(smtp.messages) == 2 and len(hook.posts) == 1
    sent = query(
        db_url,
        "select channel, recipient, count(*) from adwh_ops.alert_deliveries "
        "where status = 'sent' group by 1, 2 order by 1, 2",
    )
    assert sent == [
        ("email", "acme-team@example.test", 1),
        ("email", "ops@example.test", 3),
        ("webhook", "webhook:127.0.0.1", 3),
    ]
    # the webhook's path is its secret: never stored
    assert query(
        db_url,
        "select count(*) from adwh_ops.alert_deliveries where recipient like '%%secret-path%%'",
    ) == [(0,)]


def test_a_refused_delivery_is_retried_by_the_next_run_and_never_raises(db_url, monkeypatch):
    with SmtpServer(refuse_first=1) as smtp, WebhookReceiver(status=500) as hook:
        _configure(monkeypatch, smtp, hook)
        monkeypatch.delenv("ALERTS__CLIENTS__ACME__TO")
        _log_problems(db_url)
        first = deliver(db_url, "run1", collect(db_url, [], [], run_day=D))
        assert smtp.refused == 1 and smtp.messages == []
        assert len(first.failed) == 2  # the email and the webhook (HTTP 500)
        assert "451" in first.line()
        hook.status = 200
        second = deliver(db_url, "run2", collect(db_url, [], [], run_day=D))
        assert second.failed == [] and len(smtp.messages) == 1 and len(hook.posts) == 2
        body = smtp.bodies()[0]
        assert body.count("what to do:") == 2
        third = deliver(db_url, "run3", collect(db_url, [], [], run_day=D))
        assert third.sent == [] and len(smtp.messages) == 1
    assert query(
        db_url,
        "select status, count(*) from adwh_ops.alert_deliveries group by 1 order by 1",
    ) == [("failed", 4), ("sent", 4)]


def test_min_severity_filters(db_url, channels, monkeypatch):
    smtp, _hook = channels
    monkeypatch.setenv("ALERTS__MIN_SEVERITY", "error")
    _log_problems(db_url)
    deliver(db_url, "run1", collect(db_url, [], [], run_day=D))
    ops = [m for m in smtp.messages if m["X-Envelope-To"] == "ops@example.test"]
    body = ops[0].get_payload(decode=True).decode()
    assert "[WARNING]" not in body and "HTTP 500 from Vibe" in body
    # acme's only alert is a warning: no digest for its team
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["ops@example.test"]


def test_alerts_test_command(channels, capsys):
    smtp, hook = channels
    assert cli.main(["alerts", "test"]) == 0
    out = capsys.readouterr().out
    assert "email ops@example.test: sent" in out and "webhook:127.0.0.1: sent" in out
    assert "secret-path" not in out
    assert smtp.messages[0]["Subject"] == "adwh: test alert"
    assert "adwh alerts reach you" in hook.posts[0]["text"]


def test_alerts_test_fails_when_a_channel_is_down(monkeypatch, capsys):
    with SmtpServer() as smtp, WebhookReceiver() as hook:
        _configure(monkeypatch, smtp, hook)
    # both servers are gone now
    assert cli.main(["alerts", "test"]) == 1
    captured = capsys.readouterr()
    assert "not delivered" in captured.err
    assert "secret-path" not in captured.out + captured.err


def test_starttls_and_login_with_credentials_from_secrets(db_url, tmp_path, monkeypatch):
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this server's cert
    accounts = {"adwh-mailer": "smtp-pw-never-logged"}
    with SmtpServer(tls_context=server_tls, logins=accounts) as smtp, WebhookReceiver() as hook:
        _configure(monkeypatch, smtp, hook)
        monkeypatch.setenv("ALERTS__EMAIL__STARTTLS", "true")
        monkeypatch.setenv("ALERTS__EMAIL__USERNAME", "adwh-mailer")
        monkeypatch.setenv("ALERTS__EMAIL__PASSWORD", "smtp-pw-never-logged")
        _log_problems(db_url)
        report = deliver(db_url, "run1", collect(db_url, [], [], run_day=D))
        assert report.failed == [] and smtp.logins == ["adwh-mailer", "adwh-mailer"]
        assert len(smtp.messages) == 2
        # without STARTTLS this server refuses the mail (require_starttls): the run records it
        monkeypatch.setenv("ALERTS__EMAIL__STARTTLS", "false")
        monkeypatch.setenv("ALERTS__EMAIL__TO", '["other@example.test"]')
        refused = deliver(db_url, "run2", collect(db_url, [], [], run_day=D))
        assert len(refused.failed) == 1 and "smtp-pw-never-logged" not in refused.line()
