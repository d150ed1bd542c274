"""Passwords of the adwh roles, and the URL each command connects with.

A role's password comes from the secrets (`[access.passwords] adwh_loader = "..."` in
.dlt/secrets.toml, or ACCESS__PASSWORDS__ADWH_LOADER) or, when none is configured, is generated
by `adwh access init` and kept in `<ADWH_HOME>/access/<role>.password` (0600, directory 0700).
Nothing here prints a password; `adwh access url ROLE` is the explicit command that does.

`[access] connect_as_roles = true` (ACCESS__CONNECT_AS_ROLES) makes adwh connect as
adwh_loader for `adwh load` and as adwh_transformer for dbt; without it every command uses the
warehouse URL (the single-login set-up).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

from loaders.core.errors import ConfigError, register_secret
from loaders.core.settings import adwh_home


def store_dir() -> Path:
    return adwh_home() / "access"


def configured_secret(role: str) -> str | None:
    from loaders.ops import config

    value = config.get(f"access.passwords.{role}", secret=True)
    if value:
        register_secret(str(value))
        return str(value)
    return None


def password_file(role: str) -> Path:
    return store_dir() / f"{role}.password"


def stored_password(role: str) -> str | None:
    try:
        value = password_file(role).read_text().strip()
    except FileNotFoundError:
        return None
    register_secret(value)
    return value or None


def write_password(role: str, password: str) -> Path:
    """Store `password` for `role` (0600 in a 0700 directory), replacing an older one."""
    directory = store_dir()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    path = password_file(role)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    tmp.replace(path)
    return path


def generate() -> str:
    password = secrets.token_urlsafe(24)
    register_secret(password)
    return password


def role_password(role: str, create: bool = False) -> str:
    """The secret's value, else the stored one, else (with `create`) a new stored one."""
    value = configured_secret(role) or stored_password(role)
    if value:
        return value
    if not create:
        raise ConfigError(
            f"no password for {role}: run `adwh access init` (or set "
            f"ACCESS__PASSWORDS__{role.upper()})"
        )
    value = generate()
    write_password(role, value)
    return value


def connect_as_roles() -> bool:
    from loaders.ops import config

    return config.get_bool("access.connect_as_roles", False)


def url_for(url: str, role: str, password: str) -> str:
    """`url` with another user and password (same server and database)."""
    parts = urlparse(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunparse(parts._replace(netloc=netloc))


def role_url(url: str, role: str) -> str:
    """The URL a command runs with: `role`'s when connect_as_roles is set, else `url`."""
    if not connect_as_roles():
        return url
    return url_for(url, role, role_password(role))
