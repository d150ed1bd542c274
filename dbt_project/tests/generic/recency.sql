{#- Fails when the newest value of `field` is older than `interval` `datepart`s before now. -#}
{% test recency(model, field, datepart, interval) %}
select max_value
from (select max({{ field }}) as max_value from {{ model }}) as newest
where
    max_value is null
    or max_value < {{ dbt.dateadd(datepart, -(interval | int), dbt.current_timestamp()) }}
{% endtest %}
