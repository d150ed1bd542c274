{#- Fails on every row where `expression` is false (NULL counts as passing, as in SQL). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
