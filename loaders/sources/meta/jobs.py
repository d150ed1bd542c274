"""Asynchronous insights jobs: create, poll, page through the result; retry and split.

One job covers a range of days (at most `max_days_per_job`). A job that ends "Job Failed" or
"Job Skipped" is retried once, then split in halves down to single days; a single day that
still fails is given up (failed) and the other days load. A job not completed within the
poll timeout leaves its days pending for the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field

import pyarrow as pa

from loaders.core.pipeline import constant
from loaders.sources.meta.api import ApiError, MetaApi
from loaders.sources.meta.rows import FIELDS, ActionTypes, RowRejected, to_table

log = logging.getLogger("adwh.meta")

DONE, FAILED = "Job Completed", ("Job Failed", "Job Skipped")
RUNNING = ("Job Not Started", "Job Started", "Job Running")


@dataclass
class RangeResult:
    """What one breakdown's jobs gave for a run's days."""

    tables: list[pa.Table] = field(default_factory=list)
    report_of: dict[dt.date, str] = field(default_factory=dict)  # day -> report_run_id
    failed: dict[dt.date, str] = field(default_factory=dict)
    pending: dict[dt.date, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def days_of(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def chunks(days: list[dt.date], max_days: int) -> list[tuple[dt.date, dt.date]]:
    """Runs of consecutive days, cut into ranges of at most `max_days`."""
    ranges: list[list[dt.date]] = []
    for day in sorted(set(days)):
        last = ranges[-1] if ranges else None
        if last and day - last[-1] == dt.timedelta(days=1) and len(last) < max_days:
            last.append(day)
        else:
            ranges.append([day])
    return [(r[0], r[-1]) for r in ranges]


def span(first: dt.date, last: dt.date) -> str:
    return str(first) if first == last else f"{first}..{last}"


class _JobFailed(Exception):
    pass


class _JobTimedOut(Exception):
    def __init__(self, report_run_id: str) -> None:
        super().__init__(report_run_id)
        self.report_run_id = report_run_id


class InsightsJobs:
    """Runs the jobs of one client for one breakdown (None: ad x day; "country")."""

    def __init__(self, api: MetaApi, poll_timeout: float, breakdown: str | None) -> None:
        self.api = api
        self.settings = api.settings
        self.poll_timeout = poll_timeout
        self.breakdown = breakdown
        self.types = ActionTypes(
            self.settings.purchase_action_types, self.settings.trial_action_types
        )
        self.jobs_created = 0

    @property
    def label(self) -> str:
        return "ad x day x country" if self.breakdown else "ad x day"

    def run(self, days: list[dt.date], result: RangeResult) -> None:
        for first, last in chunks(days, self.settings.max_days_per_job):
            self._range(first, last, result, retry=True)

    def _range(self, first: dt.date, last: dt.date, result: RangeResult, *, retry: bool) -> None:
        try:
            run_id, table, rejected = self._attempt(first, last)
        except _JobFailed as exc:
            if retry:
                log.warning("%s; retrying %s once", exc, span(first, last))
                self._range(first, last, result, retry=False)
            elif first < last:
                middle = first + dt.timedelta(days=(last - first).days // 2)
                log.warning("%s; splitting %s in halves", exc, span(first, last))
                self._range(first, middle, result, retry=False)
                self._range(middle + dt.timedelta(days=1), last, result, retry=False)
            else:
                result.failed[first] = f"{exc} (retried, split down to this day)"
            return
        except _JobTimedOut as exc:
            why = (
                f"{self.label} report {exc.report_run_id} ({span(first, last)}) not completed "
                f"within {self.poll_timeout:g} s; the next run requests it again"
            )
            for day in days_of(first, last):
                result.pending[day] = why
            return
        result.tables.append(table)
        for day in days_of(first, last):
            if day in rejected:
                result.failed[day] = rejected[day]
            else:
                result.report_of[day] = run_id

    def _attempt(self, first: dt.date, last: dt.date) -> tuple[str, pa.Table, dict]:
        run_id = self._create(first, last)
        self._wait(run_id, first, last)
        table, rejected = self._fetch(run_id, first, last)
        run_ids = constant(run_id, pa.string(), table.num_rows)
        return run_id, table.append_column("report_run_id", run_ids), rejected

    def _create(self, first: dt.date, last: dt.date) -> str:
        params = {
            "level": "ad",
            "time_increment": "1",
            "time_range": json.dumps({"since": first.isoformat(), "until": last.isoformat()}),
            "fields": ",".join(FIELDS),
            "action_attribution_windows": json.dumps(
                list(self.settings.action_attribution_windows)
            ),
        }
        if self.breakdown:
            params["breakdowns"] = self.breakdown
        account = self.api.client.ad_account_id
        payload = self.api.post(
            f"{account}/insights",
            params,
            what=f"creating the {self.label} report {span(first, last)}",
        )
        run_id = payload.get("report_run_id")
        if not run_id:
            raise ApiError(f"{account}/insights answered without a report_run_id")
        self.jobs_created += 1
        log.info("%s: report %s (%s, %s)", account, run_id, self.label, span(first, last))
        return str(run_id)

    def _wait(self, run_id: str, first: dt.date, last: dt.date) -> None:
        deadline = time.monotonic() + self.poll_timeout
        interval = self.settings.poll_interval
        while True:
            status = self.api.get(str(run_id), what=f"status of report {run_id}")
            state = str(status.get("async_status") or "")
            if state == DONE:
                return
            if state in FAILED:
                raise _JobFailed(f"{self.label} report {run_id} ({span(first, last)}): {state}")
            if state not in RUNNING:
                log.warning("report %s: unknown async_status %r, still waiting", run_id, state)
            if time.monotonic() + interval > deadline:
                raise _JobTimedOut(run_id)
            time.sleep(interval)
            interval = min(self.settings.poll_max_interval, interval * 1.5)

    def _fetch(self, run_id: str, first: dt.date, last: dt.date) -> tuple[pa.Table, dict]:
        """All pages of a completed report -> one table of the range's days, and the days
        refused for a row that cannot be typed ({day: reason})."""
        what = f"results of report {run_id}"
        payload = self.api.get(f"{run_id}/insights", {"limit": self.settings.page_limit}, what)
        tables, rejected, position = [], {}, 1
        while True:
            rows = payload.get("data")
            if not isinstance(rows, list):
                raise ApiError(f"{what}: the page has no data list")
            tables.append(self._page(rows, first, last, position, rejected, run_id))
            position += len(rows)
            link = (payload.get("paging") or {}).get("next")
            if not link:
                break
            payload = self.api.get_absolute(str(link), what)
        table = pa.concat_tables(tables)
        if rejected:
            import pyarrow.compute as pc

            keep = pc.invert(pc.is_in(table["report_date"], pa.array(list(rejected), pa.date32())))
            table = table.filter(keep)
        return table, rejected

    def _page(self, rows, first, last, position, rejected, run_id) -> pa.Table:
        country = self.breakdown == "country"
        while True:
            kept = [r for r in rows if str(r.get("date_start")) not in {str(d) for d in rejected}]
            try:
                table = to_table(kept, self.types, country=country, first_row=position)
            except RowRejected as exc:
                if exc.day is None or exc.day in rejected:
                    raise ApiError(f"report {run_id}: {exc}") from None
                rejected[exc.day] = f"report {run_id}: {exc}"
                continue
            break
        import pyarrow.compute as pc

        dates = table["report_date"]
        lo, hi = pa.scalar(first, pa.date32()), pa.scalar(last, pa.date32())
        outside = pc.sum(pc.invert(pc.and_(pc.greater_equal(dates, lo), pc.less_equal(dates, hi))))
        if (outside.as_py() or 0) > 0:
            raise ApiError(f"report {run_id}: rows dated outside {span(first, last)}")
        return table
