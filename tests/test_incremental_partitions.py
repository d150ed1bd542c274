"""Incremental builds rebuild what changed, found from raw load ids: a day restated 200 days
back rebuilds that day's partition only (plus the trailing lookback_days, when set), and the
result equals a full refresh.

Expected partitions are worked out from the deliveries below, not read from the code.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from conftest import fresh_database, query
from helpers.partition_log import rebuilt

from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET
from loaders.sources import surfside
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

LAST = dt.date(2026, 3, 31)
DAYS = [LAST - dt.timedelta(days=n) for n in range(205, -1, -1)]  # 206 days of history
RESTATED = LAST - dt.timedelta(days=200)
HEADER = (
    "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,Conversion Revenue"
)

FACT_DIGEST = """
select count(*), md5(coalesce(string_agg(md5(row(fact_id, client_id, source, date_day,
    creative_key, impressions, clicks, conversions, spend, source_row_count)::text), ','
    order by fact_id), ''))
from marts.fact_daily_metrics"""
ENTITY_DIGEST = """
select count(*), md5(coalesce(string_agg(md5(row(entity_type, entity_id, date_day, is_active,
    impressions, clicks, spend)::text), ',' order by entity_type, entity_id, date_day), ''))
from marts.mart_entity_daily_metrics"""


def delivery(day: dt.date, impressions: int) -> bytes:
    rows = [
        f"{day},Evergreen,Contextual,Display,A,{impressions},10,1,20",
        f"{day},Evergreen,Contextual,Display,B,{impressions // 2},5,0,0",
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture(scope="module")
def history(server_url, s3):
    bucket = "wh-incremental"
    client = s3.client()
    client.create_bucket(Bucket=bucket)
    for day in DAYS:
        for client_id in ("acme", "globex"):
            client.put_object(
                Bucket=bucket,
                Key=f"surfside/{client_id}/media-report-{day}.csv",
                Body=delivery(day, 1000),
            )
    cfg = surfside.SurfsideSettings(
        bucket=bucket,
        key_pattern="surfside/{client}/media-report-{date}.csv",
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=LOCAL_KEY_ID,
        aws_secret_access_key=LOCAL_SECRET,
    )
    with fresh_database(server_url) as url:
        # in chunks: one load of more than 127 files overflows the int8 dictionary indices
        # of loaders.core.pipeline.constant() once dlt unifies the files' dictionaries
        for i in range(0, len(DAYS), 60):
            results = surfside.load(
                url, ["acme", "globex"], DAYS[i : i + 60], settings=cfg, echo=lambda _: None
            )
            assert {r.status for r in results} == {"loaded"}
        run_dbt(["build"], url)
        yield {"url": url, "settings": cfg, "s3": client}


def scoped_rows(url: str, test_name: str, columns: str) -> list[tuple]:
    """What the data test `test_name` reads when it runs now: its compiled relation (the
    tested model narrowed by `where: "__changed_partitions__"`), as distinct `columns`."""
    run_dbt(["compile", "--select", test_name, "--vars", '{"lookback_days": 0}'], url)
    (compiled,) = Path(os.environ["DBT_TARGET_PATH"], "compiled").rglob(f"{test_name}.sql")
    scoped = re.search(r"from \((select \* from .*)\) dbt_subquery", compiled.read_text(), re.S)
    assert scoped, f"{compiled}: no scoped subquery in the compiled test"
    return query(url, f"select distinct {columns} from ({scoped.group(1)}) as scoped order by 1")


def test_a_day_restated_200_days_back_rebuilds_that_partition_only(history):
    url, cfg, client = history["url"], history["settings"], history["s3"]
    client.put_object(
        Bucket=cfg.bucket,
        Key=f"surfside/acme/media-report-{RESTATED}.csv",
        Body=delivery(RESTATED, 7000),
    )
    surfside.load(url, ["acme"], [RESTATED], settings=cfg, echo=lambda _: None)

    # lookback 0: only what the load changed
    run_dbt(["build", "--vars", '{"lookback_days": 0}'], url)
    assert rebuilt(url, "fact_daily_metrics") == {("acme", "surfside", RESTATED)}
    assert rebuilt(url, "dq_quarantine") == {("acme", "surfside", RESTATED)}
    assert rebuilt(url, "mart_entity_daily_metrics") == {("acme", None, RESTATED)}
    # only the restated day's rows were written by this build
    assert query(
        url,
        """select distinct client_id, date_day from marts.fact_daily_metrics
           where dbt_updated_at = (select max(dbt_updated_at) from marts.fact_daily_metrics)""",
    ) == [("acme", RESTATED)]
    assert query(
        url,
        "select sum(impressions) from marts.fact_daily_metrics "
        "where client_id = 'acme' and date_day = %s",
        (RESTATED,),
    ) == [(7000 + 3500,)]
    # the data tests of a model with a date_day read the days that build rebuilt (every
    # client's); of one without, everything (both clients' two creatives)
    assert scoped_rows(url, "not_null_int_daily_performance__priced_spend_basis", "date_day") == [
        (RESTATED,)
    ]
    assert scoped_rows(url, "not_null_dim_creatives_creative_key", "client_id, creative_name") == [
        (client_id, creative) for client_id in ("acme", "globex") for creative in ("A", "B")
    ]

    # nothing new: nothing rebuilt
    run_dbt(["run", "--vars", '{"lookback_days": 0}'], url)
    assert rebuilt(url, "fact_daily_metrics") == set()

    # the default lookback of 3 days adds the newest 3 days of every client
    run_dbt(["run"], url)
    newest = [LAST - dt.timedelta(days=n) for n in range(3)]
    assert rebuilt(url, "fact_daily_metrics") == {
        (client_id, "surfside", day) for client_id in ("acme", "globex") for day in newest
    }

    incremental = query(url, FACT_DIGEST), query(url, ENTITY_DIGEST)
    run_dbt(["build", "--full-refresh"], url)
    assert (query(url, FACT_DIGEST), query(url, ENTITY_DIGEST)) == incremental


def test_a_redelivered_day_with_fewer_rows_loses_them(history):
    url, cfg, client = history["url"], history["settings"], history["s3"]
    day = LAST - dt.timedelta(days=100)
    client.put_object(
        Bucket=cfg.bucket,
        Key=f"surfside/globex/media-report-{day}.csv",
        Body=(HEADER + f"\n{day},Evergreen,Contextual,Display,A,50,1,0,0\n").encode(),
    )
    surfside.load(url, ["globex"], [day], settings=cfg, echo=lambda _: None)
    run_dbt(["build", "--vars", '{"lookback_days": 0}'], url)
    assert rebuilt(url, "fact_daily_metrics") == {("globex", "surfside", day)}
    assert query(
        url,
        "select creative_name, impressions from marts.fact_daily_metrics "
        "where client_id = 'globex' and date_day = %s",
        (day,),
    ) == [("A", 50)]
    # creative B of globex still has days before and after: its dim span is unchanged
    assert query(
        url,
        "select count(*) from marts.mart_entity_daily_metrics "
        "where client_id = 'globex' and date_day = %s and entity_type = 'creative' "
        "and not is_active",
        (day,),
    ) == [(1,)]
