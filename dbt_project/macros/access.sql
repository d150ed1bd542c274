{#- Access control (docs/access.md). dbt calls apply_grants in the transaction that builds a
    table, incremental model, view or seed, after the model's SQL: this override applies the
    `grants` config as dbt does and then, for models whose meta sets `adwh_client_access`
    (every marts model, dbt_project.yml), the warehouse's own rules - row-level security by
    client_id, user-id columns closed to all but adwh_pii - so a rebuilt table is never
    readable without them. Nothing happens until `adwh access init` has installed
    adwh_access.secure_relation. -#}
{% macro postgres__apply_grants(relation, grant_config, should_revoke=True) %}
    {{ default__apply_grants(relation, grant_config, should_revoke) }}
    {{ adwh_secure_relation(relation) }}
{% endmacro %}

{% macro adwh_secure_relation(relation) %}
    {%- set client_access = (config.get('meta') or {}).get('adwh_client_access') -%}
    {%- if execute and client_access and adwh_access_installed() -%}
        {% call statement('adwh_secure_relation') -%}
            select adwh_access.secure_relation(
                {{ dbt.string_literal(relation.include(database=False).render()) }}::regclass,
                {{ dbt.string_literal(client_access) }}
            )
        {%- endcall %}
    {%- endif -%}
{% endmacro %}

{% macro adwh_access_installed() %}
    {%- set found = run_query(
        "select to_regprocedure('adwh_access.secure_relation(regclass,text)') is not null"
    ) -%}
    {{ return(found.columns[0].values()[0]) }}
{% endmacro %}
