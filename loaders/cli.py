"""`adwh` command line: embedded database, loaders, dbt, demo.

Exit codes: 0 success, 1 a failure (one clear line on stderr), 2 bad usage or configuration.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from loaders import cli_load, cli_ops
from loaders.core.errors import AdwhError, redact
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

    from loaders.access.roles import installed_at
    from loaders.warehouse.database import database_url, dbt_env
    from loaders.warehouse.dbt_runner import profiles_dir

    url = database_url()
    values = dict(dbt_env(url))
    values["DBT_PROFILES_DIR"] = str(profiles_dir())
    values["ADWH_ACCESS"] = "on" if installed_at(url) else "off"
    for key, value in values.items():
        click.echo(f"export {key}={shlex.quote(value)}")


# --- load ---------------------------------------------------------------------------------------


cli.add_command(cli_load.load)


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


# --- access control (loaders/access/commands.py) ------------------------------------------------


def _add_access_commands() -> None:
    from loaders.access.commands import access_group

    cli.add_command(access_group)


_add_access_commands()


# --- operations (loaders/cli_ops.py) -------------------------------------------------------------

cli.add_command(cli_ops.run_cmd)
cli.add_command(cli_ops.alerts_group)
cli.add_command(cli_ops.retention_cmd)
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
