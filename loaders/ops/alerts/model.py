"""An alert: one thing someone has to act on, named by a stable id so it is sent once."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

SEVERITIES = ("info", "warning", "error")


def rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def alert_id(*parts: object) -> str:
    text = "|".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Alert:
    alert_id: str
    severity: str  # error | warning | info
    kind: str  # load | test | freshness | mart
    title: str
    action: str
    client_id: str | None = None
    source: str | None = None
    day: dt.date | None = None

    def line(self) -> str:
        where = " · ".join(
            [self.client_id or "all clients", self.source or "all sources", str(self.day or "-")]
        )
        return f"[{self.severity.upper()}] {where}: {self.title}\n    what to do: {self.action}"


def ordered(alerts: list[Alert]) -> list[Alert]:
    """Most severe first, then newest day first, then by title."""
    return sorted(
        alerts,
        key=lambda a: (-rank(a.severity), -(a.day.toordinal() if a.day else 0), a.title),
    )


def digest(alerts: list[Alert], run_id: str) -> tuple[str, str]:
    """(subject, body) of one digest."""
    counts = {s: sum(1 for a in alerts if a.severity == s) for s in reversed(SEVERITIES)}
    shown = ", ".join(f"{n} {s}{'s' if n > 1 else ''}" for s, n in counts.items() if n)
    subject = f"adwh: {shown} (run {run_id})"
    body = "\n\n".join(a.line() for a in ordered(alerts))
    return subject, f"{subject}\n\n{body}\n"
