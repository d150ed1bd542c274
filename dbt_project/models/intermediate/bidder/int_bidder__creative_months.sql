{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ incremental_begin(log_position_state_sql('mart_creative_geo_device_daily'),
            changed_months_sql('mart_creative_geo_device_daily', this),
            ['client_id', 'month_start']) }}",
        post_hook="{{ incremental_end() }}",
        indexes=[{'columns': ['client_id', 'month_start']}],
    )
}}

{#- Bidder measures per creative and calendar month (hierarchy names as in
    mart_creative_geo_device_daily), so the as-of marts read all-time figures from a row per
    creative and month instead of every day of history. Incremental by client and month: the
    months holding a client-day mart_creative_geo_device_daily rebuilt (docs/incremental.md). -#}

select
    days.client_id,
    days.creative_id,
    {{ dbt.cast(dbt.date_trunc('month', 'days.date_day'), 'date') }} as month_start,
    days.client_key,
    days.campaign_key,
    days.campaign_name,
    days.creative_key,
    days.creative_name,
    sum(days.impressions)::bigint as impressions,
    sum(days.clicks)::bigint as clicks,
    sum(days.spend)::numeric(38, 12) as spend,
    min(days.date_day) as first_date,
    max(days.date_day) as last_date,
    max(days.last_loaded_at) as last_loaded_at
from {{ ref('mart_creative_geo_device_daily') }} as days
{% if is_incremental() %}
    inner join {{ changed_partitions_table() }} as changed
        on
            days.client_id = changed.client_id
            and days.date_day >= changed.month_start
            and days.date_day < {{ dbt.dateadd('month', 1, 'changed.month_start') }}
{% endif %}
group by
    days.client_id,
    days.creative_id,
    {{ dbt.date_trunc('month', 'days.date_day') }},
    days.client_key,
    days.campaign_key,
    days.campaign_name,
    days.creative_key,
    days.creative_name
