{#- Schemas are named exactly staging, intermediate, marts, seeds (no target prefix):
    BI tools and analysts rely on those names. A node without a custom schema goes to the
    target's schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
