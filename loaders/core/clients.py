"""Which clients the warehouse knows: the `clients` seed (dbt_project/seeds/clients.csv).

Staging quarantines every row of a client missing from that seed (`unknown_client`), so a load
for such a client would land rows that never reach the fact. Each source's CLI path calls
`check_clients` before it writes anything: by default it warns (with the fix) and the load
proceeds; strict (`--strict`, or `[sources] strict_clients = true` in .dlt/config.toml, or
SOURCES__STRICT_CLIENTS=true) refuses the load.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

from loaders.core.errors import AdwhError, ConfigError
from loaders.core.settings import project_dir

SEED = Path("dbt_project") / "seeds" / "clients.csv"


class UnknownClient(AdwhError):
    """A strict load for a client the clients seed does not list; nothing was written."""


def seed_path() -> Path:
    return project_dir() / SEED


def known_clients() -> set[str]:
    """client_id of every row of the clients seed (as dbt loads it: text, trimmed)."""
    path = seed_path()
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return {
                (row.get("client_id") or "").strip()
                for row in csv.DictReader(handle)
                if (row.get("client_id") or "").strip()
            }
    except OSError as exc:
        raise ConfigError(f"cannot read the clients seed {path}: {exc.strerror or exc}") from None


def strict_from_config() -> bool:
    """`[sources] strict_clients` (dlt config or SOURCES__STRICT_CLIENTS), default false."""
    import dlt

    value = dlt.config.get("sources.strict_clients")
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ConfigError(f"sources.strict_clients must be true or false, not {value!r}")


def check_clients(
    clients: Iterable[str],
    strict: bool | None = None,
    warn: Callable[[str], None] | None = print,
    what: str = "its rows",
) -> list[str]:
    """The clients not in the seed, sorted; warns about them, or raises UnknownClient when
    strict (None: the `[sources] strict_clients` setting)."""
    known = known_clients()
    unknown = sorted({c.strip() for c in clients if c and c.strip()} - known)
    if not unknown:
        return []
    names = ", ".join(repr(c) for c in unknown)
    message = (
        f"{'client' if len(unknown) == 1 else 'clients'} {names} "
        f"{'is' if len(unknown) == 1 else 'are'} not in {SEED.as_posix()}, so every one of "
        f"{what} would end in "
        f"marts.dq_quarantine as unknown_client. Fix: add a line "
        f"`{unknown[0]},<client name>,active` to {SEED.as_posix()} for each such client "
        "(then `adwh build`)"
    )
    if strict is None:
        strict = strict_from_config()
    if strict:
        raise UnknownClient(
            f"{message}. Nothing was loaded (strict: --strict or [sources] strict_clients)"
        )
    if warn is not None:
        warn(f"warning: {message}; loading anyway")
    return unknown
