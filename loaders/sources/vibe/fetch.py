"""Report fetch: create Vibe reports within each key's rate limit, poll them, download them.

Creations are scarce: a spent window is waited out only within `--max-wait`, else the days
are written down as `pending` for the next run. Open reports are polled with backoff until
done, error or `--poll-timeout`; a done report's CSV is downloaded (the pre-signed URL gets no
API key) and typed. Every report's progress goes to the ledger as it happens.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

import pyarrow.compute as pc

from loaders.core import ingestion_log
from loaders.core.days import span
from loaders.core.errors import AdwhError, FileRejected
from loaders.sources.vibe import ledger
from loaders.sources.vibe.api import ApiError, InvalidKey, RateLimited, ReportUnknown, VibeApi
from loaders.sources.vibe.outcome import DayResult
from loaders.sources.vibe.planner import ClientPlan
from loaders.sources.vibe.report import OpenReport, parse_report, request_body, with_lineage
from loaders.sources.vibe.settings import VibeClient, VibeSettings

log = logging.getLogger("adwh.vibe")


class ReportFetch:
    """One run's reports, the API clients per key, and a result per (client, day)."""

    def __init__(
        self,
        url: str,
        settings: VibeSettings,
        *,
        echo: Callable[[str], None],
        max_wait: float,
        poll_timeout: float,
    ) -> None:
        self.url = url
        self.settings = settings
        self.echo = echo
        self.max_wait = max_wait
        self.poll_timeout = poll_timeout
        self.run_id = ingestion_log.new_run_id()
        self.loaded_at = ingestion_log.utcnow()
        self.waited = 0.0
        self.apis: dict[str, VibeApi] = {}
        self.results: list[DayResult] = []
        self.reports: list[OpenReport] = []
        self.refused: dict[str, str] = {}  # client_id -> why Vibe refused its key

    def close(self) -> None:
        for api in self.apis.values():
            api.close()

    def api_for(self, client: VibeClient) -> VibeApi:
        if client.api_key not in self.apis:
            self.apis[client.api_key] = VibeApi(self.settings, client.api_key)
        return self.apis[client.api_key]

    def resets_at(self) -> dt.datetime | None:
        resets = [a.reset_at for a in self.apis.values() if a.window_spent(ingestion_log.utcnow())]
        resets = [r for r in resets if r is not None]
        return min(resets) if resets else None

    def day(self, client: VibeClient, day: dt.date, status: str, **kwargs) -> DayResult:
        result = DayResult(client.client_id, day, status, started_at=self.loaded_at, **kwargs)
        self.results.append(result)

    def open_report(self, client, report_id, days, start, end, *, resumed: bool) -> None:
        first_wait = 0.0 if resumed else self.settings.poll_interval
        now = time.monotonic()
        self.reports.append(
            OpenReport(
                client=client,
                api=self.api_for(client),
                report_id=report_id,
                days=sorted(days),
                start=start or min(days),
                end=end or max(days),
                resumed=resumed,
                next_poll=now + first_wait,
                interval=self.settings.poll_interval,
                deadline=now + self.poll_timeout,
            )
        )
        if resumed:
            log.info("%s: resuming report %s (%s)", client.client_id, report_id, span(days))

    def _refusal(self, client: VibeClient, api: VibeApi) -> str:
        """Why Vibe answered 403: a bad key, or a key that may not read this advertiser."""
        cid = client.client_id
        bad_key = f"invalid API key for client {cid} (sources.vibe.clients.{cid}.api_key)"
        try:
            ids = api.advertiser_ids()
        except AdwhError:
            return bad_key
        if client.advertiser_id not in ids:
            return (
                f"the API key of client {cid} has no access to advertiser "
                f"{client.advertiser_id!r} (sources.vibe.clients.{cid}.advertiser_id)"
            )
        return f"Vibe refused the request for client {cid} (HTTP 403)"

    def _pending(self, client: VibeClient, days: list[dt.date], api: VibeApi) -> None:
        limit = f"{api.limit} " if api.limit is not None else ""
        when = (
            f"; the window resets at {api.reset_at:%Y-%m-%d %H:%M:%S} UTC" if api.reset_at else ""
        )
        message = (
            f"not requested: the key's {limit}report creations for this window are spent{when}; "
            "the next run requests it"
        )
        ledger.mark_pending(
            self.url, client.client_id, client.advertiser_id, days, self.run_id, message
        )
        for day in days:
            self.day(client, day, "pending", message=message)

    def create(self, plan: ClientPlan) -> None:
        client = plan.client
        api = self.api_for(client)
        for chunk in plan.new_chunks:
            if client.client_id in self.refused:
                self._failed_chunk(client, chunk, self.refused[client.client_id])
                continue
            while True:
                if api.window_spent(ingestion_log.utcnow()) and not self._can_wait(api, None):
                    self._pending(client, chunk, api)
                    break
                try:
                    report_id = api.create(request_body(self.settings, client, chunk))
                except RateLimited as limited:
                    wait = limited.retry_after
                    if wait is None and limited.reset_at is not None:
                        wait = (limited.reset_at - ingestion_log.utcnow()).total_seconds()
                    if wait is not None:
                        wait = max(wait, 1.0)  # never spin on a zero retry-after
                    if self._can_wait(api, wait):
                        self._wait(client, wait or 1.0)
                        continue
                    api.spent = True
                    self._pending(client, chunk, api)
                    break
                except InvalidKey:
                    self.refused[client.client_id] = self._refusal(client, api)
                    self._failed_chunk(client, chunk, self.refused[client.client_id])
                    break
                except ApiError as exc:
                    self._failed_chunk(client, chunk, f"creating the report failed: {exc}")
                    break
                ledger.record_created(
                    self.url,
                    client.client_id,
                    client.advertiser_id,
                    chunk,
                    report_id,
                    self.run_id,
                    ingestion_log.utcnow(),
                )
                log.info("%s: created report %s (%s)", client.client_id, report_id, span(chunk))
                self.open_report(client, report_id, chunk, chunk[0], chunk[-1], resumed=False)
                break

    def _can_wait(self, api: VibeApi, wait: float | None) -> bool:
        if wait is None:
            if api.reset_at is None:
                return False
            wait = (api.reset_at - ingestion_log.utcnow()).total_seconds()
        return wait >= 0 and self.waited + wait <= self.max_wait

    def _wait(self, client: VibeClient, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.echo(
            f"vibe {client.client_id}: report-creation limit reached; waiting {seconds:.0f} s "
            f"for the window to reset (--max-wait {self.max_wait:g})"
        )
        time.sleep(seconds)
        self.waited += seconds
        for api in self.apis.values():
            api.spent = False

    def _failed_chunk(self, client: VibeClient, days: list[dt.date], message: str) -> None:
        ledger.record_failure(
            self.url, client.client_id, client.advertiser_id, days, self.run_id, "failed", message
        )
        for day in days:
            self.day(client, day, "failed", message=message)

    def poll_all(self) -> None:
        while True:
            waiting = [r for r in self.reports if not r.finished]
            if not waiting:
                return
            now = time.monotonic()
            for report in waiting:
                if report.next_poll <= now:
                    self._poll(report)
            waiting = [r for r in self.reports if not r.finished]
            if waiting:
                pause = min(r.next_poll for r in waiting) - time.monotonic()
                if pause > 0:
                    time.sleep(pause)

    def _poll(self, report: OpenReport) -> None:
        client = report.client
        if client.client_id in self.refused:
            report.state, report.message = "failed", self.refused[client.client_id]
            return
        try:
            payload = report.api.status(report.report_id)
        except InvalidKey:
            self.refused[client.client_id] = self._refusal(client, report.api)
            report.state, report.message = "failed", self.refused[client.client_id]
            return
        except ReportUnknown as exc:
            report.state, report.message = "error", f"{exc}; the next run requests a new report"
            return
        except ApiError as exc:
            report.state, report.message = "failed", f"report {report.report_id}: {exc}"
            return
        status = str(payload.get("status") or "").lower()
        if status == "done":
            self._fetch(report, payload)
        elif status in ("error", "failed"):
            vendor = (
                payload.get("message")
                or payload.get("error_message")
                or payload.get("error")
                or "no message"
            )
            report.state = "error"
            report.message = f"Vibe report {report.report_id} ended in error: {vendor}"
        elif time.monotonic() >= report.deadline:
            report.state = "timeout"
            report.message = (
                f"report {report.report_id} not ready after {self.poll_timeout:g} s "
                f"(status {status or 'unknown'}); the next run polls it again"
            )
        else:
            if status not in ("created", "processing", "pending", "queued", "running"):
                log.warning("report %s: unknown status %r, still waiting", report.report_id, status)
            if report.state == "created" and status == "processing":
                ledger.update_report(
                    self.url, client.client_id, report.report_id, "processing", self.run_id
                )
                report.state = "processing"
            report.next_poll = time.monotonic() + report.interval
            report.interval = min(self.settings.poll_max_interval, report.interval * 1.5 or 0.01)

    def _fetch(self, report: OpenReport, payload: dict) -> None:
        url = payload.get("download_url")
        if not url:
            report.state = "failed"
            report.message = f"report {report.report_id} is done but has no download_url"
            return
        location = f"vibe://{report.client.advertiser_id}/reports/{report.report_id}.csv"
        try:
            data = report.api.download(str(url), report.report_id)
            typed, row_numbers, extra = parse_report(data, location)
        except ApiError as exc:
            report.state, report.message = "failed", str(exc)
            return
        except FileRejected as exc:
            report.state, report.message = "rejected", str(exc)
            return
        report.table = with_lineage(report, typed, row_numbers, self.settings, self.loaded_at)
        counts = pc.value_counts(report.table.column("report_date"))
        by_day = {item["values"].as_py(): item["counts"].as_py() for item in counts}
        report.rows_by_day = {day: by_day.get(day, 0) for day in report.days}
        report.state = "done"
        if extra:
            report.notes.append(f"ignored column(s) {', '.join(repr(e) for e in extra)}")
        report.message = "; ".join(report.notes)
