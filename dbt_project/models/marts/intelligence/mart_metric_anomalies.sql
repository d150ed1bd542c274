{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ intel_replace_scope('mart_entity_daily_metrics') }}",
        post_hook="{{ intel_end() }}",
        indexes=table_indexes([
            {'columns': ['client_id', 'date_day']},
            {'columns': ['entity_type', 'entity_id', 'date_day', 'metric_name'], 'unique': true},
        ]),
    )
}}

{#- Anomalies per client x entity (client, campaign, creative) x day x metric: the day's value
    against the mean and sample standard deviation of the same metric over the
    anomaly_window_days days before it (days with data only). Rates are the day's ratio of
    sums, to 12 decimals as mart_entity_daily_metrics stores it. Flagged (severity) at
    |z| >= anomaly_z_warning / anomaly_z_critical, only when the baseline has >=
    anomaly_min_days days with data, the day has >= anomaly_min_impressions impressions and
    the deviation is not 0. A zero-variance baseline that the day departs from
    is stored too, without severity, with its pct_change. Only those rows are stored.
    Incremental: each client from its first changed day (macros/intelligence.sql). -#}

{%- set window = var('anomaly_window_days') | int %}
{%- set metrics = ['spend', 'impressions', 'clicks', 'conversions', 'ctr', 'cpa', 'roas'] %}
{%- set additive = ['spend', 'impressions', 'clicks', 'conversions'] %}
{%- set counted = ['spend', 'ctr', 'cpa', 'roas'] %}
{#- the count of each metric's baseline days: spend, impressions, clicks and conversions have
    values on the same (active) days, days_spend counts them all -#}
{%- set count_of = {} %}
{%- for metric in metrics %}
    {%- do count_of.update({metric: 'spend' if metric in additive else metric}) %}
{%- endfor %}

with daily as (
    select
        entity_type,
        entity_id,
        entity_name,
        client_id,
        date_day,
        {{ day_number('date_day') }} as day_number,
        impressions,
        case when is_active then cast(spend as numeric) end as value_spend,
        case when is_active then cast(impressions as numeric) end as value_impressions,
        case when is_active then cast(clicks as numeric) end as value_clicks,
        case when is_active then cast(conversions as numeric) end as value_conversions,
        case when is_active then {{ stored_ratio(safe_divide('clicks', 'impressions')) }} end as value_ctr,
        case when is_active then {{ stored_ratio(safe_divide('spend', 'conversions')) }} end as value_cpa,
        case
            when is_active then {{ stored_ratio(safe_divide('conversion_revenue', 'spend')) }}
        end as value_roas
    from {{ ref('mart_entity_daily_metrics') }} as entity_days  -- noqa: AL05
    where
        entity_type in ('client', 'campaign', 'creative')
        {{ intel_scope_filter('entity_days', window) }}  -- noqa: LT02
    {{ evaluate_once() }}
),

{# The window's inputs as plain columns, each computed once: an expression inside a moving
   aggregate is evaluated again each time its row enters and leaves the frame (the rates'
   numeric divisions 7 times a row). #}
squared as (
    select
        daily.*,
        {%- for metric in metrics %}
            value_{{ metric }} * value_{{ metric }} as square_{{ metric }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from daily
    {{ evaluate_once() }}
),

windowed as (
    select
        entity_type,
        entity_id,
        entity_name,
        client_id,
        date_day,
        impressions,
        {%- for metric in metrics %}
            value_{{ metric }},
        {%- endfor %}
        {%- for metric in counted %}
            cast(count(value_{{ metric }}) over baseline as numeric) as days_{{ metric }},
        {%- endfor %}
        {%- for metric in metrics %}
            sum(value_{{ metric }}) over baseline as sum_{{ metric }},
            sum(square_{{ metric }}) over baseline as sumsq_{{ metric }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from squared
    window baseline as (
        partition by entity_type, entity_id
        order by day_number
        range between {{ window }} preceding and 1 preceding
    )
),

{#- a deviation needs two baseline days at least -#}
{%- set min_days = [2, var('anomaly_min_days') | int] | max %}
{%- set z_squared = var('anomaly_z_warning') ~ ' * ' ~ var('anomaly_z_warning') %}

{# Per metric, with n = baseline days, S = sum and Q = sum of squares of the baseline:
      spread = n * Q - S * S  = n (n - 1) * variance   (0 exactly when the baseline is flat)
      gap    = n * value - S  = n * (value - mean)
    so |z| >= w  <=>  gap^2 * (n - 1) >= w^2 * n * spread: the test needs no square root and
    no division, exact in numeric; the mean, deviation and z are computed for flagged rows
    only. The flags, means and z-scores of avg() / stddev_samp() over the frame, the deviation
    exact to its 12th decimal (DECISIONLOG). n - 1 and w^2 * n are computed once per count (the
    counts are numeric already, no conversion per use), and only rows that can be flagged -
    enough volume, anomaly_min_days baseline days - get moments at all. #}
moments as (
    select
        windowed.*,
        {%- for metric in counted %}
            windowed.days_{{ metric }} - 1 as less_one_{{ metric }},
            {{ z_squared }} * windowed.days_{{ metric }} as bound_{{ metric }},
        {%- endfor %}
        {%- for metric in metrics %}
            {%- set days = 'days_' ~ count_of[metric] %}
            {{ days }} * sumsq_{{ metric }} - sum_{{ metric }} * sum_{{ metric }} as spread_{{ metric }},
            {{ days }} * value_{{ metric }} - sum_{{ metric }} as gap_{{ metric }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from windowed
    where
        windowed.impressions >= {{ var('anomaly_min_impressions') }}
        -- every metric's baseline days are at most the active days (days_spend)
        and windowed.days_spend >= {{ min_days }}
        and {{ intel_in_scope('windowed') }}
    {{ evaluate_once() }}
),

{#- Flagged: gap^2 (n - 1) >= w^2 n spread and gap <> 0. With spread > 0 that is the z test
    (gap is not 0 then); with spread = 0 (flat baseline) the inequality always holds, so a
    day that departs from the flat baseline is flagged (pct_change only) and one that does
    not is not. -#}
{%- set flagged = {} %}
{%- for metric in metrics %}
    {%- set count = count_of[metric] %}
    {%- set n, spread, gap = 'days_' ~ count, 'spread_' ~ metric, 'gap_' ~ metric %}
    {%- set condition -%}
        (value_{{ metric }} is not null and {{ n }} >= {{ min_days }} and {{ gap }} <> 0
            and {{ gap }} * {{ gap }} * less_one_{{ count }} >= bound_{{ count }} * {{ spread }})
    {%- endset %}
    {%- do flagged.update({metric: condition}) %}
{%- endfor %}

flags as (
    select
        moments.*,
        {%- for metric in metrics %}
            {{ flagged[metric] }} as is_flagged_{{ metric }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from moments
    {{ evaluate_once() }}
),

any_flag as (
    select flags.*
    from flags
    where
        {%- for metric in metrics %}
            flags.is_flagged_{{ metric }}{% if not loop.last %} or{% endif %}
        {%- endfor %}
),

unpivoted as (
    {%- for metric in metrics %}
        {%- set n = 'days_' ~ count_of[metric] %}
        select
            entity_type,
            entity_id,
            entity_name,
            client_id,
            date_day,
            impressions as day_impressions,
            cast('{{ metric }}' as {{ dbt.type_string() }}) as metric_name,
            value_{{ metric }} as metric_value,
            sum_{{ metric }} / {{ n }} as baseline_mean,
            sqrt(spread_{{ metric }} / ({{ n }} * less_one_{{ count_of[metric] }})) as baseline_stddev,
            {{ n }} as baseline_days
        from any_flag
        where is_flagged_{{ metric }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

scored as (
    select
        unpivoted.*,
        case
            when
                unpivoted.baseline_stddev > 0
                then (unpivoted.metric_value - unpivoted.baseline_mean) / unpivoted.baseline_stddev
        end as raw_z_score
    from unpivoted
)

select
    client_id,
    entity_type,
    entity_id,
    entity_name,
    date_day,
    metric_name,
    cast(metric_value as numeric(38, 12)) as metric_value,
    cast(round(baseline_mean, 12) as numeric(38, 12)) as baseline_mean,
    cast(round(baseline_stddev, 12) as numeric(38, 12)) as baseline_stddev,
    cast(baseline_days as integer) as baseline_days,
    cast(round(raw_z_score, 4) as numeric(18, 4)) as z_score,
    cast(
        round({{ safe_divide('metric_value - baseline_mean', 'baseline_mean') }}, 6)
        as numeric(24, 6)
    ) as pct_change,
    case
        when metric_value > baseline_mean then 'up'
        when metric_value < baseline_mean then 'down'
        else 'flat'
    end as direction,
    case
        when raw_z_score is null then null
        when abs(raw_z_score) >= {{ var('anomaly_z_critical') }} then 'critical'
        when abs(raw_z_score) >= {{ var('anomaly_z_warning') }} then 'warning'
    end as severity,
    cast(day_impressions as {{ dbt.type_bigint() }}) as day_impressions,
    {{ intel_build_stamp() }} as dbt_updated_at
from scored
