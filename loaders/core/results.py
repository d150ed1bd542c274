"""One summary of a load's results, whatever a result is per source (a day, a file)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol


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
