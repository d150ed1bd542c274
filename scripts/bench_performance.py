"""Benchmark: bidder performance imports and per-creative lookups on the geo/device mart.

    python scripts/bench_performance.py [--import-rows 100000] [--history-rows 1000000]

1. Generates a creative catalog (2,000 creatives, two clients) and an N-row hourly
   performance CSV (creative x hour x geography x device), and imports it end to end with
   `load_performance` (parse, type, dlt merge on the row key, ingestion log, and the import
   summary: the staging rules applied to the file's rows and the stored catalog, no dbt):
   - first import into a fresh warehouse,
   - the same file again (every key replaced: the steady state),
   - the same file through the `adwh` CLI in a child process (Python start-up included).
2. Builds a performance history of M daily rows (creative x day x geography x device) through
   the same loader, runs dbt up to marts.mart_creative_geo_device_daily, then measures p50/p95
   of "metrics for one creative over a date range, optionally for one country" over 200 random
   creatives, and prints the query plan once.
Uses the embedded Postgres (or ADWH_DATABASE_URL) and a scratch database dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import numpy as np
import psycopg2
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loaders.sources import bidder as performance
from loaders.warehouse.database import database_url, scratch_database
from loaders.warehouse.dbt_runner import run_dbt

CREATIVES = 2_000
FIRST_ID = 100_000
IMPORT_DAY = dt.date(2026, 1, 1)  # the hourly file covers this day and the following ones
COUNTRIES = np.array(["US", "CA", "GB", "DE", "FR", "BR", "MX", "ES", "IT", "AU"])
DEVICES = np.array(["mobile", "desktop", "tablet", "ctv"])

LOOKUP_SQL = """
select date_day, sum(impressions) as impressions, sum(clicks) as clicks, sum(spend) as spend,
       sum(spend) / nullif(sum(clicks), 0) as cpc,
       sum(spend) / nullif(sum(impressions), 0) * 1000 as cpm
from marts.mart_creative_geo_device_daily
where creative_id = %(creative_id)s and date_day between %(first)s and %(last)s
  {country_filter}
group by date_day
order by date_day
"""


def write_catalog(path: Path) -> None:
    ids = np.arange(FIRST_ID, FIRST_ID + CREATIVES)
    clients = np.where(ids % 2 == 0, "acme", "globex")
    table = pa.table(
        {
            "creative_id": ids,
            "client_id": clients,
            "creative_name": np.char.add("Creative ", ids.astype(str)),
            "campaign_name": np.char.add("Campaign ", (ids % 20).astype(str)),
        }
    )
    pacsv.write_csv(table, path)


def _measures(rng: np.random.Generator, rows: int, low: int, high: int) -> dict:
    impressions = rng.integers(low, high, rows)
    clicks = (impressions * rng.uniform(0.001, 0.02, rows)).astype(np.int64)
    spend = np.round(impressions / 1000 * rng.uniform(1.5, 9.0, rows), 2)
    return {"impressions": impressions, "clicks": clicks, "spend": spend}


def write_hourly(rows: int, path: Path) -> None:
    """Unique keys: row i is creative i % CREATIVES at hour slot i // CREATIVES."""
    rng = np.random.default_rng(5)
    i = np.arange(rows)
    slot = i // CREATIVES
    days = np.array([IMPORT_DAY + dt.timedelta(days=int(d)) for d in range(slot.max() // 24 + 1)])
    table = pa.table(
        {
            "creative_id": FIRST_ID + i % CREATIVES,
            "date": pa.array(days[slot // 24]),
            "hour": slot % 24,
            **_measures(rng, rows, 10, 3_000),
            "geography": rng.choice(COUNTRIES, rows),
            "device_type": rng.choice(DEVICES, rows),
        }
    )
    pacsv.write_csv(table, path)


def write_history(rows: int, path: Path) -> tuple[dt.date, dt.date]:
    """Daily rows before IMPORT_DAY: creative x day x 5 (geography, device) pairs."""
    rng = np.random.default_rng(11)
    pairs = 5
    per_day = CREATIVES * pairs
    n_days = -(-rows // per_day)
    i = np.arange(rows)
    day_index = i // per_day
    first = IMPORT_DAY - dt.timedelta(days=n_days)
    days = np.array([first + dt.timedelta(days=int(d)) for d in range(n_days)])
    pair = (i % per_day) // CREATIVES
    table = pa.table(
        {
            "creative_id": FIRST_ID + i % CREATIVES,
            "date": pa.array(days[day_index]),
            **_measures(rng, rows, 100, 40_000),
            # pair k of a creative-day: country k, device k (distinct pairs -> distinct keys)
            "geography": COUNTRIES[pair * 2],
            "device_type": DEVICES[pair % len(DEVICES)],
        }
    )
    pacsv.write_csv(table, path)
    return first, IMPORT_DAY - dt.timedelta(days=1)


def timed(label: str, func, *args, **kwargs):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"{label:<58}{elapsed:8.2f} s")
    return value, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def lookups(url: str, first: dt.date, last: dt.date, count: int = 200) -> None:
    rng = random.Random(3)
    conn = psycopg2.connect(url)
    cur = conn.cursor()
    creatives = rng.sample(range(FIRST_ID, FIRST_ID + CREATIVES), count)
    span = (last - first).days
    queries = []
    for k, creative_id in enumerate(creatives):
        start = first + dt.timedelta(days=rng.randint(0, max(0, span - 30)))
        params = {
            "creative_id": creative_id,
            "first": start,
            "last": start + dt.timedelta(days=29),
        }
        country = k % 2 == 1  # every other query for one country
        if country:
            params["country"] = str(COUNTRIES[rng.randrange(5) * 2])
        queries.append((country, params))

    def run(country: bool, params: dict) -> list:
        sql = LOOKUP_SQL.format(country_filter="and country_code = %(country)s" if country else "")
        cur.execute(sql, params)
        return cur.fetchall()

    for country, params in queries[:10]:  # warm the connection and the caches
        run(country, params)
    times: dict[bool, list[float]] = {False: [], True: []}
    for country, params in queries:
        start = time.perf_counter()
        rows = run(country, params)
        times[country].append((time.perf_counter() - start) * 1000)
        assert rows, f"no rows for {params}"
    every = times[False] + times[True]
    print(f"\nper-creative lookups on marts.mart_creative_geo_device_daily ({count} creatives)")
    for label, values in (
        ("all queries", every),
        ("date range only", times[False]),
        ("date range + one country", times[True]),
    ):
        print(
            f"  {label:<26} p50 {percentile(values, 0.5):6.2f} ms   "
            f"p95 {percentile(values, 0.95):6.2f} ms   max {max(values):6.2f} ms"
        )
    country, params = queries[1]
    sql = LOOKUP_SQL.format(country_filter="and country_code = %(country)s")
    cur.execute("explain (analyze, buffers, costs off) " + sql, params)
    print(f"\nquery plan (creative {params['creative_id']}, country {params['country']}):")
    for (line,) in cur.fetchall():
        print(f"  {line}")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--history-rows", type=int, default=1_000_000)
    args = parser.parse_args()

    server = urlunparse(urlparse(database_url())._replace(path="/postgres"))
    settings = performance.PerformanceSettings()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        catalog, hourly, history = (
            folder / "creatives.csv",
            folder / "hourly.csv",
            folder / "history.csv",
        )
        write_catalog(catalog)
        write_hourly(args.import_rows, hourly)
        print(
            f"generated {args.import_rows:,} hourly rows "
            f"({hourly.stat().st_size / 1e6:.1f} MB) for {CREATIVES:,} creatives"
        )
        with scratch_database(server, "bench_perf") as url:
            performance.load_catalog(url, str(catalog), settings=settings, echo=None)
            print(f"\nimport of {args.import_rows:,} rows, end to end (summary included)")
            [first], _ = timed(
                "  first import into a fresh warehouse",
                performance.load_performance,
                url,
                [str(hourly)],
                settings=settings,
                echo=None,
            )
            assert first.valid_rows == args.import_rows, first.lines()
            timed(
                "  the same file again (all keys replaced)",
                performance.load_performance,
                url,
                [str(hourly)],
                settings=settings,
                echo=None,
            )
            env = {**os.environ, "ADWH_DATABASE_URL": url}
            adwh = Path(sys.executable).with_name("adwh")
            timed(
                "  `adwh load bidder FILE` (child process)",
                subprocess.run,
                [str(adwh), "load", "bidder", str(hourly)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )

            first_day, last_day = write_history(args.history_rows, history)
            print(
                f"\nhistory: {args.history_rows:,} daily rows {first_day} .. {last_day} "
                f"({history.stat().st_size / 1e6:.1f} MB)"
            )
            timed(
                "  import",
                performance.load_performance,
                url,
                [str(history)],
                settings=settings,
                echo=None,
            )
            timed(
                "  dbt build up to mart_creative_geo_device_daily (no tests)",
                run_dbt,
                [
                    "build",
                    "--quiet",
                    "--select",
                    "+mart_creative_geo_device_daily",
                    "--exclude-resource-type",
                    "test",
                    "unit_test",
                ],
                url,
            )
            conn = psycopg2.connect(url)
            with conn.cursor() as cur:
                cur.execute("select count(*) from marts.mart_creative_geo_device_daily")
                print(f"  mart rows: {cur.fetchone()[0]:,}")
            conn.close()
            lookups(url, first_day, last_day)


if __name__ == "__main__":
    main()
