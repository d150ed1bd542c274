{#- Reporting periods. Weeks are ISO weeks (Monday to Sunday, dbt.date_trunc('week')),
    months are calendar months. A period's type is also its date part. -#}
{% macro period_types() -%}
    {{ return([{'type': 'week'}, {'type': 'month'}]) }}
{%- endmacro %}

{#- First day of the `period` (week, month) holding `day`. -#}
{% macro period_start(period, day) -%}
    cast({{ dbt.date_trunc(period, day) }} as date)
{%- endmacro %}

{#- Last day of the `period` holding `day`. -#}
{% macro period_end(period, day) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd(period, 1, dbt.date_trunc(period, day))) }} as date)
{%- endmacro %}

{#- Measures and ratios a period summary compares with the previous period. -#}
{% macro delta_metrics() -%}
    {{ return(['impressions', 'clicks', 'conversions', 'conversion_revenue', 'spend',
               'ctr', 'cpc', 'cpm', 'cpa', 'roas']) }}
{%- endmacro %}

{#- Per-client period summary from the client rows of mart_entity_daily_metrics: measures,
    ratios from sums, and for each of delta_metrics() the previous period's value, the
    absolute change and the relative change (NULL without a previous period, or when the
    previous value is 0). -#}
{% macro client_period_summary(period) -%}
    with days as (
        select *
        from {{ ref('mart_entity_daily_metrics') }}
        where entity_type = 'client'
    ),

    periods as (
        select
            client_id,
            max(entity_name) as client_name,
            {{ period_start(period, 'date_day') }} as period_start,
            {{ period_end(period, 'date_day') }} as period_end,
            count(*) as days_covered,
            count(case when is_active then 1 end) as active_days,
            {{ summed_measures(typed=true) }}
        from days
        group by client_id, {{ period_start(period, 'date_day') }}, {{ period_end(period, 'date_day') }}
    ),

    with_ratios as (
        select
            periods.*,
            {{ ratio_columns('periods.') }}
        from periods
    ),

    with_previous as (
        select
            with_ratios.*,
            lag(period_start) over client_periods as previous_period_start
            {%- for metric in delta_metrics() %},
            lag({{ metric }}) over client_periods as {{ metric }}_previous
            {%- endfor %}
        from with_ratios
        window client_periods as (partition by client_id order by period_start)
    )

    select
        client_id,
        client_name,
        period_start,
        period_end,
        days_covered,
        active_days,
        days_covered = {{ dbt.datediff('period_start', 'period_end', 'day') }} + 1 as is_complete,
        impressions,
        clicks,
        conversions,
        conversion_revenue,
        media_cost,
        spend,
        video_starts,
        video_completions,
        ctr,
        cpc,
        cpm,
        cpa,
        roas,
        vcr
        {%- for metric in delta_metrics() %}
        {%- set value_type = measure_type(metric) if metric in additive_measures() else 'numeric(38, 12)' %}
        {%- set follows = 'previous_period_start = cast(' ~ dbt.dateadd(period, -1, 'period_start') ~ ' as date)' %},
        cast(case when {{ follows }} then {{ metric }}_previous end as {{ value_type }})
            as {{ metric }}_previous,
        cast(case when {{ follows }} then {{ metric }} - {{ metric }}_previous end as {{ value_type }})
            as {{ metric }}_delta,
        cast(
            case when {{ follows }}
                then {{ safe_divide(metric ~ ' - ' ~ metric ~ '_previous', metric ~ '_previous') }}
            end as numeric(38, 12)
        ) as {{ metric }}_delta_pct
        {%- endfor %}
    from with_previous
{%- endmacro %}
