"""The append-only audit log, and backups that restore to the same totals."""

from __future__ import annotations

import psycopg2
import pytest
from conftest import FIXTURES, fresh_database, query

from loaders import cli
from loaders.core.errors import register_secret

CATALOG = FIXTURES / "performance_creatives_example.csv"  # 6 creatives (7 lines with header)


def test_a_load_is_audited_with_user_host_args_outcome_and_rows(db_url):
    import getpass
    import socket

    assert cli.main(["load", "bidder", "--catalog", str(CATALOG)]) == 0
    rows = query(
        db_url,
        "select os_user, host, command, args, outcome, exit_code, rows_affected, "
        "finished_at >= started_at from adwh_ops.audit_log",
    )
    assert rows == [
        (
            getpass.getuser(),
            socket.gethostname(),
            "load bidder",
            f"load bidder --catalog {CATALOG}",
            "ok",
            0,
            6,
            True,
        )
    ]


def test_a_failed_command_is_audited_with_secrets_redacted(db_url):
    register_secret("hunter2-very-secret")
    assert cli.main(["load", "bidder", "/nowhere/hunter2-very-secret.csv"]) == 1
    [(args, outcome, message)] = query(
        db_url, "select args, outcome, message from adwh_ops.audit_log"
    )
    assert outcome == "failed"
    assert "hunter2" not in args and "***" in args
    assert message and "hunter2" not in message
    # reading commands are not audited
    assert cli.main(["sources"]) == 0
    assert query(db_url, "select count(*) from adwh_ops.audit_log") == [(1,)]


def test_the_audit_log_is_append_only_for_everyone_but_its_owner(db_url):
    cli.main(["load", "bidder", "--catalog", str(CATALOG)])
    role = "adwh_test_auditor"
    query(db_url, f"drop role if exists {role}")
    query(db_url, f"create role {role}")
    try:
        # even a role granted every right by mistake cannot rewrite or delete history
        query(db_url, f"grant usage on schema adwh_ops to {role}")
        query(db_url, f"grant select, insert, update, delete on adwh_ops.audit_log to {role}")
        for statement in (
            "update adwh_ops.audit_log set outcome = 'ok'",
            "delete from adwh_ops.audit_log",
        ):
            with pytest.raises(psycopg2.Error, match="append-only"):
                query(db_url, f"set role {role}; {statement}")
        with pytest.raises(psycopg2.Error, match="permission denied"):
            query(db_url, f"set role {role}; truncate adwh_ops.audit_log")
        query(db_url, f"set role {role}; select count(*) from adwh_ops.audit_log")
        assert query(db_url, "select count(*) from adwh_ops.audit_log") == [(1,)]
        privileges = query(
            db_url,
            "select privilege_type from information_schema.role_table_grants "
            "where table_name = 'audit_log' and grantee = 'PUBLIC'",
        )
        assert privileges == []
    finally:
        query(db_url, "drop owned by adwh_test_auditor")
        query(db_url, f"drop role {role}")


TOTALS = """select count(*), sum(impressions), sum(spend) from marts.fact_daily_metrics"""


def _small_warehouse(url: str) -> None:
    query(
        url,
        """create schema marts;
        create table marts.fact_daily_metrics (client_id text, date_day date,
            impressions bigint, spend numeric(18, 2));
        insert into marts.fact_daily_metrics values
            ('acme', '2026-03-01', 30000, 375.00), ('acme', '2026-03-02', 5000, 62.50),
            ('globex', '2026-03-01', 4000, 72.00);""",
    )


def test_backup_restores_into_a_fresh_warehouse_with_the_same_totals(
    db_url, server_url, tmp_path, monkeypatch, capsys
):
    _small_warehouse(db_url)
    assert query(db_url, TOTALS)[0][:2] == (3, 39000)  # by hand: 30000 + 5000 + 4000
    dump = tmp_path / "wh.dump"
    assert cli.main(["db", "backup", str(dump)]) == 0
    assert dump.stat().st_mode & 0o077 == 0  # the dump holds every client's data
    with fresh_database(server_url) as target:
        monkeypatch.setenv("ADWH_DATABASE_URL", target)
        assert cli.main(["db", "restore", str(dump)]) == 0
        assert query(target, TOTALS) == query(db_url, TOTALS)
        # both are audited: the backup where it ran (its row is written after the dump), the
        # restore in the restored warehouse
        assert query(db_url, "select command from adwh_ops.audit_log") == [("db backup",)]
        assert query(target, "select command from adwh_ops.audit_log") == [("db restore",)]
        # a warehouse with data is not overwritten without --force
        query(target, "insert into marts.fact_daily_metrics values ('x', '2026-01-01', 1, 1)")
        capsys.readouterr()
        assert cli.main(["db", "restore", str(dump)]) == 1
        assert "refusing to overwrite" in capsys.readouterr().err
        assert query(target, TOTALS)[0][0] == 4
        assert cli.main(["db", "restore", "--force", str(dump)]) == 0
        assert query(target, TOTALS) == query(db_url, TOTALS)
