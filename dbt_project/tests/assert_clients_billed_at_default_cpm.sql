{{ config(severity='warn') }}

{#- Names every client billed at the default CPM (var default_cpm) because no rate in
    seeds/client_cpm_rates.csv was in effect on those days, so nobody bills at a silent
    default. Add a rate (with an effective_date on or before the first day) to clear it. -#}

select
    client_id,
    source,
    min(date_day) as first_day_at_default,
    max(date_day) as last_day_at_default,
    count(distinct date_day) as days_at_default,
    max(cpm_rate) as default_cpm_applied
from {{ ref('fact_daily_metrics') }}
where cpm_rate_source = 'default'
group by client_id, source
