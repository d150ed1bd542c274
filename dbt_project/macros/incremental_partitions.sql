{#-
  Which client x source x day partitions changed since a model's last build, found from raw
  load ids, not by evaluating raw rows (docs/incremental.md; DECISIONLOG.md "Incremental
  builds from load-id watermarks"). fact_daily_metrics and dq_quarantine read raw; every
  other incremental mart rebuilds what fact_daily_metrics logged (incremental_state.sql).

  A partition is rebuilt when
    - a raw row of it has a load id above the model's watermark for that raw table (a load,
      a re-delivery, a re-imported bidder key: dlt load ids are epoch-second strings, so they
      compare as text), or it shares a delivery (client_id + delivery day) with such a row,
      or an ingestion-log attempt of that delivery is newer (a day re-delivered with fewer or
      no rows: its old partitions are rebuilt and vanish when empty);
    - the seed rows of its client changed (clients.csv, client_cpm_rates.csv: every partition
      of the client), or a global seed / var changed (source_spend_basis.csv, country_codes.csv,
      default_cpm: every partition);
    - a bidder catalog load changed the entry of one of its creatives (every day of that
      creative, under its old and its new client);
    - it lies in the trailing lookback_days before the newest day (fact_daily_metrics only).
  The watermark predicates use literal load ids (read when the pre-hook renders), so the
  planner sees them against its statistics and reads the raw tables' _dlt_load_id indexes.
-#}

{#- Raw tables change detection reads. client: the client column (none: from the bidder
    catalog); date: the day column (date_day downstream); delivery_day: with client, the
    unit a load replaces; creative_id: key into the catalog. -#}
{% macro incremental_change_sources() -%}
    {{ return([
        {'source': 'surfside', 'table': 'daily_performance', 'client': 'client_id',
         'date': 'date', 'delivery_day': 'report_date'},
        {'source': 'facebook', 'table': 'ad_daily', 'client': 'client_id',
         'date': 'report_date', 'delivery_day': 'report_date'},
        {'source': 'vibe', 'table': 'daily_performance', 'client': 'client_id',
         'date': 'impression_date', 'delivery_day': 'report_date'},
        {'source': 'bidder', 'table': 'creative_performance', 'client': none,
         'date': 'date', 'creative_id': 'creative_id'},
    ]) }}
{%- endmacro %}

{#- Indexes on the raw tables (when they exist) for the load-id, day and catalog lookups. -#}
{% macro ensure_raw_change_indexes() -%}
    {%- for spec in incremental_change_sources() + [{'source': 'bidder', 'table': 'creatives'}] -%}
        {%- set relation = source(spec.source, spec.table) -%}
        {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
            {%- for column in ['_dlt_load_id', spec.get('date'), spec.get('creative_id')] if column %}
    create index if not exists {{ spec.table }}_{{ column | replace('_dlt_', '') }}_adwh
        on {{ relation }} ({{ column }});
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

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

{#- The bidder catalog as staging resolves it: one row per creative_id. -#}
{% macro catalog_entries_sql() -%}
    select
        creative_id,
        count(*) as catalog_entries,
        case when count(*) = 1 then min(client_id) end as client_id,
        {{ dbt.hash(dbt.concat(["coalesce(min(client_id), '')", "'|'",
            "coalesce(min(campaign_name), '')", "'|'", "coalesce(min(creative_name), '')", "'|'",
            dbt.cast('count(*)', dbt.type_string())])) }} as entry_hash
    from {{ ref('stg_bidder__creatives') }}
    group by creative_id
{%- endmacro %}

{#- The state a raw-fed build sees: watermarks, seed hashes, catalog entries (when a new
    catalog was loaded since the model's last build). -#}
{% macro raw_state_sql() -%}
    {%- set watermarks = stored_state('watermark') -%}
    {%- set catalog = source('bidder', 'creatives') -%}
    {%- for spec in incremental_change_sources() + [{'source': 'bidder', 'table': 'creatives'}] %}
        select
            'watermark' as kind,
            '{{ spec.source }}.{{ spec.table }}' as state_key,
            coalesce(max(_dlt_load_id), '') as state_value,
            cast(null as {{ dbt.type_string() }}) as client_id
        from {{ source_or_empty(spec.source, spec.table) }} as raw_rows
        union all
    {%- endfor %}
    select 'seed', client_id, {{ dbt.hash(dbt.listagg('line', "'|'", 'order by line')) }}, client_id
    from (
        select client_id, {{ dbt.concat(["'client:'", "client_name", "':'", "status"]) }} as line
        from {{ ref('clients') }}
        union all
        select
            client_id,
            {{ dbt.concat(["'rate:'", dbt.cast('effective_date', dbt.type_string()), "':'",
                dbt.cast('cpm', dbt.type_string())]) }}
        from {{ ref('client_cpm_rates') }}
    ) as seed_lines
    group by client_id
    union all
    select 'seed', '*', {{ dbt.hash(dbt.listagg('line', "'|'", 'order by line')) }}, null
    from (
        select {{ dbt.concat(["'basis:'", "source", "':'", "spend_basis"]) }} as line
        from {{ ref('source_spend_basis') }}
        union all
        select {{ dbt.concat(["'country:'", "country_code"]) }} from {{ ref('country_codes') }}
        union all
        select 'default_cpm:{{ var("default_cpm") }}'
    ) as global_lines
    union all
    select 'catalog', {{ dbt.cast('creative_id', dbt.type_string()) }}, entry_hash, client_id
    from ({{ catalog_entries_sql() }}) as entries
    where
        (select coalesce(max(_dlt_load_id), '') from {{ source_or_empty('bidder', 'creatives') }} as c)
        > '{{ watermarks.get("bidder.creatives", "") }}'
{%- endmacro %}

{#- client_id, source, date_day of every partition whose raw inputs changed since the model's
    last build (the model's pre-hook has just written raw_state_sql into new_state_table()).
    quarantine: the quarantine's relation, to add the partitions of its rows whose raw row a
    newer delivery of a merge-loaded source deleted (a row dated outside its delivery day lies
    in a partition the new delivery may not touch). -#}
{% macro raw_changed_partitions_sql(quarantine=none) -%}
    {%- set watermarks = stored_state('watermark') -%}
    {%- set state = incremental_state_relation() -%}
    {%- set new_state = new_state_table() -%}
    with changed_clients as (
        select coalesce(new_seed.state_key, old_seed.state_key) as client_id
        from (select * from {{ new_state }} where kind = 'seed') as new_seed
        full outer join (
            select * from {{ state }} where model = '{{ this.identifier }}' and kind = 'seed'
        ) as old_seed
            on new_seed.state_key = old_seed.state_key
        where new_seed.state_value is distinct from old_seed.state_value
    ),

    -- catalog entries added, removed or edited by catalog loads: old and new client
    changed_creatives as (
        select
            coalesce(new_entry.state_key, old_entry.state_key) as creative_id,
            new_entry.client_id as new_client_id,
            old_entry.client_id as old_client_id
        from (select * from {{ new_state }} where kind = 'catalog') as new_entry
        full outer join (
            select * from {{ state }} where model = '{{ this.identifier }}' and kind = 'catalog'
        ) as old_entry
            on new_entry.state_key = old_entry.state_key
        where
            exists (select 1 from {{ new_state }} where kind = 'catalog')
            and new_entry.state_value is distinct from old_entry.state_value
    ),

    everything as (
        select 1 as flag from changed_clients where client_id = '*'
    )

    {%- for spec in incremental_change_sources() %}
        {%- set raw = source_or_empty(spec.source, spec.table) -%}
        {%- set mark = watermarks.get(spec.source ~ '.' ~ spec.table, '') -%}
        {%- if spec.client %}
    -- {{ spec.source }}: deliveries with a newer load (their rows, old deliveries' rows too)
    select delivered.{{ spec.client }} as client_id, '{{ spec.source }}' as source,
        delivered.{{ spec.date }} as date_day
    from {{ raw }} as delivered
    where ({{ spec.client }}, {{ spec.delivery_day }}) in (
        select loaded.{{ spec.client }}, loaded.{{ spec.delivery_day }}
        from {{ raw }} as loaded
        where loaded._dlt_load_id > '{{ mark }}'
    )
    union
    select client_id, '{{ spec.source }}', report_date
    from {{ source_or_empty('adwh_ops', 'ingestion_log') }} as attempts
    where attempts.source = '{{ spec.source }}' and attempts.load_id > '{{ mark }}'
    union
            {%- if quarantine is not none %}
    -- quarantined rows of a client with a newer delivery whose raw row is gone
    select stored.client_id, stored.source, stored.date_day
    from {{ quarantine }} as stored
    where
        stored.source = '{{ spec.source }}'
        and {{ in_values('stored.client_id', 'select loaded.' ~ spec.client ~ ' from ' ~ raw
            ~ " as loaded where loaded._dlt_load_id > '" ~ mark ~ "'") }}
        and stored.load_id <= '{{ mark }}'
        and not exists (
            select 1 from {{ raw }} as kept
            where
                kept._dlt_load_id = stored.load_id
                and kept.{{ spec.client }} = stored.client_id
                and kept.source_row_number = stored.source_row_number
                and (kept.{{ spec.date }} = stored.date_day
                     or (kept.{{ spec.date }} is null and stored.date_day is null))
        )
    union
            {%- endif %}
    -- every partition of a client whose seed rows changed
    select raw_rows.{{ spec.client }}, '{{ spec.source }}', raw_rows.{{ spec.date }}
    from {{ raw }} as raw_rows
    where {{ in_values('raw_rows.' ~ spec.client, 'select client_id from changed_clients') }}
    union
        {%- else %}
    -- {{ spec.source }}: new rows, under their creative's client (NULL when unknown/ambiguous)
    select catalog.client_id, '{{ spec.source }}', loaded.{{ spec.date }}
    from {{ raw }} as loaded
    left join ({{ catalog_entries_sql() }}) as catalog
        on loaded.{{ spec.creative_id }} = catalog.creative_id
    where loaded._dlt_load_id > '{{ mark }}'
    union
    -- every day of a creative whose catalog entry changed, under its old and new client
    select clients.client_id, '{{ spec.source }}', raw_rows.{{ spec.date }}
    from {{ raw }} as raw_rows
    inner join (
        select creative_id, new_client_id as client_id from changed_creatives
        union
        select creative_id, old_client_id from changed_creatives
        union
        select creative_id, null from changed_creatives
    ) as clients
        on {{ dbt.cast('raw_rows.' ~ spec.creative_id, dbt.type_string()) }} = clients.creative_id
    where {{ in_values('raw_rows.' ~ spec.creative_id,
        'select ' ~ dbt.cast('creative_id', 'bigint') ~ ' from changed_creatives') }}
    union
    -- every partition of a client whose seed rows changed, through the catalog
    select catalog.client_id, '{{ spec.source }}', raw_rows.{{ spec.date }}
    from {{ raw }} as raw_rows
    inner join ({{ catalog_entries_sql() }}) as catalog
        on raw_rows.{{ spec.creative_id }} = catalog.creative_id
    where {{ in_values('raw_rows.' ~ spec.creative_id,
        'select creative_id from (' ~ catalog_entries_sql() ~ ') as entries where '
        ~ in_values('entries.client_id', 'select client_id from changed_clients')) }}
    union
        {%- endif %}
    -- a global seed or var changed: everything
    select {% if spec.client %}raw_rows.{{ spec.client }}{% else %}catalog.client_id{% endif %},
        '{{ spec.source }}', raw_rows.{{ spec.date }}
    from {{ raw }} as raw_rows
    {%- if not spec.client %}
    left join ({{ catalog_entries_sql() }}) as catalog
        on raw_rows.{{ spec.creative_id }} = catalog.creative_id
    {%- endif %}
    where exists (select 1 from everything)
    {% if not loop.last %}union{% endif %}
    {%- endfor %}
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
            {{ dbt.cast(dbt.date_trunc(period.trunc, 'date_day'), 'date') }} as period_start
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
