"""The Vibe reporting API: one httpx client per key, bounded retries, the key's rate limit.

Creations are limited (15 per hour per key): every answer's `x-rate-limit-left` /
`x-rate-limit-reset-at` are remembered so the run knows when the window is spent.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time

from loaders.core.errors import AdwhError
from loaders.sources.vibe.settings import VibeSettings

log = logging.getLogger("adwh.vibe")


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
