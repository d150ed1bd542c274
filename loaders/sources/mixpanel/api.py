"""Mixpanel's Raw Event Export API for one service account: httpx, HTTP basic auth (never in
a URL), `Accept-Encoding: gzip`, the answer read line by line (JSON Lines) as it arrives.

`GET {base_url}/api/2.0/export?project_id=P&from_date=D1&to_date=D2&event=["a","b"]`.
Limits: 60 queries per hour and 3 per second per project (`QueryBudget` spaces the queries;
a wait longer than the run's `--max-wait` raises `Throttled`); 429 -> back off
(`Retry-After` or `throttle_backoff` x attempt) and ask again; 401 -> `AccountRejected`;
400 -> `BadParameter` (Mixpanel's message names the parameter); 5xx, timeouts and network
errors are retried with jittered backoff. A stream cut after lines were read raises
`StreamBroken`: the caller retries the whole range (its rows were not loaded).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterator

from loaders.core.errors import AdwhError, redact
from loaders.sources.mixpanel.settings import MixpanelClient, MixpanelSettings

log = logging.getLogger("adwh.mixpanel")


class ApiError(AdwhError):
    """An answer the loader cannot use, or a failure that outlived its retries."""


class AccountRejected(ApiError):
    """HTTP 401: the service account (username/secret) was refused."""


class BadParameter(ApiError):
    """HTTP 400: Mixpanel refused a parameter."""


class StreamBroken(ApiError):
    """The connection failed after part of the export was read."""


class Throttled(AdwhError):
    """The query budget needs a wait longer than the run may still wait (`--max-wait`)."""


class QueryBudget:
    """At most `per_second` queries in any second and `per_hour` in any hour (this process)."""

    def __init__(
        self,
        per_second: int,
        per_hour: int,
        *,
        max_wait: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_second, self.per_hour, self.max_wait = per_second, per_hour, max_wait
        self.clock, self.sleep = clock, sleep
        self.sent: deque[float] = deque()
        self.waited = 0.0

    def wait_needed(self) -> float:
        now = self.clock()
        while self.sent and self.sent[0] <= now - 3600:
            self.sent.popleft()
        wait = 0.0
        if len(self.sent) >= self.per_hour:
            wait = self.sent[-self.per_hour] + 3600 - now
        recent = [t for t in self.sent if t > now - 1]
        if len(recent) >= self.per_second:
            wait = max(wait, recent[-self.per_second] + 1 - now)
        return max(0.0, wait)

    def acquire(self) -> None:
        wait = self.wait_needed()
        if wait > 0:
            if wait > 1 and self.waited + wait > self.max_wait:
                raise Throttled(
                    f"the export budget ({self.per_hour} queries per hour) is spent: the next "
                    f"query may go in {wait / 60:.0f} min; --max-wait {self.max_wait:g} s does "
                    "not allow it"
                )
            self.waited += wait
            self.sleep(wait)
        self.sent.append(self.clock())


def _message(response) -> str:
    try:
        text = response.read().decode("utf-8", "replace")
    except Exception:
        return ""
    try:
        payload = json.loads(text)
        if isinstance(payload, dict) and payload.get("error"):
            return str(payload["error"])[:300]
    except ValueError:
        pass
    return redact(text.strip()[:300])


class ExportApi:
    def __init__(
        self,
        settings: MixpanelSettings,
        client: MixpanelClient,
        budget: QueryBudget,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.settings, self.client, self.budget, self.sleep = settings, client, budget, sleep
        self.queries = 0
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/"),
            auth=httpx.BasicAuth(client.username, client.secret),
            headers={"Accept-Encoding": "gzip", "Accept": "text/plain"},
            timeout=settings.request_timeout,
        )

    def close(self) -> None:
        self._http.close()

    def export(self, first: str, last: str, events: list[str]) -> Iterator[tuple[int, dict]]:
        """(line number, event object) for each line of the export of days first..last."""
        import httpx

        params = {
            "project_id": str(self.client.project_id),
            "from_date": first,
            "to_date": last,
            "event": json.dumps(events),
        }
        what = f"the export {first}..{last} for client {self.client.client_id}"
        attempts = max(1, self.settings.max_attempts)
        for attempt in range(1, attempts + 1):
            self.budget.acquire()
            self.queries += 1
            delay: float | None = None
            try:
                with self._http.stream("GET", "/api/2.0/export", params=params) as response:
                    status = response.status_code
                    if status == 200:
                        yield from self._lines(response, what)
                        return
                    problem = f"HTTP {status}"
                    if status == 401:
                        raise AccountRejected(
                            f"Mixpanel rejected the service account for client "
                            f"{self.client.client_id} (HTTP 401): check sources.mixpanel."
                            f"clients.{self.client.client_id}.username/secret and the "
                            "account's access to the project"
                        )
                    if status == 400:
                        raise BadParameter(
                            f"{what}: Mixpanel refused a parameter (HTTP 400): {_message(response)}"
                        )
                    if status == 429:
                        retry_after = response.headers.get("retry-after", "")
                        delay = (
                            float(retry_after)
                            if retry_after.replace(".", "", 1).isdigit()
                            else self.settings.throttle_backoff * attempt
                        )
                        problem = "HTTP 429 (rate limit)"
                    elif status < 500:
                        raise ApiError(f"{what} answered HTTP {status}: {_message(response)}")
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            self._pause(what, problem, attempt, delay)

    def _pause(self, what: str, problem: str, attempt: int, delay: float | None) -> None:
        """Wait before attempt `attempt + 1`: `delay`, or jittered exponential backoff."""
        left = max(1, self.settings.max_attempts) - attempt
        if left <= 0:
            raise ApiError(f"{what} failed after {attempt} attempt(s) ({problem})")
        if delay is None:
            ceiling = min(
                self.settings.retry_max_backoff, self.settings.retry_backoff * 2**attempt / 2
            )
            delay = ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter
        log.warning("%s: %s; %d attempt(s) left, next in %.2fs", what, problem, left, delay)
        self.sleep(delay)

    @staticmethod
    def _lines(response, what: str) -> Iterator[tuple[int, dict]]:
        import httpx

        number = 0
        try:
            for line in response.iter_lines():
                number += 1
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except ValueError:
                    raise ApiError(f"{what}: line {number} is not JSON: {line[:80]!r}") from None
                if not isinstance(item, dict):
                    raise ApiError(f"{what}: line {number} is not a JSON object")
                yield number, item
        except httpx.TransportError as exc:
            raise StreamBroken(
                f"{what}: the connection failed after {number} line(s) ({type(exc).__name__})"
            ) from None
