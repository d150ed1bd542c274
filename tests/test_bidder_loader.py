"""Bidder catalog and performance loader: parsing, the row key, refusals, re-imports.

Against a real Postgres (a fresh database per test); no dbt here - the import summary and
the rules are covered in test_performance_warehouse.py.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import FIXTURES, query

from loaders import cli
from loaders.core.tabular import read_strings
from loaders.sources import bidder as performance

EXAMPLE = FIXTURES / "performance_import_example.csv"
CATALOG = FIXTURES / "performance_creatives_example.csv"


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def raw_rows(url: str) -> list[tuple]:
    """Everything of the raw rows except the per-load lineage (load id, loaded_at)."""
    return query(
        url,
        """select row_key, creative_id, date, hour, geography, device_type, impressions, clicks,
                  spend, creative_id_text, date_text, hour_text, impressions_text, clicks_text,
                  spend_text, source_file, source_sha256, source_row_number
           from raw_bidder.creative_performance order by row_key""",
    )


def log_rows(url: str) -> list[tuple]:
    return query(
        url,
        "select status, object_key, rows_loaded, message from adwh_ops.ingestion_log "
        "where source = 'bidder' order by log_id",
    )


# --- parsing --------------------------------------------------------------------------------------


def test_lenient_numbers_read_good_cells_and_leave_bad_ones_null():
    ints = performance.lenient_number(
        pa.array(["12", " 1,234 ", "12.0", "", "12O", "1,23", "-5", "99999999999999999999"]), "int"
    )
    assert ints.to_pylist() == [12, 1234, 12, None, None, None, -5, None]
    decimals = performance.lenient_number(
        pa.array(["125.50", "1,234.5", ".5", "$3.00", "1.2.3", "", "0.1234567890126"]), "decimal"
    )
    assert decimals.to_pylist() == [
        Decimal("125.5"),
        Decimal("1234.5"),
        Decimal("0.5"),
        None,
        None,
        None,
        Decimal("0.123456789013"),  # 12 decimals are stored
    ]


def test_dates_must_be_real_iso_days():
    dates = performance.lenient_date(
        pa.array(["2025-11-29", "2025-11-31", "11/29/2025", "", "2024-02-29", "2025-1-05"])
    )
    assert dates.to_pylist() == [
        dt.date(2025, 11, 29),
        None,
        None,
        None,
        dt.date(2024, 2, 29),
        None,
    ]


def test_headers_match_whatever_the_case_and_spacing_and_absent_columns_mean_not_broken_down():
    body = (
        "Creative ID , DATE,Impressions,CLICKS,Spend,Device Type,Buyer Note\n"
        "079783,2025-11-29,1000,10,5.5, Mobile ,first\n"
        "12x,29/11/2025,1O,,7,,second\n"
    )
    table, headers = performance.parse_performance(read_strings(body.encode(), "p.csv"))
    rows = table.to_pylist()
    assert headers["creative_id"] == "Creative ID" and headers["device_type"] == "Device Type"
    assert [(r["creative_id"], r["date"], r["hour"], r["geography"]) for r in rows] == [
        (79783, dt.date(2025, 11, 29), None, None),
        (None, None, None, None),
    ]
    # the cells as delivered stay beside the typed columns; unknown columns are kept as text
    assert [(r["creative_id_text"], r["impressions_text"], r["buyer_note"]) for r in rows] == [
        ("079783", "1000", "first"),
        ("12x", "1O", "second"),
    ]
    assert [r["clicks"] for r in rows] == [10, None]
    # key: creative_id|date|hour|GEOGRAPHY|device - parsed values, else the trimmed cell
    assert [r["row_key"] for r in rows] == ["79783|2025-11-29|||mobile", "12x|29/11/2025|||"]


def test_key_ignores_case_and_spacing_of_geography_and_device():
    body = (
        "creative_id,date,hour,impressions,clicks,spend,geography,device_type\n"
        "5,2025-11-29,3,1,0,1,br,MOBILE\n"
        "5,2025-11-29,03, 1,0,1, BR ,mobile\n"
    )
    table, _ = performance.parse_performance(read_strings(body.encode(), "p.csv"))
    assert table.column("row_key").to_pylist() == ["5|2025-11-29|3|BR|mobile"] * 2


def test_xlsx_cells_are_read_like_csv_cells():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Creative_ID", "Date", "Hour", "Impressions", "Clicks", "Spend", "Geography"])
    sheet.append([79783, dt.date(2025, 11, 29), 7, 10000, 250, 125.5, "br"])
    sheet.append([79783, "2025-11-29", None, "1O", 1, "x", "IE"])
    data = io.BytesIO()
    workbook.save(data)
    table, _ = performance.parse_performance(read_strings(data.getvalue(), "export.xlsx"))
    assert [
        (r["creative_id"], r["date"], r["hour"], r["impressions"], r["spend"], r["row_key"])
        for r in table.to_pylist()
    ] == [
        (79783, dt.date(2025, 11, 29), 7, 10000, Decimal("125.5"), "79783|2025-11-29|7|BR|"),
        (79783, dt.date(2025, 11, 29), None, None, None, "79783|2025-11-29||IE|"),
    ]


# --- loading --------------------------------------------------------------------------------------


def test_reimport_changes_nothing_and_a_corrected_row_replaces_its_key(db_url, tmp_path):
    example = shutil.copy(EXAMPLE, tmp_path / "export.csv")
    performance.load_performance(db_url, [str(example)], summary=False, echo=None)
    first = raw_rows(db_url)
    assert len(first) == 8

    performance.load_performance(db_url, [str(example)], summary=False, echo=None)
    assert raw_rows(db_url) == first

    # a corrected export of one key (geography and device in another case: the same key)
    corrected = write(
        tmp_path,
        "corrected.csv",
        "creative_id,date,impressions,clicks,spend,geography,device_type\n"
        "79783,2025-11-29,11000,260,130.00,br,Mobile\n",
    )
    performance.load_performance(db_url, [corrected], summary=False, echo=None)
    assert query(
        db_url,
        "select count(*), sum(spend), sum(impressions) from raw_bidder.creative_performance",
    ) == [(8, Decimal("952.50"), Decimal(163000))]  # 948.00 - 125.50 + 130.00; 162000 + 1000
    assert query(
        db_url,
        "select impressions, clicks, spend, geography, source_file from "
        "raw_bidder.creative_performance where row_key = '79783|2025-11-29||BR|mobile'",
    ) == [(11000, 260, Decimal("130.00"), "br", corrected)]
    assert [status for status, *_ in log_rows(db_url)] == ["loaded"] * 3


def test_bad_cells_do_not_refuse_the_file(db_url, tmp_path):
    path = write(
        tmp_path,
        "mixed.csv",
        "creative_id,date,hour,impressions,clicks,spend\n"
        "1,2025-11-29,3,100,1,1.00\n"
        "x1,2025-13-45,twelve,1O0,-,$2\n",
    )
    [result] = performance.load_performance(db_url, [path], summary=False, echo=None)
    assert result.status == "loaded" and result.rows == 2
    assert query(
        db_url,
        "select creative_id, date, hour, impressions, clicks, spend, creative_id_text, date_text, "
        "hour_text, impressions_text, clicks_text, spend_text "
        "from raw_bidder.creative_performance order by source_row_number",
    ) == [
        (
            1,
            dt.date(2025, 11, 29),
            3,
            100,
            1,
            Decimal("1.00"),
            "1",
            "2025-11-29",
            "3",
            "100",
            "1",
            "1.00",
        ),
        (None, None, None, None, None, None, "x1", "2025-13-45", "twelve", "1O0", "-", "$2"),
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "creative_id,date,impressions,clicks\n1,2025-11-29,100,1\n",
            "row 1: missing required column(s) 'spend'",
        ),
        ("", "the file is empty"),
        ("creative_id,date,impressions,clicks,spend\n", "a header but no data rows"),
    ],
)
def test_a_refused_file_lands_nothing_and_exits_non_zero(db_url, tmp_path, capsys, body, expected):
    path = write(tmp_path, "refused.csv", body)
    assert cli.main(["load", "bidder", path]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(f"rejected: {path}") and expected in out
    assert "1 of 1 file(s) not imported" in err
    assert query(db_url, "select to_regclass('raw_bidder.creative_performance')") == [(None,)]
    [(status, key, rows, message)] = log_rows(db_url)
    assert (status, key, rows) == ("rejected", path, None)
    assert expected in message


def test_an_unreadable_file_is_refused_and_the_others_still_load(db_url, tmp_path, capsys):
    missing = str(tmp_path / "nope.csv")
    good = str(shutil.copy(EXAMPLE, tmp_path / "good.csv"))
    results = performance.load_performance(db_url, [missing, good], summary=False, echo=None)
    assert [r.status for r in results] == ["rejected", "loaded"]
    assert "cannot be read (No such file or directory)" in results[0].message
    assert query(db_url, "select count(*) from raw_bidder.creative_performance") == [(8,)]
    assert [status for status, *_ in log_rows(db_url)] == ["rejected", "loaded"]


# --- the creative catalog -------------------------------------------------------------------------


def catalog_rows(url: str) -> list[tuple]:
    return query(
        url,
        "select client_id, creative_id, campaign_name, buyer_seat from raw_bidder.creatives "
        "order by client_id, creative_id",
    )


def test_a_catalog_replaces_the_catalog_of_each_client_it_names(db_url, tmp_path, capsys):
    assert cli.main(["load", "bidder", "--catalog", str(CATALOG)]) == 0
    assert "loaded 6 creatives; replaced the catalog of acme, zzz" in capsys.readouterr().out
    globex = write(
        tmp_path,
        "globex.csv",
        "Creative ID,Client,Creative Name,Campaign\n600001,globex,Teaser,Launch\n",
    )
    assert cli.main(["load", "bidder", "--catalog", globex]) == 0
    acme = write(
        tmp_path,
        "acme.csv",
        "creative_id,client_id,creative_name,campaign_name\n79783,acme,Boots,Holiday Push 2\n",
    )
    assert cli.main(["load", "bidder", "--catalog", acme]) == 0
    assert catalog_rows(db_url) == [
        ("acme", 79783, "Holiday Push 2", None),  # acme's 5 creatives replaced by this one
        ("globex", 600001, "Launch", None),
        ("zzz", 700001, "Unknown Client Campaign", ""),  # a blank cell stays as delivered
    ]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("1,acme,A,C\n1,acme,B,C\n", "row 3, column 'creative_id': creative_id 1 is listed twice"),
        ("1,acme,A,C\n2x,acme,B,C\n", "row 3, column 'creative_id': not a whole number"),
        ("1,acme,A,C\n2, ,B,C\n", "row 3, column 'client_id': a catalog row needs"),
        ("1,acme,,C\n", "row 2, column 'creative_name': a catalog row needs"),
    ],
)
def test_a_bad_catalog_row_refuses_the_whole_catalog(db_url, tmp_path, capsys, rows, expected):
    assert cli.main(["load", "bidder", "--catalog", str(CATALOG)]) == 0
    before = catalog_rows(db_url)
    path = write(tmp_path, "bad.csv", "creative_id,client_id,creative_name,campaign_name\n" + rows)
    assert cli.main(["load", "bidder", "--catalog", path]) == 1
    out, _ = capsys.readouterr()
    assert f"{path}, {expected}" in out
    assert catalog_rows(db_url) == before
    assert [status for status, *_ in log_rows(db_url)] == ["loaded", "rejected"]
