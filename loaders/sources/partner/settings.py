"""`[sources.partner]` settings and the connection to the partner's warehouse.

The warehouse is any SQLAlchemy URL (`credentials`, a secret): Snowflake in production
(`snowflake://user:pass@account/db/schema?warehouse=wh&role=r`, with the `[snowflake]` extra),
Postgres in tests and the demo. The URL never reaches a message: `safe_url` shows it with the
password masked, and the password is registered with `redact`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from loaders.core.errors import ConfigError, register_secret

SECTION = "sources.partner"
DEFAULTS = {
    "schema": "public",
    "impressions_table": "platform_buy_daily_impressions",
    "videos_table": "platform_buy_daily_videos",
    "media_buys_table": "media_buys",
}


@dataclass(frozen=True)
class PartnerSettings:
    credentials: str = field(repr=False)
    schema: str | None = DEFAULTS["schema"]
    impressions_table: str = DEFAULTS["impressions_table"]
    videos_table: str = DEFAULTS["videos_table"]
    media_buys_table: str = DEFAULTS["media_buys_table"]
    lookback_days: int = 30
    # the first sync reads from this day (None: the whole history)
    start_date: dt.date | None = None
    # the partner's column names where they differ from ours: {our name: their name}
    columns: dict[str, str] = field(default_factory=dict)
    chunk_size: int = 50_000
    # a Postgres partner is read with COPY (copy_loader.py); false: dlt's row fetch, the path
    # every other warehouse (Snowflake) takes
    copy_reads: bool = True
    max_attempts: int = 3
    retry_backoff: float = 2.0
    connect_timeout: int = 30

    def column(self, name: str) -> str:
        return self.columns.get(name, name)

    def where(self, table: str) -> str:
        """`schema.table` as the partner names it, for messages."""
        return f"{self.schema}.{table}" if self.schema else table


def normalise_url(url: str) -> str:
    """`postgresql://` -> `postgresql+psycopg2://`: SQLAlchemy 2.1 maps the bare scheme to
    psycopg 3, which adwh does not install; psycopg2 is already there for the warehouse."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg2://" + url[len(bare) :]
    return url


def safe_url(url: str) -> str:
    """The URL with its password masked (host, database and options stay readable)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split("://", 1)[0] + "://..."


def _as_date(value, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{SECTION}.{name} {value!r} is not a date (YYYY-MM-DD)") from None


def load_settings() -> PartnerSettings:
    """`[sources.partner]` from .dlt/config.toml + secrets.toml, or SOURCES__PARTNER__* env."""
    import dlt

    credentials = dlt.secrets.get(f"{SECTION}.credentials")
    if isinstance(credentials, dict):  # a TOML table: drivername, username, password, host, ...
        from dlt.common.configuration.specs import ConnectionStringCredentials

        credentials = ConnectionStringCredentials(credentials).to_native_representation()
    if not credentials:
        raise ConfigError(
            f"{SECTION}.credentials is not set: an SQLAlchemy URL in .dlt/secrets.toml or "
            "SOURCES__PARTNER__CREDENTIALS (e.g. snowflake://user:pass@account/db/schema"
            "?warehouse=wh, or postgresql+psycopg2://user:pass@host/db)"
        )

    def get(name: str, default=None):
        value = dlt.config.get(f"{SECTION}.{name}")
        return default if value in (None, "") else value

    def number(name: str, default: float, minimum: float) -> float:
        value = get(name, default)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{SECTION}.{name} {value!r} is not a number") from None
        if value < minimum:
            raise ConfigError(f"{SECTION}.{name} must be at least {minimum:g}")
        return value

    columns = get("columns", {}) or {}
    if not isinstance(columns, dict):
        raise ConfigError(f"{SECTION}.columns must be a table of our name = the partner's name")
    url = normalise_url(str(credentials))
    settings = PartnerSettings(
        credentials=url,
        schema=get("schema", DEFAULTS["schema"]),
        impressions_table=str(get("impressions_table", DEFAULTS["impressions_table"])),
        videos_table=str(get("videos_table", DEFAULTS["videos_table"])),
        media_buys_table=str(get("media_buys_table", DEFAULTS["media_buys_table"])),
        lookback_days=int(number("lookback_days", 30, 0)),
        start_date=_as_date(get("start_date"), "start_date"),
        columns={str(k): str(v) for k, v in columns.items()},
        chunk_size=int(number("chunk_size", 50_000, 1)),
        copy_reads=str(get("copy_reads", True)).lower() not in ("false", "0", "no"),
        max_attempts=int(number("max_attempts", 3, 1)),
        retry_backoff=number("retry_backoff", 2.0, 0),
        connect_timeout=int(number("connect_timeout", 30, 1)),
    )
    register_url_secret(url)
    return settings


def register_url_secret(url: str) -> None:
    from sqlalchemy.engine import make_url

    try:
        register_secret(make_url(url).password)
    except Exception:  # unparsable: create_engine reports it (without the URL)
        return


def create_engine(settings: PartnerSettings):
    """An SQLAlchemy engine for the partner's warehouse (no connection is opened yet)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    url = normalise_url(settings.credentials)
    register_url_secret(url)
    scheme = url.split("://", 1)[0]
    kwargs: dict = {"pool_pre_ping": True}
    if scheme.startswith("postgresql"):
        kwargs["connect_args"] = {"connect_timeout": settings.connect_timeout}
    try:
        return sa.create_engine(url, **kwargs)
    except NoSuchModuleError:
        hint = " (pip install 'adwh[snowflake]')" if scheme.startswith("snowflake") else ""
        raise ConfigError(
            f"{SECTION}.credentials: no SQLAlchemy driver for {scheme!r}{hint}"
        ) from None
    except ArgumentError:
        raise ConfigError(
            f"{SECTION}.credentials is not an SQLAlchemy URL (scheme://user:password@host/db)"
        ) from None
