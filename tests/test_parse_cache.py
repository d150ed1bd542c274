"""dbt keeps one saved parse per state (loaders/warehouse/parse_cache.py): calls that alternate
`--vars` stop re-parsing the whole project, and a bad saved parse only costs a full parse.

Whether dbt parsed files or reused a parse is read from dbt's own perf_info.json
(`parsed_path_count`: the files it parsed in this call, 0 when it reused a saved parse).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from loaders.warehouse import parse_cache
from loaders.warehouse.dbt_runner import run_dbt, target_dir

# equal to the project's default, so no model changes meaning; any --vars value is a new state
VARS = ["--vars", '{"anomaly_min_days": 14}']


def parsed_files(args: list[str], url: str) -> int:
    run_dbt(["parse", *args], url)
    return json.loads((target_dir() / "perf_info.json").read_text())["parsed_path_count"]


@pytest.mark.slow
def test_alternating_vars_reuse_their_own_parse_and_a_bad_copy_is_parsed_again(db_url):
    parsed_files(VARS, db_url)
    parsed_files([], db_url)  # the other state: parsed or reused, either is fine
    # back to VARS: without a parse per state, dbt would parse all files again here
    assert parsed_files(VARS, db_url) == 0

    copy = target_dir() / "parse_cache" / f"{parse_cache.state_key(VARS)}.msgpack"
    copy.write_bytes(b"not a dbt manifest")
    assert parsed_files(VARS, db_url) > 50  # dbt refused the copy and parsed in full
    assert copy.stat().st_size > 100_000  # the copy is a real parse again
    assert parsed_files(VARS, db_url) == 0


def test_the_state_is_the_vars_role_and_database_not_the_password(monkeypatch):
    monkeypatch.setenv("ADWH_PG_USER", "adwh_transformer")
    monkeypatch.setenv("ADWH_PG_DATABASE", "adwh")
    monkeypatch.setenv("ADWH_PG_PASSWORD", "one")
    key = parse_cache.state_key(["build", "--vars", "{a: 1}"])
    assert parse_cache.state_key(["build", "--vars={a: 1}"]) == key
    assert parse_cache.state_key(["run", "--vars", "{a: 1}", "--select", "x"]) == key
    monkeypatch.setenv("ADWH_PG_PASSWORD", "two")
    assert parse_cache.state_key(["build", "--vars", "{a: 1}"]) == key
    assert parse_cache.state_key(["build", "--vars", "{a: 2}"]) != key
    assert parse_cache.state_key(["build"]) != key
    monkeypatch.setenv("ADWH_PG_USER", "postgres")
    assert parse_cache.state_key(["build", "--vars", "{a: 1}"]) != key
    monkeypatch.setenv("ADWH_PG_USER", "adwh_transformer")
    monkeypatch.setenv("ADWH_PG_DATABASE", "other")
    assert parse_cache.state_key(["build", "--vars", "{a: 1}"]) != key


def test_off_when_partial_parsing_is_off_or_its_file_is_chosen(monkeypatch):
    monkeypatch.delenv("DBT_PARTIAL_PARSE", raising=False)
    monkeypatch.delenv("DBT_PARTIAL_PARSE_FILE_PATH", raising=False)
    assert parse_cache.enabled(["build"])
    assert not parse_cache.enabled(["build", "--no-partial-parse"])
    assert not parse_cache.enabled(["build", "--partial-parse-file-path", "x.msgpack"])
    monkeypatch.setenv("DBT_PARTIAL_PARSE", "false")
    assert not parse_cache.enabled(["build"])
    monkeypatch.delenv("DBT_PARTIAL_PARSE")
    monkeypatch.setenv("DBT_PARTIAL_PARSE_FILE_PATH", "/somewhere/partial_parse.msgpack")
    assert not parse_cache.enabled(["build"])


def test_only_a_parse_written_during_the_call_is_kept_and_the_newest_eight_stay(tmp_path):
    cache = tmp_path / "parse_cache"
    cache.mkdir()
    for n in range(9):
        old = cache / f"old{n}.msgpack"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + n, 1_000_000 + n))
    written = tmp_path / "partial_parse.msgpack"
    written.write_bytes(b"parse of another state")
    started = time.time() + 5  # dbt wrote nothing since the call began
    parse_cache._keep(written, cache / "new.msgpack", started)
    assert not (cache / "new.msgpack").exists()

    parse_cache._keep(written, cache / "new.msgpack", time.time() - 5)
    assert (cache / "new.msgpack").read_bytes() == b"parse of another state"
    kept = sorted(p.name for p in cache.glob("*.msgpack"))
    # new plus the seven newest old copies; old0 and old1 (the oldest) are gone
    assert kept == sorted(["new.msgpack", *(f"old{n}.msgpack" for n in range(2, 9))])
    assert not list(cache.glob("*.tmp"))
