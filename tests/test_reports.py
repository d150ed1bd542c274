"""Client reports and exports on a dbt-built warehouse: Surfside files -> marts -> PDF/CSV.

Figures are worked out by hand from DELIVERIES (Surfside spend = impressions x CPM 12.50 / 1000
for acme, seeds/client_cpm_rates.csv):

week 2026-02-23 .. 03-01 (only 03-01): 10,000 imps -> spend 125.00, revenue 250, ROAS 2.00
week 2026-03-02 .. 03-08: 20,000 + 10,000 + 12,000 = 42,000 imps -> spend 525.00,
    revenue 330 + 0 + 90 = 420, ROAS 420 / 525 = 0.80, spend change 525 / 125 - 1 = +320.0 %
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from conftest import fresh_database, query
from helpers.surfside_s3 import local_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from loaders import cli
from loaders.consume.reports import render_report
from loaders.sources import surfside
from loaders.warehouse.dbt_runner import run_dbt

pytestmark = pytest.mark.slow

HOSTILE = '=HYPERLINK("x")'
CJK = "春のセール"
HEADER = (
    "Date,Campaign,Strategy,Placement,Creative,Impressions,Clicks,Conversions,Conversion Revenue"
)
D = dt.date
DELIVERIES = {
    D(2026, 3, 1): [("Spring", "A", 10000, 100, 5, "250")],
    D(2026, 3, 2): [("Spring", "A", 20000, 200, 4, "330"), (HOSTILE, "H", 10000, 20, 0, "0")],
    D(2026, 3, 5): [(CJK, "C", 12000, 60, 3, "90")],
}
NO_FILE = D(2026, 3, 4)  # attempted, no file delivered: a gap the coverage note names
GENERATED = dt.datetime(2026, 3, 9, 6, 30, tzinfo=dt.UTC)


def csv_body(day: dt.date, rows) -> bytes:
    lines = [HEADER] + [
        f'{day},"{c.replace(chr(34), 2 * chr(34))}",Contextual,Display,{cr},{i},{k},{v},{r}'
        for c, cr, i, k, v, r in rows
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def warehouse(server_url, s3):
    bucket = "wh-reports"
    client = s3.client()
    client.create_bucket(Bucket=bucket)
    for day, rows in DELIVERIES.items():
        key = f"surfside/acme/media-report-{day}.csv"
        client.put_object(Bucket=bucket, Key=key, Body=csv_body(day, rows))
    cfg = local_settings(s3, bucket)
    with fresh_database(server_url) as url:
        days = sorted([*DELIVERIES, NO_FILE])
        surfside.load(url, ["acme"], days, settings=cfg, echo=lambda _: None)
        run_dbt(["build"], url)
        yield url


def pdf_text(path) -> str:
    # pypdf decodes some of WeasyPrint's two-byte font runs with a NUL after each character
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return text.replace("\x00", "")


def test_weekly_pdf_shows_the_client_and_the_weeks_spend_and_roas(warehouse, tmp_path):
    (spend, roas, delta), *_ = query(
        warehouse,
        "select spend, roas, spend_delta_pct from marts.mart_weekly_summary "
        "where client_id = 'acme' and period_start = '2026-03-02'",
    )
    assert (spend, roas, delta) == (Decimal("525"), Decimal("0.8"), Decimal("3.2"))

    out = tmp_path / "acme-weekly.pdf"
    path, data = render_report(
        warehouse, "weekly", "acme", as_of=D(2026, 3, 8), out=out, generated_at=GENERATED
    )
    assert path == out
    assert (data.period_start, data.period_end) == (D(2026, 3, 2), D(2026, 3, 8))
    text = pdf_text(out)
    assert "Acme Outdoor Co." in text
    assert "525.00" in text  # spend tile
    assert "0.80" in text  # ROAS tile
    assert "+320.0 %" in text  # spend against the previous week
    assert "2026-03-02 to 2026-03-08" in text
    assert "as of 2026-03-08" in text
    assert "Generated 2026-03-09 06:30 UTC" in text
    assert "Spring" in text
    assert HOSTILE in text  # underperformer: CTR 0.20 %, spend 125 > 100, 0 conversions
    assert "2026-03-04" in text and "missing_file" in text  # the coverage note
    assert out.read_bytes().startswith(b"%PDF-")
    # no CJK font on this machine: the PDF says which name it cannot draw (see
    # docs/consuming.md); with one installed the name itself is in the text layer
    assert "Some names (" in text or CJK in text


def test_same_warehouse_and_as_of_day_give_the_same_bytes(warehouse, tmp_path):
    outputs = []
    for name in ("a.pdf", "b.pdf", "a.html", "b.html"):
        render_report(
            warehouse,
            "weekly",
            "acme",
            as_of=D(2026, 3, 8),
            fmt=name.split(".")[1],
            out=tmp_path / name,
            generated_at=GENERATED,
        )
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[2] == outputs[3]
    html = outputs[2].decode()
    assert "&#34;" in html or "&quot;" in html  # the hostile name is escaped, not markup
    assert CJK in html


def test_daily_and_monthly_reports_read_their_marts(warehouse, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ADWH_DATABASE_URL", warehouse)
    out = tmp_path / "d.html"
    code = cli.main(
        ["report", "daily", "--client", "acme", "--as-of", "2026-03-02", "--format", "html",
         "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    assert "daily report for acme, 2026-03-02 to 2026-03-02" in capsys.readouterr().out
    html = out.read_text()
    assert "375.00" in html  # 30,000 imps x 12.50 / 1000
    assert "+200.0 %" in html  # against 03-01's 125.00

    path, data = render_report(
        warehouse, "monthly", "acme", as_of=D(2026, 3, 31), fmt="html", out=tmp_path / "m.html"
    )
    assert (data.period_start, data.period_end) == (D(2026, 3, 1), D(2026, 3, 31))
    assert "650.00" in path.read_text()  # 52,000 imps in March


def test_report_refuses_an_unknown_client_in_one_line(warehouse, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ADWH_DATABASE_URL", warehouse)
    out = tmp_path / "x.pdf"
    assert cli.main(["report", "weekly", "--client", "nobody", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "adwh: error: unknown client 'nobody' (not in marts.dim_clients)"
    assert not out.exists()


def test_export_of_a_built_mart_neutralises_the_hostile_campaign(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("ADWH_DATABASE_URL", warehouse)
    args = ["export", "mart_entity_daily_metrics", "--client", "acme", "--from", "2026-03-02",
            "--to", "2026-03-02", "--columns", "entity_type,campaign_name,spend"]  # fmt: skip
    csv_out, xlsx_out = tmp_path / "m.csv", tmp_path / "m.xlsx"
    assert cli.main([*args, "--out", str(csv_out)]) == 0
    assert cli.main([*args, "--format", "xlsx", "--out", str(xlsx_out)]) == 0
    lines = csv_out.read_text(encoding="utf-8").splitlines()
    assert 'campaign,"\'=HYPERLINK(""x"")",125' in lines
    cells = [
        c for row in load_workbook(xlsx_out).active.iter_rows() for c in row
        if c.value == HOSTILE
    ]  # fmt: skip
    assert cells and all(c.data_type == "s" for c in cells)


def test_semantic_layer_agrees_with_the_weekly_mart(warehouse, tmp_path):
    """`mf query` of spend, ROAS and CTR for acme's week equals mart_weekly_summary (and the
    figures worked out by hand: 525.00, 0.80, 280 / 42,000 clicks per impression)."""
    import csv
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from loaders.warehouse.database import dbt_env
    from loaders.warehouse.dbt_runner import profiles_dir

    mf = shutil.which("mf", path=str(Path(sys.executable).parent))
    assert mf, "dbt-metricflow is a dev dependency"
    # mf reads <project>/target/semantic_manifest.json, whose relations name the database it
    # was parsed against: parse this warehouse's into a project folder of its own (symlinks)
    repo = Path(__file__).resolve().parents[1]
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "dbt_project"):
        (project / name).symlink_to(repo / name)
    out = tmp_path / "mf.csv"
    env = {**os.environ, **dbt_env(warehouse), "DBT_PROFILES_DIR": str(profiles_dir())}
    env.pop("DBT_TARGET_PATH", None)
    dbt = str(Path(sys.executable).parent / "dbt")
    parsed = subprocess.run(
        [dbt, "parse", "--project-dir", str(project), "--target-path", str(project / "target")],
        env=env, cwd=project, capture_output=True, text=True,
    )  # fmt: skip
    assert parsed.returncode == 0, parsed.stdout[-2000:]
    result = subprocess.run(
        [mf, "query", "--metrics", "spend,roas,ctr", "--group-by", "metric_time__week,client",
         "--where", "{{ Entity('client') }} = 'acme'", "--start-time", "2026-03-02",
         "--end-time", "2026-03-08", "--csv", str(out)],
        env=env, cwd=project, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1
    row = rows[0]
    assert row["metric_time__week"].startswith("2026-03-02")
    mart = query(
        warehouse,
        "select spend, roas, ctr from marts.mart_weekly_summary "
        "where client_id = 'acme' and period_start = '2026-03-02'",
    )[0]
    by_hand = (525, 0.8, 280 / 42000)
    for name, in_mart, expected in zip(("spend", "roas", "ctr"), mart, by_hand, strict=True):
        assert float(row[name]) == pytest.approx(float(in_mart), rel=1e-9)
        assert float(row[name]) == pytest.approx(expected, rel=1e-9)


def _smtp_env(monkeypatch, smtp) -> None:
    monkeypatch.setenv("ALERTS__EMAIL__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ALERTS__EMAIL__SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("ALERTS__EMAIL__STARTTLS", "false")
    monkeypatch.setenv("ALERTS__EMAIL__SENDER", "reports@example.test")
    monkeypatch.setenv("ALERTS__CLIENTS__ACME__TO", '["cmo@acme.test", "buyer@acme.test"]')


def _last_audit(url: str, command: str):
    rows = query(
        url,
        "select outcome, args from adwh_ops.audit_log where command = %s "
        "order by audit_id desc limit 1",
        (command,),
    )
    return rows[0] if rows else None


def test_send_mails_the_pdf_to_the_clients_recipients(warehouse, tmp_path, monkeypatch, capsys):
    import io

    from helpers.receivers import SmtpServer

    with SmtpServer() as smtp:
        _smtp_env(monkeypatch, smtp)
        monkeypatch.setenv("ADWH_DATABASE_URL", warehouse)
        out = tmp_path / "acme-week.pdf"
        args = ["report", "weekly", "--client", "acme", "--as-of", "2026-03-08"]
        assert cli.main([*args, "--out", str(out), "--send"]) == 0
    assert "sent to cmo@acme.test, buyer@acme.test" in capsys.readouterr().out
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert sorted(msg["X-Envelope-To"].split(", ")) == ["buyer@acme.test", "cmo@acme.test"]
    assert msg["From"] == "reports@example.test"
    assert "Acme Outdoor Co." in msg["Subject"] and "2026-03-02 to 2026-03-08" in msg["Subject"]
    pdfs = [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
    assert [p.get_filename() for p in pdfs] == ["acme-week.pdf"]
    attached = pdfs[0].get_payload(decode=True)
    assert attached == out.read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(attached)).pages)
    text = text.replace("\x00", "")
    assert "Acme Outdoor Co." in text and "525.00" in text
    outcome, logged = _last_audit(warehouse, "report")
    assert (
        outcome == "ok" and logged.startswith("report weekly --client acme") and "--send" in logged
    )
    # without --send a report changes nothing and leaves no audit row (the daily report of
    # test_daily_and_monthly_reports_read_their_marts ran through the CLI before this test)
    assert query(
        warehouse, "select count(*) from adwh_ops.audit_log where args not like '%%--send%%'"
    ) == [(0,)]


def test_a_failed_send_exits_non_zero_in_one_line_without_secrets(
    warehouse, tmp_path, monkeypatch, capsys
):
    from helpers.receivers import SmtpServer

    with SmtpServer(refuse_first=1) as smtp:
        _smtp_env(monkeypatch, smtp)
        monkeypatch.setenv("ADWH_DATABASE_URL", warehouse)
        monkeypatch.setenv("ALERTS__EMAIL__PASSWORD", "smtp-pw-must-not-show")
        out = tmp_path / "acme-week.pdf"
        args = ["report", "weekly", "--client", "acme", "--as-of", "2026-03-08", "--send"]
        assert cli.main([*args, "--out", str(out)]) == 1
    assert smtp.refused == 1 and smtp.messages == []
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("adwh: error: the report was written but not sent: email to ")
    assert "451" in err[0]
    assert "smtp-pw-must-not-show" not in captured.out + captured.err
    assert out.exists()  # the PDF is kept for a later attempt
    assert _last_audit(warehouse, "report")[0] == "failed"

    # no recipients configured for the client: a configuration error, nothing rendered
    monkeypatch.delenv("ALERTS__CLIENTS__ACME__TO")
    other = tmp_path / "nobody.pdf"
    assert cli.main([*args, "--out", str(other)]) == 2
    assert "[alerts.clients.acme] to" in capsys.readouterr().err
    assert not other.exists()
