"""`adwh run`: the due loaders, an incremental `dbt build`, `dbt source freshness`, alerts.

Each loader runs as its own `adwh load <source>` process: one source's crash, hang-up or dlt
state never touches another's, and each writes its own audit row. A failed step is reported
and the run goes on; the exit code says whether anything failed.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from loaders.core.errors import AdwhError, redact
from loaders.core.ingestion_log import new_run_id, utcnow
from loaders.core.registry import sources
from loaders.ops import record, schedule
from loaders.ops.lock import run_lock
from loaders.ops.record import Step

CLIENT_DAY = "client_day"


@dataclass
class Options:
    day: dt.date | None = None
    force: bool = False
    dry_run: bool = False
    verbose: bool = False
    now: dt.datetime | None = None


def loader_command(source: str, clients: tuple[str, ...], day: dt.date | None) -> list[str]:
    cmd = [sys.executable, "-m", "loaders", "load", source]
    for client in clients:
        cmd += ["--client", client]
    return cmd + (["--date", day.isoformat()] if day else [])


def schedulable(shapes: dict[str, str]) -> list[str]:
    """Enabled registry sources, then client+day loaders outside the registry (sources that
    feed no spend, such as mixpanel): a disabled registry source is never scheduled."""
    registered = sources()
    names = [s.name for s in registered if s.enabled]
    known = {s.name for s in registered}
    return names + [n for n, shape in shapes.items() if shape == CLIENT_DAY and n not in known]


def plan(url: str | None, shapes: dict[str, str], opts: Options) -> list[schedule.Decision]:
    """The schedule's decisions; a file-drop source is never due (it has its own cron line)."""
    now = opts.now or utcnow()
    out = []
    for entry in schedule.read_schedule(schedulable(shapes)):
        if shapes.get(entry.source) != CLIENT_DAY:
            reason = (
                "not a client+day loader (file-drop source: give it files with "
                f"`adwh load {entry.source} FILE ...`)"
                if entry.source in shapes
                else "no `adwh load` command for it in this version"
            )
            out.append(schedule.Decision(entry, False, reason))
            continue
        last = record.last_success(url, f"load {entry.source}") if url else None
        forced = opts.force or opts.day is not None
        out.append(schedule.decide(entry, now, last, force=forced))
    return out


def execute(url: str, shapes: dict[str, str], opts: Options, echo: Callable[[str], None]) -> int:
    """Run everything due; 0 when every step succeeded, 1 otherwise."""
    decisions = plan(url, shapes, opts)
    if opts.dry_run:
        return _dry_run(decisions, opts, echo)
    with run_lock(url):
        return _run_locked(url, decisions, opts, echo)


def _dry_run(decisions: list[schedule.Decision], opts: Options, echo) -> int:
    if not decisions:
        echo("dry run: no source has [schedule.<source>] clients; only the build would run")
    for d in decisions:
        if d.due:
            cmd = " ".join(loader_command(d.entry.source, d.entry.clients, opts.day)[3:])
            echo(f"would run: adwh {cmd}  ({d.reason})")
        else:
            echo(f"not due:   load {d.entry.source}  ({d.reason})")
    echo(f"would run: {' '.join(['dbt build', *schedule.build_args()])}")
    echo("would run: dbt source freshness")
    echo("would run: deliver alerts")
    return 0


def _run_locked(url: str, decisions, opts: Options, echo) -> int:
    from loaders.ops import alerts, dbt_steps

    run_id = new_run_id()
    started = utcnow()
    record.start(url, run_id, started)
    echo(f"run {run_id} started {started:%Y-%m-%d %H:%M:%S} UTC")
    steps: list[Step] = []

    def done(step: Step) -> None:
        step.finished_at = utcnow()
        steps.append(step)
        echo(f"  {step.name:<24} {step.status:<8} {step.seconds:6.1f}s  {step.detail}".rstrip())
        record.save(url, run_id, steps, "running")

    for d in decisions:
        if not d.due:
            done(Step(f"load {d.entry.source}", "skipped", detail=d.reason))
            continue
        done(_load_step(d.entry, opts))

    build = dbt_steps.build(url, schedule.build_args(), opts.verbose)
    done(build.step)
    fresh = dbt_steps.freshness(url, opts.verbose)
    done(fresh.step)

    step = Step("alerts", "ok")
    try:
        found = alerts.collect(url, build.results, fresh.results, run_day=started.date())
        report = alerts.deliver(url, run_id, found)
        step.detail = report.line()
        if report.failed:
            step.status = "failed"
    except AdwhError as exc:  # alert delivery never fails the data run
        step.status, step.detail = "failed", redact(str(exc))
    done(step)

    data_failed = [s for s in steps if s.status == "failed" and s.name != "alerts"]
    outcome = "failed" if data_failed else "ok"
    summary = _summary(steps, outcome)
    record.save(url, run_id, steps, outcome, summary)
    echo(summary)
    return 1 if data_failed else 0


def _load_step(entry: schedule.Entry, opts: Options) -> Step:
    step = Step(f"load {entry.source}", "ok")
    cmd = loader_command(entry.source, entry.clients, opts.day)
    try:
        proc = subprocess.run(cmd, capture_output=not opts.verbose, text=True, check=False)
    except OSError as exc:
        step.status, step.detail = "failed", f"cannot start the loader: {exc}"
        return step
    if proc.returncode != 0:
        step.status = "failed"
        step.detail = _last_error(proc.stderr) or f"exit {proc.returncode}"
    else:
        step.detail = _last_line(proc.stdout)
    return step


def _last_error(stderr: str | None) -> str:
    lines = [ln.strip() for ln in (stderr or "").splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("adwh: error:")]
    text = (errors or lines or [""])[-1]
    return redact(text.removeprefix("adwh: error:").strip())


def _last_line(stdout: str | None) -> str:
    lines = [ln.strip() for ln in (stdout or "").splitlines() if ln.strip()]
    return redact(lines[-1]) if lines else ""


def _summary(steps: list[Step], outcome: str) -> str:
    counts: dict[str, int] = {}
    for s in steps:
        counts[s.status] = counts.get(s.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    failed = [s.name for s in steps if s.status == "failed"]
    tail = f"; failed: {', '.join(failed)}" if failed else ""
    return f"run {outcome}: {len(steps)} steps ({parts}){tail}"
