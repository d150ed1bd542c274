"""Benchmark: dashboard queries on the pre-computed marts, and incremental vs full builds.

    python scripts/bench_queries.py [--days 180 365] [--creatives-per-client 4000]

For each history length (default 180 and 365 days):
1. Builds that much generated history through the real loaders into a scratch database:
   Surfside files for acme and globex in a local S3 server (8 campaigns x 4 strategies x
   5 placements x 25 creatives = 4,000 creatives each, every day) and bidder performance with
   geography for initech (1,500 creatives x 2 countries a day). About 10,000 entity-days per
   day: ~3.6 M rows in marts.mart_entity_daily_metrics.
2. Times `dbt build --full-refresh` (models and data tests: `adwh run`'s build, which leaves
   dbt's unit tests to CI and the demo; they are timed once on their own) and
   `dbt run --full-refresh`; loads one more day through the same loaders, then times the
   incremental `dbt run` and, after one more day, `dbt build`, with their slowest nodes;
   prints the ratios (targets: run <= 10 % and build <= 15 % of full, full run <= 60 s) and at
   the end the incremental run at the longest history over the shortest (target <= 1.2x: cost
   independent of history).
3. On the longest history only (scripts/bench_dashboard.py): runs each canonical query of
   dbt_project/analyses/ (compiled by dbt, parameters bound by psycopg2) 200 times for
   random entities and prints p50/p95 (targets: row sparkline < 5 ms, client overview
   < 10 ms, country breakdown < 20 ms), then answers the same questions on the fly from
   fact_daily_metrics (the country breakdown from the priced rows: the fact has no country)
   and prints the speed-up (target >= 20x). Prints each query plan once.
4. After each build, what the campaign-intelligence marts take of it (bench_intelligence.py);
   on the longest history, the full run again without them, and the full build without and
   with them in three pairs, in the order without, with, with, without, without, with, each
   after a VACUUM ANALYZE (so no autovacuum backlog runs during a timed build), and what they
   add to each pair's wall clock, all pairs together and the median pair (target <= 20 %),
   also read from the end of mart_entity_daily_metrics, where they begin, to the end of the
   build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_dashboard import GEO_CLIENT, SURFSIDE_CLIENTS, dashboard_queries
from bench_intelligence import intelligence_share, seconds_after, slowest_nodes, unit_test_share

from loaders.core.settings import project_dir
from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET, local_s3
from loaders.sources import bidder as performance
from loaders.sources import surfside
from loaders.warehouse.database import connect, database_url, scratch_database
from loaders.warehouse.dbt_runner import run_dbt

GEO_CREATIVES = 1_500
COUNTRIES = np.array(["US", "CA", "GB", "DE", "FR", "BR", "MX", "ES", "IT", "AU"])
PATTERN = "bench/{client}/media-report-{date}.csv"
# the intelligence marts and the intermediate model only they read
INTELLIGENCE_PATHS = [
    "path:dbt_project/models/marts/intelligence",
    "path:dbt_project/models/intermediate/intelligence",
]
# the builds are `adwh run`'s: dbt's unit tests (fixed rows, the same at any history) run in
# CI and the demo's build, not in a scheduled one; they are timed once on their own
PRODUCTION = ["--exclude-resource-type", "unit_test"]
INTELLIGENCE_START = "mart_entity_daily_metrics"
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


# --- builds -------------------------------------------------------------------------------------


def timed_dbt(label: str, args: list[str], url: str, profile: bool = False) -> float:
    start = time.perf_counter()
    run_dbt(args, url)
    elapsed = time.perf_counter() - start
    print(f"  {label:<44}{elapsed:8.1f} s", flush=True)
    if profile:
        print(f"    slowest: {slowest_nodes()}", flush=True)
    return elapsed


def bench_history(days: int, creatives: int, queries: bool) -> dict[str, float]:
    """Loads `days` of history into a scratch database, times the builds, optionally the
    dashboard queries; returns the build times."""
    rng = np.random.default_rng(2026)
    last = dt.date(2026, 6, 30)
    history = [last - dt.timedelta(days=days - i) for i in range(days)]
    new_day = last
    times: dict[str, float] = {}
    with scratch_database(database_url(), "bench_queries") as url:
        name = urlparse(url).path.lstrip("/")
        os.environ["ADWH_DATABASE_URL"] = url
        with tempfile.TemporaryDirectory() as tmp_dir, local_s3() as s3:
            tmp = Path(tmp_dir)
            os.environ["DBT_TARGET_PATH"] = str(tmp / "target")
            os.environ["DBT_LOG_PATH"] = str(tmp / "logs")
            s3.client().create_bucket(Bucket="bench")
            print(f"history: {days} days up to {history[-1]} into {name}", flush=True)
            write_geo_catalog(tmp / "catalog.csv")
            performance.load_catalog(url, str(tmp / "catalog.csv"), echo=None)
            start = time.perf_counter()
            for i in range(0, len(history), 30):
                load_history(url, s3, history[i : i + 30], creatives, rng, tmp)
            print(f"  {'loaded the history':<44}{time.perf_counter() - start:8.1f} s")

            print("builds:")
            times["full_build"] = timed_dbt(
                "dbt build --full-refresh (models + data tests)",
                ["build", "--full-refresh", *PRODUCTION],
                url,
            )
            intelligence_share("dbt build --full-refresh")
            timed_dbt(
                "dbt's unit tests (CI and demo builds)", ["test", "--select", "test_type:unit"], url
            )
            unit_test_share("dbt's unit tests")
            times["full_run"] = timed_dbt(
                "dbt run --full-refresh (models)", ["run", "--full-refresh"], url, profile=True
            )
            intelligence_share("dbt run --full-refresh")
            load_history(url, s3, [new_day], creatives, rng, tmp)
            times["incr_run"] = timed_dbt(
                "dbt run after one new day (models)", ["run"], url, profile=True
            )
            intelligence_share("dbt run after one new day")
            load_history(url, s3, [new_day + dt.timedelta(days=1)], creatives, rng, tmp)
            times["incr_build"] = timed_dbt(
                "dbt build after one more day (models + data tests)",
                ["build", *PRODUCTION],
                url,
                profile=True,
            )
            print(
                f"  incremental / full: run {times['incr_run'] / times['full_run']:.1%} "
                f"(target <= 10 %), build {times['incr_build'] / times['full_build']:.1%} "
                f"(target <= 15 %); full run {times['full_run']:.1f} s (target <= 60 s)"
            )
            if queries:
                dashboard_queries(url, new_day)
                # what the intelligence marts add to the wall clock of a full run: the
                # same run without them; the history is two days longer by now (+0.5 %), and
                # only this run follows a VACUUM ANALYZE (if either, the marts' side loses)
                vacuum_analyze(url)
                times["run_without_intel"] = timed_dbt(
                    "dbt run --full-refresh without intelligence",
                    ["run", "--full-refresh", "--exclude", *INTELLIGENCE_PATHS],
                    url,
                )
                added = times["full_run"] / times["run_without_intel"] - 1
                print(
                    f"  the intelligence marts add {added:.1%} to the full run's wall clock "
                    "(target <= 20 %)",
                    flush=True,
                )
                added_to_full_build(url)
    return times


def vacuum_analyze(url: str) -> None:
    """VACUUM ANALYZE the scratch database, so that no autovacuum backlog from the builds
    before runs during the next timed one (on two cores a worker takes half the machine)."""
    start = time.perf_counter()
    with connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("vacuum (analyze)")
    print(f"  {'vacuum analyze':<44}{time.perf_counter() - start:8.1f} s", flush=True)


def added_to_full_build(url: str, pairs: int = 3) -> None:
    """What the intelligence marts add to `dbt build --full-refresh`: `pairs` pairs of builds
    without them (their models and data tests) and with them, in the order without, with,
    with, without, without, with, ... (a drift falls on both kinds alike), each after a
    VACUUM ANALYZE. Prints each pair's share by wall clock and read from the end of
    mart_entity_daily_metrics, then all pairs together and the median pair."""
    without = ["--exclude", *INTELLIGENCE_PATHS]
    walls: dict[str, list[float]] = {"with": [], "without": []}
    tails: dict[str, list[float]] = {"with": [], "without": []}
    order = [
        kind for i in range(pairs) for kind in (("without", "with"), ("with", "without"))[i % 2]
    ]
    for kind in order:
        vacuum_analyze(url)
        walls[kind].append(
            timed_dbt(
                f"dbt build --full-refresh {kind} intelligence",
                ["build", "--full-refresh", *PRODUCTION, *(without if kind == "without" else [])],
                url,
            )
        )
        tail = seconds_after(INTELLIGENCE_START)
        assert tail is not None, f"no {INTELLIGENCE_START} in the build"
        tails[kind].append(tail)
    shares = []
    for pair in range(pairs):
        with_, without_ = walls["with"][pair], walls["without"][pair]
        tail = tails["with"][pair] - tails["without"][pair]
        shares.append(with_ / without_ - 1)
        print(
            f"  pair {pair + 1}: the intelligence marts add {with_ / without_ - 1:.1%} to the "
            f"full build's wall clock ({with_:.1f} / {without_:.1f} s); read from the end of "
            f"{INTELLIGENCE_START}: {tails['with'][pair]:.1f} - {tails['without'][pair]:.1f} s"
            f" = {tail / without_:.1%} (target <= 20 %)",
            flush=True,
        )
    print(
        f"  all {pairs} pairs: {sum(walls['with']) / sum(walls['without']) - 1:.1%} by wall "
        f"clock (median pair {statistics.median(shares):.1%}), "
        f"{(sum(tails['with']) - sum(tails['without'])) / sum(walls['without']):.1%} read from "
        f"the end of {INTELLIGENCE_START} (target <= 20 %)",
        flush=True,
    )


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[180, 365])
    parser.add_argument("--creatives-per-client", type=int, default=4_000)
    args = parser.parse_args()

    results = {}
    for days in args.days:
        # the dashboard queries are measured on the longest history only
        results[days] = bench_history(
            days, args.creatives_per_client, queries=days == max(args.days)
        )
    print("summary:")
    for days, t in results.items():
        print(
            f"  {days:>4} days: full run {t['full_run']:6.1f} s, incremental run "
            f"{t['incr_run']:5.1f} s ({t['incr_run'] / t['full_run']:.1%}), full build "
            f"{t['full_build']:6.1f} s, build after one day {t['incr_build']:5.1f} s "
            f"({t['incr_build'] / t['full_build']:.1%})"
        )
    if len(results) > 1:
        short, long = min(results), max(results)
        print(
            f"  incremental run at {long} / at {short} days: "
            f"{results[long]['incr_run'] / results[short]['incr_run']:.2f}x (target <= 1.2x); "
            f"build after one day: "
            f"{results[long]['incr_build'] / results[short]['incr_build']:.2f}x"
        )
    print(f"(project {project_dir()}, PostgreSQL embedded or ADWH_DATABASE_URL)")


if __name__ == "__main__":
    main()
