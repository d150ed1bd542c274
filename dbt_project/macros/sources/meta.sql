{#- Meta Marketing API: what the shared models need from this source. -#}

{#- Raw totals per client, source and day for the conservation test, read straight from raw
    with the staging definitions: clicks = link clicks, conversions = purchases, revenue =
    their value, media cost = spend. -#}
{% macro raw_totals__meta() -%}
    select
        raw_rows.client_id,
        'meta'::text as source,
        raw_rows.report_date as date_day,
        count(*) as row_count,
        coalesce(sum(raw_rows.impressions), 0) as impressions,
        coalesce(sum(raw_rows.link_clicks), 0) as clicks,
        coalesce(sum(raw_rows.purchases), 0) as conversions,
        coalesce(sum(raw_rows.purchase_value), 0) as conversion_revenue,
        coalesce(sum(raw_rows.spend), 0) as media_cost
    from {{ source_or_empty('meta', 'ad_daily') }} as raw_rows
    where {{ conservation_days('raw_rows.report_date') }}
    group by 1, 2, 3
{%- endmacro %}

{#- The country rows of Meta ad-days, in the shape of mart_entity_country_daily's geography
    rows: hierarchy keys as int_daily_performance__priced makes them, spend on the basis (and
    CPM) of the ad-day's fact row. A country row counts only when it passes its own rules and
    its ad-day is in the fact (a quarantined or superseded ad-day has no countries). -#}
{% macro country_rows__meta(fact_relation, row_filter=none) -%}
    with keyed as (
        select
            country_rows.*,
            {{ surrogate_key(['client_id', 'source', 'campaign_name']) }} as campaign_key,
            {{ surrogate_key(['client_id', 'source', 'campaign_name', 'strategy_name']) }}
                as strategy_key,
            {{ surrogate_key(['client_id', 'source', 'campaign_name', 'strategy_name',
                              'placement_name']) }} as placement_key,
            {{ surrogate_key(['client_id', 'source', 'campaign_name', 'strategy_name',
                              'placement_name', 'creative_name']) }} as creative_key
        from {{ ref('stg_meta__ad_country_daily') }} as country_rows
        {%- if row_filter %}
        where {{ row_filter }}
        {%- endif %}
    )

    select
        keyed.client_id,
        keyed.date_day,
        keyed.campaign_key,
        keyed.strategy_key,
        keyed.placement_key,
        keyed.creative_key,
        keyed.country_code,
        (keyed.is_valid and fact.creative_key is not null) as is_valid,
        keyed.impressions,
        keyed.clicks,
        keyed.conversions,
        keyed.conversion_revenue,
        keyed.media_cost,
        (case
            when fact.spend_basis = 'cpm' then keyed.impressions * fact.cpm_rate / 1000
            else keyed.media_cost
        end)::numeric(38, 12) as spend,
        null::bigint as video_starts,
        null::bigint as video_completions,
        keyed.trials,
        keyed.purchases
    from keyed
    left join {{ fact_relation }} as fact
        on
            keyed.client_id = fact.client_id
            and fact.source = 'meta'
            and keyed.date_day = fact.date_day
            and keyed.creative_key = fact.creative_key
{%- endmacro %}

{#- Country rows per Meta client-day, counted as the fact's geography rows so the country mart
    covers (and rebuilds) those client-days. row_filter: an optional predicate on the staged
    rows (alias country_rows), e.g. the days an incremental build rebuilds. -#}
{% macro country_row_counts__meta(row_filter=none) -%}
    select
        country_rows.client_id,
        'meta'::text as source,
        country_rows.date_day,
        count(*) as country_rows
    from {{ ref('stg_meta__ad_country_daily') }} as country_rows
    where
        country_rows.is_valid
        {%- if row_filter %}
        and {{ row_filter }}
        {%- endif %}
    group by 1, 2, 3
{%- endmacro %}

{#- How meta raw tables change (macros/incremental_changes.sql): a fetch replaces its client x
    report day in both tables (merge on client_id + report_date, the rows' day). The country
    rows feed fact_daily_partitions and the country mart through the meta partitions, so a
    load of either table marks them. -#}
{% macro change_specs__meta() -%}
    {{ return([
        {'table': 'ad_daily', 'client': 'client_id', 'date': 'report_date', 'delivery_day': 'report_date'},
        {'table': 'ad_country_daily', 'client': 'client_id', 'date': 'report_date',
         'delivery_day': 'report_date'},
    ]) }}
{%- endmacro %}
