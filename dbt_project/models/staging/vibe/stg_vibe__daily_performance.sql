{#- Vibe CTV report rows in the common shape, flagged with the validation rules.
    CTV has no clicks (0); purchases are the conversions and may exceed clicks (view-through).
    Vibe's own spend is media_cost (spend itself is CPM-billed downstream). Every CTV
    impression is a video ad start, so video_starts = impressions and vcr matches Vibe's
    view-through rate. Blank metric cells count as 0. -#}
with source_rows as (
    select raw_rows.* from {{ source_or_empty('vibe', 'daily_performance') }} as raw_rows
),

standardised as (
    select
        'vibe'::text as source,
        client_id,
        report_date,
        report_start_date,
        report_end_date,
        impression_date as date_day,
        nullif(trim(campaign_name), '') as campaign_name,
        nullif(trim(strategy_name), '') as strategy_name,
        nullif(trim(channel_name), '') as placement_name,
        nullif(trim(creative_name), '') as creative_name,
        coalesce(impressions, 0)::bigint as impressions,
        0::bigint as clicks,
        coalesce(number_of_purchases, 0)::numeric(38, 12) as conversions,
        coalesce(amount_of_purchases, 0)::numeric(38, 12) as conversion_revenue,
        coalesce(spend, 0)::numeric(38, 12) as media_cost,
        'USD'::text as currency_code,
        coalesce(impressions, 0)::bigint as video_starts,
        coalesce(completed_views, 0)::bigint as video_completions,
        null::text as country_code,
        null::text as device_type,
        'vibe://' || advertiser_id || '/reports/' || report_id || '.csv' as source_file,
        source_row_number,
        _dlt_load_id as load_id,
        loaded_at
    from source_rows
)

{#- the standard rules and the source's own (macros/sources/) -#}
{%- set rules = dq_rules(standard_rule_codes() + ['date_outside_report_range']) %}

select
    standardised.*,
    {{ dq_columns(rules) }}
from standardised
