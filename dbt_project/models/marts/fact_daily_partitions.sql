{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(log_position_state_sql('fact_daily_metrics'),
            without_retired(logged_changes_sql('fact_daily_metrics',
                'select client_id, source, date_day from ' ~ this)),
            ['client_id', 'source', 'date_day']) }}",
        post_hook="{{ incremental_end(incremental_partition_columns()['fact_daily_partitions']) }}",
        indexes=table_indexes([{'columns': ['client_id', 'source', 'date_day'], 'unique': true}]),
    )
}}

{#- One row per client x source x day present in fact_daily_metrics: what each partition
    holds. mart_data_coverage reads presence from here. Incremental: rebuilds the partitions
    fact_daily_metrics logged as rebuilt since this model's last build (docs/incremental.md);
    a Meta load changes the country breakdown and the ad rows of the same partitions, so it
    is logged there too. -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired() %}
-- (the linter cannot place Jinja indents inside a call block)
-- noqa: disable=LT02
with partitions as (
    select
        fact.client_id,
        fact.source,
        fact.date_day,
        count(*) as fact_rows,
        sum(fact.source_row_count) as source_rows,
        sum(fact.geo_source_row_count) as geo_source_rows,
        sum(fact.impressions) as impressions,
        sum(fact.spend)::numeric(38, 12) as spend,
        max(fact.dbt_updated_at) as fact_updated_at
    from {{ ref('fact_daily_metrics') }} as fact
    {% if is_incremental() %}
        where {{ in_changed_partitions('fact', ['client_id', 'source', 'date_day']) }}
    {% endif %}
    group by fact.client_id, fact.source, fact.date_day
),

-- a source's country breakdown of its fact rows (Meta's ad x day x country rows) counts as
-- geography rows of the partition too
{%- set changed_days = in_values('country_rows.date_day', 'select distinct changed.date_day from '
    ~ changed_partitions_table() ~ ' as changed') if is_incremental() else none %}
breakdowns as (
    {{ country_row_counts__meta(changed_days) }}
)

select
    partitions.client_id,
    partitions.source,
    partitions.date_day,
    partitions.fact_rows,
    partitions.source_rows,
    partitions.geo_source_rows + coalesce(breakdowns.country_rows, 0) as geo_source_rows,
    partitions.impressions,
    partitions.spend,
    partitions.fact_updated_at
from partitions
left join breakdowns
    on
        partitions.client_id = breakdowns.client_id
        and partitions.source = breakdowns.source
        and partitions.date_day = breakdowns.date_day
{% endcall %}
