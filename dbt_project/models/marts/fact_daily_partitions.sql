{{ config(indexes=[{'columns': ['client_id', 'date_day']}]) }}

{#- One row per client x source x day present in fact_daily_metrics: what each partition holds
    and its input fingerprint. Downstream incremental marts compare these fingerprints to
    find the client-days to rebuild; mart_data_coverage reads presence from here. -#}

-- geography rows: the fact's own (rows with a country) and a source's country breakdown of
-- its fact rows (Meta's ad x day x country rows)
with breakdowns as (
    {{ country_row_counts__meta() }}
)

select
    fact.client_id,
    fact.source,
    fact.date_day,
    max(fact.partition_fingerprint) as partition_fingerprint,
    count(*) as fact_rows,
    sum(fact.source_row_count) as source_rows,
    sum(fact.geo_source_row_count) + coalesce(max(breakdowns.country_rows), 0) as geo_source_rows,
    sum(fact.impressions) as impressions,
    sum(fact.spend)::numeric(38, 12) as spend,
    max(fact.dbt_updated_at) as fact_updated_at
from {{ ref('fact_daily_metrics') }} as fact
left join breakdowns
    on
        fact.client_id = breakdowns.client_id
        and fact.source = breakdowns.source
        and fact.date_day = breakdowns.date_day
group by fact.client_id, fact.source, fact.date_day
