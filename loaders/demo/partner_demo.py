"""A stand-in for the partner's warehouse: a Postgres database with the partner's three tables
(the shape the partner's Snowflake has), filled with deterministic sample rows.

Tests and the benchmark use `create_tables` / `insert_*`; `adwh demo` uses `demo_step`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from decimal import Decimal

DDL = """
create table if not exists media_buys (
    media_buy_id   text primary key,
    name           text,
    campaign_id    text,
    campaign_name  text,
    platform       text,
    client_id      text
);
create table if not exists platform_buy_daily_impressions (
    date          date   not null,
    media_buy_id  text   not null,
    impressions   bigint,
    clicks        bigint,
    spend         numeric(14, 4),
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (date, media_buy_id)
);
create table if not exists platform_buy_daily_videos (
    date               date   not null,
    media_buy_id       text   not null,
    video_starts       bigint,
    video_completions  bigint,
    video_views        bigint,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    primary key (date, media_buy_id)
);
"""

# (date, media_buy_id, impressions, clicks, spend)
ImpressionRow = tuple[dt.date, str, int, int, Decimal]
# (date, media_buy_id, video_starts, video_completions, video_views)
VideoRow = tuple[dt.date, str, int, int, int]
# (media_buy_id, name, campaign_id, campaign_name, platform, client_id)
MediaBuyRow = tuple[str, str, str, str, str, str]


def _connect(url: str):
    import psycopg2

    return psycopg2.connect(url)


def create_tables(url: str) -> None:
    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute(DDL)


def _copy(url: str, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    """COPY rows in (fast enough for the benchmark's million rows)."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        count += 1
    buffer.seek(0)
    with _connect(url) as conn, conn.cursor() as cur:
        cur.copy_expert(f"copy {table} ({', '.join(columns)}) from stdin", buffer)
    return count


def insert_media_buys(url: str, rows: Iterable[MediaBuyRow]) -> int:
    cols = ("media_buy_id", "name", "campaign_id", "campaign_name", "platform", "client_id")
    return _copy(url, "media_buys", cols, rows)


def insert_impressions(url: str, rows: Iterable[ImpressionRow]) -> int:
    cols = ("date", "media_buy_id", "impressions", "clicks", "spend")
    return _copy(url, "platform_buy_daily_impressions", cols, rows)


def insert_videos(url: str, rows: Iterable[VideoRow]) -> int:
    cols = ("date", "media_buy_id", "video_starts", "video_completions", "video_views")
    return _copy(url, "platform_buy_daily_videos", cols, rows)


# --- the demo's sample ----------------------------------------------------------------------

DEMO_CLIENT = "acme"
DEMO_BUYS: list[MediaBuyRow] = [
    ("mb-101", "Spring Sale - Prospecting", "c-1", "Acme Spring Sale", "YouTube", DEMO_CLIENT),
    ("mb-102", "Spring Sale - Retargeting", "c-1", "Acme Spring Sale", "Hulu", DEMO_CLIENT),
    ("mb-201", "Brand Always-On", "c-2", "Acme Brand", "YouTube", DEMO_CLIENT),
    ("mb-202", "Brand CTV", "c-2", "Acme Brand", "Roku", DEMO_CLIENT),
]


def demo_rows(days: list[dt.date]) -> tuple[list[ImpressionRow], list[VideoRow]]:
    """Deterministic daily figures per media buy, with deliberate problems: mb-202 reports
    videos without an impressions row on one day; one day has more completions than starts;
    and a media buy the partner has not listed yet (mb-999)."""
    impressions: list[ImpressionRow] = []
    videos: list[VideoRow] = []
    for d, day in enumerate(days):
        for b, (buy, *_rest) in enumerate(DEMO_BUYS):
            imps = 8_000 + 1_500 * b + (d * 37 + b * 101) % 2_000
            clicks = imps // (150 + 40 * b)
            spend = (Decimal(imps) * Decimal("0.0125") * (1 + Decimal(b) / 10)).quantize(
                Decimal("0.0001")
            )
            starts = imps * (6 + b) // 10
            completions = starts * (70 + (d + b) % 20) // 100
            if not (buy == "mb-202" and d == len(days) - 6):
                impressions.append((day, buy, imps, clicks, spend))
            if buy == "mb-101" and d == len(days) - 9:
                completions = starts + 250  # more completions than starts: quarantined
            videos.append((day, buy, starts, completions, completions + starts // 20))
    unknown_day = days[-4]
    impressions.append((unknown_day, "mb-999", 5_000, 40, Decimal("61.2500")))
    return impressions, videos


def demo_step(ctx) -> None:
    """`adwh demo` step (see loaders/demo/context.py)."""
    sync_demo_partner(ctx.url, ctx.window, ctx.echo)


def sync_demo_partner(url: str, window: list[dt.date], echo: Callable[[str], None]) -> None:
    """A partner database with 60 days for one client on the demo's server,
    synced with the real loader (first sync: the whole history)."""
    from loaders.sources import partner
    from loaders.sources.partner.settings import PartnerSettings
    from loaders.warehouse.database import scratch_database

    end = window[-1]
    days = [end - dt.timedelta(days=59 - i) for i in range(60)]
    with scratch_database(url, "partner_demo") as partner_url:
        create_tables(partner_url)
        insert_media_buys(partner_url, DEMO_BUYS)
        imps, vids = demo_rows(days)
        insert_impressions(partner_url, imps)
        insert_videos(partner_url, vids)
        echo(
            f"\n== Partner warehouse: {len(days)} days x {len(DEMO_BUYS)} media buys for "
            f"{DEMO_CLIENT} from a Postgres stand-in of the partner's Snowflake"
        )
        settings = PartnerSettings(credentials=partner_url)
        partner.load(url, None, settings=settings, echo=lambda line: echo("   " + line))
