"""What every source's demo step gets: the warehouse, the window of days, the console, and the
shared stand-ins (the local S3 server)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from loaders.demo.local_s3 import LocalS3


@dataclass(frozen=True)
class DemoContext:
    url: str
    window: list[dt.date]
    echo: Callable[[str], None]
    s3: LocalS3


def only_news(echo: Callable) -> Callable:
    """An echo that drops the routine "<day> <client>: loaded N rows from ..." lines (the step
    prints their count) and keeps everything else: plans, refusals, re-deliveries, notes."""
    routine = re.compile(r"^\d{4}-\d{2}-\d{2} \S+: loaded \d[\d,]* rows from ")
    news = re.compile(r"deliver|outside|replaced|;")

    def echo_news(line: str) -> None:
        if not routine.match(line) or news.search(line):
            echo(line)

    return echo_news
