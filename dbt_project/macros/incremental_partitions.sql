{#-
  The partitions incremental models rebuild downstream of the raw-fed ones (docs/incremental.md):
  fact_daily_metrics and dq_quarantine find theirs from raw load ids
  (macros/incremental_changes.sql); the marts rebuild what fact_daily_metrics (or the mart
  they read) logged (macros/incremental_state.sql).
-#}

{#- column = any of the values of a one-column subquery, as an index-friendly condition. -#}
{% macro in_values(column, subquery) -%}
    {{ return(adapter.dispatch('in_values')(column, subquery)) }}
{%- endmacro %}

{% macro default__in_values(column, subquery) -%}
    {{ column }} in ({{ subquery }})
{%- endmacro %}

{% macro postgres__in_values(column, subquery) -%}
    {{ column }} = any(array({{ subquery }}))
{%- endmacro %}

{#- fact_daily_metrics also rebuilds the trailing lookback_days before its newest day. -#}
{% macro lookback_partitions_sql(target) -%}
    select client_id, source, date_day
    from {{ target }}
    where date_day > (
        select {{ dbt.dateadd('day', -(var('lookback_days') | int), 'max(newest.date_day)') }}
        from {{ target }} as newest
    )
{%- endmacro %}

{#- Client-days of mart_entity_daily_metrics (one row per entity and day, gap days included)
    to rebuild: the client-days fact_daily_metrics rebuilt, plus the days an entity's span
    (first..last day with data, from the dims) gained or lost - gained days need zero rows,
    lost days must go. Only entities on a rebuilt client-day can have moved their span; their
    old span is read from the target's (entity_type, entity_id, date_day) index. -#}
{% macro entity_changed_client_days_sql(target) -%}
    {%- set fact = ref('fact_daily_metrics') -%}
    with logged as (
        select distinct client_id, date_day
        from ({{ logged_changes_sql('fact_daily_metrics',
            'select client_id, null, date_day from ' ~ target) }}) as changes
        where client_id is not null
    ),

    candidates as (
        select target_rows.entity_type, target_rows.entity_id, target_rows.client_id
        from {{ target }} as target_rows
        where
            {{ in_values('target_rows.date_day', 'select date_day from logged') }}
            and (target_rows.client_id, target_rows.date_day) in (select client_id, date_day from logged)
        {%- for level in entity_levels() %}
        union
        select '{{ level.type }}', {{ dbt.cast('fact_rows.' ~ level.id, dbt.type_string()) }}, fact_rows.client_id
        from {{ fact }} as fact_rows
        where
            {{ in_values('fact_rows.date_day', 'select date_day from logged') }}
            and (fact_rows.client_id, fact_rows.date_day) in (select client_id, date_day from logged)
        {%- endfor %}
    ),

    new_spans as (
        select entities.entity_type, entities.entity_id, entities.client_id,
            entities.first_seen_date, entities.last_seen_date
        from ({{ entities_sql() }}) as entities
        inner join candidates
            on entities.entity_type = candidates.entity_type and entities.entity_id = candidates.entity_id
    ),

    old_spans as (
        select
            candidates.entity_type,
            candidates.entity_id,
            candidates.client_id,
            (
                select min(stored.date_day) from {{ target }} as stored
                where stored.entity_type = candidates.entity_type and stored.entity_id = candidates.entity_id
            ) as first_seen_date,
            (
                select max(stored.date_day) from {{ target }} as stored
                where stored.entity_type = candidates.entity_type and stored.entity_id = candidates.entity_id
            ) as last_seen_date
        from candidates
    ),

    span_edges as (
        select
            coalesce(new_spans.client_id, old_spans.client_id) as client_id,
            new_spans.first_seen_date as new_first,
            new_spans.last_seen_date as new_last,
            old_spans.first_seen_date as old_first,
            old_spans.last_seen_date as old_last
        from new_spans
        full outer join (select * from old_spans where first_seen_date is not null) as old_spans
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

    select client_id, date_day from logged
    union
    select span_ranges.client_id, series.day::date
    from span_ranges
    cross join lateral generate_series(
        span_ranges.range_start, span_ranges.range_end, interval '1 day'
    ) as series (day)
{%- endmacro %}

{#- Creative keys of dim_creatives to recompute: those on a partition fact_daily_metrics
    rebuilt, and those whose first or last day lies on one (they may have lost it). -#}
{% macro dim_creatives_changed_keys_sql(target) -%}
    with logged as (
        {{ logged_changes_sql('fact_daily_metrics',
            'select client_id, source, first_seen_date from ' ~ target
            ~ ' union select client_id, source, last_seen_date from ' ~ target) }}
    )

    select fact.creative_key
    from {{ ref('fact_daily_metrics') }} as fact
    where
        {{ in_values('fact.date_day', 'select date_day from logged') }}
        and (fact.client_id, fact.source, fact.date_day) in (
            select client_id, source, date_day from logged
        )
    union
    select stored.creative_key
    from {{ target }} as stored
    inner join logged
        on
            stored.client_id = logged.client_id
            and stored.source = logged.source
            and (stored.first_seen_date = logged.date_day or stored.last_seen_date = logged.date_day)
{%- endmacro %}

{#- client_id, period_type, period_start of the periods (period_types()) holding a client-day
    `upstream` rebuilt since `target` last consumed its log. -#}
{% macro changed_periods_sql(upstream, target) -%}
    {%- for period in period_types() %}
        select
            client_id,
            '{{ period.type }}' as period_type,
            {{ period_start(period.type, 'date_day') }} as period_start
        from ({{ logged_changes_sql(upstream,
            'select client_id, null, period_start from ' ~ target) }}) as logged
        where client_id is not null
        {% if not loop.last %}union{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- client_id, month_start of the months holding a client-day `upstream` (a model without a
    source column) rebuilt since `target` last consumed its log. -#}
{% macro changed_months_sql(upstream, target) -%}
    select distinct
        client_id,
        {{ dbt.cast(dbt.date_trunc('month', 'date_day'), 'date') }} as month_start
    from ({{ logged_changes_sql(upstream, 'select client_id, null, month_start from ' ~ target,
        upstream_columns="client_id, 'bidder' as source, date_day") }}) as logged
    where client_id is not null
{%- endmacro %}
