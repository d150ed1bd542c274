"""Vibe (CTV): asynchronous reports over REST -> `raw_vibe.daily_performance`.

The API only has asynchronous reports: `POST /create_async_report`
returns a report_id, `GET /get_report_status` says when it is `done` and where to download
it, and creations are limited (15 per hour per key). So a run:

1. plans, per client, which days need a new report, which are covered by a report created
   earlier (ledger `adwh_ops.vibe_report_requests`) and which were loaded today already;
   consecutive days are grouped into reports of up to `max_report_days` (45) unless the run
   needs only a few days (a daily run: one report per day, as the vendor advises);
2. creates the reports while the key's window allows (reading `x-rate-limit-left` /
   `x-rate-limit-reset-at`, honouring `x-rate-limit-retry-after` on 429, waiting at most
   `--max-wait`); days it cannot request are written down as `pending` for the next run;
3. polls every open report with backoff until done, error or `--poll-timeout`;
4. downloads each CSV (the pre-signed URL gets no API key), checks its header, types it and
   tags every row with client, advertiser, report id and range, report_date and row number;
5. loads all of it in one dlt merge (delete-insert on client_id + report_date), so a re-fetched
   day replaces what was there, and records each day in the ledger and the ingestion log.

`--date D` (or no date: yesterday, UTC) also re-fetches the `refetch_days` days before D,
because Vibe's figures keep moving for 6-7 hours; `--from/--to` fetch exactly the range.

Modules: `settings` (configuration), `planner` (step 1), `api` (HTTP, rate limit), `fetch`
(steps 2-4), `report` (the request and the CSV), `ledger`, `outcome` (results); this module
runs them and loads (step 5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from loaders.core import ingestion_log
from loaders.core.days import compress_days as compress_days
from loaders.core.days import days_between as days_between
from loaders.core.errors import AdwhError
from loaders.core.pipeline import run_arrow, source_pipeline
from loaders.sources.vibe import ledger
from loaders.sources.vibe.fetch import ReportFetch
from loaders.sources.vibe.outcome import SOURCE, VibeOutcome
from loaders.sources.vibe.outcome import DayResult as DayResult
from loaders.sources.vibe.planner import ClientPlan, plan_client, with_refetch
from loaders.sources.vibe.planner import group_days as group_days
from loaders.sources.vibe.report import RAW, OpenReport
from loaders.sources.vibe.report import SPEC as SPEC
from loaders.sources.vibe.report import parse_report as parse_report
from loaders.sources.vibe.settings import VibeClient as VibeClient
from loaders.sources.vibe.settings import VibeSettings, load_settings


def load(
    url: str,
    client_ids: list[str],
    days: list[dt.date],
    settings: VibeSettings | None = None,
    *,
    refetch: bool = False,
    force: bool = False,
    max_wait: float = 0.0,
    poll_timeout: float | None = None,
    today: dt.date | None = None,
    echo: Callable[[str], None] = print,
) -> VibeOutcome:
    """Plan, request, poll, download and load Vibe reports for every client and day.

    `refetch` adds the `refetch_days` days before each day (daily runs); `force` re-requests
    days loaded today already; `max_wait` is how long the run may wait for a spent
    rate-limit window (0: leave those days pending); `today` is the UTC day "loaded today"
    is judged against (tests move it).
    """
    client_ids = list(dict.fromkeys(client_ids))  # a client named twice is loaded once
    settings = settings or load_settings(client_ids)
    clients = [settings.client(c) for c in client_ids]
    targets = with_refetch(days, settings.refetch_days) if refetch else sorted(set(days))
    run = ReportFetch(
        url,
        settings,
        echo=echo,
        max_wait=max(0.0, max_wait),
        poll_timeout=settings.poll_timeout if poll_timeout is None else poll_timeout,
    )
    ledger.ensure_schema(url)
    with source_pipeline(SOURCE, url) as pipeline:
        now = ingestion_log.utcnow()
        plans = [
            plan_client(
                client,
                ledger.latest(url, client.client_id),
                targets,
                settings,
                force=force,
                today=today or now.date(),
                now=now,
            )
            for client in clients
        ]
        for plan in plans:
            echo(plan.describe())
        try:
            _execute(run, plans, pipeline)
        finally:
            run.close()
    results = sorted(run.results, key=lambda r: (client_ids.index(r.client_id), r.day))
    for result in results:
        echo(result.line())
    return VibeOutcome(results, run.resets_at())


def _execute(run: ReportFetch, plans: list[ClientPlan], pipeline) -> None:
    for plan in plans:
        for day, state in sorted(plan.skipped.items()):
            finished = state.finished_at.astimezone(dt.UTC) if state.finished_at else None
            when = f" at {finished:%H:%M} UTC" if finished else ""
            run.day(
                plan.client,
                day,
                "skipped",
                report_id=state.report_id,
                message=f"loaded today{when} from report {state.report_id}; --force re-requests it",
            )
        for report_id, days in plan.resume.items():
            start, end = plan.resume_range[report_id]
            run.open_report(plan.client, report_id, days, start, end, resumed=True)
    for plan in plans:
        run.create(plan)
    run.poll_all()
    _load(run, pipeline)
    results = sorted(run.results, key=lambda r: (r.client_id, r.day))
    ingestion_log.record(run.url, run.run_id, [r.log_entry() for r in results])


def _load(run: ReportFetch, pipeline) -> None:
    """Step 5: one dlt merge of every done report; then the ledger and a result per day."""
    done = [r for r in run.reports if r.state == "done"]
    load_id: str | None = None
    failure: str | None = None
    tables = [r.table for r in done if r.table is not None and r.table.num_rows]
    for report in done:
        report.table = None
    if tables:
        try:
            load_id = run_arrow(pipeline, RAW.resource(), tables).load_id
        except AdwhError as exc:
            failure = str(exc)
    if failure is None and done:
        _delete_empty_days(run.url, done)
    finished = ingestion_log.utcnow()
    for report in run.reports:
        client = report.client
        span = (report.start, report.end)
        if report.state == "done" and failure is None:
            ledger.update_report(
                run.url,
                client.client_id,
                report.report_id,
                "loaded",
                run.run_id,
                rows=report.rows_by_day,
                finished_at=finished,
            )
            for i, day in enumerate(report.days):
                run.day(
                    client,
                    day,
                    "loaded",
                    report_id=report.report_id,
                    report_range=span,
                    rows=report.rows_by_day.get(day, 0),
                    # notes on the whole report go with its first day only
                    message=report.message if i == 0 else "",
                    load_id=load_id,
                )
            continue
        if report.state == "done":
            report.state, report.message = "failed", failure or "load failed"
        ledger_status = report.state
        ledger.update_report(
            run.url,
            client.client_id,
            report.report_id,
            ledger_status,
            run.run_id,
            days=report.days,
            message=report.message,
            finished_at=finished if ledger_status in ("error", "rejected") else None,
        )
        day_status = {"timeout": "pending", "error": "failed"}.get(ledger_status, ledger_status)
        for day in report.days:
            run.day(
                client,
                day,
                day_status,
                report_id=report.report_id,
                report_range=span,
                message=report.message,
            )
    RAW.ensure_index(run.url)


def _delete_empty_days(url: str, done: list[OpenReport]) -> None:
    """A re-fetched day that now has no rows must not keep its old rows."""
    from loaders.warehouse.database import connect

    empty = [
        (r.client.client_id, day)
        for r in done
        for day, count in r.rows_by_day.items()
        if count == 0
    ]
    if not empty:
        return
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('raw_vibe.daily_performance')")
        if cur.fetchone()[0] is None:
            return
        cur.executemany(
            "delete from raw_vibe.daily_performance where client_id = %s and report_date = %s",
            empty,
        )
