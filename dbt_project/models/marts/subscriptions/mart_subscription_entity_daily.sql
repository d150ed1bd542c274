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

{#- Subscription economics per Meta campaign / ad set / ad (entity_id = Meta's own id, or
    'unattributed') and cohort day: Mixpanel's trials and purchases of the users acquired that
    day with their outcomes up to the as-of day, estimated value, Meta's spend, trials and
    purchases, accuracy, adjusted revenue, profit and ROAS. One row per entity and day from
    its first to its last active day (gap days are zero rows). Incremental by client-day: the
    days of the trial window + lookback, changed fingerprints and moved spans are rebuilt
    (macros/subscriptions.sql). Definitions: docs/subscriptions.md. -#}

{#- client-days whose Meta rows were retired stay as they were (macros/retention.sql) -#}
{%- call keep_retired(source="'meta'") %}
-- (the linter cannot place Jinja indents inside a call block)
-- noqa: disable=LT02
with base as (
    {{ subscription_entity_rows(by_country=false) }}
),

{{ subscription_calendar_ctes() }}

select
    cast(calendar.entity_type as {{ dbt.type_string() }}) as entity_type,
    cast(calendar.entity_id as {{ dbt.type_string() }}) as entity_id,
    cast(calendar.client_id as {{ dbt.type_string() }}) as client_id,
    calendar.date_day,
    {{ subscription_mart_columns('base', 'quality') }},
    {{ as_of_date() }} as estimates_as_of,
    quality.day_fingerprint,
    cast('{{ run_started_at.isoformat() }}' as {{ dbt.type_timestamp() }}) as dbt_updated_at
from calendar
left join base
    on
        calendar.entity_type = base.entity_type
        and calendar.entity_id = base.entity_id
        and calendar.client_id = base.client_id
        and calendar.date_day = base.date_day
left join client_days as quality
    on calendar.client_id = quality.client_id and calendar.date_day = quality.date_day
where {{ subscription_in_scope('calendar') }}
{% endcall %}
