"""The `[schedule]` configuration and which loaders are due.

```toml
[schedule.surfside]
clients = ["acme", "globex"]
cadence = "daily"          # or "hourly"
after_hour_utc = 6         # a daily source is due once a day from this hour (UTC)
[schedule.build]
select = ""                # empty: the whole project
```

Sources come from the registry (`vars.adwh_sources`, enabled ones) plus the client+day loaders
that feed no spend (mixpanel); a source without `clients` is not scheduled. Only sources whose
`adwh load <source>` takes `--client` and `--date` (a client and a day: surfside, vibe, ...)
can be scheduled; file-drop sources (facebook, bidder) take the
files someone hands over and keep their own cron line (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loaders.core.errors import ConfigError
from loaders.ops import config

CADENCES = ("daily", "hourly")


@dataclass(frozen=True)
class Entry:
    source: str
    clients: tuple[str, ...]
    cadence: str = "daily"
    after_hour_utc: int = 0


@dataclass(frozen=True)
class Decision:
    entry: Entry
    due: bool
    reason: str


def read_schedule(source_names: list[str]) -> list[Entry]:
    """One entry per registry source that has `[schedule.<source>] clients`."""
    out = []
    for name in source_names:
        clients = config.get_list(f"schedule.{name}.clients")
        if not clients:
            continue
        cadence = str(config.get(f"schedule.{name}.cadence", "daily")).strip().lower()
        if cadence not in CADENCES:
            raise ConfigError(f"schedule.{name}.cadence: {cadence!r} is not daily or hourly")
        hour = config.get_int(f"schedule.{name}.after_hour_utc", 0)
        if not 0 <= hour <= 23:
            raise ConfigError(f"schedule.{name}.after_hour_utc: {hour} is not an hour 0-23")
        out.append(Entry(name, tuple(clients), cadence, hour))
    return out


def build_args() -> list[str]:
    """The run's `dbt build` arguments: `[schedule.build] select` (empty: the whole project);
    with `full_scan_tests = true`, tests that scan every partition rather than only those the
    build changed (a weekly cron line with SCHEDULE__BUILD__FULL_SCAN_TESTS); and without dbt's
    unit tests unless `unit_tests = true`: they check the models' SQL on fixed rows, whatever
    the warehouse holds, so CI and the demo's build answer them (dbt's own advice for
    production builds)."""
    select = str(config.get("schedule.build.select", "") or "").strip()
    args = ["--select", select] if select else []
    if config.get_bool("schedule.build.full_scan_tests", False):
        args += ["--vars", "{full_scan_tests: true}"]
    if not config.get_bool("schedule.build.unit_tests", False):
        args += ["--exclude-resource-type", "unit_test"]
    return args


def decide(
    entry: Entry,
    now: dt.datetime,
    last_success: dt.datetime | None,
    *,
    force: bool = False,
) -> Decision:
    """Whether `entry` is due at `now`, given when it last loaded without a failure."""
    if force:
        return Decision(entry, True, "forced (--date or --force)")
    if entry.cadence == "hourly":
        slot = now.replace(minute=0, second=0, microsecond=0)
        if last_success and last_success >= slot:
            return Decision(entry, False, f"already loaded this hour ({last_success:%H:%M} UTC)")
        return Decision(entry, True, "hourly")
    if now.hour < entry.after_hour_utc:
        return Decision(entry, False, f"daily from {entry.after_hour_utc:02d}:00 UTC")
    slot = now.replace(hour=entry.after_hour_utc, minute=0, second=0, microsecond=0)
    if last_success and last_success >= slot:
        return Decision(entry, False, f"already loaded today ({last_success:%H:%M} UTC)")
    return Decision(entry, True, "daily")
