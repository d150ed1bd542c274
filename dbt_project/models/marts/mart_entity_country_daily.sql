{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['client_id', 'date_day'],
        on_schema_change='fail',
        pre_hook="{{ replace_changed_partitions(
            country_changed_client_days_sql(this), ['client_id', 'date_day']) }}",
        indexes=[
            {'columns': ['entity_type', 'entity_id', 'date_day', 'country_code']},
            {'columns': ['client_id', 'date_day']},
        ],
    )
}}

{#- Per entity (client, campaign, strategy, placement, creative), day and country, for
    client-days where a source reports geography. country_code 'ALL' is the entity-day total
    (equal to mart_entity_daily_metrics); 'ZZ' holds the part of it without a country (sources
    that report no geography, rows without one), so the countries of an entity-day add up to
    ALL. Entity-days without any real country are left out. Incremental by client-day. -#}

with geo_days as (
    select client_id, date_day
    from {{ ref('fact_daily_partitions') }}
    group by client_id, date_day
    having sum(geo_source_rows) > 0
),

scope as (
    select geo_days.client_id, geo_days.date_day
    from geo_days
    {% if is_incremental() %}
        inner join {{ changed_partitions_table() }} as changed
            on geo_days.client_id = changed.client_id and geo_days.date_day = changed.date_day
    {% endif %}
),

valid_rows as (
    select
        priced.*,
        coalesce(priced.country_code, 'ZZ') as country
    from {{ ref('int_daily_performance__priced') }} as priced
    inner join scope
        on priced.client_id = scope.client_id and priced.date_day = scope.date_day
    where priced.is_valid
),

by_country as (
    {%- for level in entity_levels() %}
        select
            '{{ level.type }}'::text as entity_type,
            {{ level.id }}::text as entity_id,
            client_id,
            date_day,
            country as country_code,
            sum(impressions) as impressions,
            sum(clicks) as clicks,
            sum(conversions) as conversions,
            sum(conversion_revenue) as conversion_revenue,
            sum(media_cost) as media_cost,
            sum(spend) as spend,
            sum(video_starts) as video_starts,
            sum(video_completions) as video_completions
        from valid_rows
        group by {{ level.id }}, client_id, date_day, country
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

with_geography as (
    select entity_type, entity_id, date_day
    from by_country
    where country_code <> 'ZZ'
    group by entity_type, entity_id, date_day
),

kept as (
    select by_country.*
    from by_country
    inner join with_geography
        on
            by_country.entity_type = with_geography.entity_type
            and by_country.entity_id = with_geography.entity_id
            and by_country.date_day = with_geography.date_day
),

with_totals as (
    select * from kept
    union all
    select
        entity_type,
        entity_id,
        client_id,
        date_day,
        'ALL' as country_code,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversion_revenue) as conversion_revenue,
        sum(media_cost) as media_cost,
        sum(spend) as spend,
        sum(video_starts) as video_starts,
        sum(video_completions) as video_completions
    from kept
    group by entity_type, entity_id, client_id, date_day
),

entities as (
    {{ entities_sql() }}
),

day_fingerprints as (
    {{ client_day_fingerprints_sql() }}
),

measured as (
    select
        with_totals.entity_type,
        with_totals.entity_id,
        entities.entity_name,
        with_totals.client_id,
        entities.source,
        entities.campaign_key,
        entities.campaign_name,
        entities.strategy_key,
        entities.strategy_name,
        entities.placement_key,
        entities.placement_name,
        with_totals.date_day,
        with_totals.country_code,
        with_totals.impressions::bigint as impressions,
        with_totals.clicks::bigint as clicks,
        with_totals.conversions::numeric(38, 12) as conversions,
        with_totals.conversion_revenue::numeric(38, 12) as conversion_revenue,
        with_totals.media_cost::numeric(38, 12) as media_cost,
        with_totals.spend::numeric(38, 12) as spend,
        with_totals.video_starts::bigint as video_starts,
        with_totals.video_completions::bigint as video_completions
    from with_totals
    inner join entities
        on
            with_totals.entity_type = entities.entity_type
            and with_totals.entity_id = entities.entity_id
)

select
    measured.*,
    {{ ratio_columns('measured.') }},
    day_fingerprints.day_fingerprint,
    '{{ run_started_at.isoformat() }}'::timestamptz as dbt_updated_at
from measured
left join day_fingerprints
    on
        measured.client_id = day_fingerprints.client_id
        and measured.date_day = day_fingerprints.date_day
