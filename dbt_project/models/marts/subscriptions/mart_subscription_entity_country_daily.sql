{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ subscription_replace_days(this) }}",
        indexes=table_indexes([
            {'columns': ['entity_type', 'entity_id', 'date_day']},
            {'columns': ['client_id', 'entity_type', 'date_day']},
        ]),
    )
}}

{#- mart_subscription_entity_daily by country: for every entity and day of its span an `ALL`
    row (equal to the overall row), and one row per country with activity that day - the
    country of a Mixpanel user is that of their cohort event (ZZ when unknown), Meta's rows
    come from its country breakdown with what it does not cover as ZZ - so country rows add
    up to ALL for every count and amount. Ratios are recomputed per row. -#}

{#- client-days whose Meta rows were retired stay as they were (macros/retention.sql) -#}
{%- call keep_retired(source="'meta'") %}
-- (the linter cannot place Jinja indents inside a call block)
-- noqa: disable=LT02
with overall as (
    {{ subscription_entity_rows(by_country=false) }}
),

by_country as (
    {{ subscription_entity_rows(by_country=true) }}
),

{{ subscription_calendar_ctes() }},

all_rows as (
    select
        cast(calendar.entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(calendar.entity_id as {{ dbt.type_string() }}) as entity_id,
        cast(calendar.client_id as {{ dbt.type_string() }}) as client_id,
        calendar.date_day,
        cast('ALL' as {{ dbt.type_string() }}) as country_code,
        {{ subscription_mart_columns('base', 'quality') }}
    from calendar
    left join overall as base
        on
            calendar.entity_type = base.entity_type
            and calendar.entity_id = base.entity_id
            and calendar.client_id = base.client_id
            and calendar.date_day = base.date_day
    left join client_days as quality
        on calendar.client_id = quality.client_id and calendar.date_day = quality.date_day
    where {{ subscription_in_scope('calendar') }}
),

country_rows as (
    select
        cast(base.entity_type as {{ dbt.type_string() }}) as entity_type,
        cast(base.entity_id as {{ dbt.type_string() }}) as entity_id,
        cast(base.client_id as {{ dbt.type_string() }}) as client_id,
        base.date_day,
        cast(base.country_code as {{ dbt.type_string() }}) as country_code,
        {{ subscription_mart_columns('base', 'quality') }}
    from by_country as base
    left join client_days as quality
        on base.client_id = quality.client_id and base.date_day = quality.date_day
)

select
    combined.*,
    {{ as_of_date() }} as estimates_as_of,
    quality.day_fingerprint,
    cast('{{ run_started_at.isoformat() }}' as {{ dbt.type_timestamp() }}) as dbt_updated_at
from (
    select * from all_rows
    union all
    select * from country_rows
) as combined
left join client_days as quality
    on combined.client_id = quality.client_id and combined.date_day = quality.date_day
{% endcall %}
