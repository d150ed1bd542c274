"""What is worth an alert: failed, rejected and missing loads (ingestion log), dbt test failures
and errors (run_results.json), stale sources (sources.json) and rows of `marts.mart_alerts`."""

from __future__ import annotations

import datetime as dt

from loaders.core.ingestion_log import SCHEMA
from loaders.ops.alerts.model import Alert, alert_id
from loaders.warehouse.database import connect

LOOKBACK_DAYS = 7
LOAD_STATUSES = {"failed": "error", "rejected": "error", "missing_file": "warning"}
TEST_STATUSES = {"fail": "error", "error": "error", "runtime error": "error", "warn": "warning"}


def collect(
    url: str, build_results: list[dict], freshness_results: list[dict], run_day: dt.date
) -> list[Alert]:
    from loaders.core.registry import sources

    names = [s.name for s in sources()]
    out = load_alerts(url)
    out += test_alerts(build_results, run_day, names)
    out += freshness_alerts(freshness_results, run_day, names)
    out += mart_alerts(url)
    return out


def load_alerts(url: str, lookback_days: int = LOOKBACK_DAYS) -> list[Alert]:
    """The latest attempt of every (source, client, day or file) that did not load."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", (f"{SCHEMA}.ingestion_log",))
        if cur.fetchone()[0] is None:
            return []
        cur.execute(
            f"""select source, client_id, report_date, object_key, status, message from (
                    select *, row_number() over (
                        partition by source, client_id,
                            coalesce(report_date::text, object_key, '')
                        order by finished_at desc, log_id desc) as latest
                    from {SCHEMA}.ingestion_log
                    where finished_at >= now() - make_interval(days => %s)) as x
                where latest = 1 and status = any(%s)""",
            (lookback_days, list(LOAD_STATUSES)),
        )
        rows = cur.fetchall()
    return [_load_alert(*row) for row in rows]


def _load_alert(source, client, day, key, status, message) -> Alert:
    what = key or "the file"
    if status == "missing_file":
        title = f"{source} file {what} has not arrived"
        action = (
            f"ask {source} to deliver it (or check the bucket and key pattern); the next "
            f"`adwh run` loads it, or run `adwh load {source} --client {client} --date {day}`"
        )
    elif status == "rejected":
        title = f"{source} file {what} was refused: {message or 'see the ingestion log'}"
        action = "fix or re-export the file and load it again; nothing of it was loaded"
    else:
        title = f"{source} load failed: {message or 'see the ingestion log'}"
        action = (
            "nothing was written; the next `adwh run` retries it (or run "
            f"`adwh load {source} --client {client} --date {day}` by hand)"
        )
    return Alert(
        alert_id("load", source, client, day or key, status),
        LOAD_STATUSES[status],
        "load",
        title,
        action,
        client,
        source,
        day,
    )


def _source_of(unique_id: str, names: list[str]) -> str | None:
    found = [n for n in names if n in unique_id]
    return found[0] if len(found) == 1 else None


def test_alerts(results: list[dict], run_day: dt.date, names: list[str]) -> list[Alert]:
    """One alert per failing or erroring test/model, again each day it keeps failing."""
    out = []
    for r in results:
        status, uid = r.get("status"), r.get("unique_id", "")
        if status not in TEST_STATUSES:
            continue
        kind = uid.split(".", 1)[0]
        name = uid.split(".")[2] if uid.count(".") >= 2 else uid
        failures = r.get("failures")
        count = f" ({failures} failing rows)" if failures else ""
        message = (r.get("message") or "").strip().splitlines()
        title = f"dbt {kind} {name} {status}{count}" + (f": {message[0]}" if message else "")
        action = (
            f"inspect it with `adwh dbt test --select {name} --store-failures`; fix the data "
            "or the rule, then `adwh build`"
            if kind == "test"
            else f"read the error, fix the model, then `adwh build --select {name}+`"
        )
        out.append(
            Alert(
                alert_id("test", uid, status, run_day),
                TEST_STATUSES[status],
                "test",
                title,
                action,
                None,
                _source_of(uid, names),
                run_day,
            )
        )
    return out


def freshness_alerts(results: list[dict], run_day: dt.date, names: list[str]) -> list[Alert]:
    out = []
    for r in results:
        status, uid = r.get("status"), r.get("unique_id", "")
        if status not in ("warn", "error", "runtime error"):
            continue
        age = r.get("max_loaded_at_time_ago_in_s")
        hours = f"last load {age / 3600:.0f} h ago" if age is not None else "no data"
        out.append(
            Alert(
                alert_id("freshness", uid, status, run_day),
                "warning" if status == "warn" else "error",
                "freshness",
                f"source {uid.removeprefix('source.')} is stale ({status}: {hours})",
                "check that its loader is scheduled and succeeding (adwh_ops.ingestion_log)",
                None,
                _source_of(uid, names),
                run_day,
            )
        )
    return out


# mart_alerts severities as delivery severities; data_missing / data_rejected are left to the
# load alerts above, which already send them from the ingestion log with what to do
MART_SEVERITY = {"critical": "error", "warning": "warning", "info": "info"}
MART_LEFT_TO_LOAD_ALERTS = ["data_missing", "data_rejected"]
MART_ACTIONS = {
    "spend_anomaly": "check delivery and bids against plan (marts.mart_metric_anomalies)",
    "ctr_drop": "check creatives and targeting of the entity (marts.mart_metric_anomalies)",
    "conversions_drop": "check tracking and the landing page (marts.mart_metric_anomalies)",
    "roas_below_target": "review the lowest-ROAS campaigns (marts.mart_daily_client_report)",
    "cpa_above_target": "review the highest-CPA campaigns (marts.mart_daily_client_report)",
    "high_frequency": "widen the audience or cap frequency (marts.mart_creative_fatigue)",
    "budget_depleted": "pause the campaign or agree a budget increase (marts.mart_pacing)",
    "overpacing": "lower bids or daily caps to land on budget (marts.mart_pacing)",
    "creative_fatigue": "rotate or refresh the creative (marts.mart_creative_fatigue)",
    "underperformer": "review or pause the campaign (marts.mart_underperformers)",
}


def mart_alerts(url: str) -> list[Alert]:
    """Open episodes of marts.mart_alerts (when the model exists). The delivery id is the
    episode's alert_id with its severity: a new episode is sent once, and once more when it
    escalates; a resolved episode is never sent."""
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('marts.mart_alerts')")
        if cur.fetchone()[0] is None:
            return []
        cur.execute(
            """select alert_id, severity, alert_type, message, client_id, entity_type,
                      entity_id, last_seen_day
               from marts.mart_alerts
               where not is_resolved and alert_type <> all(%s)""",
            (MART_LEFT_TO_LOAD_ALERTS,),
        )
        rows = cur.fetchall()
    return [
        Alert(
            alert_id("mart", episode, severity),
            MART_SEVERITY.get(severity, "warning"),
            "mart",
            message,
            MART_ACTIONS.get(alert_type, "see marts.mart_alerts"),
            client,
            entity_id if entity_type == "source" else None,
            day,
        )
        for episode, severity, alert_type, message, client, entity_type, entity_id, day in rows
    ]
