"""`adwh run`, `adwh alerts test`, `adwh db backup|restore`: thin click commands over
loaders.ops (registered on the groups of loaders.cli)."""

from __future__ import annotations

from pathlib import Path

import click

from loaders.core.days import parse_day
from loaders.core.errors import AdwhError


def loader_shapes(load_group: click.Group) -> dict[str, str]:
    """{source: "client_day" | "files"}: how each `adwh load <source>` is called."""
    shapes = {}
    for name, command in load_group.commands.items():
        if command.hidden:
            continue
        params = {p.name for p in command.params}
        shapes[name] = "client_day" if {"clients", "date"} <= params else "files"
    return shapes


@click.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would run; change nothing.")
@click.option("--date", "date", help="Load this day (YYYY-MM-DD) for every scheduled source.")
@click.option("--force", is_flag=True, help="Run every scheduled loader, due or not.")
@click.pass_context
def run_cmd(ctx: click.Context, dry_run: bool, date: str | None, force: bool) -> None:
    """The one command for cron: due loaders ([schedule]), dbt build, source freshness, alerts.

    Exit 0 when every step succeeded, 1 when one failed, 3 when another run holds the lock."""
    from loaders.ops.run import Options, execute
    from loaders.warehouse.database import database_url

    root = ctx.find_root()
    shapes = loader_shapes(root.command.commands["load"])
    verbose = bool(root.params.get("verbose"))
    opts = Options(day=parse_day(date, "--date"), force=force, dry_run=dry_run, verbose=verbose)
    code = execute(database_url(), shapes, opts, click.echo)
    if code:
        raise AdwhError("the run had failures (see the steps above and adwh_ops.runs)")


@click.group("alerts")
def alerts_group() -> None:
    """Alert delivery ([alerts] in .dlt/config.toml)."""


@alerts_group.command("test")
def alerts_test() -> None:
    """Send a test message on every configured channel."""
    from loaders.ops.alerts import send_test

    results = send_test()
    if not results:
        raise AdwhError("no alert channel configured ([alerts.email] or [alerts.webhook])")
    for target, error in results:
        click.echo(f"{target}: {'sent' if error is None else error}")
    if any(error for _, error in results):
        raise AdwhError("a test message was not delivered")


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def db_backup(path: Path | None) -> None:
    """pg_dump (custom format) of the warehouse to PATH (default: backups/adwh-<time>.dump)."""
    from loaders.ops.backup import backup
    from loaders.warehouse.database import database_url

    written = backup(database_url(), path)
    click.echo(f"backup written to {written} ({written.stat().st_size:,} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a warehouse that already holds data.")
def db_restore(path: Path, force: bool) -> None:
    """Restore a backup made by `adwh db backup` into the warehouse."""
    from loaders.ops.backup import restore
    from loaders.warehouse.database import database_url

    tables = restore(database_url(), path, force=force)
    click.echo(f"restored {path}: {tables} tables")
