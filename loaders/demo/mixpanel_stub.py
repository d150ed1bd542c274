"""A stand-in for Mixpanel's Raw Event Export API on 127.0.0.1, for the demo and the tests: a
real HTTP server the loader reaches over sockets with its real httpx client.

It plays the contract adwh relies on:
- `GET /api/2.0/export` needs HTTP basic auth of a known service account with access to
  `project_id`, else HTTP 401 (`{"error": ...}`); a missing or malformed `project_id`,
  `from_date`, `to_date` or `event` -> HTTP 400 naming the parameter;
- the answer is JSON Lines (`{"event": ..., "properties": {"time": <epoch s>, "distinct_id",
  "$insert_id", ...}}`), gzip-compressed when the request says `Accept-Encoding: gzip`;
- only events whose UTC day (`time`) lies in from_date..to_date, and only the names listed
  in `event` when it is given;
- the export is not deduplicated: `duplicate_every=N` sends every Nth event twice;
- `query_budget=N`: after N queries every query answers HTTP 429 until `reset_budget()`;
  `fail_next(status)` queues faults (HTTP 400/500/503/429, or "cut": the connection closes after
  half of the lines).
Every query is recorded in `queries` (its parameters and whether it was gzip-compressed).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def event(name: str, user: str, when: dt.datetime, insert_id: str, **props) -> dict:
    """One export line: `when` is an aware datetime; props are the event's properties."""
    return {
        "event": name,
        "properties": {
            "time": int(when.timestamp()),
            "distinct_id": user,
            "$insert_id": insert_id,
            "mp_processing_time_ms": int(when.timestamp() * 1000) + 1500,
            **props,
        },
    }


class MixpanelStub:
    def __init__(
        self,
        accounts: dict[tuple[str, str], list[int]],
        *,
        query_budget: int | None = None,
        duplicate_every: int = 0,
    ) -> None:
        self.accounts = accounts  # (username, secret) -> project ids
        self.events: dict[int, list[dict]] = {}  # project id -> export lines
        self.query_budget = query_budget
        self.duplicate_every = duplicate_every
        self.queries: list[dict] = []
        self.faults: list[str] = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> MixpanelStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, fault: str) -> None:
        with self.lock:
            self.faults.append(fault)

    def reset_budget(self, budget: int | None = None) -> None:
        with self.lock:
            self.query_budget = budget
            self.queries.clear()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        if url.path != "/api/2.0/export":
            return self._json(handler, 404, {"error": f"unknown path {url.path}"})
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        gzip_ok = "gzip" in handler.headers.get("Accept-Encoding", "")
        with self.lock:
            self.queries.append({**params, "gzip": gzip_ok})
            over = self.query_budget is not None and len(self.queries) > self.query_budget
            fault = self.faults.pop(0) if self.faults else None
        account = self._account(handler)
        if account is None:
            return self._json(handler, 401, {"error": "Invalid service account credentials"})
        project = params.get("project_id", "")
        if not project.isdigit():
            return self._json(handler, 400, {"error": "project_id: a project id is required"})
        if int(project) not in self.accounts[account]:
            return self._json(handler, 401, {"error": "service account has no access to project"})
        for name in ("from_date", "to_date"):
            if not DAY.match(params.get(name, "")):
                return self._json(handler, 400, {"error": f"{name}: expected yyyy-mm-dd"})
        first = dt.date.fromisoformat(params["from_date"])
        last = dt.date.fromisoformat(params["to_date"])
        if last < first:
            return self._json(handler, 400, {"error": "to_date: must not be before from_date"})
        names = None
        if "event" in params:
            try:
                names = json.loads(params["event"])
                assert isinstance(names, list) and all(isinstance(n, str) for n in names)
            except (ValueError, AssertionError):
                return self._json(handler, 400, {"error": "event: expected a JSON array"})
        if over or fault == "429":
            return self._json(handler, 429, {"error": "rate limit exceeded"})
        if fault == "400":
            return self._json(handler, 400, {"error": "to_date: cannot be in the future"})
        if fault in ("500", "503"):
            return self._json(handler, int(fault), {"error": "internal error"})
        lines = []
        for n, item in enumerate(self.events.get(int(project), []), start=1):
            day = dt.datetime.fromtimestamp(item["properties"]["time"], dt.UTC).date()
            if not first <= day <= last or (names is not None and item["event"] not in names):
                continue
            lines.append(json.dumps(item))
            if self.duplicate_every and n % self.duplicate_every == 0:
                lines.append(json.dumps(item))
        body = ("\n".join(lines) + ("\n" if lines else "")).encode()
        if fault == "cut":
            return self._cut(handler, body)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        if gzip_ok:
            body = gzip.compress(body)
            handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _account(self, handler) -> tuple[str, str] | None:
        value = handler.headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            username, _, secret = base64.b64decode(value[6:]).decode().partition(":")
        except ValueError:
            return None
        return (username, secret) if (username, secret) in self.accounts else None

    @staticmethod
    def _json(handler, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _cut(handler, body: bytes) -> None:
        """Promise the whole body, send half of it, close the connection."""
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                stub.answer(self)

            def log_message(self, *args) -> None:
                pass

        return Handler
