"""Vibe (CTV): asynchronous reports over REST -> `raw_vibe.daily_performance`.

The API (DESIGN.md section 7) only has asynchronous reports: `POST /create_async_report`
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
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError, ConfigError, FileRejected, register_secret
from loaders.core.pipeline import (
    append_lineage,
    constant,
    merge_resource,
    run_arrow,
    source_pipeline,
)
from loaders.core.tabular import (
    DATE,
    DECIMAL,
    INT,
    TEXT,
    Column,
    RawSheet,
    header_key_of,
    read_strings,
    type_columns,
)
from loaders.sources.vibe import ledger

log = logging.getLogger("adwh.vibe")

SOURCE = "vibe"
TABLE = "daily_performance"
MERGE_KEY = ("client_id", "report_date")
DEFAULT_BASE_URL = "https://clear-platform.vibe.co/rest/reporting/v1"

# What adwh asks Vibe for and what it expects back: the API field names are the CSV header.
# This is the one place to change if Vibe names a field differently (see DECISIONLOG.md,
# "Vibe report fields"); staging (stg_vibe__daily_performance) and the sources YAML follow it.
DIMENSIONS = [
    Column("impression_date", DATE, aliases=("date", "day")),
    Column("campaign_id", TEXT),
    Column("campaign_name", TEXT),
    Column("strategy_id", TEXT),
    Column("strategy_name", TEXT),
    Column("channel_name", TEXT),
    Column("creative_id", TEXT),
    Column("creative_name", TEXT),
]
METRICS = [
    Column("impressions", INT),
    Column("completed_views", INT),
    Column("number_of_purchases", DECIMAL),
    Column("amount_of_purchases", DECIMAL),
    Column("spend", DECIMAL),
]
SPEC = DIMENSIONS + METRICS

LINEAGE_COLUMNS = {
    "client_id": {"data_type": "text", "nullable": False},
    "advertiser_id": {"data_type": "text", "nullable": False},
    "report_date": {"data_type": "date", "nullable": False},
    "report_id": {"data_type": "text", "nullable": False},
    "report_start_date": {"data_type": "date", "nullable": False},
    "report_end_date": {"data_type": "date", "nullable": False},
    "source_row_number": {"data_type": "bigint", "nullable": False},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
}


# --- configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VibeClient:
    client_id: str
    advertiser_id: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class VibeSettings:
    clients: dict[str, VibeClient]
    base_url: str = DEFAULT_BASE_URL
    refetch_days: int = 1
    max_report_days: int = 45
    single_day_reports_up_to: int = 3
    poll_interval: float = 10.0
    poll_max_interval: float = 60.0
    poll_timeout: float = 1800.0
    max_attempts: int = 5
    retry_backoff: float = 1.0
    retry_max_backoff: float = 30.0
    request_timeout: float = 30.0
    reuse_hours: float = 24.0
    end_date_exclusive: bool = True
    attribution_window: str | None = None

    def client(self, client_id: str) -> VibeClient:
        try:
            return self.clients[client_id]
        except KeyError:
            raise ConfigError(f"client {client_id!r} has no [sources.vibe.clients] entry") from None


def _env_name(path: str) -> str:
    return path.upper().replace(".", "__")


def load_settings(client_ids: Iterable[str]) -> VibeSettings:
    """`[sources.vibe]` and `[sources.vibe.clients.<id>]` from .dlt/ config + secrets or env."""
    import dlt

    def get(name: str, default=None, secret: bool = False):
        value = (dlt.secrets if secret else dlt.config).get(f"sources.vibe.{name}")
        return default if value in (None, "") else value

    clients: dict[str, VibeClient] = {}
    shared_key = get("api_key", secret=True)
    for client_id in client_ids:
        section = f"clients.{client_id}"
        advertiser = get(f"{section}.advertiser_id")
        key = get(f"{section}.api_key", secret=True) or shared_key
        for name, value, where in (
            ("advertiser_id", advertiser, ".dlt/config.toml"),
            ("api_key", key, ".dlt/secrets.toml"),
        ):
            if not value:
                path = f"sources.vibe.{section}.{name}"
                raise ConfigError(f"{path} is not set ({where} or {_env_name(path)})")
        register_secret(str(key))
        clients[client_id] = VibeClient(client_id, str(advertiser), str(key))

    def number(name: str, default: float) -> float:
        value = get(name, default)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"sources.vibe.{name} must be a number (found {value!r})") from None

    settings = VibeSettings(
        clients=clients,
        base_url=str(get("base_url", DEFAULT_BASE_URL)),
        refetch_days=int(number("refetch_days", 1)),
        max_report_days=int(number("max_report_days", 45)),
        single_day_reports_up_to=int(number("single_day_reports_up_to", 3)),
        poll_interval=number("poll_interval", 10),
        poll_max_interval=number("poll_max_interval", 60),
        poll_timeout=number("poll_timeout", 1800),
        max_attempts=int(number("max_attempts", 5)),
        retry_backoff=number("retry_backoff", 1.0),
        retry_max_backoff=number("retry_max_backoff", 30),
        request_timeout=number("request_timeout", 30),
        reuse_hours=number("reuse_hours", 24),
        end_date_exclusive=str(get("end_date_exclusive", True)).lower() in ("true", "1", "yes"),
        attribution_window=get("attribution_window"),
    )
    if not 1 <= settings.max_report_days <= 45:
        raise ConfigError("sources.vibe.max_report_days must be between 1 and 45 (Vibe's limit)")
    if settings.refetch_days < 0:
        raise ConfigError("sources.vibe.refetch_days must be 0 or more")
    return settings


# --- the API ------------------------------------------------------------------------------------


class InvalidKey(AdwhError):
    """HTTP 403: the key is wrong, or it may not read this advertiser."""


class ApiError(AdwhError):
    """An answer the loader cannot use, or a transient failure that outlived its retries."""


class ReportUnknown(ApiError):
    """HTTP 404 on a report id: expired or never existed; a new report is needed."""


class RateLimited(Exception):
    def __init__(self, retry_after: float | None, reset_at: dt.datetime | None) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after
        self.reset_at = reset_at


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _timestamp(value: str | None) -> dt.datetime | None:
    """x-rate-limit-reset-at: epoch seconds (or ISO 8601, to be lenient)."""
    seconds = _number(value)
    if seconds is not None:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    if value:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _vendor_message(response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if isinstance(payload, dict):
        for key in ("message", "error_message", "error", "detail"):
            if payload.get(key):
                return str(payload[key])[:300]
    return str(payload)[:300]


class VibeApi:
    """One API key: an httpx client with bounded retries and the key's rate-limit state."""

    def __init__(self, settings: VibeSettings, api_key: str) -> None:
        import httpx

        self.settings = settings
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            headers={"X-API-KEY": api_key, "Accept": "application/json"},
            timeout=settings.request_timeout,
        )
        # download URLs are pre-signed and may live on another host: never send them the key
        self._plain = httpx.Client(timeout=settings.request_timeout, follow_redirects=True)
        self.limit: int | None = None
        self.left: int | None = None
        self.reset_at: dt.datetime | None = None
        self.spent = False  # a 429 was answered in this run and not waited out

    def close(self) -> None:
        self._http.close()
        self._plain.close()

    def _send(self, client, method: str, url: str, what: str, **kwargs):
        import httpx

        attempts = max(1, self.settings.max_attempts)
        for attempt in range(1, attempts + 1):
            try:
                response = client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            else:
                if response.status_code < 500:
                    return response
                problem = f"HTTP {response.status_code}"
            if attempt == attempts:
                raise ApiError(f"{what} failed after {attempts} attempt(s) ({problem})")
            base = self.settings.retry_backoff * 2 ** (attempt - 1)
            delay = min(self.settings.retry_max_backoff, base) * random.uniform(0.5, 1.0)  # noqa: S311
            log.warning("%s: %s; retry %d/%d in %.2fs", what, problem, attempt, attempts - 1, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_limits(self, headers) -> None:
        limit, left = (
            _number(headers.get("x-rate-limit")),
            _number(headers.get("x-rate-limit-left")),
        )
        if limit is not None:
            self.limit = int(limit)
        if left is not None:
            self.left = int(left)
        reset = _timestamp(headers.get("x-rate-limit-reset-at"))
        if reset is not None:
            self.reset_at = reset

    def window_spent(self, now: dt.datetime) -> bool:
        """True when the last answer said no creation is left and the window has not reset."""
        if self.spent:
            return True
        return self.left == 0 and (self.reset_at is None or now < self.reset_at)

    def create(self, body: dict) -> str:
        response = self._send(
            self._http, "POST", "create_async_report", "create_async_report", json=body
        )
        self._read_limits(response.headers)
        if response.status_code == 429:
            retry = _number(response.headers.get("x-rate-limit-retry-after"))
            raise RateLimited(retry, self.reset_at)
        if response.status_code == 403:
            raise InvalidKey("HTTP 403")
        if response.status_code != 200:
            raise ApiError(
                f"create_async_report answered HTTP {response.status_code}: "
                f"{_vendor_message(response)}"
            )
        try:
            report_id = response.json().get("report_id")
        except (ValueError, AttributeError):
            report_id = None
        if not report_id:
            raise ApiError("create_async_report answered without a report_id")
        return str(report_id)

    def status(self, report_id: str) -> dict:
        response = self._send(
            self._http,
            "GET",
            "get_report_status",
            f"get_report_status for {report_id}",
            params={"report_id": report_id},
        )
        if response.status_code == 403:
            raise InvalidKey("HTTP 403")
        if response.status_code == 404:
            raise ReportUnknown(f"Vibe does not know report {report_id} (HTTP 404)")
        if response.status_code != 200:
            raise ApiError(
                f"get_report_status answered HTTP {response.status_code}: "
                f"{_vendor_message(response)}"
            )
        try:
            payload = response.json()
        except ValueError:
            raise ApiError("get_report_status answered something that is not JSON") from None
        if not isinstance(payload, dict):
            raise ApiError("get_report_status answered something that is not a JSON object")
        return payload

    def download(self, url: str, report_id: str) -> bytes:
        response = self._send(self._plain, "GET", url, f"downloading report {report_id}")
        if response.status_code != 200:
            # the pre-signed URL carries a signature: never echo it
            raise ApiError(f"downloading report {report_id} answered HTTP {response.status_code}")
        return response.content

    def advertiser_ids(self) -> list[str]:
        response = self._send(self._http, "GET", "get_advertiser_ids", "get_advertiser_ids")
        if response.status_code == 403:
            raise InvalidKey("HTTP 403")
        if response.status_code != 200:
            raise ApiError(f"get_advertiser_ids answered HTTP {response.status_code}")
        payload = response.json()
        items = payload.get("advertisers", payload) if isinstance(payload, dict) else payload
        ids = []
        for item in items or []:
            ids.append(str(item.get("advertiser_id")) if isinstance(item, dict) else str(item))
        return ids


# --- planning -----------------------------------------------------------------------------------


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    if last < first:
        raise ConfigError(f"--from {first} is after --to {last}")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


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
    chunks: list[list[dt.date]] = []
    for day in days:
        last = chunks[-1] if chunks else None
        if last and day - last[-1] == dt.timedelta(days=1) and len(last) < max_days:
            last.append(day)
        else:
            chunks.append([day])
    return chunks


def _span(days: list[dt.date] | tuple[dt.date, dt.date]) -> str:
    first, last = days[0], days[-1]
    return f"{first}" if first == last else f"{first}..{last}"


def compress_days(days: Iterable[dt.date]) -> str:
    """2026-03-01..2026-03-03, 2026-03-07"""
    runs = group_days(list(days), 10**6, 0)
    return ", ".join(_span(r) for r in runs)


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
            spans = ", ".join(_span(c) for c in self.new_chunks)
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


# --- one run ------------------------------------------------------------------------------------


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
            span = f" ({_span(self.report_range)})" if self.report_range else ""
            text = (
                f"{self.day} {self.client_id}: loaded {self.rows:,} rows from Vibe report "
                f"{self.report_id}{span}"
            )
            return text + (f"; {self.message}" if self.message else "")
        return f"{self.day} {self.client_id}: {self.status}: {self.message}".rstrip()


@dataclass
class OpenReport:
    client: VibeClient
    api: VibeApi
    report_id: str
    days: list[dt.date]  # the days this report is the current request for
    start: dt.date
    end: dt.date
    resumed: bool
    next_poll: float = 0.0
    interval: float = 0.0
    deadline: float = 0.0
    state: str = (
        "created"  # created | processing | done | loaded | error | timeout | failed | rejected
    )
    message: str = ""
    notes: list[str] = field(default_factory=list)
    table: pa.Table | None = None
    rows_by_day: dict[dt.date, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state not in ("created", "processing")


@dataclass
class VibeOutcome:
    results: list[DayResult]
    resets_at: dt.datetime | None = None

    def not_loaded(self) -> list[DayResult]:
        return [r for r in self.results if r.status not in ("loaded", "skipped")]

    def problem(self) -> str | None:
        """One line for the operator when something was not loaded, else None."""
        bad = self.not_loaded()
        if not bad:
            return None
        counts: dict[str, int] = {}
        for r in bad:
            counts[r.status] = counts.get(r.status, 0) + 1
        detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        text = f"{len(bad)} of {len(self.results)} day(s) not loaded ({detail})"
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
    run = _Run(
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
            run.execute(plans, pipeline)
        finally:
            run.close()
    results = sorted(run.results, key=lambda r: (client_ids.index(r.client_id), r.day))
    for result in results:
        echo(result.line())
    return VibeOutcome(results, run.resets_at())


class _Run:
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

    # --- results --------------------------------------------------------------------------

    def _day(self, client: VibeClient, day: dt.date, status: str, **kwargs) -> DayResult:
        result = DayResult(client.client_id, day, status, started_at=self.loaded_at, **kwargs)
        self.results.append(result)
        return result

    def _log(self, results: list[DayResult]) -> None:
        ingestion_log.record(
            self.url,
            self.run_id,
            [
                ingestion_log.LogEntry(
                    source=SOURCE,
                    status=r.status,
                    client_id=r.client_id,
                    report_date=r.day,
                    object_key=r.report_id,
                    object_version=_span(r.report_range) if r.report_range else None,
                    rows_loaded=r.rows if r.status == "loaded" else None,
                    message=r.message or None,
                    load_id=r.load_id,
                    started_at=r.started_at,
                )
                for r in results
            ],
        )

    # --- the steps ------------------------------------------------------------------------

    def execute(self, plans: list[ClientPlan], pipeline) -> None:
        for plan in plans:
            for day, state in sorted(plan.skipped.items()):
                finished = state.finished_at.astimezone(dt.UTC) if state.finished_at else None
                when = f" at {finished:%H:%M} UTC" if finished else ""
                self._day(
                    plan.client,
                    day,
                    "skipped",
                    report_id=state.report_id,
                    message=f"loaded today{when} from report {state.report_id}; "
                    "--force re-requests it",
                )
            for report_id, days in plan.resume.items():
                start, end = plan.resume_range[report_id]
                self._open(plan.client, report_id, days, start, end, resumed=True)
        for plan in plans:
            self._create(plan)
        self._poll_all()
        self._load(pipeline)
        self._log(sorted(self.results, key=lambda r: (r.client_id, r.day)))

    def _open(self, client, report_id, days, start, end, *, resumed: bool) -> None:
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
            log.info("%s: resuming report %s (%s)", client.client_id, report_id, _span(days))

    def _body(self, client: VibeClient, days: list[dt.date]) -> dict:
        end = days[-1] + dt.timedelta(days=1) if self.settings.end_date_exclusive else days[-1]
        body = {
            "advertiser_id": client.advertiser_id,
            "start_date": days[0].isoformat(),
            "end_date": end.isoformat(),
            "metrics": [c.name for c in METRICS],
            "dimensions": [c.name for c in DIMENSIONS],
            "timezone": "UTC",
            "granularity": "day",
            "format": "csv",
        }
        if self.settings.attribution_window:
            body["attribution_window"] = self.settings.attribution_window
        return body

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
            self._day(client, day, "pending", message=message)

    def _create(self, plan: ClientPlan) -> None:
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
                    report_id = api.create(self._body(client, chunk))
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
                log.info("%s: created report %s (%s)", client.client_id, report_id, _span(chunk))
                self._open(client, report_id, chunk, chunk[0], chunk[-1], resumed=False)
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
            self._day(client, day, "failed", message=message)

    # --- polling and downloading ------------------------------------------------------------

    def _poll_all(self) -> None:
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
        report.table = self._with_lineage(report, typed, row_numbers)
        counts = pc.value_counts(report.table.column("report_date"))
        by_day = {item["values"].as_py(): item["counts"].as_py() for item in counts}
        report.rows_by_day = {day: by_day.get(day, 0) for day in report.days}
        report.state = "done"
        if extra:
            report.notes.append(f"ignored column(s) {', '.join(repr(e) for e in extra)}")
        report.message = "; ".join(report.notes)

    def _with_lineage(self, report: OpenReport, typed: pa.Table, row_numbers) -> pa.Table:
        n = typed.num_rows
        start = pa.scalar(report.start, pa.date32())
        end = pa.scalar(report.end, pa.date32())
        dates = typed.column("impression_date")
        inside = pc.fill_null(
            pc.and_(pc.greater_equal(dates, start), pc.less_equal(dates, end)), False
        )
        # a row dated outside the report's range (a vendor slip) stays with the report's first
        # day, so a re-fetch of that day replaces it; staging quarantines it
        report_date = pc.if_else(inside, dates, start)
        outside = n - (pc.sum(inside).as_py() or 0)
        if outside:
            later = pc.sum(pc.fill_null(pc.greater(dates, end), False)).as_py() or 0
            note = (
                f"{outside} row(s) dated outside the requested days "
                f"{_span((report.start, report.end))} (quarantined downstream)"
            )
            if later:
                setting = "false" if self.settings.end_date_exclusive else "true"
                note += (
                    f"; {later} of them after {report.end}: if Vibe's end_date is not what "
                    f"adwh assumes, set sources.vibe.end_date_exclusive = {setting}"
                )
            log.warning("report %s: %s", report.report_id, note)
            report.notes.append(note)
        table = append_lineage(
            typed,
            LINEAGE_COLUMNS,
            {
                "client_id": constant(report.client.client_id, pa.string(), n),
                "advertiser_id": constant(report.client.advertiser_id, pa.string(), n),
                "report_date": report_date,
                "report_id": constant(report.report_id, pa.string(), n),
                "report_start_date": constant(report.start, pa.date32(), n),
                "report_end_date": constant(report.end, pa.date32(), n),
                "source_row_number": row_numbers,
                "loaded_at": constant(self.loaded_at, pa.timestamp("us", tz="UTC"), n),
            },
        )
        covered = pa.array(report.days, pa.date32())
        if len(report.days) < (report.end - report.start).days + 1:
            # days of this report that a newer request owns are not loaded from it
            table = table.filter(pc.is_in(table.column("report_date"), value_set=covered))
        return table

    # --- loading ----------------------------------------------------------------------------

    def _load(self, pipeline) -> None:
        done = [r for r in self.reports if r.state == "done"]
        load_id: str | None = None
        failure: str | None = None
        tables = [r.table for r in done if r.table is not None and r.table.num_rows]
        for report in done:
            report.table = None
        if tables:
            try:
                load_id = run_arrow(pipeline, _resource, tables).load_id
            except AdwhError as exc:
                failure = str(exc)
        if failure is None and done:
            self._delete_empty_days(done)
        finished = ingestion_log.utcnow()
        for report in self.reports:
            client = report.client
            span = (report.start, report.end)
            if report.state == "done" and failure is None:
                ledger.update_report(
                    self.url,
                    client.client_id,
                    report.report_id,
                    "loaded",
                    self.run_id,
                    rows=report.rows_by_day,
                    finished_at=finished,
                )
                for i, day in enumerate(report.days):
                    self._day(
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
                self.url,
                client.client_id,
                report.report_id,
                ledger_status,
                self.run_id,
                days=report.days,
                message=report.message,
                finished_at=finished if ledger_status in ("error", "rejected") else None,
            )
            day_status = {"timeout": "pending", "error": "failed"}.get(ledger_status, ledger_status)
            for day in report.days:
                self._day(
                    client,
                    day,
                    day_status,
                    report_id=report.report_id,
                    report_range=span,
                    message=report.message,
                )
        _ensure_indexes(self.url)

    def _delete_empty_days(self, done: list[OpenReport]) -> None:
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
        with connect(self.url) as conn, conn.cursor() as cur:
            cur.execute("select to_regclass('raw_vibe.daily_performance')")
            if cur.fetchone()[0] is None:
                return
            cur.executemany(
                "delete from raw_vibe.daily_performance where client_id = %s and report_date = %s",
                empty,
            )


# --- the report file ----------------------------------------------------------------------------


def parse_report(data: bytes, location: str) -> tuple[pa.Table, pa.Array, list[str]]:
    """A downloaded CSV -> (typed table, row numbers, ignored extra headers), or FileRejected.

    A report with a header and no rows is fine (nothing ran that day); a header missing a
    column adwh asked for refuses the whole report, naming the columns.
    """
    if not data.strip():
        raise FileRejected(location, "the report is empty (not even a header)")
    lines = data.strip().splitlines()
    if len(lines) == 1:
        try:
            header = next(csv.reader([lines[0].decode("utf-8-sig")]))
        except UnicodeDecodeError:
            raise FileRejected(location, "the header is not UTF-8 text", row=1) from None
        empty = pa.table({f"c{i}": pa.array([], pa.string()) for i in range(len(header))})
        sheet = RawSheet(location, [h.strip() for h in header], empty, pa.array([], pa.int64()))
    else:
        sheet = read_strings(data, location)
    typed = type_columns(sheet, SPEC, keep_extra=False)
    extra = [h for h in sheet.headers if h and not any(c.matches(header_key_of(h)) for c in SPEC)]
    return typed, sheet.row_numbers, extra


_resource = merge_resource(TABLE, MERGE_KEY, LINEAGE_COLUMNS)


def _ensure_indexes(url: str) -> None:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('raw_vibe.daily_performance')")
        if cur.fetchone()[0] is None:
            return
        cur.execute(
            "create index if not exists daily_performance_client_day "
            "on raw_vibe.daily_performance (client_id, report_date)"
        )
