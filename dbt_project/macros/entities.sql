{#- The entity levels of the hierarchy, as marts that report "per entity" see them.
    id: the column that identifies the entity in fact_daily_metrics; dim: where its span
    (first/last day) and names live; parents: hierarchy columns carried on its rows. -#}
{% macro entity_levels() -%}
    {{ return([
        {'type': 'client', 'id': 'client_id', 'dim': 'dim_clients', 'name': 'client_name'},
        {'type': 'campaign', 'id': 'campaign_key', 'dim': 'dim_campaigns', 'name': 'campaign_name'},
        {'type': 'strategy', 'id': 'strategy_key', 'dim': 'dim_strategies', 'name': 'strategy_name'},
        {'type': 'placement', 'id': 'placement_key', 'dim': 'dim_placements', 'name': 'placement_name'},
        {'type': 'creative', 'id': 'creative_key', 'dim': 'dim_creatives', 'name': 'creative_name'},
    ]) }}
{%- endmacro %}

{#- The hierarchy columns every entity row carries (NULL above the entity's own level). -#}
{% macro entity_parent_columns() -%}
    {{ return(['source', 'campaign_key', 'campaign_name', 'strategy_key', 'strategy_name',
               'placement_key', 'placement_name']) }}
{%- endmacro %}

{#- One row per entity of every level with its span and hierarchy columns, from the dims. -#}
{% macro entities_sql() -%}
    {%- set levels = entity_levels() -%}
    {%- for level in levels %}
        select
            cast('{{ level.type }}' as {{ dbt.type_string() }}) as entity_type,
            cast({{ level.id }} as {{ dbt.type_string() }}) as entity_id,
            cast({{ level.name }} as {{ dbt.type_string() }}) as entity_name,
            client_id,
            {%- for column in entity_parent_columns() %}
                {%- set available = (level.type != 'client' and column == 'source')
                    or (column.startswith('campaign') and level.type in ['campaign', 'strategy', 'placement', 'creative'])
                    or (column.startswith('strategy') and level.type in ['strategy', 'placement', 'creative'])
                    or (column.startswith('placement') and level.type in ['placement', 'creative']) %}
                cast({% if available %}{{ column }}{% else %}null{% endif %} as {{ dbt.type_string() }}) as {{ column }},
            {%- endfor %}
            first_seen_date,
            last_seen_date
        from {{ ref(level.dim) }}
        where first_seen_date is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- Measures of every level summed per entity and day from `fact_relation`. -#}
{% macro entity_activity_sql(fact_relation) -%}
    {%- for level in entity_levels() %}
        select
            cast('{{ level.type }}' as {{ dbt.type_string() }}) as entity_type,
            cast({{ level.id }} as {{ dbt.type_string() }}) as entity_id,
            date_day,
            {{ summed_measures() }},
            sum(source_row_count) as source_row_count
        from {{ fact_relation }}
        group by {{ level.id }}, date_day
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
