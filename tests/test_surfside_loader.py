"""Surfside loader against a real Postgres and a real S3 API server (moto) on loopback."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from conftest import query
from helpers.surfside_env import surfside_env

from loaders import cli
from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET
from loaders.sources import surfside

PATTERN = "surfside/{client}/media-report-{date}.csv"
HEADER = (
    "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,Conversion Revenue"
)
D1, D2, D3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def day_csv(day: dt.date, rows: list[tuple[str, int, int, str]]) -> bytes:
    """rows: (creative, impressions, clicks, revenue)"""
    lines = [HEADER] + [
        f"{day},Spring,Contextual,Display,{creative},{imps},{clicks},1,{revenue}"
        for creative, imps, clicks, revenue in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def put(s3, bucket: str, key: str, body: bytes) -> None:
    s3.client().put_object(Bucket=bucket, Key=key, Body=body)


def settings(s3, bucket: str, **overrides) -> surfside.SurfsideSettings:
    values = dict(
        bucket=bucket,
        key_pattern=PATTERN,
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=LOCAL_KEY_ID,
        aws_secret_access_key=LOCAL_SECRET,
    )
    values.update(overrides)
    return surfside.SurfsideSettings(**values)


# The rows that count: those of the newest committed delivery of each client x day (a
# delivery is committed once its dlt load package is in _dlt_loads with status 0).
CURRENT = """
    with committed as (
        select d.*, row_number() over (
            partition by d.client_id, d.report_date order by d._dlt_load_id desc) as newest
        from raw_surfside.deliveries as d
        where d._dlt_load_id in (select load_id from raw_surfside._dlt_loads where status = 0)
    )
    select committed.client_id, committed.report_date, committed.source_key, rows.*
    from committed
    inner join raw_surfside.daily_performance as rows
        on rows.delivery_id = committed.delivery_id
    where committed.newest = 1
"""


def raw_totals(url: str) -> list[tuple]:
    return query(
        url,
        "select client_id, report_date, count(*), sum(impressions), sum(clicks), "
        f"sum(conversion_revenue) from ({CURRENT}) as c group by 1, 2 order by 1, 2",
    )


def stored_rows(url: str) -> int:
    """Every row in the raw table, current or not."""
    return query(url, "select count(*) from raw_surfside.daily_performance")[0][0]


def log_rows(url: str) -> list[tuple]:
    return query(
        url,
        "select client_id, report_date, status, rows_loaded, message "
        "from adwh_ops.ingestion_log order by report_date, log_id",
    )


def test_load_then_reload_is_a_no_op(db_url, s3, bucket):
    put(
        s3,
        bucket,
        f"surfside/acme/media-report-{D1}.csv",
        day_csv(D1, [("A", 1000, 10, "5.50"), ("B", 2000, 20, "7.25")]),
    )
    put(s3, bucket, f"surfside/acme/media-report-{D2}.csv", day_csv(D2, [("A", 3000, 30, "1")]))
    cfg = settings(s3, bucket)

    surfside.load(db_url, ["acme"], [D1, D2], settings=cfg, echo=lambda _: None)
    first = raw_totals(db_url)
    loads = query(db_url, "select load_id from raw_surfside._dlt_loads")
    again = surfside.load(db_url, ["acme"], [D1, D2], settings=cfg, echo=lambda _: None)

    assert raw_totals(db_url) == first
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in first] == [
        ("acme", D1, 2, 3000, 30),
        ("acme", D2, 1, 3000, 30),
    ]
    # the same objects are not downloaded or appended again: no new load package, no rows
    assert [r.status for r in again] == ["skipped", "skipped"]
    assert stored_rows(db_url) == 3
    assert query(db_url, "select load_id from raw_surfside._dlt_loads") == loads
    statuses = [(r[1], r[2], r[3]) for r in log_rows(db_url)]
    assert statuses == [
        (D1, "loaded", 2),
        (D1, "skipped", None),
        (D2, "loaded", 1),
        (D2, "skipped", None),
    ]


def test_lineage_columns_name_the_object_and_row(db_url, s3, bucket):
    key = f"surfside/acme/media-report-{D1}.csv"
    put(s3, bucket, key, day_csv(D1, [("A", 1000, 10, "5.50"), ("B", 2000, 20, "7.25")]))
    surfside.load(db_url, ["acme"], [D1], settings=settings(s3, bucket), echo=lambda _: None)
    rows = query(
        db_url,
        "select r.creative, d.source_bucket, d.source_key, r.source_row_number, d.source_size, "
        "d.source_etag is not null, d.loaded_at is not null, "
        "r._dlt_load_id = d._dlt_load_id, d.row_count "
        "from raw_surfside.daily_performance as r "
        "inner join raw_surfside.deliveries as d on d.delivery_id = r.delivery_id "
        "order by r.source_row_number",
    )
    size = len(day_csv(D1, [("A", 1000, 10, "5.50"), ("B", 2000, 20, "7.25")]))
    assert rows == [
        ("A", bucket, key, 2, size, True, True, True, 2),
        ("B", bucket, key, 3, size, True, True, True, 2),
    ]


def test_redelivery_newest_by_last_modified_replaces_the_day(db_url, s3, bucket):
    cfg = settings(s3, bucket)
    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", day_csv(D1, [("A", 1000, 10, "1")]))
    surfside.load(db_url, ["acme"], [D1], settings=cfg, echo=lambda _: None)

    # Two corrected deliveries beside the original. The newer one sorts first by name, so
    # only LastModified can pick it (S3 timestamps have 1 s resolution).
    time.sleep(1.1)
    put(s3, bucket, f"surfside/acme/media-report-{D1}_v2.csv", day_csv(D1, [("A", 1, 1, "1")]))
    time.sleep(1.1)
    put(
        s3,
        bucket,
        f"surfside/acme/media-report-{D1}-fixed.csv",
        day_csv(D1, [("A", 1500, 15, "2"), ("C", 500, 5, "3")]),
    )
    lines: list[str] = []
    surfside.load(db_url, ["acme"], [D1], settings=cfg, echo=lines.append)

    assert [(r[2], r[3], r[4]) for r in raw_totals(db_url)] == [(2, 2000, 20)]
    keys = query(db_url, f"select distinct source_key from ({CURRENT}) as c")
    assert keys == [(f"surfside/acme/media-report-{D1}-fixed.csv",)]
    assert "3 deliveries, newest wins" in lines[0]
    # the replaced delivery's rows are gone; its delivery row stays as history
    assert stored_rows(db_url) == 2
    assert query(db_url, "select count(*) from raw_surfside.deliveries") == [(2,)]


def test_missing_day_is_logged_and_other_days_load_with_nonzero_exit(
    db_url, s3, bucket, monkeypatch, capsys
):
    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", day_csv(D1, [("A", 10, 1, "1")]))
    put(s3, bucket, f"surfside/acme/media-report-{D3}.csv", day_csv(D3, [("A", 30, 3, "1")]))
    surfside_env(monkeypatch, s3, bucket, PATTERN)

    code = cli.main(["load", "surfside", "--client", "acme", "--from", str(D1), "--to", str(D3)])

    out, err = capsys.readouterr()
    assert code == 1
    assert f"{D2} acme: missing_file" in out
    assert f"{D1} acme: loaded 1 rows" in out and f"{D3} acme: loaded 1 rows" in out
    assert "1 of 3 day(s) not loaded (1 missing_file)" in err
    assert [(r[1], r[2]) for r in raw_totals(db_url)] == [(D1, 1), (D3, 1)]
    assert [(r[1], r[2]) for r in log_rows(db_url)] == [
        (D1, "loaded"),
        (D2, "missing_file"),
        (D3, "loaded"),
    ]
    assert LOCAL_SECRET not in out + err


def test_file_missing_a_required_column_is_refused_whole(db_url, s3, bucket):
    cfg = settings(s3, bucket)
    good = day_csv(D1, [("A", 10, 1, "1"), ("B", 20, 2, "2")])
    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", good)
    surfside.load(db_url, ["acme"], [D1], settings=cfg, echo=lambda _: None)

    broken = (
        "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions\n"
        f"{D1},Spring,Contextual,Display,A,99,9,1\n"
    )
    time.sleep(1.1)
    put(s3, bucket, f"surfside/acme/media-report-{D1}_v2.csv", broken.encode())
    results = surfside.load(db_url, ["acme"], [D1], settings=cfg, echo=lambda _: None)

    assert results[0].status == "rejected"
    assert "missing required column(s) 'conversion_revenue'" in results[0].message
    assert f"media-report-{D1}_v2.csv" in results[0].message
    # the earlier good delivery is untouched: nothing of the refused file landed
    assert [(r[2], r[3]) for r in raw_totals(db_url)] == [(2, 30)]
    assert [r[2] for r in log_rows(db_url)] == ["loaded", "rejected"]


def test_bad_number_refuses_the_file_naming_row_and_column(db_url, s3, bucket):
    body = day_csv(D1, [("A", 10, 1, "1"), ("B", 20, 2, "2"), ("C", 30, 3, "3")]).decode()
    body = body.replace(",30,3,", ",3O,3,")  # a letter O typed for a zero
    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", body.encode())
    results = surfside.load(
        db_url, ["acme"], [D1], settings=settings(s3, bucket), echo=lambda _: None
    )
    assert results[0].status == "rejected"
    assert "row 4, column 'Impressions': not a whole number (found '3O')" in results[0].message
    assert query(db_url, "select to_regclass('raw_surfside.daily_performance')") == [(None,)]


def test_xlsx_delivery_loads_like_csv(db_url, s3, bucket):
    from loaders.demo.surfside_sample import to_xlsx

    rows = [[str(D1), "Spring", "Ctx", "Disp", "A", 1200, 12, 1, 3.5]]
    put(
        s3, bucket, f"surfside/acme/media-report-{D1}.xlsx", to_xlsx(rows, header=HEADER.split(","))
    )
    results = surfside.load(
        db_url, ["acme"], [D1], settings=settings(s3, bucket), echo=lambda _: None
    )
    assert results[0].status == "loaded"
    assert query(
        db_url, "select date, impressions, conversion_revenue from raw_surfside.daily_performance"
    ) == [(D1, 1200, 3.5)]


def test_object_over_the_size_limit_is_refused_unread(db_url, s3, bucket):
    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", day_csv(D1, [("A", 1, 0, "0")]) * 50)
    results = surfside.load(
        db_url,
        ["acme"],
        [D1],
        settings=settings(s3, bucket, max_file_mb=0.001),
        echo=lambda _: None,
    )
    assert results[0].status == "rejected"
    assert "over the 0.001 MB limit" in results[0].message


@pytest.mark.parametrize("pattern", ["surfside/{client}.csv", "surfside/{date}.csv"])
def test_key_pattern_needs_both_placeholders(monkeypatch, pattern):
    from loaders.core.errors import ConfigError

    monkeypatch.setenv("SOURCES__SURFSIDE__BUCKET", "b")
    monkeypatch.setenv("SOURCES__SURFSIDE__KEY_PATTERN", pattern)
    with pytest.raises(ConfigError):
        surfside.load_settings()


def test_date_placeholder_accepts_a_format():
    cfg = surfside.SurfsideSettings(bucket="b", key_pattern="x/{client}/{date:%Y%m%d}.csv")
    assert cfg.key_for("acme", D1) == "x/acme/20260301.csv"


@pytest.mark.parametrize("mode", ["503", "500", "hang"])
def test_transient_s3_errors_are_retried(db_url, s3, bucket, mode):
    from helpers.flaky_proxy import FlakyProxy

    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", day_csv(D1, [("A", 10, 1, "1")]))
    with FlakyProxy(s3.endpoint_url, failures=2, mode=mode, delay=1.5) as proxy:
        cfg = settings(s3, bucket, endpoint_url=proxy.url, read_timeout=0.5, max_attempts=4)
        results = surfside.load(db_url, ["acme"], [D1], settings=cfg, echo=lambda _: None)
    assert results[0].status == "loaded"
    assert proxy.failed == 2
    assert proxy.requests >= 4  # two failures, then list + get


def test_persistent_s3_errors_fail_the_day_after_bounded_retries(db_url, s3, bucket):
    from helpers.flaky_proxy import FlakyProxy

    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", day_csv(D1, [("A", 10, 1, "1")]))
    with FlakyProxy(s3.endpoint_url, failures=1000, mode="500") as proxy:
        cfg = settings(s3, bucket, endpoint_url=proxy.url, max_attempts=3)
        results = surfside.load(db_url, ["acme"], [D1], settings=cfg, echo=lambda _: None)
    assert results[0].status == "failed"
    assert "S3 error" in results[0].message
    assert proxy.requests == 3  # bounded: max_attempts requests, then give up
    assert [r[2] for r in log_rows(db_url)] == ["failed"]


def big_csv(rows: int, seed: int, bad_last: bool = False):
    """A Surfside file of `rows` data rows with a blank line, a quoted name holding a comma and
    a line break, and quoted thousands separators; returns (bytes, expected totals) where the
    totals are summed here from the generated values, not read back from any loader code."""
    rng = random.Random(seed)
    lines = [HEADER]
    impressions = clicks = 0
    revenue = Decimal(0)
    needle_row = None
    for i in range(rows):
        imps, clk = rng.randint(0, 90_000), rng.randint(0, 500)
        rev = Decimal(rng.randint(0, 10**6)) / 100
        creative = f"Creative {rng.randint(0, 999)}"
        if i == rows // 2:
            creative, needle_row = '"Needle, the\nsecond line"', len(lines) + 1
        imps_text = f'"{imps:,}"' if i % 7 == 0 else str(imps)
        if bad_last and i == rows - 1:
            imps_text = "12x"
        lines.append(f"{D1},Spring,Contextual,Display,{creative},{imps_text},{clk},1,{rev}")
        impressions, clicks, revenue = impressions + imps, clicks + clk, revenue + rev
        if i == rows // 3:
            lines.append("")  # a blank line: dropped, but it counts as a row of the sheet
    expected = {
        "rows": rows,
        "impressions": impressions,
        "clicks": clicks,
        "revenue": revenue,
        "needle_row": needle_row,
        "last_row": len(lines),  # spreadsheet row of the last record (header = row 1)
    }
    return ("\n".join(lines) + "\n").encode(), expected


def test_a_file_larger_than_one_batch_loads_exactly(db_url, s3, bucket, monkeypatch):
    from loaders.core import spool

    body, expected = big_csv(30_000, seed=11)
    monkeypatch.setattr(spool, "BLOCK_SIZE", 64 << 10)  # ~40 batches for this ~2 MB file
    assert len(body) > 20 * spool.BLOCK_SIZE
    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", body)

    results = surfside.load(db_url, ["acme"], [D1], settings=settings(s3, bucket), echo=print)

    assert results[0].status == "loaded" and results[0].rows == expected["rows"]
    assert raw_totals(db_url) == [
        (
            "acme",
            D1,
            expected["rows"],
            expected["impressions"],
            expected["clicks"],
            expected["revenue"],
        )
    ]
    assert query(
        db_url,
        "select count(distinct source_row_number), max(source_row_number) "
        "from raw_surfside.daily_performance",
    ) == [(expected["rows"], expected["last_row"])]
    assert query(
        db_url,
        "select source_row_number from raw_surfside.daily_performance "
        "where left(creative, 6) = 'Needle'",
    ) == [(expected["needle_row"],)]


def test_a_bad_value_in_a_later_batch_refuses_the_whole_file(db_url, s3, bucket, monkeypatch):
    from loaders.core import spool

    body, expected = big_csv(30_000, seed=12, bad_last=True)
    monkeypatch.setattr(spool, "BLOCK_SIZE", 64 << 10)
    put(s3, bucket, f"surfside/acme/media-report-{D1}.csv", body)

    results = surfside.load(
        db_url, ["acme"], [D1], settings=settings(s3, bucket), echo=lambda _: None
    )

    assert results[0].status == "rejected"
    assert (
        f"row {expected['last_row']}, column 'Impressions': not a whole number (found '12x')"
        in results[0].message
    )
    assert query(db_url, "select to_regclass('raw_surfside.daily_performance')") == [(None,)]


KILL_AFTER_FIRST_TABLE_JOB = """
import datetime as dt, os, sys
from dlt.destinations import _adbc_jobs
from dlt.destinations.impl.postgres import postgres
from loaders.sources import surfside

def dying(job_class):
    copy = job_class.run
    def copy_then_die(self):
        copy(self)  # this table job is committed ...
        os._exit(17)  # ... and the process dies before the package is recorded in _dlt_loads
    job_class.run = copy_then_die

dying(_adbc_jobs.AdbcParquetCopyJob)  # parquet files
dying(postgres.PostgresCsvCopyJob)  # csv files
url, bucket, endpoint, key_id, secret, pattern, day = sys.argv[1:]
cfg = surfside.SurfsideSettings(bucket=bucket, key_pattern=pattern, endpoint_url=endpoint,
                                aws_access_key_id=key_id, aws_secret_access_key=secret)
surfside.load(url, ["acme"], [dt.date.fromisoformat(day)], settings=cfg)
"""


def test_a_load_killed_between_table_jobs_leaves_the_previous_day(db_url, s3, bucket):
    cfg = settings(s3, bucket)
    key = f"surfside/acme/media-report-{D1}.csv"
    put(s3, bucket, key, day_csv(D1, [("A", 1000, 10, "1")]))
    surfside.load(db_url, ["acme"], [D1], settings=cfg, echo=lambda _: None)
    before = raw_totals(db_url)
    stored_before = (
        stored_rows(db_url) + query(db_url, "select count(*) from raw_surfside.deliveries")[0][0]
    )

    put(s3, bucket, key, day_csv(D1, [("A", 7, 1, "1"), ("B", 8, 1, "1"), ("C", 9, 1, "1")]))
    args = [db_url, bucket, s3.endpoint_url, LOCAL_KEY_ID, LOCAL_SECRET, PATTERN, str(D1)]
    died = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_FIRST_TABLE_JOB, *args], capture_output=True
    )
    assert died.returncode == 17, died.stderr.decode()[-2000:]

    # something of the new delivery reached the tables, yet the day is what it was
    stored_after = (
        stored_rows(db_url) + query(db_url, "select count(*) from raw_surfside.deliveries")[0][0]
    )
    assert stored_after > stored_before
    assert raw_totals(db_url) == before == [("acme", D1, 1, 1000, 10, 1)]

    # the next run drops the unfinished package, removes its rows and loads the day again
    results = surfside.load(db_url, ["acme"], [D1], settings=cfg, echo=lambda _: None)
    assert results[0].status == "loaded"
    assert [r[:5] for r in raw_totals(db_url)] == [("acme", D1, 3, 24, 3)]
    assert stored_rows(db_url) == 3
    assert query(db_url, "select count(*) from raw_surfside.deliveries") == [(2,)]
