"""`[sources.mixpanel]` settings: shared options and the event / property names in
.dlt/config.toml, one section per client with its project id, and the client's service
account (username, secret) in .dlt/secrets.toml (or env vars such as
SOURCES__MIXPANEL__CLIENTS__ACME__SECRET)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from loaders.core.errors import ConfigError, register_secret

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


def _env_name(path: str) -> str:
    return path.upper().replace(".", "__")


def _names(get, section: str, defaults: dict[str, str]) -> dict[str, str]:
    out = {}
    for role, default in defaults.items():
        value = get(f"{section}.{role}", default)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"sources.mixpanel.{section}.{role} must be a non-empty name")
        out[role] = value.strip()
    return out


def load_settings(client_ids: Iterable[str]) -> MixpanelSettings:
    import dlt

    def get(name: str, default=None, secret: bool = False):
        value = (dlt.secrets if secret else dlt.config).get(f"sources.mixpanel.{name}")
        return default if value in (None, "") else value

    clients: dict[str, MixpanelClient] = {}
    for client_id in client_ids:
        section = f"clients.{client_id}"
        values = {}
        for name, secret, where in (
            ("project_id", False, ".dlt/config.toml"),
            ("username", True, ".dlt/secrets.toml"),
            ("secret", True, ".dlt/secrets.toml"),
        ):
            value = get(f"{section}.{name}", secret=secret)
            if value is None:
                value = get(f"{section}.{name}", secret=not secret)
            if value in (None, ""):
                path = f"sources.mixpanel.{section}.{name}"
                raise ConfigError(f"{path} is not set ({where} or {_env_name(path)})")
            values[name] = str(value).strip()
        register_secret(values["secret"])
        if not values["project_id"].isdigit():
            raise ConfigError(
                f"sources.mixpanel.{section}.project_id must be a number "
                f"(found {values['project_id']!r})"
            )
        clients[client_id] = MixpanelClient(
            client_id, int(values["project_id"]), values["username"], values["secret"]
        )

    defaults = MixpanelSettings(clients={})

    def number(name: str) -> float:
        value = get(name, getattr(defaults, name))
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"sources.mixpanel.{name} must be a number (found {value!r})"
            ) from None

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
        base_url=str(get("base_url", DEFAULT_BASE_URL)).rstrip("/"),
        project_timezone=str(get("project_timezone", "UTC")),
        events=_names(get, "events", DEFAULT_EVENTS),
        properties=_names(get, "properties", DEFAULT_PROPERTIES),
        **{name: number(name) for name in floats},
        **{name: int(number(name)) for name in ints},
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
