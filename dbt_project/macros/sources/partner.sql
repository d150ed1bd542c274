{#- Partner warehouse helpers (staging/partner and the conservation test).

    A partner "row" is a media buy x day: the full outer join key of the impressions and the
    videos tables (a day may have one side only). Missing key parts count as one key
    (NULL media buy -> '', NULL day -> partner_no_day()), the same way in staging and here. -#}

{% macro partner_no_day() -%}
    cast('0001-01-01' as date)
{%- endmacro %}

{#- The media buys once per id; attributes only when exactly one row lists the id (an id
    listed twice is ambiguous and its rows are quarantined). -#}
{% macro partner_media_buys_sql() -%}
    select
        media_buy_id,
        count(*) as media_buy_entries,
        case when count(*) = 1 then min(client_id) end as client_id,
        case when count(*) = 1 then min(name) end as media_buy_name,
        case when count(*) = 1 then min(campaign_name) end as campaign_name,
        case when count(*) = 1 then min(platform) end as platform
    from {{ source_or_empty('partner', 'media_buys') }} as buys
    group by media_buy_id
{%- endmacro %}

{#- Raw totals per client x source x day straight from raw_partner, for the conservation
    test: keys counted once, measures summed over every raw row. -#}
{% macro raw_totals__partner() -%}
    select
        media_buys.client_id,
        cast('partner' as {{ dbt.type_string() }}) as source,
        nullif(raw_keys.day_key, {{ partner_no_day() }}) as date_day,
        count(*) as row_count,
        coalesce(sum(raw_keys.impressions), 0) as impressions,
        coalesce(sum(raw_keys.clicks), 0) as clicks,
        cast(0 as {{ dbt.type_numeric() }}) as conversions,
        cast(0 as {{ dbt.type_numeric() }}) as conversion_revenue,
        coalesce(sum(raw_keys.media_cost), 0) as media_cost
    from (
        select
            buy_key,
            day_key,
            sum(impressions) as impressions,
            sum(clicks) as clicks,
            sum(media_cost) as media_cost
        from (
            select
                coalesce(imps.media_buy_id, '') as buy_key,
                coalesce(imps.date, {{ partner_no_day() }}) as day_key,
                imps.impressions,
                imps.clicks,
                imps.spend as media_cost
            from {{ source_or_empty('partner', 'impressions') }} as imps
            where {{ conservation_days('imps.date') }}
            union all
            select
                coalesce(vids.media_buy_id, '') as buy_key,
                coalesce(vids.date, {{ partner_no_day() }}) as day_key,
                null as impressions,
                null as clicks,
                null as media_cost
            from {{ source_or_empty('partner', 'videos') }} as vids
            where {{ conservation_days('vids.date') }}
        ) as raw_sides
        group by buy_key, day_key
    ) as raw_keys
    left join ({{ partner_media_buys_sql() }}) as media_buys
        on raw_keys.buy_key = media_buys.media_buy_id
    group by media_buys.client_id, nullif(raw_keys.day_key, {{ partner_no_day() }})
{%- endmacro %}

{#- The partner's own validation rules (macros/data_quality.sql). -#}
{% macro dq_rules__partner(relation) -%}
    {{ return([
        {'code': 'unknown_media_buy',
         'condition': 'media_buy_entries is null',
         'offending': dbt.concat(["'media_buy_id='", "coalesce(media_buy_id, 'NULL')",
                                  "' is not in media_buys'"])},
        {'code': 'ambiguous_media_buy',
         'condition': 'media_buy_entries > 1',
         'offending': dbt.concat(["'media_buy_id='", 'media_buy_id', "' is listed '",
                                  dbt.cast('media_buy_entries', dbt.type_string()), "' times in media_buys'"])},
        {'code': 'duplicate_media_buy_day',
         'condition': 'impression_rows > 1 or video_rows > 1',
         'offending': dbt.concat(["'impressions rows='",
                                  dbt.cast('coalesce(impression_rows, 0)', dbt.type_string()),
                                  "', videos rows='",
                                  dbt.cast('coalesce(video_rows, 0)', dbt.type_string())])},
        {'code': 'video_completions_exceed_starts',
         'condition': 'video_completions > video_starts',
         'offending': dbt.concat(["'video_completions='", dq_value('video_completions'),
                                  "', video_starts='", dq_value('video_starts')])},
    ]) }}
{%- endmacro %}

{#- How partner raw tables change (macros/incremental_changes.sql): a load replaces whole days
    (its restatement window) of impressions and videos - rows can disappear without any new
    row - so every partner partition on a day with a new row or a newer ingestion-log line is
    rebuilt; rows get their client from the media buys (a reference, replaced every load). -#}
{% macro change_specs__partner() -%}
    {%- set media_buys = {'source': 'partner', 'table': 'media_buys', 'entries': 'partner_media_buy_entries_sql'} -%}
    {{ return([
        {'table': 'impressions', 'date': 'date', 'key': 'media_buy_id', 'reference': media_buys,
         'replaces_days': true},
        {'table': 'videos', 'date': 'date', 'key': 'media_buy_id', 'reference': media_buys,
         'replaces_days': true},
    ]) }}
{%- endmacro %}

{#- The media buys as staging resolves them, one row per media_buy_id (entry_key), with a hash
    of what staging takes from them. -#}
{% macro partner_media_buy_entries_sql() -%}
    select
        buys.media_buy_id as entry_key,
        buys.client_id,
        {{ dbt.hash(dbt.concat(["coalesce(buys.client_id, '')", "'|'",
            "coalesce(buys.media_buy_name, '')", "'|'", "coalesce(buys.campaign_name, '')", "'|'",
            "coalesce(buys.platform, '')", "'|'",
            dbt.cast('buys.media_buy_entries', dbt.type_string())])) }} as entry_hash
    from ({{ partner_media_buys_sql() }}) as buys
{%- endmacro %}
