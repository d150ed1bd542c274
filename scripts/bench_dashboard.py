"""Dashboard queries for scripts/bench_queries.py: each canonical query of
dbt_project/analyses/ (compiled by dbt, parameters bound by psycopg2) against the marts, and
the same question answered on the fly from fact_daily_metrics, with p50/p95 and plans."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import time
from pathlib import Path

import psycopg2

from loaders.warehouse.database import database_url
from loaders.warehouse.dbt_runner import run_dbt

SURFSIDE_CLIENTS = ("acme", "globex")
GEO_CLIENT = "initech"
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


def dashboard_queries(url: str, new_day: dt.date) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("select count(*), count(distinct date_day) from marts.mart_entity_daily_metrics")
    rows, days = cur.fetchone()
    print(
        f"mart_entity_daily_metrics: {rows:,} rows over {days} days "
        f"({rows / days:,.0f} entity-days per day)"
    )
    as_of = (new_day + dt.timedelta(days=1)).isoformat()

    cur.execute(
        "select entity_type, entity_id from marts.mart_entity_daily_metrics where date_day = %s",
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
    country = [{"campaign_key": rnd.choice(campaigns), "last_day": as_of} for _ in range(RUNS)]

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
    # The same mart queries once more, same parameters, their pages now read once: tells a
    # cold-cache cost apart from the steady state (on the year benchmark of 2026-11-29 both
    # passes gave the same latency).
    print("the same mart queries again (their pages read once already):")
    for label, name, params in (
        ("14-day entity sparkline, all levels", "sparkline_entity_14d", spark),
        ("28-day client overview", "sparkline_client_overview_28d", overview),
        ("14-day campaign country breakdown", "country_breakdown_campaign_14d", country),
    ):
        again = measure(cur, queries[name], params)
        p50, p95 = statistics.median(again), pct(again, 0.95)
        print(f"  {label:<34} mart p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
    conn.close()
