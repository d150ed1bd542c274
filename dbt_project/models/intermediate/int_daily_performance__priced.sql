{#- Unioned rows with hierarchy keys and spend.
    Spend basis per source comes from the source registry (var adwh_sources):
      cpm            -> impressions / 1000 x the client's CPM in effect on date_day
                        (latest effective_date on or before it; var default_cpm before any)
      reported_cost  -> the platform's own cost (media_cost). -#}
with unioned as (
    select
        unioned_rows.*,
        {{ spend_basis_sql('unioned_rows.source') }} as spend_basis
    from {{ ref('int_daily_performance__unioned') }} as unioned_rows
),

-- A rate holds from its effective_date until the day before the client's next one.
rates as (
    select
        client_id,
        cpm,
        effective_date as valid_from,
        lead(effective_date) over (
            partition by client_id order by effective_date
        ) as valid_to
    from {{ ref('client_cpm_rates') }}
),

priced as (
    select
        unioned.*,
        (
            case
                when unioned.spend_basis = 'cpm'
                    then coalesce(rates.cpm, {{ var('default_cpm') }})
            end
        )::numeric(12, 4) as cpm_rate,
        case
            when unioned.spend_basis = 'cpm' and rates.cpm is null then 'default'
            when unioned.spend_basis = 'cpm' then 'contract'
        end as cpm_rate_source
    from unioned
    left join rates
        on
            unioned.client_id = rates.client_id
            and unioned.date_day >= rates.valid_from
            and (rates.valid_to is null or unioned.date_day < rates.valid_to)
)

select
    *,
    (case spend_basis
        when 'cpm' then impressions * cpm_rate / 1000
        when 'reported_cost' then media_cost
    end)::numeric(38, 12) as spend,
    {{ surrogate_key(['client_id']) }} as client_key,
    {{ surrogate_key(['client_id', 'source', 'campaign_name']) }} as campaign_key,
    {{ surrogate_key(['client_id', 'source', 'campaign_name', 'strategy_name']) }}
        as strategy_key,
    {{ surrogate_key(['client_id', 'source', 'campaign_name', 'strategy_name',
                      'placement_name']) }} as placement_key,
    {{ surrogate_key(['client_id', 'source', 'campaign_name', 'strategy_name',
                      'placement_name', 'creative_name']) }} as creative_key
from priced
