{#- mart_subscription_entity_country_daily: the country rows of an entity-day add up to its
    ALL row for every count and amount, and the ALL row equals mart_subscription_entity_daily's
    row. Returns the entity-days that differ. -#}
{%- set columns = subscription_additive_columns() %}
{%- set country_mart = ref('mart_subscription_entity_country_daily') %}

with sums as (
    select
        entity_type,
        entity_id,
        client_id,
        date_day,
        {%- for column in columns %}
            sum(case when country_code = 'ALL' then {{ column }} else 0 end) as all_{{ column }},
            sum(case when country_code <> 'ALL' then {{ column }} else 0 end) as countries_{{ column }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ country_mart }}
    group by entity_type, entity_id, client_id, date_day
)

select 'countries vs ALL' as failure, entity_type, entity_id, client_id, date_day
from sums
where
    {%- for column in columns %}
        all_{{ column }} <> countries_{{ column }}{% if not loop.last %} or{% endif %}
    {%- endfor %}

union all

select 'ALL vs overall mart' as failure, entity_type, entity_id, client_id, date_day
from (
    (
        select
            entity_type, entity_id, client_id, date_day, {{ columns | join(', ') }},
            trial_user_ids, converted_user_ids, purchase_user_ids
        from {{ country_mart }}
        where country_code = 'ALL'
        except
        select
            entity_type, entity_id, client_id, date_day, {{ columns | join(', ') }},
            trial_user_ids, converted_user_ids, purchase_user_ids
        from {{ ref('mart_subscription_entity_daily') }}
    )
    union all
    (
        select
            entity_type, entity_id, client_id, date_day, {{ columns | join(', ') }},
            trial_user_ids, converted_user_ids, purchase_user_ids
        from {{ ref('mart_subscription_entity_daily') }}
        except
        select
            entity_type, entity_id, client_id, date_day, {{ columns | join(', ') }},
            trial_user_ids, converted_user_ids, purchase_user_ids
        from {{ country_mart }}
        where country_code = 'ALL'
    )
) as differing
