"""What a Vibe run reports: one result per (client, day), and one line when not all loaded."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import ClassVar

from loaders.core import ingestion_log
from loaders.core.days import compress_days, span
from loaders.core.results import DayAttempt, incomplete, not_loaded
from loaders.sources.vibe.report import SOURCE

FINE = ("loaded", "skipped")


@dataclass
class DayResult(DayAttempt):
    source: ClassVar[str] = SOURCE

    report_id: str | None = None
    report_range: tuple[dt.date, dt.date] | None = None

    def origin(self) -> str:
        shown = f" ({span(self.report_range)})" if self.report_range else ""
        return f"Vibe report {self.report_id}{shown}" + (
            f"; {self.message}" if self.message else ""
        )

    def object_ref(self) -> tuple[str | None, str | None]:
        return self.report_id, span(self.report_range) if self.report_range else None


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
