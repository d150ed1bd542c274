"""Day ranges: the days a run covers, and how they are shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from loaders.core.errors import ConfigError


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from `first` to `last`, both included."""
    if last < first:
        raise ConfigError(f"--from {first} is after --to {last}")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def yesterday_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


def parse_day(value: str | None, flag: str) -> dt.date | None:
    """A YYYY-MM-DD option value, or None when the option was not given."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{flag}: {value!r} is not a date (YYYY-MM-DD)") from None


def resolve_days(date: str | None, first: str | None, last: str | None) -> list[dt.date]:
    """--date D, or --from D1 --to D2 (inclusive); neither means yesterday (UTC)."""
    day = parse_day(date, "--date")
    start, end = parse_day(first, "--from"), parse_day(last, "--to")
    if day and (start or end):
        raise ConfigError("give either --date or --from/--to, not both")
    if (start is None) != (end is None):
        raise ConfigError("--from and --to go together")
    if day:
        return [day]
    if start and end:
        return days_between(start, end)
    return [yesterday_utc()]


def span(days: list[dt.date] | tuple[dt.date, dt.date]) -> str:
    """`2026-03-01..2026-03-03` for a range, `2026-03-01` for one day."""
    first, last = days[0], days[-1]
    return f"{first}" if first == last else f"{first}..{last}"


def runs(days: Iterable[dt.date]) -> list[list[dt.date]]:
    """The days (deduplicated, sorted) cut into runs of consecutive days."""
    out: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if out and day - out[-1][-1] == dt.timedelta(days=1):
            out[-1].append(day)
        else:
            out.append([day])
    return out


def compress_days(days: Iterable[dt.date]) -> str:
    """2026-03-01..2026-03-03, 2026-03-07"""
    return ", ".join(span(r) for r in runs(days))
