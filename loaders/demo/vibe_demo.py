"""`adwh demo` step for Vibe: a loopback stand-in of the reporting API with two advertisers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from loaders.demo import vibe_stub
from loaders.demo.context import DemoContext, only_news
from loaders.sources import vibe
from loaders.warehouse.database import connect

# The stand-in server's advertisers and keys (loopback only; not real credentials).
VIBE_CLIENTS = {
    "acme": ("demo-adv-acme", "demo-vibe-key-acme", "Acme"),
    "initech": ("demo-adv-initech", "demo-vibe-key-initech", "Initech"),
}


def vibe_rows(window: list[dt.date]) -> Callable[[str, dt.date], vibe_stub.Rows]:
    """Deterministic CTV rows per advertiser and day, with deliberate problems:
    acme: a row with negative spend (media cost); initech: a row without a creative name and
    a row Vibe dates two months before the report's range.
    """
    n = len(window)
    brands = {adv: brand for adv, _key, brand in VIBE_CLIENTS.values()}

    def rows(advertiser_id: str, day: dt.date) -> vibe_stub.Rows:
        out = vibe_stub.sample_rows(advertiser_id, day, brands[advertiser_id])
        if advertiser_id == "demo-adv-acme" and day == window[n - 12]:
            out[0]["spend"] = "-" + str(out[0]["spend"])
        if advertiser_id == "demo-adv-initech" and day == window[n - 8]:
            out[1]["creative_name"] = ""
        if advertiser_id == "demo-adv-initech" and day == window[n - 3]:
            stray = dict(out[2], impression_date=(day - dt.timedelta(days=60)).isoformat())
            out.append(stray)
        return out

    return rows


def demo_step(ctx: DemoContext) -> None:
    url, window, echo = ctx.url, ctx.window, ctx.echo
    keys = {key: [adv] for adv, key, _brand in VIBE_CLIENTS.values()}
    with vibe_stub.VibeStub(keys, rows=vibe_rows(window), processing_polls=2) as stub:
        settings = vibe.VibeSettings(
            clients={
                client: vibe.VibeClient(client, adv, key)
                for client, (adv, key, _brand) in VIBE_CLIENTS.items()
            },
            base_url=stub.base_url,
            poll_interval=0.05,
            poll_max_interval=0.2,
        )
        echo(
            f"\n== Vibe: {len(window)} days x 2 clients from a local stand-in of the reporting "
            f"API ({stub.base_url})"
        )
        # The stand-in forgets its reports when it stops: so do the demo's ledger entries.
        with connect(url) as conn, conn.cursor() as cur:
            cur.execute("select to_regclass('adwh_ops.vibe_report_requests')")
            if cur.fetchone()[0] is not None:
                cur.execute(
                    "delete from adwh_ops.vibe_report_requests "
                    "where advertiser_id like 'demo-adv-%'"
                )
        outcome = vibe.load(
            url, list(VIBE_CLIENTS), window, settings=settings, force=True, echo=only_news(echo)
        )
        bad = outcome.not_loaded()
        echo(
            f"   {len(outcome.results) - len(bad)} days loaded, {len(bad)} not loaded, "
            f"{stub.creation_count()} report creations (budget {stub.budget} per hour)"
        )
