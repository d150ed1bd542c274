"""Reading one source's `[sources.<name>]` section the dlt way (config, secrets, env vars).

Every API source has the same layout: shared options in `.dlt/config.toml`, one
`[sources.<name>.clients.<client>]` section per client, credentials in `.dlt/secrets.toml`
(or env vars such as `SOURCES__META__CLIENTS__ACME__ACCESS_TOKEN`). This module reads that
layout once, names the missing setting with where to put it, and registers every secret it
hands out so no error or log line can print it.
"""

from __future__ import annotations

from collections.abc import Iterable

from loaders.core.errors import ConfigError, register_secret


def env_name(path: str) -> str:
    """The env var dlt reads for a dotted config path."""
    return path.upper().replace(".", "__")


class SourceSection:
    """`[sources.<source>]`: `get`, typed getters and the per-client required values."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.prefix = f"sources.{source}"

    def get(self, name: str, default=None, secret: bool = False):
        import dlt

        value = (dlt.secrets if secret else dlt.config).get(f"{self.prefix}.{name}")
        return default if value in (None, "") else value

    def number(self, name: str, default: float) -> float:
        value = self.get(name, default)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.prefix}.{name} must be a number (found {value!r})") from None

    def whole(self, name: str, default: int) -> int:
        return int(self.number(name, default))

    def flag(self, name: str, default: bool) -> bool:
        return str(self.get(name, default)).strip().lower() in ("true", "1", "yes")

    def numbers(self, defaults: object, names: Iterable[str], whole: bool = False) -> dict:
        """Each named option as a number, defaulting to the same attribute of `defaults`."""
        read = self.whole if whole else self.number
        return {name: read(name, getattr(defaults, name)) for name in names}

    def client_values(
        self, client_id: str, required: dict[str, bool], fallback: dict[str, object] | None = None
    ) -> dict[str, str]:
        """The client's required settings (`name -> is_secret`), or a ConfigError naming the
        first missing one, the file it belongs in and its env var. `fallback` gives a value
        shared by all clients (e.g. a source-wide API key)."""
        values: dict[str, str] = {}
        section = f"clients.{client_id}"
        for name, secret in required.items():
            value = self.get(f"{section}.{name}", secret=secret) or (fallback or {}).get(name)
            if not value:
                path = f"{self.prefix}.{section}.{name}"
                where = ".dlt/secrets.toml" if secret else ".dlt/config.toml"
                raise ConfigError(f"{path} is not set ({where} or {env_name(path)})")
            if secret:
                register_secret(str(value))
            values[name] = str(value)
        return values
