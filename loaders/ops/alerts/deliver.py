"""Deliver each alert once per channel and recipient, as one digest per recipient per run.

`adwh_ops.alerts` keeps every alert seen (first and last seen); `adwh_ops.alert_deliveries`
one row per attempt (sent | failed). An alert is due for a recipient until a `sent` row exists,
so a failed delivery is retried by the next run; delivery errors never fail the data run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from loaders.core.errors import AdwhError, redact
from loaders.core.ingestion_log import SCHEMA
from loaders.ops.alerts import channels
from loaders.ops.alerts.model import Alert, digest, rank
from loaders.warehouse.database import connect

RETRY_DAYS = 7  # an undelivered alert older than this is not retried any more

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.alerts (
    alert_id       text primary key,
    severity       text not null,
    kind           text not null,
    client_id      text,
    source         text,
    day            date,
    title          text not null,
    action         text not null,
    first_seen_at  timestamptz not null default now(),
    last_seen_at   timestamptz not null default now()
);
create table if not exists {SCHEMA}.alert_deliveries (
    delivery_id  bigserial primary key,
    alert_id     text not null references {SCHEMA}.alerts (alert_id),
    channel      text not null,
    recipient    text not null,
    run_id       text,
    sent_at      timestamptz not null default now(),
    status       text not null,
    error        text
);
create index if not exists alert_deliveries_alert
    on {SCHEMA}.alert_deliveries (alert_id, channel, recipient, status);
"""


@dataclass
class Report:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    alerts: int = 0

    def line(self) -> str:
        if not self.sent and not self.failed:
            return f"{self.alerts} open alert(s), nothing new to send"
        text = f"{len(self.sent)} digest(s) sent"
        if self.failed:
            text += f"; {len(self.failed)} failed, retried next run: " + "; ".join(self.failed)
        return text


def ensure_schema(url: str) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('adwh_ops.alerts'))")
        cur.execute(DDL)


def remember(url: str, found: list[Alert]) -> None:
    ensure_schema(url)
    with connect(url) as conn, conn.cursor() as cur:
        for a in found:
            cur.execute(
                f"""insert into {SCHEMA}.alerts
                    (alert_id, severity, kind, client_id, source, day, title, action)
                    values (%s, %s, %s, %s, %s, %s, %s, %s)
                    on conflict (alert_id) do update set last_seen_at = now()""",
                (a.alert_id, a.severity, a.kind, a.client_id, a.source, a.day, a.title, a.action),
            )


def undelivered(url: str, channel: str, recipient: str) -> list[Alert]:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""select alert_id, severity, kind, title, action, client_id, source, day
                from {SCHEMA}.alerts a
                where first_seen_at >= now() - make_interval(days => %s)
                  and not exists (select 1 from {SCHEMA}.alert_deliveries d
                      where d.alert_id = a.alert_id and d.channel = %s
                        and d.recipient = %s and d.status = 'sent')""",
            (RETRY_DAYS, channel, recipient),
        )
        return [Alert(*row) for row in cur.fetchall()]


def _record(url: str, run_id: str, ids: list[str], channel: str, recipient: str, error) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        cur.executemany(
            f"""insert into {SCHEMA}.alert_deliveries
                (alert_id, channel, recipient, run_id, status, error)
                values (%s, %s, %s, %s, %s, %s)""",
            [(i, channel, recipient, run_id, "failed" if error else "sent", error) for i in ids],
        )


def _targets(settings: channels.AlertSettings):
    """(channel, recipient, client filter or None for everything, send function)."""
    email = settings.email
    if email:
        for to in email.to:
            yield "email", to, None
        for client, addresses in settings.client_recipients.items():
            for to in addresses:
                yield "email", to, client
    if settings.webhook_url:
        yield "webhook", channels.webhook_name(settings.webhook_url), None


def deliver(url: str, run_id: str, found: list[Alert], settings=None) -> Report:
    remember(url, found)
    clients = sorted({a.client_id for a in found if a.client_id})
    settings = settings or channels.load_settings(clients)
    report = Report(alerts=len(found))
    floor = rank(settings.min_severity)
    for channel, recipient, client in _targets(settings):
        due = [
            a
            for a in undelivered(url, channel, recipient)
            if rank(a.severity) >= floor and (client is None or a.client_id == client)
        ]
        if not due:
            continue
        subject, body = digest(due, run_id)
        error = None
        try:
            if channel == "email":
                channels.send_email(settings.email, recipient, subject, body)
            else:
                channels.send_webhook(settings.webhook_url, body)
        except AdwhError as exc:
            error = redact(str(exc))
        _record(url, run_id, [a.alert_id for a in due], channel, recipient, error)
        (report.failed if error else report.sent).append(error or f"{channel} {recipient}")
    return report


def send_test(settings=None) -> list[tuple[str, str | None]]:
    """Send a test message on every configured channel: [(target, error or None)]."""
    settings = settings or channels.load_settings()
    text = (
        f"adwh test alert sent {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC: "
        "if you read this, adwh alerts reach you."
    )
    out = []
    for channel, recipient, _ in _targets(settings):
        try:
            if channel == "email":
                channels.send_email(settings.email, recipient, "adwh: test alert", text)
            else:
                channels.send_webhook(settings.webhook_url, text)
            out.append((f"{channel} {recipient}", None))
        except AdwhError as exc:
            out.append((f"{channel} {recipient}", redact(str(exc))))
    return out
