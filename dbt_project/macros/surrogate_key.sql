{#- A stable surrogate key: md5 of the natural key parts. NULL parts hash as a sentinel so
    (a, NULL) and (a, '') differ, and the same inputs give the same key in every
    environment and rebuild (no sequences). -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'||'") %}{% endif -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
