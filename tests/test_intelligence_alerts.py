"""Episodes of marts.mart_alerts reach the existing delivery (a real SMTP server on loopback):
open episodes are sent once, again once when they escalate, resolved ones never; data_missing
and data_rejected are left to the load alerts, which send them from the ingestion log.

marts.mart_alerts is created here by hand with the mart's columns (its SQL is covered by the
dbt unit tests), so each step's state is the test's own."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import query
from helpers.receivers import SmtpServer

from loaders.ops.alerts import collect, deliver

D = dt.date(2026, 3, 11)
TABLE = """
create schema if not exists marts;
create table marts.mart_alerts (
    alert_id text, client_id text, entity_type text, entity_id text, entity_name text,
    alert_type text, severity text, current_severity text, message text, metric_name text,
    threshold numeric, actual_value numeric, first_seen_day date, last_seen_day date,
    days_seen integer, is_resolved boolean)
"""
ROWS = [
    # alert_id, client, entity_type, entity_id, alert_type, severity, message, resolved
    ("e1", "acme", "campaign", "k1", "spend_anomaly", "warning", "spend 300 vs 100", False),
    ("e2", "acme", "creative", "c9", "creative_fatigue", "critical", "score 80: rotate", True),
    ("e3", "acme", "source", "surfside", "data_missing", "warning", "surfside data missing", False),
]  # fmt: skip


def put(url: str, rows) -> None:
    query(url, "delete from marts.mart_alerts")
    for aid, client, etype, eid, atype, severity, message, resolved in rows:
        query(
            url,
            "insert into marts.mart_alerts (alert_id, client_id, entity_type, entity_id, "
            "alert_type, severity, message, first_seen_day, last_seen_day, is_resolved) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (aid, client, etype, eid, atype, severity, message, D, D, resolved),
        )


@pytest.fixture
def smtp(monkeypatch):
    with SmtpServer() as server:
        monkeypatch.setenv("ALERTS__EMAIL__SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ALERTS__EMAIL__SMTP_PORT", str(server.port))
        monkeypatch.setenv("ALERTS__EMAIL__STARTTLS", "false")
        monkeypatch.setenv("ALERTS__EMAIL__SENDER", "adwh@example.test")
        monkeypatch.setenv("ALERTS__EMAIL__TO", '["ops@example.test"]')
        yield server


def run(url: str, run_id: str):
    return deliver(url, run_id, collect(url, [], [], run_day=D))


def test_no_mart_no_mart_alerts(db_url):
    assert collect(db_url, [], [], run_day=D) == []


def test_open_episodes_sent_once_and_again_when_they_escalate(db_url, smtp):
    query(db_url, TABLE)
    put(db_url, ROWS)
    found = collect(db_url, [], [], run_day=D)
    assert [(a.kind, a.severity, a.client_id, a.title) for a in found] == [
        ("mart", "warning", "acme", "spend 300 vs 100")
    ]
    assert run(db_url, "r1").failed == []
    assert len(smtp.messages) == 1
    body = smtp.bodies()[0]
    assert "[WARNING] acme" in body and "spend 300 vs 100" in body
    assert "rotate" not in body and "surfside data missing" not in body

    # the next run sees the same open episode: nothing new
    assert run(db_url, "r2").sent == [] and len(smtp.messages) == 1

    # the episode escalates to critical: delivered once more, as an error
    put(db_url, [("e1", "acme", "campaign", "k1", "spend_anomaly", "critical", "spend 900", False)])
    assert len(run(db_url, "r3").sent) == 1 and len(smtp.messages) == 2
    assert "[ERROR] acme" in smtp.bodies()[1] and "spend 900" in smtp.bodies()[1]
    assert run(db_url, "r4").sent == [] and len(smtp.messages) == 2

    # resolved: never sent again
    put(db_url, [("e1", "acme", "campaign", "k1", "spend_anomaly", "critical", "spend 900", True)])
    assert run(db_url, "r5").sent == [] and len(smtp.messages) == 2
    sent = query(
        db_url,
        "select count(*) from adwh_ops.alert_deliveries d join adwh_ops.alerts a "
        "using (alert_id) where a.kind = 'mart' and d.status = 'sent'",
    )
    assert sent == [(2,)]
