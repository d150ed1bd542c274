{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['client_id', 'source', 'date_day'],
        on_schema_change='fail',
        pre_hook="{{ replace_changed_partitions(
            without_retired(changed_partitions_sql(ref('int_daily_performance__priced'), this)),
            ['client_id', 'source', 'date_day']) }}",
        indexes=table_indexes([
            {'columns': ['client_id', 'date_day']},
            {'columns': ['creative_key', 'date_day']},
            {'columns': ['date_day']},
        ]),
    )
}}

{#- One row per client x source x day x creative (the creative key carries the hierarchy).
    Only rows that pass every error-level rule; the others are in dq_quarantine.
    Incremental: rebuilds whole client x source x day partitions whose inputs changed, plus
    the trailing lookback_days (macros/incremental_partitions.sql). -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired() %}
with upstream as (
    select priced.*
    from {{ ref('int_daily_performance__priced') }} as priced
    {% if is_incremental() %}
        where
            (priced.client_id, priced.source, priced.date_day) in (
                select changed.client_id, changed.source, changed.date_day
                from {{ changed_partitions_table() }} as changed
            )
            -- the day range is a plain filter the planner pushes into every staging view
            and priced.date_day >= (
                select min(changed.date_day) from {{ changed_partitions_table() }} as changed
            )
            and priced.date_day <= (
                select max(changed.date_day) from {{ changed_partitions_table() }} as changed
            )
    {% endif %}
),

fingerprints as (
    {{ partition_fingerprint_sql('upstream') }}
),

aggregated as (
    select
        client_id,
        source,
        date_day,
        client_key,
        campaign_key,
        campaign_name,
        strategy_key,
        strategy_name,
        placement_key,
        placement_name,
        creative_key,
        creative_name,
        {{ summed_measures(typed=true) }},
        max(currency_code) as currency_code,
        max(spend_basis) as spend_basis,
        max(cpm_rate) as cpm_rate,
        max(cpm_rate_source) as cpm_rate_source,
        count(*) as source_row_count,
        count(case when country_code is not null then 1 end) as geo_source_row_count,
        max(loaded_at) as last_loaded_at
    from upstream
    where is_valid
    group by
        client_id, source, date_day, client_key, campaign_key, campaign_name, strategy_key,
        strategy_name, placement_key, placement_name, creative_key, creative_name
)

select
    {{ surrogate_key(['aggregated.client_id', 'aggregated.source', 'aggregated.date_day',
                      'aggregated.creative_key']) }} as fact_id,
    aggregated.*,
    {{ ratio_columns('aggregated.') }},
    fingerprints.partition_fingerprint,
    '{{ run_started_at.isoformat() }}'::timestamptz as dbt_updated_at
from aggregated
inner join fingerprints
    on
        aggregated.client_id = fingerprints.client_id
        and aggregated.source = fingerprints.source
        and aggregated.date_day = fingerprints.date_day
{% endcall %}
