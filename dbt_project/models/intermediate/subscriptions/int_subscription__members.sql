{#- Each cohort member with its estimated rates and expected value. Per rate the most specific
    level with at least estimate_min_users members in its denominator wins: product x country,
    then product, then the subscription_defaults seed row of the product, then its '*' row.
    Expected value: price x P(convert) x (1 - P(trial refund)) for a trial member, price x
    (1 - P(purchase refund)) for a purchaser. -#}

{%- set min_users = subscription_var('estimate_min_users') | int %}

with members as (
    select * from {{ ref('int_subscription__member_outcomes') }}
),

estimates as (
    select * from {{ ref('int_subscription__estimates') }}
),

defaults as (
    select * from {{ ref('subscription_defaults') }}
),

rated as (
    select
        members.*,
        {{ subscription_pick_rate(min_users, 'converted_users', 'trial_users', 'trial_conversion_rate') }}
            as p_convert,
        {{ subscription_pick_rate(
            min_users, 'trial_refunded_users', 'converted_users', 'trial_refund_rate') }}
            as p_trial_refund,
        {{ subscription_pick_rate(
            min_users, 'purchase_refunded_users', 'purchase_users', 'purchase_refund_rate') }}
            as p_purchase_refund,
        {{ subscription_pick_rate(min_users, 'paid_usd', 'paying_users', 'price_usd') }} as price_usd,
        case
            when members.member_kind = 'trial' and segment.trial_users >= {{ min_users }}
                then 'product_country'
            when members.member_kind = 'trial' and product.trial_users >= {{ min_users }}
                then 'product'
            when members.member_kind = 'purchase' and segment.purchase_users >= {{ min_users }}
                then 'product_country'
            when members.member_kind = 'purchase' and product.purchase_users >= {{ min_users }}
                then 'product'
            else 'default'
        end as estimate_level
    from members
    left join estimates as segment
        on
            members.client_id = segment.client_id
            and members.product_id = segment.product_id
            and members.country_code = segment.country_code
    left join estimates as product
        on
            members.client_id = product.client_id
            and members.product_id = product.product_id
            and product.country_code = '*'
    left join defaults as product_default
        on members.product_id = product_default.product_id
    left join defaults as any_default
        on any_default.product_id = '*'
)

select
    rated.*,
    -- rounded to micro-dollars: sums at every level then add up exactly
    round(case
        when rated.member_kind = 'trial'
            then rated.price_usd * rated.p_convert * (1 - rated.p_trial_refund)
        else rated.price_usd * (1 - rated.p_purchase_refund)
    end, 6) as expected_value_usd
from rated
