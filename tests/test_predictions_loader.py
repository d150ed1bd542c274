"""`adwh load predictions FILE`: CSV and JSON lines into raw_predictions.predictions, a bad
row refusing the whole file with its row and column, a re-load replacing by prediction_id."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import query

from loaders.cli import main
from loaders.core.errors import FileRejected
from loaders.sources import predictions

HEADER = (
    "prediction_id,client_id,campaign,period_start,period_end,predicted_roas,predicted_ctr,"
    "model,created_at\n"
)
GOOD_CSV = HEADER + (
    "p1,acme,Spring,2026-03-01,2026-03-07,2.5,0.012,gbm,2026-02-28T08:00:00Z\n"
    "p2,acme,Spring,2026-03-08,2026-03-14,,0.01,gbm,2026-03-07 09:30:00\n"
)
GOOD_JSONL = (
    '{"prediction_id": "j1", "client_id": "globex", "campaign": "Launch", "period_start": '
    '"2026-03-01", "period_end": "2026-03-02", "predicted_roas": 1.25, "predicted_ctr": null, '
    '"model": "lin", "created_at": "2026-03-01T00:00:00+01:00"}\n'
)

RAW = (
    "select prediction_id, client_id, campaign, period_start, period_end, predicted_roas, "
    "predicted_ctr, model, created_at, source_file, source_row "
    "from raw_predictions.predictions order by prediction_id"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_and_jsonl_land_typed_with_their_rows(db_url, tmp_path):
    predictions.load(db_url, write(tmp_path, "week.csv", GOOD_CSV), echo=lambda _: None)
    predictions.load(db_url, write(tmp_path, "week.jsonl", GOOD_JSONL), echo=lambda _: None)
    utc = dt.UTC
    assert query(db_url, RAW) == [
        ("j1", "globex", "Launch", dt.date(2026, 3, 1), dt.date(2026, 3, 2), Decimal("1.25"),
         None, "lin", dt.datetime(2026, 2, 28, 23, 0, tzinfo=utc), "week.jsonl", 1),
        ("p1", "acme", "Spring", dt.date(2026, 3, 1), dt.date(2026, 3, 7), Decimal("2.5"),
         Decimal("0.012"), "gbm", dt.datetime(2026, 2, 28, 8, 0, tzinfo=utc), "week.csv", 2),
        ("p2", "acme", "Spring", dt.date(2026, 3, 8), dt.date(2026, 3, 14), None,
         Decimal("0.01"), "gbm", dt.datetime(2026, 3, 7, 9, 30, tzinfo=utc), "week.csv", 3),
    ]  # fmt: skip


def test_reload_replaces_a_prediction_by_id(db_url, tmp_path):
    predictions.load(db_url, write(tmp_path, "a.csv", GOOD_CSV), echo=lambda _: None)
    newer = HEADER + "p1,acme,Spring,2026-03-01,2026-03-07,3.0,0.02,gbm,2026-03-01T08:00:00Z\n"
    predictions.load(db_url, write(tmp_path, "b.csv", newer), echo=lambda _: None)
    rows = query(db_url, "select prediction_id, predicted_roas, source_file from "
                 "raw_predictions.predictions order by 1")  # fmt: skip
    assert rows == [("p1", Decimal("3.0"), "b.csv"), ("p2", None, "a.csv")]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("blank.csv", HEADER + "p1,,Spring,2026-03-01,2026-03-07,2,0.01,gbm,2026-03-01\n",
         "blank.csv, row 2, column 'client_id': a value is required"),
        ("number.csv", GOOD_CSV + "p3,acme,Spring,2026-03-01,2026-03-07,lots,0.01,gbm,2026-03-01\n",
         "number.csv, row 4, column 'predicted_roas': not a number (found 'lots')"),
        ("date.csv", HEADER + "p1,acme,Spring,2026-03-01,March,2,0.01,gbm,2026-03-01\n",
         "date.csv, row 2, column 'period_end': not a date"),
        ("dup.csv", GOOD_CSV + "p1,acme,Spring,2026-03-01,2026-03-07,2,0.01,gbm,2026-03-01\n",
         "dup.csv, row 4, column 'prediction_id': prediction_id 'p1' appears twice"),
        ("neither.csv", HEADER + "p1,acme,Spring,2026-03-01,2026-03-07,,,gbm,2026-03-01\n",
         "neither.csv, row 2: neither predicted_roas nor predicted_ctr is given"),
        ("stamp.jsonl", GOOD_JSONL + GOOD_JSONL.replace('"j1"', '"j2"').replace("03-01T", "x "),
         "stamp.jsonl, row 2, column 'created_at': not a timestamp"),
        ("broken.jsonl", GOOD_JSONL + "{not json\n", "broken.jsonl, row 2: not valid JSON"),
    ],
)  # fmt: skip
def test_a_bad_row_refuses_the_whole_file(db_url, tmp_path, name, text, message):
    predictions.load(db_url, write(tmp_path, "first.csv", GOOD_CSV), echo=lambda _: None)
    with pytest.raises(FileRejected) as caught:
        predictions.load(db_url, write(tmp_path, name, text), echo=lambda _: None)
    assert str(caught.value).startswith(message)
    # nothing of the refused file landed; the earlier load is intact
    assert [r[0] for r in query(db_url, RAW)] == ["p1", "p2"]
    assert {r[9] for r in query(db_url, RAW)} == {"first.csv"}


def test_cli_exits_non_zero_naming_the_row(db_url, tmp_path, capsys):
    path = write(
        tmp_path, "bad.csv", HEADER + "p1,acme,Spring,2026-03-09,2026-03-01,2,0.01,m,2026-03-01\n"
    )
    assert main(["load", "predictions", str(path)]) != 0
    err = capsys.readouterr().err
    assert "bad.csv, row 2, column 'period_end': period_end is before period_start" in err
