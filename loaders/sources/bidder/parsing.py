"""Bidder file layouts and lenient typing: catalog rows typed strictly, performance cells kept
as delivered (`<column>_text`) beside a typed column that is NULL when the cell cannot be read.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core.errors import FileRejected
from loaders.core.hints import column_hints
from loaders.core.tabular import (
    DECIMAL_TYPE,
    INT,
    TEXT,
    Column,
    RawSheet,
    drop_zero_fraction,
    extra_columns,
    match_columns,
    strip_thousands,
    type_columns,
)

CATALOG_SPEC = [
    Column("creative_id", INT, aliases=("creative",)),
    Column("client_id", TEXT, aliases=("client",)),
    Column("creative_name", TEXT),
    Column("campaign_name", TEXT, aliases=("campaign",)),
    Column("buyer_seat", TEXT, required=False, aliases=("seat",)),
    Column("format", TEXT, required=False, aliases=("creative format",)),
    Column("destination_url", TEXT, required=False, aliases=("landing page", "click url")),
]

# Performance columns are matched by header only; values are typed leniently below.
PERFORMANCE_SPEC = [
    Column("creative_id", aliases=("creative",)),
    Column("date", aliases=("day", "report date")),
    Column("impressions", aliases=("imps",)),
    Column("clicks"),
    Column("spend", aliases=("cost", "media cost")),
    Column("hour", required=False, aliases=("hour of day",)),
    Column("geography", required=False, aliases=("geo", "country", "country code")),
    Column("device_type", required=False, aliases=("device",)),
    Column("placement", required=False),
]

# column -> kind of the typed column; the cell as delivered is kept in `<column>_text`
PARSED = {
    "creative_id": "int",
    "date": "date",
    "hour": "int",
    "impressions": "int",
    "clicks": "int",
    "spend": "decimal",
}
PLAIN_TEXT = ("geography", "device_type", "placement")

_COMMON_LINEAGE = column_hints(
    "source_file text!, source_sha256 text!, source_size bigint!, source_row_number bigint!, "
    "loaded_at timestamp!"
)

CATALOG_COLUMNS = {
    **column_hints(
        "creative_id bigint!, client_id text!, creative_name text, campaign_name text, "
        "buyer_seat text, format text, destination_url text"
    ),
    **_COMMON_LINEAGE,
}

PERFORMANCE_COLUMNS = {
    **column_hints(
        "creative_id bigint, date date, hour bigint, geography text, device_type text, "
        "placement text, impressions bigint, clicks bigint, spend decimal"
    ),
    **column_hints(", ".join(f"{name}_text text" for name in PARSED)),
    **column_hints("row_key text!"),
    **_COMMON_LINEAGE,
}

_ARROW_TYPES = {"int": pa.int64(), "date": pa.date32(), "decimal": DECIMAL_TYPE}
_INTEGER = r"^[+-]?\d{1,18}$"
_DECIMAL = r"^[+-]?(\d{1,26}(\.\d*)?|\.\d+)$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _blank_to_null(values: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def lenient_number(text: pa.Array, kind: str) -> pa.Array:
    """Cells as numbers; blank, and anything that is not a plain number, become NULL.

    Accepted: optional sign, digits, thousands separators in groups of three
    (`1,234,567.89`), and for whole numbers a zero fraction (`12.0`).
    """
    values = strip_thousands(_blank_to_null(text))
    if kind == "int":
        values = drop_zero_fraction(values)
        ok = pc.match_substring_regex(values, _INTEGER)
        return pc.cast(pc.if_else(ok, values, pa.scalar(None, pa.string())), pa.int64())
    ok = pc.match_substring_regex(values, _DECIMAL)
    candidates = pc.if_else(ok, values, pa.scalar(None, pa.string()))
    try:
        return pc.cast(candidates, DECIMAL_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass  # e.g. more than 12 decimals: round those in Python
    from decimal import Decimal

    quantum = Decimal(1).scaleb(-DECIMAL_TYPE.scale)
    return pa.array(
        [None if v is None else Decimal(v).quantize(quantum) for v in candidates.to_pylist()],
        DECIMAL_TYPE,
    )


def lenient_date(text: pa.Array) -> pa.Array:
    """YYYY-MM-DD cells as dates; blank and anything else (including 2025-02-30) NULL."""
    values = _blank_to_null(text)
    ok = pc.match_substring_regex(values, _ISO_DATE)
    candidates = pc.if_else(ok, values, pa.scalar(None, pa.string()))
    parsed = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
    # Arrow rolls impossible days over (2025-11-31 -> 2025-12-01): keep only round trips
    shown = pc.strftime(parsed, format="%Y-%m-%d")
    parsed = pc.if_else(pc.equal(shown, candidates), parsed, pa.scalar(None, parsed.type))
    return pc.cast(parsed, pa.date32())


def _key_part(typed: pa.Array, text: pa.Array) -> pa.Array:
    """The typed value as text where it parsed, else the trimmed cell ('' when blank)."""
    if pa.types.is_date32(typed.type):
        shown = pc.strftime(pc.cast(typed, pa.timestamp("s")), format="%Y-%m-%d")
    else:
        shown = pc.cast(typed, pa.string())
    return pc.fill_null(pc.coalesce(shown, _blank_to_null(text)), "")


def parse_performance(sheet: RawSheet) -> tuple[pa.Table, dict[str, str]]:
    """Typed performance columns, the cells as delivered, extra columns as text, the row key."""
    positions = match_columns(sheet, PERFORMANCE_SPEC)
    n = sheet.num_rows
    headers = {name: sheet.headers[index] for name, index in positions.items()}

    def cells(name: str) -> pa.Array:
        if name not in positions:
            return pa.nulls(n, pa.string())
        return sheet.table.column(positions[name]).combine_chunks()

    arrays: dict[str, pa.Array] = {}
    texts: dict[str, pa.Array] = {}
    for name, kind in PARSED.items():
        texts[name] = cells(name)
        if name not in positions:
            arrays[name] = pa.nulls(n, _ARROW_TYPES[kind])
        elif kind == "date":
            arrays[name] = lenient_date(texts[name])
        else:
            arrays[name] = lenient_number(texts[name], kind)
    for name in PLAIN_TEXT:
        arrays[name] = cells(name)

    geography = pc.utf8_upper(pc.fill_null(pc.utf8_trim_whitespace(arrays["geography"]), ""))
    device = pc.utf8_lower(pc.fill_null(pc.utf8_trim_whitespace(arrays["device_type"]), ""))
    row_key = pc.binary_join_element_wise(
        _key_part(arrays["creative_id"], texts["creative_id"]),
        _key_part(arrays["date"], texts["date"]),
        _key_part(arrays["hour"], texts["hour"]),
        geography,
        device,
        "|",
    )

    ordered = {
        "creative_id": arrays["creative_id"],
        "date": arrays["date"],
        "hour": arrays["hour"],
        "geography": arrays["geography"],
        "device_type": arrays["device_type"],
        "placement": arrays["placement"],
        "impressions": arrays["impressions"],
        "clicks": arrays["clicks"],
        "spend": arrays["spend"],
        **{f"{name}_text": texts[name] for name in PARSED},
    }
    # columns the layout does not know are kept as text so nothing the bidder sent is lost
    ordered.update(
        extra_columns(sheet, set(positions.values()), set(ordered) | set(PERFORMANCE_COLUMNS))
    )
    ordered["row_key"] = row_key
    fields = [
        pa.field(name, array.type, nullable=name != "row_key") for name, array in ordered.items()
    ]
    return pa.Table.from_arrays(list(ordered.values()), schema=pa.schema(fields)), headers


def parse_catalog(sheet: RawSheet) -> pa.Table:
    """The catalog typed; refuses the file on a blank required cell or a repeated creative_id."""
    table = type_columns(sheet, CATALOG_SPEC, keep_extra=False)
    positions = match_columns(sheet, CATALOG_SPEC)
    for name in ("creative_id", "client_id", "creative_name", "campaign_name"):
        column = table.column(name)
        blank = pc.is_null(column) if name == "creative_id" else pc.is_null(_blank_to_null(column))
        if pc.any(blank).as_py():
            i = pc.index(blank, True).as_py()
            raise FileRejected(
                sheet.file_name,
                "a catalog row needs a creative_id, client_id, creative_name and campaign_name",
                row=sheet.row_numbers[i].as_py(),
                column=sheet.headers[positions[name]],
            )
    ids = table.column("creative_id").to_pylist()
    if len(set(ids)) != len(ids):
        seen: dict[int, int] = {}
        for i, creative_id in enumerate(ids):
            if creative_id in seen:
                first = sheet.row_numbers[seen[creative_id]].as_py()
                raise FileRejected(
                    sheet.file_name,
                    f"creative_id {creative_id} is listed twice (first in row {first})",
                    row=sheet.row_numbers[i].as_py(),
                    column=sheet.headers[positions["creative_id"]],
                )
            seen[creative_id] = i
    return table.cast(
        pa.schema(
            [
                pa.field(f.name, f.type, nullable=f.name not in ("creative_id", "client_id"))
                for f in table.schema
            ]
        )
    )
