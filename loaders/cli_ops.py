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


@click.command("retention")
@click.option("--apply", "do_apply", is_flag=True, help="Delete (default: print what would go).")
@click.option("--as-of", "as_of", help="Count the months back from this day (default: today, UTC).")
def retention_cmd(do_apply: bool, as_of: str | None) -> None:
    """Delete raw rows older than [retention] raw_months (default 13), per source and
    client-day; the fact, quarantine and marts keep those days (frozen)."""
    import datetime as dt

    from loaders.core.ingestion_log import new_run_id
    from loaders.ops import retention
    from loaders.ops.lock import run_lock
    from loaders.warehouse.database import database_url

    url = database_url()
    today = parse_day(as_of, "--as-of") or dt.datetime.now(dt.UTC).date()
    with run_lock(url):
        plan = retention.plan(url, today)
        verb = "deleting" if do_apply else "would delete"
        click.echo(
            f"retention: raw rows before {plan.cutoff} ([retention] raw_months = "
            f"{plan.raw_months}); {verb} {plan.rows:,} row(s)"
        )
        for sp in plan.sources:
            click.echo(f"  {sp.source}: {sp.rows:,} row(s) of {len(sp.days):,} client-day(s)")
            for client in sorted({c for c, _ in sp.days}):
                days = sorted(d for c, d in sp.days if c == client)
                rows = sum(n for (c, _), n in sp.days.items() if c == client)
                click.echo(
                    f"    {client}: {days[0]} to {days[-1]}, {len(days)} day(s), {rows:,} row(s)"
                )
        if not do_apply:
            click.echo("dry run: nothing deleted (add --apply)")
            return
        total = retention.apply(url, plan, new_run_id(), click.echo)
        click.echo(f"retention: {total:,} raw row(s) deleted; those days stay frozen in the marts")


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
