"""The bidder staging rules, applied to one file's rows (Arrow, vectorised).

The import summary must say what staging (`stg_bidder__creative_performance`) will say about
the file, without running dbt or reading a view over the whole history. The rules below are
those of the staging model, in its order (the first broken rule is a row's primary rule);
each reads a column of the row, the stored catalog (`raw_bidder.creatives`) or the seeds
(clients, country codes). `breakdown_superseded` also depends on rows of other imports of the
same creative-day; summary.py adds it from the stored rows once the run has loaded.
tests/test_bidder_warehouse.py checks the summary against staging after a dbt build.

Text is read as Postgres reads it: `trim()` removes spaces only, `upper`/`lower` as is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.sources.bidder.parsing import PARSED
from loaders.sources.bidder.settings import DEVICE_TYPES

EXPECTED = {
    "creative_id": "a whole number",
    "date": "a YYYY-MM-DD date",
    "hour": "a whole number",
    "impressions": "a whole number",
    "clicks": "a whole number",
    "spend": "a number",
}


@dataclass(frozen=True)
class Lookups:
    """What the rules read besides the row: the stored catalog and the seeds."""

    catalog: dict[int, tuple[int, str | None]]  # creative_id -> (entries, client when one)
    clients: frozenset[str]
    countries: frozenset[str]


def quote_literal(text: str) -> str:
    """Postgres quote_literal: single quotes doubled; E'' with doubled backslashes."""
    quoted = "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
    return "E" + quoted if "\\" in text else quoted


def dq_value(value) -> str:
    """Postgres trim_scale(value::numeric)::text."""
    if value is None:
        return "NULL"
    number = Decimal(value).normalize()
    return format(number if number else Decimal(0), "f")


def _pg_trim(text: pa.Array) -> pa.Array:
    return pc.utf8_trim(text, characters=" ")


def _blank(text: pa.Array) -> pa.Array:
    """nullif(trim(text), '') is null."""
    return pc.fill_null(pc.equal(_pg_trim(text), ""), True)


def _true(mask: pa.Array) -> pa.Array:
    return pc.fill_null(mask, False)


def _or_zero(typed: pa.Array, text: pa.Array) -> pa.Array:
    """A measure as staging reads it: blank = 0, malformed stays NULL."""
    return pc.if_else(_blank(text), pa.scalar(0, typed.type), typed)


def breakdown_rank(hour_text: pa.Array, geography: pa.Array, device: pa.Array) -> pa.Array:
    """4 for an hour, 2 for a geography, 1 for a device (what the row is broken down by)."""
    parts = [(hour_text, 4), (geography, 2), (device, 1)]
    rank = None
    for text, weight in parts:
        bit = pc.if_else(_blank(text), 0, weight).cast(pa.int8())
        rank = bit if rank is None else pc.add(rank, bit)
    return rank


def breakdown_name(rank: int) -> str:
    names = ["day"] + [n for n, bit in (("hour", 4), ("geography", 2), ("device", 1)) if rank & bit]
    return "+".join(names)


def superseded_entry(rank: int, top: int) -> tuple[str, str, str]:
    """(column, rule, detail) of breakdown_superseded for a row of `rank` under `top`."""
    if top >= 4 and not rank & 4:
        column = "hour"
    elif top % 4 >= 2 and not rank & 2:
        column = "geography"
    else:
        column = "device_type"
    detail = f"reported by {breakdown_name(rank)}; the creative-day is counted from its "
    return column, "breakdown_superseded", detail + f"{breakdown_name(top)} rows"


@dataclass
class FileChecks:
    """The file-local verdict on each row, kept small once the rows are handed to dlt."""

    row_numbers: pa.Array  # source_row_number
    creative_id: pa.Array
    date: pa.Array
    rank: pa.Array  # breakdown rank (int8)
    counts: np.ndarray  # broken file-local rules per row
    # (row, column, rule, detail) of the first `limit` rows that break a file-local rule
    entries: list[tuple[int, str | None, str, str]]
    row_key: pa.Array | None = None  # kept when a later file of the run may replace keys


def _col(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def check_rows(table: pa.Table, lookups: Lookups, loaded_at: dt.datetime, limit: int) -> FileChecks:
    """Every file-local staging rule on the typed rows (lineage included) of one file."""
    c = {name: _col(table, name) for name in (*PARSED, "geography", "device_type", "row_key")}
    text = {name: _col(table, f"{name}_text") for name in PARSED}
    rows = _col(table, "source_row_number")
    n = table.num_rows

    ids = c["creative_id"]
    known_ids = pa.array(list(lookups.catalog), pa.int64())
    position = pc.index_in(ids, value_set=known_ids)
    entries_of = pa.array([e for e, _ in lookups.catalog.values()], pa.int64())
    clients_of = pa.array([client for _, client in lookups.catalog.values()], pa.string())
    entries = pc.take(entries_of, position) if len(known_ids) else pa.nulls(n, pa.int64())
    client = pc.take(clients_of, position) if len(known_ids) else pa.nulls(n, pa.string())
    client = pc.if_else(pc.equal(entries, 1), client, pa.scalar(None, pa.string()))

    geography = pc.utf8_upper(_pg_trim(c["geography"]))
    device = pc.utf8_lower(_pg_trim(c["device_type"]))
    impressions = _or_zero(c["impressions"], text["impressions"])
    clicks = _or_zero(c["clicks"], text["clicks"])
    media_cost = _or_zero(c["spend"], text["spend"])
    loaded_day = pa.scalar(loaded_at.astimezone(dt.UTC).date(), pa.date32())
    dictionary = pc.dictionary_encode(c["row_key"])
    key_index = dictionary.indices.to_numpy(zero_copy_only=False)
    row_array = rows.to_numpy(zero_copy_only=False)
    winner = np.full(len(dictionary.dictionary), -1, dtype=np.int64)
    np.maximum.at(winner, key_index, row_array)
    duplicate = pa.array(row_array != winner[key_index])

    masks: list[tuple[str, str | None, pa.Array]] = [
        ("missing_creative_id", "creative_id", _blank(text["creative_id"])),
        ("missing_date", "date", _blank(text["date"])),
    ]
    for name in PARSED:
        broken = pc.and_(pc.is_null(c[name]), pc.invert(_blank(text[name])))
        masks.append((f"malformed_{name}", name, broken))
    masks += [
        ("unknown_creative_id", "creative_id", pc.and_(pc.is_valid(ids), pc.is_null(entries))),
        ("ambiguous_creative_id", "creative_id", pc.greater(entries, 1)),
        (
            "hour_out_of_range",
            "hour",
            pc.or_(pc.less(c["hour"], 0), pc.greater(c["hour"], 23)),
        ),
        (
            "unknown_country_code",
            "geography",
            pc.and_(
                pc.invert(_blank(geography)),
                pc.invert(pc.is_in(geography, value_set=pa.array(sorted(lookups.countries)))),
            ),
        ),
        (
            "unknown_device_type",
            "device_type",
            pc.and_(
                pc.invert(_blank(device)),
                pc.invert(pc.is_in(device, value_set=pa.array(DEVICE_TYPES))),
            ),
        ),
        ("negative_spend", "spend", pc.less(media_cost, pa.scalar(0, media_cost.type))),
        (
            "unknown_client",
            "creative_id",
            pc.invert(pc.is_in(client, value_set=pa.array(sorted(lookups.clients), pa.string()))),
        ),
        ("negative_impressions", "impressions", pc.less(impressions, 0)),
        ("negative_clicks", "clicks", pc.less(clicks, 0)),
        ("clicks_exceed_impressions", "clicks", pc.greater(clicks, impressions)),
        ("future_date", "date", pc.greater(c["date"], loaded_day)),
        ("duplicate_key_in_file", None, duplicate),
    ]
    # unknown_client only where the catalog names one client
    masks = [
        (rule, column, _true(pc.and_(mask, pc.is_valid(client))))
        if rule == "unknown_client"
        else (rule, column, _true(mask))
        for rule, column, mask in masks
    ]
    counts = np.zeros(n, dtype=np.int16)
    for _, _, mask in masks:
        counts += mask.to_numpy(zero_copy_only=False)
    values = {
        "row": rows,
        "client": client,
        "entries": entries,
        "geography": geography,
        "device": device,
        "impressions": impressions,
        "clicks": clicks,
        "media_cost": media_cost,
        "winner": pa.array(winner[key_index]),
        **c,
        **{f"{name}_text": text[name] for name in PARSED},
    }
    found: list[tuple[int, str | None, str, str]] = []
    for i in np.flatnonzero(counts)[:limit]:
        row = {name: array[int(i)].as_py() for name, array in values.items()}
        for rule, column, mask in masks:
            if mask[int(i)].as_py():
                found.append((row["row"], column, rule, _detail(rule, row, loaded_day.as_py())))
    rank = breakdown_rank(text["hour"], c["geography"], c["device_type"])
    return FileChecks(rows, ids, c["date"], rank, counts, found)


def _detail(rule: str, row: dict, loaded_day: dt.date) -> str:
    if rule.startswith("missing_"):
        return f"{rule.removeprefix('missing_')} is empty"
    if rule.startswith("malformed_"):
        name = rule.removeprefix("malformed_")
        return f"{name}={quote_literal(row[f'{name}_text'])} is not {EXPECTED[name]}"
    creative = row["creative_id"]
    details = {
        "unknown_creative_id": lambda: f"creative_id={creative} is not in the creative catalog",
        "ambiguous_creative_id": lambda: (
            f"creative_id={creative} is listed by {row['entries']} clients' catalogs"
        ),
        "hour_out_of_range": lambda: f"hour={row['hour']}, expected 0-23",
        "unknown_country_code": lambda: (
            f"geography={quote_literal(row['geography'])} is not an ISO 3166-1 alpha-2 code"
        ),
        "unknown_device_type": lambda: (
            f"device_type={quote_literal(row['device'])}, "
            "expected mobile, desktop, tablet, ctv or other"
        ),
        "negative_spend": lambda: f"spend={dq_value(row['media_cost'])}",
        "unknown_client": lambda: f"client_id={row['client']}",
        "negative_impressions": lambda: f"impressions={dq_value(row['impressions'])}",
        "negative_clicks": lambda: f"clicks={dq_value(row['clicks'])}",
        "clicks_exceed_impressions": lambda: (
            f"clicks={dq_value(row['clicks'])}, impressions={dq_value(row['impressions'])}"
        ),
        "future_date": lambda: f"date_day={row['date']}, loaded on {loaded_day}",
        "duplicate_key_in_file": lambda: (
            f"key {row['row_key']} again in row {row['winner']}, which wins"
        ),
    }
    return details[rule]()
