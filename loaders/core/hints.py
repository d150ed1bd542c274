"""dlt column hints written compactly: `column_hints("a text!, b bigint, c decimal")`."""

from __future__ import annotations

DECIMAL_HINT = {"precision": 38, "scale": 12}  # the Arrow decimal of tabular.DECIMAL_TYPE


def column_hints(spec: str) -> dict[str, dict]:
    """`"name type, ..."` -> {name: dlt column hint}, in order. A type ending in `!` is not
    nullable; `decimal` is decimal(38, 12)."""
    hints: dict[str, dict] = {}
    for item in spec.split(","):
        name, data_type = item.split()
        hint = {"data_type": data_type.rstrip("!"), "nullable": not data_type.endswith("!")}
        if hint["data_type"] == "decimal":
            hint.update(DECIMAL_HINT)
        hints[name] = hint
    return hints
