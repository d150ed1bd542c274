{#- The bidder creative catalog: which client and campaign each creative_id belongs to.
    A creative_id listed by more than one client's catalog is ambiguous (catalog_entries > 1):
    its performance rows are quarantined rather than guessed. -#}
with source_rows as (
    select raw_rows.* from {{ source_or_empty('bidder', 'creatives') }} as raw_rows
)

select
    creative_id,
    nullif(trim(client_id), '') as client_id,
    nullif(trim(creative_name), '') as creative_name,
    nullif(trim(campaign_name), '') as campaign_name,
    nullif(trim(buyer_seat), '') as buyer_seat,
    nullif(trim(format), '') as creative_format,
    nullif(trim(destination_url), '') as destination_url,
    count(*) over (partition by creative_id) as catalog_entries,
    source_file,
    source_row_number,
    _dlt_load_id as load_id,
    loaded_at
from source_rows
