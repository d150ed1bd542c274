"""`adwh export` and `adwh report`: thin click commands over loaders.consume (registered on
the `adwh` group by loaders/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.argument("model")
@click.option("--client", help="Only this client's rows (the model needs client_id).")
@click.option("--from", "first", help="First day, YYYY-MM-DD (the model needs date_day).")
@click.option("--to", "last", help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--columns", help="Comma-separated columns to keep, in that order (default: all).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Default MODEL.FORMAT."
)
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 byte order mark (for Excel).")
def export_cmd(
    model: str,
    client: str | None,
    first: str | None,
    last: str | None,
    columns: str | None,
    fmt: str,
    out: Path | None,
    bom: bool,
) -> None:
    """Export a mart or dim of the marts schema (e.g. mart_weekly_summary) to CSV or XLSX."""
    from loaders.consume import exports
    from loaders.core.days import parse_day
    from loaders.warehouse.database import database_url

    request = exports.ExportRequest(
        model=model,
        fmt=fmt,
        client=client,
        first=parse_day(first, "--from"),
        last=parse_day(last, "--to"),
        columns=tuple(c.strip() for c in columns.split(",") if c.strip()) if columns else (),
        bom=bom,
    )
    result = exports.export(database_url(), request, out)
    click.echo(f"{result.rows:,} row(s) of marts.{model} written to {result.path}")


@click.command("report")
@click.argument("kind", type=click.Choice(["daily", "weekly", "monthly"]))
@click.option("--client", required=True, help="Client id (marts.dim_clients).")
@click.option(
    "--as-of",
    "as_of",
    help="YYYY-MM-DD: the day reported (daily), or the last complete week/month ending on or "
    "before it (default: the client's newest day in the marts).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["html", "pdf"]), default="pdf", show_default=True
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Default CLIENT-KIND-END.FORMAT."
)
@click.option(
    "--send",
    is_flag=True,
    help="Mail the PDF via [alerts.email] to the client's [alerts.clients.<client>] to.",
)
@click.option("--to", "to", multiple=True, help="With --send: mail these addresses instead.")
def report_cmd(
    kind: str,
    client: str,
    as_of: str | None,
    fmt: str,
    out: Path | None,
    send: bool,
    to: tuple[str, ...],
) -> None:
    """A client report (KPIs against the previous period, charts, top and underperforming
    campaigns, data coverage) from the marts, as HTML or PDF; --send mails the PDF."""
    from loaders.consume.reports import render_report
    from loaders.consume.reports.send import recipients, send_report
    from loaders.core.days import parse_day
    from loaders.core.errors import AdwhError
    from loaders.warehouse.database import database_url

    if send and fmt != "pdf":
        raise click.BadParameter("--send mails the PDF: drop --format html", param_hint="--send")
    if to and not send:
        raise click.BadParameter("--to only goes with --send", param_hint="--to")
    day = parse_day(as_of, "--as-of")
    addresses = recipients(client, to) if send else ()
    path, data = render_report(database_url(), kind, client, as_of=day, fmt=fmt, out=out)
    click.echo(
        f"{kind} report for {client}, {data.period_start} to {data.period_end}, written to {path}"
    )
    if send:
        try:
            send_report(path, data, addresses)
        except AdwhError as exc:
            raise AdwhError(f"the report was written but not sent: {exc}") from None
        click.echo(f"sent to {', '.join(addresses)}")
