{{ config(indexes=table_indexes([
    {'columns': ['creative_id'], 'unique': true},
    {'columns': ['client_id', 'spend_rank_7d']},
])) }}

{#- Per bidder creative: spend, impressions and clicks yesterday, over the last 7 and 30 days
    and all time, as of var as_of_date (default today, UTC), and the creative's rank by spend
    within its client for each window. Windows end yesterday: the 7 days are as_of - 7 ..
    as_of - 1; all time is every day before as_of. Ties share a rank (rank()); the rank is NULL
    when the creative had no valid row in the window. All-time figures add whole months from
    int_bidder__creative_months to the days of as_of's month (docs/incremental.md). -#}
{%- set windows = [('yesterday', 1), ('7d', 7), ('30d', 30)] %}

{%- set month_start = dbt.cast(dbt.date_trunc('month', as_of_date()), 'date') %}
{%- set keys = ['client_id', 'creative_id', 'client_key', 'campaign_key', 'campaign_name',
                'creative_key', 'creative_name'] %}

-- the days of the windows and of as_of's month before as_of; whole months before it come
-- from int_bidder__creative_months, so the cost does not grow with history
with daily as (
    select *
    from {{ ref('mart_creative_geo_device_daily') }}
    where
        date_day >= least({{ days_before_as_of(30) }}, {{ month_start }})
        and date_day < {{ as_of_date() }}
),

parts as (
    select
        {{ keys | join(', ') }},
        {%- for window, days in windows %}
            sum(case when date_day >= {{ days_before_as_of(days) }} then spend end) as spend_{{ window }},
            sum(case when date_day >= {{ days_before_as_of(days) }} then impressions end)
                as impressions_{{ window }},
            sum(case when date_day >= {{ days_before_as_of(days) }} then clicks end) as clicks_{{ window }},
            count(case when date_day >= {{ days_before_as_of(days) }} then 1 end) as rows_{{ window }},
        {%- endfor %}
        sum(case when date_day >= {{ month_start }} then spend end) as spend_all_time,
        sum(case when date_day >= {{ month_start }} then impressions end) as impressions_all_time,
        sum(case when date_day >= {{ month_start }} then clicks end) as clicks_all_time,
        min(date_day) as first_date,
        max(date_day) as last_date
    from daily
    group by {{ keys | join(', ') }}
    union all
    select
        {{ keys | join(', ') }},
        {%- for window, days in windows %}
            null as spend_{{ window }},
            null as impressions_{{ window }},
            null as clicks_{{ window }},
            0 as rows_{{ window }},
        {%- endfor %}
        sum(spend) as spend_all_time,
        sum(impressions) as impressions_all_time,
        sum(clicks) as clicks_all_time,
        min(first_date) as first_date,
        max(last_date) as last_date
    from {{ ref('int_bidder__creative_months') }}
    where month_start < {{ month_start }}
    group by {{ keys | join(', ') }}
),

per_creative as (
    select
        {{ keys | join(', ') }},
        {%- for window, days in windows %}
            coalesce(sum(spend_{{ window }}), 0)::numeric(38, 12) as spend_{{ window }},
            coalesce(sum(impressions_{{ window }}), 0)::bigint as impressions_{{ window }},
            coalesce(sum(clicks_{{ window }}), 0)::bigint as clicks_{{ window }},
            sum(rows_{{ window }}) as rows_{{ window }},
        {%- endfor %}
        coalesce(sum(spend_all_time), 0)::numeric(38, 12) as spend_all_time,
        coalesce(sum(impressions_all_time), 0)::bigint as impressions_all_time,
        coalesce(sum(clicks_all_time), 0)::bigint as clicks_all_time,
        min(first_date) as first_date,
        max(last_date) as last_date
    from parts
    group by {{ keys | join(', ') }}
)

select
    {{ as_of_date() }} as as_of_date,
    client_id,
    creative_id,
    client_key,
    campaign_key,
    campaign_name,
    creative_key,
    creative_name,
    {%- for window, days in windows %}
        spend_{{ window }},
        impressions_{{ window }},
        clicks_{{ window }},
        case
            when rows_{{ window }} > 0
                then rank() over (partition by client_id order by spend_{{ window }} desc)
        end as spend_rank_{{ window }},
    {%- endfor %}
    spend_all_time,
    impressions_all_time,
    clicks_all_time,
    rank() over (partition by client_id order by spend_all_time desc) as spend_rank_all_time,
    first_date,
    last_date
from per_creative
