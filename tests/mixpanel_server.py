"""The Mixpanel export stand-in for tests, and helpers to point the loader at it.

The server lives in `loaders/demo/mixpanel_stub.py` because `adwh demo` runs it too (the demo
must not import from tests/); it is a real HTTP server on 127.0.0.1, nothing is patched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from loaders.demo.mixpanel_stub import MixpanelStub, event
from loaders.sources import mixpanel

__all__ = ["PROJECT", "SECRET", "USERNAME", "MixpanelStub", "event", "server", "settings"]

PROJECT = 4242
USERNAME = "adwh-export.4a1b2c.mp-service-account"
SECRET = "mpSecretZ0n9QvU7test"


@contextmanager
def server(**options) -> Iterator[MixpanelStub]:
    with MixpanelStub({(USERNAME, SECRET): [PROJECT]}, **options) as stub:
        yield stub


def settings(stub: MixpanelStub, secret: str = SECRET, **overrides) -> mixpanel.MixpanelSettings:
    """Loader settings for the stand-in with short waits."""
    values = dict(
        clients={"acme": mixpanel.MixpanelClient("acme", PROJECT, USERNAME, secret)},
        base_url=stub.base_url,
        retry_backoff=0.01,
        retry_max_backoff=0.05,
        throttle_backoff=0.01,
        request_timeout=5.0,
    )
    values.update(overrides)
    return mixpanel.MixpanelSettings(**values)


def use_env(monkeypatch, stub: MixpanelStub, secret: str = SECRET, **extra: str) -> None:
    """Configure client acme the dlt way (env vars), as `adwh load mixpanel` reads it."""
    values = {
        "SOURCES__MIXPANEL__BASE_URL": stub.base_url,
        "SOURCES__MIXPANEL__CLIENTS__ACME__PROJECT_ID": str(PROJECT),
        "SOURCES__MIXPANEL__CLIENTS__ACME__USERNAME": USERNAME,
        "SOURCES__MIXPANEL__CLIENTS__ACME__SECRET": secret,
        "SOURCES__MIXPANEL__RETRY_BACKOFF": "0.01",
        "SOURCES__MIXPANEL__RETRY_MAX_BACKOFF": "0.05",
        "SOURCES__MIXPANEL__THROTTLE_BACKOFF": "0.01",
    }
    values.update(extra)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
