"""End to end: the Mixpanel and Meta stand-ins -> raw -> dbt -> the subscription marts, held to
a cohort of a dozen users computed by hand (docs/subscriptions.md has the definitions).

As-of day A = 2026-03-20, trial_days 7: a trial is post-trial when it started on or before
03-13. Too few users for any segment (estimate_min_users 20): every estimate comes from the
subscription_defaults seed '*' row: price 29.99, P(convert) 0.40, P(trial refund) 0.10,
P(purchase refund) 0.05 -> a trial member is worth 29.99 x 0.4 x 0.9 = 10.7964, a purchaser
29.99 x 0.95 = 28.4905. Meta (EUR account, fx_rates EUR 1.04): on 03-10 ad 101 (campaign c1,
ad set s1) 100.00 spend, 50 link clicks, 4 trials, 1 purchase; ad 102 (c1, s2) 50.00, 20, 0,
0; ad 201 (c2, s3) 30.00, 10, 1 trial, 2 purchases; on 03-14 ad 101 40.00, 20, 2, 0.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import fresh_database, query
from meta_server import ACCOUNT, Ad
from meta_server import server as meta_server
from meta_server import settings as meta_settings
from mixpanel_server import PROJECT, event
from mixpanel_server import server as mixpanel_server
from mixpanel_server import settings as mixpanel_settings

from loaders.sources import meta, mixpanel
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

UTC = dt.UTC
A = dt.date(2026, 3, 20)
D = {n: dt.date(2026, 3, n) for n in range(1, 32)}
MARTS = "mart_subscription_entity_daily mart_subscription_entity_country_daily"
SELECT = [
    "--select",
    "+mart_subscription_entity_daily+ +mart_subscription_entity_country_daily+",
    "--indirect-selection",
    "cautious",
]
TRIAL = 29.99 * 0.4 * 0.9
PURCHASE = 29.99 * 0.95
C1 = {"campaign_id": "c1", "adset_id": "s1", "ad_id": "101"}
C1B = {"campaign_id": "c1", "adset_id": "s2", "ad_id": "102"}
C2 = {"campaign_id": "c2", "adset_id": "s3", "ad_id": "201"}


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=UTC)


def cohort() -> list[dict]:
    e, m, y = event, "pro_monthly", "pro_annual"
    trial, conv = "RC Trial started", "RC Trial converted"
    buy, cancel = "RC Initial purchase", "RC Cancellation"
    return [
        # cohort 03-10, post-trial
        e(trial, "u01", at(10), "t01", product_id=m, mp_country_code="US", **C1),
        e(conv, "u01", at(17), "c01", product_id=m, revenue=9.99),
        e(trial, "u02", at(10), "t02", product_id=m, mp_country_code="US", **C1),
        e(conv, "u02", at(17), "c02", product_id=m, revenue=9.99),
        e(cancel, "u02", at(18), "r02", product_id=m, revenue=-9.99),  # a trial refund
        e(trial, "u03", at(10), "t03", product_id=m, mp_country_code="DE", **C1),
        e(cancel, "u03", at(12), "r03", product_id=m, revenue=-9.99),  # refund, no conversion
        e(trial, "u04", at(10, 11), "t04a", product_id=m, mp_country_code="US", **C1),
        e(trial, "u04", at(10, 12), "t04b", product_id=y, mp_country_code="US", **C1),
        e(conv, "u04", at(17, 12), "c04", product_id=y, revenue=59.99),
        e(cancel, "u04", at(19), "r04", product_id=m, revenue=-9.99),  # other product: not
        e(trial, "u05", at(10), "t05", product_id=m, mp_country_code="FR"),  # unattributed
        e(conv, "u05", at(17), "c05", product_id=m, revenue=9.99),
        e(buy, "u06", at(10), "p06", product_id=y, revenue=59.99, mp_country_code="US", **C2),
        e(cancel, "u06", at(15), "r06", product_id=y, revenue=-59.99),
        e(buy, "u07", at(10), "p07", product_id=m, revenue=9.99, mp_country_code="DE", **C2),
        e("App Open", "u07", at(10, 13), "n07"),  # noise
        # cohort 03-12 (no Meta rows that day)
        e(trial, "u11", at(12), "t11", product_id=m, mp_country_code="GB", **C1B),
        e(conv, "u11", at(19), "c11", product_id=m, revenue=9.99),
        e(buy, "u12", at(12), "p12", product_id=m, revenue=9.99),  # unattributed, no country
        # cohort 03-14: 6 days before A, not post-trial
        e(trial, "u08", at(14), "t08", product_id=m, mp_country_code="US", **C1),
        e(trial, "u09", at(14), "t09", product_id=m, mp_country_code="US"),
        e(buy, "u10", at(14), "p10", product_id=m, revenue=9.99, mp_country_code="US", **C1),
        e(cancel, "u10", at(16), "r10", product_id=m, revenue=-9.99),
        # after A: not counted
        e(trial, "u13", at(21), "t13", product_id=m, mp_country_code="US", **C1),
    ]  # fmt: skip


def meta_ads(day: dt.date) -> list[Ad]:
    def ad(ad_id, spend, clicks, trials, purchases, ids, countries):
        return Ad(ad_id, f"Ad {ad_id}", clicks * 100, clicks, clicks, spend, clicks * 80,
                  purchases=purchases, purchase_value=f"{purchases * 10}.00", trials=trials,
                  campaign_id=ids["campaign_id"], adset_id=ids["adset_id"],
                  campaign_name=ids["campaign_id"].upper(), adset_name=ids["adset_id"].upper(),
                  countries=countries)  # fmt: skip

    if day == D[10]:
        return [ad("101", "100.00", 50, 4, 1, C1, {"US": 1}), ad("102", "50.00", 20, 0, 0, C1B,
                {"US": 1}), ad("201", "30.00", 10, 1, 2, C2, {"US": 1, "DE": 1})]  # fmt: skip
    if day == D[14]:
        return [ad("101", "40.00", 20, 2, 0, C1, {"US": 1})]
    return []


def quiet(_line: str) -> None:
    pass


def build(url: str, as_of: dt.date, *extra: str) -> None:
    run_dbt(["build", *SELECT, "--vars", f"{{as_of_date: '{as_of}'}}", *extra], url)


@pytest.fixture(scope="module")
def wh(server_url):
    with (
        mixpanel_server(duplicate_every=4) as mp,
        meta_server() as ms,
        fresh_database(server_url) as url,
    ):
        mp.events[PROJECT] = cohort()
        ms.data.update({(ACCOUNT, D[n]): meta_ads(D[n]) for n in (10, 14)})
        assert meta.load(url, ["acme"], [D[10], D[14]], meta_settings(ms),
                         today=A, echo=quiet).problem() is None  # fmt: skip
        days = [D[1] + dt.timedelta(days=i) for i in range(25)]
        assert (
            mixpanel.load(url, ["acme"], days, mixpanel_settings(mp), echo=quiet).problem() is None
        )
        build(url, A)
        yield {"url": url, "mp": mp, "days": days}


COLUMNS = [
    "mixpanel_trial_count",
    "trial_user_ids",
    "post_trial_user_ids",
    "converted_user_ids",
    "trial_refund_user_ids",
    "mixpanel_purchase_count",
    "purchase_user_ids",
    "purchase_refund_user_ids",
    "actual_revenue_usd",
    "actual_refunds_usd",
    "net_actual_revenue_usd",
    "trial_conversion_rate_actual",
    "trial_refund_rate_actual",
    "purchase_refund_rate_actual",
    "trial_conversion_rate_estimated",
    "trial_refund_rate_estimated",
    "purchase_refund_rate_estimated",
    "estimated_revenue_usd",
    "meta_spend_usd",
    "meta_link_clicks",
    "meta_trial_count",
    "meta_purchase_count",
    "trial_accuracy_ratio",
    "purchase_accuracy_ratio",
    "adjusted_estimated_revenue_usd",
    "profit_usd",
    "estimated_roas",
    "mixpanel_cost_per_trial",
    "mixpanel_cost_per_purchase",
    "meta_cost_per_trial",
    "meta_cost_per_purchase",
    "click_to_trial_rate",
    "data_quality_score",
    "is_active",
]


def row(url: str, entity_type: str, entity_id: str, day: int, country: str | None = None):
    table = (
        "mart_subscription_entity_country_daily" if country else "mart_subscription_entity_daily"
    )
    where = " and country_code = %s" if country else ""
    params = (entity_type, entity_id, D[day]) + ((country,) if country else ())
    rows = query(url, f"select {', '.join(COLUMNS)} from marts.{table} where entity_type = %s "
                 f"and entity_id = %s and date_day = %s{where}", params)  # fmt: skip
    assert len(rows) == 1, (entity_type, entity_id, day, country, rows)
    return dict(zip(COLUMNS, rows[0], strict=True))


def expect(got: dict, **want) -> None:
    for name, value in want.items():
        actual = got[name]
        if isinstance(value, float) and actual is not None:
            assert float(actual) == pytest.approx(value, abs=1e-6), name
        else:
            assert actual == value, (name, actual, value)


def test_campaign_c1_on_the_first_cohort_day(wh):
    est = 5 * TRIAL  # u01, u02, u03 and u04's two products
    spend = 150 * 1.04
    expect(
        row(wh["url"], "campaign", "c1", 10),
        mixpanel_trial_count=4, trial_user_ids="u01,u02,u03,u04",
        post_trial_user_ids="u01,u02,u03,u04", converted_user_ids="u01,u02,u04",
        trial_refund_user_ids="u02", mixpanel_purchase_count=0, purchase_user_ids="",
        purchase_refund_user_ids="", actual_revenue_usd=9.99 + 9.99 + 59.99,
        actual_refunds_usd=9.99, net_actual_revenue_usd=9.99 + 59.99,
        trial_conversion_rate_actual=0.75, trial_refund_rate_actual=1 / 3,
        purchase_refund_rate_actual=None, trial_conversion_rate_estimated=0.4,
        trial_refund_rate_estimated=0.1, purchase_refund_rate_estimated=None,
        estimated_revenue_usd=est, meta_spend_usd=spend, meta_link_clicks=70,
        meta_trial_count=Decimal(4), meta_purchase_count=Decimal(1), trial_accuracy_ratio=100.0,
        purchase_accuracy_ratio=0.0, adjusted_estimated_revenue_usd=est,
        profit_usd=est - spend, estimated_roas=est / spend, mixpanel_cost_per_trial=spend / 4,
        mixpanel_cost_per_purchase=None, meta_cost_per_trial=spend / 4,
        meta_cost_per_purchase=spend, click_to_trial_rate=4 / 70,
        data_quality_score=6 / 7, is_active=True,
    )  # fmt: skip


def test_purchases_unattributed_users_and_the_ad_set_without_users(wh):
    url = wh["url"]
    spend, est = 30 * 1.04, 2 * PURCHASE
    expect(
        row(url, "campaign", "c2", 10),
        mixpanel_trial_count=0, mixpanel_purchase_count=2, purchase_user_ids="u06,u07",
        purchase_refund_user_ids="u06", actual_revenue_usd=69.98, actual_refunds_usd=59.99,
        net_actual_revenue_usd=9.99, purchase_refund_rate_actual=0.5,
        trial_conversion_rate_actual=None, purchase_refund_rate_estimated=0.05,
        trial_conversion_rate_estimated=None, estimated_revenue_usd=est,
        trial_accuracy_ratio=0.0, purchase_accuracy_ratio=100.0,  # purchases > trials
        adjusted_estimated_revenue_usd=est, profit_usd=est - spend, estimated_roas=est / spend,
        mixpanel_cost_per_trial=None, mixpanel_cost_per_purchase=spend / 2,
    )  # fmt: skip
    expect(
        row(url, "ad", "unattributed", 10),
        trial_user_ids="u05", converted_user_ids="u05", actual_revenue_usd=9.99,
        estimated_revenue_usd=TRIAL, meta_spend_usd=0.0, trial_accuracy_ratio=100.0,
        purchase_accuracy_ratio=None, adjusted_estimated_revenue_usd=TRIAL, profit_usd=TRIAL,
        estimated_roas=None,
    )  # fmt: skip
    expect(
        row(url, "adset", "s2", 10),
        mixpanel_trial_count=0, trial_user_ids="", meta_spend_usd=52.0, meta_link_clicks=20,
        trial_accuracy_ratio=None, purchase_accuracy_ratio=None, estimated_revenue_usd=0.0,
        adjusted_estimated_revenue_usd=0.0, profit_usd=-52.0, is_active=True,
    )  # fmt: skip
    # 03-12: no Meta rows for the client that day -> quality 0; u11 converted, u12 bought
    expect(row(url, "adset", "s2", 12), trial_user_ids="u11", converted_user_ids="u11",
           actual_revenue_usd=9.99, data_quality_score=0.0)  # fmt: skip
    expect(row(url, "campaign", "unattributed", 12), purchase_user_ids="u12")


def test_a_trial_six_days_before_a_is_not_post_trial_and_equal_counts_use_the_trial_ratio(wh):
    est = TRIAL + PURCHASE  # u08's trial and u10's purchase
    spend = 40 * 1.04
    expect(
        row(wh["url"], "ad", "101", 14),
        trial_user_ids="u08", post_trial_user_ids="", converted_user_ids="",
        trial_conversion_rate_actual=None, purchase_user_ids="u10",
        purchase_refund_user_ids="u10", actual_revenue_usd=9.99, actual_refunds_usd=9.99,
        net_actual_revenue_usd=0.0, estimated_revenue_usd=est, meta_trial_count=Decimal(2),
        trial_accuracy_ratio=50.0, purchase_accuracy_ratio=100.0,
        adjusted_estimated_revenue_usd=est / 0.5, profit_usd=est / 0.5 - spend,
        data_quality_score=2 / 3,  # u08, u10 attributed, u09 not; Meta has the day
    )  # fmt: skip


def test_gap_days_are_zero_rows_and_spans_follow_activity(wh):
    got = query(
        wh["url"],
        "select entity_id, min(date_day), max(date_day), count(*), sum(case when is_active "
        "then 1 else 0 end) from marts.mart_subscription_entity_daily "
        "where entity_type = 'campaign' group by 1 order by 1",
    )
    assert got == [("c1", D[10], D[14], 5, 3), ("c2", D[10], D[10], 1, 1),
                   ("unattributed", D[10], D[14], 5, 3)]  # fmt: skip
    expect(row(wh["url"], "campaign", "c1", 11), is_active=False, mixpanel_trial_count=0,
           trial_user_ids="", meta_spend_usd=0.0, trial_accuracy_ratio=None)  # fmt: skip


def test_country_rows(wh):
    url = wh["url"]
    expect(row(url, "campaign", "c1", 10, "US"), trial_user_ids="u01,u02,u04",
           meta_spend_usd=156.0, meta_trial_count=Decimal(4))  # fmt: skip
    expect(row(url, "campaign", "c1", 10, "DE"), trial_user_ids="u03", meta_spend_usd=0.0,
           trial_accuracy_ratio=100.0)  # fmt: skip
    expect(row(url, "campaign", "unattributed", 12, "ZZ"), purchase_user_ids="u12")
    overall = row(url, "campaign", "c1", 10)
    assert row(url, "campaign", "c1", 10, "ALL") == overall


def snapshot(url: str) -> dict[str, set]:
    out = {}
    for mart in MARTS.split():
        sql = (
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = %s and column_name not in "
            "('dbt_updated_at', 'estimates_as_of', 'day_fingerprint') order by 1"
        )
        cols = [c for (c,) in query(url, sql, (mart,))]
        out[mart] = set(query(url, f"select {', '.join(cols)} from marts.{mart}"))
    return out


def test_a_90_day_reload_changes_nothing_and_incremental_equals_full_refresh(wh):
    url, mp = wh["url"], wh["mp"]
    before = snapshot(url)
    days = [A - dt.timedelta(days=i) for i in range(89, -1, -1)]
    assert mixpanel.load(url, ["acme"], days, mixpanel_settings(mp), echo=quiet).problem() is None
    build(url, A)
    assert snapshot(url) == before
    # later: a late refund for an old cohort (u01), a new cohort; built incrementally as of 04-10
    later = dt.date(2026, 4, 10)
    mp.events[PROJECT] += [
        event("RC Cancellation", "u01", dt.datetime(2026, 4, 5, tzinfo=UTC), "r01",
              product_id="pro_monthly", revenue=-9.99),
        event("RC Trial started", "u20", dt.datetime(2026, 4, 8, tzinfo=UTC), "t20",
              product_id="pro_monthly", mp_country_code="US", **C1),
    ]  # fmt: skip
    april = [dt.date(2026, 4, 1) + dt.timedelta(days=i) for i in range(10)]
    assert mixpanel.load(url, ["acme"], april, mixpanel_settings(mp), echo=quiet).problem() is None
    build(url, later)
    incremental = snapshot(url)
    # only changed client-days were rebuilt: 03-11..03-13 kept the estimates of the first run
    kept = query(url, "select distinct date_day from marts.mart_subscription_entity_daily "
                 "where estimates_as_of = %s order by 1", (A,))  # fmt: skip
    assert kept == [(D[11],), (D[12],), (D[13],)]
    assert row(url, "campaign", "c1", 10)["trial_refund_user_ids"] == "u01,u02"
    assert row(url, "ad", "101", 14)["post_trial_user_ids"] == "u08"
    build(url, later, "--full-refresh")
    assert snapshot(url) == incremental


def test_estimates_use_the_segment_then_the_product_then_the_seed(wh):
    """estimate_min_users 2. Matured cohorts at A (cohort day <= 03-13): trial members u01,
    u02, u04 (pro_monthly, US; u01 and u02 converted, u02 refunded), u03 (monthly, DE), u05
    (monthly, FR, converted), u11 (monthly, GB, converted), u04 (pro_annual, US, converted);
    purchases u06 (annual, US, refunded), u07 (monthly, DE), u12 (monthly, ZZ).
    monthly x US: P(convert) 2/3 (3 members), P(trial refund) 1/2 (2 converted), price 9.99
    (2 paying); monthly purchases x US: none -> product: 0 refunded of 2 -> 0.
    monthly x DE trials: 1 member -> product: P(trial refund) 1 of 4 converted = 0.25.
    annual x US trials: 1 member, annual product 1 member -> seed (0.40, 0.10); its price
    has 2 paying members (u04's conversion, u06's purchase): 59.99."""
    url = wh["url"]
    run_dbt(["build", *SELECT, "--full-refresh", "--vars",
             f"{{as_of_date: '{A}', estimate_min_users: 2}}"], url)  # fmt: skip
    trial_us, purchase_us = 9.99 * 2 / 3 * 0.5, 9.99 * (1 - 0)
    expect(
        row(url, "ad", "101", 14),  # u08 (trial, monthly, US), u10 (purchase, monthly, US)
        trial_conversion_rate_estimated=2 / 3, trial_refund_rate_estimated=0.5,
        purchase_refund_rate_estimated=0.0, estimated_revenue_usd=trial_us + purchase_us,
        adjusted_estimated_revenue_usd=(trial_us + purchase_us) / 0.5,
    )  # fmt: skip
    expect(row(url, "campaign", "c1", 10, "DE"), trial_refund_rate_estimated=0.25,
           trial_conversion_rate_estimated=4 / 6)  # fmt: skip
    expect(
        row(url, "campaign", "c1", 10, "US"),  # u01, u02, u04 monthly at the segment; u04 annual
        trial_conversion_rate_estimated=(3 * 2 / 3 + 0.4) / 4,
        trial_refund_rate_estimated=(3 * 0.5 + 0.1) / 4,
        estimated_revenue_usd=3 * trial_us + 59.99 * 0.4 * 0.9,  # annual x US price: u04, u06
    )  # fmt: skip
