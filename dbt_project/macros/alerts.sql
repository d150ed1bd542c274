{#- Alert episodes (mart_alerts, docs/intelligence.md) from a CTE of condition days. Each row
    of `conditions` is one day on which one condition held: client_id, entity_type,
    entity_id, entity_name, alert_type, date_day, severity_rank, metric_name, threshold,
    actual_value, detail. Emits the CTEs after it and the final select, so a model writes
    `with conditions as (...), {{ alert_episodes('conditions') }}`.

    An episode is a run of consecutive days of one client x entity x alert_type.
    alert_id = hash(client, entity type, entity, alert type, first day): stable across
    rebuilds, and a condition that returns after a day without it opens a new episode (a
    resolved alert stays resolved). An episode is open while its last day is the client's
    newest day (of data or of coverage), resolved after. Episodes never span two alert
    types, so disjoint sets of alert types can be built apart and appended. -#}
{% macro alert_episodes(conditions) -%}
islands as (
    select
        conditions.*,
        {{ day_number('date_day') }} - row_number() over (
            partition by
                conditions.client_id, conditions.entity_type, conditions.entity_id, conditions.alert_type
            order by conditions.date_day
        ) as island
    from {{ conditions }} as conditions
),

episodes as (
    select
        client_id,
        entity_type,
        entity_id,
        alert_type,
        island,
        min(date_day) as first_seen_day,
        max(date_day) as last_seen_day,
        count(*) as days_seen,
        max(severity_rank) as peak_severity_rank
    from islands
    group by client_id, entity_type, entity_id, alert_type, island
),

client_newest as (
    select client_id, max(date_day) as newest_day
    from (
        select client_id, date_day
        from {{ ref('mart_entity_daily_metrics') }}
        where entity_type = 'client'
        union all
        select client_id, date_day from {{ ref('mart_data_coverage') }}
    ) as client_days
    group by client_id
)

select
    {{ surrogate_key(['episodes.client_id', 'episodes.entity_type', 'episodes.entity_id',
                      'episodes.alert_type', 'episodes.first_seen_day']) }} as alert_id,
    episodes.client_id,
    episodes.entity_type,
    episodes.entity_id,
    latest.entity_name,
    episodes.alert_type,
    {{ severity_name('episodes.peak_severity_rank') }} as severity,
    {{ severity_name('latest.severity_rank') }} as current_severity,
    {{ dbt.concat([
        "episodes.alert_type", "': '", "episodes.entity_type", "' '",
        "coalesce(latest.entity_name, episodes.entity_id)", "' - '", "latest.detail",
        "case when episodes.days_seen > 1 then " ~ dbt.concat([
            "'; '", number_text('episodes.days_seen', 0), "' days in a row since '",
            dbt.cast('episodes.first_seen_day', dbt.type_string())]) ~ " else '' end"]) }}
        as message,
    latest.metric_name,
    cast(latest.threshold as numeric(38, 6)) as threshold,
    cast(latest.actual_value as numeric(38, 6)) as actual_value,
    episodes.first_seen_day,
    episodes.last_seen_day,
    cast(episodes.days_seen as integer) as days_seen,
    coalesce(episodes.last_seen_day < client_newest.newest_day, false) as is_resolved
from episodes
inner join islands as latest
    on
        episodes.client_id = latest.client_id
        and episodes.entity_type = latest.entity_type
        and episodes.entity_id = latest.entity_id
        and episodes.alert_type = latest.alert_type
        and episodes.last_seen_day = latest.date_day
left join client_newest on episodes.client_id = client_newest.client_id
{%- endmacro %}
