"""Insights JSON rows -> Arrow tables for `raw_meta.ad_daily` and `raw_meta.ad_country_daily`.

Every number arrives as a JSON string. `actions` / `action_values` are lists of
`{action_type, value, <window>: ...}`, omitted when empty. Purchases are the value of the
first of `purchase_action_types` present in the row (Meta repeats the same purchases under
omni_purchase, purchase and the pixel type, so summing them would count them two or three
times); revenue is the `action_values` entry of that same type; trials likewise. The type
used is recorded on the row. `clicks` is Meta's all-clicks figure (kept as clicks_all);
link clicks (`inline_link_clicks`) are the clicks the warehouse counts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyarrow as pa

from loaders.core.errors import AdwhError

NUMERIC = pa.decimal128(38, 12)
_SCALE = Decimal(1).scaleb(-12)

# insights fields the loader asks for (the country job adds the `country` breakdown)
FIELDS = (
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "date_start",
    "date_stop",
    "impressions",
    "clicks",
    "inline_link_clicks",
    "spend",
    "reach",
    "frequency",
    "actions",
    "action_values",
)
TEXT_FIELDS = ("campaign_id", "campaign_name", "adset_id", "adset_name", "ad_id", "ad_name")
# raw column -> (insights field, Arrow type); reach/frequency only at the ad-day grain
MEASURES = {
    "impressions": ("impressions", pa.int64()),
    "clicks_all": ("clicks", pa.int64()),
    "link_clicks": ("inline_link_clicks", pa.int64()),
    "spend": ("spend", NUMERIC),
}
AD_DAY_ONLY = {"reach": ("reach", pa.int64()), "frequency": ("frequency", NUMERIC)}


class RowRejected(AdwhError):
    """A row Meta sent that cannot be typed; its day is not loaded."""

    def __init__(self, day: dt.date | None, message: str) -> None:
        super().__init__(message)
        self.day = day


@dataclass(frozen=True)
class ActionTypes:
    purchases: tuple[str, ...]
    trials: tuple[str, ...]


def _number(value, field: str, ad: str, kind) -> int | Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RowRejected(None, f"ad {ad}: {field}={value!r} is not a number") from None
    if not number.is_finite():
        raise RowRejected(None, f"ad {ad}: {field}={value!r} is not a number")
    if kind == pa.int64():
        if number != number.to_integral_value():
            raise RowRejected(None, f"ad {ad}: {field}={value!r} is not a whole number")
        return int(number)
    return number.quantize(_SCALE)


def _pick(entries, types: tuple[str, ...], field: str, ad: str):
    """(action type, value) of the first of `types` present in `entries`, else (None, None)."""
    by_type = {}
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("action_type") not in by_type:
            by_type[entry.get("action_type")] = entry.get("value")
    for action_type in types:
        if action_type in by_type:
            return action_type, _number(by_type[action_type], f"{field}[{action_type}]", ad, None)
    return None, None


def _value_of(entries, action_type: str | None, field: str, ad: str):
    if action_type is None:
        return None
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("action_type") == action_type:
            return _number(entry.get("value"), f"{field}[{action_type}]", ad, None)
    return None


def _date(value, ad: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RowRejected(None, f"ad {ad}: date_start={value!r} is not a date") from None


def to_table(rows: list[dict], types: ActionTypes, *, country: bool, first_row: int) -> pa.Table:
    """One page of insights rows -> a typed Arrow table (report_date, names, measures,
    the chosen action types, actions as delivered JSON, source_row_number)."""
    cols: dict[str, list] = {name: [] for name in ("report_date", *TEXT_FIELDS)}
    measures = dict(MEASURES) if country else {**MEASURES, **AD_DAY_ONLY}
    for name in measures:
        cols[name] = []
    extra = ("purchases", "purchase_value", "purchase_action_type", "trials", "trial_value")
    for name in (*extra, "trial_action_type", "actions", "action_values", "source_row_number"):
        cols[name] = []
    if country:
        cols["country"] = []
    for i, row in enumerate(rows):
        ad = str(row.get("ad_id") or "?")
        day = _date(row.get("date_start"), ad)
        try:
            if row.get("date_stop") not in (None, row.get("date_start")):
                raise RowRejected(None, f"ad {ad}: covers {row['date_start']}..{row['date_stop']}")
            cols["report_date"].append(day)
            for name in TEXT_FIELDS:
                value = row.get(name)
                cols[name].append(None if value is None else str(value))
            for name, (field, kind) in measures.items():
                cols[name].append(_number(row.get(field), field, ad, kind))
            actions, values = row.get("actions"), row.get("action_values")
            p_type, purchases = _pick(actions, types.purchases, "actions", ad)
            t_type, trials = _pick(actions, types.trials, "actions", ad)
            cols["purchases"].append(purchases)
            cols["purchase_value"].append(_value_of(values, p_type, "action_values", ad))
            cols["purchase_action_type"].append(p_type)
            cols["trials"].append(trials)
            cols["trial_value"].append(_value_of(values, t_type, "action_values", ad))
            cols["trial_action_type"].append(t_type)
            cols["actions"].append(json.dumps(actions) if actions else None)
            cols["action_values"].append(json.dumps(values) if values else None)
            cols["source_row_number"].append(first_row + i)
            if country:
                code = row.get("country")
                cols["country"].append(None if code in (None, "") else str(code))
        except RowRejected as exc:
            raise RowRejected(day, str(exc)) from None
    types_of = {
        "report_date": pa.date32(),
        "source_row_number": pa.int64(),
        **{name: kind for name, (_field, kind) in measures.items()},
        **{name: NUMERIC for name in ("purchases", "purchase_value", "trials", "trial_value")},
    }
    return pa.table(
        {name: pa.array(values, types_of.get(name, pa.string())) for name, values in cols.items()}
    )
