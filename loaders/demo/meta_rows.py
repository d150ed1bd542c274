"""Meta's insights rows as the stand-in API (meta_stub.py) renders them: one ad's figures for
one day (`Ad`) and the row Meta sends for it - every number a JSON string, purchases repeated
under several action types, the value split over the attribution windows asked for, and
country rows that add up exactly to the ad's row (largest-remainder split)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass
class Ad:
    """One ad's figures for one day; the stub renders it as Meta does (strings, actions)."""

    ad_id: str
    ad_name: str
    impressions: int
    link_clicks: int
    clicks: int  # all clicks
    spend: str
    reach: int
    purchases: int = 0
    purchase_value: str = "0"
    trials: int = 0
    trial_value: str = "0"
    campaign_id: str = "c1"
    campaign_name: str = "Spring Sale"
    adset_id: str = "s1"
    adset_name: str = "Prospecting"
    purchase_types: tuple[str, ...] = (
        "omni_purchase",
        "purchase",
        "offsite_conversion.fb_pixel_purchase",
    )
    countries: dict[str, int] = field(default_factory=lambda: {"US": 1})  # weights


def _split(total: Decimal, weights: dict[str, int], unit: Decimal) -> dict[str, Decimal]:
    """`total` shared by weight in multiples of `unit`, largest remainder: adds up exactly."""
    whole = sum(weights.values())
    units = int(total / unit)
    raw = {k: Decimal(units) * w / whole for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (raw[k] - out[k], k), reverse=True)[
        : units - sum(out.values())
    ]:
        out[k] += 1
    return {k: v * unit for k, v in out.items()}


def render(
    ad: Ad, day: dt.date, currency: str, windows: list[str], country: str | None = None
) -> dict:
    """The insights row of `ad` (or of its share in `country`) as Meta sends it."""
    measures = {
        "impressions": (Decimal(ad.impressions), Decimal(1)),
        "clicks": (Decimal(ad.clicks), Decimal(1)),
        "inline_link_clicks": (Decimal(ad.link_clicks), Decimal(1)),
        "spend": (Decimal(ad.spend), Decimal("0.01")),
        "purchases": (Decimal(ad.purchases), Decimal(1)),
        "purchase_value": (Decimal(ad.purchase_value), Decimal("0.01")),
        "trials": (Decimal(ad.trials), Decimal(1)),
        "trial_value": (Decimal(ad.trial_value), Decimal("0.01")),
    }
    if country is None:
        v = {k: total for k, (total, _unit) in measures.items()}
    else:
        v = {k: _split(total, ad.countries, unit)[country] for k, (total, unit) in measures.items()}
    row = {
        "account_currency": currency,
        "campaign_id": ad.campaign_id,
        "campaign_name": ad.campaign_name,
        "adset_id": ad.adset_id,
        "adset_name": ad.adset_name,
        "ad_id": ad.ad_id,
        "ad_name": ad.ad_name,
        "date_start": day.isoformat(),
        "date_stop": day.isoformat(),
        "impressions": str(int(v["impressions"])),
        "clicks": str(int(v["clicks"])),
        "inline_link_clicks": str(int(v["inline_link_clicks"])),
        "spend": str(v["spend"].quantize(Decimal("0.01"))),
    }
    if country is None:
        row["reach"] = str(ad.reach)
        freq = Decimal(ad.impressions) / ad.reach if ad.reach else Decimal(0)
        row["frequency"] = str(freq.quantize(Decimal("0.000001"), ROUND_HALF_UP))
    else:
        row["country"] = country

    def entry(action_type: str, value: Decimal) -> dict:
        out = {"action_type": action_type, "value": str(value)}
        if windows:  # the value split over the windows asked for (the first takes the rest)
            out[windows[0]] = str(value - value // 3 * (len(windows) - 1))
            for w in windows[1:]:
                out[w] = str(value // 3)
        return out

    actions, values = [], []
    if v["inline_link_clicks"]:
        actions.append(entry("link_click", int(v["inline_link_clicks"])))
    for t in ad.purchase_types if v["purchases"] or v["purchase_value"] else ():
        actions.append(entry(t, int(v["purchases"])))
        values.append(entry(t, v["purchase_value"].quantize(Decimal("0.01"))))
    for t in (
        ("start_trial_total", "offsite_conversion.fb_pixel_start_trial")
        if v["trials"] or v["trial_value"]
        else ()
    ):
        actions.append(entry(t, int(v["trials"])))
        values.append(entry(t, v["trial_value"].quantize(Decimal("0.01"))))
    if actions:
        row["actions"] = actions
    if values:
        row["action_values"] = values
    return row
