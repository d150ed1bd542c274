"""Fill the report template from the marts and write HTML or PDF (WeasyPrint).

Determinism: the same warehouse, as-of day and generation time give the same bytes. The
generation time is the only clock reading, shown in the footer and the PDF's created and
modified dates; chart SVGs carry fixed ids (charts.py) and the PDF a fixed identifier
derived from the report's own content.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from loaders.consume.reports import charts
from loaders.consume.reports.data import ReportData, ReportError, load_report_data
from loaders.consume.reports.template import TEMPLATE

FORMATS = ("html", "pdf")
# DejaVu draws Latin, Greek and Cyrillic; names in CJK scripts use the first CJK font
# fontconfig finds among these (none is installed by default: then the PDF shows boxes for
# those glyphs, and its text layer still holds the name - it stays searchable and copyable)
FONTS = (
    '"DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", '
    '"WenQuanYi Zen Hei", "Droid Sans Fallback", sans-serif'
)
TILES = (
    ("Spend", "spend", "money"),
    ("Impressions", "impressions", "number"),
    ("Clicks", "clicks", "number"),
    ("Conversions", "conversions", "number"),
    ("Revenue", "conversion_revenue", "money"),
    ("CTR", "ctr", "pct"),
    ("CPC", "cpc", "money"),
    ("CPA", "cpa", "money"),
    ("ROAS", "roas", "ratio"),
)
PREVIOUS = {"daily": "previous day", "weekly": "previous week", "monthly": "previous month"}


class Formats:
    """Display formats; values are the marts' own, only rounded for reading."""

    def __init__(self, currency: str) -> None:
        self.currency = currency if currency and " " not in currency else ""

    @staticmethod
    def number(value) -> str:
        if value is None:
            return "–"
        value = Decimal(value)
        return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"

    def money(self, value) -> str:
        if value is None:
            return "–"
        return f"{Decimal(value):,.2f}" + (f" {self.currency}" if self.currency else "")

    @staticmethod
    def pct(value) -> str:
        return "–" if value is None else f"{Decimal(value) * 100:.2f} %"

    @staticmethod
    def ratio(value) -> str:
        return "–" if value is None else f"{Decimal(value):.2f}"

    @staticmethod
    def change(value) -> tuple[str, str]:
        if value is None:
            return "–", "flat"
        value = Decimal(value)
        trend = "up" if value > 0 else "down" if value < 0 else "flat"
        return f"{value * 100:+.1f} %", trend

    @staticmethod
    def alert(alert: dict) -> str:
        return f"{alert['severity'].upper()} · {alert['alert_type']} · {alert['message']}"


def css_string(text: str) -> str:
    """Text safe inside a double-quoted CSS string in a <style> element."""
    out = text.replace("\\", "\\\\").replace('"', "\\22 ").replace("<", "\\3c ")
    return " ".join(out.split())


def undrawable_names(data: ReportData) -> list[str]:
    """Names with characters beyond Latin/Greek/Cyrillic that no installed font covers
    (fontconfig's fc-list; none are reported when fc-list is not there to ask)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return []
    names = {r[1] for r in data.top_campaigns} | {r[0] for r in data.underperformers}
    names |= {r[1] for r in data.creatives} | {data.client_name}
    found = []
    for name in sorted(n for n in names if n):
        wide = sorted({f"{ord(ch):x}" for ch in name if ord(ch) > 0x052F})
        if not wide:
            continue
        fonts = subprocess.run(
            [fc_list, "--format", "%{family}\\n", ":charset=" + " ".join(wide)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if not fonts.strip():
            found.append(name)
    return found


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _ranking_end(data: ReportData) -> str:
    if data.creatives_as_of is None:
        return ""
    return f" to {data.creatives_as_of - dt.timedelta(days=1)}"


def build_html(data: ReportData, generated_at: dt.datetime, for_pdf: bool = False) -> str:
    from jinja2 import Environment
    from markupsafe import Markup

    f = Formats(data.currency)
    tiles = []
    for label, column, kind in TILES:
        change, trend = f.change(data.kpis.get(f"{column}_delta_pct"))
        # a falling cost per click or acquisition is good news: colour it as such
        if column in ("cpc", "cpa") and trend != "flat":
            trend = "up" if trend == "down" else "down"
        value = getattr(f, kind)(data.kpis.get(column))
        tiles.append({"label": label, "value": value, "change": change, "trend": trend})
    chart_list = [
        (
            "Daily spend and ROAS",
            charts.spend_and_roas(data.daily, data.currency),
            "No daily figures in this period.",
        ),
        (
            "Top campaigns (conversions)",
            charts.horizontal_bars([(r[1], r[2]) for r in data.top_campaigns], "Conversions"),
            "No campaign converted in this period.",
        ),
        (
            "Spend by country",
            charts.horizontal_bars(
                [("no country" if r[0] == "ZZ" else r[0], r[1]) for r in data.countries], "Spend"
            ),
            "No source of this client reports countries for this period.",
        ),
        (
            "Creative ranking by spend, last 7 days" + _ranking_end(data),
            charts.horizontal_bars([(r[1], r[3]) for r in data.creatives], "Spend, 7 days"),
            "No creative ranking for this client (bidder creatives only).",
        ),
    ]
    chart_items = [
        {"title": t, "svg": s, "src": _data_uri(s) if s else "", "empty": e}
        for t, s, e in chart_list
    ]
    if data.period_start == data.period_end:
        period_label = data.period_start.isoformat()
    else:
        period_label = f"{data.period_start.isoformat()} to {data.period_end.isoformat()}"
    generated = generated_at.astimezone(dt.UTC).replace(microsecond=0)
    kind_title = data.kind.capitalize()
    footer = f"{data.client_name} · {kind_title} report · {period_label}"
    env = Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(TEMPLATE).render(
        data=data,
        f=f,
        tiles=tiles,
        charts=chart_items,
        kind_title=kind_title,
        title=f"{data.client_name} — {kind_title} report {period_label}",
        period_label=period_label,
        previous_label=PREVIOUS[data.kind],
        generated_iso=generated.isoformat().replace("+00:00", "Z"),
        generated_label=generated.strftime("%Y-%m-%d %H:%M UTC"),
        # css_string escapes what could end the CSS string or the <style> element
        footer=Markup(css_string(footer)),  # noqa: S704
        undrawable=undrawable_names(data) if for_pdf else [],
        fonts=Markup(FONTS),  # noqa: S704 - a constant
    )


def write_pdf(html: str, path: Path, generated_at: dt.datetime) -> None:
    """Print the HTML; fontTools stamps the embedded font subsets with SOURCE_DATE_EPOCH
    (the generation time) instead of the clock, the PDF /ID is a hash of the HTML."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    identifier = hashlib.md5(html.encode(), usedforsecurity=False).hexdigest().encode()
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(generated_at.timestamp()))
    try:
        HTML(string=html, base_url=".").write_pdf(path, pdf_identifier=identifier)
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def render_report(
    url: str,
    kind: str,
    client: str,
    *,
    as_of: dt.date | None = None,
    fmt: str = "pdf",
    out: Path | None = None,
    generated_at: dt.datetime | None = None,
) -> tuple[Path, ReportData]:
    """Write the report; the file appears at its path only when complete."""
    from loaders.warehouse.database import connect

    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    with connect(url) as conn:
        conn.set_session(readonly=True)
        data = load_report_data(conn, kind, client, as_of)
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    html = build_html(data, generated_at, for_pdf=fmt == "pdf")
    target = Path(out) if out else Path(f"{client}-{kind}-{data.period_end.isoformat()}.{fmt}")
    if not target.parent.exists():
        raise ReportError(f"--out {target}: folder {target.parent} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if fmt == "html":
            tmp.write_text(html, encoding="utf-8")
        else:
            write_pdf(html, tmp, generated_at)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target, data
