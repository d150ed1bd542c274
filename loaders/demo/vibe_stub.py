"""A stand-in for Vibe's reporting API v1 on 127.0.0.1, for the demo and the tests.

It plays what the real API does:
- every call needs the `X-API-KEY` header; an unknown key, or an advertiser the key does not
  own, gets 403;
- `POST /create_async_report` (JSON body: advertiser_id, start_date, end_date, metrics,
  dimensions, timezone, granularity, format ...) answers `{"report_id": ...}`; at most 45 days
  per report; creations are limited per key and window (15 per 3600 s by default), every
  creation answer carries `x-rate-limit`, `x-rate-limit-left` and `x-rate-limit-reset-at`, and a
  spent window answers 429 with `x-rate-limit-retry-after`;
- `GET /get_report_status?report_id=...` says `processing` a configurable number of times,
  then `done` with a `download_url` (or `error` with a message);
- the `download_url` serves the CSV (one row per impression_date x requested dimensions);
  like the vendor's pre-signed URLs it needs no key;
- `GET /get_advertiser_ids` lists the key's advertisers.

Test controls: the window's clock can be moved (`advance`) so nobody waits an hour; faults
can be queued (`fail_next`: 500/503 answers, a hang longer than the client's timeout, a reset
connection); a report covering a given day can end in `error`; reports can be held in
`processing` (`hold`/`release`); the CSV header can be broken (`drop_columns`). Everything
the server saw is recorded (`creations`, `requests`, `downloads`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PREFIX = "/rest/reporting/v1"
MAX_DAYS = 45

# Field names as the vendor documents them (third-party summaries of help.vibe.co; see
# DECISIONLOG.md "Vibe report fields").
KNOWN_METRICS = {
    "impressions",
    "spend",
    "households",
    "frequency",
    "cpm",
    "completed_views",
    "cost_per_completed_view",
    "view_through_rate",
    "installs",
    "cost_per_install",
    "number_of_purchases",
    "cost_per_purchase",
    "amount_of_purchases",
    "number_of_signups",
    "cost_per_signup",
    "roas",
}
KNOWN_DIMENSIONS = {
    "impression_date",
    "advertiser_id",
    "advertiser_name",
    "campaign_id",
    "campaign_name",
    "strategy_id",
    "strategy_name",
    "creative_id",
    "creative_name",
    "channel_name",
    "app_id",
    "os",
    "screen",
    "geo_region",
    "geo_metro",
    "geo_city",
    "geo_zip",
}

Rows = list[dict[str, object]]
RowsFn = Callable[[str, dt.date], Rows]


@dataclass
class Creation:
    """One report the server created (a 429 creates nothing and is not listed)."""

    report_id: str
    api_key_hint: str
    advertiser_id: str
    start_date: dt.date
    end_date: dt.date  # inclusive, whatever the request convention
    body: dict
    created_at: float

    @property
    def days(self) -> list[dt.date]:
        n = (self.end_date - self.start_date).days + 1
        return [self.start_date + dt.timedelta(days=i) for i in range(n)]


@dataclass
class _Report:
    creation: Creation
    api_key: str
    polls: int = 0
    csv: bytes | None = None
    error: str | None = None


@dataclass
class _Window:
    start: float | None = None
    used: int = 0


@dataclass
class Fault:
    mode: str  # "500", "503", "hang" (no answer for hang_seconds, then a closed socket), "reset"
    endpoint: str | None = None  # "create_async_report", "get_report_status", "download", None=any


@dataclass
class Request:
    method: str
    endpoint: str
    status: int
    had_api_key: bool


class VibeStub:
    """The fake API. Use as a context manager; `base_url` is what the loader is pointed at."""

    def __init__(
        self,
        keys: dict[str, list[str]],
        rows: RowsFn | None = None,
        *,
        budget: int = 15,
        window_seconds: float = 3600.0,
        processing_polls: int = 1,
        end_date_exclusive: bool = True,
        hang_seconds: float = 2.0,
    ) -> None:
        self.keys = keys  # api key -> advertiser ids it may read
        self.rows_fn = rows
        self.data: dict[tuple[str, dt.date], Rows] = {}  # overrides rows_fn per (adv, day)
        self.budget = budget
        self.window_seconds = window_seconds
        self.processing_polls = processing_polls
        self.end_date_exclusive = end_date_exclusive
        self.hang_seconds = hang_seconds
        self.error_days: dict[tuple[str, dt.date], str] = {}
        self.drop_columns: set[str] = set()
        self.creations: list[Creation] = []
        self.requests: list[Request] = []
        self.downloads: list[Request] = []
        self.rate_limited = 0  # 429 answers given
        self._held = False
        self._offset = 0.0
        self._faults: list[Fault] = []
        self._reports: dict[str, _Report] = {}
        self._windows: dict[str, _Window] = {}
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- life cycle -----------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.origin + PREFIX

    def start(self) -> VibeStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> VibeStub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- controls -------------------------------------------------------------------------

    def now(self) -> float:
        """The server's clock (epoch seconds): real time plus what `advance` added."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward, e.g. past the end of the rate-limit window."""
        with self._lock:
            self._offset += seconds

    def fail_next(self, count: int, mode: str = "500", endpoint: str | None = None) -> None:
        with self._lock:
            self._faults.extend(Fault(mode, endpoint) for _ in range(count))

    def hold(self) -> None:
        """Keep every report in `processing` until `release()`."""
        self._held = True

    def release(self) -> None:
        self._held = False

    def creation_count(self, advertiser_id: str | None = None) -> int:
        with self._lock:
            return sum(1 for c in self.creations if advertiser_id in (None, c.advertiser_id))

    def status_polls(self) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.endpoint == "get_report_status")

    # --- the API --------------------------------------------------------------------------

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.endpoint in (None, endpoint):
                    return self._faults.pop(i)
        return None

    def _rate_headers(self, key: str) -> dict[str, str]:
        window = self._windows.get(key)
        if window is None or window.start is None:
            return {"x-rate-limit": str(self.budget), "x-rate-limit-left": str(self.budget)}
        return {
            "x-rate-limit": str(self.budget),
            "x-rate-limit-left": str(max(0, self.budget - window.used)),
            "x-rate-limit-reset-at": str(math.ceil(window.start + self.window_seconds)),
        }

    def _create(self, key: str, body: dict) -> tuple[int, dict, dict[str, str]]:
        problems = self._validate(key, body)
        if problems:
            status, message = problems
            return status, {"message": message}, {}
        with self._lock:
            now = self.now()
            window = self._windows.setdefault(key, _Window())
            if window.start is None or now >= window.start + self.window_seconds:
                window.start, window.used = now, 0
            if window.used >= self.budget:
                self.rate_limited += 1
                headers = self._rate_headers(key)
                retry = max(1, math.ceil(window.start + self.window_seconds - now))
                headers["x-rate-limit-retry-after"] = str(retry)
                return 429, {"message": "Too many requests: report creation limit reached"}, headers
            window.used += 1
            start = dt.date.fromisoformat(body["start_date"])
            end = dt.date.fromisoformat(body["end_date"])
            if self.end_date_exclusive:
                end -= dt.timedelta(days=1)
            creation = Creation(
                report_id=str(uuid.uuid4()),
                api_key_hint=key[:2],
                advertiser_id=str(body["advertiser_id"]),
                start_date=start,
                end_date=end,
                body=body,
                created_at=now,
            )
            self.creations.append(creation)
            self._reports[creation.report_id] = _Report(creation, key)
            return 200, {"report_id": creation.report_id}, self._rate_headers(key)

    def _validate(self, key: str, body: dict) -> tuple[int, str] | None:
        if not isinstance(body, dict):
            return 422, "the body must be a JSON object"
        for name in ("advertiser_id", "start_date", "end_date", "metrics"):
            if not body.get(name):
                return 422, f"{name} is required"
        if str(body["advertiser_id"]) not in self.keys.get(key, []):
            return 403, "Access denied"
        try:
            start = dt.date.fromisoformat(body["start_date"])
            end = dt.date.fromisoformat(body["end_date"])
        except (TypeError, ValueError):
            return 400, "start_date and end_date must be YYYY-MM-DD"
        days = (end - start).days + (0 if self.end_date_exclusive else 1)
        if days < 1:
            return 400, "end_date must not be before start_date"
        if days > MAX_DAYS:
            return 400, f"a report covers at most {MAX_DAYS} days (asked {days})"
        unknown = [m for m in body["metrics"] if m not in KNOWN_METRICS]
        unknown += [d for d in body.get("dimensions") or [] if d not in KNOWN_DIMENSIONS]
        if unknown:
            return 400, f"unknown metric or dimension: {', '.join(unknown)}"
        if body.get("granularity", "day") not in ("hour", "day", "week", "month"):
            return 400, "granularity must be hour, day, week or month"
        if str(body.get("format", "json")).lower() not in ("json", "csv"):
            return 400, "format must be json or csv"
        return None

    def _status(self, key: str, report_id: str) -> tuple[int, dict]:
        with self._lock:
            report = self._reports.get(report_id)
            if report is None or report.api_key != key:
                return 404, {"message": f"report {report_id} not found"}
            report.polls += 1
            if self._held or report.polls <= self.processing_polls:
                state = "created" if report.polls == 1 else "processing"
                return 200, {"report_id": report_id, "status": state}
            creation = report.creation
            failing = [
                self.error_days[(creation.advertiser_id, day)]
                for day in creation.days
                if (creation.advertiser_id, day) in self.error_days
            ]
            if failing:
                return 200, {"report_id": report_id, "status": "error", "message": failing[0]}
            if report.csv is None:
                report.csv = self._render(creation)
            generated = dt.datetime.fromtimestamp(self.now(), dt.UTC)
            return 200, {
                "report_id": report_id,
                "status": "done",
                "generated_url_time": generated.isoformat(),
                "url_expiration_time": (generated + dt.timedelta(hours=24)).isoformat(),
                "download_url": f"{self.origin}/downloads/{report_id}.csv"
                f"?X-Amz-Signature={uuid.uuid4().hex}",
            }

    def _render(self, creation: Creation) -> bytes:
        body = creation.body
        dimensions = ["impression_date"] + [
            d for d in body.get("dimensions") or [] if d != "impression_date"
        ]
        columns = [c for c in dimensions + list(body["metrics"]) if c not in self.drop_columns]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for day in creation.days:
            key = (creation.advertiser_id, day)
            if key in self.data:
                rows = self.data[key]
            elif self.rows_fn is not None:
                rows = self.rows_fn(creation.advertiser_id, day)
            else:
                rows = []
            for row in rows:
                values = {"impression_date": day.isoformat(), **row}
                writer.writerow(
                    ["" if values.get(c) is None else values.get(c, "") for c in columns]
                )
        return out.getvalue().encode("utf-8")

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, status: int, payload, headers: dict[str, str] | None = None) -> None:
                if isinstance(payload, bytes):
                    body, ctype = payload, "text/csv"
                else:
                    body, ctype = json.dumps(payload).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _fault(self, method: str, endpoint: str, key: str | None) -> bool:
                fault = stub._take_fault(endpoint)
                if fault is None:
                    return False
                with stub._lock:
                    stub.requests.append(Request(method, endpoint, 0, key is not None))
                self.close_connection = True
                if fault.mode in ("500", "503"):
                    self._send(int(fault.mode), {"message": "Internal server error"})
                elif fault.mode == "hang":
                    time.sleep(stub.hang_seconds)
                # "reset" (and a hang once it is over): close without an answer
                return True

            def _route(self, method: str) -> None:
                parts = urlparse(self.path)
                key = self.headers.get("X-API-KEY")
                if parts.path.startswith("/downloads/"):
                    endpoint = "download"
                elif parts.path.startswith(PREFIX + "/"):
                    endpoint = parts.path[len(PREFIX) + 1 :]
                else:
                    endpoint = parts.path
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self._fault(method, endpoint, key):
                    return
                status, payload, headers = self._answer(method, endpoint, parts, key, raw)
                record = Request(method, endpoint, status, key is not None)
                with stub._lock:
                    stub.requests.append(record)
                    if endpoint == "download":
                        stub.downloads.append(record)
                self._send(status, payload, headers)

            def _answer(self, method, endpoint, parts, key, raw):
                if endpoint == "download":
                    report_id = parts.path.removeprefix("/downloads/").removesuffix(".csv")
                    report = stub._reports.get(report_id)
                    if method != "GET" or report is None or report.csv is None:
                        return 404, {"message": "NoSuchKey"}, {}
                    return 200, report.csv, {}
                if not key or key not in stub.keys:
                    return 403, {"message": "Access denied"}, {}
                if endpoint == "create_async_report" and method == "POST":
                    try:
                        body = json.loads(raw or b"null")
                    except ValueError:
                        return 422, {"message": "the body is not JSON"}, {}
                    return stub._create(key, body)
                if endpoint == "get_report_status" and method == "GET":
                    report_id = (parse_qs(parts.query).get("report_id") or [""])[0]
                    status, payload = stub._status(key, report_id)
                    return status, payload, {}
                if endpoint == "get_advertiser_ids" and method == "GET":
                    ids = [{"advertiser_id": a, "advertiser_name": a} for a in stub.keys[key]]
                    return 200, ids, {}
                return 404, {"message": f"no route {method} {parts.path}"}, {}

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        return Handler


# --- deterministic sample data (demo) -------------------------------------------------------


def sample_rows(advertiser_id: str, day: dt.date, brand: str, variant: str = "") -> Rows:
    """One day of a CTV media plan: 2 campaigns x 2 strategies x 2 channels x 2 creatives.

    The same (advertiser, day, variant) always gives the same figures. CTV has no clicks, and
    view-through purchases are counted without them.
    """
    import hashlib
    import random

    seed = hashlib.sha256(f"vibe|{advertiser_id}|{day}|{variant}".encode()).digest()
    rng = random.Random(int.from_bytes(seed[:8], "big"))  # noqa: S311 - sample data
    rows: Rows = []
    for c in range(1, 3):
        campaign = f"{brand} CTV {'Awareness' if c == 1 else 'Performance'} {c}"
        for s in range(1, 3):
            strategy = f"{['Sports', 'Entertainment'][s - 1]} Audience {c}.{s}"
            for channel in ("Pluto TV", "Tubi"):
                for k in range(1, 3):
                    impressions = rng.randint(2_000, 40_000)
                    completed = int(impressions * rng.uniform(0.82, 0.97))
                    purchases = rng.randint(0, 12)
                    rows.append(
                        {
                            "campaign_id": f"cmp-{advertiser_id[-4:]}-{c}",
                            "campaign_name": campaign,
                            "strategy_id": f"str-{advertiser_id[-4:]}-{c}{s}",
                            "strategy_name": strategy,
                            "channel_name": channel,
                            "creative_id": f"crv-{advertiser_id[-4:]}-{c}{s}{k}",
                            "creative_name": f"{brand} Spot {k} :30",
                            "impressions": impressions,
                            "completed_views": completed,
                            "number_of_purchases": purchases,
                            "amount_of_purchases": f"{purchases * rng.uniform(30, 120):.2f}",
                            "spend": f"{impressions / 1000 * rng.uniform(18, 26):.4f}",
                        }
                    )
    return rows
