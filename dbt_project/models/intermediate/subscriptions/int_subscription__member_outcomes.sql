{{ config(materialized='table') }}

{#- One row per cohort member: a user's first trial start, or first initial purchase, of a
    product (events up to the end of the as-of day A). Attribution (campaign / ad set / ad)
    and country are those of the user's first event of that kind on that day, so each user
    counts under exactly one entity per level and day (the rollups add up). Outcomes up to A:
    post-trial (trial started on or before A - trial_days), converted (a trial-converted event
    of the product at or after the start), refunded (a cancellation of the product with
    revenue < 0 after the conversion / the purchase). See docs/subscriptions.md. -#}

with events as (
    select *
    from {{ ref('stg_mixpanel__events') }}
    where event_date <= {{ as_of_date() }}
),

ranked_starts as (
    select
        events.*,
        case events.event_role when 'trial_started' then 'trial' else 'purchase' end
            as member_kind,
        row_number() over (
            partition by events.client_id, events.distinct_id, events.product_id, events.event_role
            order by events.event_time, events.insert_id
        ) as nth_start
    from events
    where events.event_role in ('trial_started', 'initial_purchase')
),

starts as (
    select
        client_id,
        distinct_id,
        product_id,
        member_kind,
        event_date as cohort_day,
        event_time as started_at,
        revenue_usd as start_revenue_usd,
        load_id,
        first_value(campaign_id) over user_day as campaign_id,
        first_value(adset_id) over user_day as adset_id,
        first_value(ad_id) over user_day as ad_id,
        first_value(country_code) over user_day as country_code
    from ranked_starts
    where nth_start = 1
    window user_day as (
        partition by client_id, distinct_id, event_date, member_kind
        order by event_time, product_id
        rows between unbounded preceding and unbounded following
    )
),

conversions as (
    select
        starts.client_id,
        starts.distinct_id,
        starts.product_id,
        min(converted.event_time) as converted_at
    from starts
    inner join events as converted
        on
            starts.client_id = converted.client_id
            and starts.distinct_id = converted.distinct_id
            and starts.product_id = converted.product_id
            and converted.event_role = 'trial_converted'
            and starts.started_at <= converted.event_time
    where starts.member_kind = 'trial'
    group by starts.client_id, starts.distinct_id, starts.product_id
),

conversion_revenue as (
    select
        conversions.client_id,
        conversions.distinct_id,
        conversions.product_id,
        conversions.converted_at,
        max(events.revenue_usd) as conversion_revenue_usd,
        max(events.load_id) as load_id
    from conversions
    inner join events
        on
            conversions.client_id = events.client_id
            and conversions.distinct_id = events.distinct_id
            and conversions.product_id = events.product_id
            and events.event_role = 'trial_converted'
            and conversions.converted_at = events.event_time
    group by
        conversions.client_id, conversions.distinct_id, conversions.product_id,
        conversions.converted_at
),

outcomes as (
    select
        starts.*,
        starts.cohort_day <= {{ days_before_as_of(subscription_var('trial_days')) }}
            as is_post_trial,
        conversion_revenue.converted_at,
        conversion_revenue.conversion_revenue_usd,
        conversion_revenue.load_id as conversion_load_id,
        case
            when starts.member_kind = 'trial' then conversion_revenue.converted_at
            else starts.started_at
        end as paid_at
    from starts
    left join conversion_revenue
        on
            starts.member_kind = 'trial'
            and starts.client_id = conversion_revenue.client_id
            and starts.distinct_id = conversion_revenue.distinct_id
            and starts.product_id = conversion_revenue.product_id
),

refunds as (
    select
        outcomes.client_id,
        outcomes.distinct_id,
        outcomes.product_id,
        outcomes.member_kind,
        sum(-refunded.revenue_usd) as refund_usd,
        max(refunded.load_id) as load_id
    from outcomes
    inner join events as refunded
        on
            outcomes.client_id = refunded.client_id
            and outcomes.distinct_id = refunded.distinct_id
            and outcomes.product_id = refunded.product_id
            and refunded.event_role = 'cancellation'
            and refunded.revenue_usd < 0
            and outcomes.paid_at < refunded.event_time
    group by outcomes.client_id, outcomes.distinct_id, outcomes.product_id, outcomes.member_kind
)

select
    outcomes.client_id,
    outcomes.distinct_id,
    outcomes.product_id,
    outcomes.member_kind,
    outcomes.cohort_day,
    outcomes.started_at,
    coalesce(outcomes.campaign_id, 'unattributed') as campaign_id,
    coalesce(outcomes.adset_id, 'unattributed') as adset_id,
    coalesce(outcomes.ad_id, 'unattributed') as ad_id,
    outcomes.campaign_id is not null as is_attributed,
    outcomes.country_code,
    outcomes.member_kind = 'trial' and outcomes.is_post_trial as is_post_trial,
    outcomes.member_kind = 'trial' and outcomes.is_post_trial
    and outcomes.converted_at is not null as is_converted,
    case
        when outcomes.member_kind = 'purchase' then false
        else
            outcomes.is_post_trial and outcomes.converted_at is not null
            and refunds.refund_usd is not null
    end as is_trial_refunded,
    outcomes.member_kind = 'purchase' and refunds.refund_usd is not null as is_purchase_refunded,
    case
        when outcomes.member_kind = 'purchase' then coalesce(outcomes.start_revenue_usd, 0)
        when outcomes.is_post_trial and outcomes.converted_at is not null
            then coalesce(outcomes.conversion_revenue_usd, 0)
        else 0
    end as revenue_usd,
    case
        when outcomes.member_kind = 'purchase' then coalesce(refunds.refund_usd, 0)
        when outcomes.is_post_trial and outcomes.converted_at is not null
            then coalesce(refunds.refund_usd, 0)
        else 0
    end as refund_usd,
    {{ dbt.concat([
        "outcomes.load_id", "'|'", "coalesce(outcomes.conversion_load_id, '')", "'|'",
        "coalesce(refunds.load_id, '')"]) }} as load_ids
from outcomes
left join refunds
    on
        outcomes.client_id = refunds.client_id
        and outcomes.distinct_id = refunds.distinct_id
        and outcomes.product_id = refunds.product_id
        and outcomes.member_kind = refunds.member_kind
