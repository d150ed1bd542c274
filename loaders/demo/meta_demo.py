"""The demo's Meta step: globex's Marketing API account, played by the local stand-in.

Globex moved from hand-uploaded Ads Manager exports to the API for the last 7 days of the
window: those client-days come from the API and the uploads of the same days are quarantined
as `superseded_by_api`. The stand-in fails one report job once (retried) and throttles one
call (code 80000, survived), as the real API does now and then.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from loaders.demo.meta_stub import Ad, MetaStub
from loaders.sources import meta

CLIENT = "globex"
ACCOUNT = "act_100200300"
TOKEN = "demo-meta-token-globex"  # noqa: S105 - loopback stand-in only, not a credential
API_DAYS = 7

ADS = [
    ("c10", "Globex Always On", "s10", "Broad", "g1", "Feature Video"),
    ("c10", "Globex Always On", "s10", "Broad", "g2", "Price Carousel"),
    ("c11", "Globex Trial Push", "s11", "Lookalike 2%", "g3", "Free Trial Story"),
    ("c11", "Globex Trial Push", "s12", "Retargeting", "g4", "Trial Reminder"),
]


def sample_ads(_account: str, day: dt.date) -> list[Ad]:
    """Deterministic figures per ad and day (a RNG seeded by both)."""
    out = []
    for campaign_id, campaign, adset_id, adset, ad_id, name in ADS:
        rng = random.Random(f"{ad_id}:{day.isoformat()}")  # noqa: S311 - sample data
        impressions = rng.randint(8_000, 40_000)
        link = impressions * rng.randint(6, 18) // 1000
        reach = impressions * rng.randint(70, 90) // 100
        purchases = rng.randint(0, 6)
        trials = rng.randint(2, 15) if campaign_id == "c11" else 0
        out.append(
            Ad(
                ad_id,
                name,
                impressions,
                link,
                link + rng.randint(0, 40),
                f"{impressions * rng.uniform(6, 11) / 1000:.2f}",
                reach,
                purchases=purchases,
                purchase_value=f"{purchases * 49.90:.2f}",
                trials=trials,
                campaign_id=campaign_id,
                campaign_name=campaign,
                adset_id=adset_id,
                adset_name=adset,
                countries={"US": 6, "CA": 2, "GB": 1},
            )
        )
    return out


def demo_step(ctx) -> None:
    """`adwh demo` step (see loaders/demo/context.py)."""
    serve_and_load(ctx.url, ctx.window, ctx.echo)


def serve_and_load(url: str, window: list[dt.date], echo: Callable) -> None:
    days = window[-API_DAYS:]
    accounts = {ACCOUNT: {"name": "Globex Streaming", "currency": "USD"}}
    with MetaStub({TOKEN: [ACCOUNT]}, accounts, rows=sample_ads, polls_to_complete=2) as stub:
        stub.fail_job(days[2])
        stub.fail_next("80000", path="/insights")
        settings = meta.MetaSettings(
            clients={CLIENT: meta.MetaClient(CLIENT, ACCOUNT, TOKEN)},
            base_url=stub.base_url,
            poll_interval=0.05,
            poll_max_interval=0.2,
            retry_backoff=0.05,
        )
        echo(
            f"\n== Meta: {len(days)} days of {CLIENT}'s ad account from a local stand-in of the "
            f"Marketing API ({stub.base_url}); its uploads of those days are superseded"
        )
        outcome = meta.load(url, [CLIENT], days, settings, echo=lambda _line: None)
        loaded = [r for r in outcome.results if r.status == "loaded"]
        echo(
            f"   {len(loaded)} days loaded ({sum(r.rows for r in loaded):,} ad rows, "
            f"{sum(r.country_rows for r in loaded):,} country rows), "
            f"{len(stub.jobs)} report jobs (one failed and was retried; one call throttled)"
        )
        problem = outcome.problem()
        if problem:
            echo(f"   not loaded: {problem}")
