"""Mixpanel Raw Event Export -> `raw_mixpanel.events`: the subscription events (RevenueCat's
trial started / converted, initial purchase, cancellation) of each client's project.

A run, per client: plan the days as export queries (one query per run of consecutive days,
at most `max_days_per_query` days each; the plan is printed with the query budget), stream
each query's JSON Lines into Arrow record batches (rows.py) and load each query with dlt
merge / delete-insert on (client_id, report_date): an exported day replaces the stored day
whole, and a day that came back empty is emptied. `--date D` (or yesterday) re-exports the
`lookback_days` days ending on D (late events); `--from/--to` export exactly the range. The
export is not deduplicated: staging keeps one event per (event, distinct_id, time,
$insert_id). Every (client, day) attempt goes to the ingestion log.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from loaders.core import ingestion_log
from loaders.core.days import runs, span
from loaders.core.errors import AdwhError
from loaders.core.pipeline import CLIENT_DAY, merge_resource, run_data, source_pipeline
from loaders.core.results import DayAttempt, incomplete
from loaders.sources.mixpanel.api import (
    AccountRejected,
    ApiError,
    BadParameter,
    ExportApi,
    QueryBudget,
    StreamBroken,
    Throttled,
)
from loaders.sources.mixpanel.rows import HINTS, Batcher, LineRefused
from loaders.sources.mixpanel.settings import MixpanelClient, MixpanelSettings, load_settings

log = logging.getLogger("adwh.mixpanel")

SOURCE = "mixpanel"
TABLE = "events"

__all__ = [
    "MixpanelClient",
    "MixpanelOutcome",
    "MixpanelSettings",
    "load",
    "load_settings",
    "plan",
    "target_days",
]


def target_days(days: list[dt.date], *, refetch: bool, lookback: int) -> list[dt.date]:
    """Each day plus the `lookback - 1` days before it for a daily run; else the days."""
    if not refetch:
        return sorted(set(days))
    return sorted({d - dt.timedelta(days=i) for d in days for i in range(lookback)})


def plan(days: list[dt.date], max_days: int) -> list[tuple[dt.date, dt.date]]:
    """One export query per run of consecutive days, cut every `max_days` days."""
    out = []
    for run in runs(days):
        for i in range(0, len(run), max_days):
            part = run[i : i + max_days]
            out.append((part[0], part[-1]))
    return out


@dataclass
class DayResult(DayAttempt):
    source = SOURCE
    export_range: str = ""

    def origin(self) -> str:
        return f"export {self.export_range}"

    def object_ref(self) -> tuple[str | None, str | None]:
        return (f"export {self.export_range}" if self.export_range else None, None)


@dataclass
class MixpanelOutcome:
    results: list[DayResult]
    errors: list[str] = field(default_factory=list)
    queries: int = 0

    def problem(self) -> str | None:
        summary = incomplete(self.results, "day")
        if not summary and not self.errors:
            return None
        reasons = list(
            dict.fromkeys(self.errors + [r.message for r in self.results if r.status != "loaded"])
        )
        parts = ([summary] if summary else []) + [m for m in reasons if m][:3]
        return "; ".join(parts)


def load(
    url: str,
    client_ids: list[str],
    days: list[dt.date],
    settings: MixpanelSettings | None = None,
    *,
    refetch: bool = False,
    max_wait: float = 0.0,
    sleep: Callable[[float], None] | None = None,
    echo: Callable[[str], None] = print,
) -> MixpanelOutcome:
    """Export and load the configured events for every client and day (module docstring)."""
    import time

    client_ids = list(dict.fromkeys(client_ids))
    settings = settings or load_settings(client_ids)
    sleep = time.sleep if sleep is None else sleep
    wanted = target_days(days, refetch=refetch, lookback=settings.lookback_days)
    ranges = plan(wanted, settings.max_days_per_query)
    run_id, loaded_at = ingestion_log.new_run_id(), ingestion_log.utcnow()
    outcome = MixpanelOutcome([])
    for client_id in client_ids:
        client = settings.client(client_id)
        echo(
            f"mixpanel {client_id} (project {client.project_id}): {len(wanted)} day(s) in "
            f"{len(ranges)} export quer{'y' if len(ranges) == 1 else 'ies'}: "
            + ", ".join(span((a, b)) for a, b in ranges)
            + f" (budget {settings.queries_per_hour}/hour, {settings.queries_per_second}/second)"
        )
        budget = QueryBudget(
            settings.queries_per_second, settings.queries_per_hour, max_wait=max_wait, sleep=sleep
        )
        api = ExportApi(settings, client, budget, sleep=sleep)
        try:
            _client_ranges(url, api, ranges, loaded_at, outcome)
        finally:
            outcome.queries += api.queries
            api.close()
    _ensure_index(url)
    ingestion_log.record(url, run_id, [r.log_entry() for r in outcome.results])
    for result in outcome.results:
        echo(result.line())
    return outcome


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _client_ranges(url, api: ExportApi, ranges, loaded_at, outcome: MixpanelOutcome) -> None:
    cid = api.client.client_id
    stop: tuple[str, str] | None = None  # (status, message) for the ranges left
    for first, last in ranges:
        label = span((first, last))
        days = _days(first, last)
        if stop:
            outcome.results.extend(
                DayResult(cid, d, stop[0], message=stop[1], export_range=label) for d in days
            )
            continue
        try:
            per_day, load_id = _load_range(url, api, first, last, loaded_at)
        except Throttled as exc:
            stop = ("pending", f"{exc}; export {label} and later left for the next run")
            outcome.results.extend(
                DayResult(cid, d, "pending", message=stop[1], export_range=label) for d in days
            )
            continue
        except (AccountRejected, BadParameter) as exc:
            stop = ("failed", str(exc))
            outcome.errors.append(str(exc))
            outcome.results.extend(
                DayResult(cid, d, "failed", message=str(exc), export_range=label) for d in days
            )
            continue
        except AdwhError as exc:
            outcome.results.extend(
                DayResult(cid, d, "failed", message=str(exc), export_range=label) for d in days
            )
            continue
        outcome.results.extend(
            DayResult(
                cid,
                d,
                "loaded",
                rows=per_day.get(d, 0),
                load_id=load_id,
                started_at=loaded_at,
                export_range=label,
            )
            for d in days
        )


_resource = merge_resource(TABLE, CLIENT_DAY, HINTS)


def _load_range(url, api: ExportApi, first, last, loaded_at) -> tuple[dict, str | None]:
    """Export and load one range, retrying it whole when the stream breaks midway."""
    settings, client = api.settings, api.client
    label = span((first, last))
    roles = {name: role for role, name in settings.events.items()}
    attempts = max(1, settings.max_attempts)
    for attempt in range(1, attempts + 1):
        batcher = Batcher(
            client.client_id,
            client.project_id,
            roles,
            settings.properties,
            settings.project_timezone,
            label,
            loaded_at,
            settings.batch_rows,
        )
        lines = api.export(first.isoformat(), last.isoformat(), list(settings.events.values()))
        failure: list[BaseException] = []

        def batches(batcher=batcher, lines=lines, failure=failure):
            try:
                yield from batcher.batches(lines)
            except (ApiError, LineRefused, Throttled) as exc:
                failure.append(exc)
                raise

        try:
            with source_pipeline(SOURCE, url) as pipeline:
                load_id = run_data(pipeline, _resource(batches()), what=f"mixpanel {label}").load_id
        except AdwhError as exc:
            cause = failure[0] if failure else exc
            if isinstance(cause, StreamBroken) and attempt < attempts:
                log.warning("%s; exporting the range again (%d/%d)", cause, attempt, attempts - 1)
                continue
            raise cause from None
        if batcher.skipped:
            log.info("%s: %d event(s) of other names ignored", label, batcher.skipped)
        _empty_days(
            url, client.client_id, [d for d in _days(first, last) if d not in batcher.per_day]
        )
        return batcher.per_day, load_id or None
    raise AssertionError("unreachable")  # pragma: no cover


def _empty_days(url: str, client_id: str, days: list[dt.date]) -> None:
    """An exported day without events must not keep the events an earlier export stored."""
    from loaders.warehouse.database import connect

    if not days:
        return
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", (f"raw_{SOURCE}.{TABLE}",))
        if cur.fetchone()[0] is None:
            return
        cur.executemany(
            f"delete from raw_{SOURCE}.{TABLE} where client_id = %s and report_date = %s",
            [(client_id, d) for d in days],
        )


def _ensure_index(url: str) -> None:
    from loaders.core.pipeline import ensure_index

    ensure_index(url, f"raw_{SOURCE}.{TABLE}", f"{TABLE}_client_day", CLIENT_DAY)
