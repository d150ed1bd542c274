"""Benchmark: the daily job of an agency at seed volume - load yesterday, build incrementally.

    python scripts/bench_daily.py [--clients 20] [--days 60] [--rows 50000] [--history-rows N]

0. Works on a copy of the project whose clients seed also lists the bench's clients.
1. History (not timed for the target): `--days` days of Surfside files for `--clients`
   clients (`--history-rows` rows per client-day, default `--rows`) delivered to a local S3
   server (moto) day by day and loaded through the real loader, then `dbt build
   --full-refresh`.
2. The new day (timed): `--clients` files of `--rows` rows delivered to S3, then
   `adwh load surfside --client ... --date D` for all clients and the incremental `adwh build`,
   both through the CLI in child processes. The build is timed as two parts: models and seeds
   (`adwh build --exclude resource_type:test`) and tests (`--select resource_type:test`).
Prints the split load / build / tests, the slowest models and tests, and the total (issue
10's target: < 60 s on the 2-core machine). Uses the embedded Postgres (or ADWH_DATABASE_URL)
and a scratch database it drops at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_intelligence import slowest_nodes
from bench_load import cli_env
from bench_queries import local_settings, surfside_day

from loaders.demo.local_s3 import local_s3
from loaders.sources import surfside
from loaders.warehouse.database import database_url, scratch_database
from loaders.warehouse.dbt_runner import run_dbt

PATTERN = "daily/{client}/media-report-{date}.csv"
NEW_DAY = dt.date(2026, 3, 1)


def deliver(s3, clients: list[str], day: dt.date, rows: int, rng) -> None:
    client = s3.client()
    for name in clients:
        key = PATTERN.format(client=name, date=day)
        client.put_object(Bucket="bench", Key=key, Body=surfside_day(name, day, rows, rng))


def forget(s3, clients: list[str], day: dt.date) -> None:
    """Delete a loaded day's objects: moto keeps objects in memory."""
    client = s3.client()
    for name in clients:
        client.delete_object(Bucket="bench", Key=PATTERN.format(client=name, date=day))


def project_with_clients(clients: list[str], target: Path) -> None:
    """Run against a copy of the project whose clients seed also lists the bench's clients
    (an unknown client's rows would all be quarantined)."""
    from loaders.core.settings import adwh_home, project_dir

    source = project_dir()
    os.environ.setdefault("ADWH_HOME", str(adwh_home()))  # keep the warehouse where it is
    for name in ("dbt_project.yml", "profiles.example.yml"):
        shutil.copy(source / name, target / name)
    for name in ("dbt_project", ".dlt"):
        shutil.copytree(source / name, target / name, ignore=shutil.ignore_patterns("target"))
    with (target / "dbt_project" / "seeds" / "clients.csv").open("a") as seed:
        seed.writelines(f"{name},Bench {name},active\n" for name in clients)
    os.environ["ADWH_PROJECT_DIR"] = str(target)


def cli(env: dict, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "loaders", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--history-rows", type=int, default=None)
    args = parser.parse_args()
    history_rows = args.history_rows or args.rows
    clients = [f"client{n:02d}" for n in range(1, args.clients + 1)]
    history = [NEW_DAY - dt.timedelta(days=n) for n in range(args.days, 0, -1)]
    rng = np.random.default_rng(3)

    server = urlunparse(urlparse(database_url())._replace(path="/postgres"))
    with (
        tempfile.TemporaryDirectory() as project,
        local_s3() as s3,
        scratch_database(server, "bench_daily") as url,
    ):
        project_with_clients(clients, Path(project))
        s3.client().create_bucket(Bucket="bench")
        cfg = local_settings(s3, PATTERN)
        start = time.perf_counter()
        for day in history:
            deliver(s3, clients, day, history_rows, rng)
            results = surfside.load(url, clients, [day], settings=cfg, echo=lambda _: None)
            assert all(r.status == "loaded" for r in results), results[0].line()
            forget(s3, clients, day)
        history_total = len(history) * len(clients) * (history_rows // 160 * 160)
        print(
            f"history: {args.days} days x {args.clients} clients, "
            f"{history_total:,} rows loaded in {time.perf_counter() - start:.0f}s"
        )
        start = time.perf_counter()
        run_dbt(["build", "--full-refresh"], url)
        print(f"history: dbt build --full-refresh {time.perf_counter() - start:.0f}s")

        deliver(s3, clients, NEW_DAY, args.rows, rng)
        env = cli_env(url, s3.endpoint_url, PATTERN)
        env["DBT_TARGET_PATH"] = str(Path(project) / "bench-target")
        client_args = [arg for name in clients for arg in ("--client", name)]
        load_s = cli(env, "load", "surfside", *client_args, "--date", str(NEW_DAY))
        build_s = cli(env, "build", "--exclude", "resource_type:test")
        build_slowest = slowest_nodes(Path(env["DBT_TARGET_PATH"]), top=8)
        tests_s = cli(env, "build", "--select", "resource_type:test")
        tests_slowest = slowest_nodes(Path(env["DBT_TARGET_PATH"]), top=8)

    total = load_s + build_s + tests_s
    new_rows = args.clients * (args.rows // 160 * 160)  # surfside_day's shape: 160 placements
    print(f"new day: {args.clients} clients, {new_rows:,} rows")
    print(f"  adwh load surfside            {load_s:6.1f}s")
    print(f"  adwh build (models, seeds)    {build_s:6.1f}s")
    print(f"  adwh build (tests)            {tests_s:6.1f}s")
    print(f"  total                         {total:6.1f}s (target < 60 s)")
    print(f"  slowest models: {build_slowest}")
    print(f"  slowest tests: {tests_slowest}")


if __name__ == "__main__":
    main()
