"""A stand-in for Meta's Marketing API (ad insights, async jobs) on 127.0.0.1, for the demo and
the tests: a real HTTP server the loader talks to over sockets with its real httpx client.

It plays the contract adwh relies on:
- every call needs a known token (`Authorization: OAuth <token>`, or `access_token=`; the
  latter is recorded as a leak): otherwise HTTP 400 with error code 190;
- `GET /{v}/act_{id}?fields=...` -> the account's id, name, currency, timezone_name;
- `POST /{v}/act_{id}/insights` (level=ad, time_increment=1, time_range JSON, fields,
  action_attribution_windows JSON, optional breakdowns=country) -> `{"report_run_id"}`; a
  bad parameter -> HTTP 400, code 100, naming the parameter;
- `GET /{v}/{report_run_id}` -> async_status "Job Not Started" -> "Job Started" ->
  "Job Running" -> "Job Completed" (or "Job Failed" / "Job Skipped" when told so), with
  async_percent_completion;
- `GET /{v}/{report_run_id}/insights?limit=N[&after=C]` -> pages of rows, every number a JSON
  string, `actions`/`action_values` with purchases repeated under several action types, and
  `paging.next` as an absolute URL while more rows follow; country rows add up to the ad rows;
- every answer carries `X-Business-Use-Case-Usage` and `X-FB-Ads-Insights-Throttle`.
Test controls: `fail_next` queues faults (throttling codes 80000/2446079, 613, 17 with an
optional time to regain access; 500/503; a hang; a reset connection); `fail_job` makes jobs
covering a day end in "Job Failed"; `usage_pct` sets the usage figures; `data` holds the ads
per (account, day) and can be edited between runs (restatements, vanished ads).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from loaders.demo.meta_rows import Ad, render

__all__ = ["Ad", "Fault", "MetaStub"]

KNOWN_FIELDS = {
    "account_currency", "account_id", "account_name", "campaign_id", "campaign_name",
    "adset_id", "adset_name", "ad_id", "ad_name", "date_start", "date_stop", "impressions",
    "clicks", "inline_link_clicks", "spend", "reach", "frequency", "actions", "action_values",
    "cpm", "ctr", "cpc",
}  # fmt: skip
WINDOWS = {"1d_click", "7d_click", "28d_click", "1d_view", "7d_view", "28d_view", "1d_ev"}
BREAKDOWNS = {"country", "age", "gender", "region", "publisher_platform"}
RUNNING = ["Job Not Started", "Job Started", "Job Running"]
TOO_MANY = "There have been too many calls from this ad-account. Wait a bit and try again."
THROTTLES = {
    "80000": (80000, 2446079, TOO_MANY),
    "613": (613, 1487742, TOO_MANY),
    "17": (17, 2446079, "User request limit reached"),
}


@dataclass
class Job:
    report_run_id: str
    account: str
    since: dt.date
    until: dt.date
    breakdowns: str | None
    params: dict
    polls: int = 0
    fails: str | None = None  # "Job Failed" / "Job Skipped" when told so

    @property
    def days(self) -> list[dt.date]:
        return [
            self.since + dt.timedelta(days=i) for i in range((self.until - self.since).days + 1)
        ]


@dataclass
class Fault:
    kind: str  # 80000 | 613 | 17 | 500 | 503 | hang | reset
    count: int = 1
    path: str = ""  # only requests whose path contains this
    regain_minutes: float = 0
    seconds: float = 3.0  # how long a hang lasts


class MetaStub:
    def __init__(
        self,
        tokens: dict[str, list[str]],
        accounts: dict[str, dict] | None = None,
        *,
        rows: Callable[[str, dt.date], list[Ad]] | None = None,
        polls_to_complete: int = 3,
        version: str = "v24.0",
    ) -> None:
        self.tokens = tokens
        self.accounts = accounts or {}
        self.data: dict[tuple[str, dt.date], list[Ad]] = {}
        self.rows_fn = rows
        self.polls_to_complete = polls_to_complete
        self.version = version
        self.usage_pct = 5.0
        self.jobs: dict[str, Job] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, full path with query, body)
        self.auth_headers: list[str] = []
        self.faults: list[Fault] = []
        self.job_failures: list[list] = []  # [day, times left or None, status]
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle and controls -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> MetaStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, kind: str, count: int = 1, path: str = "", **options) -> None:
        with self._lock:
            self.faults.append(Fault(kind, count, path, **options))

    def fail_job(self, day: dt.date, times: int | None = 1, status: str = "Job Failed") -> None:
        """Jobs covering `day` end in `status`, `times` times (None: always)."""
        with self._lock:
            self.job_failures.append([day, times, status])

    def ads(self, account: str, day: dt.date) -> list[Ad]:
        if (account, day) in self.data:
            return self.data[(account, day)]
        return self.rows_fn(account, day) if self.rows_fn else []

    def created(self, breakdowns: str | None = None) -> list[Job]:
        return [j for j in self.jobs.values() if j.breakdowns == breakdowns]

    # --- answers ----------------------------------------------------------------------------

    def _usage_headers(self, account: str | None, regain: float = 0) -> dict[str, str]:
        pct = self.usage_pct
        business = {
            "1000000001": [{
                "type": "ads_insights", "call_count": pct, "total_cputime": pct,
                "total_time": pct, "estimated_time_to_regain_access": regain,
            }]
        }  # fmt: skip
        throttle = {
            "app_id_util_pct": pct,
            "acc_id_util_pct": pct,
            "ads_api_access_tier": "standard_access",
        }
        return {
            "X-Business-Use-Case-Usage": json.dumps(business),
            "X-FB-Ads-Insights-Throttle": json.dumps(throttle),
        }

    @staticmethod
    def error(
        code: int, message: str, subcode: int | None = None, kind: str = "OAuthException"
    ) -> dict:
        body = {"message": message, "type": kind, "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}
        if subcode:
            body["error_subcode"] = subcode
        return {"error": body}

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.path in path:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def handle(self, method: str, raw_path: str, body: str, auth: str) -> tuple[int, dict, dict]:
        url = urlparse(raw_path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        params = {**query, **form}
        token = auth.removeprefix("OAuth ").removeprefix("Bearer ").strip() if auth else ""
        token = token or params.get("access_token", "")
        parts = [p for p in url.path.split("/") if p]
        if not parts or parts[0] != self.version:
            return 400, self.error(2635, f"unknown version {parts[:1]}"), {}
        accounts = self.tokens.get(token)
        if accounts is None:
            return (
                400,
                self.error(190, "Error validating access token: Session has expired.", 463),
                {},
            )
        rest = parts[1:]
        if len(rest) == 1 and rest[0].startswith("act_"):
            return self._account(rest[0], accounts, params)
        if (
            len(rest) == 2
            and rest[0].startswith("act_")
            and rest[1] == "insights"
            and method == "POST"
        ):
            return self._create(rest[0], accounts, params)
        job = self.jobs.get(rest[0]) if rest else None
        if job is None or job.account not in accounts:
            return (
                400,
                self.error(
                    100,
                    f"(#100) Unsupported request: object {rest[:1]} does not exist",
                    33,
                    "GraphMethodException",
                ),
                {},
            )
        if len(rest) == 1:
            return self._status(job)
        if len(rest) == 2 and rest[1] == "insights":
            return self._page(job, params)
        return 400, self.error(100, "(#100) Unknown path"), {}

    def _account(self, account, accounts, params):
        if account not in accounts:
            return (
                403,
                self.error(200, "(#200) Ad account owner has NOT granted ads_read permission"),
                {},
            )
        info = self.accounts.get(account, {})
        payload = {
            "id": account,
            "name": info.get("name", f"Account {account}"),
            "currency": info.get("currency", "USD"),
            "timezone_name": info.get("timezone_name", "America/New_York"),
        }
        return 200, payload, self._usage_headers(account)

    def _create(self, account, accounts, params):
        if account not in accounts:
            return (
                403,
                self.error(200, "(#200) Ad account owner has NOT granted ads_read permission"),
                {},
            )
        bad = self._invalid(params)
        if bad:
            return 400, self.error(100, f"(#100) {bad}", 1487534), self._usage_headers(account)
        span = json.loads(params["time_range"])
        job = Job(
            uuid.uuid4().hex[:16], account, dt.date.fromisoformat(span["since"]),
            dt.date.fromisoformat(span["until"]), params.get("breakdowns") or None, params,
        )  # fmt: skip
        with self._lock:
            for rule in self.job_failures:
                day, times, status = rule
                if job.since <= day <= job.until and (times is None or times > 0):
                    job.fails = status
                    if times is not None:
                        rule[1] = times - 1
                    break
            self.jobs[job.report_run_id] = job
        return 200, {"report_run_id": job.report_run_id}, self._usage_headers(account)

    def _invalid(self, p: dict) -> str | None:
        if p.get("level") != "ad":
            return "param level must be one of {ad, adset, campaign, account}"
        if p.get("time_increment") != "1":
            return "param time_increment must be 1 for daily rows here"
        try:
            span = json.loads(p.get("time_range", ""))
            since, until = (dt.date.fromisoformat(span[k]) for k in ("since", "until"))
        except (ValueError, KeyError, TypeError):
            return "param time_range must be a JSON object {since, until} of YYYY-MM-DD dates"
        if since > until:
            return "param time_range: since must not be after until"
        fields = [f for f in p.get("fields", "").split(",") if f]
        for i, name in enumerate(fields):
            if name not in KNOWN_FIELDS:
                return f"fields[{i}] {name!r} is not a valid insights field"
        if not fields:
            return "param fields must be non-empty"
        try:
            windows = json.loads(p.get("action_attribution_windows", "[]"))
        except ValueError:
            return "param action_attribution_windows must be a JSON list"
        for w in windows:
            if w not in WINDOWS:
                return f"param action_attribution_windows: {w!r} is not a valid window"
        if p.get("breakdowns") and p["breakdowns"] not in BREAKDOWNS:
            return f"param breakdowns: {p['breakdowns']!r} is not a valid breakdown"
        return None

    def _status(self, job: Job):
        with self._lock:
            job.polls += 1
            polls = job.polls
        if polls > self.polls_to_complete:
            state, pct = (job.fails, 0) if job.fails else ("Job Completed", 100)
        else:
            state = RUNNING[min(polls - 1, len(RUNNING) - 1)]
            pct = int(100 * (polls - 1) / self.polls_to_complete)
        payload = {
            "id": job.report_run_id, "account_id": job.account.removeprefix("act_"),
            "async_status": state, "async_percent_completion": pct,
            "date_start": job.since.isoformat(), "date_stop": job.until.isoformat(),
        }  # fmt: skip
        return 200, payload, self._usage_headers(job.account)

    def _rows(self, job: Job) -> list[dict]:
        windows = json.loads(job.params.get("action_attribution_windows", "[]"))
        currency = self.accounts.get(job.account, {}).get("currency", "USD")
        rows = []
        for day in job.days:
            for ad in self.ads(job.account, day):
                if job.breakdowns == "country":
                    rows.extend(render(ad, day, currency, windows, c) for c in sorted(ad.countries))
                else:
                    rows.append(render(ad, day, currency, windows))
        return rows

    def _page(self, job: Job, params: dict):
        if job.polls <= self.polls_to_complete or job.fails:
            return 400, self.error(100, "(#100) The report is not ready", 1815107), {}
        limit = int(params.get("limit", 25))
        after = params.get("after")
        start = int(base64.b64decode(after).decode()) if after else 0
        rows = self._rows(job)
        payload: dict = {"data": rows[start : start + limit]}
        cursors = {"before": base64.b64encode(str(start).encode()).decode()}
        if start + limit < len(rows):
            cursor = base64.b64encode(str(start + limit).encode()).decode()
            cursors["after"] = cursor
            leak = f"&access_token={params['access_token']}" if "access_token" in params else ""
            payload["paging"] = {
                "cursors": cursors,
                "next": f"{self.base_url}/{self.version}/{job.report_run_id}/insights"
                f"?limit={limit}&after={cursor}{leak}",
            }
        else:
            payload["paging"] = {"cursors": cursors}
        return 200, payload, self._usage_headers(job.account)

    # --- HTTP -------------------------------------------------------------------------------

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                auth = self.headers.get("Authorization", "")
                with stub._lock:
                    stub.requests.append((method, self.path, body))
                    stub.auth_headers.append(auth)
                fault = stub._take_fault(urlparse(self.path).path)
                if fault and fault.kind == "reset":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault and fault.kind == "hang":
                    time.sleep(fault.seconds)
                if fault and fault.kind in THROTTLES:
                    code, sub, text = THROTTLES[fault.kind]
                    status, payload = 400, stub.error(code, text, sub)
                    headers = stub._usage_headers(None, fault.regain_minutes)
                elif fault and fault.kind in ("500", "503"):
                    status, headers = int(fault.kind), {}
                    payload = stub.error(2, "An unexpected error has occurred.")
                    payload["error"]["is_transient"] = True
                else:
                    status, payload, headers = stub.handle(method, self.path, body, auth)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler
