"""`adwh demo`: the whole warehouse on sample data, end to end, on the embedded Postgres.

Every source contributes a step that stands up its local stand-in (S3 server, vendor API
server, upload folder), writes deterministic sample data with a few deliberate problems, and
runs the real loader. Then `dbt build` runs every model and test, and a summary is printed
from the marts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import click

from loaders.demo import meta_demo, vibe_stub
from loaders.demo import surfside_sample as sample_data
from loaders.demo.bidder_sample import demo_step as bidder_step
from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET, LocalS3, local_s3
from loaders.sources import surfside, vibe
from loaders.warehouse.database import connect, database_url
from loaders.warehouse.dbt_runner import run_dbt

DEMO_BUCKET = "adwh-demo-surfside"
DEMO_KEY_PATTERN = "surfside/{client}/media-report-{date}.csv"


def demo_window(days: int, today: dt.date | None = None) -> list[dt.date]:
    """The `days` days ending yesterday (UTC)."""
    today = today or dt.datetime.now(dt.UTC).date()
    return [today - dt.timedelta(days=days - i) for i in range(days)]


def only_news(echo: Callable) -> Callable:
    """An echo that drops the routine "<day> <client>: loaded N rows from ..." lines (the step
    prints their count) and keeps everything else: plans, refusals, re-deliveries, notes."""
    routine = re.compile(r"^\d{4}-\d{2}-\d{2} \S+: loaded \d[\d,]* rows from ")
    news = re.compile(r"deliver|outside|replaced|;")

    def echo_news(line: str) -> None:
        if not routine.match(line) or news.search(line):
            echo(line)

    return echo_news


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
    results = surfside.load(
        url, ["acme", "globex"], window, settings=settings, echo=only_news(echo)
    )
    missing = [r for r in results if r.status != "loaded"]
    echo(
        f"   {len(results) - len(missing)} days loaded, {len(missing)} not loaded "
        "(the sample data leaves one globex day undelivered on purpose)"
    )


# --- Facebook -----------------------------------------------------------------------------------


def facebook_step(url: str, s3: LocalS3, window: list[dt.date], echo: Callable) -> None:
    """globex hands over Ads Manager exports: a CSV (BOM, USD, thousands separators, summary
    row), a newer XLSX overlapping its last 3 days (one row without an ad set: quarantined),
    the CSV again under another name (a no-op) and a period export (refused)."""
    import tempfile
    from pathlib import Path

    from loaders.demo import facebook_sample
    from loaders.sources import facebook

    with tempfile.TemporaryDirectory(prefix="adwh-demo-facebook-") as folder:
        paths = []
        for name, body in facebook_sample.demo_exports("globex", window):
            path = Path(folder) / name
            path.write_bytes(body)
            paths.append(path)
        echo(f"\n== Facebook: {len(paths)} Ads Manager exports uploaded for globex")
        results = facebook.load(
            url, "globex", paths, settings=facebook.FacebookSettings(), echo=echo
        )
    counts = {s: sum(r.status == s for r in results) for s in ("loaded", "skipped", "rejected")}
    echo(
        f"   {counts['loaded']} loaded, {counts['skipped']} unchanged (already loaded), "
        f"{counts['rejected']} refused (the period export, on purpose)"
    )


# --- Vibe ---------------------------------------------------------------------------------------

# The stand-in server's advertisers and keys (loopback only; not real credentials).
VIBE_CLIENTS = {
    "acme": ("demo-adv-acme", "demo-vibe-key-acme", "Acme"),
    "initech": ("demo-adv-initech", "demo-vibe-key-initech", "Initech"),
}


def vibe_rows(window: list[dt.date]) -> Callable[[str, dt.date], vibe_stub.Rows]:
    """Deterministic CTV rows per advertiser and day, with deliberate problems:
    acme: a row with negative spend (media cost); initech: a row without a creative name and
    a row Vibe dates two months before the report's range.
    """
    n = len(window)
    brands = {adv: brand for adv, _key, brand in VIBE_CLIENTS.values()}

    def rows(advertiser_id: str, day: dt.date) -> vibe_stub.Rows:
        out = vibe_stub.sample_rows(advertiser_id, day, brands[advertiser_id])
        if advertiser_id == "demo-adv-acme" and day == window[n - 12]:
            out[0]["spend"] = "-" + str(out[0]["spend"])
        if advertiser_id == "demo-adv-initech" and day == window[n - 8]:
            out[1]["creative_name"] = ""
        if advertiser_id == "demo-adv-initech" and day == window[n - 3]:
            stray = dict(out[2], impression_date=(day - dt.timedelta(days=60)).isoformat())
            out.append(stray)
        return out

    return rows


def vibe_step(url: str, s3: LocalS3, window: list[dt.date], echo: Callable) -> None:
    keys = {key: [adv] for adv, key, _brand in VIBE_CLIENTS.values()}
    with vibe_stub.VibeStub(keys, rows=vibe_rows(window), processing_polls=2) as stub:
        settings = vibe.VibeSettings(
            clients={
                client: vibe.VibeClient(client, adv, key)
                for client, (adv, key, _brand) in VIBE_CLIENTS.items()
            },
            base_url=stub.base_url,
            poll_interval=0.05,
            poll_max_interval=0.2,
        )
        echo(
            f"\n== Vibe: {len(window)} days x 2 clients from a local stand-in of the reporting "
            f"API ({stub.base_url})"
        )
        # The stand-in forgets its reports when it stops: so do the demo's ledger entries.
        with connect(url) as conn, conn.cursor() as cur:
            cur.execute("select to_regclass('adwh_ops.vibe_report_requests')")
            if cur.fetchone()[0] is not None:
                cur.execute(
                    "delete from adwh_ops.vibe_report_requests "
                    "where advertiser_id like 'demo-adv-%'"
                )
        outcome = vibe.load(
            url, list(VIBE_CLIENTS), window, settings=settings, force=True, echo=only_news(echo)
        )
        bad = outcome.not_loaded()
        echo(
            f"   {len(outcome.results) - len(bad)} days loaded, {len(bad)} not loaded, "
            f"{stub.creation_count()} report creations (budget {stub.budget} per hour)"
        )


STEPS: list[Callable] = [surfside_step, facebook_step, vibe_step, bidder_step]


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
        for step in STEPS:
            step(url, s3, window, echo)
    meta_demo.demo_step(url, window, echo)
    echo("\n== dbt build (seeds, models, tests)")
    run_dbt(["build"], url)
    print_summary(url, echo)
    echo(
        "\nLineage and column docs:  .venv/bin/adwh dbt docs generate && "
        ".venv/bin/adwh dbt docs serve --port 8080"
    )
    echo('Query the marts yourself:  psql "$(.venv/bin/adwh db url)"')
