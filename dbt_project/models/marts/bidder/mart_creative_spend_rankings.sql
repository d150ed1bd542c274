{{ config(indexes=table_indexes([
    {'columns': ['creative_id'], 'unique': true},
    {'columns': ['client_id', 'spend_rank_7d']},
])) }}

{#- Per bidder creative: spend, impressions and clicks yesterday, over the last 7 and 30 days
    and all time, as of var as_of_date (default today, UTC), and the creative's rank by spend
    within its client for each window. Windows end yesterday: the 7 days are as_of - 7 ..
    as_of - 1; all time is every day before as_of. Ties share a rank (rank()); the rank is NULL
    when the creative had no valid row in the window. -#}
{%- set windows = [('yesterday', 1), ('7d', 7), ('30d', 30)] %}

with daily as (
    select *
    from {{ ref('mart_creative_geo_device_daily') }}
    where date_day < {{ as_of_date() }}
),

per_creative as (
    select
        client_id,
        creative_id,
        client_key,
        campaign_key,
        campaign_name,
        creative_key,
        creative_name,
        {%- for window, days in windows %}
            coalesce(sum(case when date_day >= {{ days_before_as_of(days) }} then spend end), 0)
            ::numeric(38, 12) as spend_{{ window }},
            coalesce(sum(case when date_day >= {{ days_before_as_of(days) }} then impressions end), 0)
            ::bigint as impressions_{{ window }},
            coalesce(sum(case when date_day >= {{ days_before_as_of(days) }} then clicks end), 0)
            ::bigint as clicks_{{ window }},
            count(case when date_day >= {{ days_before_as_of(days) }} then 1 end) as rows_{{ window }},
        {%- endfor %}
        sum(spend)::numeric(38, 12) as spend_all_time,
        sum(impressions)::bigint as impressions_all_time,
        sum(clicks)::bigint as clicks_all_time,
        min(date_day) as first_date,
        max(date_day) as last_date
    from daily
    group by
        client_id, creative_id, client_key, campaign_key, campaign_name, creative_key,
        creative_name
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
