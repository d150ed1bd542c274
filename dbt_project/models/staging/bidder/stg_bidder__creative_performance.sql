{#- Bidder performance rows in the common shape, flagged with the validation rules.

    - client and campaign come from the creative catalog (stg_bidder__creatives);
    - the reported spend is the cost truth (spend basis reported_cost in the source registry,
      var adwh_sources), so it is media_cost here and becomes spend in int_daily_performance__priced;
    - country_code / device_type carry the breakdown (NULL = not broken down);
    - a malformed cell is NULL in the typed raw column and breaks `malformed_<column>`;
    - one creative-day is counted from one breakdown only: rows of a coarser breakdown than the
      finest one reported for the creative-day break `breakdown_superseded` (hour first, then
      geography, then device: hourly rows win over a daily row);
    - a key repeated within a file: the last row wins, earlier ones break `duplicate_key_in_file`.
    Blank measures count as 0 (DECISIONLOG.md); a malformed one is NULL (its row is quarantined). -#}

{#- Order matters: the first broken rule is the row's primary rule in dq_quarantine. The
    bidder's own rules are declared in macros/sources/bidder.sql. -#}
{%- set rule_codes = ['missing_creative_id', 'missing_date'] -%}
{%- for column in bidder_parsed_columns() %}{% do rule_codes.append('malformed_' ~ column) %}{% endfor -%}
{%- do rule_codes.extend(['unknown_creative_id', 'ambiguous_creative_id', 'hour_out_of_range',
    'unknown_country_code', 'unknown_device_type', 'negative_spend']) -%}
{%- do rule_codes.extend(standard_rule_codes(required=[], measures=['impressions', 'clicks'])) -%}
{%- do rule_codes.extend(['duplicate_key_in_file', 'breakdown_superseded']) -%}
{%- set checks = dq_rules(rule_codes) -%}
{%- set rule_columns = {
    'unknown_client': 'creative_id',
    'negative_impressions': 'impressions',
    'negative_clicks': 'clicks',
    'clicks_exceed_impressions': 'clicks',
    'future_date': 'date',
} %}

with source_rows as (
    select raw_rows.*
    from {{ source_or_empty('bidder', 'creative_performance') }} as raw_rows
),

-- one row per creative_id; names only when exactly one client's catalog lists it
catalog as (
    select
        creative_id,
        count(*) as catalog_entries,
        case when count(*) = 1 then min(client_id) end as client_id,
        case when count(*) = 1 then min(campaign_name) end as campaign_name,
        case when count(*) = 1 then min(creative_name) end as creative_name
    from {{ ref('stg_bidder__creatives') }}
    group by creative_id
),

countries as (
    select country_code from {{ ref('country_codes') }}
),

shaped as (
    select
        'bidder'::text as source,
        catalog.client_id,
        source_rows.date as date_day,
        catalog.campaign_name,
        null::text as strategy_name,
        null::text as placement_name,
        catalog.creative_name || ' (' || source_rows.creative_id || ')' as creative_name,
        -- blank = 0; a malformed cell stays NULL, so no other rule fires on a made-up 0
        {%- for measure, type in [('impressions', 'bigint'), ('clicks', 'bigint')] %}
            (case
                when nullif(trim(source_rows.{{ measure }}_text), '') is null then 0
                else source_rows.{{ measure }}
            end)::{{ type }} as {{ measure }},
        {%- endfor %}
        0::numeric(38, 12) as conversions,
        0::numeric(38, 12) as conversion_revenue,
        (case
            when nullif(trim(source_rows.spend_text), '') is null then 0
            else source_rows.spend
        end)::numeric(38, 12) as media_cost,
        null::text as currency_code,
        null::bigint as video_starts,
        null::bigint as video_completions,
        upper(nullif(trim(source_rows.geography), '')) as country_code,
        lower(nullif(trim(source_rows.device_type), '')) as device_type,
        source_rows.source_file,
        source_rows.source_row_number,
        source_rows._dlt_load_id as load_id,
        source_rows.loaded_at,
        -- bidder detail
        source_rows.creative_id,
        source_rows.hour,
        nullif(trim(source_rows.placement), '') as placement,
        source_rows.row_key,
        catalog.catalog_entries,
        countries.country_code is not null as is_known_country,
        {%- for column in bidder_parsed_columns() %}
            source_rows.{{ column }}_text,
            (
                source_rows.{{ column }} is null
                and nullif(trim(source_rows.{{ column }}_text), '') is not null
            ) as is_malformed_{{ column }},
        {%- endfor %}
        nullif(trim(source_rows.hour_text), '') is not null as has_hour,
        nullif(trim(source_rows.geography), '') is not null as has_geography,
        nullif(trim(source_rows.device_type), '') is not null as has_device
    from source_rows
    left join catalog
        on source_rows.creative_id = catalog.creative_id
    left join countries
        on upper(trim(source_rows.geography)) = countries.country_code
),

ranked as (
    select
        *,
        concat_ws(
            '+', 'day',
            case when has_hour then 'hour' end,
            case when has_geography then 'geography' end,
            case when has_device then 'device' end
        ) as breakdown,
        (
            case when has_hour then 4 else 0 end
            + case when has_geography then 2 else 0 end
            + case when has_device then 1 else 0 end
        ) as breakdown_rank
    from shaped
),

standardised as (
    select
        *,
        case
            when creative_id is not null and date_day is not null
                then max(breakdown_rank) over (partition by creative_id, date_day)
        end as creative_day_breakdown_rank,
        -- date_day is a function of row_key; partitioning by it too lets a filter on the
        -- day reach the raw table (incremental builds read only the changed days)
        row_number() over (
            partition by row_key, date_day order by load_id desc, source_row_number desc
        ) as key_occurrence,
        first_value(source_row_number) over (
            partition by row_key, date_day order by load_id desc, source_row_number desc
        ) as key_winning_row
    from ranked
),

flagged as (
    select
        *,
        {{ dq_columns(checks) }}
    from standardised
)

select
    source,
    client_id,
    date_day,
    campaign_name,
    strategy_name,
    placement_name,
    creative_name,
    impressions,
    clicks,
    conversions,
    conversion_revenue,
    media_cost,
    currency_code,
    video_starts,
    video_completions,
    country_code,
    device_type,
    source_file,
    source_row_number,
    load_id,
    loaded_at,
    creative_id,
    hour,
    placement,
    breakdown,
    row_key,
    invalid_reasons,
    offending_values,
    is_valid,
    -- built for invalid rows only (most rows are valid); the alias keeps the checks' references
    case
        when is_valid then '[]'::jsonb
        else {{ dq_rejections(checks, rule_columns) }}
    end as rejections
from flagged as standardised
