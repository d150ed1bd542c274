"""The Vibe API stand-in for tests, and helpers to point the loader at it.

The server itself lives in `loaders/vibe_stub.py` because `adwh demo` runs it too (the demo
must not import from tests/). It is a real HTTP server on 127.0.0.1: the loader talks to it
over real sockets with its real httpx client; nothing is patched. See that module for what
it plays (X-API-KEY, rate-limit headers and 429s on a movable clock, processing -> done,
error reports, injected 500s, hangs and resets, CSV downloads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from loaders.demo.vibe_stub import Creation, Rows, VibeStub
from loaders.sources import vibe

__all__ = ["ADV", "KEY", "Creation", "Rows", "VibeStub", "row", "server", "settings", "use_env"]

ADV = "adv-7f3a-acme"
KEY = "vk_live_Zq81xT4mPwe93LrA"  # what the tests configure; must never show up in output
ADV2 = "adv-19c2-initech"
KEY2 = "vk_live_Jm20aQ7sKd55VbNe"


def row(
    creative: str,
    impressions: int | str,
    completed: int | str = 0,
    purchases: int | str = 0,
    revenue: str = "0",
    spend: str = "0",
    *,
    campaign: str = "Fall Launch",
    strategy: str = "Sports Fans",
    channel: str = "Pluto TV",
    date: dt.date | str | None = None,
) -> dict[str, object]:
    """One report row as Vibe's CSV has it (impression_date defaults to the report's day)."""
    out: dict[str, object] = {
        "campaign_id": f"c-{campaign[:4].lower()}",
        "campaign_name": campaign,
        "strategy_id": f"s-{strategy[:4].lower()}",
        "strategy_name": strategy,
        "channel_name": channel,
        "creative_id": f"k-{creative.lower()}",
        "creative_name": creative,
        "impressions": impressions,
        "completed_views": completed,
        "number_of_purchases": purchases,
        "amount_of_purchases": revenue,
        "spend": spend,
    }
    if date is not None:
        out["impression_date"] = str(date)
    return out


@contextmanager
def server(**options) -> Iterator[VibeStub]:
    """A stand-in with two advertisers, each readable by its own key."""
    keys = options.pop("keys", {KEY: [ADV], KEY2: [ADV2]})
    with VibeStub(keys, **options) as stub:
        yield stub


def settings(stub: VibeStub, **overrides) -> vibe.VibeSettings:
    """Loader settings for the stand-in with short waits (no test sleeps for real)."""
    values = dict(
        clients={
            "acme": vibe.VibeClient("acme", ADV, KEY),
            "initech": vibe.VibeClient("initech", ADV2, KEY2),
        },
        base_url=stub.base_url,
        poll_interval=0.01,
        poll_max_interval=0.05,
        retry_backoff=0.01,
        retry_max_backoff=0.05,
        request_timeout=5.0,
    )
    values.update(overrides)
    return vibe.VibeSettings(**values)


def use_env(monkeypatch, stub: VibeStub, key: str = KEY, **extra: str) -> None:
    """Configure client acme the dlt way (env vars), as `adwh load vibe` reads it."""
    values = {
        "SOURCES__VIBE__BASE_URL": stub.base_url,
        "SOURCES__VIBE__CLIENTS__ACME__ADVERTISER_ID": ADV,
        "SOURCES__VIBE__CLIENTS__ACME__API_KEY": key,
        "SOURCES__VIBE__POLL_INTERVAL": "0.01",
        "SOURCES__VIBE__POLL_MAX_INTERVAL": "0.05",
        "SOURCES__VIBE__RETRY_BACKOFF": "0.01",
        "SOURCES__VIBE__RETRY_MAX_BACKOFF": "0.05",
    }
    values.update(extra)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
