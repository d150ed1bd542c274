{{ config(
    indexes=table_indexes([
        {'columns': ['creative_id', 'date_day']},
        {'columns': ['client_id', 'date_day']},
        {'columns': ['campaign_key', 'date_day']},
    ]),
    post_hook="{{ analyze_relation(this) }}",
) }}

{#- Bidder measures per creative x day x country x device, summed over hours. country_code /
    device_type NULL = the creative-day was not broken down by them. Stored in creative_id,
    date_day order so one creative's days sit together on disk (per-creative lookups read few
    pages), and analyzed right after the build so the first queries get index plans. -#}
{#- retired partitions stay as they were (macros/retention.sql) -#}
{%- call keep_retired(source="'bidder'") %}
with aggregated as (
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
    from {{ ref('int_bidder__creative_detail') }}
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
