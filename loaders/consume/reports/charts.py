"""Report charts as SVG text, drawn with matplotlib's Agg-free SVG backend.

Deterministic: a fixed `svg.hashsalt` (element ids), no date in the SVG metadata, text kept
as text (`svg.fonttype = none`) so the PDF renderer's fonts (with fontconfig fallback for
scripts such as CJK) draw the labels and the PDF text layer holds them.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

STYLE = {
    "svg.hashsalt": "adwh-report",
    "svg.fonttype": "none",
    "font.family": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
BLUE, ORANGE = "#2f6db5", "#e07b39"
LABEL_CHARS = 38


def _label(text) -> str:
    text = "(none)" if text is None else str(text)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _svg(fig) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        # labels stay text: the PDF renderer picks the font (and its fallbacks), so a glyph
        # DejaVu lacks only makes matplotlib's layout estimate a little off
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: inlined in HTML


def spend_and_roas(days: Sequence[tuple], currency: str) -> str | None:
    """Bars of daily spend, a line of daily ROAS on a second axis. days: (day, spend, roas)."""
    if not days:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.2, 2.6))
        labels = [d.strftime("%d %b") for d, _, _ in days]
        ax.bar(labels, [float(s or 0) for _, s, _ in days], color=BLUE, label="Spend")
        ax.set_ylabel(f"Spend ({currency})" if currency else "Spend")
        ax.tick_params(axis="x", labelrotation=45 if len(days) > 8 else 0)
        roas_ax = ax.twinx()
        roas_ax.spines["right"].set_visible(True)
        roas_ax.plot(
            labels,
            [float(r) if r is not None else float("nan") for _, _, r in days],
            color=ORANGE,
            marker="o",
            label="ROAS",
        )
        roas_ax.set_ylabel("ROAS")
        roas_ax.set_ylim(bottom=0)
        handles = ax.get_legend_handles_labels()[0] + roas_ax.get_legend_handles_labels()[0]
        ax.legend(handles, ["Spend", "ROAS"], loc="upper left", frameon=False)
        return _svg(fig)


def horizontal_bars(items: Sequence[tuple[str, float]], xlabel: str) -> str | None:
    """A ranked horizontal bar chart, best at the top. items: (label, value)."""
    if not items:
        return None
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(7.2, 0.45 * len(items) + 0.8))
        labels = [_label(name) for name, _ in items][::-1]
        values = [float(v or 0) for _, v in items][::-1]
        ax.barh(range(len(items)), values, color=BLUE)
        ax.set_yticks(range(len(items)), labels)
        ax.set_xlabel(xlabel)
        return _svg(fig)
