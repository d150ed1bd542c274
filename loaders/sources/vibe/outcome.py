"""What a Vibe run reports: one result per (client, day), and one line when not all loaded."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from loaders.core import ingestion_log
from loaders.core.days import compress_days, span
from loaders.core.results import incomplete, not_loaded

SOURCE = "vibe"
FINE = ("loaded", "skipped")


@dataclass
class DayResult:
    client_id: str
    day: dt.date
    status: str
    report_id: str | None = None
    report_range: tuple[dt.date, dt.date] | None = None
    rows: int = 0
    message: str = ""
    load_id: str | None = None
    started_at: dt.datetime = field(default_factory=ingestion_log.utcnow)

    def line(self) -> str:
        if self.status == "loaded":
            shown = f" ({span(self.report_range)})" if self.report_range else ""
            text = (
                f"{self.day} {self.client_id}: loaded {self.rows:,} rows from Vibe report "
                f"{self.report_id}{shown}"
            )
            return text + (f"; {self.message}" if self.message else "")
        return f"{self.day} {self.client_id}: {self.status}: {self.message}".rstrip()

    def log_entry(self) -> ingestion_log.LogEntry:
        return ingestion_log.attempt_entry(
            SOURCE,
            self,
            client_id=self.client_id,
            report_date=self.day,
            object_key=self.report_id,
            object_version=span(self.report_range) if self.report_range else None,
        )


@dataclass
class VibeOutcome:
    results: list[DayResult]
    resets_at: dt.datetime | None = None

    def not_loaded(self) -> list[DayResult]:
        return not_loaded(self.results, FINE)

    def problem(self) -> str | None:
        """One line for the operator when something was not loaded, else None."""
        text = incomplete(self.results, "day", FINE)
        if text is None:
            return None
        bad = self.not_loaded()
        pending: dict[str, list[dt.date]] = {}
        for r in bad:
            if r.status == "pending":
                pending.setdefault(r.client_id, []).append(r.day)
        if pending:
            names = "; ".join(f"{c} {compress_days(d)}" for c, d in pending.items())
            text += f"; pending: {names}"
            if self.resets_at:
                wait = (self.resets_at - ingestion_log.utcnow()).total_seconds()
                when = f"{self.resets_at:%Y-%m-%d %H:%M:%S} UTC"
                if wait > 0:
                    when += f" (in {math.ceil(wait / 60)} min)"
                text += f"; the report-creation window resets at {when}"
            text += "; the next run picks them up"
        reasons = []
        for r in bad:
            if r.status != "pending" and r.message and r.message not in reasons:
                reasons.append(r.message)
        if reasons:
            more = f" (+{len(reasons) - 2} more)" if len(reasons) > 2 else ""
            text += "; " + "; ".join(reasons[:2]) + more
        return text
