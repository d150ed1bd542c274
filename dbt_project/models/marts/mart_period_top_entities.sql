{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(log_position_state_sql('mart_entity_daily_metrics'),
            changed_periods_sql('mart_entity_daily_metrics', this),
            ['client_id', 'period_type', 'period_start']) }}",
        post_hook="{{ incremental_end() }}",
        indexes=table_indexes([{'columns': ['client_id', 'period_type', 'period_start']}]),
    )
}}

{#- Per client and period (ISO week, calendar month): the top campaigns by conversions and by
    revenue, and the top creatives by conversions, as ranked rows (var top_entities, 5).
    Only entities with a positive figure rank; ties go to the name, then the key, so ranks
    are stable between builds. Incremental by client and period: the periods holding a
    client-day mart_entity_daily_metrics rebuilt are ranked again (docs/incremental.md). -#}

with period_totals as (
    {%- for period in period_types() %}
        select
            '{{ period.type }}'::text as period_type,
            entity_days.entity_type,
            entity_days.entity_id,
            max(entity_days.entity_name) as entity_name,
            entity_days.client_id,
            max(entity_days.source) as source,
            max(entity_days.campaign_name) as campaign_name,
            {{ period_start(period.type, 'entity_days.date_day') }} as period_start,
            sum(entity_days.impressions)::bigint as impressions,
            sum(entity_days.clicks)::bigint as clicks,
            sum(entity_days.conversions)::numeric(38, 12) as conversions,
            sum(entity_days.conversion_revenue)::numeric(38, 12) as conversion_revenue,
            sum(entity_days.spend)::numeric(38, 12) as spend
        -- (the incremental join renders at other indents than written: the linter sees it
        -- only on a built warehouse)
        -- noqa: disable=LT02
        from {{ ref('mart_entity_daily_metrics') }} as entity_days
        {%- if is_incremental() %}
            inner join {{ changed_partitions_table() }} as changed
                on
                    entity_days.client_id = changed.client_id
                    and changed.period_type = '{{ period.type }}'
                    and entity_days.date_day >= changed.period_start
                    and entity_days.date_day < {{ dbt.dateadd(period.type, 1, 'changed.period_start') }}
        {%- endif %}
        -- noqa: enable=LT02
        where entity_days.entity_type in ('campaign', 'creative')
        group by
            entity_days.entity_type,
            entity_days.entity_id,
            entity_days.client_id,
            {{ period_start(period.type, 'entity_days.date_day') }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

rankings as (
    {%- set rankings = [
        {'name': 'campaigns_by_conversions', 'level': 'campaign', 'metric': 'conversions'},
        {'name': 'campaigns_by_revenue', 'level': 'campaign', 'metric': 'conversion_revenue'},
        {'name': 'creatives_by_conversions', 'level': 'creative', 'metric': 'conversions'},
    ] %}
    {%- for ranking in rankings %}
        select
            period_totals.*,
            '{{ ranking.name }}'::text as ranking,
            '{{ ranking.metric }}'::text as ranked_by,
            period_totals.{{ ranking.metric }} as ranked_value
        from period_totals
        where period_totals.entity_type = '{{ ranking.level }}'
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

ranked as (
    select
        rankings.*,
        row_number() over (
            partition by
                rankings.client_id,
                rankings.period_type,
                rankings.period_start,
                rankings.ranking
            order by rankings.ranked_value desc, rankings.entity_name asc, rankings.entity_id asc
        ) as rank
    from rankings
    where rankings.ranked_value > 0
)

select
    client_id,
    period_type,
    period_start,
    case period_type
        {%- for period in period_types() %}
            when '{{ period.type }}' then {{ period_end(period.type, 'period_start') }}
        {%- endfor %}
    end as period_end,
    ranking,
    rank,
    entity_type,
    entity_id,
    entity_name,
    source,
    campaign_name,
    ranked_by,
    ranked_value::numeric(38, 12) as ranked_value,
    impressions,
    clicks,
    conversions,
    conversion_revenue,
    spend,
    {{ stored_ratio(safe_divide('clicks', 'impressions')) }} as ctr
from ranked
where rank <= {{ var('top_entities') | int }}
