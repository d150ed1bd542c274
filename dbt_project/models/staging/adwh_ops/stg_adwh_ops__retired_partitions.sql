{#- Partitions retired by `adwh retention` (empty until it first runs with --apply). -#}
select
    retired.source,
    retired.client_id,
    retired.date_day,
    retired.raw_rows,
    retired.retired_at,
    retired.run_id
from {{ source_or_empty('adwh_ops', 'retired_partitions') }} as retired
