"""End to end: Surfside files -> dbt build -> the intelligence marts, an open alert in the
daily report, and incremental == full refresh after restating an old day and adding a new one.

Figures worked out by hand (acme's CPM is 12.50, so spend = impressions / 80):
- creative A (campaign Spring): 8,000 impressions on odd days, 12,000 on even days (spend 100
  / 150), 40,000 on day 30 (spend 500). The campaign's 28-day baseline of day 30 (days 2-29):
  mean 125, sample sd sqrt(28 x 625 / 27) = 25.4588, z = 375 / 25.4588 = 14.73: critical.
- creative F (campaign Fall): 20,000 impressions a day, 300 clicks to day 9, then 12 fewer a
  day (48 on day 30). Day 30: first7 CTR 0.015, last7 588 / 140,000 = 0.0042, decline 0.72;
  slope -0.0006 / day against a 14-day mean CTR of 0.0066: trend clamps to 1; score
  round(100 x (0.6 x 0.72 + 0.25 x 1)) = 68 -> refresh.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import fresh_database, query
from helpers.surfside_s3 import local_settings
from psycopg2 import errors

from loaders.consume.reports import render_report
from loaders.sources import surfside
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

DAYS = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(31)]  # 1..31 March
HEADER = (
    "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,Conversion Revenue"
)
MARTS = [
    "mart_metric_anomalies",
    "mart_creative_fatigue",
    "mart_pacing",
    "mart_prediction_accuracy",
    "mart_alerts",
    "mart_daily_client_report",
]


def day_rows(day: dt.date, restated: bool = False) -> list[tuple]:
    d = day.day
    a_imps = 40_000 if d == 30 else (12_000 if d % 2 == 0 else 8_000)
    if restated:
        a_imps = 30_000
    f_clicks = 300 if d <= 9 else 300 - 12 * (d - 9)
    return [
        ("Spring", "A", a_imps, a_imps // 100, 5, "250"),
        ("Fall", "F", 20_000, f_clicks, 5, "250"),
    ]


def body(day: dt.date, rows) -> bytes:
    lines = [HEADER] + [
        f"{day},{c},Contextual,Display,{cr},{i},{k},{v},{r}" for c, cr, i, k, v, r in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def digest(url: str, mart: str) -> tuple:
    return query(
        url,
        f"select count(*), md5(coalesce(string_agg(r, ',' order by r), '')) from ("
        f"select (to_jsonb(t) - 'dbt_updated_at')::text as r from marts.{mart} as t) as x",
    )[0]


@pytest.fixture(scope="module")
def warehouse(server_url, s3):
    bucket = "wh-intel"
    client = s3.client()
    client.create_bucket(Bucket=bucket)
    for day in DAYS[:30]:
        client.put_object(
            Bucket=bucket,
            Key=f"surfside/acme/media-report-{day}.csv",
            Body=body(day, day_rows(day)),
        )
    cfg = local_settings(s3, bucket)
    with fresh_database(server_url) as url:
        surfside.load(url, ["acme"], DAYS[:30], settings=cfg, echo=lambda _: None)
        run_dbt(["build"], url)
        yield {"url": url, "s3": client, "bucket": bucket, "settings": cfg}


def test_the_spend_spike_is_an_open_critical_alert(warehouse):
    url = warehouse["url"]
    (z, mean, days), *_ = query(
        url,
        "select z_score, round(baseline_mean, 6), baseline_days from marts.mart_metric_anomalies "
        "where entity_type = 'campaign' and entity_name = 'Spring' and metric_name = 'spend' "
        "and date_day = '2026-03-30'",
    )
    assert (z, mean, days) == (Decimal("14.7297"), Decimal("125"), 28)
    alerts = query(
        url,
        "select severity, actual_value, first_seen_day, is_resolved from marts.mart_alerts "
        "where alert_type = 'spend_anomaly' and entity_type = 'campaign' "
        "and entity_name = 'Spring'",
    )
    assert alerts == [("critical", Decimal("500"), dt.date(2026, 3, 30), False)]


def test_the_fading_creative_is_fatigued(warehouse):
    rows = query(
        warehouse["url"],
        "select days_active, first7_ctr, last7_ctr, fatigue_score, recommendation "
        "from marts.mart_creative_fatigue where creative_name = 'F' and date_day = '2026-03-30'",
    )
    assert rows == [(30, Decimal("0.015"), Decimal("0.0042"), 68, "refresh")]
    assert query(
        warehouse["url"],
        "select severity, is_resolved from marts.mart_alerts where alert_type = 'creative_fatigue'",
    ) == [("warning", False)]


def test_the_daily_report_lists_the_open_alerts(warehouse, tmp_path):
    path, data = render_report(
        warehouse["url"], "daily", "acme", fmt="html", out=tmp_path / "d.html"
    )
    assert data.as_of == dt.date(2026, 3, 30)
    html = path.read_text()
    assert "Open alerts" in html and "CRITICAL · spend_anomaly" in html
    (critical, warning), *_ = query(
        warehouse["url"],
        "select alerts_critical, alerts_warning from marts.mart_daily_client_report "
        "where client_id = 'acme' and date_day = '2026-03-30'",
    )
    assert critical >= 1 and warning >= 1


def test_incremental_equals_full_refresh_after_a_restated_day_and_a_new_one(warehouse):
    url, client, bucket = warehouse["url"], warehouse["s3"], warehouse["bucket"]
    before = {m: digest(url, m) for m in MARTS}
    analyzed = (
        "select relname, last_analyze from pg_stat_user_tables where schemaname = 'marts' "
        "and relname in ('mart_creative_fatigue', 'mart_metric_anomalies') "
        "and last_analyze is not null order by relname"
    )
    # the first build created the two large marts from scratch: analyzed at its end
    first = query(url, analyzed)
    assert [name for name, _ in first] == ["mart_creative_fatigue", "mart_metric_anomalies"]
    restated, new = DAYS[9], DAYS[30]  # 10 March: outside the 3-day lookback; 31 March: new
    client.put_object(
        Bucket=bucket,
        Key=f"surfside/acme/media-report-{restated}.csv",
        Body=body(restated, day_rows(restated, restated=True)),
    )
    client.put_object(
        Bucket=bucket, Key=f"surfside/acme/media-report-{new}.csv", Body=body(new, day_rows(new))
    )
    surfside.load(url, ["acme"], [restated, new], settings=warehouse["settings"], echo=print)
    run_dbt(["build"], url)
    incremental = {m: digest(url, m) for m in MARTS}
    # the restated day now carries its own spike (z against days 1-9 only has 9 days: no flag),
    # and it moved the baselines of the days after it
    assert incremental["mart_metric_anomalies"] != before["mart_metric_anomalies"]
    assert incremental["mart_creative_fatigue"] != before["mart_creative_fatigue"]
    # an incremental build leaves the statistics to autovacuum
    assert query(url, analyzed) == first
    run_dbt(["build", "--full-refresh"], url)
    full = {m: digest(url, m) for m in MARTS}
    assert incremental == full
    # a full refresh rebuilds them from scratch: analyzed again
    again = query(url, analyzed)
    assert [name for name, _ in again] == ["mart_creative_fatigue", "mart_metric_anomalies"]
    assert all(later > earlier for (_, later), (_, earlier) in zip(again, first, strict=True))


def test_a_client_losing_its_first_day_is_rebuilt_from_it(warehouse):
    """1 March is redelivered with rows that break a rule (more clicks than impressions): they
    go to the quarantine and acme's first day leaves the fact and the entity mart. No client-day
    of acme is rewritten, and the anomaly mart holds no row of 1 March (no baseline yet), yet
    the baselines of 2-29 March lost a day: the incremental build must recompute them and
    equal a full refresh."""
    url, client, bucket = warehouse["url"], warehouse["s3"], warehouse["bucket"]
    first = DAYS[0]
    before = digest(url, "mart_metric_anomalies")
    client.put_object(
        Bucket=bucket,
        Key=f"surfside/acme/media-report-{first}.csv",
        Body=body(first, [("Spring", "A", 10, 20, 0, "0"), ("Fall", "F", 10, 20, 0, "0")]),
    )
    surfside.load(url, ["acme"], [first], settings=warehouse["settings"], echo=print)
    run_dbt(["build"], url)
    assert query(
        url, "select count(*) from marts.fact_daily_metrics where date_day = %s", (first,)
    ) == [(0,)]
    incremental = digest(url, "mart_metric_anomalies")
    run_dbt(["run", "--full-refresh", "--select", "mart_metric_anomalies"], url)
    full = digest(url, "mart_metric_anomalies")
    assert full != before  # the lost day moved baselines the mart reports
    assert incremental == full


def test_a_unique_index_enforces_the_grain_and_without_it_the_test_scans(warehouse):
    """The uniqueness test of a mart with a unique index on its grain relies on the index: the
    database refuses a duplicate. The index lets rows with a NULL key repeat, and the test
    still finds those; an index on other columns does not count, and the test scans
    everything. Last in the module: it leaves duplicates behind."""
    url = warehouse["url"]
    mart = "marts.mart_creative_fatigue"
    with pytest.raises(errors.UniqueViolation):
        query(url, f"insert into {mart} select * from {mart} order by date_day limit 1")

    def insert_changed(change: str, copies: int = 1) -> None:
        query(
            url,
            f"insert into {mart} select (jsonb_populate_record(null::{mart}, "
            f"to_jsonb(t) || '{change}')).* from (select * from {mart} order by date_day "
            f"limit 1) as t cross join generate_series(1, {copies})",
        )

    def uniqueness_failures() -> tuple[str, int]:
        selector = "mart_creative_fatigue,test_name:unique_combination_of_columns"
        args = ["test", "--select", selector, "--vars", "{full_scan_tests: true}"]
        result = run_dbt(args, url, check=False)
        [outcome] = [
            (str(r.status), r.failures)
            for r in result.result.results
            if r.node.unique_id.startswith("test.")
        ]
        return outcome

    insert_changed('{"creative_key": null}', copies=2)  # the unique index lets both in
    assert uniqueness_failures() == ("fail", 1)
    [(index,)] = query(
        url,
        f"select indexrelid::regclass::text from pg_index where indrelid = '{mart}'::regclass "
        "and indisunique",
    )
    query(url, f"drop index {index}")
    query(url, f"create unique index wider_grain on {mart} (creative_key, date_day, source)")
    # the same creative and day from another source: the wider index lets it in
    insert_changed('{"source": "elsewhere"}')
    assert uniqueness_failures() == ("fail", 2)
