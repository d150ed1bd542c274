{#- Reporting periods. Weeks are ISO weeks (Monday to Sunday, date_trunc('week')), months
    are calendar months. -#}
{% macro period_types() -%}
    {{ return([
        {'type': 'week', 'trunc': 'week', 'length': "interval '1 week'"},
        {'type': 'month', 'trunc': 'month', 'length': "interval '1 month'"},
    ]) }}
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
{% macro client_period_summary(trunc, length) -%}
    with days as (
        select *
        from {{ ref('mart_entity_daily_metrics') }}
        where entity_type = 'client'
    ),

    periods as (
        select
            client_id,
            max(entity_name) as client_name,
            date_trunc('{{ trunc }}', date_day)::date as period_start,
            (date_trunc('{{ trunc }}', date_day) + {{ length }} - interval '1 day')::date
                as period_end,
            count(*) as days_covered,
            count(*) filter (where is_active) as active_days,
            sum(impressions)::bigint as impressions,
            sum(clicks)::bigint as clicks,
            sum(conversions)::numeric(38, 12) as conversions,
            sum(conversion_revenue)::numeric(38, 12) as conversion_revenue,
            sum(media_cost)::numeric(38, 12) as media_cost,
            sum(spend)::numeric(38, 12) as spend,
            sum(video_starts)::bigint as video_starts,
            sum(video_completions)::bigint as video_completions
        from days
        group by client_id, date_trunc('{{ trunc }}', date_day)
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
        days_covered = (period_end - period_start + 1) as is_complete,
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
        {%- set value_type = 'bigint' if metric in ['impressions', 'clicks'] else 'numeric(38, 12)' %},
        (case when previous_period_start = (period_start - {{ length }})::date
            then {{ metric }}_previous
        end)::{{ value_type }} as {{ metric }}_previous,
        (case when previous_period_start = (period_start - {{ length }})::date
            then {{ metric }} - {{ metric }}_previous
        end)::{{ value_type }} as {{ metric }}_delta,
        (case when previous_period_start = (period_start - {{ length }})::date
            then {{ safe_divide(metric ~ ' - ' ~ metric ~ '_previous', metric ~ '_previous') }}
        end)::numeric(38, 12) as {{ metric }}_delta_pct
        {%- endfor %}
    from with_previous
{%- endmacro %}
