{#-
  Retired partitions are frozen (docs/operations.md, "Retention"; DECISIONLOG.md, "Retired
  days are frozen"). `adwh retention --apply` deletes the raw rows of old client x source x
  day partitions and records them in adwh_ops.retired_partitions. From then on:

  - incremental models never pick a retired partition to rebuild (`without_retired`, around
    the changed-partitions query of their pre-hook), so an incremental build leaves them as
    they are although their raw rows are gone;
  - every model that is rebuilt from raw - tables each build, incremental models under
    --full-refresh - keeps its rows of retired partitions from its existing relation
    (`keep_retired`, a call block around the model's SELECT): dbt builds the replacement
    while `this` still exists, so the old rows are copied into the new relation unchanged;
  - the conservation test leaves retired partitions out (`retired_filter`).

  Until retention first runs there are no retired partitions and the models compile to their
  own SELECT.
-#}

{%- macro retired_partitions_relation() -%}
    {{ ref('stg_adwh_ops__retired_partitions') }}
{%- endmacro %}

{#- SQL condition: the row (`client`, `day` and, if given, `source` expressions) belongs to a
    retired partition. Without `source`, any retired partition of that client-day counts (for
    models by client x day). -#}
{% macro is_retired(client, day, source=none) -%}
    exists (
        select 1
        from {{ retired_partitions_relation() }} as retired
        where
            retired.client_id = {{ client }}
            and retired.date_day = {{ day }}
            {%- if source is not none %}
            and retired.source = {{ source }}
            {%- endif %}
    )
{%- endmacro %}

{#- The changed partitions (or client-days) of `changed_sql` that are not retired. A model
    fed by one source names it as a literal (`source="'meta'"`): a client-day is frozen when
    that source's partition is retired. -#}
{% macro without_retired(changed_sql, by_source=true, source=none) -%}
    {%- set partition_source = source if source is not none
        else ('changed_partitions.source' if by_source else none) %}
    select changed_partitions.*
    from ({{ changed_sql }}) as changed_partitions
    where not {{ is_retired(
        'changed_partitions.client_id', 'changed_partitions.date_day', partition_source) }}
{%- endmacro %}

{#- A condition for the conservation test: the partition is not retired. -#}
{% macro retired_filter(client, source, day) -%}
    not {{ is_retired(client, day, source) }}
{%- endmacro %}

{%- macro has_retired_partitions() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query(
        'select 1 from ' ~ retired_partitions_relation() ~ ' as retired limit 1') -%}
    {{ return(found.rows | length > 0) }}
{%- endmacro %}

{#- Call block around a model's SELECT:
        {% call keep_retired(source="'bidder'") %} select ... {% endcall %}
    `client`, `day`, `source`: the model's columns (or, for `source`, a literal) naming the
    partition of a row; `source=none` for a model by client x day. The new rows of retired
    partitions (there should be none: their raw rows are gone) give way to the existing ones;
    a column the existing relation lacks is NULL on its kept rows. -#}
{% macro keep_retired(client='client_id', day='date_day', source='source') -%}
    {%- set model_sql = caller() -%}
    {%- if model.resource_type == 'unit_test' -%}
        {#- a unit test checks the model's own SELECT on its given rows -#}
        {{ return(model_sql) }}
    {%- endif -%}
    {#- rendered at parse time too, so dbt records the dependency -#}
    {%- set retired_relation = retired_partitions_relation() -%}
    {%- set existing = load_relation(this) if execute else none -%}
    {%- if existing is none or is_incremental() or not has_retired_partitions() -%}
        {{ model_sql }}
    {%- else -%}
        {%- set new_columns = get_columns_in_query(model_sql) -%}
        {%- set old_columns = adapter.get_columns_in_relation(existing)
            | map(attribute='name') | list -%}
        {%- set row_source = none if source is none
            else (source if source.startswith("'") else 'adwh_rows.' ~ source) -%}
        {%- set kept_source = none if source is none
            else (source if source.startswith("'") else 'kept.' ~ source) %}
        with adwh_rows as (
            {{ model_sql }}
        )

        select adwh_rows.*
        from adwh_rows
        where not {{ is_retired('adwh_rows.' ~ client, 'adwh_rows.' ~ day, row_source) }}

        union all

        select
            {%- for column in new_columns %}
            {% if column in old_columns %}kept.{{ adapter.quote(column) }}{% else %}null{% endif %}
                as {{ adapter.quote(column) }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ existing }} as kept
        where {{ is_retired('kept.' ~ client, 'kept.' ~ day, kept_source) }}
    {%- endif -%}
{%- endmacro %}
