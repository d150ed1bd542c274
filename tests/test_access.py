"""Access control end to end (issue 16): every role connects over TCP with its own password.

One warehouse per module: `adwh access init`, Facebook uploads loaded by `adwh load` as
adwh_loader (acme: plain_template.csv + ads_manager_by_day.csv, globex: ads_manager_daily.csv),
built by `adwh build` as adwh_transformer; the last test rebuilds with --full-refresh and
checks the client login again. Expected rows are counted by the administrator, who bypasses
row-level security, with `where client_id = ...`.
"""

from __future__ import annotations

import os
import stat

import psycopg2
import pytest
from conftest import FIXTURES, fresh_database, query

from loaders import cli
from loaders.access import passwords

pytestmark = pytest.mark.slow

FB = FIXTURES / "facebook"
ACME_PASSWORD = "acme-bi-password-1234"
PII_TABLE = "marts.access_test_subscribers"


def role_url(url: str, role: str, password: str | None = None) -> str:
    return passwords.url_for(url, role, password or passwords.role_password(role))


def as_role(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Run `sql` over a new TCP connection of the role in `url`."""
    return query(url, sql, params)


def denied(url: str, sql: str) -> str:
    with pytest.raises(psycopg2.Error) as caught:
        query(url, sql)
    return str(caught.value)


def assert_denied(url: str, sql: str) -> None:
    message = denied(url, sql)
    assert "permission denied" in message or "must be owner" in message, (sql, message)


def client_tables(admin: str) -> list[str]:
    rows = query(
        admin,
        """select table_name from information_schema.columns c
           join information_schema.tables t using (table_schema, table_name)
           where table_schema = 'marts' and column_name = 'client_id'
             and t.table_type = 'BASE TABLE' order by 1""",
    )
    return [f"marts.{name}" for (name,) in rows]


def all_marts(admin: str) -> list[str]:
    rows = query(
        admin,
        "select tablename from pg_tables where schemaname = 'marts' order by 1",
    )
    return [f"marts.{name}" for (name,) in rows]


@pytest.fixture(scope="module")
def warehouse(server_url):
    with fresh_database(server_url) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADWH_DATABASE_URL", url)
        mp.setenv("ACCESS__CONNECT_AS_ROLES", "true")
        mp.setenv("ACME_PW", ACME_PASSWORD)
        assert cli.main(["access", "init"]) == 0
        assert cli.main(["access", "init"]) == 0  # idempotent
        for client, names in (
            ("acme", ["plain_template.csv", "ads_manager_by_day.csv"]),
            ("globex", ["ads_manager_daily.csv"]),
        ):
            args = ["load", "facebook", *(str(FB / n) for n in names), "--client", client]
            assert cli.main(args) == 0
        assert cli.main(["build"]) == 0
        code = cli.main(
            ["access", "add-login", "acme_bi", "--client", "acme", "--password-env", "ACME_PW"]
        )
        assert code == 0
        yield url


def acme(url: str) -> str:
    return role_url(url, "acme_bi", ACME_PASSWORD)


def test_loader_and_transformer_did_the_work_as_themselves(warehouse):
    owners = dict(
        query(
            warehouse,
            """select n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where (n.nspname, c.relname) in (('raw_facebook', 'ad_daily'),
                     ('marts', 'fact_daily_metrics'), ('adwh_ops', 'ingestion_log'))""",
        )
    )
    assert owners == {
        "raw_facebook.ad_daily": "adwh_loader",
        "adwh_ops.ingestion_log": "adwh_loader",
        "marts.fact_daily_metrics": "adwh_transformer",
    }
    schemas = query(
        warehouse,
        "select nspname, pg_get_userbyid(nspowner) from pg_namespace "
        "where nspname in ('marts', 'staging', 'raw_facebook', 'adwh_ops') order by 1",
    )
    assert {owner for _, owner in schemas} == {"adwh_owner"} and len(schemas) == 4


def check_client_sees_only_acme(url: str) -> None:
    tables = client_tables(url)
    assert "marts.fact_daily_metrics" in tables and "marts.dim_campaigns" in tables
    globex_total = 0
    for table in tables:
        expected = query(url, f"select count(*) from {table} where client_id = 'acme'")
        globex_total += query(url, f"select count(*) from {table} where client_id <> 'acme'")[0][0]
        seen = as_role(
            acme(url), f"select count(*), count(*) filter (where client_id <> 'acme') from {table}"
        )
        assert seen == [(expected[0][0], 0)], table
    assert globex_total > 0  # there were other clients' rows to hide
    fact = as_role(acme(url), "select distinct client_id from marts.fact_daily_metrics")
    assert fact == [("acme",)]
    # the policies are there, forced, on every table with a client_id
    forced = query(
        url,
        """select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'marts' and c.relrowsecurity and c.relforcerowsecurity
             and c.relname = any(%s)""",
        ([t.split(".")[1] for t in tables],),
    )
    assert forced == [(len(tables),)]
    # a client-agnostic table is readable, a table without client_id is not
    assert as_role(acme(url), "select count(*) from marts.time_spine_daily")[0][0] > 5000


def check_client_is_denied_everything_else(url: str) -> None:
    raw = as_role(url, "select 1")  # the administrator can connect
    assert raw == [(1,)]
    login = acme(url)
    for sql in (
        "select count(*) from raw_facebook.ad_daily",
        "select count(*) from staging.stg_facebook__ad_daily",
        "select count(*) from intermediate.int_daily_performance__priced",
        "select count(*) from adwh_ops.ingestion_log",
        "select count(*) from adwh_ops.audit_log",
        "select count(*) from seeds.clients",
        "select count(*) from adwh_access.client_logins",
        "insert into marts.fact_daily_metrics (client_id) values ('acme')",
        "update marts.fact_daily_metrics set impressions = 0",
        "delete from marts.fact_daily_metrics",
        "truncate marts.fact_daily_metrics",
        "drop table marts.fact_daily_metrics",
        "create table marts.mine (x int)",
        "create table public.mine (x int)",
        "create temporary table mine (x int)",
        "create schema mine",
        "create view marts.mine as select 1 as x",
    ):
        assert_denied(login, sql)


def test_client_login_sees_only_its_clients_rows_in_every_mart(warehouse):
    check_client_sees_only_acme(warehouse)


def test_client_login_is_denied_raw_staging_ops_and_every_write(warehouse):
    check_client_is_denied_everything_else(warehouse)


def test_analyst_reads_every_mart_and_nothing_else(warehouse):
    analyst = role_url(warehouse, "adwh_analyst")
    for table in all_marts(warehouse):
        assert as_role(analyst, f"select count(*) from {table}") == query(
            warehouse, f"select count(*) from {table}"
        ), table
    for sql in (
        "select count(*) from raw_facebook.ad_daily",
        "select count(*) from staging.stg_facebook__ad_daily",
        "select count(*) from adwh_ops.ingestion_log",
        "delete from marts.fact_daily_metrics",
        "create table marts.mine (x int)",
    ):
        assert_denied(analyst, sql)


def test_loader_cannot_touch_the_marts(warehouse):
    loader = role_url(warehouse, "adwh_loader")
    for sql in (
        "select count(*) from marts.fact_daily_metrics",
        "delete from marts.fact_daily_metrics",
        "drop table marts.fact_daily_metrics",
        "create table marts.mine (x int)",
        "select count(*) from staging.stg_facebook__ad_daily",
    ):
        assert_denied(loader, sql)
    assert as_role(loader, "select count(*) from raw_facebook.ad_daily")[0][0] > 0


def test_user_id_columns_are_closed_to_all_but_adwh_pii(warehouse):
    """Any `*_user_ids` column of a marts table, secured the way dbt secures every mart."""
    transformer = role_url(warehouse, "adwh_transformer")
    as_role(
        transformer,
        f"""create table {PII_TABLE} as
            select * from (values ('acme', 3, 'u1,u2,u3'), ('globex', 1, 'u9'))
                as v (client_id, trials, trial_user_ids);
            select adwh_access.secure_relation('{PII_TABLE}'::regclass, 'rows')""",
    )
    try:
        analyst, pii = role_url(warehouse, "adwh_analyst"), role_url(warehouse, "adwh_pii")
        for login in (analyst, acme(warehouse)):
            assert_denied(login, f"select trial_user_ids from {PII_TABLE}")
            assert_denied(login, f"select * from {PII_TABLE}")
        assert as_role(analyst, f"select client_id, trials from {PII_TABLE} order by 1") == [
            ("acme", 3),
            ("globex", 1),
        ]
        assert as_role(acme(warehouse), f"select client_id, trials from {PII_TABLE}") == [
            ("acme", 3)
        ]
        assert as_role(pii, f"select trial_user_ids from {PII_TABLE} order by 1") == [
            ("u1,u2,u3",),
            ("u9",),
        ]
    finally:
        as_role(transformer, f"drop table {PII_TABLE}")
    # and the warehouse's own user-id columns (the subscription marts), as dbt built them
    columns = query(
        warehouse,
        """select table_name, column_name from information_schema.columns
           where table_schema = 'marts' and column_name like '%%\\_user\\_ids'""",
    )
    assert {t for t, _ in columns} >= {
        "mart_subscription_entity_daily",
        "mart_subscription_entity_country_daily",
    }
    for table, column in columns:
        for login in (analyst, acme(warehouse)):
            assert_denied(login, f"select {column} from marts.{table}")
        as_role(pii, f"select {column} from marts.{table} limit 1")


def test_a_mart_without_client_id_is_closed_to_clients_and_a_view_keeps_the_rows_policy(
    warehouse,
):
    transformer = role_url(warehouse, "adwh_transformer")
    as_role(
        transformer,
        """create table marts.access_test_totals as select 42 as total;
           create view marts.access_test_view as
               select client_id, impressions from marts.fact_daily_metrics;
           select adwh_access.secure_relation('marts.access_test_totals'::regclass, 'rows');
           select adwh_access.secure_relation('marts.access_test_view'::regclass, 'rows')""",
    )
    try:
        analyst = role_url(warehouse, "adwh_analyst")
        assert as_role(analyst, "select total from marts.access_test_totals") == [(42,)]
        assert_denied(acme(warehouse), "select total from marts.access_test_totals")
        # the view reads the fact with the querying login's rights, so its policy applies
        assert as_role(
            acme(warehouse), "select distinct client_id from marts.access_test_view"
        ) == [("acme",)]
        assert as_role(analyst, "select count(distinct client_id) from marts.access_test_view") == [
            (2,)
        ]
    finally:
        as_role(
            transformer, "drop view marts.access_test_view; drop table marts.access_test_totals"
        )


def test_hostile_names_and_client_ids_are_refused(warehouse, capsys):
    hostile = 'x"; drop table marts.fact_daily_metrics; --'
    assert cli.main(["access", "add-login", hostile, "--client", "acme"]) == 2
    assert cli.main(["access", "add-login", "eve", "--client", "acme'; drop table x; --"]) == 2
    assert cli.main(["access", "add-login", "adwh_superuser", "--client", "acme"]) == 2
    assert query(warehouse, "select to_regclass('marts.fact_daily_metrics') is not null") == [
        (True,)
    ]
    assert query(
        warehouse, "select count(*) from pg_roles where rolname in (%s, 'eve')", (hostile,)
    ) == [(0,)]
    assert "password" not in capsys.readouterr().out


def test_generated_password_is_shown_once_and_works_then_revoke_is_immediate(warehouse, capsys):
    capsys.readouterr()
    assert cli.main(["access", "add-login", "globex_bi", "--client", "globex"]) == 0
    out = capsys.readouterr().out
    password = out.split("store it now): ")[1].strip()
    login = role_url(warehouse, "globex_bi", password)
    assert as_role(login, "select distinct client_id from marts.fact_daily_metrics") == [
        ("globex",)
    ]
    assert cli.main(["access", "list"]) == 0
    listing = capsys.readouterr().out
    assert password not in listing
    lines = {line.split()[0]: line for line in listing.splitlines()[1:]}
    assert lines["acme_bi"].endswith("acme") and lines["globex_bi"].endswith("globex")
    # an open session of the login ends with the revoke
    session = psycopg2.connect(login)
    try:
        assert cli.main(["access", "revoke", "globex_bi"]) == 0
        with pytest.raises(psycopg2.Error), session.cursor() as cur:
            cur.execute("select count(*) from marts.fact_daily_metrics")
            cur.fetchall()
    finally:
        session.close()
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(login).close()
    capsys.readouterr()
    assert cli.main(["access", "list"]) == 0
    assert "globex_bi" not in capsys.readouterr().out


def test_rotation_replaces_the_password(warehouse, monkeypatch):
    monkeypatch.setenv("NEW_PW", "acme-rotated-password-99")
    assert cli.main(["access", "rotate", "acme_bi", "--password-env", "NEW_PW"]) == 0
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(acme(warehouse)).close()
    rotated = role_url(warehouse, "acme_bi", "acme-rotated-password-99")
    assert as_role(rotated, "select distinct client_id from marts.fact_daily_metrics") == [
        ("acme",)
    ]
    assert cli.main(["access", "rotate", "acme_bi", "--password-env", "ACME_PW"]) == 0


def test_passwords_are_private_files_and_access_changes_are_audited(warehouse):
    directory = passwords.store_dir()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    for role in ("adwh_loader", "adwh_transformer", "adwh_analyst", "adwh_pii"):
        assert stat.S_IMODE(passwords.password_file(role).stat().st_mode) == 0o600
    audited = query(
        warehouse,
        "select command, outcome from adwh_ops.audit_log where left(command, 7) = 'access ' "
        "order by audit_id",
    )
    commands = [c for c, _ in audited]
    assert commands[:2] == ["access init", "access init"]
    assert {"access add-login", "access revoke", "access rotate"} <= set(commands)
    args = query(warehouse, "select string_agg(args, ' ') from adwh_ops.audit_log")[0][0]
    assert ACME_PASSWORD not in args and "acme-rotated" not in args
    assert os.environ.get("ACCESS__CONNECT_AS_ROLES") == "true"


def test_policies_and_grants_survive_an_incremental_build_and_a_full_refresh(warehouse):
    before = query(
        warehouse, "select count(*) from marts.fact_daily_metrics where client_id = 'acme'"
    )
    oid_before = query(warehouse, "select 'marts.fact_daily_metrics'::regclass::oid")
    # incremental: dbt merges into the existing table and re-applies its grants config
    assert cli.main(["build", "--select", "fact_daily_metrics", "dim_campaigns"]) == 0
    assert query(warehouse, "select 'marts.fact_daily_metrics'::regclass::oid") == oid_before
    check_client_sees_only_acme(warehouse)
    assert cli.main(["build", "--full-refresh"]) == 0
    # the table was recreated, not kept
    assert query(warehouse, "select 'marts.fact_daily_metrics'::regclass::oid") != oid_before
    assert (
        query(warehouse, "select count(*) from marts.fact_daily_metrics where client_id = 'acme'")
        == before
    )
    check_client_sees_only_acme(warehouse)
    check_client_is_denied_everything_else(warehouse)
    analyst = role_url(warehouse, "adwh_analyst")
    assert as_role(analyst, "select count(distinct client_id) from marts.fact_daily_metrics") == [
        (2,)
    ]
