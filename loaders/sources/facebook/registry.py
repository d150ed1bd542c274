"""The uploads registry (`raw_facebook.uploads`): one row per file handed over, which answers
"was this file already loaded?" and "which days does it replace?"."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from loaders.core import ingestion_log
from loaders.sources.facebook.settings import DATASET, SOURCE, TABLE

if TYPE_CHECKING:
    from loaders.sources.facebook.upload import UploadResult

UPLOADS_DDL = f"""
create schema if not exists {DATASET};
create table if not exists {DATASET}.uploads (
    upload_id             text        primary key,
    client_id             text        not null,
    file_name             text        not null,
    sha256                text,
    size_bytes            bigint,
    status                text        not null,
    message               text,
    rows_loaded           bigint,
    summary_rows_skipped  integer,
    first_day             date,
    last_day              date,
    days                  integer,
    days_replaced         integer,
    clicks_from           text,
    conversions_from      text,
    revenue_from          text,
    media_cost_from       text,
    currency_code         text,
    header                text,
    load_id               text,
    loaded_at             timestamptz not null
);
create index if not exists uploads_client_sha256 on {DATASET}.uploads (client_id, sha256);
comment on table {DATASET}.uploads is
    'Every Facebook Ads Manager file handed to adwh load facebook: one row per attempt '
    '(loaded | skipped | rejected | failed | missing_file).';
"""


def _previous_load(cur, client_id: str, sha256: str) -> tuple | None:
    cur.execute(
        f"""select upload_id, file_name, loaded_at, rows_loaded, first_day, last_day, days
            from {DATASET}.uploads
            where client_id = %s and sha256 = %s and status = 'loaded'
            order by loaded_at desc limit 1""",
        (client_id, sha256),
    )
    return cur.fetchone()


def _raw_table_exists(cur) -> bool:
    cur.execute(f"select to_regclass('{DATASET}.{TABLE}')")
    return cur.fetchone()[0] is not None


def _already_loaded_message(url: str, client_id: str, sha256: str) -> str | None:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        previous = _previous_load(cur, client_id, sha256)
        if previous is None:
            return None
        upload_id, file_name, loaded_at, rows, first_day, last_day, days = previous
        still = None
        if _raw_table_exists(cur):
            cur.execute(
                f"select count(distinct report_date) from {DATASET}.{TABLE} where upload_id = %s",
                (upload_id,),
            )
            still = cur.fetchone()[0]
    text = (
        f"already loaded on {loaded_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC "
        f"as {file_name!r} (upload {upload_id}, {rows:,} rows for {first_day}..{last_day}); "
        "nothing changed"
    )
    if still is not None and still < days:
        text += (
            f". Newer uploads have since replaced some of its days ({still} still from it); "
            "use --force to load it again over them"
        )
    return text


def _days_already_loaded(url: str, client_id: str, days: list[dt.date]) -> tuple[int, list[str]]:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        if not _raw_table_exists(cur):
            return 0, []
        cur.execute(
            f"""select count(distinct report_date), array_agg(distinct source_file_name)
                from {DATASET}.{TABLE} where client_id = %s and report_date = any(%s)""",
            (client_id, days),
        )
        count, files = cur.fetchone()
    return count, sorted(files or [])


def ensure_registry(url: str) -> None:
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select pg_advisory_xact_lock(hashtext('raw_facebook.uploads'))")
        cur.execute(UPLOADS_DDL)


def _register(url: str, run_id: str, result: UploadResult) -> None:
    from loaders.warehouse.database import connect

    layout = result.layout
    loaded = result.status == "loaded"
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""insert into {DATASET}.uploads
                (upload_id, client_id, file_name, sha256, size_bytes, status, message,
                 rows_loaded, summary_rows_skipped, first_day, last_day, days, days_replaced,
                 clicks_from, conversions_from, revenue_from, media_cost_from, currency_code,
                 header, load_id, loaded_at)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                        %s, %s, %s, %s)""",
            (
                result.upload_id,
                result.client_id,
                result.file_name,
                result.sha256,
                result.size,
                result.status,
                result.message or None,
                result.rows if loaded else None,
                len(result.summary_rows) if loaded else None,
                result.first_day if loaded else None,
                result.last_day if loaded else None,
                result.days if loaded else None,
                result.days_replaced if loaded else None,
                layout.header(layout.clicks) if layout else None,
                layout.header(layout.conversions) if layout else None,
                layout.header(layout.revenue) if layout else None,
                layout.header(layout.media_cost) if layout else None,
                layout.currency if layout else None,
                json.dumps(layout.headers) if layout else None,
                result.load_id,
                result.started_at,
            ),
        )
    ingestion_log.record_attempt(
        url,
        run_id,
        SOURCE,
        result,
        client_id=result.client_id,
        object_key=result.file_name,
        object_version=result.sha256,
    )
