{{ config(materialized='table') }}

{#- Observed outcome rates of matured cohorts, per client x product x country and per
    client x product (country '*'): cohorts whose day lies in the trailing
    estimate_window_days ending at A - trial_days (every trial in them has ended). Counts are
    cohort members (user x product). int_subscription__members picks, per rate, the segment,
    else the product, else the subscription_defaults seed (DECISIONLOG "Subscription
    estimates"). -#}

with matured as (
    select *
    from {{ ref('int_subscription__member_outcomes') }}
    where
        cohort_day <= {{ days_before_as_of(subscription_var('trial_days')) }}
        and cohort_day > {{ days_before_as_of(
            subscription_var('trial_days') + subscription_var('estimate_window_days')) }}
),

{%- set measures %}
        sum(case when member_kind = 'trial' then 1 else 0 end) as trial_users,
        sum(case when is_converted then 1 else 0 end) as converted_users,
        sum(case when is_trial_refunded then 1 else 0 end) as trial_refunded_users,
        sum(case when member_kind = 'purchase' then 1 else 0 end) as purchase_users,
        sum(case when is_purchase_refunded then 1 else 0 end) as purchase_refunded_users,
        sum(case when revenue_usd > 0 then 1 else 0 end) as paying_users,
        sum(case when revenue_usd > 0 then revenue_usd else 0 end) as paid_usd
{%- endset %}

by_country as (
    select client_id, product_id, country_code, {{ measures }}
    from matured
    group by client_id, product_id, country_code
),

by_product as (
    select client_id, product_id, cast('*' as {{ dbt.type_string() }}) as country_code, {{ measures }}
    from matured
    group by client_id, product_id
)

select * from by_country
union all
select * from by_product
