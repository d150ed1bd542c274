{{
    config(
        materialized='table',
        indexes=[{'columns': ['date_day'], 'unique': true}],
        meta={'adwh_client_access': 'shared'}
    )
}}

{#- One row per day, 2020-01-01 .. 2035-12-31: the MetricFlow time spine (metric_time joins
    and cumulative windows). dbt.date_spine excludes its end date. -#}
with days as (
    {{ dbt.date_spine('day', "cast('2020-01-01' as date)", "cast('2036-01-01' as date)") }}
)

select cast(date_day as date) as date_day
from days
