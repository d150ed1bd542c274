"""`adwh export`: streamed CSV/XLSX from the marts schema, formula injection, bad input.

The tables here are written by hand into a `marts` schema of a fresh database (the export reads
any relation of that schema); the end-to-end export of a dbt-built mart is in
tests/test_reports.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from conftest import query
from openpyxl import load_workbook

from loaders import cli

HOSTILE = '=HYPERLINK("x")'


@pytest.fixture
def marts(db_url):
    query(
        db_url,
        """
        create schema marts;
        create table marts.mart_demo (
            client_id text, date_day date, campaign_name text, spend numeric(38, 12),
            clicks bigint, is_active boolean);
        insert into marts.mart_demo values
            ('acme', '2026-03-01', %s, 12.500000000000, 3, true),
            ('acme', '2026-03-02', '+1 555', 0, 0, false),
            ('acme', '2026-03-03', '-minus', 1, 1, true),
            ('acme', '2026-03-04', '@SUM(A1)', 2, 2, true),
            ('acme', '2026-03-05', E'\\tTabbed', 3, 3, true),
            ('acme', '2026-03-06', E'\\rReturn', 4, 4, true),
            ('globex', '2026-03-01', 'Café 東京, "quoted"', 5, 5, true),
            ('globex', '2026-03-09', 'Plain', null, null, null);
        create table marts.dim_clients (client_id text);
        insert into marts.dim_clients values ('acme'), ('globex');
        create table marts.dim_nodates (name text);
        insert into marts.dim_nodates values ('x');
        """,
        (HOSTILE,),
    )
    return db_url


def read_csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_csv_neutralises_formulas_and_keeps_plain_text(marts, tmp_path, capsys):
    out = tmp_path / "demo.csv"
    assert cli.main(["export", "mart_demo", "--out", str(out)]) == 0
    assert "8 row(s) of marts.mart_demo written to" in capsys.readouterr().out
    rows = read_csv(out)
    assert rows[0] == ["client_id", "date_day", "campaign_name", "spend", "clicks", "is_active"]
    names = [r[2] for r in rows[1:]]
    assert names == [
        "'" + HOSTILE,
        "'+1 555",
        "'-minus",
        "'@SUM(A1)",
        "'\tTabbed",
        "'\rReturn",
        'Café 東京, "quoted"',
        "Plain",
    ]
    assert rows[1] == ["acme", "2026-03-01", "'" + HOSTILE, "12.5", "3", "true"]
    assert rows[8] == ["globex", "2026-03-09", "Plain", "", "", ""]
    # the raw file holds the apostrophe-prefixed text, CSV-quoted because of the quotes
    assert '"\'=HYPERLINK(""x"")"' in out.read_text(encoding="utf-8")
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_csv_bom_and_filters(marts, tmp_path):
    out = tmp_path / "f.csv"
    args = ["export", "mart_demo", "--client", "acme", "--from", "2026-03-02", "--to", "2026-03-04"]
    assert cli.main([*args, "--out", str(out), "--bom", "--columns", "date_day,spend"]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [
        ["date_day", "spend"],
        ["2026-03-02", "0"],
        ["2026-03-03", "1"],
        ["2026-03-04", "2"],
    ]


def test_xlsx_writes_hostile_text_as_string_cells(marts, tmp_path):
    out = tmp_path / "demo.xlsx"
    assert cli.main(["export", "mart_demo", "--format", "xlsx", "--out", str(out)]) == 0
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=False))
    assert [c.value for c in rows[0]] == [
        "client_id", "date_day", "campaign_name", "spend", "clicks", "is_active"
    ]  # fmt: skip
    hostile = rows[1][2]
    assert hostile.value == HOSTILE  # the text itself, no apostrophe, ...
    assert hostile.data_type == "s"  # ... as a string cell, not a formula ("f")
    assert all(r[2].data_type == "s" for r in rows[1:])
    assert rows[1][1].value == dt.datetime(2026, 3, 1)
    assert rows[1][3].value == 12.5
    assert rows[7][2].value == 'Café 東京, "quoted"'
    assert len(rows) == 9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown model 'nope'; models in marts: dim_clients, dim_nodates, mart_demo"),
        (["mart_demo", "--columns", "spend,bogus"], "unknown column(s) 'bogus' in marts.mart_demo"),
        (["mart_demo", "--from", "2026-13-01"], "--from: '2026-13-01' is not a date (YYYY-MM-DD)"),
        (["mart_demo", "--from", "2026-03-05", "--to", "2026-03-01"], "is after --to"),
        (["dim_nodates", "--client", "acme"], "has no client_id column: --client does not apply"),
        (["dim_nodates", "--to", "2026-03-01"], "has no date_day column: --from/--to"),
        (["mart_demo", "--client", "acmee"], "unknown client 'acmee' (not in marts.dim_clients)"),
    ],
)
def test_bad_requests_fail_in_one_line_and_write_nothing(marts, tmp_path, capsys, args, message):
    out = tmp_path / "x.csv"
    assert cli.main(["export", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_failure_mid_stream_leaves_no_partial_file(marts, tmp_path, monkeypatch, capsys):
    from loaders.consume import exports

    def broken(value):
        if value == "Plain":
            raise RuntimeError("disk full")
        return value

    monkeypatch.setattr(exports, "neutralise", broken)
    out = tmp_path / "x.csv"
    out.write_text("previous export\n")
    assert cli.main(["export", "mart_demo", "--out", str(out)]) == 1
    assert "disk full" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]
    assert out.read_text() == "previous export\n"  # the old file is untouched
