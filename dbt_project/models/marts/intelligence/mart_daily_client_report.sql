{{ config(indexes=table_indexes([{'columns': ['client_id', 'date_day'], 'unique': true}])) }}

{#- What the daily client report prints, per client and day (the report of day D+1 shows the
    row of day D): the day's totals, the average day of the 7 days before it (days without
    data count as 0), the change against that average, the top 3 campaigns by spend and by
    ROAS (campaigns with spend that day; ROAS recomputed from the day's sums) and the alert
    episodes of mart_alerts that held that day, by their severity. -#}

{%- set measures = ['impressions', 'clicks', 'conversions', 'conversion_revenue', 'spend'] %}

with client_days as (
    select
        client_id,
        entity_name as client_name,
        date_day,
        {%- for measure in measures %}
            {{ measure }},
            sum({{ measure }}) over previous_7 / 7.0 as {{ measure }}_avg_7d,
        {%- endfor %}
        is_active
    from {{ ref('mart_entity_daily_metrics') }}
    where entity_type = 'client'
    window previous_7 as (
        partition by client_id order by {{ day_number('date_day') }}
        range between 7 preceding and 1 preceding
    )
),

campaign_days as (
    select
        client_id,
        date_day,
        {{ dbt.concat(["coalesce(entity_name, entity_id)", "' ('", number_text('spend', 2), "')'"]) }}
            as spend_label,
        {{ dbt.concat(["coalesce(entity_name, entity_id)", "' ('",
            number_text(safe_divide('conversion_revenue', 'spend'), 2), "')'"]) }} as roas_label,
        spend,
        {{ safe_divide('conversion_revenue', 'spend') }} as roas,
        entity_name
    from {{ ref('mart_entity_daily_metrics') }}
    where entity_type = 'campaign' and spend > 0
),

top_campaigns as (
    select
        client_id,
        date_day,
        {{ dbt.listagg('spend_label', "'; '", 'order by spend desc, entity_name', 3) }}
            as top_campaigns_by_spend,
        {{ dbt.listagg('roas_label', "'; '", 'order by roas desc, entity_name', 3) }}
            as top_campaigns_by_roas
    from campaign_days
    group by client_id, date_day
),

-- episodes that held on each client-day, by severity: +1 on an episode's first day and -1
-- the day after its last, summed over the days up to each day (a join of every day with
-- every episode of its client grew with days x episodes)
alert_changes as (
    select
        client_id,
        first_seen_day as date_day,
        severity,
        1 as delta
    from {{ ref('mart_alerts') }}

    union all

    select
        client_id,
        {{ dbt.cast(dbt.dateadd('day', 1, 'last_seen_day'), 'date') }} as date_day,
        severity,
        -1 as delta
    from {{ ref('mart_alerts') }}

    union all

    select
        client_id,
        date_day,
        cast(null as {{ dbt.type_string() }}) as severity,
        0 as delta
    from client_days
),

alert_change_days as (
    select
        client_id,
        date_day,
        sum(case when severity = 'critical' then delta else 0 end) as critical_change,
        sum(case when severity = 'warning' then delta else 0 end) as warning_change,
        sum(case when severity = 'info' then delta else 0 end) as info_change
    from alert_changes
    group by client_id, date_day
),

alerts_by_day as (
    select
        client_id,
        date_day,
        sum(critical_change) over up_to_the_day as alerts_critical,
        sum(warning_change) over up_to_the_day as alerts_warning,
        sum(info_change) over up_to_the_day as alerts_info
    from alert_change_days
    window up_to_the_day as (
        partition by client_id order by date_day
        rows between unbounded preceding and current row
    )
)

select
    client_days.client_id,
    client_days.client_name,
    client_days.date_day,
    client_days.is_active,
    {%- for measure in measures %}
        client_days.{{ measure }},
        cast(client_days.{{ measure }}_avg_7d as numeric(38, 6)) as {{ measure }}_avg_7d,
        cast(round({{ safe_divide('client_days.' ~ measure ~ ' - client_days.' ~ measure ~ '_avg_7d',
        'client_days.' ~ measure ~ '_avg_7d') }}, 6) as numeric(24, 6)) as {{ measure }}_change_pct,
    {%- endfor %}
    {{ stored_ratio(safe_divide('client_days.clicks', 'client_days.impressions')) }} as ctr,
    {{ stored_ratio(safe_divide('client_days.spend', 'client_days.conversions')) }} as cpa,
    {{ stored_ratio(safe_divide('client_days.conversion_revenue', 'client_days.spend')) }} as roas,
    top_campaigns.top_campaigns_by_spend,
    top_campaigns.top_campaigns_by_roas,
    cast(coalesce(alerts_by_day.alerts_critical, 0) as integer) as alerts_critical,
    cast(coalesce(alerts_by_day.alerts_warning, 0) as integer) as alerts_warning,
    cast(coalesce(alerts_by_day.alerts_info, 0) as integer) as alerts_info
from client_days
left join top_campaigns
    on client_days.client_id = top_campaigns.client_id and client_days.date_day = top_campaigns.date_day
left join alerts_by_day
    on client_days.client_id = alerts_by_day.client_id and client_days.date_day = alerts_by_day.date_day
