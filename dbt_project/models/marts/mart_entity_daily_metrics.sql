{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(log_position_state_sql('fact_daily_metrics'),
            without_retired(entity_changed_client_days_sql(this), by_source=false),
            ['client_id', 'date_day']) }}",
        post_hook="{{ incremental_end(incremental_partition_columns()['mart_entity_daily_metrics']) }}",
        indexes=table_indexes([
            {'columns': ['entity_type', 'entity_id', 'date_day'], 'unique': true},
            {'columns': ['date_day']},
            {'columns': ['client_id', 'date_day']},
        ]),
    )
}}

{#- One row per entity (client, campaign, strategy, placement, creative) and day, for every
    day from the entity's first to its last day with data - days without data are zero rows
    (is_active = false) so sparklines have no holes. Measures are summed from
    fact_daily_metrics; ratios are recomputed from the sums. Incremental by client-day: the
    client-days fact_daily_metrics rebuilt, and the days an entity's span gained or lost
    (docs/incremental.md). -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired(source=none) %}
-- (the linter cannot place Jinja indents inside a call block)
-- noqa: disable=LT02
with fact as (
    select fact_daily_metrics.*
    from {{ ref('fact_daily_metrics') }} as fact_daily_metrics
    {% if is_incremental() %}
        where {{ in_changed_partitions('fact_daily_metrics', ['client_id', 'date_day']) }}
    {% endif %}
),

activity as (
    {{ entity_activity_sql('fact') }}
),

entities as (
    {{ entities_sql() }}
),

-- every day from the entity's first to its last day with data (only the changed days)
calendar_in_scope as (
    {% if is_incremental() %}
        select
            entities.*,
            changed.date_day
        from entities
        inner join {{ changed_partitions_table() }} as changed
            on
                entities.client_id = changed.client_id
                and changed.date_day between entities.first_seen_date and entities.last_seen_date
    {% else %}
        select
            entities.*,
            series.day::date as date_day
        from entities
        {{ day_series_join('entities.first_seen_date', 'entities.last_seen_date', 'series') }}
    {% endif %}
),

filled as (
    select
        calendar_in_scope.entity_type,
        calendar_in_scope.entity_id,
        calendar_in_scope.entity_name,
        calendar_in_scope.client_id,
        calendar_in_scope.source,
        calendar_in_scope.campaign_key,
        calendar_in_scope.campaign_name,
        calendar_in_scope.strategy_key,
        calendar_in_scope.strategy_name,
        calendar_in_scope.placement_key,
        calendar_in_scope.placement_name,
        calendar_in_scope.date_day,
        activity.entity_id is not null as is_active,
        coalesce(activity.impressions, 0)::bigint as impressions,
        coalesce(activity.clicks, 0)::bigint as clicks,
        coalesce(activity.conversions, 0)::numeric(38, 12) as conversions,
        coalesce(activity.conversion_revenue, 0)::numeric(38, 12) as conversion_revenue,
        activity.media_cost::numeric(38, 12) as media_cost,
        coalesce(activity.spend, 0)::numeric(38, 12) as spend,
        activity.video_starts::bigint as video_starts,
        activity.video_completions::bigint as video_completions,
        coalesce(activity.trials, 0)::numeric(38, 12) as trials,
        coalesce(activity.purchases, 0)::numeric(38, 12) as purchases,
        coalesce(activity.source_row_count, 0)::bigint as source_row_count
    from calendar_in_scope
    left join activity
        on
            calendar_in_scope.entity_type = activity.entity_type
            and calendar_in_scope.entity_id = activity.entity_id
            and calendar_in_scope.date_day = activity.date_day
)

select
    filled.*,
    {{ ratio_columns('filled.') }},
    '{{ run_started_at.isoformat() }}'::timestamptz as dbt_updated_at
from filled
{% endcall %}
