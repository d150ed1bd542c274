"""The run's dbt steps: an incremental `dbt build` and `dbt source freshness`, each read back
from the artefact dbt writes (run_results.json, sources.json) for the alerts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from loaders.core.errors import redact
from loaders.ops.record import Step
from loaders.warehouse.dbt_runner import run_dbt, target_dir

BAD_BUILD = ("fail", "error", "warn", "runtime error")
BAD_FRESHNESS = ("warn", "error", "runtime error")


@dataclass
class DbtOutcome:
    step: Step
    results: list[dict] = field(default_factory=list)


def build(url: str, build_args: list[str], verbose: bool) -> DbtOutcome:
    """`dbt build` with the run's arguments (schedule.build_args)."""
    args = ["build", *build_args, *_quiet(verbose)]
    outcome = _invoke("dbt build", args, url, "run_results.json")
    counts: dict[str, int] = {}
    for r in outcome.results:
        counts[r.get("status", "?")] = counts.get(r.get("status", "?"), 0) + 1
    if outcome.results:
        shown = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        outcome.step.detail = f"{len(outcome.results)} nodes ({shown})"
    return outcome


def loaded_sources(url: str) -> list[str]:
    """Registry sources with a raw schema: a source this warehouse never loaded is not stale,
    it is unused (its freshness query would fail on the missing table)."""
    from loaders.core.registry import sources
    from loaders.warehouse.database import connect

    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select nspname from pg_namespace where nspname like 'raw\\_%%'")
        schemas = {row[0] for row in cur.fetchall()}
    return [s.name for s in sources(enabled_only=True) if f"raw_{s.name}" in schemas]


def freshness(url: str, verbose: bool) -> DbtOutcome:
    names = loaded_sources(url)
    if not names:
        return DbtOutcome(Step("dbt source freshness", "skipped", detail="no source loaded yet"))
    select = ["--select", *(f"source:{name}" for name in names)]
    outcome = _invoke(
        "dbt source freshness",
        ["source", "freshness", *select, *_quiet(verbose)],
        url,
        "sources.json",
    )
    bad = [r for r in outcome.results if r.get("status") in BAD_FRESHNESS]
    if outcome.results:
        outcome.step.detail = f"{len(outcome.results)} sources checked, {len(bad)} stale"
    if any(r.get("status") != "warn" for r in bad):
        outcome.step.status = "failed"
    return outcome


def _quiet(verbose: bool) -> list[str]:
    return [] if verbose else ["--quiet"]


def _invoke(name: str, args: list[str], url: str, artefact: str) -> DbtOutcome:
    step = Step(name, "ok")
    try:
        result = run_dbt(args, url, check=False)
        if not result.success:
            step.status = "failed"
            if result.exception:
                step.detail = redact(str(result.exception)).splitlines()[0]
    except Exception as exc:  # dbt itself broke: the run goes on to the alerts
        step.status, step.detail = "failed", redact(f"{type(exc).__name__}: {exc}")
    return DbtOutcome(step, read_results(artefact, since=step.started_at))


def read_results(artefact: str, since: dt.datetime | None = None) -> list[dict]:
    """The results of a dbt artefact, or [] when it is missing or older than `since`."""
    path = target_dir() / artefact
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    generated = (data.get("metadata") or {}).get("generated_at")
    if since and generated:
        stamp = dt.datetime.fromisoformat(generated.replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        if stamp < since - dt.timedelta(seconds=1):
            return []
    return list(data.get("results") or [])
