"""Export lines -> Arrow record batches of `raw_mixpanel.events`, `batch_rows` at a time, so a
1 GB export never sits in memory: only the configured events' mapped properties are kept.

A line must carry `event`, `properties.time` (epoch seconds, or milliseconds when above
10^11) and `properties.distinct_id`; a revenue that is not a number is refused. A refused line
fails its range (nothing of the range is loaded) with the range, line number and property
named. Ids that arrive as JSON numbers are kept as text, so `123` and `"123"` meet.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from loaders.core.errors import AdwhError

TEXT_PROPERTIES = ("product_id", "country", "campaign_id", "adset_id", "ad_id")

SCHEMA = pa.schema(
    [
        pa.field("client_id", pa.string(), nullable=False),
        pa.field("report_date", pa.date32(), nullable=False),
        pa.field("project_id", pa.int64(), nullable=False),
        pa.field("event_role", pa.string(), nullable=False),
        pa.field("event_name", pa.string(), nullable=False),
        pa.field("distinct_id", pa.string(), nullable=False),
        pa.field("event_time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("insert_id", pa.string()),
        pa.field("product_id", pa.string()),
        pa.field("revenue", pa.float64()),
        pa.field("country_code", pa.string()),
        pa.field("campaign_id", pa.string()),
        pa.field("adset_id", pa.string()),
        pa.field("ad_id", pa.string()),
        pa.field("export_range", pa.string(), nullable=False),
        pa.field("source_row_number", pa.int64(), nullable=False),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

HINTS = {
    "client_id": {"data_type": "text", "nullable": False},
    "report_date": {"data_type": "date", "nullable": False},
    "project_id": {"data_type": "bigint", "nullable": False},
    "event_role": {"data_type": "text", "nullable": False},
    "event_name": {"data_type": "text", "nullable": False},
    "distinct_id": {"data_type": "text", "nullable": False},
    "event_time": {"data_type": "timestamp", "nullable": False},
    "insert_id": {"data_type": "text", "nullable": True},
    "product_id": {"data_type": "text", "nullable": True},
    "revenue": {"data_type": "double", "nullable": True},
    "country_code": {"data_type": "text", "nullable": True},
    "campaign_id": {"data_type": "text", "nullable": True},
    "adset_id": {"data_type": "text", "nullable": True},
    "ad_id": {"data_type": "text", "nullable": True},
    "export_range": {"data_type": "text", "nullable": False},
    "source_row_number": {"data_type": "bigint", "nullable": False},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
}


class LineRefused(AdwhError):
    """A line of the export the loader cannot use."""


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


@dataclass
class Batcher:
    """Turns (line number, event) pairs into record batches and counts rows per day."""

    client_id: str
    project_id: int
    roles: dict[str, str]  # event name -> role
    properties: dict[str, str]  # role -> property name
    timezone: str
    export_range: str
    loaded_at: dt.datetime
    batch_rows: int = 50_000
    per_day: dict[dt.date, int] = field(default_factory=dict)
    skipped: int = 0

    def __post_init__(self) -> None:
        self._zone = zoneinfo.ZoneInfo(self.timezone)
        self._columns: dict[str, list] = {f.name: [] for f in SCHEMA}

    def batches(self, lines: Iterator[tuple[int, dict]]) -> Iterator[pa.RecordBatch]:
        for number, item in lines:
            self._add(number, item)
            if len(self._columns["event_name"]) >= self.batch_rows:
                yield self._flush()
        if self._columns["event_name"]:
            yield self._flush()

    def _refuse(self, number: int, what: str) -> LineRefused:
        return LineRefused(
            f"client {self.client_id}, export {self.export_range}, line {number}: {what}; "
            "the range was not loaded"
        )

    def _add(self, number: int, item: dict) -> None:
        name = item.get("event")
        role = self.roles.get(name) if isinstance(name, str) else None
        if role is None:
            self.skipped += 1  # an event the `event` parameter should have kept away
            return
        props = item.get("properties")
        if not isinstance(props, dict):
            raise self._refuse(number, "no properties object")
        stamp = props.get("time")
        if isinstance(stamp, bool) or not isinstance(stamp, int | float):
            raise self._refuse(number, f"property time is not epoch seconds ({stamp!r})")
        seconds = stamp / 1000 if stamp > 10**11 else stamp
        when = dt.datetime.fromtimestamp(seconds, dt.UTC)
        distinct_id = _text(props.get("distinct_id"))
        if distinct_id is None:
            raise self._refuse(number, "property distinct_id is missing")
        revenue = props.get(self.properties["revenue"])
        if revenue is not None and revenue != "":
            try:
                revenue = float(revenue)
            except (TypeError, ValueError):
                raise self._refuse(
                    number,
                    f"property {self.properties['revenue']} (revenue) is not a number "
                    f"({revenue!r})",
                ) from None
        else:
            revenue = None
        day = when.astimezone(self._zone).date()
        self.per_day[day] = self.per_day.get(day, 0) + 1
        c = self._columns
        c["client_id"].append(self.client_id)
        c["report_date"].append(day)
        c["project_id"].append(self.project_id)
        c["event_role"].append(role)
        c["event_name"].append(name)
        c["distinct_id"].append(distinct_id)
        c["event_time"].append(when)
        c["insert_id"].append(_text(props.get("$insert_id")))
        for role_name in TEXT_PROPERTIES:
            column = "country_code" if role_name == "country" else role_name
            c[column].append(_text(props.get(self.properties[role_name])))
        c["revenue"].append(revenue)
        c["export_range"].append(self.export_range)
        c["source_row_number"].append(number)
        c["loaded_at"].append(self.loaded_at)

    def _flush(self) -> pa.RecordBatch:
        batch = pa.RecordBatch.from_pydict(self._columns, schema=SCHEMA)
        self._columns = {f.name: [] for f in SCHEMA}
        return batch
