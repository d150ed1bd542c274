{#- One JSON object per broken rule: {"rule", "column", "detail"} - the machine-readable twin
    of invalid_reasons / offending_values, for loaders that report rejections per row and
    column (the bidder import summary reads it). The column is the check's `column_sql` (an
    SQL expression), else its `column` (a name), else `default_columns[code]`, else NULL. -#}
{% macro dq_rejections(checks, default_columns={}) -%}
    (
        '[]'::jsonb
        {%- for check in checks %}
        {%- set name = check.column or default_columns.get(check.code) %}
        || case when {{ check.condition }} then jsonb_build_array(jsonb_build_object(
            'rule', '{{ check.code }}',
            'column', {{ check.column_sql or ("'" ~ name ~ "'" if name else 'null::text') }},
            'detail', {{ check.offending }}
        )) else '[]'::jsonb end
        {%- endfor %}
    )
{%- endmacro %}
