{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ incremental_begin(log_position_state_sql('fact_daily_metrics'),
        without_retired(logged_changes_sql('fact_daily_metrics',
            'select client_id, null, date_day from ' ~ this, source='bidder'), by_source=false),
        ['client_id', 'date_day']) }}",
    post_hook=[
        "{{ incremental_end(incremental_partition_columns()['mart_creative_geo_device_daily']) }}",
        "{% if not is_incremental() %}{{ analyze_relation(this) }}{% endif %}",
    ],
    indexes=table_indexes([
        {'columns': ['creative_id', 'date_day']},
        {'columns': ['client_id', 'date_day']},
        {'columns': ['campaign_key', 'date_day']},
        {'columns': ['date_day']},
    ]),
) }}

{#- Bidder measures per creative x day x country x device, summed over hours. country_code /
    device_type NULL = the creative-day was not broken down by them. A full build stores the
    rows in creative_id, date_day order so one creative's days sit together on disk
    (per-creative lookups read few pages), and analyzes them right after so the first queries
    get index plans. Incremental: rebuilds the bidder client-days fact_daily_metrics rebuilt
    (docs/incremental.md). -#}
-- depends_on: {{ ref('fact_daily_metrics') }}
{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired(source="'bidder'") %}
-- (the linter cannot place Jinja indents inside a call block)
-- noqa: disable=LT02
with detail as (
    select detail.*
    from {{ ref('int_bidder__creative_detail') }} as detail
    {% if is_incremental() %}
        where {{ in_changed_partitions('detail', ['client_id', 'date_day']) }}
    {% endif %}
),

aggregated as (
    select
        client_id,
        creative_id,
        date_day,
        country_code,
        device_type,
        client_key,
        campaign_key,
        campaign_name,
        creative_key,
        creative_name,
        sum(impressions)::bigint as impressions,
        sum(clicks)::bigint as clicks,
        sum(media_cost)::numeric(38, 12) as media_cost,
        sum(spend)::numeric(38, 12) as spend,
        count(distinct hour)::integer as hours_reported,
        count(*) as source_row_count,
        max(loaded_at) as last_loaded_at
    from detail
    group by
        client_id, creative_id, date_day, country_code, device_type, client_key, campaign_key,
        campaign_name, creative_key, creative_name
)

select
    {{ surrogate_key(['client_id', 'creative_id', 'date_day', 'country_code', 'device_type']) }}
        as creative_geo_device_day_id,
    client_id,
    creative_id,
    date_day,
    country_code,
    device_type,
    client_key,
    campaign_key,
    campaign_name,
    creative_key,
    creative_name,
    impressions,
    clicks,
    media_cost,
    spend,
    {{ stored_ratio(safe_divide('clicks', 'impressions')) }} as ctr,
    {{ stored_ratio(safe_divide('spend', 'clicks')) }} as cpc,
    {{ stored_ratio(safe_divide('spend', 'impressions') ~ ' * 1000') }} as cpm,
    hours_reported,
    source_row_count,
    last_loaded_at
from aggregated
order by creative_id, date_day
{% endcall %}
