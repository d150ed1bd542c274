{#- Partner warehouse metrics in the common shape, one row per media buy x day, flagged with
    the validation rules.
    - impressions and videos are joined with a full outer join on (media_buy_id, date): a day
      with videos and no impressions row (or the reverse) is kept, with the missing side's
      measures as 0 and has_impressions_row / has_videos_row saying which sides reported;
    - the media buy gives client, campaign and platform (current media_buys, replaced whole by
      every load); hierarchy campaign -> media buy (strategy) -> platform (placement) ->
      media buy (creative: the partner reports no creative);
    - spend is the partner's reported spend (media_cost; source_spend_basis: reported_cost);
    - blank measures count as 0; a key reported twice on a side is quarantined, not summed
      silently. -#}

{#- the partner's own rules first (macros/sources/partner.sql), then the standard ones -#}
{%- set rules = dq_rules(
    ['unknown_media_buy', 'ambiguous_media_buy', 'duplicate_media_buy_day']
    + standard_rule_codes() + ['video_completions_exceed_starts']
) %}

with impressions as (
    select
        coalesce(imps.media_buy_id, '') as buy_key,
        coalesce(imps.date, {{ partner_no_day() }}) as day_key,
        count(*) as impression_rows,
        sum(imps.impressions) as impressions,
        sum(imps.clicks) as clicks,
        sum(imps.spend) as spend,
        max(imps._dlt_load_id) as load_id,
        max(imps.loaded_at) as loaded_at
    from {{ source_or_empty('partner', 'impressions') }} as imps
    group by 1, 2
),

videos as (
    select
        coalesce(vids.media_buy_id, '') as buy_key,
        coalesce(vids.date, {{ partner_no_day() }}) as day_key,
        count(*) as video_rows,
        sum(vids.video_starts) as video_starts,
        sum(vids.video_completions) as video_completions,
        sum(vids.video_views) as video_views,
        max(vids._dlt_load_id) as load_id,
        max(vids.loaded_at) as loaded_at
    from {{ source_or_empty('partner', 'videos') }} as vids
    group by 1, 2
),

joined as (
    select
        coalesce(impressions.buy_key, videos.buy_key) as buy_key,
        coalesce(impressions.day_key, videos.day_key) as day_key,
        impressions.impression_rows,
        videos.video_rows,
        impressions.impressions,
        impressions.clicks,
        impressions.spend,
        videos.video_starts,
        videos.video_completions,
        videos.video_views,
        -- the newer of the two sides (either may be missing)
        greatest(
            coalesce(impressions.load_id, videos.load_id),
            coalesce(videos.load_id, impressions.load_id)
        ) as load_id,
        greatest(
            coalesce(impressions.loaded_at, videos.loaded_at),
            coalesce(videos.loaded_at, impressions.loaded_at)
        ) as loaded_at
    from impressions
    full outer join videos
        on
            impressions.buy_key = videos.buy_key
            and impressions.day_key = videos.day_key
),

media_buys as (
    {{ partner_media_buys_sql() }}
),

standardised as (
    select
        cast('partner' as {{ dbt.type_string() }}) as source,
        media_buys.client_id,
        nullif(joined.day_key, {{ partner_no_day() }}) as date_day,
        nullif(joined.buy_key, '') as media_buy_id,
        nullif(trim(media_buys.campaign_name), '') as campaign_name,
        nullif(trim(media_buys.media_buy_name), '') as strategy_name,
        nullif(trim(media_buys.platform), '') as placement_name,
        nullif(trim(media_buys.media_buy_name), '') as creative_name,
        cast(coalesce(joined.impressions, 0) as {{ dbt.type_bigint() }}) as impressions,
        cast(coalesce(joined.clicks, 0) as {{ dbt.type_bigint() }}) as clicks,
        cast(0 as numeric(38, 12)) as conversions,
        cast(0 as numeric(38, 12)) as conversion_revenue,
        cast(coalesce(joined.spend, 0) as numeric(38, 12)) as media_cost,
        cast(null as {{ dbt.type_string() }}) as currency_code,
        cast(coalesce(joined.video_starts, 0) as {{ dbt.type_bigint() }}) as video_starts,
        cast(coalesce(joined.video_completions, 0) as {{ dbt.type_bigint() }}) as video_completions,
        joined.video_views,
        cast(null as {{ dbt.type_string() }}) as country_code,
        cast(null as {{ dbt.type_string() }}) as device_type,
        {{ dbt.concat([
            "'partner://media_buys/'", 'joined.buy_key', "'/'",
            'cast(joined.day_key as ' ~ dbt.type_string() ~ ')'
        ]) }} as source_file,
        cast(null as {{ dbt.type_bigint() }}) as source_row_number,
        joined.load_id,
        joined.loaded_at,
        joined.impression_rows,
        joined.video_rows,
        joined.impression_rows is not null as has_impressions_row,
        joined.video_rows is not null as has_videos_row,
        media_buys.media_buy_entries
    from joined
    left join media_buys
        on joined.buy_key = media_buys.media_buy_id
)

select
    standardised.*,
    {{ dq_columns(rules) }}
from standardised
