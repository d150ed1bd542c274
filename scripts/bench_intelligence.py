"""The benchmarks' reading of the last dbt invocation (run_results.json and manifest.json under
DBT_TARGET_PATH): its slowest nodes, and what the campaign-intelligence marts
(dbt_project/models/marts/intelligence) add to it. Used by bench_queries.py and bench_daily.py."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path


def last_results(target: Path | None = None) -> list[dict]:
    """The node results of the last dbt invocation writing to `target` (DBT_TARGET_PATH)."""
    target = target or Path(os.environ["DBT_TARGET_PATH"])
    return json.loads((target / "run_results.json").read_text())["results"]


def slowest_nodes(target: Path | None = None, top: int = 6) -> str:
    """The `top` slowest nodes of the last dbt invocation, as `name 1.2 s` pairs."""
    timed = sorted(last_results(target), key=lambda r: -r["execution_time"])[:top]
    return ", ".join(f"{r['unique_id'].split('.')[-1]} {r['execution_time']:.1f} s" for r in timed)


def intelligence_share(label: str) -> None:
    """Time of the campaign-intelligence models in the last dbt invocation, from its
    run_results.json, against the time of everything else it ran: what they add to the build.
    In a `dbt build` their data tests (a test that reads any of them, from manifest.json) and
    their dbt unit tests count as theirs."""
    results = last_results()
    nodes = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "manifest.json").read_text())["nodes"]
    ours = {
        f"model.{n['package_name']}.{n['name']}"
        for n in nodes.values()
        if n["resource_type"] == "model" and n["name"] in INTELLIGENCE_MODELS
    }

    def belongs(unique_id: str) -> bool:
        if unique_id in ours:
            return True
        if unique_id.startswith("unit_test."):
            return unit_test_model(unique_id) in INTELLIGENCE_MODELS
        depends = nodes.get(unique_id, {}).get("depends_on", {}).get("nodes", [])
        return unique_id.startswith("test.") and any(d in ours for d in depends)

    total = sum(r["execution_time"] for r in results)
    mine = {r["unique_id"]: r["execution_time"] for r in results if belongs(r["unique_id"])}
    spent = sum(mine.values())
    models = {k.split(".")[-1]: v for k, v in mine.items() if k in ours}
    tests = spent - sum(models.values())
    print(
        f"  {label}: intelligence marts {spent:.1f} s of {total:.1f} s node time "
        f"({spent / max(total - spent, 1e-9):.1%} added; target <= 20 %): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(models.items(), key=lambda kv: -kv[1]))
        + (f", their data and unit tests {tests:.1f} s" if tests else ""),
        flush=True,
    )


def unit_test_model(unique_id: str) -> str:
    """The model a dbt unit test tests: unit_test.<package>.<model>.<name>."""
    return unique_id.split(".")[2]


def unit_test_share(label: str) -> None:
    """Node time of the last invocation's dbt unit tests, and the intelligence marts' part."""
    results = [r for r in last_results() if r["unique_id"].startswith("unit_test.")]
    ours = [r for r in results if unit_test_model(r["unique_id"]) in INTELLIGENCE_MODELS]
    print(
        f"  {label}: {len(results)} in {sum(r['execution_time'] for r in results):.1f} s node "
        f"time, the intelligence marts' {len(ours)} in "
        f"{sum(r['execution_time'] for r in ours):.1f} s",
        flush=True,
    )


def seconds_after(model: str, target: Path | None = None) -> float | None:
    """Seconds from the end of `model` to the end of the last node of the last dbt invocation
    (run_results.json): the part of the build that comes after it. The campaign-intelligence
    marts all start after mart_entity_daily_metrics, so what they add to a build's wall clock
    is this tail with them less the tail without them - a reading the parts of the build
    before that point (the same in both, and as noisy as a shared machine) do not enter."""
    ends: dict[str, dt.datetime] = {}
    for result in last_results(target):
        done = [t["completed_at"] for t in result.get("timing", []) if t.get("completed_at")]
        if done:
            ends[result["unique_id"]] = dt.datetime.fromisoformat(max(done).replace("Z", "+00:00"))
    mine = [end for unique_id, end in ends.items() if unique_id.split(".")[-1] == model]
    if not mine:
        return None
    return (max(ends.values()) - mine[0]).total_seconds()


INTELLIGENCE_MODELS = {
    "mart_metric_anomalies",
    "mart_creative_fatigue",
    "mart_pacing",
    "mart_prediction_accuracy",
    "mart_prediction_model_accuracy",
    "int_alert_episodes__non_anomaly",
    "mart_alerts",
    "mart_daily_client_report",
}
