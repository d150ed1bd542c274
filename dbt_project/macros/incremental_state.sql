{#-
  State of the incremental models (docs/incremental.md, DECISIONLOG.md "Incremental builds
  from load-id watermarks"). Two small tables in the intermediate schema (bookkeeping, not marts: nothing
  people read, so access control keeps them closed to analysts and clients), written by the models'
  own hooks inside each model's transaction, so a failed model leaves its state untouched:

    incremental_state          per model: the newest raw load id it has seen per raw table
                               (kind 'watermark'), a hash of the seed rows per client and of
                               the global seeds (kind 'seed'), the entries of the reference
                               tables - bidder catalog, partner media buys - (kind
                               'reference'), and for models fed by another one's log the
                               last log entry consumed (kind 'log_position').
    incremental_partition_log  the partitions each build of an incremental model rebuilt
                               (or one is_full row for a full build): downstream models
                               rebuild what their upstream rebuilt, tests scan it.
-#}

{% macro incremental_state_relation() -%}
    {{ return(api.Relation.create(database=target.database,
        schema=generate_schema_name('intermediate', none), identifier='incremental_state',
        type='table')) }}
{%- endmacro %}

{% macro incremental_log_relation() -%}
    {{ return(api.Relation.create(database=target.database,
        schema=generate_schema_name('intermediate', none), identifier='incremental_partition_log',
        type='table')) }}
{%- endmacro %}

{#- on-run-start: the state tables, and the raw indexes change detection reads through. -#}
{% macro ensure_incremental_tables() -%}
    {{ return(adapter.dispatch('ensure_incremental_tables')()) }}
{%- endmacro %}

{% macro default__ensure_incremental_tables() -%}
    {#- CREATE SCHEMA IF NOT EXISTS needs the database's CREATE privilege even when the schema
        exists, which adwh_transformer lacks under access control: create it only if missing. -#}
    {%- set state = incremental_state_relation() -%}
    {%- if execute and not adapter.check_schema_exists(state.database, state.schema) %}
    create schema if not exists {{ state.schema }};
    {%- endif %}
    create table if not exists {{ incremental_state_relation() }} (
        model {{ dbt.type_string() }} not null,
        kind {{ dbt.type_string() }} not null,
        state_key {{ dbt.type_string() }} not null,
        state_value {{ dbt.type_string() }},
        client_id {{ dbt.type_string() }},
        updated_at {{ dbt.type_timestamp() }}
    );
    create table if not exists {{ incremental_log_relation() }} (
        log_id bigint generated always as identity,
        model {{ dbt.type_string() }} not null,
        invocation_id {{ dbt.type_string() }} not null,
        is_full boolean not null,
        client_id {{ dbt.type_string() }},
        source {{ dbt.type_string() }},
        date_day date,
        logged_at {{ dbt.type_timestamp() }}
    );
    create index if not exists incremental_partition_log_model
        on {{ incremental_log_relation() }} (model, log_id);
    {{ ensure_raw_change_indexes() }}
{%- endmacro %}

{#- Whether a state table exists. dbt's relation cache knows the tables that existed when the
    invocation began; on-run-start creates them outside it on a first build, so a table the
    cache lacks is asked of the database. -#}
{% macro state_table_exists(relation) -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is not none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set found = run_query("select count(*) from information_schema.tables where table_schema = '"
        ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'") -%}
    {{ return(found.rows[0][0] > 0) }}
{%- endmacro %}

{#- The temporary tables a model's pre-hook fills and its body and post-hook read. -#}
{% macro changed_partitions_table() -%}
    {{ this.identifier }}__changed_partitions
{%- endmacro %}

{% macro new_state_table() -%}
    {{ this.identifier }}__new_state
{%- endmacro %}

{#- The model's stored state of one kind, as {state_key: state_value} (read when the hook
    renders, i.e. before any of its statements run). -#}
{% macro stored_state(kind) -%}
    {%- set found = {} -%}
    {%- set state = incremental_state_relation() -%}
    {%- if execute and state_table_exists(state) -%}
        {%- set rows = run_query("select state_key, state_value from "
            ~ incremental_state_relation() ~ " where model = '" ~ this.identifier
            ~ "' and kind = '" ~ kind ~ "'") -%}
        {%- for row in rows -%}
            {%- do found.update({row[0]: row[1]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro %}

{#- A session's temporary table `name` holding the rows of `sql`, replacing one of an earlier
    model in the same session (the pre-hooks' working tables). -#}
{% macro temp_table_as(name, sql) -%}
    drop table if exists {{ name }};
    create temporary table {{ name }} as (
        {{ sql }}
    )
{%- endmacro %}

{#- The state this build will have seen, computed first (so a load committing during the
    build is seen again next time) into a temporary table incremental_end() stores. -#}
{% macro incremental_new_state(new_state_sql) -%}
    {{ temp_table_as(new_state_table(), new_state_sql) }}
{%- endmacro %}

{#- pre_hook of an incremental model. new_state_sql: the state this build will have seen
    (kind, state_key, state_value, client_id), computed first so a load committing during the
    build is seen again next time; changed_sql: the partitions to rebuild; columns: the
    partition columns; null_safe: partitions may have NULL columns (the quarantine). Deletes
    the changed partitions - also those with no row upstream any more. -#}
{% macro incremental_begin(new_state_sql, changed_sql, columns, null_safe=false) -%}
    {{ incremental_new_state(new_state_sql) }};
    {%- if is_incremental() %}
        {{ temp_table_as(changed_partitions_table(),
            'select distinct ' ~ columns | join(', ') ~ ' from (' ~ changed_sql ~ ') as changed') }};
        analyze {{ changed_partitions_table() }};
        delete from {{ this }}
        where exists (
            select 1 from {{ changed_partitions_table() }} as changed
            where
            {%- for column in columns %}
                {% if not loop.first %}and {% endif -%}
                {%- if null_safe -%}
                    (changed.{{ column }} = {{ this }}.{{ column }}
                     or (changed.{{ column }} is null and {{ this }}.{{ column }} is null))
                {%- else -%}
                    changed.{{ column }} = {{ this }}.{{ column }}
                {%- endif -%}
            {%- endfor %}
        )
    {%- endif %}
{%- endmacro %}

{#- post_hook: the new state replaces the model's stored state (a reference table's entries
    only when this build read a new load of it), and the build is logged: a full build as one is_full row,
    an incremental one as a marker row plus, with log_columns (the log's client_id / source /
    date_day -> the model's partition columns), one row per rebuilt partition. -#}
{% macro incremental_end(log_columns=none) -%}
    {%- set state = incremental_state_relation() -%}
    delete from {{ state }} as stored
    where
        stored.model = '{{ this.identifier }}'
        and (
            stored.kind <> 'reference'
            -- a reference's entries only when this build read a new load of it (its marker)
            or exists (
                select 1 from {{ new_state_table() }} as new_state
                where
                    new_state.kind = 'reference'
                    and new_state.state_key
                    = {{ dbt.concat([dbt.split_part('stored.state_key', "':'", 1), "':'"]) }}
            )
        );
    insert into {{ state }} (model, kind, state_key, state_value, client_id, updated_at)
    select
        '{{ this.identifier }}', kind, state_key, state_value, client_id,
        {{ dbt.current_timestamp() }}
    from {{ new_state_table() }};
    {%- if is_incremental() %}
        insert into {{ incremental_log_relation() }}
            (model, invocation_id, is_full, client_id, source, date_day, logged_at)
        {%- if log_columns is not none %}
        select
            '{{ this.identifier }}', '{{ invocation_id }}', false,
            {{ log_columns.get('client_id', 'null') }},
            {{ log_columns.get('source', 'null') }},
            {{ log_columns.get('date_day', 'null') }},
            {{ dbt.current_timestamp() }}
        from {{ changed_partitions_table() }}
        union all
        {%- endif %}
        -- the build's marker (no partition): tests see an empty build as one
        select
            '{{ this.identifier }}', '{{ invocation_id }}', false, null, null, null,
            {{ dbt.current_timestamp() }};
    {%- else %}
        insert into {{ incremental_log_relation() }}
            (model, invocation_id, is_full, logged_at)
        values ('{{ this.identifier }}', '{{ invocation_id }}', true, {{ dbt.current_timestamp() }});
    {%- endif %}
{%- endmacro %}

{#- For a model fed by `upstream`'s log: its new state (the newest log entry) ... -#}
{% macro log_position_state_sql(upstream) -%}
    select
        'log_position' as kind,
        '{{ upstream }}' as state_key,
        {{ dbt.cast('coalesce(max(log_id), 0)', dbt.type_string()) }} as state_value,
        cast(null as {{ dbt.type_string() }}) as client_id
    from {{ incremental_log_relation() }}
    where model = '{{ upstream }}'
{%- endmacro %}

{#- ... and the partitions upstream rebuilt since this model last consumed its log:
    client_id, source, date_day. A full build of upstream in between yields every partition
    upstream now holds plus every partition this model holds (`own_sql`, same columns). -#}
{% macro logged_changes_sql(upstream, own_sql, source=none, upstream_columns='client_id, source, date_day') -%}
    {%- set position = stored_state('log_position').get(upstream, '0') -%}
    {%- set log = incremental_log_relation() -%}
    {%- set since = "model = '" ~ upstream ~ "' and log_id > " ~ (position | int) -%}
    select client_id, source, date_day
    from (
        select client_id, source, date_day
        from {{ log }}
        where {{ since }} and not is_full
        union all
        select client_id, source, date_day
        from (
            select distinct {{ upstream_columns }} from {{ ref(upstream) }}
            union
            {{ own_sql }}
        ) as everything
        where exists (select 1 from {{ log }} where {{ since }} and is_full)
    ) as logged
    {%- if source %}
    where logged.source = '{{ source }}' or logged.source is null
    {%- endif %}
{%- endmacro %}

{#- Tests: a generic test configured with `where: "__changed_partitions__"` scans only what
    the last build changed (changed_test_scope); everything after a full build, under
    --full-refresh or with --vars '{full_scan_tests: true}'. Singular tests call
    incremental_test_scope() / incremental_test_days() themselves. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__changed_partitions__' in where -%}
        {%- set where = where | replace('__changed_partitions__', changed_test_scope(relation)) -%}
    {%- endif -%}
    {%- if where -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{#- The scope of a generic test on `relation`: its partitions for an incremental model that
    logs them, the changed days for another relation with a date_day, else everything. -#}
{% macro changed_test_scope(relation) -%}
    {%- if relation.identifier in incremental_partition_columns() -%}
        {{ return(incremental_test_scope(relation.identifier)) }}
    {%- endif -%}
    {%- if execute and 'date_day' in relation_column_names(relation) -%}
        {{ return(incremental_test_days(['fact_daily_metrics', 'dq_quarantine'], 'date_day')) }}
    {%- endif -%}
    {{ return('1 = 1') }}
{%- endmacro %}

{#- The column names of `relation`: a model's or seed's documented columns (every column is
    documented, scripts/check_docs_coverage.py), else asked of the database. Read by each
    scoped test as it compiles, so the graph saves a query and its round of dbt per test. -#}
{% macro relation_column_names(relation) -%}
    {%- for resource_type in ['model', 'seed'] -%}
        {%- set node = graph.nodes.get(resource_type ~ '.' ~ project_name ~ '.' ~ relation.identifier) -%}
        {%- if node and node.columns -%}
            {{ return(node.columns.keys() | map('lower') | list) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | list) }}
{%- endmacro %}

{#- The last build of `model` from the log: {'invocation_id', 'is_full'}, or none when the
    tests must scan everything (never built, full build, --full-refresh, full_scan_tests). -#}
{% macro incremental_last_build(model) -%}
    {%- set log = incremental_log_relation() -%}
    {%- if not execute or var('full_scan_tests', false) or flags.FULL_REFRESH
            or not state_table_exists(log) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set last = run_query(
        "select max(invocation_id), max(case when is_full then 1 else 0 end) from " ~ log
        ~ " where model = '" ~ model ~ "' and invocation_id = (select invocation_id from " ~ log
        ~ " where model = '" ~ model ~ "' order by log_id desc limit 1)").rows[0] -%}
    {%- if last[0] is none or last[1] == 1 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return({'invocation_id': last[0]}) }}
{%- endmacro %}

{#- A predicate over the columns of `model` (qualified by `alias` when given): true for the
    partitions its last build rebuilt, or always true when the test must scan everything.
    The day list reaches the model's day index; the partitions are matched after it (NULL
    matching NULL for the quarantine). -#}
{% macro incremental_test_scope(model, alias='') -%}
    {%- set columns = incremental_partition_columns().get(model) -%}
    {%- set last = incremental_last_build(model) if columns is not none else none -%}
    {%- if last is none -%}
        {{ return('1 = 1') }}
    {%- endif -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    {%- set logged = incremental_log_relation() ~ " as logged where logged.model = '" ~ model
        ~ "' and logged.invocation_id = '" ~ last.invocation_id ~ "'" -%}
    {%- set day = prefix ~ columns['date_day'] -%}
    {%- set matches = [] -%}
    {%- for log_column, column in columns.items() -%}
        {%- do matches.append('(logged.' ~ log_column ~ ' = ' ~ prefix ~ column ~ ' or (logged.'
            ~ log_column ~ ' is null and ' ~ prefix ~ column ~ ' is null))') -%}
    {%- endfor -%}
    {%- set days = in_values(day, 'select logged.date_day from ' ~ logged) -%}
    {%- if model == 'dq_quarantine' -%}
        {%- set days = '(' ~ days ~ ' or ' ~ day ~ ' is null)' -%}
    {%- endif -%}
    {{ return(days ~ ' and exists (select 1 from ' ~ logged ~ ' and ' ~ matches | join(' and ') ~ ')') }}
{%- endmacro %}

{#- For singular tests: a predicate on a day column, true on the days the last builds of
    `models` rebuilt (and for rows without a day), or always true when any of them must be
    scanned in full. -#}
{% macro incremental_test_days(models, column) -%}
    {%- set builds = [] -%}
    {%- for model in models -%}
        {%- set last = incremental_last_build(model) -%}
        {%- if last is none -%}
            {{ return('1 = 1') }}
        {%- endif -%}
        {%- do builds.append("(model = '" ~ model ~ "' and invocation_id = '" ~ last.invocation_id ~ "')") -%}
    {%- endfor -%}
    {{ return('(' ~ in_values(column, 'select date_day from ' ~ incremental_log_relation()
        ~ ' where date_day is not null and (' ~ builds | join(' or ') ~ ')')
        ~ ' or ' ~ column ~ ' is null)') }}
{%- endmacro %}

{#- Incremental models that log their partitions: log column -> model column. -#}
{% macro incremental_partition_columns() -%}
    {%- set client_source_day = {'client_id': 'client_id', 'source': 'source', 'date_day': 'date_day'} -%}
    {%- set client_day = {'client_id': 'client_id', 'date_day': 'date_day'} -%}
    {{ return({
        'fact_daily_metrics': client_source_day,
        'dq_quarantine': client_source_day,
        'fact_daily_partitions': client_source_day,
        'mart_entity_daily_metrics': client_day,
        'mart_entity_country_daily': client_day,
        'mart_creative_geo_device_daily': client_day,
    }) }}
{%- endmacro %}

{#- For singular tests over whole periods: the first day the last builds of `models`
    rebuilt, as a SQL expression, or none when any of them must be scanned in full. -#}
{% macro incremental_test_first_day(models) -%}
    {%- set builds = [] -%}
    {%- for model in models -%}
        {%- set last = incremental_last_build(model) -%}
        {%- if last is none -%}
            {{ return(none) }}
        {%- endif -%}
        {%- do builds.append("(model = '" ~ model ~ "' and invocation_id = '" ~ last.invocation_id ~ "')") -%}
    {%- endfor -%}
    {{ return("(select coalesce(min(date_day), cast('9999-12-31' as date)) from "
        ~ incremental_log_relation() ~ ' where ' ~ builds | join(' or ') ~ ')') }}
{%- endmacro %}

{#- Incremental model bodies: rows of `alias` in the changed partitions. The day list is a
    plain filter the planner pushes into the staging views and onto the day indexes; the
    partitions are matched after it. -#}
{% macro in_changed_partitions(alias, columns, null_safe=false) -%}
    {%- if null_safe -%}
    ({{ in_values(alias ~ '.date_day', 'select distinct changed.date_day from '
        ~ changed_partitions_table() ~ ' as changed') }}
        or ({{ alias }}.date_day is null and exists (
            select 1 from {{ changed_partitions_table() }} as changed where changed.date_day is null)))
    and exists (
        select 1 from {{ changed_partitions_table() }} as changed
        where
        {%- for column in columns %}
            {% if not loop.first %}and {% endif -%}
            (changed.{{ column }} = {{ alias }}.{{ column }}
             or (changed.{{ column }} is null and {{ alias }}.{{ column }} is null))
        {%- endfor %}
    )
    {%- else -%}
    {{ in_values(alias ~ '.date_day', 'select distinct changed.date_day from '
        ~ changed_partitions_table() ~ ' as changed') }}
    and ({% for column in columns %}{{ alias }}.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}) in (
        select {% for column in columns %}changed.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
        from {{ changed_partitions_table() }} as changed
    )
    {%- endif %}
{%- endmacro %}
