"""The Graph API client for one access token: httpx, `Authorization: OAuth <token>` (never in
a URL), bounded retries, Meta's error payloads and rate-limit headers.

- `X-Business-Use-Case-Usage`: per business id, a list of `{type, call_count, total_cputime,
  total_time, estimated_time_to_regain_access}` (percentages; the last in minutes);
- `X-FB-Ads-Insights-Throttle`: `{app_id_util_pct, acc_id_util_pct, ...}`.
Above `slow_down_above_pct` every call pauses first; when Meta says access must be regained,
the client waits if the run's `--max-wait` budget allows, else raises `Throttled`.
Error codes 4, 17, 32, 613 and 80000-80014 are throttling (back off, retry); 190 is a bad
token (`TokenInvalid`); 100 a bad parameter (`InvalidParameter`, naming it); 5xx, timeouts and
network errors are retried with jittered backoff.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from loaders.core.errors import AdwhError, redact
from loaders.sources.meta.settings import MetaClient, MetaSettings

log = logging.getLogger("adwh.meta")

THROTTLE_CODES = {4, 17, 32, 613} | set(range(80000, 80015))


class ApiError(AdwhError):
    """An answer the loader cannot use, or a transient failure that outlived its retries."""


class TokenInvalid(AdwhError):
    """Code 190: the token is invalid, expired or revoked."""


class InvalidParameter(ApiError):
    """Code 100: Meta refused a parameter (the message names it)."""


class Throttled(AdwhError):
    """Meta asks for a wait longer than the run may still wait (`--max-wait`)."""

    def __init__(self, message: str, wait_seconds: float | None) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


@dataclass
class Usage:
    """The highest usage figure of the last answer (%), and the wait Meta asked for (s)."""

    pct: float = 0.0
    regain_seconds: float = 0.0


def read_usage(headers) -> Usage:
    usage = Usage()
    raw = headers.get("x-business-use-case-usage")
    if raw:
        try:
            for entries in json.loads(raw).values():
                for entry in entries if isinstance(entries, list) else [entries]:
                    for key in ("call_count", "total_cputime", "total_time"):
                        usage.pct = max(usage.pct, float(entry.get(key) or 0))
                    minutes = float(entry.get("estimated_time_to_regain_access") or 0)
                    usage.regain_seconds = max(usage.regain_seconds, minutes * 60)
        except (ValueError, AttributeError, TypeError):
            log.warning("unreadable X-Business-Use-Case-Usage header ignored")
    raw = headers.get("x-fb-ads-insights-throttle")
    if raw:
        try:
            payload = json.loads(raw)
            for key in ("app_id_util_pct", "acc_id_util_pct"):
                usage.pct = max(usage.pct, float(payload.get(key) or 0))
        except (ValueError, AttributeError, TypeError):
            log.warning("unreadable X-FB-Ads-Insights-Throttle header ignored")
    return usage


def _error_of(response) -> dict | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return payload["error"]
    return None


def _describe(error: dict) -> str:
    code, sub = error.get("code"), error.get("error_subcode")
    text = str(error.get("error_user_msg") or error.get("message") or "no message")[:300]
    where = f"code {code}" + (f", subcode {sub}" if sub else "")
    trace = f", fbtrace_id {error['fbtrace_id']}" if error.get("fbtrace_id") else ""
    return f"{text} ({where}{trace})"


def without_token(url: str) -> str:
    """A URL with any access_token query parameter removed (Meta's `next` links may hold one)."""
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


class MetaApi:
    def __init__(self, settings: MetaSettings, client: MetaClient, *, max_wait: float) -> None:
        import httpx

        self.settings = settings
        self.client = client
        self.max_wait = max_wait
        self.waited = 0.0
        self.usage = Usage()
        root = settings.base_url.rstrip("/")
        self._origin = urlsplit(root)[:2]
        self._http = httpx.Client(
            base_url=f"{root}/{settings.api_version}/",
            headers={"Authorization": f"OAuth {client.access_token}", "Accept": "application/json"},
            timeout=settings.request_timeout,
        )

    def close(self) -> None:
        self._http.close()

    # --- calls ----------------------------------------------------------------------------

    def get(self, path: str, params: dict | None = None, what: str = "") -> dict:
        return self._call("GET", path, what or f"GET {path}", params=params)

    def post(self, path: str, data: dict, what: str = "") -> dict:
        return self._call("POST", path, what or f"POST {path}", data=data)

    def get_absolute(self, url: str, what: str) -> dict:
        """A `paging.next` link: only to Meta's own host, and never with a token in it."""
        clean = without_token(url)
        if urlsplit(clean)[:2] != self._origin:
            raise ApiError(f"{what}: the next-page link points to another host; not followed")
        return self._call("GET", clean, what)

    # --- the retry loop -------------------------------------------------------------------

    def _call(self, method: str, url: str, what: str, **kwargs) -> dict:
        import httpx

        attempts = max(1, self.settings.max_attempts)
        for attempt in range(1, attempts + 1):
            self._slow_down()
            delay: float | None = None
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}"
            else:
                self.usage = read_usage(response.headers)
                if response.status_code == 200:
                    try:
                        payload = response.json()
                    except ValueError:
                        raise ApiError(f"{what}: the answer is not JSON") from None
                    if isinstance(payload, dict) and "error" not in payload:
                        return payload
                error = _error_of(response) or {}
                code = error.get("code")
                if code == 190 or response.status_code == 401:
                    raise TokenInvalid(
                        f"the access token for client {self.client.client_id} is invalid or "
                        "expired: create a new one (see docs/sources/meta.md) and set "
                        f"sources.meta.clients.{self.client.client_id}.access_token"
                    )
                if code == 100:
                    raise InvalidParameter(f"{what}: Meta refused a parameter: {_describe(error)}")
                if code in THROTTLE_CODES or response.status_code == 429:
                    problem = f"throttled: {_describe(error)}" if error else "HTTP 429"
                    delay = self._throttle_wait(what, problem)
                elif response.status_code >= 500 or error.get("is_transient"):
                    problem = f"HTTP {response.status_code}" + (
                        f": {_describe(error)}" if error else ""
                    )
                else:
                    detail = _describe(error) if error else redact(response.text[:300])
                    raise ApiError(f"{what} answered HTTP {response.status_code}: {detail}")
            if attempt == attempts:
                raise ApiError(f"{what} failed after {attempts} attempt(s) ({problem})")
            if delay is None:
                base = self.settings.retry_backoff * 2 ** (attempt - 1)
                delay = min(self.settings.retry_max_backoff, base) * random.uniform(0.5, 1.0)  # noqa: S311
            log.warning("%s: %s; retry %d/%d in %.2fs", what, problem, attempt, attempts - 1, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _throttle_wait(self, what: str, problem: str) -> float | None:
        """The wait before retrying a throttled call, or Throttled when it is too long."""
        regain = self.usage.regain_seconds
        if regain <= 0:
            return None  # plain backoff
        if self.waited + regain > self.max_wait:
            minutes = regain / 60
            raise Throttled(
                f"{what}: Meta asks to wait {minutes:.0f} min to regain access ({problem}); "
                f"--max-wait {self.max_wait:g} s does not allow it",
                regain,
            )
        self.waited += regain
        return regain

    def _slow_down(self) -> None:
        if self.usage.pct > self.settings.slow_down_above_pct:
            pause = self.settings.slow_down_pause * min(
                1.0, (self.usage.pct - self.settings.slow_down_above_pct) / 25
            )
            log.info("Meta usage at %.0f%%: pausing %.2fs", self.usage.pct, pause)
            time.sleep(pause)
