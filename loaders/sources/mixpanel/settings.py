"""`[sources.mixpanel]` settings: shared options and the event / property names in
.dlt/config.toml, one section per client with its project id, and the client's service
account (username, secret) in .dlt/secrets.toml (or env vars such as
SOURCES__MIXPANEL__CLIENTS__ACME__SECRET)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from loaders.core.errors import ConfigError
from loaders.core.source_config import SourceSection

DEFAULT_BASE_URL = "https://data.mixpanel.com"
# role -> the client's event name (RevenueCat's own defaults differ; docs/sources/mixpanel.md)
DEFAULT_EVENTS = {
    "trial_started": "RC Trial started",
    "trial_converted": "RC Trial converted",
    "initial_purchase": "RC Initial purchase",
    "cancellation": "RC Cancellation",
}
# role -> the event property holding it
DEFAULT_PROPERTIES = {
    "product_id": "product_id",
    "revenue": "revenue",
    "country": "mp_country_code",
    "campaign_id": "campaign_id",
    "adset_id": "adset_id",
    "ad_id": "ad_id",
}


@dataclass(frozen=True)
class MixpanelClient:
    client_id: str
    project_id: int
    username: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class MixpanelSettings:
    clients: dict[str, MixpanelClient]
    base_url: str = DEFAULT_BASE_URL
    lookback_days: int = 7
    max_days_per_query: int = 31
    # projects created before 2023 filter from_date/to_date in the project's timezone
    project_timezone: str = "UTC"
    events: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_EVENTS))
    properties: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PROPERTIES))
    queries_per_hour: int = 60
    queries_per_second: int = 3
    max_attempts: int = 5
    retry_backoff: float = 2.0
    retry_max_backoff: float = 60.0
    # 429: wait this long (or the Retry-After the server gives) before asking again
    throttle_backoff: float = 60.0
    request_timeout: float = 300.0
    batch_rows: int = 50_000

    def client(self, client_id: str) -> MixpanelClient:
        try:
            return self.clients[client_id]
        except KeyError:
            raise ConfigError(
                f"client {client_id!r} has no [sources.mixpanel.clients] entry"
            ) from None


def _names(section: SourceSection, group: str, defaults: dict[str, str]) -> dict[str, str]:
    out = {}
    for role, default in defaults.items():
        value = section.get(f"{group}.{role}", default)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"sources.mixpanel.{group}.{role} must be a non-empty name")
        out[role] = value.strip()
    return out


def load_settings(client_ids: Iterable[str]) -> MixpanelSettings:
    section = SourceSection("mixpanel")
    clients: dict[str, MixpanelClient] = {}
    for client_id in client_ids:
        values = section.client_values(
            client_id, {"project_id": False, "username": True, "secret": True}
        )
        project_id = values["project_id"].strip()
        if not project_id.isdigit():
            raise ConfigError(
                f"sources.mixpanel.clients.{client_id}.project_id must be a number "
                f"(found {project_id!r})"
            )
        clients[client_id] = MixpanelClient(
            client_id, int(project_id), values["username"].strip(), values["secret"].strip()
        )

    defaults = MixpanelSettings(clients={})
    floats = ("retry_backoff", "retry_max_backoff", "throttle_backoff", "request_timeout")
    ints = (
        "lookback_days",
        "max_days_per_query",
        "queries_per_hour",
        "queries_per_second",
        "max_attempts",
        "batch_rows",
    )
    settings = MixpanelSettings(
        clients=clients,
        base_url=str(section.get("base_url", DEFAULT_BASE_URL)).rstrip("/"),
        project_timezone=str(section.get("project_timezone", "UTC")),
        events=_names(section, "events", DEFAULT_EVENTS),
        properties=_names(section, "properties", DEFAULT_PROPERTIES),
        **section.numbers(defaults, floats),
        **section.numbers(defaults, ints, whole=True),
    )
    validate(settings)
    return settings


def validate(settings: MixpanelSettings) -> None:
    import zoneinfo

    if not 1 <= settings.max_days_per_query <= 366:
        raise ConfigError("sources.mixpanel.max_days_per_query must be between 1 and 366")
    if settings.lookback_days < 1:
        raise ConfigError("sources.mixpanel.lookback_days must be 1 or more")
    if settings.queries_per_hour < 1 or settings.queries_per_second < 1:
        raise ConfigError("sources.mixpanel.queries_per_hour/_second must be 1 or more")
    if len(set(settings.events.values())) != len(settings.events):
        raise ConfigError("sources.mixpanel.events: two roles share one event name")
    try:
        zoneinfo.ZoneInfo(settings.project_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"sources.mixpanel.project_timezone {settings.project_timezone!r} is not an IANA "
            "timezone (e.g. UTC, America/Los_Angeles)"
        ) from None
