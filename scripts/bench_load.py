"""Benchmark: `adwh load surfside` versus a plain Postgres COPY of the same file.

    python scripts/bench_load.py [--rows 1000000]

1. Generates an N-row Surfside-shaped CSV (deterministic).
2. Baseline: COPY of that file into an equivalent table (same columns, same types).
3. The loader, in process: S3 GET from a local moto server, parse, type, lineage, dlt
   (Arrow -> parquet -> ADBC) with merge / delete-insert into raw_surfside.
4. The same through the CLI in a child process, for the peak RSS of a whole `adwh` run.
Prints rows/s of each, the ratio loader/COPY and the peak RSS. Uses the embedded Postgres (or
ADWH_DATABASE_URL) and a scratch database it drops at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    server = database_url()
    server = urlunparse(urlparse(server)._replace(path="/postgres"))
    with tempfile.TemporaryDirectory() as tmp, local_s3() as s3:
        csv_path = Path(tmp) / "media-report.csv"
        t0 = time.perf_counter()
        generate(args.rows, csv_path)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - t0:.1f}s")

        client = s3.client()
        client.create_bucket(Bucket="bench")
        client.upload_file(str(csv_path), "bench", PATTERN.format(client="bench", date=DAY))
        cfg = surfside.SurfsideSettings(
            bucket="bench",
            key_pattern=PATTERN,
            endpoint_url=s3.endpoint_url,
            aws_access_key_id=LOCAL_KEY_ID,
            aws_secret_access_key=LOCAL_SECRET,
        )

        with scratch_database(server, "bench_load") as url:
            copy_s = copy_baseline(url, csv_path)

            t0 = time.perf_counter()
            s3_client = surfside.s3_client(cfg)
            body = s3_client.get_object(
                Bucket="bench", Key=PATTERN.format(client="bench", date=DAY)
            )["Body"]
            body.read()
            get_s = time.perf_counter() - t0

            # first load into an empty table, then a re-load that replaces the day
            timings = []
            for _ in range(2):
                t0 = time.perf_counter()
                results = surfside.load(url, ["bench"], [DAY], settings=cfg, echo=lambda _: None)
                timings.append(time.perf_counter() - t0)
                assert results[0].status == "loaded", results[0].message

            env = dict(
                os.environ,
                ADWH_DATABASE_URL=url,
                SOURCES__SURFSIDE__BUCKET="bench",
                SOURCES__SURFSIDE__KEY_PATTERN=PATTERN,
                SOURCES__SURFSIDE__ENDPOINT_URL=s3.endpoint_url,
                SOURCES__SURFSIDE__AWS_ACCESS_KEY_ID=LOCAL_KEY_ID,
                SOURCES__SURFSIDE__AWS_SECRET_ACCESS_KEY=LOCAL_SECRET,
            )
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "loaders",
                    "load",
                    "surfside",
                    "--client",
                    "bench",
                    "--date",
                    str(DAY),
                ],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            cli_s = time.perf_counter() - t0
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    rows = args.rows
    best = min(timings)
    print(f"COPY baseline            {copy_s:6.2f}s  {rows / copy_s:>12,.0f} rows/s")
    print(f"  (S3 GET alone          {get_s:6.2f}s, moto on loopback)")
    print(
        f"adwh load, first load    {timings[0]:6.2f}s  {rows / timings[0]:>12,.0f} rows/s  "
        f"ratio {copy_s / timings[0]:.2f}x COPY"
    )
    print(
        f"adwh load, replace day   {timings[1]:6.2f}s  {rows / timings[1]:>12,.0f} rows/s  "
        f"ratio {copy_s / timings[1]:.2f}x COPY"
    )
    print(
        f"adwh CLI (incl. startup) {cli_s:6.2f}s  {rows / cli_s:>12,.0f} rows/s  "
        f"ratio {copy_s / cli_s:.2f}x COPY"
    )
    print(f"peak RSS of the CLI run  {peak_mb:6.0f} MB (target < 1024 MB)")
    print(f"best loader/COPY throughput ratio: {copy_s / best:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
