{#- Predictions as loaded (the loader refused any file with a bad row). -#}
select
    prediction_id,
    client_id,
    campaign,
    period_start,
    period_end,
    predicted_roas,
    predicted_ctr,
    model,
    created_at,
    source_file,
    source_row
from {{ source_or_empty('predictions', 'predictions') }}
