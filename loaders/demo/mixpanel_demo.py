"""The demo's Mixpanel step: globex's app subscriptions (RevenueCat events in Mixpanel), served
by the local export stand-in and loaded with `adwh load mixpanel`'s code.

The users are attributed to globex's Meta API ads (loaders/demo/meta_demo.py: campaigns c10 /
c11, ad sets s10 / s11 / s12, ads g1..g4) so the subscription marts meet Meta's spend, trials
and purchases on the same ids; one user in eight has no attribution ('unattributed' rows). A
seeded RNG makes the window reproducible: trials convert after 7 days, some conversions and
purchases are refunded, every 9th event is exported twice (staging dedupes).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from loaders.demo.meta_demo import ADS, CLIENT
from loaders.demo.mixpanel_stub import MixpanelStub, event
from loaders.sources import mixpanel

PROJECT = 7_100_200
USERNAME = "globex-export.mp-service-account"
SECRET = "demo-mixpanel-secret-globex"  # noqa: S105 - loopback stand-in only, not a credential
PRODUCTS = {"globex_monthly": 9.99, "globex_annual": 59.99}
COUNTRIES = ("US", "US", "US", "CA", "GB")


def sample_events(window: list[dt.date]) -> list[dict]:
    """Trial starts and purchases on every day of the window, with their later outcomes."""
    names = mixpanel.MixpanelSettings(clients={}).events
    rng = random.Random(f"mixpanel:{window[0]}")  # noqa: S311 - sample data
    out: list[dict] = []
    n = 0
    for day in window:
        for _ in range(rng.randint(6, 14)):
            n += 1
            user, product = f"gx{n:05d}", rng.choice(list(PRODUCTS))
            when = dt.datetime(day.year, day.month, day.day, rng.randint(0, 23), tzinfo=dt.UTC)
            props = {"product_id": product, "mp_country_code": rng.choice(COUNTRIES)}
            if rng.random() >= 0.125:
                campaign_id, _c, adset_id, _s, ad_id, _a = rng.choice(ADS)
                props |= {"campaign_id": campaign_id, "adset_id": adset_id, "ad_id": ad_id}
            price = PRODUCTS[product]
            if rng.random() < 0.7:
                out.append(event(names["trial_started"], user, when, f"t{n}", **props))
                if rng.random() < 0.45:
                    paid = when + dt.timedelta(days=7)
                    out.append(event(names["trial_converted"], user, paid, f"c{n}",
                                     product_id=product, revenue=price))  # fmt: skip
                    if rng.random() < 0.1:
                        out.append(event(names["cancellation"], user, paid + dt.timedelta(days=2),
                                         f"r{n}", product_id=product, revenue=-price))  # fmt: skip
            else:
                out.append(event(names["initial_purchase"], user, when, f"p{n}",
                                 revenue=price, **props))  # fmt: skip
                if rng.random() < 0.06:
                    out.append(event(names["cancellation"], user, when + dt.timedelta(days=3),
                                     f"r{n}", product_id=product, revenue=-price))  # fmt: skip
    return out


def demo_step(ctx) -> None:
    """`adwh demo` step (see loaders/demo/context.py)."""
    serve_and_load(ctx.url, ctx.window, ctx.echo)


def serve_and_load(url: str, window: list[dt.date], echo: Callable) -> None:
    with MixpanelStub({(USERNAME, SECRET): [PROJECT]}, duplicate_every=9) as stub:
        stub.events[PROJECT] = sample_events(window)
        settings = mixpanel.MixpanelSettings(
            clients={CLIENT: mixpanel.MixpanelClient(CLIENT, PROJECT, USERNAME, SECRET)},
            base_url=stub.base_url,
            retry_backoff=0.05,
        )
        echo(
            f"\n== Mixpanel: {len(window)} days of {CLIENT}'s subscription events from a local "
            f"stand-in of the Raw Event Export API ({stub.base_url})"
        )
        outcome = mixpanel.load(url, [CLIENT], window, settings, echo=lambda _line: None)
        loaded = [r for r in outcome.results if r.status == "loaded"]
        echo(
            f"   {len(loaded)} days loaded ({sum(r.rows for r in loaded):,} events, duplicates "
            f"included) in {outcome.queries} export queries"
        )
        problem = outcome.problem()
        if problem:
            echo(f"   not loaded: {problem}")
