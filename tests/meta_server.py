"""The Meta Marketing API stand-in for tests, and helpers to point the loader at it.

The server lives in `loaders/demo/meta_stub.py` because `adwh demo` runs it too (the demo
must not import from tests/); it is a real HTTP server on 127.0.0.1, nothing is patched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from loaders.demo.meta_stub import Ad, MetaStub
from loaders.sources import meta

__all__ = ["ACCOUNT", "TOKEN", "Ad", "MetaStub", "server", "settings", "use_env"]

ACCOUNT = "act_1234567890"
TOKEN = "EAAGm0PX4ZCpsBAKZAtest9Lq2vXyTokenForAcme"  # must never show up anywhere
ACCOUNT2 = "act_5550001"
TOKEN2 = "EAAGinitechZZ91tokenValue"


@contextmanager
def server(**options) -> Iterator[MetaStub]:
    tokens = options.pop("tokens", {TOKEN: [ACCOUNT], TOKEN2: [ACCOUNT2]})
    accounts = {
        ACCOUNT: {"name": "Acme Outdoor", "currency": "EUR", "timezone_name": "Europe/Berlin"},
        ACCOUNT2: {"name": "Initech", "currency": "USD", "timezone_name": "America/Chicago"},
    }
    with MetaStub(tokens, accounts, **options) as stub:
        yield stub


def settings(stub: MetaStub, token: str = TOKEN, **overrides) -> meta.MetaSettings:
    """Loader settings for the stand-in with short waits (no test sleeps for real)."""
    values = dict(
        clients={
            "acme": meta.MetaClient("acme", ACCOUNT, token),
            "initech": meta.MetaClient("initech", ACCOUNT2, TOKEN2),
        },
        base_url=stub.base_url,
        poll_interval=0.01,
        poll_max_interval=0.05,
        retry_backoff=0.01,
        retry_max_backoff=0.05,
        request_timeout=5.0,
        slow_down_pause=0.05,
    )
    values.update(overrides)
    return meta.MetaSettings(**values)


def use_env(monkeypatch, stub: MetaStub, token: str = TOKEN, **extra: str) -> None:
    """Configure client acme the dlt way (env vars), as `adwh load meta` reads it."""
    values = {
        "SOURCES__META__BASE_URL": stub.base_url,
        "SOURCES__META__CLIENTS__ACME__AD_ACCOUNT_ID": ACCOUNT,
        "SOURCES__META__CLIENTS__ACME__ACCESS_TOKEN": token,
        "SOURCES__META__POLL_INTERVAL": "0.01",
        "SOURCES__META__POLL_MAX_INTERVAL": "0.05",
        "SOURCES__META__RETRY_BACKOFF": "0.01",
        "SOURCES__META__RETRY_MAX_BACKOFF": "0.05",
        "SOURCES__META__SLOW_DOWN_PAUSE": "0.05",
    }
    values.update(extra)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def day(start: dt.date, n: int) -> dt.date:
    return start + dt.timedelta(days=n)
