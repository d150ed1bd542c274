{#- Tests derived from the validation rules declared in macros/data_quality.sql and
    macros/sources/<name>.sql (docs/metrics-and-rules.md). -#}

{#- On a staging model: every row some declared rule flagged, with its reasons - what
    dq_quarantine holds for the source. Used at warn level: it reports bad input, never
    stops the build. -#}
{% test dq_flagged_rows(model) %}
select invalid_reasons, offending_values, source_file, source_row_number
from {{ model }}
where not is_valid
{% endtest %}

{#- On fact_daily_metrics: no row breaks a rule declared with `fact` (its fact condition),
    i.e. no flagged row got past the quarantine. One result row per broken rule and row. -#}
{% test dq_fact_rules(model) %}
{%- set rules = [] -%}
{%- for rule in dq_rule_catalog('checked').values() if rule.fact -%}
    {%- do rules.append(rule) -%}
{%- endfor -%}
{%- for rule in rules %}
select '{{ rule.code }}' as rule, checked.*
{# model may be a filtered subquery (the where config): wrapped before the alias #}
from (select * from {{ model }}) as checked
where {{ rule.fact if rule.fact is string else rule.condition }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}

{#- Every value of `column_name` is the code of a declared rule. -#}
{% test dq_declared_rule(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} not in (
    {%- for code in dq_rule_catalog('checked').keys() -%}
        '{{ code }}'{% if not loop.last %}, {% endif %}
    {%- endfor -%}
)
{% endtest %}
