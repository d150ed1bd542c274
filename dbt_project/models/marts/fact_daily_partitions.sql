{{ config(indexes=table_indexes([{'columns': ['client_id', 'date_day']}])) }}

{#- One row per client x source x day present in fact_daily_metrics: what each partition holds
    and its input fingerprint. Downstream incremental marts compare these fingerprints to
    find the client-days to rebuild; mart_data_coverage reads presence from here. -#}

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
