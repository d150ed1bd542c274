"""Facebook Ads Manager uploads (CSV/XLSX) -> `raw_facebook.ad_daily` + `raw_facebook.uploads`.

People export a report from Ads Manager and hand the file over:
`adwh load facebook FILE [FILE ...] --client C`. Each file is checked on its own and is either
loaded whole or refused whole (nothing of a refused file lands):

- size first (`max_upload_mb`, before a byte is read), then the name must end in .csv/.xlsx;
- the same bytes (SHA-256) already loaded for the client: a no-op, "already loaded on ...";
- header: Ads Manager's (`Reporting starts`, `Reporting ends`, `Day`, `Campaign name`,
  `Ad set name`, `Ad name`, `Impressions`, `Link clicks`, `Amount spent (USD)`, `Results`, ...)
  or the plain template (`Date, Campaign Name, Ad Set Name, Ad Name, Impressions, Clicks,
  Conversions, Revenue`); matching ignores case and spacing, every column is kept;
- daily grain: a `Day`/`Date` column, or `Reporting starts` = `Reporting ends` on every row;
  a period export is refused (it cannot be spread over days);
- summary rows (no campaign, ad set or ad name, or a "Total" line) are skipped and counted;
  a data row missing a name is loaded (staging quarantines it: missing_campaign_name, ...).

Measures are chosen per file and the choice is recorded on every row (`clicks_column`, ...):
clicks = `Clicks`, else `Link clicks`, else `Clicks (all)`; conversions = `Conversions`, else
`Results`; revenue = `Revenue`, else a purchase conversion value column; media cost = `Amount
spent (<CUR>)` with the currency code from the header. Staging reads the recorded choice.

A loaded file replaces the client's rows for the days it covers: dlt `merge` /
`delete-insert` on (client_id, report_date). Every attempt gets a row in the uploads registry
and in the ingestion log. The file's name is kept as data only; no path is ever built from it.

Modules: settings (names, `[sources.facebook]`), layout (known columns, the measure choice),
parsing (summary rows, days), registry (`raw_facebook.uploads`), upload (one file, one run).
"""

from loaders.sources.facebook.layout import (
    COLUMN_HINTS,
    LINEAGE_COLUMNS,
    SPEC,
    Layout,
    file_spec,
    looks_like_header,
)
from loaders.sources.facebook.parsing import ParsedFile, parse
from loaders.sources.facebook.registry import UPLOADS_DDL, ensure_registry
from loaders.sources.facebook.settings import (
    DATASET,
    MERGE_KEY,
    SOURCE,
    TABLE,
    FacebookSettings,
    load_settings,
)
from loaders.sources.facebook.upload import UploadResult, load, raise_on_failures, upload_file

__all__ = [
    "COLUMN_HINTS",
    "DATASET",
    "LINEAGE_COLUMNS",
    "MERGE_KEY",
    "SOURCE",
    "SPEC",
    "TABLE",
    "UPLOADS_DDL",
    "FacebookSettings",
    "Layout",
    "ParsedFile",
    "UploadResult",
    "ensure_registry",
    "file_spec",
    "load",
    "load_settings",
    "looks_like_header",
    "parse",
    "raise_on_failures",
    "upload_file",
]
