"""The embedded Postgres: zero set-up, idempotent, never started when an external URL is set."""

from __future__ import annotations

import os
import socket
import time

import psutil
import psycopg2
import pytest

from loaders import cli
from loaders.warehouse.embedded_pg import EmbeddedPostgres


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("ADWH_HOME", str(tmp_path))
    monkeypatch.delenv("ADWH_DATABASE_URL", raising=False)
    # a port of its own (free now, from the kernel), not the default one other test
    # processes may be starting servers on at the same moment
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "pg").mkdir()
    (tmp_path / "pg" / "port").write_text(f"{port}\n")
    return tmp_path


def test_start_is_idempotent_and_survives_stop_start(home):
    server = EmbeddedPostgres(home)
    url = server.start()
    first = server.status()
    assert first.running and first.pid

    # a second start reuses the running server
    assert server.start() == url
    assert server.status().pid == first.pid

    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("create table keep_me (x int); insert into keep_me values (42)")
    conn.close()

    assert server.stop() is True
    assert server.status().running is False
    assert server.stop() is False

    # data and password survive a restart
    url_again = server.start()
    conn = psycopg2.connect(url_again)
    with conn.cursor() as cur:
        cur.execute("select x from keep_me")
        assert cur.fetchall() == [(42,)]
    conn.close()
    server.stop()


def test_server_listens_on_loopback_only_with_a_password(home):
    server = EmbeddedPostgres(home)
    url = server.start()
    try:
        conn = psycopg2.connect(url)
        with conn.cursor() as cur:
            cur.execute("show listen_addresses")
            assert cur.fetchone() == ("127.0.0.1",)
        conn.close()
        wrong = url.replace(server.password_file.read_text().strip(), "not-the-password")
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            psycopg2.connect(wrong)
        assert oct(server.password_file.stat().st_mode & 0o777) == "0o600"
    finally:
        server.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the tests run as root")
def test_as_root_the_server_runs_as_an_unprivileged_user(home):
    server = EmbeddedPostgres(home)
    server.start()
    try:
        process = psutil.Process(server.status().pid)
        assert process.uids().real != 0
        assert process.username() in ("postgres", "adwh-pg")
    finally:
        server.stop()


def test_cli_db_commands(home, capsys):
    assert cli.main(["db", "status"]) == 0
    assert "stopped" in capsys.readouterr().out
    assert cli.main(["db", "start"]) == 0
    assert "running on 127.0.0.1:" in capsys.readouterr().out
    assert cli.main(["db", "url", "--hide-password"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("postgresql://postgres:***@127.0.0.1:")
    assert cli.main(["db", "env"]) == 0
    env = capsys.readouterr().out
    assert "export ADWH_PG_PORT=" in env and "export ADWH_PG_PASSWORD=" in env
    assert "export DBT_PROFILES_DIR=" in env
    assert cli.main(["db", "stop"]) == 0
    assert capsys.readouterr().out.strip() == "stopped"


def test_external_url_means_no_embedded_server(home, server_url, monkeypatch, capsys):
    monkeypatch.setenv("ADWH_DATABASE_URL", server_url)
    assert cli.main(["db", "start"]) == 0
    assert "ADWH_DATABASE_URL is set" in capsys.readouterr().out
    assert cli.main(["db", "url", "--hide-password"]) == 0
    assert capsys.readouterr().out.strip().endswith("/postgres")
    assert sorted(p.name for p in (home / "pg").iterdir()) == ["port"]  # no cluster made


def test_bad_external_url_is_a_clear_configuration_error(home, monkeypatch, capsys):
    monkeypatch.setenv("ADWH_DATABASE_URL", "mysql://u:secretpw@db/x")
    assert cli.main(["db", "url"]) == 2
    err = capsys.readouterr().err
    assert "ADWH_DATABASE_URL must look like postgresql://" in err
    assert "secretpw" not in err


def test_port_is_kept_after_the_postmaster_is_killed(home):
    import signal

    server = EmbeddedPostgres(home)
    url = server.start()
    before = server.status()
    conn = psycopg2.connect(url)  # a live backend that has to notice the postmaster died
    with conn.cursor() as cur:
        cur.execute("set synchronous_commit = on")  # the server default is off (fast loads)
        cur.execute("create table survivor (x int); insert into survivor values (7)")
    conn.commit()
    os.kill(before.pid, signal.SIGKILL)
    from loaders.warehouse.pg_process import pid_alive

    while pid_alive(before.pid):  # the signal is delivered asynchronously
        time.sleep(0.05)
    try:
        server.start()
        after = server.status()
        assert after.running and after.pid != before.pid
        assert after.port == before.port
        conn2 = psycopg2.connect(server.url())
        with conn2.cursor() as cur:
            cur.execute("select x from survivor")
            assert cur.fetchall() == [(7,)]
        conn2.close()
    finally:
        conn.close()
        server.stop()


def test_port_moves_loudly_only_when_another_program_holds_it(home, caplog, monkeypatch):
    from loaders.warehouse import pg_process

    server = EmbeddedPostgres(home)
    server.start()
    port = server.status().port
    server.stop()
    monkeypatch.setattr(pg_process, "RECLAIM_SECONDS", 1.0)
    monkeypatch.setattr(pg_process.wait_for_port, "__defaults__", (1.0,))
    squatter = socket.socket()
    # the stopped server's closed connections may sit in TIME_WAIT on its port
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    try:
        with caplog.at_level("WARNING", logger="adwh.db"):
            server.start()
        moved = server.status().port
        assert moved != port
        assert f"PORT CHANGED: 127.0.0.1:{port}" in caplog.text
    finally:
        squatter.close()
        server.stop()


def test_a_port_taken_while_the_server_starts_is_given_up_for_another(home, caplog):
    """The race behind a flaky start: the port is free when chosen, and another program
    binds it before Postgres does. Played for real: a socket takes the chosen port just
    before pg_ctl runs; the server must come up on another port and say so."""
    server = EmbeddedPostgres(home)
    choose = server._choose_port
    taken: list[socket.socket] = []

    def choose_then_lose(skip=frozenset()):
        port = choose(skip=skip)
        if not taken:
            squatter = socket.socket()
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            taken.append(squatter)
        return port

    server._choose_port = choose_then_lose
    try:
        with caplog.at_level("WARNING", logger="adwh.db"):
            server.start()
        lost = taken[0].getsockname()[1]
        status = server.status()
        assert status.running
        assert status.port != lost
        assert f"port {lost} was taken while the embedded Postgres started" in caplog.text
        # the port remembered for the next start is the one the server got
        assert (home / "pg" / "port").read_text().strip() == str(status.port)
    finally:
        for squatter in taken:
            squatter.close()
        server.stop()
