{#- What only some engines do, behind adapter.dispatch: a postgres__ implementation and a
    default__ one for other adapters (docs/postgres-only.md lists what is still Postgres-only). -#}

{#- The day `timestamp` falls on in UTC (a timestamp with time zone). -#}
{% macro utc_date(timestamp) -%}
    {{ adapter.dispatch('utc_date', 'adwh')(timestamp) }}
{%- endmacro %}

{% macro postgres__utc_date(timestamp) -%}
    (({{ timestamp }}) at time zone 'UTC')::date
{%- endmacro %}

{% macro default__utc_date(timestamp) -%}
    cast({{ timestamp }} as date)
{%- endmacro %}

{#- `cross join` every day from range_start to range_end (dates, inclusive) as `alias`.day. -#}
{% macro day_series_join(range_start, range_end, alias) -%}
    {{ adapter.dispatch('day_series_join', 'adwh')(range_start, range_end, alias) }}
{%- endmacro %}

{% macro postgres__day_series_join(range_start, range_end, alias) -%}
    cross join lateral generate_series(
        {{ range_start }}, {{ range_end }}, interval '1 day'
    ) as {{ alias }} (day)
{%- endmacro %}

{% macro default__day_series_join(range_start, range_end, alias) -%}
    {{ exceptions.raise_compiler_error(
        "day_series_join has no implementation for adapter " ~ adapter.type()
        ~ " (Postgres uses generate_series): add " ~ adapter.type() ~ "__day_series_join") }}
{%- endmacro %}

{#- The `indexes` config of a table: the given indexes on Postgres, none elsewhere. -#}
{% macro table_indexes(indexes) -%}
    {{ return(adapter.dispatch('table_indexes', 'adwh')(indexes)) }}
{%- endmacro %}

{% macro postgres__table_indexes(indexes) -%}
    {{ return(indexes) }}
{%- endmacro %}

{% macro default__table_indexes(indexes) -%}
    {{ return([]) }}
{%- endmacro %}

{#- Refresh the planner statistics of `relation` (a post-hook); with vacuum=true also set its
    visibility map - VACUUM cannot run inside a transaction, so that hook needs
    "transaction": false. A no-op elsewhere. -#}
{% macro analyze_relation(relation, vacuum=false) -%}
    {{ return(adapter.dispatch('analyze_relation', 'adwh')(relation, vacuum)) }}
{%- endmacro %}

{% macro postgres__analyze_relation(relation, vacuum) -%}
    {% if vacuum %}vacuum {% endif %}analyze {{ relation }}
{%- endmacro %}

{% macro default__analyze_relation(relation, vacuum) -%}
{%- endmacro %}

{#- Appended to a subquery whose computed columns are read several times downstream: on
    Postgres `offset 0` keeps the planner from flattening it, so each expression is evaluated
    once per row instead of once per reference (a 2x cost on mart_creative_fatigue's full
    build). Engines that compute a subquery's columns once need nothing. -#}
{% macro evaluate_once() -%}
    {{ adapter.dispatch('evaluate_once', 'adwh')() }}
{%- endmacro %}

{% macro postgres__evaluate_once() -%}
    offset 0
{%- endmacro %}

{% macro default__evaluate_once() -%}
{%- endmacro %}

{#- The two bodies of tests/generic/unique_combination_of_columns.sql: the GROUP BY, over the
    rows `only_where` keeps (all by default). -#}
{% macro default__test_unique_combination_of_columns(model, combination_of_columns, only_where=none) -%}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
{%- if only_where %}
where {{ only_where }}
{%- endif %}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{%- endmacro %}

{#- `scanned` is the model as the test reads it (a subquery when the test is scoped); the
    macro's own `model` is the test node, whose attached_node names the table to look up.
    With a valid unique index on exactly the columns, only the rows with a NULL in one of
    them are grouped: the index lets those repeat (NULLs are distinct to it, not to GROUP BY),
    and refused every other duplicate. The catalog lookup is one uncorrelated subquery,
    evaluated once. -#}
{% macro postgres__test_unique_combination_of_columns(scanned, combination_of_columns) -%}
{%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none %}
{%- if tested is none -%}
    {{ return(default__test_unique_combination_of_columns(scanned, combination_of_columns)) }}
{%- endif %}
{%- set columns = combination_of_columns | map('lower') | sort %}
{%- set only_where -%}
    not exists (
        select 1
        from pg_catalog.pg_index as candidate
        inner join pg_catalog.pg_class as tbl on candidate.indrelid = tbl.oid
        inner join pg_catalog.pg_namespace as nsp on tbl.relnamespace = nsp.oid
        where
            nsp.nspname = '{{ tested.schema }}'
            and tbl.relname = '{{ tested.alias or tested.name }}'
            and candidate.indisunique
            and candidate.indisvalid
            and candidate.indpred is null
            and candidate.indexprs is null
            and candidate.indnatts = {{ columns | length }}
            and array(
                select att.attname::text
                from pg_catalog.pg_attribute as att
                where att.attrelid = tbl.oid and att.attnum = any(candidate.indkey)
                order by att.attname::text
            ) = array[{% for column in columns %}'{{ column }}'{% if not loop.last %}, {% endif %}{% endfor %}]::text[]
    )
    {%- for column in combination_of_columns %}
    or {{ column }} is null
    {%- endfor %}
{%- endset %}
{{ return(default__test_unique_combination_of_columns(scanned, combination_of_columns, only_where)) }}
{%- endmacro %}
