"""`adwh demo`: the whole warehouse on sample data, end to end, on the embedded Postgres.

Every enabled source of the registry (`adwh_sources` in dbt_project.yml) contributes a step,
`demo_step(ctx)` in `loaders/demo/<name>_demo.py`, that stands up its local stand-in (S3
server, vendor API server, upload folder), writes deterministic sample data with a few
deliberate problems, and runs the real loader. A registered source without a demo module is
reported, not skipped in silence. Then `dbt build` runs every model and test, and a summary is
printed from the marts.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

import click

from loaders.core.registry import Source, sources
from loaders.demo.context import DemoContext
from loaders.demo.local_s3 import local_s3
from loaders.warehouse.database import connect, database_url
from loaders.warehouse.dbt_runner import run_dbt


def demo_window(days: int, today: dt.date | None = None) -> list[dt.date]:
    """The `days` days ending yesterday (UTC)."""
    today = today or dt.datetime.now(dt.UTC).date()
    return [today - dt.timedelta(days=days - i) for i in range(days)]


def demo_step_of(source: Source) -> Callable[[DemoContext], None] | None:
    """`demo_step` of `loaders.demo.<name>_demo`, or None when the source has no demo module."""
    module_name = f"loaders.demo.{source.name}_demo"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # the module exists but something it imports does not
        return None
    return module.demo_step


def run_steps(ctx: DemoContext, registry: list[Source]) -> list[str]:
    """Each enabled source's demo step, in registry order; returns the sources without one."""
    without: list[str] = []
    for source in registry:
        if not source.enabled:
            ctx.echo(f"\n== {source.name}: disabled in the source registry, not loaded")
            continue
        step = demo_step_of(source)
        if step is None:
            ctx.echo(
                f"\n== {source.name}: NO DEMO STEP (loaders/demo/{source.name}_demo.py with "
                f"demo_step(ctx) is missing): {source.staging_model} stays empty in the demo"
            )
            without.append(source.name)
            continue
        step(ctx)
    return without


# --- summary ------------------------------------------------------------------------------------


LAST_7_DAYS_SQL = """
with last_day as (
    select max(date_day) as d from marts.mart_entity_daily_metrics where entity_type = 'client'
)
select m.client_id,
       sum(m.impressions), sum(m.clicks), sum(m.spend),
       sum(m.clicks)::numeric / nullif(sum(m.impressions), 0),
       sum(m.conversion_revenue) / nullif(sum(m.spend), 0)
from marts.mart_entity_daily_metrics m, last_day
where m.entity_type = 'client' and m.date_day > last_day.d - 7
group by m.client_id
order by m.client_id
"""

WEEK_OVER_WEEK_SQL = """
select distinct on (client_id) client_id, period_start, spend, spend_delta_pct, ctr, ctr_delta_pct
from marts.mart_weekly_summary
where is_complete
order by client_id, period_start desc
"""

TOP_CAMPAIGNS_SQL = """
select distinct on (client_id) client_id, period_start, entity_name, ranked_value
from marts.mart_period_top_entities
where period_type = 'month' and ranking = 'campaigns_by_conversions' and rank = 1
order by client_id, period_start desc
"""

UNDERPERFORMERS_SQL = """
select client_id, campaign_name, period_start, reason
from marts.mart_underperformers
where period_type = 'week'
order by period_start desc, client_id, campaign_name
limit 4
"""

COVERAGE_SQL = """
select source, client_id, date_day, status, coalesce(reason, '')
from marts.mart_data_coverage
where status <> 'loaded'
order by date_day, source, client_id
limit 10
"""

QUARANTINE_SQL = """
select source, rule, count(*) from marts.dq_quarantine group by 1, 2 order by 1, 2
"""


def _fmt(value, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "money":
        return f"{float(value):,.2f}"
    if kind == "pct":
        return f"{float(value):.2%}"
    if kind == "delta":
        return f"{float(value):+.1%}"
    return f"{float(value):.2f}"


def _rows(url: str, sql: str) -> list[tuple]:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def print_summary(url: str, echo: Callable = click.echo) -> None:
    """What the marts say, as an analyst would first look at it."""
    echo("\n== Last 7 days per client (marts.mart_entity_daily_metrics)")
    header = f"{'client':<10}{'impressions':>14}{'clicks':>10}{'spend':>14}{'CTR':>9}{'ROAS':>8}"
    echo(header)
    echo("-" * len(header))
    for client, imps, clicks, spend, ctr, roas in _rows(url, LAST_7_DAYS_SQL):
        echo(
            f"{client:<10}{_fmt(imps, 'int'):>14}{_fmt(clicks, 'int'):>10}"
            f"{_fmt(spend, 'money'):>14}{_fmt(ctr, 'pct'):>9}{_fmt(roas, 'x'):>8}"
        )

    echo("\n== Last complete week vs the week before (marts.mart_weekly_summary)")
    for client, week, spend, spend_delta, ctr, ctr_delta in _rows(url, WEEK_OVER_WEEK_SQL):
        echo(
            f"{client:<10}week of {week}  spend {_fmt(spend, 'money')} "
            f"({_fmt(spend_delta, 'delta')})  CTR {_fmt(ctr, 'pct')} ({_fmt(ctr_delta, 'delta')})"
        )

    echo("\n== Top campaign by conversions this month (marts.mart_period_top_entities)")
    for client, month, name, value in _rows(url, TOP_CAMPAIGNS_SQL):
        echo(f"{client:<10}{month:%Y-%m}  {name}  ({_fmt(value, 'int')} conversions)")

    echo("\n== Underperforming campaigns, latest weeks (marts.mart_underperformers)")
    for client, name, week, reason in _rows(url, UNDERPERFORMERS_SQL):
        echo(f"{client:<10}{name}, week of {week}: {reason}")

    echo("\n== Days not loaded (marts.mart_data_coverage)")
    for source, client, day, status, reason in _rows(url, COVERAGE_SQL):
        echo(f"{source:<10}{client:<10}{day}  {status:<13}{reason[:70]}")

    echo("\n== Rows held in marts.dq_quarantine")
    for source, rule, count in _rows(url, QUARANTINE_SQL):
        echo(f"{source:<10}{rule:<32}{count:>5}")


def write_demo_report(url: str, echo: Callable, client: str = "acme") -> None:
    """One client report, as `adwh report weekly --client acme` writes it."""
    from loaders.consume.reports import render_report
    from loaders.core.settings import adwh_home

    folder = adwh_home() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path, data = render_report(url, "weekly", client, out=folder / f"{client}-weekly.pdf")
    echo(f"\n== Weekly report for {data.client_name} ({data.period_start} to {data.period_end})")
    echo(f"written to {path}  (adwh report weekly --client {client} [--format html])")


def run(days: int = 30, echo: Callable = click.echo, allow_external: bool = False) -> None:
    from loaders.warehouse.database import uses_embedded

    if not uses_embedded() and not allow_external:
        raise click.UsageError(
            "ADWH_DATABASE_URL points at an external warehouse: the demo would load sample "
            "clients into it. Unset it to use the embedded Postgres, or pass --allow-external."
        )
    if days < 28:
        raise click.UsageError(
            "--days must be at least 28 (the sample data plants its "
            "problems within the last 28 days)"
        )
    url = database_url()
    window = demo_window(days)
    echo(f"adwh demo: {window[0]} .. {window[-1]} into {url.split('@')[-1]}")
    with local_s3() as s3:
        without = run_steps(DemoContext(url, window, echo, s3), sources())
    echo("\n== access control (adwh access init)")
    from loaders.access.roles import init as access_init

    access_init(url, echo)
    echo("\n== dbt build (seeds, models, tests)")
    run_dbt(["build"], url)
    print_summary(url, echo)
    write_demo_report(url, echo)
    echo(
        "\nLineage and column docs:  .venv/bin/adwh dbt docs generate && "
        ".venv/bin/adwh dbt docs serve --port 8080"
    )
    echo('Query the marts yourself:  psql "$(.venv/bin/adwh db url)"')
    if without:
        echo(f"\nNot in the demo (no demo step): {', '.join(without)}")
