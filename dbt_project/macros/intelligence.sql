{#- Campaign intelligence helpers (docs/intelligence.md). The intelligence marts read the
    entity mart's partition log like every incremental model (macros/incremental_state.sql),
    but rebuild per client from a day on, not partition by partition: they only need, per
    client, the first day whose inputs changed since their own last build.

    Incremental by client-day with trailing windows: a changed day D changes every later day
    whose trailing window (anomaly baseline, fatigue slope, cumulative counts) contains D. The
    scope of a build is therefore, per client, "every day from the first changed day on"
    (a superset of the days whose windows include a changed day; DECISIONLOG "Intelligence
    marts rebuild each client from its first changed day"). -#}

{#- The table holding the scope of the current build: client_id, from_day. -#}
{% macro intel_scope_table() -%}
    {{ this.identifier }}__scope
{%- endmacro %}

{#- Per client, the first day to recompute: the earliest of the client-days `upstream` (the
    model the mart reads, mart_entity_daily_metrics) logged as rebuilt since this model last
    read its log - the partition log every incremental model writes (docs/incremental.md),
    client-days that lost every row included - and after a full build of upstream every
    client-day it or this model holds. A model with no rows yet recomputes all. -#}
{% macro intel_scope_sql(upstream) -%}
    select changes.client_id, min(changes.date_day) as from_day
    from ({{ logged_changes_sql(upstream, 'select client_id, null, date_day from ' ~ this) }}) as changes
    where changes.client_id is not null
    group by changes.client_id
{%- endmacro %}

{#- pre_hook of an incremental intelligence mart: the position in upstream's log this build
    reads up to (stored by intel_end), and in an incremental build the scope computed once
    into a temporary table (read by the model through intel_scope_table()) and the rows in
    scope deleted. -#}
{% macro intel_replace_scope(upstream) -%}
    {{ incremental_new_state(log_position_state_sql(upstream)) }};
    {%- if is_incremental() %}
        {{ temp_table_as(intel_scope_table(), intel_scope_sql(upstream)) }};
        {#- statistics, so the planner sees a handful of clients and deletes through the
            (client_id, date_day) index instead of reading the whole mart -#}
        {{ analyze_relation(intel_scope_table()) }};
        delete from {{ this }} as target
        where exists (
            select 1 from {{ intel_scope_table() }} as scope
            where scope.client_id = target.client_id and target.date_day >= scope.from_day
        )
    {%- endif -%}
{%- endmacro %}

{#- A filter on `relation_alias`.client_id / date_day keeping, in incremental builds, the
    days in scope minus `context_days` days of context for trailing windows. -#}
{% macro intel_scope_filter(relation_alias, context_days=0) -%}
    {%- if is_incremental() -%}
        {#- first the earliest day of any client, a plain bound an index on date_day serves
            (the per-client test below alone makes the planner read the whole history);
            unqualified: the callers read one relation -#}
        and date_day >= (
            select {{ dbt.dateadd('day', -(context_days | int), 'min(earliest.from_day)') }}
            from {{ intel_scope_table() }} as earliest
        )
        and exists (
            select 1 from {{ intel_scope_table() }} as scope
            where
                scope.client_id = {{ relation_alias }}.client_id
                and {{ relation_alias }}.date_day
                >= {{ dbt.dateadd('day', -(context_days | int), 'scope.from_day') }}
        )
    {%- endif -%}
{%- endmacro %}

{#- True for the days in scope (not the context days). -#}
{% macro intel_in_scope(relation_alias) -%}
    {%- if is_incremental() -%}
        exists (
            select 1 from {{ intel_scope_table() }} as scope
            where
                scope.client_id = {{ relation_alias }}.client_id
                and {{ relation_alias }}.date_day >= scope.from_day
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- A day as a whole number (days since 2000-01-01), for RANGE window frames and slopes. -#}
{% macro day_number(date_expression) -%}
    {{ dbt.datediff("cast('2000-01-01' as date)", date_expression, 'day') }}
{%- endmacro %}

{#- min(max(expression, low), high) -#}
{% macro clamp(expression, low, high) -%}
    least(greatest({{ expression }}, {{ low }}), {{ high }})
{%- endmacro %}

{#- Severity as a rank (info 1, warning 2, critical 3) and back. -#}
{% macro severity_rank(severity) -%}
    case {{ severity }} when 'critical' then 3 when 'warning' then 2 when 'info' then 1 else 0 end
{%- endmacro %}

{% macro severity_name(rank) -%}
    case {{ rank }} when 3 then 'critical' when 2 then 'warning' when 1 then 'info' end
{%- endmacro %}

{#- A number as text with `decimals` decimals, for alert messages and the fatigue reason: the
    rounded numeric cast to text (all its digits, exactly `decimals` decimals, no exponent).
    Postgres' to_char with a picture took more than twice as long (0.7 against 0.3 us a value;
    the fatigue mart formats three or four a row) and prints '#' past its picture's digits. -#}
{% macro number_text(expression, decimals=2) -%}
    cast(round(cast({{ expression }} as numeric), {{ decimals }}) as {{ dbt.type_string() }})
{%- endmacro %}

{#- Blended ROAS of a set of campaigns over a period, recomputed from sums (never an average
    of ratios): sum(conversion_revenue) / sum(spend) over mart_entity_daily_metrics'
    campaign rows. `campaign_keys`: a list of campaign keys, or none for all of the client's. -#}
{% macro blended_roas(client_id, start_day, end_day, campaign_keys=none) -%}
    select
        {{ stored_ratio(safe_divide('sum(conversion_revenue)', 'sum(spend)')) }} as blended_roas,
        sum(conversion_revenue) as conversion_revenue,
        sum(spend) as spend,
        count(distinct entity_id) as campaigns
    from {{ ref('mart_entity_daily_metrics') }}
    where
        entity_type = 'campaign'
        and client_id = '{{ client_id }}'
        and date_day between cast('{{ start_day }}' as date) and cast('{{ end_day }}' as date)
        {%- if campaign_keys is not none %}
        and entity_id in (
            {%- for key in campaign_keys %}'{{ key }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        )
        {%- endif %}
{%- endmacro %}

{#- The build's stamp on every row an intelligence mart writes: the run's start, as the entity
    mart stamps its rows, so the next build's scope compares like with like. -#}
{% macro intel_build_stamp() -%}
    cast('{{ run_started_at.isoformat() }}' as timestamp with time zone)
{%- endmacro %}

{#- Post-hook of the two large intelligence marts: the log position read (and the build in
    the partition log, as every incremental model), and a table a build has just created (full
    refresh or first build) gets its planner statistics at once, before its data tests and
    mart_alerts read it; an incremental build leaves that to autovacuum. No VACUUM: the
    uniqueness tests read the catalog's unique index, not an index-only scan that would need
    the visibility map (DECISIONLOG "Scheduled builds leave dbt's unit tests out", later). -#}
{% macro intel_end() -%}
    {{ incremental_end() }};
    {% if not is_incremental() %}{{ analyze_relation(this) }}{% endif %}
{%- endmacro %}
