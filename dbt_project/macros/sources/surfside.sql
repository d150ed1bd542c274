{#- Surfside raw data is appended one delivery (S3 object) at a time: raw_surfside.daily_performance
    holds the rows (with delivery_id), raw_surfside.deliveries one row per object (client, day,
    lineage, load id). A delivery counts once its load package is committed (in _dlt_loads with
    status 0: dlt writes that row after every table job of the package); of the committed
    deliveries of a client x day, the one of the newest load is current - a re-delivered day
    replaces the day, an interrupted load never shows. -#}

{#- The rows of every current delivery with the delivery's client, day and lineage. A
    subquery: use it with an alias, `from {{ surfside_current_rows() }} as current_rows`.
    raw_filter: an optional predicate on the raw rows (alias raw_rows), e.g. on raw_rows.date. -#}
{% macro surfside_current_rows(raw_filter=none) -%}
    (
        with committed_deliveries as (
            select
                deliveries.delivery_id,
                deliveries.client_id,
                deliveries.report_date,
                deliveries.source_bucket,
                deliveries.source_key,
                deliveries.source_etag,
                deliveries.source_size,
                deliveries.source_last_modified,
                deliveries.loaded_at,
                row_number() over (
                    partition by deliveries.client_id, deliveries.report_date
                    order by deliveries._dlt_load_id desc, deliveries.delivery_id desc
                ) as newest_first
            from {{ source_or_empty('surfside', 'deliveries') }} as deliveries
            where deliveries._dlt_load_id in (
                select loads.load_id
                from {{ source_or_empty('surfside', '_dlt_loads') }} as loads
                where loads.status = 0
            )
        )

        select
            committed_deliveries.client_id,
            committed_deliveries.report_date,
            committed_deliveries.delivery_id,
            committed_deliveries.source_bucket,
            committed_deliveries.source_key,
            committed_deliveries.source_etag,
            committed_deliveries.source_size,
            committed_deliveries.source_last_modified,
            committed_deliveries.loaded_at,
            raw_rows.source_row_number,
            raw_rows._dlt_load_id,
            raw_rows.date,
            raw_rows.campaign,
            raw_rows.strategy,
            raw_rows.placement,
            raw_rows.creative,
            raw_rows.impressions,
            raw_rows.clicks,
            raw_rows.conversions,
            raw_rows.conversion_revenue
        from {{ source_or_empty('surfside', 'daily_performance') }} as raw_rows
        inner join committed_deliveries
            on raw_rows.delivery_id = committed_deliveries.delivery_id
        where
            committed_deliveries.newest_first = 1
            {%- if raw_filter %}
            and {{ raw_filter }}
            {%- endif %}
    )
{%- endmacro %}

{#- Surfside: conservation totals straight from the raw tables (macros/conservation.sql), of
    the current deliveries only (not staging). Surfside reports no media cost. -#}
{% macro raw_totals__surfside() -%}
    {{ totals_sql(
        'surfside',
        surfside_current_rows(conservation_days('raw_rows.date')) ~ ' as current_rows',
        'current_rows.client_id',
        'current_rows.date',
        {
            'impressions': 'current_rows.impressions',
            'clicks': 'current_rows.clicks',
            'conversions': 'current_rows.conversions',
            'conversion_revenue': 'current_rows.conversion_revenue',
        }
    ) }}
{%- endmacro %}

{#- Surfside's own validation rule (macros/data_quality.sql). -#}
{% macro dq_rules__surfside(relation) -%}
    {{ return([{
        'code': 'date_outside_report_day',
        'condition': 'date_day <> report_date',
        'offending': dbt.concat(["'date_day='", 'date_day', "', file for '", 'report_date'])
    }]) }}
{%- endmacro %}

{#- How surfside raw tables change (macros/incremental_changes.sql): each delivery is a new row
    of `deliveries` (client, report day, load id) with its rows appended; it becomes current
    once its package is committed, and the loader then deletes the rows of the deliveries it
    replaced. So: a delivery with a newer committed load marks its client-day and the days of
    its rows, and quarantined rows of the client whose raw row is gone are found. -#}
{% macro change_specs__surfside() -%}
    {{ return([
        {'table': 'deliveries', 'client': 'client_id', 'date': 'date', 'delivery_day': 'report_date',
         'rows': surfside_delivery_rows(), 'committed_only': true, 'replaces': true,
         'indexes': [['deliveries', '_dlt_load_id'], ['daily_performance', 'date']]},
    ]) }}
{%- endmacro %}

{#- Every stored raw row with its delivery's client and day (a subquery). -#}
{% macro surfside_delivery_rows() -%}
    (
        select
            deliveries.client_id,
            deliveries.report_date,
            raw_rows.date,
            raw_rows.source_row_number,
            raw_rows._dlt_load_id
        from {{ source_or_empty('surfside', 'daily_performance') }} as raw_rows
        inner join {{ source_or_empty('surfside', 'deliveries') }} as deliveries
            on raw_rows.delivery_id = deliveries.delivery_id
    )
{%- endmacro %}
