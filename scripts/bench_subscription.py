"""Benchmark: the canonical dashboard queries on the subscription marts at a year of volume.

    python scripts/bench_subscription.py [--days 365] [--ads-per-client 2500] [--runs 200]

1. In a scratch database, `dbt build` creates the two subscription marts (empty: their real
   columns and indexes), then SQL fills them with generated rows: 4 clients x (25 campaigns,
   125 ad sets, --ads-per-client ads) for --days days - about 10,600 entity-days a day, 3.9 M
   rows in mart_subscription_entity_daily for a year - and, in
   mart_subscription_entity_country_daily, the ALL row of every entity-day plus US for all
   and CA for every second one (~2.5 rows per entity-day). The build itself is not timed
   here: the rows are generated straight into the marts so the figures are those of the
   dashboard queries at that size.
2. Runs each canonical query `--runs` times for random entities / clients, prints p50 and p95
   (target p95 < 20 ms) and each query plan once:
   - country_breakdown_14d: one entity's 14 days by country, `ALL` first;
   - row_sparkline_14d: one entity's 14 daily rows;
   - overview_sparkline_28d: one client's 28 days summed over its campaigns.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loaders.warehouse.database import database_url, scratch_database
from loaders.warehouse.dbt_runner import run_dbt

CLIENTS = ("acme", "globex", "initech", "umbrella")
CAMPAIGNS, ADSETS = 25, 125
MARTS = ("mart_subscription_entity_daily", "mart_subscription_entity_country_daily")

QUERIES = {
    "country_breakdown_14d": """
        select country_code, sum(mixpanel_trial_count) as trials,
               sum(mixpanel_purchase_count) as purchases, sum(meta_spend_usd) as spend,
               sum(actual_revenue_usd) as revenue, sum(adjusted_estimated_revenue_usd) as adjusted,
               sum(profit_usd) as profit
        from marts.mart_subscription_entity_country_daily
        where entity_type = %(entity_type)s and entity_id = %(entity_id)s
          and date_day between %(last_day)s::date - 13 and %(last_day)s::date
        group by country_code
        order by country_code = 'ALL' desc, sum(meta_spend_usd) desc, country_code""",
    "row_sparkline_14d": """
        select date_day, meta_spend_usd, mixpanel_trial_count, mixpanel_purchase_count,
               adjusted_estimated_revenue_usd, profit_usd, estimated_roas
        from marts.mart_subscription_entity_daily
        where entity_type = %(entity_type)s and entity_id = %(entity_id)s
          and date_day between %(last_day)s::date - 13 and %(last_day)s::date
        order by date_day""",
    "overview_sparkline_28d": """
        select date_day, sum(meta_spend_usd) as spend, sum(mixpanel_trial_count) as trials,
               sum(adjusted_estimated_revenue_usd) as adjusted, sum(profit_usd) as profit
        from marts.mart_subscription_entity_daily
        where client_id = %(client_id)s and entity_type = 'campaign'
          and date_day between %(last_day)s::date - 27 and %(last_day)s::date
        group by date_day
        order by date_day""",
}

# generated values per column (the rest: 0, '' or NULL by type); `e` is the entity series,
# `d` the day, `h` a per-row pseudo-random 0..999
VALUES = {
    "entity_type": "e.entity_type",
    "entity_id": "e.entity_id",
    "client_id": "e.client_id",
    "date_day": "d.day::date",
    "is_active": "true",
    "meta_spend_usd": "mod(h, 500) / 3.0",
    "meta_link_clicks": "mod(h, 90)",
    "meta_trial_count": "mod(h, 7)",
    "meta_purchase_count": "mod(h, 3)",
    "mixpanel_trial_count": "mod(h, 6)",
    "mixpanel_purchase_count": "mod(h, 2)",
    "trial_user_ids": "''",
    "actual_revenue_usd": "mod(h, 40) * 1.5",
    "estimated_revenue_usd": "mod(h, 60) * 1.2",
    "adjusted_estimated_revenue_usd": "mod(h, 60) * 1.3",
    "profit_usd": "mod(h, 60) * 1.3 - mod(h, 500) / 3.0",
    "estimated_roas": "(mod(h, 60) * 1.3) / nullif(mod(h, 500) / 3.0, 0)",
    "estimates_as_of": "%(last_day)s::date",
    "dbt_updated_at": "now()",
}


def entities_sql(ads_per_client: int) -> str:
    levels = [("campaign", "c", CAMPAIGNS), ("adset", "s", ADSETS), ("ad", "a", ads_per_client)]
    parts = []
    for client_no, client in enumerate(CLIENTS):
        for level, prefix, count in levels:
            parts.append(
                f"select '{level}' as entity_type, '{prefix}{client_no}_' || n as entity_id, "
                f"'{client}' as client_id, n from generate_series(1, {count}) as g (n)"
            )
    return " union all ".join(parts)


def fill(cur, mart: str, days: int, last_day: dt.date, ads_per_client: int) -> int:
    cur.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = %s order by ordinal_position",
        (mart,),
    )
    columns = cur.fetchall()
    exprs = []
    for name, data_type in columns:
        if name == "country_code":
            exprs.append("c.country_code")
        elif name in VALUES:
            exprs.append(VALUES[name])
        elif data_type in ("text", "character varying"):
            exprs.append("''")
        elif data_type in ("bigint", "integer", "numeric"):
            exprs.append("0")
        else:
            exprs.append("null")
    countries = ""
    if "country_code" in (c for c, _ in columns):
        countries = (
            "cross join lateral (select 'ALL' as country_code union all select 'US' "
            "union all select 'CA' where mod(e.n, 2) = 0) as c"
        )
    first_day = last_day - dt.timedelta(days=days - 1)
    # the mart's own indexes (dbt's), dropped for the bulk insert and built again after it:
    # the same indexes, built once instead of maintained row by row
    cur.execute(
        """select i.indexdef, i.indexname from pg_indexes as i
        where i.schemaname = 'marts' and i.tablename = %s and not exists (
            select 1 from pg_constraint as c
            where c.conindid = format('%%I.%%I', i.schemaname, i.indexname)::regclass)""",
        (mart,),
    )
    indexes = cur.fetchall()
    for _definition, name in indexes:
        cur.execute(f'drop index marts."{name}"')
    cur.execute(
        f"""insert into marts.{mart} ({", ".join(c for c, _ in columns)})
        select {", ".join(exprs)}
        from ({entities_sql(ads_per_client)}) as e
        cross join generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day')
            as d (day)
        cross join lateral (select mod(abs(hashtext(e.entity_id || d.day::text)), 1000) as h) as r
        {countries}""",
        {"first_day": first_day, "last_day": last_day},
    )
    rows = cur.rowcount
    for definition, _name in indexes:
        cur.execute(definition)
    cur.execute(f"analyze marts.{mart}")
    return rows


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run(url: str, days: int, ads_per_client: int, runs: int) -> None:
    last_day = dt.date(2026, 3, 31)
    started = time.perf_counter()
    run_dbt(
        [
            "build",
            "--select",
            "+mart_subscription_entity_daily",
            "+mart_subscription_entity_country_daily",
            "--vars",
            f"{{as_of_date: '{last_day}'}}",
            "--indirect-selection",
            "cautious",
        ],
        url,
    )
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for mart in MARTS:
            t = time.perf_counter()
            rows = fill(cur, mart, days, last_day, ads_per_client)
            conn.commit()
            print(f"{mart}: {rows:,} rows generated in {time.perf_counter() - t:.0f} s")
    print(
        f"set-up {time.perf_counter() - started:.0f} s; {days} days, "
        f"{len(CLIENTS) * (CAMPAIGNS + ADSETS + ads_per_client):,} entity-days a day"
    )
    rng = random.Random(12)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for name, sql in QUERIES.items():
            timings = []
            for i in range(runs):
                client_no = rng.randrange(len(CLIENTS))
                levels = [("campaign", "c", CAMPAIGNS), ("adset", "s", ADSETS)]
                level, prefix, count = rng.choice([*levels, ("ad", "a", ads_per_client)])
                params = {
                    "entity_type": level,
                    "entity_id": f"{prefix}{client_no}_{rng.randint(1, count)}",
                    "client_id": CLIENTS[client_no],
                    "last_day": last_day - dt.timedelta(days=rng.randrange(min(days - 28, 180))),
                }
                if i == 0:
                    cur.execute("explain (analyze, buffers) " + sql, params)
                    plan = "\n    ".join(r[0] for r in cur.fetchall())
                    print(f"\n{name} plan:\n    {plan}")
                t = time.perf_counter()
                cur.execute(sql, params)
                cur.fetchall()
                timings.append((time.perf_counter() - t) * 1000)
            p50, p95 = statistics.median(timings), percentile(timings, 95)
            verdict = "ok" if p95 < 20 else "OVER TARGET"
            print(
                f"{name}: p50 {p50:.2f} ms, p95 {p95:.2f} ms ({runs} runs; target p95 < 20 ms: "
                f"{verdict})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--ads-per-client", type=int, default=2500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with scratch_database(database_url(), "benchsub") as url:
        run(url, args.days, args.ads_per_client, args.runs)


if __name__ == "__main__":
    main()
