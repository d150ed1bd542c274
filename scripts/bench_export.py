"""Benchmark: `adwh export` of a large mart versus a plain Postgres `COPY ... TO STDOUT`.

    python scripts/bench_export.py [--rows 1000000] [--format csv|xlsx]

1. Creates a scratch database with an N-row table `marts.mart_bench` shaped like
   mart_entity_daily_metrics (text names, dates, bigint and numeric(38, 12) measures),
   one in 1,000 campaign names a formula-looking `=HYPERLINK(...)`.
2. Baseline: `COPY (<the export's query>) TO STDOUT WITH CSV HEADER` into a file, in process.
3. `adwh export mart_bench` in a child process; its peak RSS comes from getrusage of the
   children (the only child of this script).
Prints rows/s of each, the ratio and the export's peak RSS, and fails (exit 1) when the peak
is above --max-rss-mb (300). Uses the embedded Postgres (or ADWH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_child import run_child

from loaders.consume.exports import ExportRequest, build_query
from loaders.warehouse.database import database_url, scratch_database

CREATE = """
create schema marts;
create table marts.mart_bench as
select
    'client_' || (i % 7) as client_id,
    date '2025-01-01' + (i % 365)::int as date_day,
    case when i % 1000 = 0 then '=HYPERLINK("http://x/' || i || '")'
         else 'Campaign ' || (i % 400) end as campaign_name,
    'Creative ' || (i % 40000) as creative_name,
    (i * 7919 % 50000)::bigint as impressions,
    (i * 31 % 500)::bigint as clicks,
    ((i % 97) * 1.25)::numeric(38, 12) as spend,
    ((i % 89) * 3.5)::numeric(38, 12) as conversion_revenue,
    (i % 13 = 0) as is_active
from generate_series(1::bigint, {rows}) as i;
analyze marts.mart_bench;
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--max-rss-mb", type=float, default=300)
    args = parser.parse_args()

    with scratch_database(database_url(), "bench") as url, tempfile.TemporaryDirectory() as tmp:
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cur:
            cur.execute(CREATE.format(rows=int(args.rows)))
            cur.execute(
                "select column_name from information_schema.columns "
                "where table_name = 'mart_bench' order by ordinal_position"
            )
            columns = [r[0] for r in cur.fetchall()]
        sql, _ = build_query(ExportRequest("mart_bench"), columns)

        baseline = Path(tmp) / "copy.csv"
        start = time.perf_counter()
        with conn.cursor() as cur, open(baseline, "w", encoding="utf-8") as fh:
            cur.copy_expert(f"copy ({sql}) to stdout with csv header", fh)
        copy_s = time.perf_counter() - start
        conn.close()

        out = Path(tmp) / f"export.{args.format}"
        env = {**os.environ, "ADWH_DATABASE_URL": url}
        cmd = [sys.executable, "-m", "loaders", "export", "mart_bench",
               "--format", args.format, "--out", str(out)]  # fmt: skip
        export_s, peak_mb, code = run_child(cmd, env)
        if code:
            raise SystemExit(f"adwh export exited {code}")

        print(f"rows:               {args.rows:,}")
        print(f"COPY TO STDOUT:     {copy_s:7.2f} s  {args.rows / copy_s:>12,.0f} rows/s  "
              f"{baseline.stat().st_size / 1e6:,.1f} MB")  # fmt: skip
        size_mb = out.stat().st_size / 1e6
        print(f"adwh export {args.format:<4}:  {export_s:7.2f} s  "
              f"{args.rows / export_s:>12,.0f} rows/s  {size_mb:,.1f} MB")  # fmt: skip
        print(f"export / COPY time: {export_s / copy_s:7.1f} x")
        print(f"export peak RSS:    {peak_mb:7.1f} MB (limit {args.max_rss_mb:.0f} MB)")
        return 0 if peak_mb <= args.max_rss_mb else 1


if __name__ == "__main__":
    sys.exit(main())
