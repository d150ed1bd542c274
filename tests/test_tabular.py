"""File reading and typing: what vendors really send, and clear refusals with row and column."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from loaders.core.errors import FileRejected
from loaders.core.tabular import (
    DATE,
    DECIMAL,
    INT,
    TEXT,
    Column,
    header_key_of,
    read_strings,
    type_columns,
)
from loaders.sources.surfside import SPEC

HEADER = (
    "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,Conversion Revenue"
)


def typed(text: str, name: str = "day.csv", spec=SPEC):
    return type_columns(read_strings(text.encode("utf-8"), name), spec)


def test_header_matching_ignores_case_spaces_underscores():
    assert header_key_of("Conversion Revenue") == header_key_of("conversion_revenue")
    assert header_key_of(" CONVERSION-revenue ") == header_key_of("ConversionRevenue")
    table = typed(
        "date,CAMPAIGN,strategy ,Placement,creative,IMPRESSIONS,clicks,conversions,"
        "conversion_revenue\n2026-01-05,C,S,P,K,10,1,0,0\n"
    )
    assert table.column("conversion_revenue").to_pylist() == [Decimal("0")]
    assert table.column("campaign").to_pylist() == ["C"]


def test_types_thousands_separators_and_blank_cells():
    table = typed(
        f'{HEADER}\n2026-01-05,C,S,P,K,"1,234,567",12,1.5,"2,500.75"\n2026-01-05,C,S,P,K2,10,,, \n'
    )
    assert table.column("impressions").to_pylist() == [1234567, 10]
    assert table.column("clicks").to_pylist() == [12, None]
    assert table.column("conversions").to_pylist() == [Decimal("1.5"), None]
    assert table.column("conversion_revenue").to_pylist() == [Decimal("2500.75"), None]
    assert table.column("date").to_pylist() == [dt.date(2026, 1, 5)] * 2


def test_us_dates_and_integral_decimals_are_accepted():
    table = typed(f"{HEADER}\n01/05/2026,C,S,P,K,12.0,3,0,0\n")
    assert table.column("date").to_pylist() == [dt.date(2026, 1, 5)]
    assert table.column("impressions").to_pylist() == [12]


def test_bom_semicolons_and_crlf():
    data = ("\ufeff" + HEADER.replace(",", ";") + "\r\n2026-01-05;C;S;P;K;5;1;0;0\r\n").encode()
    table = type_columns(read_strings(data, "x.csv"), SPEC)
    assert table.column("date").to_pylist() == [dt.date(2026, 1, 5)]
    assert table.column("impressions").to_pylist() == [5]


def test_windows_1252_export_is_read():
    data = f"{HEADER}\n2026-01-05,Caf\xe9 Launch,S,P,K,5,1,0,0\n".encode("cp1252")
    table = type_columns(read_strings(data, "x.csv"), SPEC)
    assert table.column("campaign").to_pylist() == ["Café Launch"]


def test_row_numbers_count_the_header_and_skip_blank_lines():
    sheet = read_strings(
        f"{HEADER}\n2026-01-05,C,S,P,A,1,0,0,0\n\n,,,,,,,,\n2026-01-05,C,S,P,B,2,0,0,0\n".encode(),
        "x.csv",
    )
    assert sheet.row_numbers.to_pylist() == [2, 5]


def test_unknown_columns_are_kept_as_text():
    table = typed(f"{HEADER},CTR,Viewable Rate\n2026-01-05,C,S,P,K,100,1,0,0,1.00%,0.7\n")
    assert table.column("ctr").to_pylist() == ["1.00%"]
    assert table.column("viewable_rate").to_pylist() == ["0.7"]


def test_missing_required_column_is_named():
    with pytest.raises(FileRejected) as err:
        typed(
            "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions\n"
            "2026-01-05,C,S,P,K,1,0,0\n",
            name="s3://b/acme/day.csv",
        )
    message = str(err.value)
    assert "s3://b/acme/day.csv" in message
    assert "'conversion_revenue'" in message
    assert "row 1" in message


@pytest.mark.parametrize(
    ("cell", "column", "reason"),
    [
        ("12x", "Impressions", "not a whole number"),
        ("1.5", "Impressions", "not a whole number"),
        ("abc", "Conversion Revenue", "not a number"),
    ],
)
def test_bad_number_names_row_column_and_value(cell, column, reason):
    rows = [
        "2026-01-05,C,S,P,A,10,1,0,0",
        "2026-01-05,C,S,P,B,10,1,0,0",
        "2026-01-05,C,S,P,C,10,1,0,0",
    ]
    fields = rows[2].split(",")
    fields[HEADER.split(",").index(column)] = cell
    rows[2] = ",".join(fields)
    with pytest.raises(FileRejected) as err:
        typed(HEADER + "\n" + "\n".join(rows) + "\n")
    assert err.value.row == 4  # header is row 1, third data row is row 4
    assert err.value.column == column
    assert reason in err.value.reason
    assert err.value.value == cell


def test_bad_date_is_refused_with_its_row():
    with pytest.raises(FileRejected) as err:
        typed(f"{HEADER}\n2026-01-05,C,S,P,K,1,0,0,0\n2026-13-45,C,S,P,K,1,0,0,0\n")
    assert (err.value.row, err.value.column, err.value.value) == (3, "Date", "2026-13-45")


def test_ragged_row_is_refused_with_its_row():
    with pytest.raises(FileRejected) as err:
        read_strings(
            f"{HEADER}\n2026-01-05,C,S,P,K,1,0,0,0\n2026-01-05,C,S,P,K,1,0,0,0,9\n".encode(),
            "x.csv",
        )
    assert err.value.row == 3


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "x.csv", "empty"),
        (f"{HEADER}\n".encode(), "x.csv", "no data rows"),
        (b"PK\x03\x04 not really a workbook", "x.xlsx", "XLSX"),
        (b"a,b\n1,2\n", "x.json", "not a CSV or XLSX"),
    ],
)
def test_unusable_files_are_refused(data, name, reason):
    with pytest.raises(FileRejected) as err:
        read_strings(data, name)
    assert reason in str(err.value)


def test_xlsx_first_sheet_with_real_dates_and_numbers():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append([])  # a blank first row: the header is the first non-empty one
    ws.append(HEADER.split(","))
    ws.append([dt.date(2026, 1, 5), "C", "S", "P", "K", 1500, 7, 1, 19.99])
    ws.append([dt.datetime(2026, 1, 5), "C", "S", "P", "K2", 10.0, 0, 0.25, 0.1])
    out = io.BytesIO()
    wb.save(out)
    sheet = read_strings(out.getvalue(), "x.xlsx")
    assert sheet.row_numbers.to_pylist() == [3, 4]
    table = type_columns(sheet, SPEC)
    assert table.column("date").to_pylist() == [dt.date(2026, 1, 5)] * 2
    assert table.column("impressions").to_pylist() == [1500, 10]
    assert table.column("conversions").to_pylist() == [Decimal(1), Decimal("0.25")]
    assert table.column("conversion_revenue").to_pylist() == [Decimal("19.99"), Decimal("0.1")]


def test_optional_columns_absent_are_null_and_blank_as_zero():
    spec = [
        Column("day", DATE),
        Column("name", TEXT),
        Column("n", INT, blank_as_zero=True),
        Column("amount", DECIMAL, required=False),
    ]
    table = type_columns(read_strings(b"Day,Name,N\n2026-02-01,x,\n", "f.csv"), spec)
    assert table.column("n").to_pylist() == [0]
    assert table.column("amount").to_pylist() == [None]


def test_duplicate_header_for_one_column_is_refused():
    with pytest.raises(FileRejected) as err:
        typed(f"{HEADER},Clicks\n2026-01-05,C,S,P,K,1,0,0,0,0\n")
    assert "two columns match 'clicks'" in str(err.value)


def xlsx_with_formulas(rows: list[list], cached: dict[str, tuple[str | None, str]]) -> bytes:
    """An XLSX written by openpyxl (which stores formulas without a value: it cannot
    calculate), then given the cached values Excel would have saved: `cached` maps a cell
    reference to (cell type attribute, value) - what Excel writes as <c t=".."><v>..</v>."""
    import re
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src,
        zipfile.ZipFile(out, "w") as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                for ref, (kind, value) in cached.items():
                    kind_attr = f' t="{kind}"' if kind else ""
                    xml, count = re.subn(
                        rf'<c r="{ref}"><f>(.*?)</f><v\s*/></c>',
                        rf'<c r="{ref}"{kind_attr}><f>\1</f><v>{value}</v></c>',
                        xml,
                    )
                    assert count == 1, ref
                data = xml.encode()
            dst.writestr(item, data)
    return out.getvalue()


def test_xlsx_formula_cells_read_their_cached_value():
    data = xlsx_with_formulas(
        [
            ["Day", "Campaign", "Impressions"],
            ["2026-01-05", '="Spring "&"Sale"', 1000],
            ["2026-01-06", "Spring Sale", "=C2*2"],
        ],
        {"B2": ("str", "Spring Sale"), "C3": (None, "2000")},
    )
    sheet = read_strings(data, "cached.xlsx")
    assert sheet.table.column(1).to_pylist() == ["Spring Sale", "Spring Sale"]
    assert sheet.table.column(2).to_pylist() == ["1000", "2000"]
    assert sheet.warnings == []


def test_xlsx_formula_without_a_cached_value_is_empty_and_named():
    import logging

    data = xlsx_with_formulas(
        [
            ["Day", "Campaign", "Impressions"],
            ["2026-01-05", '="Spring "&"Sale"', 1000],
            ["2026-01-06", "Spring Sale", "=C2*2"],
            ["2026-01-07", "Spring Sale", "=C2*3"],
        ],
        {"C4": (None, "3000")},  # only C4 was calculated
    )
    logged: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: logged.append(record.getMessage())
    logger = logging.getLogger("adwh.tabular")
    logger.addHandler(handler)
    try:
        sheet = read_strings(data, "uncached.xlsx")
    finally:
        logger.removeHandler(handler)
    assert sheet.table.column(1).to_pylist() == ["", "Spring Sale", "Spring Sale"]
    assert sheet.table.column(2).to_pylist() == ["1000", "", "3000"]
    assert [w.split(": ")[0] for w in sheet.warnings] == [
        "uncached.xlsx, row 2, column 'Campaign'",
        "uncached.xlsx, row 3, column 'Impressions'",
    ]
    assert "a formula without a cached value" in sheet.warnings[0]
    assert "is read as an empty cell" in sheet.warnings[0]
    assert logged == sheet.warnings  # on stderr from the CLI (adwh: ...)
