{#-
  Which client x source x day partitions changed since a model's last build, found from raw
  load ids, not by evaluating raw rows (docs/incremental.md; DECISIONLOG.md "Incremental
  builds from load-id watermarks"). fact_daily_metrics and dq_quarantine read raw; every
  other incremental mart rebuilds what fact_daily_metrics logged (incremental_state.sql).

  The raw tables come from the source registry (var adwh_sources): each enabled source
  declares how its raw tables change in `change_specs__<name>()` (macros/sources/<name>.sql),
  a list of specs:
    table           the raw table whose _dlt_load_id is compared with the model's watermark
    raw_source      the dbt source of `table` when it is another source's (default: the entry)
    client, delivery_day   (delivery specs) the columns of the unit a load replaces
    date            the day column of the rows (date_day downstream)
    rows            SQL (a subquery) of the rows when they are not `table` itself (Surfside:
                    deliveries joined to their rows); client, delivery_day, date,
                    source_row_number and _dlt_load_id columns
    committed_only  the watermark counts only load packages committed in _dlt_loads
    replaces        a load deletes rows of a delivery that may lie on other days (quarantine
                    rows whose raw row is gone are found and rebuilt)
    span            (start, end) columns: the delivery covers these days (Vibe reports)
    dependency      the partitions are another source's (Meta supersedes Facebook uploads):
                    only new loads count, under partition source = the entry's name
    key, key_type, reference   (keyed specs) rows get their client through a reference
                    table (bidder catalog, partner media buys); `reference` names its
                    entries macro (key, client_id, entry_hash)
    replaces_days   (keyed) a load replaces whole days: every partition of the target on a
                    day with a new row or a newer ingestion-log line is rebuilt
    indexes         [[table, column], ...] raw indexes change detection reads through
                    (default: _dlt_load_id and the date / key columns of `table`)
  A source without change_specs__<name>() rebuilds all of its partitions on every
  incremental build (from its staging model): correct, not proportional - add the macro.

  A partition is rebuilt when
    - a raw row of it has a load id above the model's watermark for that raw table, or it
      shares a delivery with such a row, or an ingestion-log attempt of that delivery is newer;
    - the seed rows of its client changed (every partition of the client), or a global seed,
      the registry or default_cpm changed (every partition);
    - a reference load changed the entry of one of its keys (every day of that key, under its
      old and its new client);
    - it lies in the trailing lookback_days before the newest day (fact_daily_metrics only).
  The watermark predicates use literal load ids (read when the pre-hook renders), so the
  planner sees them against its statistics and reads the raw tables' _dlt_load_id indexes.
-#}

{#- Every change spec of the enabled sources, with `source` (the raw tables' dbt source) and
    `label` (the partitions' source) filled in; a source without specs gets a staging spec. -#}
{% macro incremental_change_specs() -%}
    {%- set specs = [] -%}
    {%- for entry in adwh_sources() -%}
        {%- set declared = context.get('change_specs__' ~ entry.name) -%}
        {%- if declared is none -%}
            {%- do specs.append({'kind': 'staging', 'label': entry.name,
                                 'staging_model': entry.staging_model}) -%}
        {%- else -%}
            {%- for spec in declared() -%}
                {%- set full = {'label': entry.name, 'source': spec.get('raw_source', entry.name),
                                'kind': 'keyed' if spec.get('key') else 'delivery'} -%}
                {%- do full.update(spec) -%}
                {%- do specs.append(full) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(specs) }}
{%- endmacro %}

{#- The raw tables the specs compare load ids of, once each: [{source, table, committed_only}]. -#}
{% macro incremental_watermark_tables() -%}
    {%- set tables = [] -%}
    {%- set seen = [] -%}
    {%- for spec in incremental_change_specs() if spec.kind != 'staging' -%}
        {%- set references = [spec.reference] if spec.get('reference') else [] -%}
        {%- for item in [spec] + references -%}
            {%- set key = item.source ~ '.' ~ item.table -%}
            {%- if key not in seen -%}
                {%- do seen.append(key) -%}
                {%- do tables.append({'source': item.source, 'table': item.table, 'key': key,
                                      'committed_only': item.get('committed_only', false)}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(tables) }}
{%- endmacro %}

{#- Indexes on the raw tables (when they exist) for the load-id, day and key lookups. -#}
{% macro ensure_raw_change_indexes() -%}
    {%- set wanted = [] -%}
    {%- for spec in incremental_change_specs() if spec.kind != 'staging' -%}
        {%- set default = [[spec.table, '_dlt_load_id']]
            + ([[spec.table, spec.date]] if spec.get('date') and not spec.get('rows') else [])
            + ([[spec.table, spec.key]] if spec.get('key') else [])
            + ([[spec.reference.table, '_dlt_load_id']] if spec.get('reference') else []) -%}
        {%- for table, column in spec.get('indexes', default) -%}
            {%- if [spec.source, table, column] not in wanted -%}
                {%- do wanted.append([spec.source, table, column]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for source_name, table, column in wanted -%}
        {%- set relation = source(source_name, table) -%}
        {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) %}
    create index if not exists {{ table }}_{{ column | replace('_dlt_', '') }}_adwh
        on {{ relation }} ({{ column }});
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{#- The watermark of one raw table: its newest load id (of committed packages only when
    committed_only: a package's rows may be visible before dlt records it in _dlt_loads). -#}
{% macro watermark_value_sql(item) -%}
    select coalesce(max(raw_rows._dlt_load_id), '')
    from {{ source_or_empty(item.source, item.table) }} as raw_rows
    {%- if item.committed_only %}
    where raw_rows._dlt_load_id in (
        select loads.load_id from {{ source_or_empty(item.source, '_dlt_loads') }} as loads
        where loads.status = 0
    )
    {%- endif %}
{%- endmacro %}

{#- The state a raw-fed build sees: watermarks, seed hashes, and the entries of each reference
    table loaded since the model's last build (plus an empty-key marker row for it). -#}
{% macro raw_state_sql() -%}
    {%- set watermarks = stored_state('watermark') -%}
    {%- set seen = [] -%}
    {%- for item in incremental_watermark_tables() %}
    select
        'watermark' as kind,
        '{{ item.key }}' as state_key,
        ({{ watermark_value_sql(item) }}) as state_value,
        cast(null as {{ dbt.type_string() }}) as client_id
    union all
    {%- endfor %}
    {%- for spec in incremental_change_specs() if spec.get('reference') %}
        {%- set ref_spec = spec.reference -%}
        {%- set name = ref_spec.source ~ '.' ~ ref_spec.table -%}
        {%- if name not in seen %}
            {%- do seen.append(name) %}
    select 'reference', {{ dbt.concat(["'" ~ name ~ ":'", dbt.cast('entries.entry_key', dbt.type_string())]) }},
        entries.entry_hash, entries.client_id
    from ({{ context[ref_spec.entries]() }}) as entries
    where ({{ watermark_value_sql(ref_spec) }}) > '{{ watermarks.get(name, "") }}'
    union all
    select 'reference', '{{ name }}:', '', null
    where ({{ watermark_value_sql(ref_spec) }}) > '{{ watermarks.get(name, "") }}'
    union all
        {%- endif %}
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
        select {{ dbt.concat(["'country:'", "country_code"]) }} as line from {{ ref('country_codes') }}
        union all
        select 'default_cpm:{{ var("default_cpm") }}'
        {%- for entry in adwh_sources(include_disabled=true) %}
        union all
        select 'source:{{ entry.name }}:{{ entry.staging_model }}:{{ entry.spend_basis }}:{{ entry.enabled }}'
        {%- endfor %}
    ) as global_lines
{%- endmacro %}

{#- client_id, source, date_day of every partition whose raw inputs changed since the model's
    last build (the model's pre-hook has just written raw_state_sql into new_state_table()).
    target: the model's relation (partitions it holds that vanished upstream); quarantine:
    it is dq_quarantine (its rows carry load_id and source_row_number). -#}
{% macro raw_changed_partitions_sql(target, quarantine=false) -%}
    {%- set watermarks = stored_state('watermark') -%}
    {%- set state = incremental_state_relation() -%}
    {%- set new_state = new_state_table() -%}
    {%- set log = source_or_empty('adwh_ops', 'ingestion_log') -%}
    {%- set references = [] -%}
    with changed_clients as (
        select coalesce(new_seed.state_key, old_seed.state_key) as client_id
        from (select * from {{ new_state }} where kind = 'seed') as new_seed
        full outer join (
            select * from {{ state }} where model = '{{ this.identifier }}' and kind = 'seed'
        ) as old_seed
            on new_seed.state_key = old_seed.state_key
        where new_seed.state_value is distinct from old_seed.state_value
    ),

    everything as (
        select 1 as flag from changed_clients where client_id = '*'
    ),
    {%- for spec in incremental_change_specs() if spec.get('reference') %}
        {%- set name = spec.reference.source ~ '.' ~ spec.reference.table -%}
        {%- if name not in references %}
            {%- do references.append(name) %}

    -- {{ name }}: entries added, removed or edited by its loads (old and new client)
    changed__{{ name | replace('.', '__') }} as (
        select
            substr(coalesce(new_entry.state_key, old_entry.state_key), {{ name | length + 2 }}) as entry_key,
            new_entry.client_id as new_client_id,
            old_entry.client_id as old_client_id
        from (
            select * from {{ new_state }} where kind = 'reference' and state_key like '{{ name }}:_%'
        ) as new_entry
        full outer join (
            select * from {{ state }}
            where model = '{{ this.identifier }}' and kind = 'reference' and state_key like '{{ name }}:_%'
        ) as old_entry
            on new_entry.state_key = old_entry.state_key
        where
            exists (select 1 from {{ new_state }} where kind = 'reference' and state_key = '{{ name }}:')
            and new_entry.state_value is distinct from old_entry.state_value
    ),
        {%- endif %}
    {%- endfor %}

    -- a global seed, the registry or a var changed: every partition the model holds
    held as (
        select client_id, source, date_day from {{ target }}
        where exists (select 1 from everything)
    )

    select client_id, source, date_day from held
    {%- for spec in incremental_change_specs() %}
    union
        {%- if spec.kind == 'staging' %}
    {{ staging_spec_partitions_sql(spec, target) }}
        {%- elif spec.kind == 'delivery' %}
    {{ delivery_spec_partitions_sql(spec, watermarks.get(spec.source ~ '.' ~ spec.table, ''), log, quarantine and spec.get('replaces')) }}
        {%- else %}
    {{ keyed_spec_partitions_sql(spec, watermarks.get(spec.source ~ '.' ~ spec.table, ''), log, target) }}
        {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- A source without change specs: all its partitions, upstream and held. -#}
{% macro staging_spec_partitions_sql(spec, target) -%}
    -- {{ spec.label }} declares no change specs: all of its partitions
    select staged.client_id, staged.source, staged.date_day from {{ ref(spec.staging_model) }} as staged
    union
    select held_rows.client_id, held_rows.source, held_rows.date_day from {{ target }} as held_rows
    where held_rows.source = '{{ spec.label }}'
{%- endmacro %}

{#- Delivery specs: rows keyed by client + delivery day (Surfside, Facebook, Vibe, Meta). -#}
{% macro delivery_spec_partitions_sql(spec, mark, log, check_quarantine) -%}
    {%- set loaded_table = source_or_empty(spec.source, spec.table) -%}
    {%- set rows = spec.get('rows') or loaded_table -%}
    {%- set newer = "loaded._dlt_load_id > '" ~ mark ~ "'" -%}
    -- {{ spec.label }} from {{ spec.source }}.{{ spec.table }}: deliveries with a newer load,
    -- their day and every row of them
    select loaded.{{ spec.client }}, '{{ spec.label }}', loaded.{{ spec.delivery_day }}
    from {{ loaded_table }} as loaded
    where {{ newer }}
    union
    select delivered.{{ spec.client }}, '{{ spec.label }}', delivered.{{ spec.date }}
    from {{ rows }} as delivered
    where (delivered.{{ spec.client }}, delivered.{{ spec.delivery_day }}) in (
        select loaded.{{ spec.client }}, loaded.{{ spec.delivery_day }}
        from {{ loaded_table }} as loaded
        where {{ newer }}
    )
    union
    -- attempts of a delivery with a newer load (a day re-delivered empty)
    select attempts.client_id, '{{ spec.label }}', attempts.report_date
    from {{ log }} as attempts
    where attempts.source = '{{ spec.source }}' and attempts.load_id > '{{ mark }}'
    {%- if spec.get('span') %}
    union
    -- every day the delivery covers (its old rows may lie on any of them)
    select spans.client_id, '{{ spec.label }}', cast(series.day as date)
    from (
        select distinct
            loaded.{{ spec.client }} as client_id,
            loaded.{{ spec.span[0] }} as span_start,
            loaded.{{ spec.span[1] }} as span_end
        from {{ loaded_table }} as loaded
        where {{ newer }} and loaded.{{ spec.span[0] }} <= loaded.{{ spec.span[1] }}
    ) as spans
    {{ day_series_join('spans.span_start', 'spans.span_end', 'series') }}
    {%- endif %}
    {%- if check_quarantine %}
    union
    -- quarantined rows of a client with a newer delivery whose raw row is gone
    select stored.client_id, stored.source, stored.date_day
    from {{ this }} as stored
    where
        stored.source = '{{ spec.label }}'
        and {{ in_values('stored.client_id', 'select loaded.' ~ spec.client ~ ' from '
            ~ loaded_table ~ ' as loaded where ' ~ newer) }}
        and stored.load_id <= '{{ mark }}'
        and not exists (
            select 1 from {{ rows }} as kept
            where
                kept._dlt_load_id = stored.load_id
                and kept.{{ spec.client }} = stored.client_id
                and kept.source_row_number = stored.source_row_number
                and (kept.{{ spec.date }} = stored.date_day
                     or (kept.{{ spec.date }} is null and stored.date_day is null))
        )
    {%- endif %}
    {%- if not spec.get('dependency') %}
    union
    -- every partition of a client whose seed rows changed, and everything on a global change
    select raw_rows.{{ spec.client }}, '{{ spec.label }}', raw_rows.{{ spec.date }}
    from {{ rows }} as raw_rows
    where {{ in_values('raw_rows.' ~ spec.client, 'select client_id from changed_clients') }}
    union
    select raw_rows.{{ spec.client }}, '{{ spec.label }}', raw_rows.{{ spec.date }}
    from {{ rows }} as raw_rows
    where exists (select 1 from everything)
    {%- endif %}
{%- endmacro %}

{#- Keyed specs: rows get their client through a reference table (bidder creatives, partner
    media buys); NULL when the key is unknown or ambiguous, as in staging. -#}
{% macro keyed_spec_partitions_sql(spec, mark, log, target) -%}
    {%- set raw = source_or_empty(spec.source, spec.table) -%}
    {%- set entries = context[spec.reference.entries]() -%}
    {%- set changed = 'changed__' ~ spec.reference.source ~ '__' ~ spec.reference.table -%}
    {%- set newer = "loaded._dlt_load_id > '" ~ mark ~ "'" -%}
    -- {{ spec.label }} from {{ spec.source }}.{{ spec.table }}: new rows under their key's client
    select reference.client_id, '{{ spec.label }}', loaded.{{ spec.date }}
    from {{ raw }} as loaded
    left join ({{ entries }}) as reference
        on loaded.{{ spec.key }} = reference.entry_key
    where {{ newer }}
    union
    -- every day of a key whose reference entry changed, under its old and new client
    select clients.client_id, '{{ spec.label }}', raw_rows.{{ spec.date }}
    from {{ raw }} as raw_rows
    inner join (
        select entry_key, new_client_id as client_id from {{ changed }}
        union
        select entry_key, old_client_id from {{ changed }}
        union
        select entry_key, null from {{ changed }}
    ) as clients
        on {{ dbt.cast('raw_rows.' ~ spec.key, dbt.type_string()) }} = clients.entry_key
    where {{ in_values('raw_rows.' ~ spec.key,
        'select ' ~ dbt.cast('entry_key', spec.get('key_type', dbt.type_string())) ~ ' from ' ~ changed) }}
    {%- if spec.get('replaces_days') %}
    union
    -- a load replaced whole days: every partition held on a day with a new row or attempt
    select held_rows.client_id, held_rows.source, held_rows.date_day
    from {{ target }} as held_rows
    where
        held_rows.source = '{{ spec.label }}'
        and (
            {{ in_values('held_rows.date_day', 'select loaded.' ~ spec.date ~ ' from ' ~ raw
                ~ ' as loaded where ' ~ newer ~ " union select attempts.report_date from " ~ log
                ~ " as attempts where attempts.source = '" ~ spec.source
                ~ "' and attempts.load_id > '" ~ mark ~ "'") }}
            or (held_rows.date_day is null and exists (
                select 1 from {{ raw }} as loaded where {{ newer }} and loaded.{{ spec.date }} is null))
        )
    {%- endif %}
    union
    -- every partition of a client whose seed rows changed (through the reference), and
    -- everything on a global change
    select reference.client_id, '{{ spec.label }}', raw_rows.{{ spec.date }}
    from {{ raw }} as raw_rows
    left join ({{ entries }}) as reference
        on raw_rows.{{ spec.key }} = reference.entry_key
    where {{ in_values('raw_rows.' ~ spec.key, 'select entry_key from (' ~ entries
        ~ ') as keyed where ' ~ in_values('keyed.client_id', 'select client_id from changed_clients')) }}
    union
    select reference.client_id, '{{ spec.label }}', raw_rows.{{ spec.date }}
    from {{ raw }} as raw_rows
    left join ({{ entries }}) as reference
        on raw_rows.{{ spec.key }} = reference.entry_key
    where exists (select 1 from everything)
{%- endmacro %}
