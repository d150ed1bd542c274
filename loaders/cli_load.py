"""`adwh load <source>`: one thin command per source package (loaders/sources/<source>)."""

from __future__ import annotations

from pathlib import Path

import click

from loaders.core.days import resolve_days
from loaders.core.errors import AdwhError
from loaders.core.results import incomplete


def loader_url() -> str:
    """The warehouse URL for a loader: adwh_loader's when [access] connect_as_roles is set."""
    from loaders.access.passwords import role_url
    from loaders.warehouse.database import database_url

    return role_url(database_url(), "adwh_loader")


@click.group()
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


def _client_days(date_help: str):
    """--client (repeatable), --date, --from/--to and --strict: the client x day sources."""

    def decorate(func):
        for option in reversed(
            [
                click.option(
                    "--client",
                    "clients",
                    multiple=True,
                    required=True,
                    help="Client id (repeat for several).",
                ),
                click.option("--date", "date", help=date_help),
                click.option("--from", "first", help="First day of a backfill, YYYY-MM-DD."),
                click.option(
                    "--to", "last", help="Last day of a backfill, YYYY-MM-DD (inclusive)."
                ),
            ]
        ):
            func = option(func)
        return strict_option(func)

    return decorate


def _async_report_options(wait_help: str, poll_help: str):
    """--max-wait and --poll-timeout of the asynchronous report APIs (Vibe, Meta)."""

    def decorate(func):
        func = click.option(
            "--poll-timeout", type=click.FloatRange(min=0), default=None, help=poll_help
        )(func)
        return click.option(
            "--max-wait",
            type=click.FloatRange(min=0),
            default=0,
            show_default=True,
            help=wait_help,
        )(func)

    return decorate


def _raise_on_problem(outcome) -> None:
    problem = outcome.problem()
    if problem:
        raise AdwhError(problem)


def _load_api_days(source, clients, date, first, last, strict, summary: str, **options) -> None:
    """An API source's client x day load: the days asked for (a single day re-fetches its
    restatement window, `refetch`), as the loader role, refused whole on an unknown client."""
    days = resolve_days(date, first, last)
    _check_clients(clients, strict)
    outcome = source.load(
        loader_url(), list(clients), days, refetch=not (first or last), echo=click.echo, **options
    )
    _raise_on_problem(outcome)
    click.echo(summary.format(days=len(outcome.results), outcome=outcome))


@load.command("surfside")
@_client_days("One day, YYYY-MM-DD (default: yesterday, UTC).")
def load_surfside(
    clients: tuple[str, ...],
    date: str | None,
    first: str | None,
    last: str | None,
    strict: bool | None,
) -> None:
    """Load Surfside daily report files from S3, one day at a time."""
    from loaders.sources import surfside

    days = resolve_days(date, first, last)
    _check_clients(clients, strict)
    results = surfside.load(loader_url(), list(clients), days)
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

    _check_clients([client], strict)
    results = facebook.load(loader_url(), client, list(files), force=force, echo=click.echo)
    facebook.raise_on_failures(results, echo=click.echo)


@load.command("vibe")
@_client_days("One day, YYYY-MM-DD (default: yesterday, UTC); adds refetch_days.")
@click.option("--force", is_flag=True, help="Re-request days already loaded today.")
@_async_report_options(
    "Seconds to wait for a spent rate-limit window before leaving days pending.",
    "Seconds to wait for a report to be ready (default sources.vibe.poll_timeout, 1800).",
)
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

    _load_api_days(
        vibe,
        clients,
        date,
        first,
        last,
        strict,
        "all {days} day(s) loaded or up to date",
        force=force,
        max_wait=max_wait,
        poll_timeout=poll_timeout,
    )


@load.command("meta")
@_client_days(
    "Day D, YYYY-MM-DD (default: yesterday, UTC); re-fetches the attribution lookback "
    "(28 days) ending on D."
)
@_async_report_options(
    "Seconds the run may wait for Meta to restore access before leaving days pending.",
    "Seconds to wait for a report job (default sources.meta.poll_timeout, 1800).",
)
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

    _load_api_days(
        meta,
        clients,
        date,
        first,
        last,
        strict,
        "all {days} day(s) loaded",
        max_wait=max_wait,
        poll_timeout=poll_timeout,
    )


@load.command("mixpanel")
@_client_days(
    "Day D, YYYY-MM-DD (default: yesterday, UTC); re-exports the lookback (7 days) ending on D."
)
@click.option(
    "--max-wait",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds the run may wait for the hourly export budget before leaving days pending.",
)
def load_mixpanel(
    clients: tuple[str, ...],
    date: str | None,
    first: str | None,
    last: str | None,
    max_wait: float,
    strict: bool | None,
) -> None:
    """Load subscription events (Mixpanel Raw Event Export: trials, purchases, refunds)."""
    from loaders.sources import mixpanel

    _load_api_days(
        mixpanel,
        clients,
        date,
        first,
        last,
        strict,
        "all {days} day(s) loaded ({outcome.queries} export queries)",
        max_wait=max_wait,
    )


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

    url = loader_url()
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

    if (first is None) != (last is None):
        raise click.UsageError("--from and --to go together")
    from loaders.core.days import parse_day

    start, end = parse_day(first, "--from"), parse_day(last, "--to")
    _check_clients(clients, strict)
    outcome = partner.load(loader_url(), list(clients) or None, start, end, echo=click.echo)
    click.echo(f"partner: {outcome.rows:,} metric rows loaded")


@load.command("predictions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_predictions(file: Path) -> None:
    """Load model predictions (CSV or JSON lines) into raw_predictions; a file with a bad row
    is refused whole, naming its row and column."""
    from loaders.sources import predictions

    predictions.load(loader_url(), file, echo=click.echo)


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
