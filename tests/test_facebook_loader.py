"""Facebook Ads Manager uploads: real files (tests/fixtures/facebook) into a real Postgres.

Expected figures are worked out by hand from the fixture files, not read from the code:

ads_manager_daily.csv (UTF-8 BOM, CRLF, `Amount spent (USD)`, thousands separators, Ads
Manager's summary row on row 2), data rows 3-8:
    day         ad          impressions  link clicks  amount    results  purchase value
    2026-03-01  Video A          12,345          150  1,234.56        3         450.00
    2026-03-01  Carousel B        3,000           30     45.67   (blank)       (blank)
    2026-03-02  Video A          12,600          160  1,300.00        5       1,020.50
    2026-03-02  Carousel B        2,850           25     40.10        1          80
    2026-03-03  Video A          13,200      (blank)  1,355.25        4         300.00
    2026-03-03  Static C         60,000           90    600.00   (blank)       (blank)
    sums                        103,995          455  4,575.58       13       1,850.50
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import FIXTURES, query

from loaders import cli
from loaders.core.errors import AdwhError, FileRejected
from loaders.sources import facebook

FB = FIXTURES / "facebook"
DAILY = FB / "ads_manager_daily.csv"
PLAIN = FB / "plain_template.csv"
BY_DAY = FB / "ads_manager_by_day.csv"
CORRECTED = FB / "ads_manager_corrected.csv"
PERIOD = FB / "ads_manager_period.csv"
NO_AD_SET = FB / "ads_manager_no_ad_set.csv"

D1, D2, D3, D4, D5 = (dt.date(2026, 3, d) for d in range(1, 6))
SETTINGS = facebook.FacebookSettings(max_upload_mb=50)


def run(url: str, client: str, *paths: Path, **kwargs) -> list[facebook.UploadResult]:
    lines: list[str] = []
    kwargs.setdefault("settings", SETTINGS)
    results = facebook.load(url, client, list(paths), echo=lines.append, **kwargs)
    assert len(lines) == len(results)
    return results


def raw_totals(url: str, client: str) -> tuple:
    """rows, impressions, the chosen clicks, conversions, revenue and media cost of a client."""
    return query(
        url,
        """
        select count(*), sum(impressions),
               sum(case clicks_column when 'clicks' then clicks when 'link_clicks' then link_clicks
                                      when 'clicks_all' then clicks_all end),
               sum(coalesce(conversions, results)),
               sum(coalesce(revenue, purchases_conversion_value,
                            website_purchases_conversion_value)),
               sum(amount_spent)
        from raw_facebook.ad_daily where client_id = %s""",
        (client,),
    )[0]


def uploads(url: str) -> list[tuple]:
    return query(
        url,
        "select file_name, status, rows_loaded, summary_rows_skipped, first_day, last_day, "
        "days, days_replaced, message from raw_facebook.uploads order by loaded_at",
    )


def log_rows(url: str) -> list[tuple]:
    return query(
        url,
        "select source, client_id, object_key, status, rows_loaded "
        "from adwh_ops.ingestion_log order by log_id",
    )


def raw_exists(url: str) -> bool:
    return query(url, "select to_regclass('raw_facebook.ad_daily') is not null")[0][0]


# --- XLSX as Ads Manager writes it: numbers as numbers, a notes sheet in front ----------------


def _cell(text: str):
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text)
    plain = text.replace(",", "")
    if re.fullmatch(r"-?\d+", plain):
        return int(plain)
    if re.fullmatch(r"-?\d+\.\d+", plain):
        return float(plain)
    return text or None


def csv_to_xlsx(path: Path, notes_sheet: bool = True) -> bytes:
    from openpyxl import Workbook

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    workbook = Workbook()
    first = workbook.active
    if notes_sheet:
        first.title = "Export info"
        first.append(["Exported from Ads Manager"])
        first.append(["Attribution setting", "7-day click or 1-day view"])
        data = workbook.create_sheet("Raw Data Report")
    else:
        data = first
    data.append(rows[0])
    for row in rows[1:]:
        data.append([_cell(c) for c in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- parsing, no database ----------------------------------------------------------------------


def test_header_matching_ignores_case_and_spacing_and_keeps_every_column():
    text = (
        "REPORTING_STARTS, reporting  ends ,campaign NAME,Ad-Set Name,AD NAME,impressions,"
        "LINK CLICKS,amount spent (GBP),Quality ranking\n"
        "2026-03-01,2026-03-01,C,S,A,10,1,2.50,Average\n"
    )
    parsed = facebook.parse(text.encode(), "x.csv")
    table = parsed.table
    assert table.column("link_clicks").to_pylist() == [1]
    assert table.column("amount_spent").to_pylist() == [Decimal("2.5")]
    assert table.column("quality_ranking").to_pylist() == ["Average"]
    assert parsed.layout.currency == "GBP"
    assert parsed.report_dates.to_pylist() == [D1]


def test_clicks_conversions_revenue_precedence():
    header = "Day,Campaign name,Ad set name,Ad name,Impressions,Clicks (all),Link clicks,Clicks,"
    header += "Results,Conversions,Website purchases conversion value,Purchases conversion value"
    parsed = facebook.parse(f"{header}\n2026-03-01,C,S,A,10,9,3,5,1,2,7,8\n".encode(), "x.csv")
    layout = parsed.layout
    assert (layout.clicks, layout.conversions, layout.revenue, layout.media_cost) == (
        "clicks",
        "conversions",
        "purchases_conversion_value",
        None,
    )
    assert "clicks from 'Clicks'" in layout.choices()
    assert "no amount spent column" in layout.choices()


def test_two_amount_spent_columns_are_refused():
    header = "Day,Campaign name,Ad set name,Ad name,Impressions,Link clicks,"
    header += "Amount spent (USD),Amount spent (EUR)"
    with pytest.raises(FileRejected) as err:
        facebook.parse(f"{header}\n2026-03-01,C,S,A,10,1,1,1\n".encode(), "x.csv")
    assert "two columns match 'amount_spent'" in str(err.value)


def test_results_from_line_is_a_summary_row_and_a_blank_day_is_refused():
    header = "Day,Campaign name,Ad set name,Ad name,Impressions,Link clicks"
    body = f"{header}\nResults from 2 ads,,,,30,3\n2026-03-01,C,S,A,10,1\n2026-03-02,C,S,A,20,2\n"
    parsed = facebook.parse(body.encode(), "x.csv")
    assert parsed.summary_rows == [2]
    assert parsed.row_numbers.to_pylist() == [3, 4]
    with pytest.raises(FileRejected) as err:
        facebook.parse(f"{header}\n2026-03-01,C,S,A,10,1\n,C,S,A,20,2\n".encode(), "x.csv")
    assert str(err.value) == (
        "x.csv, row 3, column 'Day': the date is blank (every data row needs its day)"
    )
    with pytest.raises(FileRejected) as err:
        facebook.parse(f"{header}\nTotal,,,,10,1\n".encode(), "x.csv")
    assert "all 1 row(s) are summary rows" in str(err.value)


MISSING_CAMPAIGN = (
    "Day,Campaign name,Ad set name,Ad name,Impressions,Link clicks,Amount spent (USD)\n"
    ",,,,3300,33,33.00\n"  # row 2: Ads Manager's totals line (no names)
    "2026-03-01,Spring,Broad,Video A,1000,10,10.00\n"  # 3
    "2026-03-01,,Broad,Video B,2000,20,20.00\n"  # 4: a data row without its campaign name
    "2026-03-02,Total,,,300,3,3.00\n"  # 5: a total line added in Excel
)


def test_a_data_row_missing_its_campaign_name_is_loaded_not_skipped(db_url, tmp_path):
    path = tmp_path / "missing_campaign.csv"
    path.write_text(MISSING_CAMPAIGN)
    [result] = run(db_url, "acme", path)
    assert result.status == "loaded"
    assert result.summary_rows == [2, 5]
    assert result.rows == 2
    # rows 3 and 4 land: 1,000 + 2,000 impressions; row 4 keeps its empty campaign cell
    assert query(
        db_url,
        "select source_row_number, coalesce(campaign_name, ''), ad_set_name, ad_name, "
        "impressions from raw_facebook.ad_daily order by 1",
    ) == [(3, "Spring", "Broad", "Video A", 1000), (4, "", "Broad", "Video B", 2000)]


def test_an_xlsx_campaign_formula_without_a_value_is_loaded_and_named(db_url, tmp_path):
    from test_tabular import xlsx_with_formulas

    header = ["Day", "Campaign name", "Ad set name", "Ad name", "Impressions", "Link clicks"]
    data = xlsx_with_formulas(
        [
            header,
            ["2026-03-01", '="Spring "&"Sale"', "Broad", "Video A", 1000, 10],  # cached
            ["2026-03-01", '="Spring "&"Sale"', "Broad", "Video B", 2000, 20],  # not cached
        ],
        {"B2": ("str", "Spring Sale")},
    )
    path = tmp_path / "formulas.xlsx"
    path.write_bytes(data)
    [result] = run(db_url, "acme", path)
    assert result.status == "loaded"
    assert result.rows == 2 and result.summary_rows == []
    assert "warning: row 3, column 'Campaign name': a formula without a cached value" in (
        result.line()
    )
    assert query(
        db_url,
        "select source_row_number, campaign_name, impressions from raw_facebook.ad_daily "
        "order by 1",
    ) == [(2, "Spring Sale", 1000), (3, "", 2000)]


# --- loads -------------------------------------------------------------------------------------


def test_plain_template_csv_loads_and_its_total_line_is_skipped_and_counted(db_url):
    [result] = run(db_url, "acme", PLAIN)
    assert result.status == "loaded"
    assert result.rows == 4
    assert result.summary_rows == [6]
    assert "skipped 1 summary row(s) (row 6;" in result.message
    assert "clicks from 'Clicks', conversions from 'Conversions', revenue from 'Revenue'" in (
        result.message
    )
    # 1000+2000+1500+500; clicks 10+30+(blank)+600; conversions 1+2+0+1; revenue 25+60.50+10
    assert raw_totals(db_url, "acme") == (4, 5000, 640, Decimal(4), Decimal("95.5"), None)
    rows = query(
        db_url,
        "select source_row_number, day, campaign_name, ad_set_name, ad_name, clicks, revenue, "
        "media_cost_column, currency_code from raw_facebook.ad_daily order by 1",
    )
    assert rows[2] == (4, D2, "Winter Promo", "Prospecting", "Ad 1", None, None, None, None)
    assert [r[0] for r in rows] == [2, 3, 4, 5]
    assert uploads(db_url)[0][:8] == ("plain_template.csv", "loaded", 4, 1, D1, D2, 2, 0)


def test_ads_manager_csv_with_bom_currency_and_thousands_separators(db_url):
    [result] = run(db_url, "globex", DAILY)
    assert result.status == "loaded", result.message
    assert result.summary_rows == [2]  # Ads Manager's summary row: no names, the whole period
    assert (result.first_day, result.last_day, result.days) == (D1, D3, 3)
    for said in (
        "clicks from 'Link clicks'",
        "conversions from 'Results'",
        "revenue from 'Purchases conversion value'",
        "media cost from 'Amount spent (USD)'",
    ):
        assert said in result.message
    assert raw_totals(db_url, "globex") == (
        6,
        103995,
        455,
        Decimal(13),
        Decimal("1850.5"),
        Decimal("4575.58"),
    )
    first = query(
        db_url,
        "select source_row_number, report_date, reporting_starts, reporting_ends, campaign_name, "
        "reach, frequency, clicks_all, currency_code, result_indicator, "
        "cpm_cost_per_1_000_impressions_usd, source_file_name, source_size "
        "from raw_facebook.ad_daily order by source_row_number limit 1",
    )[0]
    assert first == (
        3,
        D1,
        D1,
        D1,
        "Spring Sale, US",
        9876,
        Decimal("1.25"),
        210,
        "USD",
        "actions:offsite_conversion.fb_pixel_purchase",
        "100.00",
        "ads_manager_daily.csv",
        DAILY.stat().st_size,
    )
    header = query(db_url, "select header from raw_facebook.uploads")[0][0]
    assert header.startswith('["Reporting starts", "Reporting ends", "Campaign name"')


def test_the_same_export_as_xlsx_with_a_notes_sheet_in_front(db_url, tmp_path):
    path = tmp_path / "ads_manager_daily.xlsx"
    path.write_bytes(csv_to_xlsx(DAILY))
    [result] = run(db_url, "globex", path)
    assert result.status == "loaded", result.message
    assert result.summary_rows == [2]
    assert raw_totals(db_url, "globex") == (
        6,
        103995,
        455,
        Decimal(13),
        Decimal("1850.5"),
        Decimal("4575.58"),
    )
    assert query(
        db_url,
        "select distinct report_date, currency_code from raw_facebook.ad_daily order by 1",
    ) == [(D1, "USD"), (D2, "USD"), (D3, "USD")]


def test_day_column_export_uses_the_day_not_the_reporting_period(db_url):
    [result] = run(db_url, "acme", BY_DAY)
    assert result.status == "loaded", result.message
    assert "clicks from 'Clicks (all)'" in result.message
    assert "revenue from 'Website purchases conversion value'" in result.message
    assert "[EUR]" in result.message
    assert query(
        db_url,
        "select report_date, count(*), sum(impressions), sum(clicks_all), sum(amount_spent), "
        "min(currency_code) from raw_facebook.ad_daily group by 1 order by 1",
    ) == [
        (D4, 2, 25000, 170, Decimal("262.5"), "EUR"),
        (D5, 1, 18000, 120, Decimal("190"), "EUR"),
    ]


def test_period_export_is_refused_with_a_daily_breakdown_hint_and_nothing_lands(db_url):
    [result] = run(db_url, "globex", PERIOD)
    assert result.status == "rejected"
    assert result.message.startswith("row 3, column 'Reporting ends': this is a period export")
    assert "2026-03-01 to 2026-03-07" in result.message
    assert "daily breakdown" in result.message
    assert not raw_exists(db_url)  # row 2 was a fine daily row: it did not land either
    assert [u[:2] for u in uploads(db_url)] == [("ads_manager_period.csv", "rejected")]
    assert log_rows(db_url) == [("facebook", "globex", "ads_manager_period.csv", "rejected", None)]


def test_missing_required_column_is_refused_and_named(db_url):
    [result] = run(db_url, "globex", NO_AD_SET)
    assert result.status == "rejected"
    assert result.message.startswith("row 1: missing required column(s) 'Ad set name';")
    assert "the header has 'Reporting starts'" in result.message
    assert not raw_exists(db_url)


def test_file_over_the_size_limit_is_refused_unread(db_url, tmp_path, monkeypatch):
    big = tmp_path / "huge_export.csv"
    with big.open("wb") as f:
        f.truncate(51 * 1024 * 1024)  # sparse: 51 MB on paper

    def must_not_read(path):
        raise AssertionError(f"{path} was read")

    monkeypatch.setattr(facebook.upload, "_read_bytes", must_not_read)
    # settings from .dlt/config.toml (max_upload_mb = 50)
    [result] = facebook.load(db_url, "globex", [big], echo=lambda _: None)
    assert result.status == "rejected"
    assert result.message.startswith("51.0 MB is over the 50 MB limit")
    assert query(db_url, "select sha256, size_bytes, status from raw_facebook.uploads") == [
        (None, 51 * 1024 * 1024, "rejected")
    ]


def test_other_file_types_and_missing_files_are_refused(db_url, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    results = run(db_url, "globex", pdf, tmp_path / "nowhere.csv")
    assert [r.status for r in results] == ["rejected", "missing_file"]
    assert "not a CSV or XLSX file" in results[0].message
    expected = r"2 of 2 file\(s\) not loaded \(1 missing_file, 1 rejected\)"
    with pytest.raises(AdwhError, match=expected):
        facebook.raise_on_failures(results, echo=lambda _: None)


def test_same_file_twice_is_a_no_op_even_renamed(db_url, tmp_path):
    run(db_url, "globex", DAILY)
    before = query(
        db_url, "select upload_id, _dlt_load_id, count(*) from raw_facebook.ad_daily group by 1, 2"
    )
    renamed = tmp_path / "export (1).csv"
    shutil.copyfile(DAILY, renamed)
    [again] = run(db_url, "globex", renamed)

    assert again.status == "skipped"
    assert re.match(
        r"already loaded on \d{4}-\d\d-\d\d \d\d:\d\d UTC as 'ads_manager_daily.csv' "
        r"\(upload \w+, 6 rows for 2026-03-01..2026-03-03\); nothing changed$",
        again.message,
    ), again.message
    after = query(
        db_url, "select upload_id, _dlt_load_id, count(*) from raw_facebook.ad_daily group by 1, 2"
    )
    assert after == before
    facebook.raise_on_failures([again], echo=lambda _: None)  # a no-op is not a failure
    assert [u[1] for u in uploads(db_url)] == ["loaded", "skipped"]
    assert [r[3] for r in log_rows(db_url)] == ["loaded", "skipped"]

    # the same bytes for another client are that client's first upload
    [other] = run(db_url, "acme", DAILY)
    assert other.status == "loaded"
    # --force loads it again: same rows, all three days replaced
    [forced] = run(db_url, "globex", DAILY, force=True)
    assert forced.status == "loaded"
    assert forced.days_replaced == 3
    assert raw_totals(db_url, "globex")[:2] == (6, 103995)


def test_a_file_with_a_day_missing_is_not_said_to_be_partly_replaced(db_url, tmp_path):
    gap = tmp_path / "gap.csv"  # Ads Manager omits days without delivery
    gap.write_text(
        "Day,Campaign name,Ad set name,Ad name,Impressions,Link clicks\n"
        "2026-03-01,C,S,A,10,1\n2026-03-03,C,S,A,20,2\n"
    )
    [first] = run(db_url, "globex", gap)
    [again] = run(db_url, "globex", gap)
    assert (first.days, again.status) == (2, "skipped")
    assert again.message.endswith("nothing changed")


def test_overlapping_newer_file_replaces_only_the_days_it_covers(db_url):
    run(db_url, "acme", PLAIN)  # another client, same days: untouched
    [first] = run(db_url, "globex", DAILY)
    [newer] = run(db_url, "globex", CORRECTED)

    assert newer.status == "loaded"
    assert (newer.days, newer.days_replaced) == (2, 1)  # 03-03 replaced, 03-04 new
    assert "(2 day(s), 1 replaced (previously from ads_manager_daily.csv))" in newer.message
    by_day = query(
        db_url,
        "select report_date, upload_id = %s, count(*), sum(impressions), sum(amount_spent) "
        "from raw_facebook.ad_daily where client_id = 'globex' group by 1, 2 order by 1",
        (first.upload_id,),
    )
    assert by_day == [
        (D1, True, 2, 15345, Decimal("1280.23")),
        (D2, True, 2, 15450, Decimal("1340.1")),
        (D3, False, 1, 13500, Decimal("1400")),
        (D4, False, 1, 9000, Decimal("900")),
    ]
    assert raw_totals(db_url, "acme")[:2] == (4, 5000)
    # the older file again: a no-op that says its days were partly replaced since
    [old] = run(db_url, "globex", DAILY)
    assert old.status == "skipped"
    assert "Newer uploads have since replaced some of its days (2 still from it)" in old.message


def test_cli_prints_one_line_per_file_and_exits_non_zero_on_a_refusal(db_url, capsys):
    code = cli.main(["load", "facebook", str(DAILY), str(PERIOD), "--client", "globex"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "globex ads_manager_daily.csv: loaded 6 rows for 2026-03-01..2026-03-03" in out
    assert "globex ads_manager_period.csv: rejected: row 3, column 'Reporting ends'" in out
    assert err.strip() == "adwh: error: 1 of 2 file(s) not loaded (1 rejected)"

    code = cli.main(["load", "facebook", str(DAILY), "--client", "globex"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "skipped: already loaded on" in out
    assert "0 file(s) loaded, 1 already loaded before (unchanged)" in out
