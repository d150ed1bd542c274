{#- The subscription marts (mart_subscription_entity_daily, mart_subscription_entity_country_daily):
    settings, the entity-day aggregation of cohort members and Meta rows, the derived metrics and
    the incremental predicate. Definitions: docs/subscriptions.md. -#}

{#- A subscription setting: the dbt var of that name, else its default. -#}
{% macro subscription_var(name) -%}
    {%- set defaults = {
        'trial_days': 7,
        'subscription_lookback_days': 7,
        'estimate_window_days': 90,
        'estimate_min_users': 20,
    } -%}
    {{- return(var(name, defaults[name]) | int) -}}
{%- endmacro %}

{% macro subscription_levels() -%}
    {{ return([('campaign', 'campaign_id'), ('adset', 'adset_id'), ('ad', 'ad_id')]) }}
{%- endmacro %}

{#- The first day the marts always re-compute: cohorts from it on can still change (trial
    window + lookback of late events). -#}
{% macro subscription_recompute_from() -%}
    {{ days_before_as_of(subscription_var('trial_days') + subscription_var('subscription_lookback_days') - 1) }}
{%- endmacro %}

{#- `where` condition keeping rows of the client-days being built (all on a full build). -#}
{% macro subscription_in_scope(alias, day_column='date_day') -%}
    {%- if is_incremental() -%}
        ({{ alias }}.client_id, {{ alias }}.{{ day_column }}) in (
            select changed.client_id, changed.date_day from {{ subscription_changed_table() }} as changed)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro subscription_changed_table() -%}
    {{ this.identifier }}__changed_days
{%- endmacro %}

{#- Per client-day: a fingerprint of its cohort members and Meta rows, the share of its
    Mixpanel users carrying attribution and whether Meta has rows for it. -#}
{% macro subscription_client_days_sql() -%}
    with member_days as (
        select
            client_id,
            cohort_day as date_day,
            md5({{ dbt.concat([
                "cast(count(*) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(case when is_post_trial then 1 else 0 end) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(case when is_converted then 1 else 0 end) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(case when is_trial_refunded or is_purchase_refunded then 1 else 0 end) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(revenue_usd) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(refund_usd) as " ~ dbt.type_string() ~ ")", "'|'",
                "min(load_ids)", "'|'", "max(load_ids)"]) }}) as member_fingerprint,
            count(distinct distinct_id) as mixpanel_users,
            count(distinct case when is_attributed then distinct_id end) as attributed_users
        from {{ ref('int_subscription__member_outcomes') }}
        group by client_id, cohort_day
    ),

    meta_days as (
        select
            client_id,
            date_day,
            md5({{ dbt.concat([
                "cast(count(*) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(spend_usd) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(link_clicks) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(meta_trials) as " ~ dbt.type_string() ~ ")", "'|'",
                "cast(sum(meta_purchases) as " ~ dbt.type_string() ~ ")", "'|'",
                "min(load_id)", "'|'", "max(load_id)"]) }}) as meta_fingerprint
        from {{ ref('int_subscription__meta_ad_daily') }}
        group by client_id, date_day
    )

    select
        coalesce(member_days.client_id, meta_days.client_id) as client_id,
        coalesce(member_days.date_day, meta_days.date_day) as date_day,
        md5({{ dbt.concat(["coalesce(member_days.member_fingerprint, '-')", "'|'",
                           "coalesce(meta_days.meta_fingerprint, '-')"]) }}) as day_fingerprint,
        cast(
            coalesce(
                cast(member_days.attributed_users as numeric(38, 12))
                / nullif(member_days.mixpanel_users, 0),
                1
            ) * case when meta_days.client_id is null then 0 else 1 end
            as numeric(38, 12)
        ) as data_quality_score
    from member_days
    full outer join meta_days
        on member_days.client_id = meta_days.client_id and member_days.date_day = meta_days.date_day
{%- endmacro %}

{#- Each entity's span: first..last day with cohort members or Meta rows. -#}
{% macro subscription_spans_sql() -%}
    {%- for level, column in subscription_levels() %}
        select
            '{{ level }}' as entity_type,
            {{ column }} as entity_id,
            client_id,
            min(date_day) as first_day,
            max(date_day) as last_day
        from (
            select client_id, cohort_day as date_day, {{ column }}
            from {{ ref('int_subscription__member_outcomes') }}
            union all
            select client_id, date_day, {{ column }}
            from {{ ref('int_subscription__meta_ad_daily') }}
        ) as activity
        group by client_id, {{ column }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Client-days to rebuild in `target`: a changed or vanished fingerprint, the re-computed
    window (cohorts that can still change), and the days an entity's span gained or lost. -#}
{% macro subscription_changed_days_sql(target) -%}
    with upstream as (
        {{ subscription_client_days_sql() }}
    ),

    stored as (
        select client_id, date_day, max(day_fingerprint) as day_fingerprint
        from {{ target }}
        group by client_id, date_day
    ),

    new_spans as (
        {{ subscription_spans_sql() }}
    ),

    old_spans as (
        select entity_type, entity_id, client_id, min(date_day) as first_day, max(date_day) as last_day
        from {{ target }}
        group by entity_type, entity_id, client_id
    ),

    moved as (
        select
            coalesce(new_spans.client_id, old_spans.client_id) as client_id,
            new_spans.first_day as new_first,
            new_spans.last_day as new_last,
            old_spans.first_day as old_first,
            old_spans.last_day as old_last
        from new_spans
        full outer join old_spans
            on
                new_spans.entity_type = old_spans.entity_type
                and new_spans.entity_id = old_spans.entity_id
                and new_spans.client_id = old_spans.client_id
        where
            new_spans.first_day is distinct from old_spans.first_day
            or new_spans.last_day is distinct from old_spans.last_day
    ),

    moved_ranges as (
        select client_id, coalesce(new_first, old_first) as range_start, coalesce(new_last, old_last) as range_end
        from moved where new_first is null or old_first is null
        union all
        select client_id, least(new_first, old_first), greatest(new_first, old_first) - 1
        from moved where new_first <> old_first
        union all
        select client_id, least(new_last, old_last) + 1, greatest(new_last, old_last)
        from moved where new_last <> old_last
    )

    select coalesce(upstream.client_id, stored.client_id) as client_id,
        coalesce(upstream.date_day, stored.date_day) as date_day
    from upstream
    full outer join stored
        on upstream.client_id = stored.client_id and upstream.date_day = stored.date_day
    where
        upstream.day_fingerprint is distinct from stored.day_fingerprint
        or coalesce(upstream.date_day, stored.date_day) >= {{ subscription_recompute_from() }}

    union

    select moved_ranges.client_id, cast(series.day as date) as date_day
    from moved_ranges
    {{ day_series_join('moved_ranges.range_start', 'moved_ranges.range_end', 'series') }}
{%- endmacro %}

{#- pre_hook of the incremental marts: the client-days to rebuild into a temporary table,
    and their rows deleted (also client-days that have no rows upstream any more). Client-days
    whose Meta partition is retired are never rebuilt: their spend is gone from raw. -#}
{% macro subscription_replace_days(target) -%}
    {%- if is_incremental() -%}
        {#- days whose Meta rows were retired stay frozen (macros/retention.sql) #}
        {{ temp_table_as(subscription_changed_table(),
            without_retired(subscription_changed_days_sql(target), source="'meta'")) }};
        analyze {{ subscription_changed_table() }};
        delete from {{ target }}
        where (client_id, date_day) in (
            select client_id, date_day from {{ subscription_changed_table() }}
        )
    {%- endif -%}
{%- endmacro %}

{#- The items of a comma-separated id list as rows (`item`), with the row's keys. -#}
{% macro subscription_list_items(relation, key_columns, list_column) -%}
    {{ return(adapter.dispatch('subscription_list_items', 'adwh')(relation, key_columns, list_column)) }}
{%- endmacro %}

{% macro postgres__subscription_list_items(relation, key_columns, list_column) -%}
    select {{ key_columns | join(', ') }}, item
    from {{ relation }}
    cross join lateral regexp_split_to_table({{ list_column }}, ',') as items (item)
    where {{ list_column }} <> ''
{%- endmacro %}

{% macro default__subscription_list_items(relation, key_columns, list_column) -%}
    {{ exceptions.raise_compiler_error(
        "subscription_list_items has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- The subscription marts' additive columns: what the rollup and country tests add up. -#}
{% macro subscription_additive_columns() -%}
    {{ return(['mixpanel_trial_count', 'post_trial_count', 'converted_count', 'trial_refund_count',
               'mixpanel_purchase_count', 'purchase_refund_count', 'actual_revenue_usd',
               'actual_refunds_usd', 'net_actual_revenue_usd', 'estimated_revenue_usd',
               'meta_spend_usd', 'meta_link_clicks', 'meta_trial_count', 'meta_purchase_count',
               'trial_members', 'purchase_members']) }}
{%- endmacro %}

{% macro subscription_marts() -%}
    {{ return([ref('mart_subscription_entity_daily'), ref('mart_subscription_entity_country_daily')]) }}
{%- endmacro %}

{#- A rate (or price) of int_subscription__members: the product x country segment, else the
    product, when its denominator has at least min_users members; else the seed's product row,
    else its '*' row. -#}
{% macro subscription_pick_rate(min_users, numerator, denominator, seed_column) -%}
    case
        when segment.{{ denominator }} >= {{ min_users }}
            then cast(segment.{{ numerator }} as numeric(38, 12)) / segment.{{ denominator }}
        when product.{{ denominator }} >= {{ min_users }}
            then cast(product.{{ numerator }} as numeric(38, 12)) / product.{{ denominator }}
        else cast(coalesce(product_default.{{ seed_column }}, any_default.{{ seed_column }})
            as numeric(38, 12))
    end
{%- endmacro %}

{#- The CTEs `spans`, `calendar` (every entity-day of each span) and `client_days` (the
    client-day fingerprints and quality scores) both subscription marts start from. -#}
{% macro subscription_calendar_ctes() -%}
    spans as (
        {{ subscription_spans_sql() }}
    ),

    calendar as (
        select spans.entity_type, spans.entity_id, spans.client_id, cast(series.day as date) as date_day
        from spans
        {{ day_series_join('spans.first_day', 'spans.last_day', 'series') }}
    ),

    client_days as (
        {{ subscription_client_days_sql() }}
    )
{%- endmacro %}
