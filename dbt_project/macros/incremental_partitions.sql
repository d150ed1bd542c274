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
    {#- Each input appears once in the query, so the planner inlines it and can scan the
        staging views in parallel (a CTE read twice is materialised, serially). -#}
    with compared as (
        select
            coalesce(upstream_partitions.client_id, current_partitions.client_id) as client_id,
            coalesce(upstream_partitions.source, current_partitions.source) as source,
            coalesce(upstream_partitions.date_day, current_partitions.date_day) as date_day,
            upstream_partitions.partition_fingerprint as new_fingerprint,
            current_partitions.partition_fingerprint as old_fingerprint,
            -- the trailing window ends at the newest day with valid rows, so one bogus future
            -- date (quarantined anyway) cannot move it
            max(upstream_partitions.date_day) filter (where upstream_partitions.valid_rows > 0)
                over () as newest_day
        from ({{ partition_fingerprint_sql(upstream) }}) as upstream_partitions
        full outer join (
            select
                client_id,
                source,
                date_day,
                max(partition_fingerprint) as partition_fingerprint
            from {{ target }}
            group by client_id, source, date_day
        ) as current_partitions
            on
                upstream_partitions.client_id = current_partitions.client_id
                and upstream_partitions.source = current_partitions.source
                and upstream_partitions.date_day = current_partitions.date_day
    )

    -- changed, new and vanished partitions, and the trailing lookback window
    select client_id, source, date_day
    from compared
    where
        new_fingerprint is distinct from old_fingerprint
        or (new_fingerprint is not null and date_day > newest_day - {{ var('lookback_days') | int }})
{%- endmacro %}

{#- Partition replacement for incremental models (used as their pre_hook).
    Computes the partitions to rebuild once, into a temporary table the model then reads via
    `changed_partitions_table()`, and deletes those partitions from the model's table - also
    partitions that no longer have any row upstream, which delete+insert alone would keep.
    Runs inside the model's transaction, on the model's connection. -#}
{% macro replace_changed_partitions(changed_sql, columns) -%}
    {%- if is_incremental() -%}
        drop table if exists {{ changed_partitions_table() }};
        create temporary table {{ changed_partitions_table() }} as (
            {{ changed_sql }}
        );
        analyze {{ changed_partitions_table() }};
        delete from {{ this }}
        where ({{ columns | join(', ') }}) in (
            select {{ columns | join(', ') }} from {{ changed_partitions_table() }}
        )
    {%- endif -%}
{%- endmacro %}

{% macro changed_partitions_table() -%}
    {{ this.identifier }}__changed_partitions
{%- endmacro %}

{#- The fingerprint of each client-day: the fingerprints of its fact partitions, all sources.
    geo_only keeps client-days where some source reports geography. -#}
{% macro client_day_fingerprints_sql(geo_only=false) -%}
    select
        client_id,
        date_day,
        md5(string_agg(source || ':' || partition_fingerprint, ',' order by source))
            as day_fingerprint
    from {{ ref('fact_daily_partitions') }}
    group by client_id, date_day
    {% if geo_only %}having sum(geo_source_rows) > 0{% endif %}
{%- endmacro %}

{#- Client-days whose fingerprint differs from the one a mart stored (`current_days_sql`:
    client_id, date_day, day_fingerprint) - new, restated or vanished data of any source -
    plus the trailing lookback_days before the newest day. -#}
{% macro fingerprint_changed_days_sql(current_days_sql, geo_only=false) -%}
    with compared as (
        select
            coalesce(upstream_days.client_id, current_days.client_id) as client_id,
            coalesce(upstream_days.date_day, current_days.date_day) as date_day,
            upstream_days.day_fingerprint as new_fingerprint,
            current_days.day_fingerprint as old_fingerprint,
            max(upstream_days.date_day) over () as newest_day
        from ({{ client_day_fingerprints_sql(geo_only) }}) as upstream_days
        full outer join ({{ current_days_sql }}) as current_days
            on
                upstream_days.client_id = current_days.client_id
                and upstream_days.date_day = current_days.date_day
    )

    select client_id, date_day
    from compared
    where
        new_fingerprint is distinct from old_fingerprint
        or (new_fingerprint is not null and date_day > newest_day - {{ var('lookback_days') | int }})
{%- endmacro %}

{#- Client-days of mart_entity_daily_metrics (one row per entity and day, gap days included)
    to rebuild: fingerprint changes and the lookback window, plus the days an entity's span
    (first..last day with data, from the dims) gained or lost - gained days need zero rows,
    lost days must go. -#}
{% macro entity_changed_client_days_sql(target) -%}
    (
        {{ fingerprint_changed_days_sql(
            "select client_id, date_day, day_fingerprint from " ~ target
            ~ " where entity_type = 'client'") }}
    )

    union

    (
        with new_spans as (
            select entity_type, entity_id, client_id, first_seen_date, last_seen_date
            from ({{ entities_sql() }}) as entities
        ),

        old_spans as (
            select
                entity_type,
                entity_id,
                client_id,
                min(date_day) as first_seen_date,
                max(date_day) as last_seen_date
            from {{ target }}
            group by entity_type, entity_id, client_id
        ),

        span_edges as (
            select
                coalesce(new_spans.client_id, old_spans.client_id) as client_id,
                new_spans.first_seen_date as new_first,
                new_spans.last_seen_date as new_last,
                old_spans.first_seen_date as old_first,
                old_spans.last_seen_date as old_last
            from new_spans
            full outer join old_spans
                on
                    new_spans.entity_type = old_spans.entity_type
                    and new_spans.entity_id = old_spans.entity_id
            where
                new_spans.first_seen_date is distinct from old_spans.first_seen_date
                or new_spans.last_seen_date is distinct from old_spans.last_seen_date
        ),

        -- the days in exactly one of the two spans, as at most two ranges per entity
        span_ranges as (
            select client_id, new_first as range_start, new_last as range_end
            from span_edges where old_first is null
            union all
            select client_id, old_first, old_last
            from span_edges where new_first is null
            union all
            select client_id, least(new_first, old_first), greatest(new_first, old_first) - 1
            from span_edges where new_first <> old_first
            union all
            select client_id, least(new_last, old_last) + 1, greatest(new_last, old_last)
            from span_edges where new_last <> old_last
        )

        select span_ranges.client_id, series.day::date as date_day
        from span_ranges
        cross join lateral generate_series(
            span_ranges.range_start, span_ranges.range_end, interval '1 day'
        ) as series (day)
    )
{%- endmacro %}

{#- Client-days of mart_entity_country_daily to rebuild: client-days with geography whose
    fingerprint differs from the stored one (or that lost their geography or data), and the
    trailing lookback_days. -#}
{% macro country_changed_client_days_sql(target) -%}
    {{ fingerprint_changed_days_sql(
        "select client_id, date_day, max(day_fingerprint) as day_fingerprint from " ~ target
        ~ " where entity_type = 'client' and country_code = 'ALL' group by client_id, date_day",
        geo_only=true) }}
{%- endmacro %}
