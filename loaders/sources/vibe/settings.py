"""Vibe settings: `[sources.vibe]` and `[sources.vibe.clients.<id>]` the dlt way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from loaders.core.errors import ConfigError
from loaders.core.source_config import SourceSection

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


def load_settings(client_ids: Iterable[str]) -> VibeSettings:
    """`[sources.vibe]` and `[sources.vibe.clients.<id>]` from .dlt/ config + secrets or env."""
    section = SourceSection("vibe")
    shared = {"api_key": section.get("api_key", secret=True)}
    required = {"advertiser_id": False, "api_key": True}
    clients: dict[str, VibeClient] = {}
    for client_id in client_ids:
        values = section.client_values(client_id, required, fallback=shared)
        clients[client_id] = VibeClient(client_id, values["advertiser_id"], values["api_key"])

    number, whole = section.number, section.whole
    settings = VibeSettings(
        clients=clients,
        base_url=str(section.get("base_url", DEFAULT_BASE_URL)),
        refetch_days=whole("refetch_days", 1),
        max_report_days=whole("max_report_days", 45),
        single_day_reports_up_to=whole("single_day_reports_up_to", 3),
        poll_interval=number("poll_interval", 10),
        poll_max_interval=number("poll_max_interval", 60),
        poll_timeout=number("poll_timeout", 1800),
        max_attempts=whole("max_attempts", 5),
        retry_backoff=number("retry_backoff", 1.0),
        retry_max_backoff=number("retry_max_backoff", 30),
        request_timeout=number("request_timeout", 30),
        reuse_hours=number("reuse_hours", 24),
        end_date_exclusive=section.flag("end_date_exclusive", True),
        attribution_window=section.get("attribution_window"),
    )
    if not 1 <= settings.max_report_days <= 45:
        raise ConfigError("sources.vibe.max_report_days must be between 1 and 45 (Vibe's limit)")
    if settings.refetch_days < 0:
        raise ConfigError("sources.vibe.refetch_days must be 0 or more")
    return settings
