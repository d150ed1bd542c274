"""Partner warehouse: platform-buy daily impressions and video metrics over SQL ->
`raw_partner.{impressions, videos, media_buys}`.

A run (`adwh load partner [--client C] [--from D1 --to D2]`):
1. connects to the partner's warehouse (any SQLAlchemy URL) and reflects its three tables: a
   missing table or column is named before anything is read;
2. reads the media buys whole (reference data; replaced in raw every run) - they say which
   client each media buy belongs to, so `--client` reads only that client's media buys (and
   the media buys the partner has not listed yet, which go to the quarantine downstream);
3. reads impressions and videos through dlt's `sql_database` source as Arrow batches, from the
   restatement window on (resources.py), and replaces that window in raw in one transaction;
4. writes one ingestion-log line per client and day of the window.
A connection error (refused, dropped mid-read) is retried `max_attempts` times: nothing was
loaded and dlt's incremental state only moves with a successful load, so a retry - or the
next run after an interrupted one - reads the same window again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from loaders.core import ingestion_log
from loaders.core.errors import AdwhError, ConfigError, redact
from loaders.core.pipeline import source_pipeline
from loaders.sources.partner import resources, tables
from loaders.sources.partner.settings import PartnerSettings, create_engine, load_settings

log = logging.getLogger("adwh.partner")

SOURCE = "partner"
METRICS = ("impressions", "videos")


@dataclass
class PartnerOutcome:
    windows: dict[str, resources.Window]
    media_buys: int
    load_id: str | None
    clients: list[str] | None
    log_entries: list[ingestion_log.LogEntry] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # extract, normalize, load

    @property
    def rows(self) -> int:
        return sum(w.rows for w in self.windows.values())

    def unknown_buys(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for window in self.windows.values():
            for buy, n in window.unknown_buys.items():
                merged[buy] = merged.get(buy, 0) + n
        return merged


def _span(start: dt.date | None, end: dt.date | None) -> str:
    return f"{start or 'the first day'}..{end or 'the newest day'}"


def _describe(name: str, window: resources.Window, backfill: bool, lookback: int) -> str:
    if backfill:
        how = f"backfill {_span(window.start, window.end)} (incremental state untouched)"
    elif window.start is None:
        how = "first sync: whole history"
    else:
        how = f"{lookback}-day restatement window from {window.start}"
    days = f", days {window.first_day}..{window.last_day}" if window.first_day else ""
    return f"partner {name}: {how}: {window.rows:,} rows{days}; those days replaced in raw"


def load(
    url: str,
    clients: list[str] | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
    settings: PartnerSettings | None = None,
    echo: Callable[[str], None] = print,
) -> PartnerOutcome:
    """Sync the partner's metrics into raw_partner (module docstring). `clients` None: all."""
    if (first is None) != (last is None):
        raise ConfigError("--from and --to go together")
    if first is not None and last < first:
        raise ConfigError(f"--from {first} is after --to {last}")
    settings = settings or load_settings()
    clients = list(dict.fromkeys(clients)) if clients else None
    run_id = ingestion_log.new_run_id()
    started = ingestion_log.utcnow()
    engine = create_engine(settings)
    try:
        outcome = _run(url, engine, settings, clients, first, last, started)
    except AdwhError as exc:
        _record_failure(url, run_id, clients, started, str(exc), settings)
        raise
    finally:
        engine.dispose()
    ingestion_log.record(url, run_id, outcome.log_entries)
    backfill = first is not None
    for name in METRICS:
        echo(_describe(name, outcome.windows[name], backfill, settings.lookback_days))
    echo(f"partner media_buys: {outcome.media_buys:,} media buys (replaced whole)")
    unknown = outcome.unknown_buys()
    if unknown:
        shown = ", ".join(sorted(unknown)[:5]) + (" ..." if len(unknown) > 5 else "")
        echo(
            f"partner: {sum(unknown.values()):,} row(s) of {len(unknown)} media buy(s) not in "
            f"{settings.where(settings.media_buys_table)} ({shown}): loaded, and quarantined "
            "downstream as unknown_media_buy until the partner lists them"
        )
    return outcome


def _attempts(settings: PartnerSettings, what: Callable):
    """Run `what()`, retrying connection errors with backoff."""
    for attempt in range(1, settings.max_attempts + 1):
        try:
            return what()
        except Exception as exc:
            cause = tables.connection_error(exc)
            if cause is None:
                raise
            if attempt == settings.max_attempts:
                raise tables.unreachable(settings, cause, attempt) from None
            delay = settings.retry_backoff * 2 ** (attempt - 1)
            log.warning(
                "partner warehouse: %s; retry %d/%d in %.0f s",
                tables.first_line(cause),
                attempt,
                settings.max_attempts - 1,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _run(url, engine, settings, clients, first, last, started) -> PartnerOutcome:
    metadata = _attempts(settings, lambda: tables.reflect(engine, settings))
    buys_table = _attempts(
        settings, lambda: resources.media_buy_rows(engine, metadata, settings, started)
    )
    buys = resources.MediaBuys(buys_table, clients)
    if clients:
        missing = [c for c in clients if c not in buys.all_clients]
        if missing:
            known = ", ".join(buys.all_clients) or "none"
            raise ConfigError(
                f"client(s) {', '.join(missing)} have no media buys in "
                f"{settings.where(settings.media_buys_table)} (clients there: {known})"
            )
    seconds: dict[str, float] = {}
    with source_pipeline(SOURCE, url) as pipeline:
        clock = time.perf_counter()
        windows = _attempts(
            settings, lambda: _extract(pipeline, engine, metadata, settings, buys, first, last)
        )
        seconds["extract"] = time.perf_counter() - clock
        load_id = _normalize_and_load(pipeline, seconds)
    outcome = PartnerOutcome(windows, buys_table.num_rows, load_id, clients, seconds=seconds)
    outcome.log_entries = _log_entries(outcome, buys, first, last, started, settings)
    return outcome


def _extract(pipeline, engine, metadata, settings, buys, first, last):
    import dlt
    from dlt.pipeline.exceptions import PipelineStepFailed

    windows = {name: resources.Window(name) for name in METRICS}
    loaded_at = buys.table.column("loaded_at")[0].as_py() if buys.table.num_rows else None
    loaded_at = loaded_at or ingestion_log.utcnow()

    @dlt.source(name=SOURCE, max_table_nesting=0)
    def partner():
        yield resources.media_buys_resource(buys.table)
        for name in METRICS:
            yield resources.metrics_resource(
                engine, metadata, settings, name, buys, windows[name], loaded_at, first, last
            )

    try:
        pipeline.extract(partner(), loader_file_format="parquet")
    except PipelineStepFailed:
        pipeline.drop_pending_packages()
        raise
    return windows


def _normalize_and_load(pipeline, seconds: dict[str, float]) -> str | None:
    from dlt.pipeline.exceptions import PipelineStepFailed

    try:
        clock = time.perf_counter()
        pipeline.normalize()
        seconds["normalize"] = time.perf_counter() - clock
        clock = time.perf_counter()
        info = pipeline.load()
        seconds["load"] = time.perf_counter() - clock
    except PipelineStepFailed as exc:
        pipeline.drop_pending_packages()
        raise AdwhError(
            f"load into raw_partner failed at the {exc.step} step: "
            f"{redact(str(exc.__cause__ or exc))}"
        ) from None
    return info.loads_ids[-1] if info.loads_ids else None


def _log_entries(outcome, buys, first, last, started, settings) -> list:
    """One line per client and day of the window (0 rows for a day with none: the day was read
    and is empty), one per day for rows of unknown media buys."""
    counts: dict[tuple, int] = {}
    for window in outcome.windows.values():
        for key, n in window.by_client_day.items():
            counts[key] = counts.get(key, 0) + n
    starts = [w.start or w.first_day for w in outcome.windows.values()]
    ends = [w.end or w.last_day for w in outcome.windows.values()]
    starts, ends = [d for d in starts if d], [d for d in ends if d]
    entries = []
    key = "+".join(
        settings.where(tables.partner_table(settings, name)) for name in (*METRICS, "media_buys")
    )
    common = {"source": SOURCE, "status": "loaded", "object_key": key}
    common.update(load_id=outcome.load_id, started_at=started)
    if starts and ends:
        days = [
            min(starts) + dt.timedelta(days=i) for i in range((max(ends) - min(starts)).days + 1)
        ]
        span = f"{days[0]}..{days[-1]}"
        named = set(outcome.clients or []) | {c for c, _ in counts if c is not None}
        for client in sorted(named):
            for day in days:
                entries.append(
                    ingestion_log.LogEntry(
                        **common,
                        client_id=client,
                        report_date=day,
                        object_version=span,
                        rows_loaded=counts.get((client, day), 0),
                    )
                )
    for (client, day), n in sorted(counts.items(), key=lambda kv: str(kv[0][1])):
        if client is None:
            entries.append(
                ingestion_log.LogEntry(
                    **common,
                    report_date=day,
                    rows_loaded=n,
                    message=f"{n} rows of media buys not in {settings.media_buys_table}",
                )
            )
    return entries


def _record_failure(url, run_id, clients, started, message, settings) -> None:
    try:
        ingestion_log.record(
            url,
            run_id,
            [
                ingestion_log.LogEntry(
                    source=SOURCE,
                    status="failed",
                    client_id=client,
                    object_key=settings.where(settings.impressions_table),
                    message=message,
                    started_at=started,
                )
                for client in (clients or [None])
            ],
        )
    except Exception as exc:  # the warehouse itself may be what failed
        log.warning("could not write the ingestion log: %s", redact(str(exc)))
