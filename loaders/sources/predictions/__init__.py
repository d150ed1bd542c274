"""Model predictions: `adwh load predictions FILE` -> `raw_predictions.predictions`.

A file (CSV or JSON lines) is read and checked whole first (parsing.py): on a bad row nothing
is loaded and the error names the file, row and column. Rows are merged on prediction_id, so
re-loading a prediction replaces it. Predictions are not a spend source: they are not in the
source registry (dbt var adwh_sources), the union or the conservation test; dbt compares them
with the actuals in marts.mart_prediction_accuracy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from loaders.core.errors import FileRejected
from loaders.core.hints import column_hints
from loaders.core.pipeline import constant, merge_resource, run_arrow, source_pipeline
from loaders.sources.predictions.parsing import read_predictions

SOURCE = "predictions"
TABLE = "predictions"
COLUMNS = column_hints(
    "prediction_id text!, client_id text!, campaign text!, period_start date!, "
    "period_end date!, predicted_roas decimal, predicted_ctr decimal, model text!, "
    "created_at timestamp!, source_file text!, source_row bigint!, loaded_at timestamp!"
)
_resource = merge_resource(TABLE, ["prediction_id"], COLUMNS)


def load(url: str, path: str | Path, echo: Callable[[str], None] = print) -> int:
    """Load one predictions file; returns the rows loaded. FileRejected on a bad file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRejected(path.name, f"cannot be read: {exc.strerror}") from None
    table = read_predictions(data, path.name)
    rows = table.num_rows
    now = dt.datetime.now(dt.UTC)
    table = table.append_column("source_file", constant(path.name, pa.string(), rows))
    table = table.append_column(
        "loaded_at", pa.repeat(pa.scalar(now, pa.timestamp("us", "UTC")), rows)
    )
    with source_pipeline(SOURCE, url) as pipeline:
        outcome = run_arrow(pipeline, _resource, [table])
    echo(f"predictions: {rows:,} rows from {path.name} loaded into raw_{SOURCE}.{TABLE}")
    return outcome.rows or rows
