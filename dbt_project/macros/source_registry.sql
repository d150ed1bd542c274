{#- The source registry: var `adwh_sources` in dbt_project.yml, one entry per source
    ({name, staging_model, spend_basis, enabled}). Everything that lists sources iterates
    `adwh_sources()`: the union model, the spend basis, the conservation test and
    mart_data_coverage. See docs/architecture.md ("Adding a source"). -#}

{#- The spend bases a source can declare (docs/metrics-and-rules.md, "spend"). -#}
{% macro spend_bases() -%}
    {{ return(['cpm', 'reported_cost']) }}
{%- endmacro %}

{#- The enabled registry entries (all with include_disabled), in registry order; a malformed
    entry fails compilation with the entry named, so a source can never slip through without
    a spend basis. -#}
{% macro adwh_sources(include_disabled=false) -%}
    {%- set enabled = [] -%}
    {%- set seen = [] -%}
    {%- for entry in var('adwh_sources', []) -%}
        {%- for key in ['name', 'staging_model', 'spend_basis', 'enabled'] -%}
            {%- if entry is not mapping or entry.get(key) is none -%}
                {{ exceptions.raise_compiler_error(
                    "var adwh_sources: entry " ~ entry ~ " has no " ~ key) }}
            {%- endif -%}
        {%- endfor -%}
        {%- if entry.spend_basis not in spend_bases() -%}
            {{ exceptions.raise_compiler_error(
                "var adwh_sources: source " ~ entry.name ~ " has spend_basis '"
                ~ entry.spend_basis ~ "', expected one of " ~ spend_bases() | join(', ')) }}
        {%- endif -%}
        {%- if entry.name in seen -%}
            {{ exceptions.raise_compiler_error(
                "var adwh_sources: source " ~ entry.name ~ " is listed twice") }}
        {%- endif -%}
        {%- do seen.append(entry.name) -%}
        {%- if entry.enabled or include_disabled -%}
            {%- do enabled.append(entry) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(enabled) }}
{%- endmacro %}

{#- The enabled source names as an SQL list: ('surfside', 'vibe', ...). -#}
{% macro adwh_source_names_sql() -%}
    (
        {%- for entry in adwh_sources() -%}
            '{{ entry.name }}'{% if not loop.last %}, {% endif %}
        {%- endfor -%}
        {%- if not adwh_sources() %}null{% endif -%}
    )
{%- endmacro %}

{#- The spend basis of the source in `source_column`, from the registry; NULL for a source
    the registry does not list (a not_null test on int_daily_performance__priced fails). -#}
{% macro spend_basis_sql(source_column='source') -%}
    {%- if adwh_sources() %}
    case {{ source_column }}
        {%- for entry in adwh_sources() %}
        when '{{ entry.name }}' then '{{ entry.spend_basis }}'
        {%- endfor %}
    end
    {%- else %}
    cast(null as {{ dbt.type_string() }})
    {%- endif %}
{%- endmacro %}
