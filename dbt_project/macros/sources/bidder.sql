{#- Bidder: conservation totals straight from raw (macros/conservation.sql). Rows get their
    client from the creative catalog exactly as staging does: only a creative_id listed by
    one catalog row has a client (the others are quarantined without one). Bidder files
    report no conversions. -#}
{% macro raw_totals__bidder() -%}
    {%- set catalog -%}
        left join (
            select
                catalog_rows.creative_id,
                min(nullif(trim(catalog_rows.client_id), '')) as client_id
            from {{ source_or_empty('bidder', 'creatives') }} as catalog_rows
            group by catalog_rows.creative_id
            having count(*) = 1
        ) as catalog
            on raw_rows.creative_id = catalog.creative_id
    {%- endset -%}
    {{ totals_sql(
        'bidder',
        source_or_empty('bidder', 'creative_performance') ~ ' as raw_rows',
        'catalog.client_id',
        'raw_rows.date',
        {
            'impressions': 'raw_rows.impressions',
            'clicks': 'raw_rows.clicks',
            'media_cost': 'raw_rows.spend',
        },
        joins=catalog
    ) }}
{%- endmacro %}

{#- raw column -> how its typed value is read, for the malformed_<column> rules -#}
{% macro bidder_parsed_columns() -%}
    {{ return({
        'creative_id': 'a whole number',
        'date': 'a YYYY-MM-DD date',
        'hour': 'a whole number',
        'impressions': 'a whole number',
        'clicks': 'a whole number',
        'spend': 'a number',
    }) }}
{%- endmacro %}

{#- The bidder's own validation rules (macros/data_quality.sql), on the columns of
    stg_bidder__creative_performance's `standardised` CTE. `column` is the file's column. -#}
{% macro dq_rules__bidder(relation) -%}
    {%- set rules = [
        {'code': 'missing_creative_id', 'column': 'creative_id',
         'condition': "nullif(trim(creative_id_text), '') is null",
         'offending': "'creative_id is empty'"},
        {'code': 'missing_date', 'column': 'date',
         'condition': "nullif(trim(date_text), '') is null",
         'offending': "'date is empty'"},
    ] -%}
    {%- for column, expected in bidder_parsed_columns().items() -%}
        {%- do rules.append({
            'code': 'malformed_' ~ column, 'column': column,
            'condition': 'is_malformed_' ~ column,
            'offending': "'" ~ column ~ "=' || quote_literal(" ~ column ~ "_text) || ' is not "
                ~ expected ~ "'"
        }) -%}
    {%- endfor -%}
    {%- do rules.extend([
        {'code': 'unknown_creative_id', 'column': 'creative_id',
         'condition': 'creative_id is not null and catalog_entries is null',
         'offending': "'creative_id=' || creative_id || ' is not in the creative catalog'"},
        {'code': 'ambiguous_creative_id', 'column': 'creative_id',
         'condition': 'catalog_entries > 1',
         'offending': "'creative_id=' || creative_id || ' is listed by ' || catalog_entries"
            ~ " || ' clients'' catalogs'"},
        {'code': 'hour_out_of_range', 'column': 'hour',
         'condition': 'hour not between 0 and 23',
         'offending': "'hour=' || hour || ', expected 0-23'"},
        {'code': 'unknown_country_code', 'column': 'geography',
         'condition': 'country_code is not null and not is_known_country',
         'offending': "'geography=' || quote_literal(country_code)"
            ~ " || ' is not an ISO 3166-1 alpha-2 code'"},
        {'code': 'unknown_device_type', 'column': 'device_type',
         'condition': "device_type not in ('mobile', 'desktop', 'tablet', 'ctv', 'other')",
         'offending': "'device_type=' || quote_literal(device_type)"
            ~ " || ', expected mobile, desktop, tablet, ctv or other'"},
        {'code': 'negative_spend', 'column': 'spend',
         'condition': 'media_cost < 0',
         'offending': "'spend=' || " ~ dq_value('media_cost')},
        {'code': 'duplicate_key_in_file',
         'condition': 'key_occurrence > 1',
         'offending': "'key ' || row_key || ' again in row ' || key_winning_row || ', which wins'"},
        {'code': 'breakdown_superseded',
         'column_sql': "case when creative_day_breakdown_rank >= 4 and not has_hour then 'hour'"
            ~ " when creative_day_breakdown_rank % 4 >= 2 and not has_geography then 'geography'"
            ~ " else 'device_type' end",
         'condition': 'breakdown_rank < creative_day_breakdown_rank',
         'offending': "'reported by ' || breakdown || '; the creative-day is counted from its '"
            ~ " || concat_ws('+', 'day', case when creative_day_breakdown_rank >= 4 then 'hour' end,"
            ~ " case when creative_day_breakdown_rank % 4 >= 2 then 'geography' end,"
            ~ " case when creative_day_breakdown_rank % 2 = 1 then 'device' end) || ' rows'"},
    ]) -%}
    {{ return(rules) }}
{%- endmacro %}

{#- How bidder raw tables change (macros/incremental_changes.sql): performance rows get their
    client from the creative catalog (a reference: a catalog load that moves a creative
    rebuilds every day of it, under its old and its new client); a re-imported key replaces
    a row of the same creative and day, so new load ids find every changed partition. -#}
{% macro change_specs__bidder() -%}
    {{ return([
        {'table': 'creative_performance', 'date': 'date', 'key': 'creative_id', 'key_type': 'bigint',
         'reference': {'source': 'bidder', 'table': 'creatives', 'entries': 'bidder_catalog_entries_sql'}},
    ]) }}
{%- endmacro %}

{#- The bidder catalog as staging resolves it: one row per creative_id (entry_key), its client
    when exactly one catalog row lists it, and a hash of what staging takes from it. -#}
{% macro bidder_catalog_entries_sql() -%}
    select
        creative_id as entry_key,
        case when count(*) = 1 then min(client_id) end as client_id,
        {{ dbt.hash(dbt.concat(["coalesce(min(client_id), '')", "'|'",
            "coalesce(min(campaign_name), '')", "'|'", "coalesce(min(creative_name), '')", "'|'",
            dbt.cast('count(*)', dbt.type_string())])) }} as entry_hash
    from {{ ref('stg_bidder__creatives') }}
    group by creative_id
{%- endmacro %}
