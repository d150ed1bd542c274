{#- Each prediction (stg_predictions__predictions) against the actuals of its period, once the
    period is complete (period_end on or before the client's newest day with data). Actuals
    are recomputed from sums over the matching campaigns (campaign name or key, all sources):
    ROAS = conversion_revenue / spend, CTR = clicks / impressions. Per metric:
      error              predicted - actual
      abs_pct_error      |predicted - actual| / actual, NULL when actual is 0 or NULL
      accuracy_score     max(0, 100 x (1 - abs_pct_error)), NULL when actual is 0 or NULL
    Rebuilt in full: predictions arrive by file, not by client-day. -#}

with predictions as (
    select * from {{ ref('stg_predictions__predictions') }}
),

client_newest as (
    select client_id, max(date_day) as newest_day
    from {{ ref('mart_entity_daily_metrics') }}
    where entity_type = 'client'
    group by client_id
),

complete as (
    select predictions.*
    from predictions
    inner join client_newest
        on
            predictions.client_id = client_newest.client_id
            and predictions.period_end <= client_newest.newest_day
),

actuals as (
    select
        complete.prediction_id,
        count(distinct campaign_days.entity_id) as campaigns_matched,
        coalesce(sum(campaign_days.impressions), 0) as impressions,
        coalesce(sum(campaign_days.clicks), 0) as clicks,
        coalesce(sum(campaign_days.conversion_revenue), 0) as conversion_revenue,
        coalesce(sum(campaign_days.spend), 0) as spend
    from complete
    left join {{ ref('mart_entity_daily_metrics') }} as campaign_days
        on
            campaign_days.entity_type = 'campaign'
            and complete.client_id = campaign_days.client_id
            and (complete.campaign = campaign_days.entity_id or complete.campaign = campaign_days.entity_name)
            and campaign_days.date_day between complete.period_start and complete.period_end
    group by complete.prediction_id
),

measured as (
    select
        complete.*,
        actuals.campaigns_matched,
        actuals.impressions,
        actuals.clicks,
        actuals.conversion_revenue,
        actuals.spend,
        {{ safe_divide('actuals.conversion_revenue', 'actuals.spend') }} as actual_roas_value,
        {{ safe_divide('actuals.clicks', 'actuals.impressions') }} as actual_ctr_value
    from complete
    inner join actuals on complete.prediction_id = actuals.prediction_id
)

select
    prediction_id,
    client_id,
    campaign,
    model,
    period_start,
    period_end,
    created_at,
    cast(campaigns_matched as integer) as campaigns_matched,
    cast(spend as numeric(38, 12)) as actual_spend,
    cast(conversion_revenue as numeric(38, 12)) as actual_conversion_revenue,
    {%- for metric in ['roas', 'ctr'] %}
        predicted_{{ metric }},
        {{ stored_ratio('actual_' ~ metric ~ '_value') }} as actual_{{ metric }},
        {{ stored_ratio('predicted_' ~ metric ~ ' - actual_' ~ metric ~ '_value') }} as {{ metric }}_error,
    {{ stored_ratio(safe_divide('abs(predicted_' ~ metric ~ ' - actual_' ~ metric ~ '_value)',
        'actual_' ~ metric ~ '_value')) }} as {{ metric }}_abs_pct_error,
    -- greatest() skips NULLs: the score is NULL explicitly when the actual is 0 or NULL
        cast(case
            when actual_{{ metric }}_value <> 0
                then round(greatest(0, 100 * (1 - {{ safe_divide('abs(predicted_' ~ metric
                ~ ' - actual_' ~ metric ~ '_value)', 'actual_' ~ metric ~ '_value') }})), 4)
        end as numeric(9, 4)) as {{ metric }}_accuracy_score{% if not loop.last %},{% endif %}
    {%- endfor %}
from measured
