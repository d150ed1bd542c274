{{ config(severity='warn') }}

{#- Meta ad-days of a non-USD account without a known exchange rate (no fx_rates row of the
    currency on or before the day): their spend_usd is NULL in the subscription marts. Add the
    rate to seeds/fx_rates.csv. -#}

select client_id, date_day, ad_id, currency_code
from {{ ref('int_subscription__meta_ad_daily') }}
where spend_usd is null
