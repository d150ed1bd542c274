"""`adwh demo`: the whole warehouse on sample data, end to end, on the embedded Postgres.

Every source contributes a step that stands up its local stand-in (S3 server, vendor API
server, upload folder), writes deterministic sample data with a few deliberate problems, and
runs the real loader. Then `dbt build` runs every model and test, and a summary is printed
from the marts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import click

from loaders import sample_data, surfside
from loaders.database import connect, database_url
from loaders.dbt_runner import run_dbt
from loaders.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET, LocalS3, local_s3
from loaders.performance_sample import demo_step as bidder_step

DEMO_BUCKET = "adwh-demo-surfside"
DEMO_KEY_PATTERN = "surfside/{client}/media-report-{date}.csv"


def demo_window(days: int, today: dt.date | None = None) -> list[dt.date]:
    """The `days` days ending yesterday (UTC)."""
    today = today or dt.datetime.now(dt.UTC).date()
    return [today - dt.timedelta(days=days - i) for i in range(days)]


# --- Surfside -----------------------------------------------------------------------------------


def surfside_deliveries(window: list[dt.date]) -> list[sample_data.Delivery]:
    """acme delivers CSV, globex XLSX. Deliberate problems, so the demo shows the rules at work:
    acme: a negative impression count, clicks above impressions, a row dated in the future;
    globex: one day re-delivered corrected (the newer object wins), one day never delivered.
    """
    deliveries: list[sample_data.Delivery] = []
    n = len(window)
    for client, fmt in (("acme", "csv"), ("globex", "xlsx")):
        paths = sample_data.hierarchy(client)
        for i, day in enumerate(window):
            if client == "globex" and i == n - 10:
                continue  # never delivered: shows as missing_file
            rows = sample_data.day_rows(client, day, paths)
            if client == "acme" and i == n - 25:
                rows[0][5] = -rows[0][5]  # negative impressions
            if client == "acme" and i == n - 20:
                rows[1][6] = rows[1][5] + 17  # clicks > impressions
            if client == "acme" and i == n - 1:
                future = list(rows[2])
                future[0] = (day + dt.timedelta(days=2)).isoformat()
                rows.append(future)  # dated after the day it was loaded
            key = DEMO_KEY_PATTERN.format(client=client, date=day).removesuffix(".csv")
            writer = sample_data.to_csv if fmt == "csv" else sample_data.to_xlsx
            deliveries.append(sample_data.Delivery(f"{key}.{fmt}", writer(rows)))
            if client == "globex" and i == n - 27:
                corrected = sample_data.day_rows(client, day, paths, variant="corrected")
                deliveries.append(sample_data.Delivery(f"{key}_v2.{fmt}", writer(corrected)))
    return deliveries


def surfside_step(url: str, s3: LocalS3, window: list[dt.date], echo: Callable) -> None:
    client = s3.client()
    client.create_bucket(Bucket=DEMO_BUCKET)
    for delivery in surfside_deliveries(window):
        client.put_object(Bucket=DEMO_BUCKET, Key=delivery.key, Body=delivery.body)
    settings = surfside.SurfsideSettings(
        bucket=DEMO_BUCKET,
        key_pattern=DEMO_KEY_PATTERN,
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=LOCAL_KEY_ID,
        aws_secret_access_key=LOCAL_SECRET,
    )
    echo(
        f"\n== Surfside: {len(window)} days x 2 clients from a local S3 server ({s3.endpoint_url})"
    )
    results = surfside.load(url, ["acme", "globex"], window, settings=settings, echo=echo)
    missing = [r for r in results if r.status != "loaded"]
    echo(
        f"   {len(results) - len(missing)} days loaded, {len(missing)} not loaded "
        "(the sample data leaves one globex day undelivered on purpose)"
    )


STEPS: list[Callable] = [surfside_step, bidder_step]


# --- summary ------------------------------------------------------------------------------------


SUMMARY_SQL = """
with last_day as (select max(date_day) as d from marts.fact_daily_metrics)
select f.client_id,
       sum(f.impressions)                                              as impressions,
       sum(f.clicks)                                                   as clicks,
       sum(f.spend)                                                    as spend,
       sum(f.clicks)::numeric / nullif(sum(f.impressions), 0)          as ctr,
       sum(f.conversion_revenue) / nullif(sum(f.spend), 0)             as roas
from marts.fact_daily_metrics f, last_day
where f.date_day > last_day.d - 7
group by f.client_id
order by f.client_id
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
    return f"{float(value):.2f}"


def print_summary(url: str, echo: Callable = click.echo) -> None:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(SUMMARY_SQL)
        rows = cur.fetchall()
        cur.execute(QUARANTINE_SQL)
        quarantine = cur.fetchall()
    echo("\n== Last 7 days per client (marts.fact_daily_metrics)")
    header = f"{'client':<10}{'impressions':>14}{'clicks':>10}{'spend':>14}{'CTR':>9}{'ROAS':>8}"
    echo(header)
    echo("-" * len(header))
    for client, imps, clicks, spend, ctr, roas in rows:
        echo(
            f"{client:<10}{_fmt(imps, 'int'):>14}{_fmt(clicks, 'int'):>10}"
            f"{_fmt(spend, 'money'):>14}{_fmt(ctr, 'pct'):>9}{_fmt(roas, 'x'):>8}"
        )
    echo("\n== Rows held in marts.dq_quarantine")
    for source, rule, count in quarantine:
        echo(f"{source:<10}{rule:<32}{count:>5}")


def run(days: int = 30, echo: Callable = click.echo) -> None:
    if days < 28:
        raise click.UsageError(
            "--days must be at least 28 (the sample data plants its "
            "problems within the last 28 days)"
        )
    url = database_url()
    window = demo_window(days)
    echo(f"adwh demo: {window[0]} .. {window[-1]} into {url.split('@')[-1]}")
    with local_s3() as s3:
        for step in STEPS:
            step(url, s3, window, echo)
    echo("\n== dbt build (seeds, models, tests)")
    run_dbt(["build"], url)
    print_summary(url, echo)
    echo(
        "\nLineage and column docs:  .venv/bin/adwh dbt docs generate && "
        ".venv/bin/adwh dbt docs serve --port 8080"
    )
    echo('Query the marts yourself:  psql "$(.venv/bin/adwh db url)"')
