{#- A source relation, or - when its raw table does not exist yet because that source has
    never been loaded into this warehouse - an empty, typed stand-in built from the columns
    declared (with data_type) in the source's YAML. So `dbt build` works on a warehouse that
    uses only some sources; the next build after the first load reads the real table.
    Use with an alias: `from {{ source_or_empty('surfside', 'daily_performance') }} as src`. -#}
{% macro source_or_empty(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ relation }}
    {%- else -%}
        {%- set existing = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
        {%- if existing is not none -%}
            {{ relation }}
        {%- else -%}
            {%- set node = graph.sources.values()
                | selectattr('source_name', 'equalto', source_name)
                | selectattr('name', 'equalto', table_name) | first -%}
            {%- if not node.columns -%}
                {{ exceptions.raise_compiler_error(
                    "source " ~ source_name ~ "." ~ table_name ~ " declares no columns; "
                    ~ "source_or_empty needs them (with data_type)") }}
            {%- endif -%}
            (select
            {%- for column in node.columns.values() %}
                cast(null as {{ column.data_type }}) as {{ adapter.quote(column.name) }}
                {%- if not loop.last %},{% endif %}
            {%- endfor %}
            where false)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
