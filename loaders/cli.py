"""`adwh` command line: embedded database, loaders, dbt, demo.

Exit codes: 0 success, 1 a failure (one clear line on stderr), 2 bad usage or configuration.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from loaders import cli_ops
from loaders.core.days import resolve_days
from loaders.core.errors import AdwhError, redact
from loaders.core.results import incomplete
from loaders.warehouse.database import embedded_server

log = logging.getLogger("adwh")


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _setup_logging(verbose: bool) -> None:
    # dlt logs each retry of a lost connection with its traceback; without -v only adwh's
    # one line is shown (an operator's own RUNTIME__LOG_LEVEL wins).
    if not verbose:
        os.environ.setdefault("RUNTIME__LOG_LEVEL", "CRITICAL")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("adwh: %(message)s"))
    root = logging.getLogger("adwh")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    root.propagate = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def cli(verbose: bool) -> None:
    """adwh: paid-media analytics warehouse (dlt loaders + dbt on Postgres)."""
    _setup_logging(verbose)


# --- db -----------------------------------------------------------------------------------------


@cli.group()
def db() -> None:
    """The warehouse database (embedded unless ADWH_DATABASE_URL is set)."""


@db.command("start")
def db_start() -> None:
    """Start the embedded Postgres (a running one is reused)."""
    server = embedded_server()
    if server is None:
        click.echo("ADWH_DATABASE_URL is set: using that server, not starting one")
        return
    server.start()
    status = server.status()
    click.echo(f"embedded Postgres running on 127.0.0.1:{status.port} (data {status.data_dir})")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres."""
    server = embedded_server()
    if server is None:
        click.echo("ADWH_DATABASE_URL is set: adwh does not manage that server")
        return
    click.echo("stopped" if server.stop() else "not running")


@db.command("status")
def db_status() -> None:
    """Show whether the embedded Postgres runs, where, and which binaries it uses."""
    server = embedded_server()
    if server is None:
        from loaders.warehouse.database import database_url

        click.echo(f"external database: {redact(database_url())}")
        return
    s = server.status()
    state = f"running on 127.0.0.1:{s.port} (pid {s.pid})" if s.running else "stopped"
    click.echo(f"embedded Postgres: {state}")
    click.echo(f"data directory:    {s.data_dir}")
    click.echo(f"cluster version:   {s.version or 'not initialised'}")
    click.echo(f"binaries:          {s.bindir or 'none found'}")


@db.command("url")
@click.option("--hide-password", is_flag=True, help="Mask the password.")
def db_url(hide_password: bool) -> None:
    """Print the connection URL (starts the embedded server if needed)."""
    from loaders.warehouse.database import database_url

    url = database_url()
    click.echo(redact(url) if hide_password else url)


@db.command("env")
def db_env() -> None:
    """Print `export` lines for running dbt (or sqlfluff) yourself: eval "$(adwh db env)"."""
    import shlex

    from loaders.warehouse.database import database_url, dbt_env
    from loaders.warehouse.dbt_runner import profiles_dir

    values = dict(dbt_env(database_url()))
    values["DBT_PROFILES_DIR"] = str(profiles_dir())
    for key, value in values.items():
        click.echo(f"export {key}={shlex.quote(value)}")


# --- load ---------------------------------------------------------------------------------------


@cli.group()
def load() -> None:
    """Land source data in the raw_<source> schemas."""


strict_option = click.option(
    "--strict/--no-strict",
    default=None,
    help="Refuse the load when a client is not in dbt_project/seeds/clients.csv "
    "(default: warn and load; config [sources] strict_clients).",
)


def _check_clients(clients, strict: bool | None) -> None:
    """Warn (or refuse, when strict) before loading for a client the clients seed lacks."""
    from loaders.core.clients import check_clients

    check_clients(clients, strict, warn=_warn)


def _warn(message: str) -> None:
    click.echo(f"adwh: {message}", err=True)


@load.command("surfside")
@click.option(
    "--client", "clients", multiple=True, required=True, help="Client id (repeat for several)."
)
@click.option("--date", "date", help="One day, YYYY-MM-DD (default: yesterday, UTC).")
@click.option("--from", "first", help="First day of a backfill, YYYY-MM-DD.")
@click.option("--to", "last", help="Last day of a backfill, YYYY-MM-DD (inclusive).")
@strict_option
def load_surfside(
    clients: tuple[str, ...],
    date: str | None,
    first: str | None,
    last: str | None,
    strict: bool | None,
) -> None:
    """Load Surfside daily report files from S3, one day at a time."""
    from loaders.sources import surfside
    from loaders.warehouse.database import database_url

    days = resolve_days(date, first, last)
    _check_clients(clients, strict)
    results = surfside.load(database_url(), list(clients), days)
    # an object already current is `skipped` (not downloaded again): up to date, not a failure
    problem = incomplete(results, "day", fine=("loaded", "skipped"))
    if problem:
        raise AdwhError(problem)
    click.echo(f"all {len(results)} day(s) loaded or up to date")


@load.command("facebook")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--client", "client", required=True, help="Client id the files belong to.")
@click.option(
    "--force",
    is_flag=True,
    help="Load a file again even if the same file (same SHA-256) was loaded for the client.",
)
@strict_option
def load_facebook(files: tuple[Path, ...], client: str, force: bool, strict: bool | None) -> None:
    """Load Facebook Ads Manager exports (CSV/XLSX), in the order given."""
    from loaders.sources import facebook
    from loaders.warehouse.database import database_url

    _check_clients([client], strict)
    results = facebook.load(database_url(), client, list(files), force=force, echo=click.echo)
    facebook.raise_on_failures(results, echo=click.echo)


@load.command("vibe")
@click.option(
    "--client", "clients", multiple=True, required=True, help="Client id (repeat for several)."
)
@click.option(
    "--date", "date", help="One day, YYYY-MM-DD (default: yesterday, UTC); adds refetch_days."
)
@click.option("--from", "first", help="First day of a backfill, YYYY-MM-DD.")
@click.option("--to", "last", help="Last day of a backfill, YYYY-MM-DD (inclusive).")
@click.option("--force", is_flag=True, help="Re-request days already loaded today.")
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for a spent rate-limit window before leaving days pending.",
)
@click.option(
    "--poll-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to wait for a report to be ready (default sources.vibe.poll_timeout, 1800).",
)
@strict_option
def load_vibe(
    clients: tuple[str, ...],
    date: str | None,
    first: str | None,
    last: str | None,
    force: bool,
    max_wait: float,
    poll_timeout: float | None,
    strict: bool | None,
) -> None:
    """Load Vibe CTV reports (asynchronous API, 15 report creations per hour per key)."""
    from loaders.sources import vibe
    from loaders.warehouse.database import database_url

    days = resolve_days(date, first, last)
    _check_clients(clients, strict)
    outcome = vibe.load(
        database_url(),
        list(clients),
        days,
        refetch=not (first or last),
        force=force,
        max_wait=max_wait,
        poll_timeout=poll_timeout,
        echo=click.echo,
    )
    problem = outcome.problem()
    if problem:
        raise AdwhError(problem)
    click.echo(f"all {len(outcome.results)} day(s) loaded or up to date")


@load.command("meta")
@click.option(
    "--client", "clients", multiple=True, required=True, help="Client id (repeat for several)."
)
@click.option(
    "--date",
    "date",
    help="Day D, YYYY-MM-DD (default: yesterday, UTC); re-fetches the attribution lookback "
    "(28 days) ending on D.",
)
@click.option("--from", "first", help="First day of a backfill, YYYY-MM-DD.")
@click.option("--to", "last", help="Last day of a backfill, YYYY-MM-DD (inclusive).")
@click.option(
    "--max-wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds the run may wait for Meta to restore access before leaving days pending.",
)
@click.option(
    "--poll-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to wait for a report job (default sources.meta.poll_timeout, 1800).",
)
@strict_option
def load_meta(
    clients: tuple[str, ...],
    date: str | None,
    first: str | None,
    last: str | None,
    max_wait: float,
    poll_timeout: float | None,
    strict: bool | None,
) -> None:
    """Load Meta ad insights (Marketing API async jobs: ad x day, and ad x day x country)."""
    from loaders.sources import meta
    from loaders.warehouse.database import database_url

    days = resolve_days(date, first, last)
    _check_clients(clients, strict)
    outcome = meta.load(
        database_url(),
        list(clients),
        days,
        refetch=not (first or last),
        max_wait=max_wait,
        poll_timeout=poll_timeout,
        echo=click.echo,
    )
    problem = outcome.problem()
    if problem:
        raise AdwhError(problem)
    click.echo(f"all {len(outcome.results)} day(s) loaded")


@load.command("bidder")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--catalog",
    "catalogs",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Creative catalog (CSV/XLSX) to load first; replaces the catalog of each client in it.",
)
@strict_option
def load_bidder(files: tuple[str, ...], catalogs: tuple[str, ...], strict: bool | None) -> None:
    """Load bidder creative catalogs (--catalog) and import performance files (CSV/XLSX), in
    order, with a summary per file. Bad rows are rejected, not the file: exit 0 unless a file
    itself was refused (unreadable, missing a required column). The clients are those the
    catalog rows name (checked against the clients seed like every source's --client)."""
    if not files and not catalogs:
        raise click.UsageError("give performance FILES and/or --catalog FILE")
    _load_bidder(list(catalogs), list(files), strict)


def _load_bidder(catalogs: list[str], files: list[str], strict: bool | None = None) -> None:
    from loaders.core.clients import check_clients
    from loaders.sources import bidder
    from loaders.warehouse.database import database_url

    url = database_url()
    for catalog in catalogs:
        result = bidder.load_catalog(
            url,
            catalog,
            echo=click.echo,
            check=lambda clients: check_clients(clients, strict, warn=_warn, what="their rows"),
        )
        if result.status != "loaded":
            raise AdwhError(f"catalog {catalog} not loaded ({result.status})")
    if files:
        results = bidder.load_performance(url, files, echo=click.echo)
        refused = [r for r in results if r.status != "loaded"]
        if refused:
            raise AdwhError(f"{len(refused)} of {len(results)} file(s) not imported")


@load.command("partner")
@click.option(
    "--client", "clients", multiple=True, help="Client id (repeat for several; default: all)."
)
@click.option("--from", "first", help="First day of a backfill, YYYY-MM-DD.")
@click.option("--to", "last", help="Last day of a backfill, YYYY-MM-DD (inclusive).")
@strict_option
def load_partner(
    clients: tuple[str, ...], first: str | None, last: str | None, strict: bool | None
) -> None:
    """Sync the partner warehouse's platform-buy metrics: the restatement window
    (sources.partner.lookback_days) is read again and replaced; --from/--to backfill a range
    without moving the incremental state."""
    from loaders.sources import partner
    from loaders.warehouse.database import database_url

    if (first is None) != (last is None):
        raise click.UsageError("--from and --to go together")
    from loaders.core.days import parse_day

    start, end = parse_day(first, "--from"), parse_day(last, "--to")
    _check_clients(clients, strict)
    outcome = partner.load(database_url(), list(clients) or None, start, end, echo=click.echo)
    click.echo(f"partner: {outcome.rows:,} metric rows loaded")


def _deprecated(old: str, new: str) -> None:
    click.echo(f"adwh: `adwh load {old}` is deprecated; use `adwh load {new}`", err=True)


@load.command("creatives", hidden=True)
@click.argument("file")
def load_creatives(file: str) -> None:
    """Deprecated alias of `adwh load bidder --catalog FILE`."""
    _deprecated("creatives", "bidder --catalog FILE")
    _load_bidder([file], [])


@load.command("performance", hidden=True)
@click.argument("files", nargs=-1, required=True)
def load_performance(files: tuple[str, ...]) -> None:
    """Deprecated alias of `adwh load bidder FILE ...`."""
    _deprecated("performance", "bidder FILE ...")
    _load_bidder([], list(files))


# --- sources ------------------------------------------------------------------------------------


@cli.command("sources")
def sources_cmd() -> None:
    """List the source registry (vars.adwh_sources in dbt_project.yml)."""
    from loaders.core.registry import sources

    click.echo(f"{'source':<12}{'spend basis':<16}{'enabled':<9}staging model")
    for s in sources():
        click.echo(
            f"{s.name:<12}{s.spend_basis:<16}{'yes' if s.enabled else 'no':<9}{s.staging_model}"
        )


# --- dbt ----------------------------------------------------------------------------------------


@cli.command("build", context_settings={"ignore_unknown_options": True})
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def build(full_refresh: bool, dbt_args: tuple[str, ...]) -> None:
    """`dbt build` with the project profile (extra arguments go to dbt)."""
    from loaders.warehouse.database import database_url
    from loaders.warehouse.dbt_runner import run_dbt

    args = ["build", *(["--full-refresh"] if full_refresh else []), *dbt_args]
    run_dbt(args, database_url())


@cli.command("dbt", context_settings={"ignore_unknown_options": True})
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def dbt_cmd(dbt_args: tuple[str, ...]) -> None:
    """Any dbt command with the project profile, e.g. `adwh dbt docs generate`."""
    from loaders.warehouse.database import database_url
    from loaders.warehouse.dbt_runner import run_dbt

    run_dbt(list(dbt_args), database_url())


# --- consume: exports and reports (loaders/consume/commands.py) ---------------------------------


def _add_consume_commands() -> None:
    from loaders.consume.commands import export_cmd, report_cmd

    cli.add_command(export_cmd)
    cli.add_command(report_cmd)


_add_consume_commands()


# --- demo ---------------------------------------------------------------------------------------


@cli.command("demo")
@click.option("--days", default=30, show_default=True, help="Days of sample data per client.")
@click.option(
    "--allow-external",
    is_flag=True,
    help="Run even though ADWH_DATABASE_URL points at an external warehouse.",
)
def demo_cmd(days: int, allow_external: bool) -> None:
    """Whole warehouse end to end on sample data: load every source, dbt build, summary."""
    from loaders.demo import runner as demo

    demo.run(days=days, allow_external=allow_external)


# --- operations (loaders/cli_ops.py) -------------------------------------------------------------

cli.add_command(cli_ops.run_cmd)
cli.add_command(cli_ops.alerts_group)
db.add_command(cli_ops.db_backup)
db.add_command(cli_ops.db_restore)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; commands that change data or access leave a row in adwh_ops.audit_log."""
    from loaders.ops import audit

    return audit.run_audited(cli, list(sys.argv[1:] if argv is None else argv), _main)


def _main(argv: list[str], entry) -> int:
    from loaders.core.settings import prepare_dlt_environment

    prepare_dlt_environment()
    try:
        cli.main(args=argv, prog_name="adwh", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("adwh: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except AdwhError as exc:
        entry.message = str(exc)
        click.echo(f"adwh: error: {redact(str(exc))}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("adwh: interrupted", err=True)
        return 130
    except Exception as exc:
        entry.message = f"{type(exc).__name__}: {exc}"
        if logging.getLogger("adwh").isEnabledFor(logging.INFO):
            logging.getLogger("adwh").exception("unexpected error")
        click.echo(f"adwh: error: {_one_line(exc)}", err=True)
        return 1
    return 0


def _one_line(exc: Exception) -> str:
    """One clear line for an unexpected error (a lost database gets its own advice)."""
    from loaders.core.failures import describe

    return describe(exc)


if __name__ == "__main__":
    sys.exit(main())
