"""`[sources.meta]` settings: shared options in .dlt/config.toml, one section per client with
its ad account, and the client's access token in .dlt/secrets.toml (or env vars such as
SOURCES__META__CLIENTS__ACME__ACCESS_TOKEN)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from loaders.core.errors import ConfigError
from loaders.core.source_config import SourceSection

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v24.0"
DEFAULT_PURCHASE_TYPES = (
    "omni_purchase",
    "purchase",
    "offsite_conversion.fb_pixel_purchase",
    "app_custom_event.fb_mobile_purchase",
)
DEFAULT_TRIAL_TYPES = (
    "start_trial_total",
    "offsite_conversion.fb_pixel_start_trial",
    "app_custom_event.fb_mobile_start_trial",
)
# Meta keeps insights for 37 months; older dates are refused up front.
MAX_HISTORY_MONTHS = 37


@dataclass(frozen=True)
class MetaClient:
    client_id: str
    ad_account_id: str  # always "act_<digits>"
    access_token: str = field(repr=False)


@dataclass(frozen=True)
class MetaSettings:
    clients: dict[str, MetaClient]
    base_url: str = DEFAULT_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    attribution_lookback_days: int = 28
    action_attribution_windows: tuple[str, ...] = ("7d_click", "1d_view")
    purchase_action_types: tuple[str, ...] = DEFAULT_PURCHASE_TYPES
    trial_action_types: tuple[str, ...] = DEFAULT_TRIAL_TYPES
    max_days_per_job: int = 31
    page_limit: int = 500
    poll_interval: float = 5.0
    poll_max_interval: float = 60.0
    poll_timeout: float = 1800.0
    max_attempts: int = 5
    retry_backoff: float = 2.0
    retry_max_backoff: float = 60.0
    request_timeout: float = 60.0
    # above this usage (% of any Business Use Case or insights-throttle figure) calls slow down
    slow_down_above_pct: float = 75.0
    slow_down_pause: float = 10.0

    def client(self, client_id: str) -> MetaClient:
        try:
            return self.clients[client_id]
        except KeyError:
            raise ConfigError(f"client {client_id!r} has no [sources.meta.clients] entry") from None


def normalise_account(value: str) -> str:
    text = str(value).strip()
    digits = text.removeprefix("act_")
    if not digits.isdigit():
        raise ConfigError(
            f"ad_account_id {text!r} is not a Meta ad account id (act_<digits> or <digits>)"
        )
    return f"act_{digits}"


def _string_list(value, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    if value in (None, ""):
        return default
    if isinstance(value, str):
        value = [v.strip() for v in value.strip("[]").replace('"', "").split(",")]
    items = tuple(str(v).strip() for v in value if str(v).strip())
    if not items:
        raise ConfigError(f"sources.meta.{name} must list at least one value")
    return items


def load_settings(client_ids: Iterable[str]) -> MetaSettings:
    section = SourceSection("meta")
    required = {"ad_account_id": False, "access_token": True}
    clients: dict[str, MetaClient] = {}
    for client_id in client_ids:
        values = section.client_values(client_id, required)
        account = normalise_account(values["ad_account_id"])
        clients[client_id] = MetaClient(client_id, account, values["access_token"])

    defaults = MetaSettings(clients={})
    numbers = section.numbers(
        defaults,
        (
            "poll_interval",
            "poll_max_interval",
            "poll_timeout",
            "retry_backoff",
            "retry_max_backoff",
            "request_timeout",
            "slow_down_above_pct",
            "slow_down_pause",
        ),
    )
    whole = section.numbers(
        defaults,
        ("attribution_lookback_days", "max_days_per_job", "page_limit", "max_attempts"),
        whole=True,
    )
    get = section.get
    settings = MetaSettings(
        clients=clients,
        base_url=str(get("base_url", DEFAULT_BASE_URL)),
        api_version=str(get("api_version", DEFAULT_API_VERSION)),
        action_attribution_windows=_string_list(
            get("action_attribution_windows"),
            "action_attribution_windows",
            defaults.action_attribution_windows,
        ),
        purchase_action_types=_string_list(
            get("purchase_action_types"), "purchase_action_types", DEFAULT_PURCHASE_TYPES
        ),
        trial_action_types=_string_list(
            get("trial_action_types"), "trial_action_types", DEFAULT_TRIAL_TYPES
        ),
        **numbers,
        **whole,
    )
    if not 1 <= settings.max_days_per_job <= 93:
        raise ConfigError("sources.meta.max_days_per_job must be between 1 and 93")
    if settings.attribution_lookback_days < 1:
        raise ConfigError("sources.meta.attribution_lookback_days must be 1 or more")
    return settings
