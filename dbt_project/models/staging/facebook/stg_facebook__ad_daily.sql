{#- Facebook Ads Manager upload rows in the common shape, flagged with the validation rules.
    Ad set -> strategy; ad -> placement and creative (Ads Manager has no level between them).
    Measures come from the columns the loader chose for the file (macros/facebook.sql); blank
    cells count as 0. media_cost is Amount spent (NULL when the file had no such column), in
    currency_code from its header. Reach and frequency are kept here but are not additive, so
    they never reach the fact. -#}
with source_rows as (
    select raw_rows.* from {{ source_or_empty('facebook', 'ad_daily') }} as raw_rows
),

-- client-days the Meta Marketing API delivered: its rows count, the uploads' are superseded
api_days as (
    select distinct api_rows.client_id, api_rows.report_date
    from {{ source_or_empty('meta', 'ad_daily') }} as api_rows
),

standardised as (
    select
        'facebook'::text as source,
        client_id,
        report_date as date_day,
        nullif(trim(campaign_name), '') as campaign_name,
        nullif(trim(ad_set_name), '') as strategy_name,
        nullif(trim(ad_name), '') as placement_name,
        nullif(trim(ad_name), '') as creative_name,
        coalesce(impressions, 0)::bigint as impressions,
        coalesce({{ facebook_measure('clicks') }}, 0)::bigint as clicks,
        coalesce({{ facebook_measure('conversions') }}, 0)::numeric(38, 12) as conversions,
        coalesce({{ facebook_measure('revenue') }}, 0)::numeric(38, 12) as conversion_revenue,
        (
            case
                when media_cost_column is not null
                    then coalesce({{ facebook_measure('media_cost') }}, 0)
            end
        )::numeric(38, 12) as media_cost,
        currency_code,
        null::bigint as video_starts,
        null::bigint as video_completions,
        null::text as country_code,
        null::text as device_type,
        source_file_name as source_file,
        source_row_number,
        _dlt_load_id as load_id,
        loaded_at,
        reach,
        frequency,
        upload_id,
        clicks_column,
        conversions_column,
        revenue_column,
        media_cost_column,
        exists(
            select 1 from api_days
            where
                api_days.client_id = source_rows.client_id
                and api_days.report_date = source_rows.report_date
        ) as is_superseded_by_api
    from source_rows
)

{#- the standard rules and the source's own (macros/sources/) -#}
{%- set rules = dq_rules(standard_rule_codes() + ['reach_exceeds_impressions', 'superseded_by_api']) %}

select
    standardised.*,
    {{ dq_columns(rules) }}
from standardised
