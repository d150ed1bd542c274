"""`adwh demo` step for the bidder: creative catalogs and performance files in an upload folder."""

from __future__ import annotations

from loaders.core.settings import adwh_home
from loaders.demo.bidder_sample import demo_files
from loaders.demo.context import DemoContext
from loaders.sources import bidder as performance


def demo_step(ctx: DemoContext) -> None:
    """`adwh demo` step: write the files under <ADWH_HOME>/demo/bidder and import them with
    the real loader (catalogs first, then the performance files with their summaries)."""
    url, window, echo = ctx.url, ctx.window, ctx.echo
    folder = adwh_home() / "demo" / "bidder"
    folder.mkdir(parents=True, exist_ok=True)
    files = demo_files(window)
    for name, body in files.items():
        (folder / name).write_bytes(body)
    echo(f"\n== Bidder: creative catalogs and performance files from {folder}")
    settings = performance.PerformanceSettings()
    for name in files:
        if name.startswith("creatives-"):
            performance.load_catalog(url, str(folder / name), settings=settings, echo=echo)
    performance.load_performance(
        url,
        [str(folder / name) for name in files if name.startswith("performance-")],
        settings=settings,
        echo=echo,
    )
