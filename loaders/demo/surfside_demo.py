"""`adwh demo` step for Surfside: a local S3 server with two clients' daily deliveries."""

from __future__ import annotations

import datetime as dt

from loaders.demo import surfside_sample as sample_data
from loaders.demo.context import DemoContext, only_news
from loaders.demo.local_s3 import LOCAL_KEY_ID, LOCAL_SECRET
from loaders.sources import surfside

DEMO_BUCKET = "adwh-demo-surfside"
DEMO_KEY_PATTERN = "surfside/{client}/media-report-{date}.csv"


def surfside_deliveries(window: list[dt.date]) -> list[sample_data.Delivery]:
    """acme delivers CSV, globex XLSX. Deliberate problems, so the demo shows the rules at work:
    acme: a negative impression count, clicks above impressions, a row dated in the future,
    a spend spike (campaign Acme Retargeting 2 buys 4x its impressions on the last day) and a
    creative whose CTR wears out over the last 21 days (mart_creative_fatigue, mart_alerts);
    globex: one day re-delivered corrected (the newer object wins), one day never delivered.
    """
    deliveries: list[sample_data.Delivery] = []
    n = len(window)
    for client, fmt in (("acme", "csv"), ("globex", "xlsx")):
        paths = sample_data.hierarchy(client)
        for i, day in enumerate(window):
            if client == "globex" and i == n - 10:
                continue  # never delivered: shows as missing_file
            rows = sample_data.day_rows(client, day, paths)
            if client == "acme" and i == n - 25:
                rows[0][5] = -rows[0][5]  # negative impressions
            if client == "acme" and i == n - 20:
                rows[1][6] = rows[1][5] + 17  # clicks > impressions
            if client == "acme":
                _plant_intelligence_cases(rows, i, n)
            if client == "acme" and i == n - 1:
                future = list(rows[2])
                future[0] = (day + dt.timedelta(days=2)).isoformat()
                rows.append(future)  # dated after the day it was loaded
            key = DEMO_KEY_PATTERN.format(client=client, date=day).removesuffix(".csv")
            writer = sample_data.to_csv if fmt == "csv" else sample_data.to_xlsx
            deliveries.append(sample_data.Delivery(f"{key}.{fmt}", writer(rows)))
            if client == "globex" and i == n - 27:
                corrected = sample_data.day_rows(client, day, paths, variant="corrected")
                deliveries.append(sample_data.Delivery(f"{key}_v2.{fmt}", writer(corrected)))
    return deliveries


FATIGUING_ROW = 5  # the path whose creative wears out (rows 0-2 carry the other problems)


def _plant_intelligence_cases(rows: list[list], i: int, n: int) -> None:
    """Day i of n of acme: the fatiguing creative (20,000 impressions a day, CTR 1.5 % until
    21 days before the end, then 0.06 points lower each day) and the last day's spend spike."""
    fading = rows[FATIGUING_ROW]
    step = max(0, i - (n - 21))
    fading[5], fading[6] = 20_000, int(20_000 * (0.015 - 0.0006 * step))
    fading[9] = f"{fading[6] / fading[5]:.4%}"
    if i == n - 1:
        for row in rows:
            if row[1] == "Acme Retargeting 2":
                row[5], row[6] = row[5] * 4, row[6] * 4
                row[9] = f"{row[6] / row[5]:.4%}"


def demo_step(ctx: DemoContext) -> None:
    url, s3, window, echo = ctx.url, ctx.s3, ctx.window, ctx.echo
    client = s3.client()
    client.create_bucket(Bucket=DEMO_BUCKET)
    for delivery in surfside_deliveries(window):
        client.put_object(Bucket=DEMO_BUCKET, Key=delivery.key, Body=delivery.body)
    settings = surfside.SurfsideSettings(
        bucket=DEMO_BUCKET,
        key_pattern=DEMO_KEY_PATTERN,
        endpoint_url=s3.endpoint_url,
        aws_access_key_id=LOCAL_KEY_ID,
        aws_secret_access_key=LOCAL_SECRET,
    )
    echo(
        f"\n== Surfside: {len(window)} days x 2 clients from a local S3 server ({s3.endpoint_url})"
    )
    results = surfside.load(
        url, ["acme", "globex"], window, settings=settings, echo=only_news(echo)
    )
    missing = [r for r in results if r.status not in ("loaded", "skipped")]
    echo(
        f"   {len(results) - len(missing)} days loaded or up to date, {len(missing)} not loaded "
        "(the sample data leaves one globex day undelivered on purpose)"
    )
