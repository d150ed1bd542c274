"""`adwh access ...`: thin click commands over loaders.access (registered in loaders/cli.py).

They run as the warehouse administrator (`adwh db url`, or ADWH_DATABASE_URL)."""

from __future__ import annotations

import os

import click

from loaders.core.errors import ConfigError


def _admin_url() -> str:
    from loaders.warehouse.database import database_url

    return database_url()


def _password_from(env: str | None) -> tuple[str, bool]:
    """(password, generated): the value of env var `env`, else a new one."""
    from loaders.access import passwords

    if env is None:
        return passwords.generate(), True
    value = os.environ.get(env)
    if not value:
        raise ConfigError(f"--password-env {env}: that environment variable is not set or empty")
    if len(value) < 12:
        raise ConfigError(f"--password-env {env}: a password needs at least 12 characters")
    return value, False


def _show_once(password: str, generated: bool) -> None:
    """A generated password is printed here and nowhere else, ever."""
    if generated:
        click.echo(f"password (shown once, store it now): {password}")


@click.group("access")
def access_group() -> None:
    """Roles, per-client logins and row-level security (docs/access.md)."""


@access_group.command("init")
def init_cmd() -> None:
    """Create or update the adwh roles, schemas and grants (idempotent)."""
    from loaders.access.roles import init

    init(_admin_url(), click.echo)


@access_group.command("add-login")
@click.argument("name")
@click.option("--client", "clients", multiple=True, required=True, help="Client id (repeatable).")
@click.option("--password-env", help="Read the password from this environment variable.")
def add_login_cmd(name: str, clients: tuple[str, ...], password_env: str | None) -> None:
    """A login for a BI tool that sees only these clients' rows of the marts."""
    from loaders.access.logins import add_login, check_clients, check_name

    check_name(name)
    check_clients(list(clients))
    password, generated = _password_from(password_env)
    add_login(_admin_url(), name, list(clients), password)
    click.echo(f"login {name} created for client(s) {', '.join(sorted(set(clients)))}")
    _show_once(password, generated)


@access_group.command("revoke")
@click.argument("name")
def revoke_cmd(name: str) -> None:
    """Remove a client login at once (its open sessions are ended)."""
    from loaders.access.logins import revoke

    ended = revoke(_admin_url(), name)
    click.echo(f"login {name} revoked ({ended} open session(s) ended)")


@access_group.command("list")
def list_cmd() -> None:
    """Client logins and the clients each one sees."""
    from loaders.access.logins import list_logins

    logins = list_logins(_admin_url())
    if not logins:
        click.echo("no client logins (adwh access add-login NAME --client C)")
        return
    click.echo(f"{'login':<24}{'created (UTC)':<18}{'state':<9}clients")
    for login in logins:
        state = "active" if login.can_login else "disabled"
        click.echo(f"{login.name:<24}{login.created_at:<18}{state:<9}{', '.join(login.clients)}")


@access_group.command("rotate")
@click.argument("name")
@click.option("--password-env", help="Read the new password from this environment variable.")
def rotate_cmd(name: str, password_env: str | None) -> None:
    """A new password for a client login, or for adwh_loader / adwh_transformer / ..."""
    from loaders.access import passwords
    from loaders.access.logins import rotate
    from loaders.access.sql import LOGIN_ROLES

    if name in LOGIN_ROLES and passwords.configured_secret(name):
        raise ConfigError(
            f"{name}'s password comes from the secrets (access.passwords.{name}): change it "
            "there and run `adwh access init`"
        )
    password, generated = _password_from(password_env)
    rotate(_admin_url(), name, password)
    if name in LOGIN_ROLES:
        path = passwords.write_password(name, password)
        click.echo(f"{name}: new password stored in {path}")
    else:
        click.echo(f"{name}: password changed")
        _show_once(password, generated)


@access_group.command("url")
@click.argument("role")
def url_cmd(role: str) -> None:
    """Print a connection URL WITH the password of an adwh role (e.g. for a BI tool)."""
    from loaders.access import passwords
    from loaders.access.sql import LOGIN_ROLES

    if role not in LOGIN_ROLES:
        raise ConfigError(f"{role!r} is not one of {', '.join(LOGIN_ROLES)}")
    click.echo(passwords.url_for(_admin_url(), role, passwords.role_password(role)))
