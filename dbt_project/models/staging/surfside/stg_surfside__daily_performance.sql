{#- Surfside rows in the common shape, flagged with the validation rules: the rows of the
    current delivery of each client x day only (macros/sources/surfside.sql).
    Surfside bills by CPM, so it reports no media cost; blank metric cells count as 0. -#}
with source_rows as (
    select current_rows.* from {{ surfside_current_rows() }} as current_rows
),

standardised as (
    select
        'surfside'::text as source,
        client_id,
        report_date,
        date as date_day,
        nullif(trim(campaign), '') as campaign_name,
        nullif(trim(strategy), '') as strategy_name,
        nullif(trim(placement), '') as placement_name,
        nullif(trim(creative), '') as creative_name,
        coalesce(impressions, 0)::bigint as impressions,
        coalesce(clicks, 0)::bigint as clicks,
        coalesce(conversions, 0)::numeric(38, 12) as conversions,
        coalesce(conversion_revenue, 0)::numeric(38, 12) as conversion_revenue,
        null::numeric(38, 12) as media_cost,
        null::text as currency_code,
        null::bigint as video_starts,
        null::bigint as video_completions,
        null::text as country_code,
        null::text as device_type,
        's3://' || source_bucket || '/' || source_key as source_file,
        source_row_number,
        _dlt_load_id as load_id,
        loaded_at
    from source_rows
)

{#- the standard rules and the source's own (macros/sources/) -#}
{%- set rules = dq_rules(standard_rule_codes() + ['date_outside_report_day']) %}

select
    standardised.*,
    {{ dq_columns(rules) }}
from standardised
