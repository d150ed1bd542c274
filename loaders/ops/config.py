"""Reading `[schedule]` / `[alerts]` values the dlt way (.dlt/config.toml, secrets.toml, env)."""

from __future__ import annotations

import json

from loaders.core.errors import ConfigError


def get(key: str, default=None, *, secret: bool = False):
    """`key` (dotted) from dlt's providers; env vars such as SCHEDULE__SURFSIDE__CLIENTS win."""
    import dlt

    value = (dlt.secrets if secret else dlt.config).get(key)
    return default if value is None else value


def get_list(key: str) -> list[str]:
    """A list value; an env var may hold it as JSON ('["acme", "globex"]') or comma-separated."""
    value = get(key)
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise ConfigError(f"{key}: {text!r} is not a JSON list") from None
        else:
            value = [part for part in (p.strip() for p in text.split(",")) if part]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings")
    return [str(v) for v in value]


def get_int(key: str, default: int) -> int:
    value = get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: {value!r} is not a whole number") from None


def get_bool(key: str, default: bool) -> bool:
    value = get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ConfigError(f"{key}: {value!r} is not true or false")
