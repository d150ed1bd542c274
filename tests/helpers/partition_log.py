"""What the incremental machinery logged (intermediate.incremental_partition_log,
docs/incremental.md): the partitions the last build of a model rebuilt."""

from __future__ import annotations

from conftest import query


def rebuilt(url: str, model: str = "fact_daily_metrics") -> set[tuple]:
    """(client_id, source, date_day) of each partition the last build of `model` logged as
    rebuilt (the run's marker row, without a day, left out)."""
    return set(
        query(
            url,
            """select client_id, source, date_day from intermediate.incremental_partition_log
               where model = %s and date_day is not null and invocation_id = (
                   select invocation_id from intermediate.incremental_partition_log
                   where model = %s order by log_id desc limit 1)""",
            (model, model),
        )
    )
