{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(raw_state_sql(),
            without_retired(raw_changed_partitions_sql(this) ~ ' union ' ~ lookback_partitions_sql(this)),
            ['client_id', 'source', 'date_day']) }}",
        post_hook="{{ incremental_end(incremental_partition_columns()['fact_daily_metrics']) }}",
        indexes=table_indexes([
            {'columns': ['client_id', 'date_day']},
            {'columns': ['creative_key', 'date_day']},
            {'columns': ['date_day']},
        ]),
    )
}}

{#- One row per client x source x day x creative (the creative key carries the hierarchy).
    Only rows that pass every error-level rule; the others are in dq_quarantine.
    Incremental: the pre-hook finds the client x source x day partitions whose raw inputs
    changed since the last build (load-id watermarks, seeds, catalog) plus the trailing
    lookback_days, and deletes them; this rebuilds them (macros/incremental_partitions.sql). -#}

{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired() %}
-- (the linter cannot place Jinja indents inside a call block)
-- noqa: disable=LT02
with upstream as (
    select priced.*
    from {{ ref('int_daily_performance__priced') }} as priced
    {% if is_incremental() %}
        where {{ in_changed_partitions('priced', ['client_id', 'source', 'date_day']) }}
    {% endif %}
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
    '{{ run_started_at.isoformat() }}'::timestamptz as dbt_updated_at
from aggregated
{% endcall %}
