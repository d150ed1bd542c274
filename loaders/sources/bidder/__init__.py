"""Bidder creative performance: catalog + performance files -> `raw_bidder` (source bidder).

Two kinds of file, two raw tables (`adwh load bidder [--catalog FILE] FILE ...`):

- a catalog -> `raw_bidder.creatives`: which client and campaign each bidder creative_id
  belongs to. A catalog is reference data: a file with a bad row (a creative_id that is not a
  whole number, a blank client, a creative_id listed twice) is refused whole. Loading replaces
  the catalog of every client the file names (dlt merge / delete-insert on client_id).
- a performance file -> `raw_bidder.creative_performance`: one row per file row. The key is
  (creative_id, date, hour, geography, device_type); an absent hour, geography or device (no
  such column, or a blank cell) is a value of its own. Rows are merged on that key (dlt merge
  / delete-insert on `row_key`): a re-imported key replaces the stored row, so a corrected
  export wins and importing a file twice changes nothing.

Unlike Surfside, a malformed cell does not refuse the file: every parsed column keeps the cell
as delivered (`<column>_text`) beside a typed column that is NULL when the cell cannot be read.
Staging (`stg_bidder__creative_performance`) flags such rows (`malformed_<column>`) with
the other rules, and `dq_quarantine` holds them. Only file-level problems refuse a file
(unreadable, not CSV/XLSX, empty, a required column missing, over `max_file_mb`).

Each file's import summary (accepted / rejected rows, each rejection with row, column and
reason) applies the staging rules to the file's own rows and the stored catalog - no dbt run,
no view over the history (rules.py, summary.py).

Modules: settings (names, `[sources.bidder]`), parsing (layouts, lenient typing), files (one
file read with lineage, its result), rules + summary (the import summary), load (dlt loads).
"""

from loaders.sources.bidder.files import FileResult, Rejection, read_file
from loaders.sources.bidder.load import load_catalog, load_performance
from loaders.sources.bidder.parsing import (
    CATALOG_COLUMNS,
    CATALOG_SPEC,
    PERFORMANCE_COLUMNS,
    PERFORMANCE_SPEC,
    lenient_date,
    lenient_number,
    parse_catalog,
    parse_performance,
)
from loaders.sources.bidder.settings import (
    CATALOG_TABLE,
    DATASET,
    PERFORMANCE_TABLE,
    SOURCE,
    PerformanceSettings,
    load_settings,
)

__all__ = [
    "CATALOG_COLUMNS",
    "CATALOG_SPEC",
    "CATALOG_TABLE",
    "DATASET",
    "PERFORMANCE_COLUMNS",
    "PERFORMANCE_SPEC",
    "PERFORMANCE_TABLE",
    "SOURCE",
    "FileResult",
    "PerformanceSettings",
    "Rejection",
    "lenient_date",
    "lenient_number",
    "load_catalog",
    "load_performance",
    "load_settings",
    "parse_catalog",
    "parse_performance",
    "read_file",
]
