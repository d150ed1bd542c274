"""A load for a client missing from dbt_project/seeds/clients.csv: every source's CLI warns
with the fix (the load proceeds); strict (--strict, or [sources] strict_clients) refuses the
load before anything is written.

Known clients (the seed): acme, globex, initech, umbrella. `newco` and `zzz` are not in it.
"""

from __future__ import annotations

import pytest
from conftest import FIXTURES, query

from loaders import cli
from loaders.core.clients import check_clients, known_clients
from loaders.core.errors import AdwhError

FB_DAILY = FIXTURES / "facebook" / "ads_manager_daily.csv"
SEED_FIX = "to dbt_project/seeds/clients.csv"


def schemas(url: str) -> set[str]:
    return {
        name
        for (name,) in query(
            url,
            "select nspname from pg_namespace where nspname in "
            "('raw_facebook', 'raw_bidder', 'raw_surfside', 'raw_vibe', 'adwh_ops')",
        )
    }


def test_the_seed_is_read_from_the_project():
    assert {"acme", "globex", "initech", "umbrella"} <= known_clients()
    assert "newco" not in known_clients()


def test_check_warns_with_the_fix_or_refuses_when_strict():
    said: list[str] = []
    assert check_clients(["acme", "newco", " newco "], strict=False, warn=said.append) == ["newco"]
    [line] = said
    assert line.startswith("warning: client 'newco' is not in dbt_project/seeds/clients.csv")
    assert "unknown_client" in line and "add a line `newco,<client name>,active`" in line
    assert check_clients(["acme", "globex"], strict=True, warn=said.append) == []
    with pytest.raises(AdwhError) as err:
        check_clients(["newco"], strict=True)
    assert "Nothing was loaded" in str(err.value)


def test_facebook_unknown_client_warns_and_loads(db_url, capsys):
    assert cli.main(["load", "facebook", str(FB_DAILY), "--client", "newco"]) == 0
    out, err = capsys.readouterr()
    assert "client 'newco' is not in dbt_project/seeds/clients.csv" in err
    assert SEED_FIX in err
    assert "newco ads_manager_daily.csv: loaded 6 rows" in out
    assert query(db_url, "select count(*) from raw_facebook.ad_daily") == [(6,)]


def test_facebook_known_client_loads_without_a_warning(db_url, capsys):
    assert cli.main(["load", "facebook", str(FB_DAILY), "--client", "globex"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_facebook_strict_refuses_before_writing(db_url, capsys):
    assert cli.main(["load", "facebook", str(FB_DAILY), "--client", "newco", "--strict"]) == 1
    err = capsys.readouterr().err
    assert "client 'newco' is not in dbt_project/seeds/clients.csv" in err
    assert "Nothing was loaded" in err
    assert schemas(db_url) == set()


def test_strict_from_config_refuses_and_no_strict_overrides_it(db_url, capsys, monkeypatch):
    monkeypatch.setenv("SOURCES__STRICT_CLIENTS", "true")
    assert cli.main(["load", "facebook", str(FB_DAILY), "--client", "newco"]) == 1
    assert "Nothing was loaded" in capsys.readouterr().err
    assert schemas(db_url) == set()
    assert cli.main(["load", "facebook", str(FB_DAILY), "--client", "newco", "--no-strict"]) == 0
    assert "warning: client 'newco'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["load", "surfside", "--client", "acme", "--client", "newco", "--date", "2026-01-01"],
        ["load", "vibe", "--client", "newco", "--date", "2026-01-01"],
    ],
)
def test_api_sources_strict_refuse_before_writing_and_warn_otherwise(db_url, capsys, args):
    assert cli.main([*args, "--strict"]) == 1
    err = capsys.readouterr().err
    assert "client 'newco' is not in dbt_project/seeds/clients.csv" in err
    assert "Nothing was loaded" in err
    assert schemas(db_url) == set()
    # without --strict the warning comes first, then the load runs (here it stops on the
    # missing bucket / API configuration of the test environment)
    cli.main(args)
    err = capsys.readouterr().err
    assert "warning: client 'newco' is not in dbt_project/seeds/clients.csv" in err
    assert SEED_FIX in err


def test_bidder_clients_come_from_the_catalog_rows(db_url, capsys):
    catalog = str(FIXTURES / "performance_creatives_example.csv")  # acme and zzz
    assert cli.main(["load", "bidder", "--catalog", catalog, "--strict"]) == 1
    err = capsys.readouterr().err
    assert "client 'zzz' is not in dbt_project/seeds/clients.csv" in err
    assert schemas(db_url) == set()
    assert cli.main(["load", "bidder", "--catalog", catalog]) == 0
    out, err = capsys.readouterr()
    assert "warning: client 'zzz' is not in" in err and SEED_FIX in err
    assert "replaced the catalog of acme, zzz" in out
    assert query(db_url, "select count(*) from raw_bidder.creatives") == [(6,)]
