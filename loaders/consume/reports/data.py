"""What a client report shows, read from the marts for one client and period.

Periods: a daily report covers the as-of day; a weekly report the last complete ISO week
(Monday to Sunday) ending on or before the as-of day; a monthly report the last complete
calendar month ending on or before it. The as-of day defaults to the client's newest day in
marts.mart_entity_daily_metrics, so a report is a pure function of the warehouse and the
as-of day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from loaders.core.errors import AdwhError

KINDS = ("daily", "weekly", "monthly")
M = "marts"
KPI_COLUMNS = (
    "spend", "impressions", "clicks", "conversions", "conversion_revenue", "ctr", "cpc", "cpa",
    "roas",
)  # fmt: skip
TREND_DAYS = 14  # the daily report's chart shows this many days ending on the as-of day


class ReportError(AdwhError):
    exit_code = 2


@dataclass
class ReportData:
    kind: str
    client_id: str
    client_name: str
    as_of: dt.date
    period_start: dt.date
    period_end: dt.date
    currency: str
    kpis: dict[str, Any]  # column -> value, plus <column>_delta_pct
    has_data: bool
    daily: list[tuple] = field(default_factory=list)  # (date_day, spend, roas)
    top_campaigns: list[tuple] = field(
        default_factory=list
    )  # (rank, name, conversions, revenue, spend)
    underperformers: list[tuple] = field(default_factory=list)  # (name, spend, ctr, reason)
    # (country_code, spend, impressions); 'ZZ' is the part without a country, no 'ALL' total
    countries: list[tuple] = field(default_factory=list)
    creatives: list[tuple] = field(default_factory=list)  # (rank, creative, campaign, spend)
    creatives_as_of: dt.date | None = None
    coverage: list[tuple] = field(default_factory=list)  # (date_day, source, status, reason)
    alerts: list[dict] = field(default_factory=list)


def report_period(kind: str, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the period the report covers (see module docstring)."""
    if kind == "daily":
        return as_of, as_of
    if kind == "weekly":
        end = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)  # Sunday on or before
        return end - dt.timedelta(days=6), end
    if kind == "monthly":
        next_day = as_of + dt.timedelta(days=1)
        end = as_of if next_day.month != as_of.month else as_of.replace(day=1) - dt.timedelta(1)
        return end.replace(day=1), end
    raise ReportError(f"unknown report {kind!r}; use one of {', '.join(KINDS)}")


def _rows(conn, sql: str, params: tuple | dict = ()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _exists(conn, table: str) -> bool:
    return bool(
        _rows(
            conn,
            "select 1 from information_schema.tables where table_schema = %s and table_name = %s",
            (M, table),
        )
    )


def load_report_data(conn, kind: str, client: str, as_of: dt.date | None) -> ReportData:
    if kind not in KINDS:
        raise ReportError(f"unknown report {kind!r}; use one of {', '.join(KINDS)}")
    if not _exists(conn, "mart_entity_daily_metrics"):
        raise ReportError("the marts are not built yet: run `adwh build` first")
    found = _rows(conn, f"select client_name from {M}.dim_clients where client_id = %s", (client,))
    if not found:
        raise ReportError(f"unknown client {client!r} (not in {M}.dim_clients)")
    if as_of is None:
        newest = _rows(
            conn,
            f"select max(date_day) from {M}.mart_entity_daily_metrics "
            "where entity_type = 'client' and client_id = %s",
            (client,),
        )[0][0]
        if newest is None:
            raise ReportError(f"client {client!r} has no data in the marts: give --as-of")
        as_of = newest
    start, end = report_period(kind, as_of)
    p = {"client": client, "start": start, "end": end, "as_of": as_of}
    kpis = _kpis(conn, kind, p)
    data = ReportData(
        kind=kind,
        client_id=client,
        client_name=found[0][0],
        as_of=as_of,
        period_start=start,
        period_end=end,
        currency=_currency(conn, p),
        kpis=kpis,
        has_data=bool(kpis),
    )
    trend_start = start if kind != "daily" else end - dt.timedelta(days=TREND_DAYS - 1)
    data.daily = _rows(
        conn,
        f"select date_day, spend, roas from {M}.mart_entity_daily_metrics "
        "where entity_type = 'client' and client_id = %(client)s "
        "and date_day between %(trend_start)s and %(end)s order by date_day",
        {**p, "trend_start": trend_start},
    )
    data.top_campaigns = _top_campaigns(conn, kind, p)
    data.underperformers = _underperformers(conn, kind, p)
    data.countries = _rows(
        conn,
        f"select country_code, sum(spend), sum(impressions) from {M}.mart_entity_country_daily "
        "where entity_type = 'client' and client_id = %(client)s "
        "and date_day between %(start)s and %(end)s and country_code <> 'ALL' "
        "group by country_code order by sum(spend) desc, country_code limit 10",
        p,
    )
    if _exists(conn, "mart_creative_spend_rankings"):
        data.creatives = _rows(
            conn,
            f"select spend_rank_7d, creative_name, campaign_name, spend_7d, as_of_date "
            f"from {M}.mart_creative_spend_rankings where client_id = %(client)s "
            "and spend_rank_7d is not null order by spend_rank_7d, creative_name limit 10",
            p,
        )
        data.creatives_as_of = data.creatives[0][4] if data.creatives else None
        data.creatives = [r[:4] for r in data.creatives]
    data.coverage = _rows(
        conn,
        f"select date_day, source, status, coalesce(reason, '') from {M}.mart_data_coverage "
        "where client_id = %(client)s and date_day between %(start)s and %(end)s "
        "and status <> 'loaded' order by date_day, source",
        p,
    )
    data.alerts = _alerts(conn, p)
    return data


def _kpis(conn, kind: str, p: dict) -> dict[str, Any]:
    """Period figures and their change against the previous period, from the marts."""
    if kind == "daily":
        # mart_entity_daily_metrics has no previous-day columns: the change is taken in SQL,
        # from the two client-day rows of the mart (no measure is re-aggregated)
        cols = ", ".join(f"cur.{c}" for c in KPI_COLUMNS)
        deltas = ", ".join(
            f"(cur.{c} - prev.{c}) / nullif(prev.{c}, 0) as {c}_delta_pct" for c in KPI_COLUMNS
        )
        sql = (
            f"select {cols}, {deltas} from {M}.mart_entity_daily_metrics as cur "
            f"left join {M}.mart_entity_daily_metrics as prev on prev.entity_type = 'client' "
            "and prev.client_id = cur.client_id and prev.date_day = cur.date_day - 1 "
            "where cur.entity_type = 'client' and cur.client_id = %(client)s "
            "and cur.date_day = %(start)s"
        )
        names = [*KPI_COLUMNS, *(f"{c}_delta_pct" for c in KPI_COLUMNS)]
    else:
        table = "mart_weekly_summary" if kind == "weekly" else "mart_monthly_summary"
        names = [*KPI_COLUMNS, *(f"{c}_delta_pct" for c in KPI_COLUMNS)]
        sql = (
            f"select {', '.join(names)} from {M}.{table} "
            "where client_id = %(client)s and period_start = %(start)s"
        )
    rows = _rows(conn, sql, p)
    return dict(zip(names, rows[0], strict=True)) if rows else {}


def _currency(conn, p: dict) -> str:
    codes = _rows(
        conn,
        f"select distinct currency_code from {M}.fact_daily_metrics where client_id = %(client)s "
        "and date_day between %(start)s and %(end)s and currency_code is not null order by 1",
        p,
    )
    if not codes:
        return ""
    return codes[0][0] if len(codes) == 1 else "mixed currencies: " + ", ".join(r[0] for r in codes)


def _top_campaigns(conn, kind: str, p: dict) -> list[tuple]:
    if kind == "daily":
        return _rows(
            conn,
            f"select row_number() over (order by conversions desc, entity_name), entity_name, "
            f"conversions, conversion_revenue, spend from {M}.mart_entity_daily_metrics "
            "where entity_type = 'campaign' and client_id = %(client)s "
            "and date_day = %(start)s and conversions > 0 "
            "order by conversions desc, entity_name limit 5",
            p,
        )
    return _rows(
        conn,
        f"select rank, entity_name, conversions, conversion_revenue, spend "
        f"from {M}.mart_period_top_entities where client_id = %(client)s "
        "and period_type = %(period)s and period_start = %(start)s "
        "and ranking = 'campaigns_by_conversions' order by rank",
        {**p, "period": "week" if kind == "weekly" else "month"},
    )


def _underperformers(conn, kind: str, p: dict) -> list[tuple]:
    # a daily report lists the underperformers of the ISO week the day is in
    period = "month" if kind == "monthly" else "week"
    return _rows(
        conn,
        f"select campaign_name, spend, ctr, reason from {M}.mart_underperformers "
        "where client_id = %(client)s and period_type = %(period)s "
        "and period_start <= %(start)s and period_end >= %(start)s "
        "order by spend desc, campaign_name",
        {**p, "period": period},
    )


def _alerts(conn, p: dict) -> list[dict]:
    """Alert episodes of marts.mart_alerts that held on the report's last day (the open ones
    for a report as of the newest day), most severe first; none before the mart exists."""
    if not _exists(conn, "mart_alerts"):
        return []
    columns = ["severity", "alert_type", "message"]
    with conn.cursor() as cur:
        cur.execute(
            f"""select {", ".join(columns)} from {M}.mart_alerts
                where client_id = %(client)s and %(end)s between first_seen_day and last_seen_day
                order by case severity when 'critical' then 0 when 'warning' then 1 else 2 end,
                         alert_type, message
                limit 20""",
            p,
        )
        return [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
