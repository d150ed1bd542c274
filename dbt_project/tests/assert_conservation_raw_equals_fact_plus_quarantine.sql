{#- Conservation (docs/metrics-and-rules.md, "Invariants"): for every client, source and day,
    what the raw tables hold equals what reached fact_daily_metrics plus what sits in
    dq_quarantine - rows and every reported measure (macros/conservation.sql). The raw side
    is read straight from the raw tables (each registered source's raw_totals__<name>() in
    macros/sources/), so a row dropped or duplicated anywhere downstream shows up here.
    After an incremental build only the days it rebuilt are compared (all clients and sources
    of those days: conservation_days(), pushed into each source's raw scan); everything after
    a full build, under --full-refresh or with var full_scan_tests. Partitions retired by
    `adwh retention` have no raw rows any more and are left out. -#}
{%- set measures = conserved_measures() -%}

with raw_totals as (
    select all_sources.*
    from (
        {%- for entry in adwh_sources() %}
            ({{ raw_totals(entry) }})
            {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as all_sources
    -- also for a source whose raw_totals__<name>() does not filter its scan itself
    where {{ conservation_days('all_sources.date_day') }}
),

-- a malformed measure is NULL in the quarantine, as it is in raw
downstream_rows as (
    {%- for model, row_count in [('fact_daily_metrics', 'source_row_count'), ('dq_quarantine', '1')] %}
        select
            client_id,
            source,
            date_day,
            {%- for measure in measures %}
                {{ measure }},
            {%- endfor %}
            {{ row_count }} as row_count
        from {{ ref(model) }}
        where {{ conservation_days('date_day') }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

downstream as (
    select
        client_id,
        source,
        date_day,
        {%- for measure in measures %}
            coalesce(sum({{ measure }}), 0) as {{ measure }},
        {%- endfor %}
        sum(row_count) as row_count
    from downstream_rows
    group by 1, 2, 3
)

select
    coalesce(raw_totals.client_id, downstream.client_id) as client_id,
    coalesce(raw_totals.source, downstream.source) as source,
    coalesce(raw_totals.date_day, downstream.date_day) as date_day,
    {%- for measure in measures %}
        raw_totals.{{ measure }} as raw_{{ measure }},
        downstream.{{ measure }} as downstream_{{ measure }},
    {%- endfor %}
    raw_totals.row_count as raw_rows,
    downstream.row_count as downstream_rows
from raw_totals
full outer join downstream
    on
        raw_totals.client_id is not distinct from downstream.client_id
        and raw_totals.source = downstream.source
        and raw_totals.date_day is not distinct from downstream.date_day
where
    (
        raw_totals.row_count is distinct from downstream.row_count
        {%- for measure in measures %}
            or raw_totals.{{ measure }} is distinct from downstream.{{ measure }}
        {%- endfor %}
    )
    and {{ retired_filter(
        'coalesce(raw_totals.client_id, downstream.client_id)',
        'coalesce(raw_totals.source, downstream.source)',
        'coalesce(raw_totals.date_day, downstream.date_day)') }}
