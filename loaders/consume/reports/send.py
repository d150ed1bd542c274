"""`adwh report ... --send`: mail the PDF through the alerts' email channel.

SMTP settings are `[alerts.email]` (host, port, STARTTLS, sender; username and password in
.dlt/secrets.toml); the recipients are the client's `[alerts.clients.<client>] to`, or the
addresses given with `--to`. One message to all recipients, the PDF attached.
"""

from __future__ import annotations

from pathlib import Path

from loaders.consume.reports.data import ReportData
from loaders.core.errors import ConfigError


def recipients(client: str, override: tuple[str, ...] = ()) -> tuple[str, ...]:
    from loaders.ops import config

    found = tuple(override) or tuple(config.get_list(f"alerts.clients.{client}.to"))
    if not found:
        raise ConfigError(
            f"--send: no recipients for client {client!r}; set [alerts.clients.{client}] to = "
            f"[...] (ALERTS__CLIENTS__{client.upper()}__TO) or give --to"
        )
    return found


def subject_and_body(data: ReportData) -> tuple[str, str]:
    period = (
        f"{data.period_start}"
        if data.period_start == data.period_end
        else f"{data.period_start} to {data.period_end}"
    )
    subject = f"{data.client_name}: {data.kind} report, {period}"
    body = (
        f"Attached: the {data.kind} report for {data.client_name}, {period} "
        f"(as of {data.as_of}).\n\nSent by adwh.\n"
    )
    return subject, body


def send_report(path: Path, data: ReportData, to: tuple[str, ...]) -> None:
    """Mail `path` (a PDF) to `to`; AdwhError (one line, no secret) when delivery fails."""
    from loaders.ops.alerts import channels

    settings = channels.load_settings().email
    if settings is None:
        raise ConfigError(
            "--send: no email channel configured ([alerts.email] smtp_host and sender, "
            "or ALERTS__EMAIL__SMTP_HOST / ALERTS__EMAIL__SENDER)"
        )
    subject, body = subject_and_body(data)
    attachment = channels.Attachment(path.name, path.read_bytes(), "application", "pdf")
    channels.send_email(settings, ", ".join(to), subject, body, attachments=(attachment,))
