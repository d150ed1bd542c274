"""One summary of a load's results, whatever a result is per source (a day, a file)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from loaders.core import ingestion_log


class HasStatus(Protocol):
    status: str


def count_by_status(results: Iterable[HasStatus]) -> dict[str, int]:
    """{status: how many results have it}, statuses in alphabetical order."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return dict(sorted(counts.items()))


def not_loaded(results: Iterable[HasStatus], fine: Sequence[str] = ("loaded",)) -> list:
    return [r for r in results if r.status not in fine]


def incomplete(
    results: Sequence[HasStatus], unit: str, fine: Sequence[str] = ("loaded",)
) -> str | None:
    """`"2 of 5 day(s) not loaded (1 failed, 1 missing_file)"`, or None when all are fine."""
    bad = not_loaded(results, fine)
    if not bad:
        return None
    detail = ", ".join(f"{n} {status}" for status, n in count_by_status(bad).items())
    return f"{len(bad)} of {len(results)} {unit}(s) not loaded ({detail})"


@dataclass
class DayAttempt:
    """One (client, day) a loader tried: its console line and its ingestion-log row.

    A source's result subclasses it, naming its `source` and where the rows came from.
    """

    source: ClassVar[str]

    client_id: str
    day: dt.date
    status: str
    rows: int = 0
    message: str = ""
    load_id: str | None = None
    started_at: dt.datetime = field(default_factory=ingestion_log.utcnow)

    def origin(self) -> str:
        """Where loaded rows came from, for the console line."""
        raise NotImplementedError

    def object_ref(self) -> tuple[str | None, str | None]:
        """(object_key, object_version) for the ingestion log."""
        raise NotImplementedError

    def line(self) -> str:
        if self.status == "loaded":
            return f"{self.day} {self.client_id}: loaded {self.rows:,} rows from {self.origin()}"
        return f"{self.day} {self.client_id}: {self.status}: {self.message}".rstrip()

    def log_entry(self) -> ingestion_log.LogEntry:
        key, version = self.object_ref()
        return ingestion_log.attempt_entry(
            self.source,
            self,
            client_id=self.client_id,
            report_date=self.day,
            object_key=key,
            object_version=version,
        )
