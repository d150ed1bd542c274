"""Which days a Vibe run asks for, per client: skip, resume a report created earlier, or
request anew, in reports of consecutive days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from loaders.core.days import compress_days, runs, span
from loaders.sources.vibe import ledger
from loaders.sources.vibe.settings import VibeClient, VibeSettings


def with_refetch(days: Iterable[dt.date], refetch_days: int) -> list[dt.date]:
    """Each day plus the `refetch_days` days before it."""
    wanted = set()
    for day in days:
        wanted.update(day - dt.timedelta(days=i) for i in range(refetch_days + 1))
    return sorted(wanted)


def group_days(days: list[dt.date], max_days: int, single_up_to: int) -> list[list[dt.date]]:
    """Reports to create: one per day for a handful of days, else runs of consecutive days cut
    into pieces of at most `max_days`."""
    days = sorted(set(days))
    if len(days) <= single_up_to:
        return [[d] for d in days]
    return [run[i : i + max_days] for run in runs(days) for i in range(0, len(run), max_days)]


@dataclass
class ClientPlan:
    client: VibeClient
    targets: list[dt.date]
    skipped: dict[dt.date, ledger.DayState] = field(default_factory=dict)
    resume: dict[str, list[dt.date]] = field(default_factory=dict)
    resume_range: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)
    new_chunks: list[list[dt.date]] = field(default_factory=list)

    @property
    def day_count(self) -> int:
        return (
            len(self.skipped)
            + sum(len(d) for d in self.resume.values())
            + sum(len(c) for c in self.new_chunks)
        )

    def describe(self) -> str:
        parts = []
        if self.new_chunks:
            spans = ", ".join(span(c) for c in self.new_chunks)
            parts.append(f"{len(self.new_chunks)} new report(s) ({spans})")
        if self.resume:
            ids = ", ".join(self.resume)
            days = sum(len(d) for d in self.resume.values())
            parts.append(f"{days} day(s) from {len(self.resume)} report(s) created earlier ({ids})")
        if self.skipped:
            parts.append(
                f"{len(self.skipped)} day(s) skipped, loaded today already "
                f"({compress_days(self.skipped)}; --force re-requests them)"
            )
        body = "; ".join(parts) if parts else "nothing to do"
        return f"plan vibe {self.client.client_id}: {self.day_count} day(s): {body}"


def plan_client(
    client: VibeClient,
    states: dict[dt.date, ledger.DayState],
    targets: list[dt.date],
    settings: VibeSettings,
    *,
    force: bool,
    today: dt.date,
    now: dt.datetime,
) -> ClientPlan:
    """Decide per day: skip (loaded today), resume (a live report covers it), or new report.

    Days the ledger still owes (pending, or covered by a live report) are taken up even when
    they are not among this run's targets: that is how a rate-limited run's days get loaded
    by the next one.
    """
    plan = ClientPlan(client, sorted(targets))
    oldest_live = now - dt.timedelta(hours=settings.reuse_hours)

    def live(state: ledger.DayState) -> bool:
        return (
            state.status in ledger.RESUMABLE
            and state.report_id is not None
            and state.created_at is not None
            and state.created_at >= oldest_live
            and state.advertiser_id == client.advertiser_id
        )

    owed = {
        day
        for day, s in states.items()
        if s.status == "pending" or live(s) or (s.status == "failed" and s.report_id is None)
    }
    new: list[dt.date] = []
    for day in sorted(set(targets) | owed):
        state = states.get(day)
        if state is None:
            new.append(day)
        elif state.status == "loaded":
            loaded_today = (
                state.finished_at is not None
                and state.finished_at.astimezone(dt.UTC).date() == today
            )
            if loaded_today and not force:
                plan.skipped[day] = state
            else:
                new.append(day)
        elif live(state):
            plan.resume.setdefault(state.report_id, []).append(day)
            plan.resume_range[state.report_id] = (state.report_start, state.report_end)
        else:
            new.append(day)
    plan.new_chunks = group_days(new, settings.max_report_days, settings.single_day_reports_up_to)
    return plan
