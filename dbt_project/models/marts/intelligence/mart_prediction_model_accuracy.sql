{#- Prediction accuracy per model over the last var prediction_rollup_days (30) days:
    predictions of mart_prediction_accuracy whose period ended in the window ending the newest
    day any client has data. Mean accuracy scores and mean absolute percentage errors (MAPE)
    over the predictions where the actual was not 0. -#}

with newest as (
    select max(date_day) as newest_day
    from {{ ref('mart_entity_daily_metrics') }}
    where entity_type = 'client'
),

in_window as (
    select accuracy.*, newest.newest_day
    from {{ ref('mart_prediction_accuracy') }} as accuracy
    cross join newest
    where
        accuracy.period_end
        > {{ dbt.dateadd('day', -(var('prediction_rollup_days') | int), 'newest.newest_day') }}
)

select
    model,
    cast({{ dbt.dateadd('day', 1 - (var('prediction_rollup_days') | int), 'max(newest_day)') }} as date)
        as window_start,
    max(newest_day) as window_end,
    cast(count(*) as integer) as predictions,
    cast(round(avg(roas_accuracy_score), 4) as numeric(9, 4)) as mean_roas_accuracy,
    cast(round(avg(ctr_accuracy_score), 4) as numeric(9, 4)) as mean_ctr_accuracy,
    cast(round(avg(roas_abs_pct_error), 6) as numeric(24, 6)) as roas_mape,
    cast(round(avg(ctr_abs_pct_error), 6) as numeric(24, 6)) as ctr_mape
from in_window
group by model
