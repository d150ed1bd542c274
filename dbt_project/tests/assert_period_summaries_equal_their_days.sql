{#- Weekly and monthly summaries equal the sum of their days in fact_daily_metrics (measures)
    and cover exactly the client's days in mart_entity_daily_metrics. Returns mismatches.
    After an incremental build, only the periods from the week of the first of the month of
    the first day it rebuilt (macros/incremental_state.sql). -#}

{%- set periods = [('week', 'mart_weekly_summary'), ('month', 'mart_monthly_summary')] %}
{%- set first_day = incremental_test_first_day(['fact_daily_metrics', 'mart_entity_daily_metrics']) %}
{%- set since = dbt.date_trunc('week', dbt.date_trunc('month', first_day)) if first_day else none %}

with
{%- for trunc, model in periods %}
    fact_{{ trunc }} as (
        select
            client_id,
            date_trunc('{{ trunc }}', date_day)::date as period_start,
            sum(impressions) as impressions,
            sum(clicks) as clicks,
            sum(conversions) as conversions,
            sum(conversion_revenue) as conversion_revenue,
            sum(spend) as spend
        from {{ ref('fact_daily_metrics') }}
        {% if since %}where date_day >= {{ since }}{% endif %}
        group by client_id, date_trunc('{{ trunc }}', date_day)
        {% if since %}having date_trunc('{{ trunc }}', date_day)::date >= {{ since }}{% endif %}
    ),

    days_{{ trunc }} as (
        select
            client_id,
            date_trunc('{{ trunc }}', date_day)::date as period_start,
            count(*) as days_covered
        from {{ ref('mart_entity_daily_metrics') }}
        where entity_type = 'client' {% if since %}and date_day >= {{ since }}{% endif %}
        group by client_id, date_trunc('{{ trunc }}', date_day)
        {% if since %}having date_trunc('{{ trunc }}', date_day)::date >= {{ since }}{% endif %}
    ),

    check_{{ trunc }} as (
        select
            '{{ trunc }}' as period_type,
            coalesce(summary.client_id, days_{{ trunc }}.client_id) as client_id,
            coalesce(summary.period_start, days_{{ trunc }}.period_start) as period_start,
            summary.impressions as summary_impressions,
            fact_{{ trunc }}.impressions as fact_impressions
        from (
            select * from {{ ref(model) }}
            {% if since %}where period_start >= {{ since }}{% endif %}
        ) as summary
        full outer join days_{{ trunc }}
            on
                summary.client_id = days_{{ trunc }}.client_id
                and summary.period_start = days_{{ trunc }}.period_start
        left join fact_{{ trunc }}
            on
                days_{{ trunc }}.client_id = fact_{{ trunc }}.client_id
                and days_{{ trunc }}.period_start = fact_{{ trunc }}.period_start
        where
            summary.client_id is null
            or days_{{ trunc }}.client_id is null
            or summary.days_covered <> days_{{ trunc }}.days_covered
            or summary.impressions <> coalesce(fact_{{ trunc }}.impressions, 0)
            or summary.clicks <> coalesce(fact_{{ trunc }}.clicks, 0)
            or summary.conversions <> coalesce(fact_{{ trunc }}.conversions, 0)
            or summary.conversion_revenue <> coalesce(fact_{{ trunc }}.conversion_revenue, 0)
            or summary.spend <> coalesce(fact_{{ trunc }}.spend, 0)
    ){% if not loop.last %},{% endif %}
{%- endfor %}

select * from check_week
union all
select * from check_month
