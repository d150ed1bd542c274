"""Errors the CLI turns into one clear line on stderr and a non-zero exit."""

from __future__ import annotations

import re
import threading


class AdwhError(Exception):
    """An error the operator can act on; its message is shown as is."""

    exit_code = 1


class ConfigError(AdwhError):
    """Configuration is missing or invalid."""

    exit_code = 2


class FileRejected(AdwhError):
    """A file that cannot be used at all; nothing of it is loaded.

    `row` is the 1-based line in the file as a spreadsheet shows it (the header is row 1),
    `column` the header as written in the file.
    """

    def __init__(
        self,
        file: str,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.file = file
        self.reason = reason
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self._render())

    def _render(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = ", ".join(where) + f": {self.reason}"
        if self.value is not None:
            shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
            text += f" (found {shown!r})"
        return text


# --- secrets never reach logs or messages -------------------------------------------------

_secrets: set[str] = set()
_lock = threading.Lock()
_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)(?P<pw>[^@\s]+)(?P<at>@)", re.I
)


def register_secret(value: str | None) -> None:
    """Remember a secret value so `redact` masks it wherever it shows up."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """Mask registered secrets and passwords inside connection URLs."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}***{m['at']}", text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
