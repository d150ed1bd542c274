{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ intel_replace_scope('mart_entity_daily_metrics') }}",
        post_hook="{{ intel_end() }}",
        indexes=table_indexes([
            {'columns': ['client_id', 'date_day']},
            {'columns': ['creative_key', 'date_day'], 'unique': true},
        ]),
    )
}}

{#- Creative fatigue per creative as of each day it was active (impressions > 0):
      days_active      active days so far
      first7_ctr       CTR (ratio of sums) over its first 7 active days
      last7_ctr        CTR over the active days of the trailing 7 calendar days
      ctr_slope_14d    least-squares slope of the daily CTR over the trailing 14 calendar days
                       (active days as points, x in days)
      frequency        impressions / reach of the day, where the source reports reach (Meta)
      fatigue_score    round(100 x (0.60 x decline + 0.25 x trend + 0.15 x frequency_pressure))
                       decline = clamp(1 - last7_ctr / first7_ctr, 0, 1)
                       trend = clamp(-ctr_slope_14d x 13 / mean daily CTR of the 14 days, 0, 1)
                       frequency_pressure = clamp((frequency - 1) / (fatigue_high_frequency - 1), 0, 1)
    scored from var fatigue_min_days active days; 'rotate' from fatigue_score_rotate, 'refresh'
    (is_fatigued) from fatigue_score_refresh, else 'ok'. reason: the CTR figures behind a
    'refresh' / 'rotate', the score of an 'ok' (its figures are the columns beside it), or the
    missing history. Incremental: each client from its first changed day; the running counts
    continue from the creative's newest stored row. -#}

{%- set high_frequency = var('fatigue_high_frequency') %}

with creative_days as (
    select
        client_id,
        entity_id as creative_key,
        entity_name as creative_name,
        source,
        campaign_name,
        date_day,
        {{ day_number('date_day') }} as day_number,
        impressions,
        clicks,
        {{ safe_divide('clicks', 'impressions') }} as day_ctr,
        {{ intel_in_scope('entity_days') }} as is_in_scope
    from {{ ref('mart_entity_daily_metrics') }} as entity_days  -- noqa: AL05
    where
        entity_type = 'creative'
        and is_active
        and impressions > 0
        {{ intel_scope_filter('entity_days', 13) }}  -- noqa: LT02
),

{%- if is_incremental() %}

-- noqa: disable=LT02
-- Each creative's newest stored row before its client's first day in scope: one index
-- probe per creative on (creative_key, date_day), whatever the length of the history.
latest_stored as (
    select
        scoped.creative_key,
        (
            select max(newest.date_day)
            from {{ this }} as newest
            where newest.creative_key = scoped.creative_key and newest.date_day < scoped.from_day
        ) as date_day
    from (
        select distinct creative_days.creative_key, scope.from_day
        from creative_days
        inner join {{ intel_scope_table() }} as scope on creative_days.client_id = scope.client_id
    ) as scoped
),

prior_state as (
    select held.creative_key, held.days_active, held.first7_impressions, held.first7_clicks
    from {{ this }} as held
    inner join latest_stored
        on held.creative_key = latest_stored.creative_key and held.date_day = latest_stored.date_day
),
-- noqa: enable=LT02
{%- endif %}

counted as (
    select
        creative_days.*,
        {%- if is_incremental() %}
            coalesce(prior_state.days_active, 0) + sum(
                case when creative_days.is_in_scope then 1 else 0 end
            ) over running_total as days_active,
            coalesce(prior_state.first7_impressions, 0) as prior_first7_impressions,
            coalesce(prior_state.first7_clicks, 0) as prior_first7_clicks
        {%- else %}
            count(*) over running_total as days_active,
            0 as prior_first7_impressions,
            0 as prior_first7_clicks
        {%- endif %}
    from creative_days  -- noqa: LT02
    {%- if is_incremental() %}
    left join prior_state on creative_days.creative_key = prior_state.creative_key
    {%- endif %}
    window
        running_total as (
            partition by creative_days.creative_key order by creative_days.day_number
            rows between unbounded preceding and current row
        )
),

windowed as (
    select
        counted.*,
        counted.prior_first7_impressions + sum(
            case when counted.is_in_scope and counted.days_active <= 7 then counted.impressions else 0 end
        ) over running as first7_impressions,
        counted.prior_first7_clicks + sum(
            case when counted.is_in_scope and counted.days_active <= 7 then counted.clicks else 0 end
        ) over running as first7_clicks,
        sum(counted.impressions) over last_7 as last7_impressions,
        sum(counted.clicks) over last_7 as last7_clicks,
        count(*) over last_14 as points_14d,
        sum(counted.day_number) over last_14 as sum_x,
        sum(counted.day_ctr) over last_14 as sum_y,
        sum(counted.day_number * counted.day_ctr) over last_14 as sum_xy,
        sum(counted.day_number * counted.day_number) over last_14 as sum_xx
    from counted
    window
        running as (
            partition by creative_key order by day_number
            rows between unbounded preceding and current row
        ),
        last_7 as (
            partition by creative_key order by day_number range between 6 preceding and current row
        ),
        last_14 as (
            partition by creative_key order by day_number range between 13 preceding and current row
        )
),

frequencies as (
    select creative_key, date_day, max(frequency) as frequency
    from {{ ref('mart_meta_ad_reach_daily') }}
    group by creative_key, date_day
),

measured as (
    select
        windowed.client_id,
        windowed.creative_key,
        windowed.creative_name,
        windowed.source,
        windowed.campaign_name,
        windowed.date_day,
        windowed.days_active,
        windowed.impressions,
        windowed.clicks,
        windowed.first7_impressions,
        windowed.first7_clicks,
        {{ safe_divide('first7_clicks', 'first7_impressions') }} as first7_ctr_value,
        {{ safe_divide('last7_clicks', 'last7_impressions') }} as last7_ctr_value,
        case
            when windowed.points_14d >= 2
                then
                    (windowed.points_14d * windowed.sum_xy - windowed.sum_x * windowed.sum_y)
                    / nullif(windowed.points_14d * windowed.sum_xx - windowed.sum_x * windowed.sum_x, 0)
        end as slope_value,
        {{ safe_divide('sum_y', 'points_14d') }} as mean_ctr_14d,
        frequencies.frequency
    from windowed
    left join frequencies
        on windowed.creative_key = frequencies.creative_key and windowed.date_day = frequencies.date_day
    where windowed.is_in_scope
),

{#- the score's three components, each read once: computed inside it, for scored rows only -#}
{%- set ctr_ratio = safe_divide('last7_ctr_value', 'first7_ctr_value') %}
{%- set decline = 'coalesce(' ~ clamp('1 - ' ~ ctr_ratio, 0, 1) ~ ', 0)' %}
{%- set trend = 'coalesce(' ~ clamp(safe_divide('-slope_value * 13', 'mean_ctr_14d'), 0, 1) ~ ', 0)' %}
{%- set pressure = clamp('(frequency - 1) / ' ~ (high_frequency - 1), 0, 1) %}
{%- set frequency_pressure = 'coalesce(' ~ pressure ~ ', 0)' %}

scored as (
    select
        measured.*,
        case
            when measured.days_active >= {{ var('fatigue_min_days') }}
                then cast(
                    round(
                        100
                        * (
                            0.60 * {{ decline }}
                            + 0.25 * {{ trend }}
                            + 0.15 * {{ frequency_pressure }}
                        ),
                        0
                    )
                    as integer
                )
        end as score
    from (
        select * from measured {{ evaluate_once() }}  -- noqa: AM04
    ) as measured
)

select
    client_id,
    creative_key,
    creative_name,
    source,
    campaign_name,
    date_day,
    cast(days_active as integer) as days_active,
    cast(impressions as {{ dbt.type_bigint() }}) as impressions,
    cast(clicks as {{ dbt.type_bigint() }}) as clicks,
    cast(first7_impressions as {{ dbt.type_bigint() }}) as first7_impressions,
    cast(first7_clicks as {{ dbt.type_bigint() }}) as first7_clicks,
    {{ stored_ratio('first7_ctr_value') }} as first7_ctr,
    {{ stored_ratio('last7_ctr_value') }} as last7_ctr,
    {{ stored_ratio('slope_value') }} as ctr_slope_14d,
    {{ stored_ratio('frequency') }} as frequency,
    score as fatigue_score,
    coalesce(score >= {{ var('fatigue_score_refresh') }}, false) as is_fatigued,
    case
        when score >= {{ var('fatigue_score_rotate') }} then 'rotate'
        when score >= {{ var('fatigue_score_refresh') }} then 'refresh'
        else 'ok'
    end as recommendation,
    case
        when score is null
            then {{ dbt.concat([
                "'too little history: '", number_text('days_active', 0),
                "' active days, scoring needs " ~ var('fatigue_min_days') ~ "'"]) }}
        when score < {{ var('fatigue_score_refresh') }}
            then {{ dbt.concat([
                "'fatigue score '", "cast(score as " ~ dbt.type_string() ~ ")",
                "' under " ~ var('fatigue_score_refresh') ~ "'"]) }}
        else {{ dbt.concat([
            "'CTR last 7 days '", number_text('100 * last7_ctr_value', 2),
            "' % vs first 7 days '", number_text('100 * first7_ctr_value', 2),
            "' %; 14-day CTR slope '", number_text('100 * slope_value', 4), "' pp/day'",
            "case when frequency is not null then "
            ~ dbt.concat(["'; frequency '", number_text('frequency', 2)]) ~ " else '' end"]) }}
    end as reason,
    {{ intel_build_stamp() }} as dbt_updated_at
from (
    select * from scored {{ evaluate_once() }}  -- noqa: AM04
) as scored
