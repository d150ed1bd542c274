{{ config(indexes=table_indexes([{'columns': ['client_id', 'campaign', 'date_day'], 'unique': true}])) }}

{#- Budget pacing per budget line of seeds/campaign_budgets.csv (client, campaign name or
    campaign key, month or blank = every month) as of each day the client has data in a month
    the line covers. The row of the newest day of a month (is_current) is the month's status.
      spend_to_date           spend of the matching campaigns (all sources) from the 1st to the day
      prorated_budget         budget x day of month / days in month
      run_rate_7d             spend of the 7 days ending the day / 7 (may reach into the month before)
      projected_spend         spend_to_date + run_rate_7d x days left in the month
      status                  depleted (spend_to_date >= budget), overpacing / underpacing
                              (projected above / below budget x (1 +/- pacing_tolerance)), else on_track
    Rebuilt in full: small, and it must follow every edit of the budgets seed. -#}

{%- set tolerance = var('pacing_tolerance') %}

with budgets as (
    select client_id, campaign, month, budget, currency from {{ ref('campaign_budgets') }}
),

budget_campaigns as (
    select distinct client_id, campaign from budgets
),

client_days as (
    select client_id, date_day
    from {{ ref('mart_entity_daily_metrics') }}
    where entity_type = 'client'
),

campaign_spend as (
    select
        budget_campaigns.client_id, budget_campaigns.campaign, campaign_days.date_day,
        sum(campaign_days.spend) as spend
    from budget_campaigns
    inner join {{ ref('mart_entity_daily_metrics') }} as campaign_days
        on
            campaign_days.entity_type = 'campaign'
            and budget_campaigns.client_id = campaign_days.client_id
            and (
                budget_campaigns.campaign = campaign_days.entity_id
                or budget_campaigns.campaign = campaign_days.entity_name
            )
    group by budget_campaigns.client_id, budget_campaigns.campaign, campaign_days.date_day
),

series as (
    select
        budget_campaigns.client_id,
        budget_campaigns.campaign,
        client_days.date_day,
        cast({{ dbt.date_trunc('month', 'client_days.date_day') }} as date) as month_start,
        {{ day_number('client_days.date_day') }} as day_number,
        coalesce(campaign_spend.spend, 0) as day_spend
    from budget_campaigns
    inner join client_days on budget_campaigns.client_id = client_days.client_id
    left join campaign_spend
        on
            budget_campaigns.client_id = campaign_spend.client_id
            and budget_campaigns.campaign = campaign_spend.campaign
            and client_days.date_day = campaign_spend.date_day
),

running as (
    select
        series.*,
        sum(series.day_spend) over (
            partition by series.client_id, series.campaign, series.month_start order by series.date_day
            rows between unbounded preceding and current row
        ) as spend_to_date,
        sum(series.day_spend) over (
            partition by series.client_id, series.campaign order by series.day_number
            range between 6 preceding and current row
        ) / 7 as run_rate,
        {{ dbt.datediff('month_start', 'date_day', 'day') }} + 1 as day_of_month,  -- noqa: LT05
        {{ dbt.datediff('month_start', dbt.dateadd('month', 1, 'month_start'), 'day') }}
            as days_in_month
    from series
),

budgeted as (
    select
        running.*,
        coalesce(monthly.budget, standing.budget) as budget,
        coalesce(monthly.currency, standing.currency) as currency
    from running
    left join budgets as monthly
        on
            running.client_id = monthly.client_id
            and running.campaign = monthly.campaign
            and running.month_start = monthly.month
    left join budgets as standing
        on
            running.client_id = standing.client_id
            and running.campaign = standing.campaign
            and standing.month is null
    where coalesce(monthly.budget, standing.budget) is not null
),

projected as (
    select
        budgeted.*,
        budgeted.spend_to_date
        + budgeted.run_rate * (budgeted.days_in_month - budgeted.day_of_month) as projected_value
    from budgeted
)

select
    client_id,
    campaign,
    month_start as budget_month,
    date_day,
    cast(day_of_month as integer) as day_of_month,
    cast(days_in_month as integer) as days_in_month,
    cast(budget as numeric(38, 2)) as budget,
    currency,
    cast(round(spend_to_date, 2) as numeric(38, 2)) as spend_to_date,
    cast(round(budget * day_of_month / days_in_month, 2) as numeric(38, 2)) as prorated_budget,
    cast(round(run_rate, 2) as numeric(38, 2)) as run_rate_7d,
    cast(round(projected_value, 2) as numeric(38, 2)) as projected_spend,
    cast(round({{ safe_divide('spend_to_date', 'budget') }}, 6) as numeric(24, 6)) as budget_used_pct,
    case
        when spend_to_date >= budget then 'depleted'
        when projected_value > budget * (1 + {{ tolerance }}) then 'overpacing'
        when projected_value < budget * (1 - {{ tolerance }}) then 'underpacing'
        else 'on_track'
    end as status,
    date_day = max(date_day) over (partition by client_id, campaign, month_start) as is_current
from projected
