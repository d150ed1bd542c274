"""One clear line for an unexpected failure, above all a database that went away mid-load.

`run_arrow` notes what it is loading (`in_flight`); when the connection is lost, the line names
that source, client and day, says that nothing of it was written (dlt merges from its staging
dataset in one transaction) and to run it again.
"""

from __future__ import annotations

import contextlib

from loaders.core.errors import redact

_in_flight: list[str] = []

LOST = (
    "server closed the connection",
    "connection refused",
    "could not connect",
    "terminating connection",
    "connection already closed",
    "connection to server",
    "ssl syscall error",
    "the database system is shutting down",
)


def describe_tables(source: str, tables: list) -> str:
    """`surfside for client acme, day 2026-03-01` from the lineage columns of Arrow tables."""
    clients: set[str] = set()
    days: set[str] = set()
    for table in tables:
        with contextlib.suppress(Exception):
            if "client_id" in table.column_names:
                clients.update(str(v) for v in table.column("client_id").unique().to_pylist())
            if "report_date" in table.column_names:
                days.update(str(v) for v in table.column("report_date").unique().to_pylist())
    text = source
    if clients:
        text += f" for client {', '.join(sorted(clients))}"
    if days:
        shown = sorted(days)
        text += f", day {shown[0]}" if len(shown) == 1 else f", days {shown[0]}..{shown[-1]}"
    return text


@contextlib.contextmanager
def loading(what: str):
    """Mark `what` as being written; left marked when the block fails."""
    _in_flight[:] = [what]
    yield
    _in_flight.clear()


def connection_lost(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        text = str(current).lower()
        if name in ("OperationalError", "InterfaceError", "DatabaseTransientException") and (
            any(marker in text for marker in LOST) or name == "InterfaceError"
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


def describe(exc: BaseException) -> str:
    if connection_lost(exc):
        if _in_flight:
            lost = f"the database went away during the load of {_in_flight[0]}; nothing of it"
            lost += " was written"
        else:
            lost = "the database went away; what was reported loaded above is kept, the rest"
            lost += " was not written"
        return f"{lost}; start the database (`adwh db status`) and run it again (-v for details)"
    first = redact(str(exc)).strip().splitlines()
    return f"{type(exc).__name__}: {first[0] if first else ''} (run with -v for details)"
