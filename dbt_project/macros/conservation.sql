{#- The conservation test (tests/assert_conservation_raw_equals_fact_plus_quarantine.sql)
    compares, per client x source x day, the rows and reported measures of the raw tables
    with fact_daily_metrics plus dq_quarantine. Each source supplies its raw side as macro
    `raw_totals__<name>()` in macros/sources/<name>.sql; a source without one is counted from
    its staging model (one staging row per raw row), which is weaker: a row lost in staging
    goes unseen. -#}

{#- A predicate on a day column: the days the last builds of fact_daily_metrics and
    dq_quarantine rebuilt (rows without a day too), or always true when either must be
    scanned in full (macros/incremental_state.sql, incremental_test_days). Each
    raw_totals__<name>() filters its raw scan with it, so the test reads only those days. -#}
{% macro conservation_days(column) -%}
    {{ return(incremental_test_days(['fact_daily_metrics', 'dq_quarantine'], column)) }}
{%- endmacro %}

{#- The measures conservation compares, in the order of the totals' columns. -#}
{% macro conserved_measures() -%}
    {{ return(['impressions', 'clicks', 'conversions', 'conversion_revenue', 'media_cost']) }}
{%- endmacro %}

{#- Totals per client x source x day of `relation` (SQL after FROM, with its alias):
    client_id, source, date_day, row_count and every conserved measure, from `measures`
    (measure -> SQL expression; an absent measure is 0). `joins` is appended after FROM; the
    rows are those of conservation_days(date_day). -#}
{% macro totals_sql(source_name, relation, client_id, date_day, measures, joins='') -%}
    select
        {{ client_id }} as client_id,
        cast('{{ source_name }}' as {{ dbt.type_string() }}) as source,
        {{ date_day }} as date_day,
        count(*) as row_count
        {%- for measure in conserved_measures() %},
        {%- if measures.get(measure) %}
        coalesce(sum({{ measures[measure] }}), 0) as {{ measure }}
        {%- else %}
        cast(0 as {{ dbt.type_numeric() }}) as {{ measure }}
        {%- endif %}
        {%- endfor %}
    from {{ relation }}
    {{ joins }}
    where {{ conservation_days(date_day) }}
    group by 1, 2, 3
{%- endmacro %}

{#- The raw side of conservation for one registry entry. -#}
{% macro raw_totals(entry) -%}
    {%- set source_macro = context.get('raw_totals__' ~ entry.name) -%}
    {%- if source_macro is not none -%}
        {{ source_macro() }}
    {%- else -%}
        {%- set measures = {} -%}
        {%- for measure in conserved_measures() -%}
            {%- do measures.update({measure: 'staged.' ~ measure}) -%}
        {%- endfor -%}
        {{ totals_sql(entry.name, ref(entry.staging_model) ~ ' as staged',
                      'staged.client_id', 'staged.date_day', measures) }}
    {%- endif -%}
{%- endmacro %}
