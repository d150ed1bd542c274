{#- Meta API ad x day x country rows, named and measured as stg_meta__ad_daily, with the
    country (ISO 3166-1 alpha-2, upper case). A breakdown of the ad-day rows, not more of them:
    they never reach the fact; mart_entity_country_daily spreads the fact's Meta ad-days over
    these countries (what they do not cover is its ZZ). Rows breaking a rule, or with a
    country Meta could not tell (`unknown`), are left out there. -#}
with source_rows as (
    select raw_rows.* from {{ source_or_empty('meta', 'ad_country_daily') }} as raw_rows
),

countries as (
    select country_code from {{ ref('country_codes') }}
),

standardised as (
    select
        'meta'::text as source,
        source_rows.client_id,
        source_rows.report_date as date_day,
        nullif(trim(source_rows.campaign_name), '') as campaign_name,
        nullif(trim(source_rows.adset_name), '') as strategy_name,
        nullif(trim(source_rows.ad_name), '') as placement_name,
        nullif(trim(source_rows.ad_name), '') as creative_name,
        upper(nullif(trim(source_rows.country), '')) as country_code,
        coalesce(source_rows.impressions, 0)::bigint as impressions,
        coalesce(source_rows.link_clicks, 0)::bigint as clicks,
        coalesce(source_rows.purchases, 0)::numeric(38, 12) as conversions,
        coalesce(source_rows.purchase_value, 0)::numeric(38, 12) as conversion_revenue,
        coalesce(source_rows.spend, 0)::numeric(38, 12) as media_cost,
        coalesce(source_rows.trials, 0)::numeric(38, 12) as trials,
        coalesce(source_rows.purchases, 0)::numeric(38, 12) as purchases,
        source_rows.account_currency as currency_code,
        source_rows.ad_id,
        source_rows.report_run_id,
        source_rows.source_row_number,
        source_rows._dlt_load_id as load_id,
        source_rows.loaded_at,
        countries.country_code is not null as is_known_country
    from source_rows
    left join countries
        on upper(trim(source_rows.country)) = countries.country_code
)

{#- the standard rules (no video measures) and a known country (declared with the bidder's) -#}
{%- set rules = dq_rules(
    standard_rule_codes(measures=['impressions', 'clicks', 'conversions', 'conversion_revenue', 'media_cost'])
    + ['unknown_country_code']
) %}

select
    standardised.*,
    {{ dq_columns(rules) }}
from standardised
