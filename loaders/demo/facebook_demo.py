"""`adwh demo` step for Facebook: Ads Manager exports handed over for one client."""

from __future__ import annotations

import tempfile
from pathlib import Path

from loaders.demo import facebook_sample
from loaders.demo.context import DemoContext
from loaders.sources import facebook


def demo_step(ctx: DemoContext) -> None:
    """globex hands over Ads Manager exports: a CSV (BOM, USD, thousands separators, summary
    row), a newer XLSX overlapping its last 3 days (one row without an ad set: quarantined),
    the CSV again under another name (a no-op) and a period export (refused)."""
    url, window, echo = ctx.url, ctx.window, ctx.echo
    with tempfile.TemporaryDirectory(prefix="adwh-demo-facebook-") as folder:
        paths = []
        for name, body in facebook_sample.demo_exports("globex", window):
            path = Path(folder) / name
            path.write_bytes(body)
            paths.append(path)
        echo(f"\n== Facebook: {len(paths)} Ads Manager exports uploaded for globex")
        results = facebook.load(
            url, "globex", paths, settings=facebook.FacebookSettings(), echo=echo
        )
    counts = {s: sum(r.status == s for r in results) for s in ("loaded", "skipped", "rejected")}
    echo(
        f"   {counts['loaded']} loaded, {counts['skipped']} unchanged (already loaded), "
        f"{counts['rejected']} refused (the period export, on purpose)"
    )
