"""`adwh retention [--apply]`: delete raw rows older than `[retention] raw_months`.

The fact, the quarantine and every mart keep those days: the retired client x source x day
partitions are recorded in `adwh_ops.retired_partitions`, which dbt reads to freeze them
(macros/retention.sql). See docs/operations.md, "Retention".
"""

from loaders.ops.retention.declarations import RawTable, raw_tables
from loaders.ops.retention.retire import Plan, apply, cutoff_day, plan

__all__ = ["Plan", "RawTable", "apply", "cutoff_day", "plan", "raw_tables"]
