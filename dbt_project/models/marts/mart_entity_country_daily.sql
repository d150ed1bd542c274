{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(log_position_state_sql('fact_daily_metrics'),
            without_retired(logged_changes_sql('fact_daily_metrics',
                'select client_id, null, date_day from ' ~ this), by_source=false),
            ['client_id', 'date_day']) }}",
        post_hook="{{ incremental_end(incremental_partition_columns()['mart_entity_country_daily']) }}",
        indexes=table_indexes([
            {'columns': ['entity_type', 'entity_id', 'date_day', 'country_code']},
            {'columns': ['client_id', 'date_day']},
        ]),
    )
}}

{#- Per entity (client, campaign, strategy, placement, creative), day and country, for
    client-days where a source reports geography. country_code 'ALL' is the entity-day total
    from fact_daily_metrics (equal to mart_entity_daily_metrics); 'ZZ' is the part of it no
    country covers (sources without geography, rows without one), so the countries of an
    entity-day add up to ALL. Entity-days without any country are left out. Incremental by
    client-day: rebuilds the client-days fact_daily_metrics rebuilt (docs/incremental.md). -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired(source=none) %}
-- (the linter cannot place Jinja indents inside a call block)
-- noqa: disable=LT02
with scope as (
    select partitions.client_id, partitions.date_day
    from {{ ref('fact_daily_partitions') }} as partitions
    {% if is_incremental() %}
        where {{ in_changed_partitions('partitions', ['client_id', 'date_day']) }}
    {% endif %}
    group by partitions.client_id, partitions.date_day
    having sum(partitions.geo_source_rows) > 0
),

-- Rows with a country, computed once: sources that report no geography have a constant NULL
-- country_code, so the planner drops them here. Filtering by validity and scope only after
-- materialising keeps the planner from nested loops over the staging views (it cannot
-- estimate the validity rules and would expect a handful of rows).
geo_rows as materialized (
    select
        priced.client_id,
        priced.date_day,
        priced.campaign_key,
        priced.strategy_key,
        priced.placement_key,
        priced.creative_key,
        priced.country_code,
        priced.is_valid,
        priced.impressions,
        priced.clicks,
        priced.conversions,
        priced.conversion_revenue,
        priced.media_cost,
        priced.spend,
        priced.video_starts,
        priced.video_completions,
        priced.trials,
        priced.purchases
    from {{ ref('int_daily_performance__priced') }} as priced
    {% if is_incremental() %}
        where
            priced.country_code is not null
            and {{ in_values('priced.date_day', 'select distinct changed.date_day from '
                ~ changed_partitions_table() ~ ' as changed') }}
    {% else %}
        where priced.country_code is not null
    {% endif %}
    union all
    -- Meta's ad x day x country rows: a country breakdown of its fact rows
    {%- set changed_days = in_values('country_rows.date_day', 'select distinct changed.date_day from '
        ~ changed_partitions_table() ~ ' as changed') if is_incremental() else none %}
    select meta_countries.*
    from ({{ country_rows__meta(ref('fact_daily_metrics'), changed_days) }}) as meta_countries
),

-- the entity-day totals, from the fact: what the geography rows do not cover becomes ZZ
day_totals as (
    select fact.*
    from {{ ref('fact_daily_metrics') }} as fact
    inner join scope
        on fact.client_id = scope.client_id and fact.date_day = scope.date_day
),

valid_rows as (
    select
        geo_rows.*,
        geo_rows.country_code as country
    from geo_rows
    inner join scope
        on geo_rows.client_id = scope.client_id and geo_rows.date_day = scope.date_day
    where geo_rows.is_valid
),

by_country as (
    {%- for level in entity_levels() %}
        select
            '{{ level.type }}'::text as entity_type,
            {{ level.id }}::text as entity_id,
            client_id,
            date_day,
            country as country_code,
            {{ summed_measures() }}
        from valid_rows
        group by {{ level.id }}, client_id, date_day, country
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

totals as (
    {%- for level in entity_levels() %}
        select
            '{{ level.type }}'::text as entity_type,
            {{ level.id }}::text as entity_id,
            client_id,
            date_day,
            'ALL'::text as country_code,
            {{ summed_measures() }}
        from day_totals
        group by {{ level.id }}, client_id, date_day
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

country_sums as (
    select
        entity_type,
        entity_id,
        date_day,
        {{ summed_measures() }}
    from by_country
    group by entity_type, entity_id, date_day
),

-- entity-days with geography: their ALL row, and ZZ for what the countries do not cover
kept_totals as (
    select totals.*
    from totals
    inner join country_sums
        on
            totals.entity_type = country_sums.entity_type
            and totals.entity_id = country_sums.entity_id
            and totals.date_day = country_sums.date_day
),

unknown_country as (
    select
        totals.entity_type,
        totals.entity_id,
        totals.client_id,
        totals.date_day,
        'ZZ'::text as country_code,
        {%- for measure in additive_measures() %}
            totals.{{ measure }} - coalesce(country_sums.{{ measure }}, 0) as {{ measure }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from kept_totals as totals
    inner join country_sums
        on
            totals.entity_type = country_sums.entity_type
            and totals.entity_id = country_sums.entity_id
            and totals.date_day = country_sums.date_day
    where
        false
        {%- for measure in additive_measures() %}
            or totals.{{ measure }} is distinct from country_sums.{{ measure }}
        {%- endfor %}
),

with_totals as (
    select * from by_country
    union all
    select * from kept_totals
    union all
    select * from unknown_country
),

entities as (
    {{ entities_sql() }}
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
        with_totals.video_completions::bigint as video_completions,
        with_totals.trials::numeric(38, 12) as trials,
        with_totals.purchases::numeric(38, 12) as purchases
    from with_totals
    inner join entities
        on
            with_totals.entity_type = entities.entity_type
            and with_totals.entity_id = entities.entity_id
)

select
    measured.*,
    {{ ratio_columns('measured.') }},
    '{{ run_started_at.isoformat() }}'::timestamptz as dbt_updated_at
from measured
{% endcall %}
