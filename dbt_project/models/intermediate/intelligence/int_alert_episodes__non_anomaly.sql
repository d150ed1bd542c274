{{ config(materialized='table') }}

{#- The alert episodes of mart_alerts whose conditions do not come from
    mart_metric_anomalies: targets, creative fatigue and frequency, pacing, underperformers
    and data coverage (docs/intelligence.md lists the conditions). Built apart so that they
    are ready while the anomaly mart, the longest model of a full build, still runs:
    mart_alerts then only adds the anomaly episodes (DECISIONLOG "mart_alerts appends the
    episodes that do not wait for the anomaly mart"). Episodes as macros/alerts.sql. -#}

{%- set gap = var('target_critical_gap') %}

with client_kpis as (
    select
        client_id,
        entity_name,
        date_day,
        sum(spend) over last_7_days as spend_7d,
        {{ safe_divide('sum(conversion_revenue) over last_7_days', 'sum(spend) over last_7_days') }}
            as roas_7d,
        {{ safe_divide('sum(spend) over last_7_days', 'sum(conversions) over last_7_days') }} as cpa_7d
    from {{ ref('mart_entity_daily_metrics') }}
    where entity_type = 'client'
    window last_7_days as (
        partition by client_id order by {{ day_number('date_day') }}
        range between 6 preceding and current row
    )
),

targets_in_effect as (
    select
        client_kpis.*,
        targets.metric,
        targets.target,
        targets.direction,
        row_number() over (
            partition by client_kpis.client_id, client_kpis.date_day, targets.metric
            order by targets.effective_from desc
        ) as target_rank
    from client_kpis
    inner join {{ ref('client_targets') }} as targets
        on
            client_kpis.client_id = targets.client_id
            and client_kpis.date_day >= targets.effective_from
            and targets.metric in ('roas', 'cpa')
),

target_conditions as (
    select
        client_id,
        cast('client' as {{ dbt.type_string() }}) as entity_type,
        client_id as entity_id,
        entity_name,
        case metric when 'roas' then 'roas_below_target' else 'cpa_above_target' end as alert_type,
        date_day,
        case
            when metric = 'roas' and roas_7d < target * (1 - {{ gap }}) then 3
            when metric = 'cpa' and cpa_7d > target * (1 + {{ gap }}) then 3
            else 2
        end as severity_rank,
        metric as metric_name,
        target as threshold,
        case metric when 'roas' then roas_7d else cpa_7d end as actual_value,
        {{ dbt.concat([
            "upper(metric)", "' of the 7 days to '", dbt.cast('date_day', dbt.type_string()),
            "' is '", number_text("case metric when 'roas' then roas_7d else cpa_7d end", 2),
            "case metric when 'roas' then ', below the target of ' else ', above the target of ' end",
            number_text('target', 2)]) }} as detail
    from targets_in_effect
    where
        target_rank = 1
        and spend_7d > 0
        and (
            (metric = 'roas' and direction = 'min' and roas_7d < target)
            or (metric = 'cpa' and direction = 'max' and cpa_7d > target)
        )
),

fatigue_conditions as (
    select
        client_id,
        cast('creative' as {{ dbt.type_string() }}) as entity_type,
        creative_key as entity_id,
        creative_name as entity_name,
        cast('creative_fatigue' as {{ dbt.type_string() }}) as alert_type,
        date_day,
        case recommendation when 'rotate' then 3 else 2 end as severity_rank,
        cast('fatigue_score' as {{ dbt.type_string() }}) as metric_name,
        cast({{ var('fatigue_score_refresh') }} as numeric) as threshold,
        cast(fatigue_score as numeric) as actual_value,
        {{ dbt.concat([
            "'fatigue score '", number_text('fatigue_score', 0), "': '", "recommendation",
            "' ('", "reason", "')'"]) }} as detail
    from {{ ref('mart_creative_fatigue') }}
    where is_fatigued

    union all

    select
        client_id,
        'creative' as entity_type,
        creative_key as entity_id,
        creative_name as entity_name,
        'high_frequency' as alert_type,
        date_day,
        2 as severity_rank,
        'frequency' as metric_name,
        cast({{ var('fatigue_high_frequency') }} as numeric) as threshold,
        frequency as actual_value,
        {{ dbt.concat([
            "'frequency '", number_text('frequency', 2), "' impressions per person reached, limit '",
            number_text(var('fatigue_high_frequency'), 2)]) }} as detail
    from {{ ref('mart_creative_fatigue') }}
    where frequency >= {{ var('fatigue_high_frequency') }}
),

pacing_conditions as (
    select
        client_id,
        cast('campaign' as {{ dbt.type_string() }}) as entity_type,
        campaign as entity_id,
        campaign as entity_name,
        case status when 'depleted' then 'budget_depleted' else 'overpacing' end as alert_type,
        date_day,
        case status when 'depleted' then 3 else 2 end as severity_rank,
        cast('spend' as {{ dbt.type_string() }}) as metric_name,
        budget as threshold,
        case status when 'depleted' then spend_to_date else projected_spend end as actual_value,
        case status
            when 'depleted' then {{ dbt.concat([
                "'spent '", number_text('spend_to_date', 2), "' of a '", number_text('budget', 2),
                "' budget by day '", number_text('day_of_month', 0)]) }}
            else {{ dbt.concat([
                "'projected month-end spend '", number_text('projected_spend', 2), "' vs a '",
                number_text('budget', 2), "' budget (spent '", number_text('spend_to_date', 2),
                "' by day '", number_text('day_of_month', 0), "')'"]) }}
        end as detail
    from {{ ref('mart_pacing') }}
    where status in ('depleted', 'overpacing')
),

underperformer_conditions as (
    select
        weeks.client_id,
        cast('campaign' as {{ dbt.type_string() }}) as entity_type,
        weeks.campaign_key as entity_id,
        weeks.campaign_name as entity_name,
        cast('underperformer' as {{ dbt.type_string() }}) as alert_type,
        client_days.date_day,
        2 as severity_rank,
        cast('ctr' as {{ dbt.type_string() }}) as metric_name,
        weeks.ctr_threshold as threshold,
        weeks.ctr as actual_value,
        {{ dbt.concat(["'week of '", dbt.cast('weeks.period_start', dbt.type_string()),
            "': '", "weeks.reason"]) }} as detail
    from {{ ref('mart_underperformers') }} as weeks
    inner join {{ ref('mart_entity_daily_metrics') }} as client_days
        on
            client_days.entity_type = 'client'
            and weeks.client_id = client_days.client_id
            and client_days.date_day between weeks.period_start and weeks.period_end
    where weeks.period_type = 'week'
),

coverage_conditions as (
    select
        client_id,
        cast('source' as {{ dbt.type_string() }}) as entity_type,
        source as entity_id,
        source as entity_name,
        case status when 'rejected' then 'data_rejected' else 'data_missing' end as alert_type,
        date_day,
        case status when 'rejected' then 3 else 2 end as severity_rank,
        cast('status' as {{ dbt.type_string() }}) as metric_name,
        cast(null as numeric) as threshold,
        cast(null as numeric) as actual_value,
        {{ dbt.concat(["source", "' data for '", dbt.cast('date_day', dbt.type_string()), "' '",
            "status", "': '", "coalesce(reason, '')"]) }} as detail
    from {{ ref('mart_data_coverage') }}
    where status in ('missing_file', 'failed', 'rejected')
),

conditions as (
    select * from target_conditions
    union all
    select * from fatigue_conditions
    union all
    select * from pacing_conditions
    union all
    select * from underperformer_conditions
    union all
    select * from coverage_conditions
),

{{ alert_episodes('conditions') }}
