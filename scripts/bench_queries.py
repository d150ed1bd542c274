"""Benchmark: dashboard queries on the pre-computed marts, and incremental vs full builds.

    python scripts/bench_queries.py [--days 365] [--creatives-per-client 4000]

1. Builds a year of generated history through the real loaders into a scratch database:
   Surfside files for acme and globex in a local S3 server (8 campaigns x 4 strategies x
   5 placements x 25 creatives = 4,000 creatives each, every day) and bidder performance with
   geography for initech (1,500 creatives x 2 countries a day). About 10,000 entity-days per
   day: ~3.6 M rows in marts.mart_entity_daily_metrics.
2. Times `dbt build --full-refresh` (models and tests) and `dbt run --full-refresh`; loads one
   more day through the same loaders, then times the incremental `dbt run` and `dbt build`;
   prints the ratios (target: incremental <= 10 % of full).
3. Runs each canonical query of dbt_project/analyses/ (compiled by dbt, parameters bound by
   psycopg2) 200 times for random entities and prints p50/p95 (targets: row sparkline
   < 5 ms, client overview < 10 ms, country breakdown < 20 ms), then answers the same
   questions on the fly from fact_daily_metrics (the country breakdown from the priced rows:
   the fact has no country) and prints the speed-up (target >= 20x). Prints each query plan
   once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import psycopg2
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_intelligence import intelligence_share

from loaders.core.settings import project_dir
from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET, local_s3
from loaders.sources import bidder as performance
from loaders.sources import surfside
from loaders.warehouse.database import database_url, scratch_database
from loaders.warehouse.dbt_runner import run_dbt

SURFSIDE_CLIENTS = ("acme", "globex")
GEO_CLIENT = "initech"
GEO_CREATIVES = 1_500
COUNTRIES = np.array(["US", "CA", "GB", "DE", "FR", "BR", "MX", "ES", "IT", "AU"])
PATTERN = "bench/{client}/media-report-{date}.csv"
RUNS = 200
SLOW_RUNS = 20  # on-the-fly country breakdowns read the raw rows: fewer runs

ON_THE_FLY = {
    "sparkline_entity_14d": """
        select date_day, sum(impressions) as impressions, sum(clicks) as clicks,
               sum(conversions) as conversions, sum(spend) as spend,
               sum(clicks)::numeric / nullif(sum(impressions), 0) as ctr,
               sum(spend) / nullif(sum(clicks), 0) as cpc,
               sum(conversion_revenue) / nullif(sum(spend), 0) as roas
        from marts.fact_daily_metrics
        where {entity_column} = %(entity_id)s
          and date_day between %(last_day)s::date - 13 and %(last_day)s::date
        group by date_day order by date_day""",
    "sparkline_client_overview_28d": """
        select date_day, sum(impressions) as impressions, sum(clicks) as clicks,
               sum(conversions) as conversions, sum(conversion_revenue) as revenue,
               sum(spend) as spend, sum(clicks)::numeric / nullif(sum(impressions), 0) as ctr,
               sum(spend) / nullif(sum(impressions), 0) * 1000 as cpm,
               sum(spend) / nullif(sum(conversions), 0) as cpa,
               sum(conversion_revenue) / nullif(sum(spend), 0) as roas
        from marts.fact_daily_metrics
        where client_id = %(client_id)s
          and date_day between %(last_day)s::date - 27 and %(last_day)s::date
        group by date_day order by date_day""",
    "country_breakdown_campaign_14d": """
        with rows as (
            select coalesce(country_code, 'ZZ') as country_code, impressions, clicks,
                   conversions, spend
            from intermediate.int_daily_performance__priced
            where is_valid and campaign_key = %(campaign_key)s
              and date_day between %(last_day)s::date - 13 and %(last_day)s::date
        )
        select country_code, sum(impressions), sum(clicks), sum(conversions), sum(spend)
        from (select * from rows union all
              select 'ALL', impressions, clicks, conversions, spend from rows) as x
        group by country_code
        order by country_code = 'ALL' desc, sum(spend) desc, country_code""",
}
ENTITY_COLUMNS = {
    "client": "client_id",
    "campaign": "campaign_key",
    "strategy": "strategy_key",
    "placement": "placement_key",
    "creative": "creative_key",
}


# --- data ---------------------------------------------------------------------------------------


def surfside_day(client: str, day: dt.date, creatives: int, rng: np.random.Generator) -> bytes:
    per_placement = max(1, creatives // (8 * 4 * 5))
    n = 8 * 4 * 5 * per_placement
    i = np.arange(n)
    impressions = rng.integers(200, 20_000, n)
    clicks = (impressions * rng.uniform(0.001, 0.012, n)).astype(np.int64)
    conversions = (clicks * rng.uniform(0, 0.15, n)).astype(np.int64)
    table = pa.table(
        {
            "Date": pa.array(np.full(n, day.isoformat())),
            "Campaign": np.char.add(
                f"{client} campaign ", (i // (4 * 5 * per_placement)).astype(str)
            ),
            "Strategy": np.char.add("strategy ", (i // (5 * per_placement) % 4).astype(str)),
            "Placement": np.char.add("placement ", (i // per_placement % 5).astype(str)),
            "Creative": np.char.add("creative ", (i % per_placement).astype(str)),
            "Impressions": impressions,
            "Clicks": clicks,
            "Conversions": conversions,
            "Conversion Revenue": np.round(conversions * rng.uniform(20, 90, n), 2),
        }
    )
    out = pa.BufferOutputStream()
    pacsv.write_csv(table, out)
    return out.getvalue().to_pybytes()


def write_geo_catalog(path: Path) -> None:
    ids = np.arange(700_000, 700_000 + GEO_CREATIVES)
    pacsv.write_csv(
        pa.table(
            {
                "creative_id": ids,
                "client_id": np.full(GEO_CREATIVES, GEO_CLIENT),
                "creative_name": np.char.add("geo creative ", ids.astype(str)),
                "campaign_name": np.char.add("geo campaign ", (ids % 10).astype(str)),
            }
        ),
        path,
    )


def write_geo_days(days: list[dt.date], path: Path, rng: np.random.Generator) -> None:
    """creative x day x 2 countries (a creative's two countries vary by day)."""
    per_day = GEO_CREATIVES * 2
    n = per_day * len(days)
    i = np.arange(n)
    day_index = i // per_day
    creative = 700_000 + (i % per_day) // 2
    first = np.repeat(rng.integers(0, len(COUNTRIES), n // 2), 2)  # one draw per creative-day
    country = np.where(i % 2 == 0, COUNTRIES[first % 10], COUNTRIES[(first + 5) % 10])
    impressions = rng.integers(100, 30_000, n)
    clicks = (impressions * rng.uniform(0.001, 0.02, n)).astype(np.int64)
    day_strings = np.array([d.isoformat() for d in days])
    pacsv.write_csv(
        pa.table(
            {
                "creative_id": creative,
                "date": day_strings[day_index],
                "impressions": impressions,
                "clicks": clicks,
                "spend": np.round(impressions / 1000 * rng.uniform(1.5, 9.0, n), 2),
                "geography": country,
            }
        ),
        path,
    )


def local_settings(s3, pattern: str) -> surfside.SurfsideSettings:
    """Surfside settings for bucket `bench` on the local S3 server `s3`."""
    return surfside.SurfsideSettings(
        bucket="bench",
        key_pattern=pattern,
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=LOCAL_KEY_ID,
        aws_secret_access_key=LOCAL_SECRET,
    )


def load_history(url: str, s3, days: list[dt.date], creatives: int, rng, tmp: Path) -> None:
    client = s3.client()
    for day in days:
        for name in SURFSIDE_CLIENTS:
            client.put_object(
                Bucket="bench",
                Key=PATTERN.format(client=name, date=day),
                Body=surfside_day(name, day, creatives, rng),
            )
    cfg = local_settings(s3, PATTERN)
    results = surfside.load(url, list(SURFSIDE_CLIENTS), days, settings=cfg, echo=lambda _: None)
    assert all(r.status == "loaded" for r in results), [r.line() for r in results[:3]]
    geo = tmp / f"geo-{days[0]}.csv"
    write_geo_days(days, geo, rng)
    performance.load_performance(url, [str(geo)], echo=None, summary=False)
    geo.unlink()


# --- timing -------------------------------------------------------------------------------------


def timed(label: str, func, *args, **kwargs) -> float:
    start = time.perf_counter()
    func(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"  {label:<44}{elapsed:8.1f} s", flush=True)
    return elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def canonical_sql(name: str, sentinels: dict[str, str]) -> str:
    """The analysis compiled by dbt, with its vars turned into psycopg2 parameters."""
    run_dbt(["compile", "--select", name, "--vars", json.dumps(sentinels)], database_url())
    target = Path(os.environ["DBT_TARGET_PATH"])
    sql = (target / "compiled" / "adwh" / "dbt_project" / "analyses" / f"{name}.sql").read_text()
    for key, sentinel in sentinels.items():
        sql = sql.replace(f"'{sentinel}'", f"%({key})s")
    return sql


def measure(cur, sql: str, params: list[dict]) -> list[float]:
    times = []
    for p in params:
        start = time.perf_counter()
        cur.execute(sql, p)
        cur.fetchall()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(label: str, mart: list[float], fly: list[float], target_ms: float) -> None:
    p50, p95 = statistics.median(mart), pct(mart, 0.95)
    f50, f95 = statistics.median(fly), pct(fly, 0.95)
    print(
        f"  {label:<34} mart p50 {p50:6.2f} ms  p95 {p95:6.2f} ms (target < {target_ms:g})"
        f"   on the fly p50 {f50:8.1f} ms  p95 {f95:8.1f} ms   speed-up {f50 / p50:6.0f}x"
    )


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--creatives-per-client", type=int, default=4_000)
    args = parser.parse_args()

    rng = np.random.default_rng(2026)
    last = dt.date(2026, 6, 30)
    history = [last - dt.timedelta(days=args.days - i) for i in range(args.days)]
    new_day = last
    with scratch_database(database_url(), "bench_queries") as url:
        name = urlparse(url).path.lstrip("/")
        os.environ["ADWH_DATABASE_URL"] = url
        with tempfile.TemporaryDirectory() as tmp_dir, local_s3() as s3:
            tmp = Path(tmp_dir)
            os.environ["DBT_TARGET_PATH"] = str(tmp / "target")
            os.environ["DBT_LOG_PATH"] = str(tmp / "logs")
            s3.client().create_bucket(Bucket="bench")
            print(f"history: {args.days} days up to {history[-1]} into {name}", flush=True)
            write_geo_catalog(tmp / "catalog.csv")
            performance.load_catalog(url, str(tmp / "catalog.csv"), echo=None)
            start = time.perf_counter()
            for i in range(0, len(history), 30):
                load_history(url, s3, history[i : i + 30], args.creatives_per_client, rng, tmp)
            print(f"  {'loaded the history':<44}{time.perf_counter() - start:8.1f} s")

            print("builds:")
            full_build = timed(
                "dbt build --full-refresh (models + tests)",
                run_dbt,
                ["build", "--full-refresh"],
                url,
            )
            full_run = timed(
                "dbt run --full-refresh (models)", run_dbt, ["run", "--full-refresh"], url
            )
            intelligence_share("dbt run --full-refresh")
            load_history(url, s3, [new_day], args.creatives_per_client, rng, tmp)
            incr_run = timed("dbt run after one new day (models)", run_dbt, ["run"], url)
            intelligence_share("dbt run after one new day")
            load_history(
                url, s3, [new_day + dt.timedelta(days=1)], args.creatives_per_client, rng, tmp
            )
            incr_build = timed(
                "dbt build after one more day (models + tests)", run_dbt, ["build"], url
            )
            print(
                f"  incremental / full: run {incr_run / full_run:.1%}, "
                f"build {incr_build / full_build:.1%} (target <= 10 %)"
            )

            conn = psycopg2.connect(url)
            conn.autocommit = True
            cur = conn.cursor()
            cur.execute(
                "select count(*), count(distinct date_day) from marts.mart_entity_daily_metrics"
            )
            rows, days = cur.fetchone()
            print(
                f"mart_entity_daily_metrics: {rows:,} rows over {days} days "
                f"({rows / days:,.0f} entity-days per day)"
            )
            as_of = (new_day + dt.timedelta(days=1)).isoformat()

            cur.execute(
                "select entity_type, entity_id from marts.mart_entity_daily_metrics "
                "where date_day = %s",
                (as_of,),
            )
            by_type: dict[str, list] = {}
            for entity_type, entity_id in cur.fetchall():
                by_type.setdefault(entity_type, []).append((entity_type, entity_id))
            # the same number of entities of each level (creatives would otherwise be 95 %)
            picker = random.Random(1)
            picks = [
                picker.choice(by_type[level])
                for level in sorted(by_type)
                for _ in range(RUNS // len(by_type))
            ]
            cur.execute(
                "select distinct entity_id from marts.mart_entity_country_daily "
                "where entity_type = 'campaign'"
            )
            campaigns = [r[0] for r in cur.fetchall()]
            clients = [*SURFSIDE_CLIENTS, GEO_CLIENT]
            rnd = random.Random(2)
            spark = [{"entity_type": t, "entity_id": e, "last_day": as_of} for t, e in picks]
            overview = [{"client_id": rnd.choice(clients), "last_day": as_of} for _ in range(RUNS)]
            country = [
                {"campaign_key": rnd.choice(campaigns), "last_day": as_of} for _ in range(RUNS)
            ]

            queries = {
                "sparkline_entity_14d": canonical_sql(
                    "sparkline_entity_14d",
                    {
                        "entity_type": "__entity_type__",
                        "entity_id": "__entity_id__",
                        "last_day": "__last_day__",
                    },
                ),
                "sparkline_client_overview_28d": canonical_sql(
                    "sparkline_client_overview_28d",
                    {"client_id": "__client_id__", "last_day": "__last_day__"},
                ),
                "country_breakdown_campaign_14d": canonical_sql(
                    "country_breakdown_campaign_14d",
                    {"campaign_key": "__campaign_key__", "last_day": "__last_day__"},
                ),
            }
            cur.execute("vacuum analyze")
            print("query plans (first parameters):")
            for label, sql, params in (
                ("sparkline_entity_14d", queries["sparkline_entity_14d"], spark[0]),
                (
                    "sparkline_client_overview_28d",
                    queries["sparkline_client_overview_28d"],
                    overview[0],
                ),
                (
                    "country_breakdown_campaign_14d",
                    queries["country_breakdown_campaign_14d"],
                    country[0],
                ),
            ):
                cur.execute("explain " + sql, params)
                plan = [r[0] for r in cur.fetchall()]
                scans = [line.strip() for line in plan if "Scan" in line]
                print(f"  {label}: {' | '.join(scans)}")

            print(
                f"canonical queries, {RUNS} runs each (on the fly: fact_daily_metrics, "
                f"{SLOW_RUNS} runs for the country breakdown):"
            )
            mart, fly = [], []
            for level in sorted(by_type):
                params = [p for p in spark if p["entity_type"] == level]
                sql = ON_THE_FLY["sparkline_entity_14d"].format(entity_column=ENTITY_COLUMNS[level])
                level_mart = measure(cur, queries["sparkline_entity_14d"], params)
                level_fly = measure(cur, sql, params)
                report(f"  sparkline of a {level}", level_mart, level_fly, 5)
                mart += level_mart
                fly += level_fly
            report("14-day entity sparkline, all levels", mart, fly, 5)
            report(
                "28-day client overview",
                measure(cur, queries["sparkline_client_overview_28d"], overview),
                measure(cur, ON_THE_FLY["sparkline_client_overview_28d"], overview),
                10,
            )
            report(
                "14-day campaign country breakdown",
                measure(cur, queries["country_breakdown_campaign_14d"], country),
                measure(cur, ON_THE_FLY["country_breakdown_campaign_14d"], country[:SLOW_RUNS]),
                20,
            )
            conn.close()
    print(f"(project {project_dir()}, PostgreSQL embedded or ADWH_DATABASE_URL)")


if __name__ == "__main__":
    main()
