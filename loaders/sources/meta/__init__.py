"""Meta Marketing API: ad-level daily insights through asynchronous report jobs ->
`raw_meta.ad_daily` (ad x day) and `raw_meta.ad_country_daily` (ad x day x country).

A run, per client: look up the ad account (currency, timezone: Meta's days are the account's
days), run the ad x day jobs and then the country jobs for the days (jobs.py), type the rows
(rows.py) and load every fully fetched day with dlt merge / delete-insert on
(client_id, report_date): a fetched client-day replaces the stored one whole, an ad gone from
the day is gone from raw, and a day that came back empty is emptied. A day is loaded only when
both its ad and its country rows arrived. `--date D` (or yesterday) re-fetches the
`attribution_lookback_days` days ending on D, because Meta restates attributed conversions for
weeks; `--from/--to` fetch exactly the range. Days a previous run left pending are taken up.
Every (client, day) attempt goes to the ingestion log.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError
from loaders.core.pipeline import (
    append_lineage,
    constant,
    merge_resource,
    run_arrow,
    source_pipeline,
)
from loaders.sources.meta.api import ApiError, MetaApi, Throttled, TokenInvalid
from loaders.sources.meta.jobs import InsightsJobs, RangeResult, chunks, span
from loaders.sources.meta.settings import (
    MAX_HISTORY_MONTHS,
    MetaClient,
    MetaSettings,
    load_settings,
)

log = logging.getLogger("adwh.meta")

SOURCE = "meta"
AD_TABLE, COUNTRY_TABLE = "ad_daily", "ad_country_daily"
MERGE_KEY = ("client_id", "report_date")
LINEAGE_COLUMNS = {
    "client_id": {"data_type": "text", "nullable": False},
    "report_date": {"data_type": "date", "nullable": False},
    "ad_account_id": {"data_type": "text", "nullable": False},
    "account_name": {"data_type": "text", "nullable": True},
    "account_currency": {"data_type": "text", "nullable": True},
    "account_timezone": {"data_type": "text", "nullable": True},
    "report_run_id": {"data_type": "text", "nullable": False},
    "attribution_windows": {"data_type": "text", "nullable": False},
    "source_row_number": {"data_type": "bigint", "nullable": False},
    "loaded_at": {"data_type": "timestamp", "nullable": False},
}

__all__ = ["MetaClient", "MetaOutcome", "MetaSettings", "load", "load_settings", "target_days"]


class RangeRefused(AdwhError):
    exit_code = 2


def oldest_allowed(today: dt.date) -> dt.date:
    """The first day Meta still has: `MAX_HISTORY_MONTHS` months before today."""
    months = today.year * 12 + today.month - 1 - MAX_HISTORY_MONTHS
    year, month = divmod(months, 12)
    for day in (today.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def target_days(
    days: list[dt.date], *, refetch: bool, lookback: int, today: dt.date
) -> list[dt.date]:
    """The days to fetch: each day plus the `lookback - 1` before it for a daily run. Refuses
    dates Meta no longer keeps, before anything is requested."""
    wanted = set(days)
    if refetch:
        wanted = {d - dt.timedelta(days=i) for d in days for i in range(lookback)}
    first = oldest_allowed(today)
    too_old = sorted(d for d in wanted if d < first)
    if too_old:
        raise RangeRefused(
            f"Meta keeps insights for {MAX_HISTORY_MONTHS} months: {span(too_old[0], too_old[-1])}"
            f" is before {first}; ask for {first} or later"
        )
    return sorted(wanted)


@dataclass
class DayResult:
    client_id: str
    day: dt.date
    status: str
    report_ids: str | None = None
    rows: int = 0
    country_rows: int = 0
    message: str = ""
    load_id: str | None = None
    started_at: dt.datetime = field(default_factory=ingestion_log.utcnow)

    def line(self) -> str:
        if self.status == "loaded":
            return (
                f"{self.day} {self.client_id}: loaded {self.rows:,} ad rows and "
                f"{self.country_rows:,} country rows ({self.report_ids})"
            )
        return f"{self.day} {self.client_id}: {self.status}: {self.message}".rstrip()


@dataclass
class MetaOutcome:
    results: list[DayResult]
    errors: list[str] = field(default_factory=list)  # client-level refusals (token, parameter)

    def problem(self) -> str | None:
        bad = [r for r in self.results if r.status != "loaded"]
        if not bad and not self.errors:
            return None
        counts: dict[str, int] = {}
        for r in bad:
            counts[r.status] = counts.get(r.status, 0) + 1
        detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        parts = list(self.errors)
        parts.append(f"{len(bad)} of {len(self.results)} day(s) not loaded ({detail})")
        pending: dict[str, list[dt.date]] = {}
        for r in bad:
            if r.status == "pending":
                pending.setdefault(r.client_id, []).append(r.day)
        if pending:
            names = "; ".join(
                f"{c} " + ", ".join(span(a, b) for a, b in chunks(d, 10**6))
                for c, d in pending.items()
            )
            parts.append(f"pending: {names}; the next run picks them up")
        reasons = list(dict.fromkeys(r.message for r in bad if r.message))
        reasons = [m for m in reasons if m not in self.errors]
        if reasons:
            more = f" (+{len(reasons) - 2} more)" if len(reasons) > 2 else ""
            parts.append("; ".join(reasons[:2]) + more)
        return "; ".join(parts)


def pending_days(url: str, client_id: str) -> list[dt.date]:
    """Days whose latest Meta attempt for the client was left pending."""
    from loaders.warehouse.database import connect

    ingestion_log.ensure_schema(url)
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"""select report_date from (
                    select distinct on (report_date) report_date, status
                    from {ingestion_log.SCHEMA}.ingestion_log
                    where source = %s and client_id = %s and report_date is not null
                    order by report_date, log_id desc) as latest
                where status = 'pending'""",
            (SOURCE, client_id),
        )
        return [row[0] for row in cur.fetchall()]


def load(
    url: str,
    client_ids: list[str],
    days: list[dt.date],
    settings: MetaSettings | None = None,
    *,
    refetch: bool = False,
    max_wait: float = 0.0,
    poll_timeout: float | None = None,
    today: dt.date | None = None,
    echo: Callable[[str], None] = print,
) -> MetaOutcome:
    """Fetch and load Meta insights for every client and day (see the module docstring)."""
    client_ids = list(dict.fromkeys(client_ids))
    settings = settings or load_settings(client_ids)
    today = today or ingestion_log.utcnow().date()
    wanted = target_days(
        days, refetch=refetch, lookback=settings.attribution_lookback_days, today=today
    )
    timeout = settings.poll_timeout if poll_timeout is None else poll_timeout
    run_id, loaded_at = ingestion_log.new_run_id(), ingestion_log.utcnow()
    outcome = MetaOutcome([])
    fetched: list[_Fetched] = []
    for client_id in client_ids:
        client = settings.client(client_id)
        resumed = [d for d in pending_days(url, client_id) if d >= oldest_allowed(today)]
        client_days = sorted(set(wanted) | set(resumed))
        echo(
            f"meta {client_id} ({client.ad_account_id}): {len(client_days)} day(s) "
            f"{', '.join(span(a, b) for a, b in chunks(client_days, 10**6))}"
            + (f" ({len(set(resumed) - set(wanted))} left pending earlier)" if resumed else "")
        )
        fetched.append(_fetch_client(settings, client, client_days, max_wait, timeout, outcome))
    _load(url, fetched, loaded_at, settings, outcome)
    ingestion_log.record(url, run_id, [_entry(r) for r in outcome.results])
    for result in outcome.results:
        echo(result.line())
    return outcome


@dataclass
class _Fetched:
    client: MetaClient
    account: dict
    days: list[dt.date]
    ad: RangeResult
    country: RangeResult
    stopped: str | None = None  # why fetching stopped early (throttled, token, parameter)
    stop_status: str = "failed"


def _fetch_client(settings, client, days, max_wait, timeout, outcome) -> _Fetched:
    api = MetaApi(settings, client, max_wait=max_wait)
    fetched = _Fetched(client, {}, days, RangeResult(), RangeResult())
    try:
        fetched.account = api.get(
            client.ad_account_id, {"fields": "currency,timezone_name,name"}, "the ad account"
        )
        InsightsJobs(api, timeout, None).run(days, fetched.ad)
        ready = sorted(fetched.ad.report_of)
        InsightsJobs(api, timeout, "country").run(ready, fetched.country)
    except Throttled as exc:
        fetched.stopped, fetched.stop_status = str(exc), "pending"
    except TokenInvalid as exc:
        fetched.stopped = str(exc)
        outcome.errors.append(str(exc))
    except ApiError as exc:
        fetched.stopped = str(exc)
        outcome.errors.append(f"{client.client_id}: {exc}")
    finally:
        api.close()
    return fetched


def _load(url, fetched: list[_Fetched], loaded_at, settings, outcome: MetaOutcome) -> None:
    tables: list[pa.Table] = []
    pending: list[DayResult] = []
    for f in fetched:
        cid = f.client.client_id
        complete = set() if f.stopped and f.stop_status == "failed" else set(f.country.report_of)
        complete &= set(f.ad.report_of)
        counts = {}
        for kind, result in (("ad", f.ad), ("country", f.country)):
            kept = _with_lineage(result.tables, complete, f, settings, loaded_at)
            counts[kind] = _rows_by_day(kept)
            tables.extend(kept)
        for day in f.days:
            if day in complete:
                ids = f"ad report {f.ad.report_of[day]}, country report {f.country.report_of[day]}"
                r = DayResult(
                    cid,
                    day,
                    "loaded",
                    ids,
                    counts["ad"].get(day, 0),
                    counts["country"].get(day, 0),
                    started_at=loaded_at,
                )
            else:
                status, message = _not_loaded(f, day)
                r = DayResult(cid, day, status, message=message, started_at=loaded_at)
            (pending if r.status == "loaded" else outcome.results).append(r)
    load_id = None
    if tables:
        try:
            load_id = run_arrow_pair(url, tables)
        except AdwhError as exc:
            for r in pending:
                r.status, r.message, r.rows, r.country_rows = "failed", str(exc), 0, 0
            outcome.results.extend(pending)
            return
    _delete_emptied_days(url, pending)
    for r in pending:
        r.load_id = load_id
    outcome.results.extend(pending)
    outcome.results.sort(key=lambda r: (r.client_id, r.day))


def _not_loaded(f: _Fetched, day: dt.date) -> tuple[str, str]:
    for result in (f.ad, f.country):
        if day in result.failed:
            return "failed", result.failed[day]
        if day in result.pending:
            return "pending", result.pending[day]
    if f.stopped:
        return f.stop_status, f.stopped
    return "failed", "no report covered this day"


def _with_lineage(tables, days, f: _Fetched, settings, loaded_at) -> list[pa.Table]:
    out = []
    wanted = pa.array(sorted(days), pa.date32())
    for table in tables:
        table = table.filter(pc.is_in(table["report_date"], value_set=wanted))
        n = table.num_rows
        if not n:
            continue
        account = f.account
        values = {
            "client_id": f.client.client_id,
            "ad_account_id": f.client.ad_account_id,
            "account_name": account.get("name"),
            "account_currency": account.get("currency"),
            "account_timezone": account.get("timezone_name"),
            "attribution_windows": ",".join(settings.action_attribution_windows),
        }
        columns = {k: constant(v, pa.string(), n) for k, v in values.items()}
        columns["loaded_at"] = constant(loaded_at, pa.timestamp("us", tz="UTC"), n)
        table = append_lineage(table, LINEAGE_COLUMNS, columns)
        required = {"report_date", "report_run_id", "source_row_number"}
        schema = pa.schema(
            [f.with_nullable(False) if f.name in required else f for f in table.schema]
        )
        out.append(table.cast(schema))
    return out


def _rows_by_day(tables: list[pa.Table]) -> dict[dt.date, int]:
    counts: dict[dt.date, int] = {}
    for table in tables:
        for item in pc.value_counts(table["report_date"]):
            day = item["values"].as_py()
            counts[day] = counts.get(day, 0) + item["counts"].as_py()
    return counts


_ad_resource = merge_resource(AD_TABLE, MERGE_KEY, LINEAGE_COLUMNS)
_country_resource = merge_resource(COUNTRY_TABLE, MERGE_KEY, LINEAGE_COLUMNS)


def _resources(tables: list[pa.Table]) -> list:
    ad = [t for t in tables if "country" not in t.column_names]
    country = [t for t in tables if "country" in t.column_names]
    made = []
    if ad:
        made.append(_ad_resource(ad))
    if country:
        made.append(_country_resource(country))
    return made


def run_arrow_pair(url: str, tables: list[pa.Table]) -> str:
    with source_pipeline(SOURCE, url) as pipeline:
        return run_arrow(pipeline, _resources, tables).load_id


def _delete_emptied_days(url: str, results: list[DayResult]) -> None:
    """A loaded day with no rows in a table must not keep that table's old rows."""
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        for table, attr in ((AD_TABLE, "rows"), (COUNTRY_TABLE, "country_rows")):
            empty = [(r.client_id, r.day) for r in results if getattr(r, attr) == 0]
            cur.execute("select to_regclass(%s)", (f"raw_meta.{table}",))
            if not empty or cur.fetchone()[0] is None:
                continue
            cur.executemany(
                f"delete from raw_meta.{table} where client_id = %s and report_date = %s", empty
            )
        for table in (AD_TABLE, COUNTRY_TABLE):
            cur.execute("select to_regclass(%s)", (f"raw_meta.{table}",))
            if cur.fetchone()[0] is not None:
                cur.execute(
                    f"create index if not exists {table}_client_day "
                    f"on raw_meta.{table} (client_id, report_date)"
                )


def _entry(r: DayResult) -> ingestion_log.LogEntry:
    return ingestion_log.LogEntry(
        source=SOURCE,
        status=r.status,
        client_id=r.client_id,
        report_date=r.day,
        object_key=r.report_ids,
        rows_loaded=r.rows if r.status == "loaded" else None,
        message=r.message or None,
        load_id=r.load_id,
        started_at=r.started_at,
    )
