"""Benchmark: `adwh load surfside` versus a plain Postgres COPY of the same file.

    python scripts/bench_load.py [--rows 1000000]

1. Generates an N-row Surfside-shaped CSV (deterministic) and a 10-row one.
2. Baseline: COPY of the N-row file into a plain table (same columns, same types).
3. The loader in process: S3 GET from a local moto server, stream-parse, type, spool, dlt
   (Arrow -> parquet -> ADBC) appending the delivery to raw_surfside; then a re-delivery of
   the same day (another object) that replaces it.
4. The CLI (`python -m loaders load surfside`) in a child process, once for the 10-row day and
   once for the N-row day (new days, so neither is skipped as already loaded). The marginal
   time of the N rows is the difference: it leaves out what every run pays (interpreter,
   imports, dlt pipeline set-up), so it compares with COPY of the same rows.
`BENCH_WRAP="-m cProfile -o /tmp/cli.prof"` runs the CLI children under a profiler.
Prints the figures of issue 10's target: marginal CLI throughput / COPY throughput (>= 0.5) and
the peak RSS of the N-row CLI run (< 600 MB). Uses the embedded Postgres (or
ADWH_DATABASE_URL) and a scratch database it drops at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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

from bench_child import run_child
from bench_queries import local_settings

from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET, local_s3
from loaders.sources import surfside
from loaders.warehouse.database import database_url, scratch_database

DAY = dt.date(2026, 1, 15)
PATTERN = "bench/{client}/media-report-{date}.csv"


def generate(rows: int, path: Path) -> None:
    rng = np.random.default_rng(7)
    impressions = rng.integers(100, 50_000, rows)
    clicks = (impressions * rng.uniform(0.0005, 0.02, rows)).astype(np.int64)
    conversions = (clicks * rng.uniform(0, 0.2, rows)).astype(np.int64)
    revenue = np.round(conversions * rng.uniform(10, 120, rows), 2)

    def names(prefix: str, count: int) -> pa.Array:
        return pa.array(np.char.add(prefix, rng.integers(0, count, rows).astype(str)))

    table = pa.table(
        {
            "Date": pa.array(np.full(rows, DAY.isoformat())),
            "Campaign": names("Campaign ", 40),
            "Strategy": names("Strategy ", 400),
            "Placement": names("Placement ", 4_000),
            "Creative": names("Creative ", 40_000),
            "Impressions": impressions,
            "Clicks": clicks,
            "Conversions": conversions,
            "Conversion Revenue": revenue,
            "CTR": pa.array(np.char.add(np.round(clicks / impressions * 100, 2).astype(str), "%")),
        }
    )
    pacsv.write_csv(table, path)


def copy_baseline(url: str, path: Path) -> float:
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("""create table copy_baseline (
            date date, campaign text, strategy text, placement text, creative text,
            impressions bigint, clicks bigint, conversions numeric(38, 12),
            conversion_revenue numeric(38, 12), ctr text)""")
        conn.commit()
        start = time.perf_counter()
        with path.open("rb") as fh:
            cur.copy_expert("copy copy_baseline from stdin with (format csv, header true)", fh)
        conn.commit()
        elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def cli_env(url: str, endpoint_url: str, pattern: str) -> dict:
    """Environment of an `adwh` child process: this warehouse, bucket `bench` on local S3."""
    return dict(
        os.environ,
        ADWH_DATABASE_URL=url,
        SOURCES__SURFSIDE__BUCKET="bench",
        SOURCES__SURFSIDE__KEY_PATTERN=pattern,
        SOURCES__SURFSIDE__ENDPOINT_URL=endpoint_url,
        SOURCES__SURFSIDE__AWS_ACCESS_KEY_ID=LOCAL_KEY_ID,
        SOURCES__SURFSIDE__AWS_SECRET_ACCESS_KEY=LOCAL_SECRET,
    )


def cli_load(env: dict, day: dt.date) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `adwh load surfside` run in a child process."""
    wrap = os.environ.get("BENCH_WRAP", "").split()
    command = [sys.executable, *wrap, "-m", "loaders", "load", "surfside"]
    command += ["--client", "bench", "--date", str(day)]
    elapsed, peak_mb, code = run_child(command, env, stdout=subprocess.DEVNULL)
    if code:
        raise SystemExit(f"adwh load surfside --date {day} exited {code}")
    return elapsed, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    small_day, big_day = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)

    server = database_url()
    server = urlunparse(urlparse(server)._replace(path="/postgres"))
    with tempfile.TemporaryDirectory() as tmp, local_s3() as s3:
        csv_path, small_path = Path(tmp) / "media-report.csv", Path(tmp) / "small.csv"
        t0 = time.perf_counter()
        generate(args.rows, csv_path)
        generate(10, small_path)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - t0:.1f}s")

        client = s3.client()
        client.create_bucket(Bucket="bench")
        key = PATTERN.format(client="bench", date=DAY)
        client.upload_file(str(csv_path), "bench", key)
        cfg = local_settings(s3, PATTERN)

        with scratch_database(server, "bench_load") as url:
            copy_s = copy_baseline(url, csv_path)

            t0 = time.perf_counter()
            surfside.s3_client(cfg).get_object(Bucket="bench", Key=key)["Body"].read()
            get_s = time.perf_counter() - t0

            # first load into an empty warehouse, then a re-delivery that replaces the day
            timings = []
            for attempt in range(2):
                if attempt:
                    client.upload_file(str(csv_path), "bench", key.replace(".csv", "_v2.csv"))
                t0 = time.perf_counter()
                results = surfside.load(url, ["bench"], [DAY], settings=cfg, echo=lambda _: None)
                timings.append(time.perf_counter() - t0)
                assert results[0].status == "loaded", results[0].message

            for path, day in ((small_path, small_day), (csv_path, big_day)):
                client.upload_file(str(path), "bench", PATTERN.format(client="bench", date=day))
            env = cli_env(url, s3.endpoint_url, PATTERN)
            small_s, small_mb = cli_load(env, small_day)
            big_s, peak_mb = cli_load(env, big_day)

    rows = args.rows
    marginal = big_s - small_s
    print(f"COPY baseline              {copy_s:6.2f}s  {rows / copy_s:>12,.0f} rows/s")
    print(f"  (S3 GET alone            {get_s:6.2f}s, moto on loopback)")
    for label, seconds in (("first load", timings[0]), ("replace day", timings[1])):
        print(
            f"in process, {label:<14} {seconds:6.2f}s  {rows / seconds:>12,.0f} rows/s  "
            f"{copy_s / seconds:.2f}x COPY"
        )
    print(f"CLI, 10-row day            {small_s:6.2f}s")
    print(f"CLI, {rows:,}-row day  {big_s:6.2f}s")
    print(
        f"CLI marginal ({rows:,} rows) {marginal:6.2f}s  {rows / marginal:>12,.0f} rows/s  "
        f"{copy_s / marginal:.2f}x COPY (target >= 0.5)"
    )
    print(f"peak RSS of the {rows:,}-row CLI run {peak_mb:.0f} MB (target < 600 MB)")
    print(f"peak RSS of the 10-row CLI run {small_mb:.0f} MB (interpreter, imports, dlt)")


if __name__ == "__main__":
    main()
