"""Benchmark: `adwh load partner` re-reading its 30-day restatement window, against a plain
read of the same rows measured in the same run.

    python scripts/bench_partner.py [--rows 1000000] [--older-days 15]

1. A partner database (Postgres on the embedded server, or ADWH_DATABASE_URL's) with media
   buys and impressions + videos rows: `--rows` of them inside the window (31 days: the newest
   day and the 30 before it; half impressions, half videos) and `--older-days` more days before
   it, which a re-sync must not read.
2. First sync (whole history), timed.
3. Baselines on the same rows: `COPY (select ... window) TO STDOUT` of both tables, and a
   plain psycopg2 `select` fetching every row into Python tuples.
4. The re-sync, timed: dlt sql_table (pyarrow) reads the window, replaces it in raw_partner.
Prints seconds and rows/s for each and the ratio re-sync / baseline; the target is < 30 s.
Scratch databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import time
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loaders.core.settings import prepare_dlt_environment
from loaders.demo import partner_demo
from loaders.sources import partner
from loaders.sources.partner.settings import PartnerSettings
from loaders.warehouse.database import database_url, scratch_database

LAST = dt.date(2026, 6, 30)
WINDOW_DAYS = 31  # lookback_days = 30: the newest day and the 30 before it
TARGET_S = 30.0

FILL = """
insert into media_buys
select 'mb-' || g, 'Buy ' || g, 'c-' || (g %% 60), 'Campaign ' || (g %% 60),
       (array['YouTube', 'Hulu', 'Roku', 'Pluto TV'])[1 + g %% 4],
       (array['acme', 'globex', 'initech'])[1 + g %% 3]
from generate_series(1, %(buys)s) as g;
insert into platform_buy_daily_impressions (date, media_buy_id, impressions, clicks, spend)
select d::date, 'mb-' || g, 1000 + (g * 7 + d::date - date '2026-01-01') %% 9000,
       (g + d::date - date '2026-01-01') %% 90, ((g * 13) %% 10000) / 100.0
from generate_series(%(first)s::date, %(last)s::date, interval '1 day') as d,
     generate_series(1, %(buys)s) as g;
insert into platform_buy_daily_videos (date, media_buy_id, video_starts, video_completions,
                                       video_views)
select d::date, 'mb-' || g, 500 + (g * 3) %% 4000, 300 + (g * 3) %% 2000, 400 + g %% 3000
from generate_series(%(first)s::date, %(last)s::date, interval '1 day') as d,
     generate_series(1, %(buys)s) as g;
analyze;
"""

WINDOW_SELECT = {
    "impressions": "select date, media_buy_id, impressions, clicks, spend, created_at, "
    "updated_at from platform_buy_daily_impressions where date >= %s",
    "videos": "select date, media_buy_id, video_starts, video_completions, video_views, "
    "created_at, updated_at from platform_buy_daily_videos where date >= %s",
}


def timed(what):
    start = time.perf_counter()
    result = what()
    return time.perf_counter() - start, result


def copy_window(url: str, since: dt.date) -> int:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            size = 0
            for sql in WINDOW_SELECT.values():
                sink = io.BytesIO()
                cur.copy_expert(f"copy ({cur.mogrify(sql, (since,)).decode()}) to stdout", sink)
                size += sink.tell()
        return size
    finally:
        conn.close()


def select_window(url: str, since: dt.date) -> int:
    conn = psycopg2.connect(url)
    try:
        rows = 0
        for name, sql in WINDOW_SELECT.items():
            with conn.cursor(name=f"bench_{name}") as cur:  # server-side, like sql_table
                cur.itersize = 50_000
                cur.execute(sql, (since,))
                for _row in cur:
                    rows += 1
        return rows
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--older-days", type=int, default=15)
    args = parser.parse_args()
    prepare_dlt_environment()
    buys = max(1, args.rows // (2 * WINDOW_DAYS))
    since = LAST - dt.timedelta(days=WINDOW_DAYS - 1)
    first = since - dt.timedelta(days=args.older_days)
    window_rows = 2 * buys * WINDOW_DAYS
    server = database_url()
    with (
        scratch_database(server, "bench_partner") as src,
        scratch_database(server, "bench_pwh") as wh,
    ):
        partner_demo.create_tables(src)
        seconds, _ = timed(lambda: _fill(src, buys, first))
        total = 2 * buys * ((LAST - first).days + 1)
        print(f"partner database: {buys:,} media buys, {total:,} metric rows in {seconds:.1f} s")
        cfg = PartnerSettings(credentials=src)
        quiet = lambda _line: None  # noqa: E731

        seconds, outcome = timed(lambda: partner.load(wh, None, settings=cfg, echo=quiet))
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.seconds.items())
        print(f"first sync (whole history): {outcome.rows:,} rows in {seconds:.1f} s ({steps})")

        copy_s, size = timed(lambda: copy_window(src, since))
        select_s, counted = timed(lambda: select_window(src, since))
        assert counted == window_rows, (counted, window_rows)
        seconds, outcome = timed(lambda: partner.load(wh, None, settings=cfg, echo=quiet))
        assert outcome.rows == window_rows, (outcome.rows, window_rows)
        assert outcome.windows["impressions"].start == since

        print(f"\nre-reading the {WINDOW_DAYS}-day window: {window_rows:,} rows")
        print(f"{'':34}{'seconds':>9}{'rows/s':>12}{'vs select':>11}")
        for label, s in (
            ("baseline COPY ... TO STDOUT", copy_s),
            ("baseline psycopg2 select (tuples)", select_s),
            ("adwh load partner (re-sync)", seconds),
        ):
            print(f"{label:34}{s:9.1f}{window_rows / s:12,.0f}{s / select_s:10.1f}x")
        print(f"(COPY moved {size / 1e6:.0f} MB of text)")
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.seconds.items())
        print(f"re-sync steps: {steps}")
        verdict = "OK" if seconds < TARGET_S else "OVER TARGET"
        print(f"\ntarget < {TARGET_S:.0f} s: {seconds:.1f} s {verdict}")


def _fill(url: str, buys: int, first: dt.date) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(FILL, {"buys": buys, "first": first, "last": LAST})
        conn.commit()
    finally:
        conn.close()


if __name__ == "__main__":
    main()
