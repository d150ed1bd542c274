{#- Meta API ad-day rows in the common shape, flagged with the validation rules.
    Campaign -> campaign, ad set -> strategy, ad -> placement and creative (by name, as the
    Ads Manager uploads, so an entity keeps its keys when its history moves from uploads to
    the API). Clicks are link clicks; conversions and conversion_revenue are the purchases and
    their value (one action type per row, chosen by the loader); spend is Meta's reported cost
    (media_cost; seeds/source_spend_basis.csv: reported_cost). Trials and purchases are carried
    to the fact; reach and frequency stay here and in mart_meta_ad_reach_daily (not additive). -#}
with source_rows as (
    select raw_rows.* from {{ source_or_empty('meta', 'ad_daily') }} as raw_rows
),

standardised as (
    select
        'meta'::text as source,
        client_id,
        report_date as date_day,
        nullif(trim(campaign_name), '') as campaign_name,
        nullif(trim(adset_name), '') as strategy_name,
        nullif(trim(ad_name), '') as placement_name,
        nullif(trim(ad_name), '') as creative_name,
        coalesce(impressions, 0)::bigint as impressions,
        coalesce(link_clicks, 0)::bigint as clicks,
        coalesce(purchases, 0)::numeric(38, 12) as conversions,
        coalesce(purchase_value, 0)::numeric(38, 12) as conversion_revenue,
        coalesce(spend, 0)::numeric(38, 12) as media_cost,
        account_currency as currency_code,
        null::bigint as video_starts,
        null::bigint as video_completions,
        null::text as country_code,
        null::text as device_type,
        {{ dbt.concat(["'meta://'", 'ad_account_id', "'/reports/'", 'report_run_id']) }}
            as source_file,
        source_row_number,
        _dlt_load_id as load_id,
        loaded_at,
        coalesce(trials, 0)::numeric(38, 12) as trials,
        coalesce(purchases, 0)::numeric(38, 12) as purchases,
        ad_account_id,
        account_timezone,
        campaign_id,
        adset_id,
        ad_id,
        coalesce(clicks_all, 0)::bigint as clicks_all,
        reach,
        frequency,
        purchase_action_type,
        trial_action_type,
        report_run_id
    from source_rows
)

{#- the standard rules and reach <= impressions (declared with the uploads' rules) -#}
{%- set rules = dq_rules(standard_rule_codes() + ['reach_exceeds_impressions']) %}

select
    standardised.*,
    {{ dq_columns(rules) }}
from standardised
