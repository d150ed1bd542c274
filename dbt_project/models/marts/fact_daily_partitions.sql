{{ config(indexes=table_indexes([{'columns': ['client_id', 'date_day']}])) }}

{#- One row per client x source x day present in fact_daily_metrics: what each partition holds
    and its input fingerprint. Downstream incremental marts compare these fingerprints to
    find the client-days to rebuild; mart_data_coverage reads presence from here. -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired() %}
with partitions as (
    select
        client_id,
        source,
        date_day,
        max(partition_fingerprint) as partition_fingerprint,
        count(*) as fact_rows,
        sum(source_row_count) as source_rows,
        sum(geo_source_row_count) as geo_source_rows,
        sum(impressions) as impressions,
        sum(spend)::numeric(38, 12) as spend,
        max(dbt_updated_at) as fact_updated_at
    from {{ ref('fact_daily_metrics') }}
    group by client_id, source, date_day
),

-- a source's country breakdown of its fact rows (Meta's ad x day x country rows) counts as
-- geography rows of the partition too
breakdowns as (
    {{ country_row_counts__meta() }}
)

select
    partitions.client_id,
    partitions.source,
    partitions.date_day,
    partitions.partition_fingerprint,
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
