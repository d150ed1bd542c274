"""What the campaign-intelligence marts (dbt_project/models/marts/intelligence) add to a build,
from the run_results.json of the last dbt invocation; printed by scripts/bench_queries.py."""

from __future__ import annotations

import json
import os
from pathlib import Path


def intelligence_share(label: str) -> None:
    """Time of the campaign-intelligence models (models/marts/intelligence) in the last dbt
    invocation, from its run_results.json: what they add to the build."""
    results = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "run_results.json").read_text())
    total = sum(r["execution_time"] for r in results["results"])
    ours = {
        r["unique_id"].split(".")[-1]: r["execution_time"]
        for r in results["results"]
        if r["unique_id"].split(".")[-1] in INTELLIGENCE_MODELS
    }
    spent = sum(ours.values())
    print(
        f"  {label}: intelligence marts {spent:.1f} s of {total:.1f} s model time "
        f"({spent / max(total - spent, 1e-9):.1%} added; target <= 20 %): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(ours.items(), key=lambda kv: -kv[1])),
        flush=True,
    )


INTELLIGENCE_MODELS = {
    "mart_metric_anomalies",
    "mart_creative_fatigue",
    "mart_pacing",
    "mart_prediction_accuracy",
    "mart_prediction_model_accuracy",
    "mart_alerts",
    "mart_daily_client_report",
}
