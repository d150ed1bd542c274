"""Where digests go: email over SMTP and a Slack-compatible incoming webhook.

```toml
[alerts]
min_severity = "warning"
[alerts.email]
smtp_host = "smtp.example.com"
smtp_port = 587
starttls = true
sender = "adwh@example.com"
to = ["ops@example.com"]
[alerts.clients.acme]
to = ["acme-team@example.com"]     # optional: this client's alerts also go here
```
`alerts.email.username` / `password` and `alerts.webhook.url` belong in .dlt/secrets.toml
(or ALERTS__EMAIL__PASSWORD, ALERTS__WEBHOOK__URL).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import urlparse

from loaders.core.errors import AdwhError, ConfigError, register_secret
from loaders.ops import config
from loaders.ops.alerts.model import SEVERITIES


@dataclass(frozen=True)
class EmailSettings:
    smtp_host: str
    smtp_port: int
    sender: str
    to: tuple[str, ...]
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


@dataclass(frozen=True)
class AlertSettings:
    min_severity: str = "warning"
    email: EmailSettings | None = None
    webhook_url: str | None = None
    client_recipients: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_settings(clients: list[str] | None = None) -> AlertSettings:
    """`[alerts]`; `clients`: the clients whose `[alerts.clients.<client>] to` to read."""
    severity = str(config.get("alerts.min_severity", "warning")).lower()
    if severity not in SEVERITIES:
        raise ConfigError(f"alerts.min_severity: {severity!r} is not one of {SEVERITIES}")
    email = None
    host = config.get("alerts.email.smtp_host")
    if host:
        sender = config.get("alerts.email.sender")
        if not sender:
            raise ConfigError("alerts.email.sender is not set (ALERTS__EMAIL__SENDER)")
        password = config.get("alerts.email.password", secret=True)
        register_secret(password)
        email = EmailSettings(
            smtp_host=str(host),
            smtp_port=config.get_int("alerts.email.smtp_port", 587),
            sender=str(sender),
            to=tuple(config.get_list("alerts.email.to")),
            starttls=config.get_bool("alerts.email.starttls", True),
            username=config.get("alerts.email.username", secret=True),
            password=password,
        )
    url = config.get("alerts.webhook.url", secret=True)
    if url:
        register_secret(str(url))
    recipients = {}
    for client in clients or []:
        to = config.get_list(f"alerts.clients.{client}.to")
        if to:
            recipients[client] = tuple(to)
    return AlertSettings(severity, email, str(url) if url else None, recipients)


def send_email(
    settings: EmailSettings,
    recipient: str,
    subject: str,
    body: str,
    attachments: tuple[Attachment, ...] = (),
) -> None:
    """One message; `recipient` may list several addresses, comma-separated."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = recipient
    msg["Subject"] = subject
    msg.set_content(body)
    for a in attachments:
        msg.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout) as s:
            s.ehlo()
            if settings.starttls:
                s.starttls(context=ssl.create_default_context())
                s.ehlo()
            if settings.username:
                s.login(settings.username, settings.password or "")
            s.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise AdwhError(
            f"email to {recipient} via {settings.smtp_host}:{settings.smtp_port} failed: "
            f"{type(exc).__name__}: {exc}"
        ) from None


def webhook_name(url: str) -> str:
    """How the webhook is named in the deliveries table (its host: the path is the secret)."""
    return f"webhook:{urlparse(url).hostname or 'unknown'}"


def send_webhook(url: str, text: str, timeout: float = 30.0) -> None:
    """POST {"text": ...}: the payload Slack, Mattermost, Rocket.Chat and Teams' Slack mode read."""
    import httpx

    try:
        response = httpx.post(url, json={"text": text}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise AdwhError(f"{webhook_name(url)} failed: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise AdwhError(f"{webhook_name(url)} answered HTTP {response.status_code}")
