"""The import summary of bidder performance files: accepted and rejected rows with reasons.

No dbt and no staging view: the staging rules (rules.py) run on each file's own rows before
dlt takes them; once the run has loaded, the stored rows of the file's creative-days decide
`breakdown_superseded` (an index on (creative_id, date) keeps that proportional to the file,
not to the history). A key a later file of the same run re-imports replaces this file's row,
which then no longer counts, as in staging.
"""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.core.clients import known_clients
from loaders.core.settings import project_dir
from loaders.sources.bidder.files import FileResult, Rejection
from loaders.sources.bidder.rules import FileChecks, Lookups, check_rows, superseded_entry
from loaders.sources.bidder.settings import CATALOG_TABLE, DATASET, PERFORMANCE_TABLE

COUNTRY_SEED = "dbt_project/seeds/country_codes.csv"

# per stored creative-day of the file: each breakdown rank, and how many rows of other
# imports report it
STORED_DAYS_SQL = f"""
with days as (
    select * from unnest(%(ids)s::bigint[], %(days)s::date[]) as d (creative_id, date)
)
select p.creative_id, p.date,
       (case when nullif(trim(p.hour_text), '') is null then 0 else 4 end
        + case when nullif(trim(p.geography), '') is null then 0 else 2 end
        + case when nullif(trim(p.device_type), '') is null then 0 else 1 end) as rank,
       sum(case when p._dlt_load_id <> %(load_id)s then 1 else 0 end) as others
from raw_{DATASET}.{PERFORMANCE_TABLE} as p
join days on p.creative_id = days.creative_id and p.date = days.date
group by 1, 2, 3
"""


def _countries() -> frozenset[str]:
    with (project_dir() / COUNTRY_SEED).open(newline="", encoding="utf-8") as handle:
        return frozenset(row["country_code"].strip() for row in csv.DictReader(handle))


def _catalog(cur, ids: list[int]) -> dict[int, tuple[int, str | None]]:
    cur.execute(f"select to_regclass('raw_{DATASET}.{CATALOG_TABLE}')")
    if cur.fetchone()[0] is None or not ids:
        return {}
    cur.execute(
        f"""select creative_id, count(*), min(nullif(trim(client_id), ''))
            from raw_{DATASET}.{CATALOG_TABLE} where creative_id = any(%s)
            group by creative_id""",
        (ids,),
    )
    return {creative_id: (entries, client) for creative_id, entries, client in cur.fetchall()}


def check_file(url: str, table: pa.Table, loaded_at: dt.datetime, limit: int) -> FileChecks:
    """The file-local rules on `table` (the rows about to be loaded, lineage included)."""
    from loaders.warehouse.database import connect

    ids = pc.unique(table.column("creative_id").combine_chunks().drop_null()).to_pylist()
    with connect(url) as conn, conn.cursor() as cur:
        catalog = _catalog(cur, ids)
    lookups = Lookups(catalog, frozenset(known_clients()), _countries())
    return check_rows(table, lookups, loaded_at, limit)


def _stored_days(url: str, checks: FileChecks, load_id: str, keep: pa.Array) -> pa.Table:
    from loaders.warehouse.database import connect

    known = pc.and_(pc.is_valid(checks.creative_id), pc.is_valid(checks.date))
    pairs = pa.table({"creative_id": checks.creative_id, "date": checks.date})
    pairs = pairs.filter(pc.and_(known, keep)).group_by(["creative_id", "date"]).aggregate([])
    stored = {"creative_id": [], "date": [], "rank": [], "others": []}
    if pairs.num_rows:
        with connect(url) as conn, conn.cursor() as cur:
            params = {
                "ids": pairs.column("creative_id").to_pylist(),
                "days": pairs.column("date").to_pylist(),
                "load_id": load_id,
            }
            cur.execute(STORED_DAYS_SQL, params)
            for creative_id, day, rank, others in cur.fetchall():
                for name, value in zip(stored, (creative_id, day, rank, others), strict=True):
                    stored[name].append(value)
    return pa.table(
        {
            "creative_id": pa.array(stored["creative_id"], pa.int64()),
            "date": pa.array(stored["date"], pa.date32()),
            "rank": pa.array(stored["rank"], pa.int8()),
            "others": pa.array(stored["others"], pa.int64()),
        }
    )


def _superseded(url: str, checks: FileChecks, load_id: str, keep: pa.Array):
    """Per row: the creative-day's finest stored breakdown (NULL without one); and the
    number of rows of other imports of the file's creative-days under that breakdown."""
    stored = _stored_days(url, checks, load_id, keep)
    tops = stored.group_by(["creative_id", "date"]).aggregate([("rank", "max")])
    with_top = stored.join(tops, ["creative_id", "date"])
    elsewhere = pc.sum(
        pc.if_else(
            pc.less(with_top.column("rank"), with_top.column("rank_max")),
            with_top.column("others"),
            0,
        )
    ).as_py()
    rows = pa.table(
        {
            "i": pa.array(np.arange(len(checks.rank))),
            "creative_id": checks.creative_id,
            "date": checks.date,
        }
    )
    joined = rows.join(tops, ["creative_id", "date"], join_type="left outer").sort_by("i")
    return joined.column("rank_max").combine_chunks(), elsewhere or 0


def finish(
    url: str, result: FileResult, checks: FileChecks, replaced: pa.Array | None, limit: int
) -> None:
    """Fill `result`'s summary; `replaced` marks rows a later file of the run re-imported."""
    keep = (
        pa.array(np.ones(len(checks.rank), dtype=bool)) if replaced is None else pc.invert(replaced)
    )
    top, elsewhere = _superseded(url, checks, result.load_id, keep)
    superseded = pc.fill_null(pc.less(checks.rank, top), False)
    kept = keep.to_numpy(zero_copy_only=False)
    sup = superseded.to_numpy(zero_copy_only=False) & kept
    local = (checks.counts > 0) & kept
    result.rows = int(kept.sum())
    result.rejected_rows = int((local | sup).sum())
    result.valid_rows = result.rows - result.rejected_rows
    result.rejection_count = int(checks.counts[kept].sum() + sup.sum())
    result.superseded_elsewhere = elsewhere
    rows = checks.row_numbers.to_numpy(zero_copy_only=False)
    kept_rows = set(rows[kept].tolist())
    entries = [e for e in checks.entries if e[0] in kept_rows]
    ranks, tops = checks.rank.to_numpy(zero_copy_only=False), top
    for i in np.flatnonzero(sup)[:limit]:
        column, rule, detail = superseded_entry(int(ranks[i]), tops[int(i)].as_py())
        # after the row's file-local rules: breakdown_superseded is the last rule
        entries.append((int(rows[i]), column, rule, detail, 1))
    ordered = sorted(((e if len(e) == 5 else (*e, 0)) for e in entries), key=lambda e: (e[0], e[4]))
    result.rejections = [
        Rejection(row, result.headers.get(column, column), rule, detail)
        for row, column, rule, detail, _ in ordered[:limit]
    ]
