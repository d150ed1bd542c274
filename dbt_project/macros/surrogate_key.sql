{#- A stable surrogate key: md5 of the natural key parts. NULL parts hash as a sentinel so
    (a, NULL) and (a, '') differ, and the same inputs give the same key in every
    environment and rebuild (no sequences). -#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('||'
        {%- for column in columns %},
        coalesce(cast({{ column }} as text), '<null>')
        {%- endfor %}
    ))
{%- endmacro %}
