"""Vibe settings: `[sources.vibe]` and `[sources.vibe.clients.<id>]` the dlt way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from loaders.core.errors import ConfigError, register_secret

DEFAULT_BASE_URL = "https://clear-platform.vibe.co/rest/reporting/v1"


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
