{#- The entity-day aggregation and the derived metrics of the subscription marts
    (docs/subscriptions.md). -#}

{#- The user lists and sums of one entity level, from `users` (one row per client x cohort
    day x kind x user, carrying that user's attribution). -#}
{% macro subscription_user_lists(condition) -%}
    coalesce({{ dbt.listagg('case when ' ~ condition ~ ' then users.distinct_id end', "','",
                            'order by users.distinct_id') }}, '')
{%- endmacro %}

{#- Per entity (every level) x client x day [x country]: Mixpanel's counts, lists and amounts
    and Meta's measures, for the client-days in scope. -#}
{% macro subscription_entity_rows(by_country=false) -%}
    {%- set country = ', country_code' if by_country else '' -%}
    with users as (
        select
            client_id,
            cohort_day as date_day,
            member_kind,
            distinct_id,
            campaign_id,
            adset_id,
            ad_id,
            country_code,
            max(case when is_post_trial then 1 else 0 end) as is_post_trial,
            max(case when is_converted then 1 else 0 end) as is_converted,
            max(case when is_trial_refunded then 1 else 0 end) as is_trial_refunded,
            max(case when is_purchase_refunded then 1 else 0 end) as is_purchase_refunded,
            sum(revenue_usd) as revenue_usd,
            sum(refund_usd) as refund_usd,
            sum(expected_value_usd) as expected_value_usd,
            count(*) as members,
            sum(p_convert) as sum_p_convert,
            sum(p_trial_refund) as sum_p_trial_refund,
            sum(p_purchase_refund) as sum_p_purchase_refund
        from {{ ref('int_subscription__members') }} as members
        where {{ subscription_in_scope('members', 'cohort_day') }}
        group by client_id, cohort_day, member_kind, distinct_id, campaign_id, adset_id, ad_id, country_code
    ),

    meta as (
        select *
        from {{ ref('int_subscription__meta_ad_country_daily' if by_country else 'int_subscription__meta_ad_daily') }} as meta
        where {{ subscription_in_scope('meta') }}
    ),

    {%- for level, column in subscription_levels() %}
    mixpanel_{{ level }} as (
        select
            '{{ level }}' as entity_type,
            users.{{ column }} as entity_id,
            users.client_id,
            users.date_day{{ country }},
            sum(case when users.member_kind = 'trial' then 1 else 0 end) as mixpanel_trial_count,
            {{ subscription_user_lists("users.member_kind = 'trial'") }} as trial_user_ids,
            sum(users.is_post_trial) as post_trial_count,
            {{ subscription_user_lists('users.is_post_trial = 1') }} as post_trial_user_ids,
            sum(users.is_converted) as converted_count,
            {{ subscription_user_lists('users.is_converted = 1') }} as converted_user_ids,
            sum(users.is_trial_refunded) as trial_refund_count,
            {{ subscription_user_lists('users.is_trial_refunded = 1') }} as trial_refund_user_ids,
            sum(case when users.member_kind = 'purchase' then 1 else 0 end) as mixpanel_purchase_count,
            {{ subscription_user_lists("users.member_kind = 'purchase'") }} as purchase_user_ids,
            sum(users.is_purchase_refunded) as purchase_refund_count,
            {{ subscription_user_lists('users.is_purchase_refunded = 1') }} as purchase_refund_user_ids,
            sum(users.revenue_usd) as actual_revenue_usd,
            sum(users.refund_usd) as actual_refunds_usd,
            sum(users.expected_value_usd) as estimated_revenue_usd,
            sum(case when users.member_kind = 'trial' then users.members else 0 end) as trial_members,
            sum(case when users.member_kind = 'purchase' then users.members else 0 end) as purchase_members,
            sum(case when users.member_kind = 'trial' then users.sum_p_convert else 0 end) as sum_p_convert,
            sum(case when users.member_kind = 'trial' then users.sum_p_trial_refund else 0 end) as sum_p_trial_refund,
            sum(case when users.member_kind = 'purchase' then users.sum_p_purchase_refund else 0 end) as sum_p_purchase_refund
        from users
        group by users.{{ column }}, users.client_id, users.date_day{{ country }}
    ),

    meta_{{ level }} as (
        select
            '{{ level }}' as entity_type,
            meta.{{ column }} as entity_id,
            meta.client_id,
            meta.date_day{{ country }},
            sum(meta.spend_usd) as meta_spend_usd,
            sum(meta.link_clicks) as meta_link_clicks,
            sum(meta.meta_trials) as meta_trial_count,
            sum(meta.meta_purchases) as meta_purchase_count
        from meta
        group by meta.{{ column }}, meta.client_id, meta.date_day{{ country }}
    ),
    {%- endfor %}

    mixpanel_rows as (
        {%- for level, column in subscription_levels() %}
        select * from mixpanel_{{ level }}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ),

    meta_rows as (
        {%- for level, column in subscription_levels() %}
        select * from meta_{{ level }}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    )

    select
        coalesce(mixpanel_rows.entity_type, meta_rows.entity_type) as entity_type,
        coalesce(mixpanel_rows.entity_id, meta_rows.entity_id) as entity_id,
        coalesce(mixpanel_rows.client_id, meta_rows.client_id) as client_id,
        coalesce(mixpanel_rows.date_day, meta_rows.date_day) as date_day,
        {%- if by_country %}
        coalesce(mixpanel_rows.country_code, meta_rows.country_code) as country_code,
        {%- endif %}
        mixpanel_rows.mixpanel_trial_count, mixpanel_rows.trial_user_ids,
        mixpanel_rows.post_trial_count, mixpanel_rows.post_trial_user_ids,
        mixpanel_rows.converted_count, mixpanel_rows.converted_user_ids,
        mixpanel_rows.trial_refund_count, mixpanel_rows.trial_refund_user_ids,
        mixpanel_rows.mixpanel_purchase_count, mixpanel_rows.purchase_user_ids,
        mixpanel_rows.purchase_refund_count, mixpanel_rows.purchase_refund_user_ids,
        mixpanel_rows.actual_revenue_usd, mixpanel_rows.actual_refunds_usd,
        mixpanel_rows.estimated_revenue_usd,
        mixpanel_rows.trial_members, mixpanel_rows.purchase_members,
        mixpanel_rows.sum_p_convert, mixpanel_rows.sum_p_trial_refund, mixpanel_rows.sum_p_purchase_refund,
        meta_rows.meta_spend_usd, meta_rows.meta_link_clicks,
        meta_rows.meta_trial_count, meta_rows.meta_purchase_count
    from mixpanel_rows
    full outer join meta_rows
        on
            mixpanel_rows.entity_type = meta_rows.entity_type
            and mixpanel_rows.entity_id = meta_rows.entity_id
            and mixpanel_rows.client_id = meta_rows.client_id
            and mixpanel_rows.date_day = meta_rows.date_day
            {%- if by_country %}
            and mixpanel_rows.country_code = meta_rows.country_code
            {%- endif %}
{%- endmacro %}

{#- The mart's columns from `base` (an entity-day row of subscription_entity_rows, NULL on a
    gap day) and `quality` (the client-day's data_quality_score). -#}
{% macro subscription_mart_columns(base='base', quality='quality') -%}
    {%- set n = 'numeric(38, 12)' -%}
    {%- set counts = ['mixpanel_trial_count', 'post_trial_count', 'converted_count', 'trial_refund_count',
                      'mixpanel_purchase_count', 'purchase_refund_count'] -%}
    {%- set lists = ['trial_user_ids', 'post_trial_user_ids', 'converted_user_ids', 'trial_refund_user_ids',
                     'purchase_user_ids', 'purchase_refund_user_ids'] -%}
    {{ base }}.entity_type is not null as is_active,
    cast(coalesce({{ base }}.meta_spend_usd, 0) as {{ n }}) as meta_spend_usd,
    cast(coalesce({{ base }}.meta_link_clicks, 0) as bigint) as meta_link_clicks,
    cast(coalesce({{ base }}.meta_trial_count, 0) as {{ n }}) as meta_trial_count,
    cast(coalesce({{ base }}.meta_purchase_count, 0) as {{ n }}) as meta_purchase_count,
    {%- for column in counts %}
    cast(coalesce({{ base }}.{{ column }}, 0) as bigint) as {{ column }},
    {%- endfor %}
    {%- for column in lists %}
    coalesce({{ base }}.{{ column }}, '') as {{ column }},
    {%- endfor %}
    cast(coalesce({{ base }}.actual_revenue_usd, 0) as {{ n }}) as actual_revenue_usd,
    cast(coalesce({{ base }}.actual_refunds_usd, 0) as {{ n }}) as actual_refunds_usd,
    cast(coalesce({{ base }}.actual_revenue_usd, 0) - coalesce({{ base }}.actual_refunds_usd, 0) as {{ n }})
        as net_actual_revenue_usd,
    cast({{ base }}.converted_count as {{ n }}) / nullif({{ base }}.post_trial_count, 0)
        as trial_conversion_rate_actual,
    cast({{ base }}.trial_refund_count as {{ n }}) / nullif({{ base }}.converted_count, 0)
        as trial_refund_rate_actual,
    cast({{ base }}.purchase_refund_count as {{ n }}) / nullif({{ base }}.mixpanel_purchase_count, 0)
        as purchase_refund_rate_actual,
    cast({{ base }}.sum_p_convert / nullif({{ base }}.trial_members, 0) as {{ n }})
        as trial_conversion_rate_estimated,
    cast({{ base }}.sum_p_trial_refund / nullif({{ base }}.trial_members, 0) as {{ n }})
        as trial_refund_rate_estimated,
    cast({{ base }}.sum_p_purchase_refund / nullif({{ base }}.purchase_members, 0) as {{ n }})
        as purchase_refund_rate_estimated,
    cast(coalesce({{ base }}.estimated_revenue_usd, 0) as {{ n }}) as estimated_revenue_usd,
    {{ subscription_accuracy(base ~ '.mixpanel_trial_count', base ~ '.meta_trial_count') }} as trial_accuracy_ratio,
    {{ subscription_accuracy(base ~ '.mixpanel_purchase_count', base ~ '.meta_purchase_count') }} as purchase_accuracy_ratio,
    {%- set ratio %}
        case
            when coalesce({{ base }}.mixpanel_trial_count, 0) >= coalesce({{ base }}.mixpanel_purchase_count, 0)
                then {{ subscription_accuracy(base ~ '.mixpanel_trial_count', base ~ '.meta_trial_count') }}
            else {{ subscription_accuracy(base ~ '.mixpanel_purchase_count', base ~ '.meta_purchase_count') }}
        end
    {%- endset %}
    {%- set adjusted %}
        coalesce({{ base }}.estimated_revenue_usd, 0) / coalesce(nullif({{ ratio }}, 0) / 100, 1)
    {%- endset %}
    cast({{ adjusted }} as {{ n }}) as adjusted_estimated_revenue_usd,
    cast({{ adjusted }} - coalesce({{ base }}.meta_spend_usd, 0) as {{ n }}) as profit_usd,
    cast({{ adjusted }} / nullif({{ base }}.meta_spend_usd, 0) as {{ n }}) as estimated_roas,
    cast({{ base }}.meta_spend_usd / nullif({{ base }}.mixpanel_trial_count, 0) as {{ n }}) as mixpanel_cost_per_trial,
    cast({{ base }}.meta_spend_usd / nullif({{ base }}.mixpanel_purchase_count, 0) as {{ n }}) as mixpanel_cost_per_purchase,
    cast({{ base }}.meta_spend_usd / nullif({{ base }}.meta_trial_count, 0) as {{ n }}) as meta_cost_per_trial,
    cast({{ base }}.meta_spend_usd / nullif({{ base }}.meta_purchase_count, 0) as {{ n }}) as meta_cost_per_purchase,
    cast(cast({{ base }}.mixpanel_trial_count as {{ n }}) / nullif({{ base }}.meta_link_clicks, 0) as {{ n }})
        as click_to_trial_rate,
    {{ quality }}.data_quality_score,
    cast(coalesce({{ base }}.trial_members, 0) as bigint) as trial_members,
    cast(coalesce({{ base }}.purchase_members, 0) as bigint) as purchase_members
{%- endmacro %}

{#- Mixpanel count / Meta count x 100; 100 when Meta says 0 and Mixpanel more; NULL when both 0. -#}
{% macro subscription_accuracy(mixpanel, meta) -%}
    cast(case
        when coalesce({{ meta }}, 0) = 0 and coalesce({{ mixpanel }}, 0) > 0 then 100
        when coalesce({{ meta }}, 0) = 0 then null
        else coalesce({{ mixpanel }}, 0) * 100.0 / {{ meta }}
    end as numeric(38, 12))
{%- endmacro %}
