{#-
  Incremental facts rebuild whole partitions (client_id x source x date_day), never single rows,
  and find the partitions to rebuild by comparing fingerprints instead of trusting a load-time
  watermark (see DECISIONLOG.md, "Incremental facts"):

    fingerprint = count of rows, count of valid rows, first and last load id, sum of the CPM
                  applied, a sum of hashes of the creative keys - over every upstream row of
                  the partition, valid or not.

  A re-delivered day changes its load ids; a row turning (in)valid changes the valid count; a
  CPM rate edited after the fact changes the CPM sum; a hierarchy name changed without a new
  load (e.g. a campaign renamed in the bidder's creative catalog) changes the creative keys.
  A partition is rebuilt when its fingerprint differs from the one stored on the fact's rows,
  when it vanished upstream, or when it lies in the trailing `lookback_days` window.
-#}

{% macro partition_fingerprint_sql(upstream) -%}
    select
        client_id,
        source,
        date_day,
        md5(concat_ws('|',
            count(*),
            count(*) filter (where is_valid),
            min(load_id),
            max(load_id),
            coalesce(sum(cpm_rate), 0),
            coalesce(sum(('x' || left(md5(creative_key), 8))::bit(32)::integer::bigint), 0)
        )) as partition_fingerprint,
        count(*) filter (where is_valid) as valid_rows
    from {{ upstream }}
    where client_id is not null and date_day is not null
    group by client_id, source, date_day
{%- endmacro %}

{#- The partitions of `target` (the incremental model) that must be rebuilt from `upstream`. -#}
{% macro changed_partitions_sql(upstream, target) -%}
    with upstream_partitions as (
        {{ partition_fingerprint_sql(upstream) }}
    ),

    current_partitions as (
        select
            client_id,
            source,
            date_day,
            max(partition_fingerprint) as partition_fingerprint
        from {{ target }}
        group by client_id, source, date_day
    ),

    -- the trailing window ends at the newest day with valid rows, so one bogus future date
    -- (quarantined anyway) cannot move it
    newest as (
        select max(date_day) as max_day from upstream_partitions where valid_rows > 0
    )

    select upstream_partitions.client_id, upstream_partitions.source, upstream_partitions.date_day
    from upstream_partitions
    left join current_partitions
        on
            upstream_partitions.client_id = current_partitions.client_id
            and upstream_partitions.source = current_partitions.source
            and upstream_partitions.date_day = current_partitions.date_day
    cross join newest
    where
        current_partitions.partition_fingerprint is distinct from upstream_partitions.partition_fingerprint
        or upstream_partitions.date_day > newest.max_day - {{ var('lookback_days') | int }}

    union

    select current_partitions.client_id, current_partitions.source, current_partitions.date_day
    from current_partitions
    left join upstream_partitions
        on
            current_partitions.client_id = upstream_partitions.client_id
            and current_partitions.source = upstream_partitions.source
            and current_partitions.date_day = upstream_partitions.date_day
    where upstream_partitions.client_id is null
{%- endmacro %}

{#- pre_hook of a partition-incremental model: remove every partition about to be rebuilt,
    including partitions that no longer have any valid row (delete+insert alone would keep
    their stale rows). Runs in the model's transaction. -#}
{% macro delete_changed_partitions(upstream) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where (client_id, source, date_day) in (
            {{ changed_partitions_sql(upstream, this) }}
        )
    {%- endif -%}
{%- endmacro %}
