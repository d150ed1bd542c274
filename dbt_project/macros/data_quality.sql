{#-
  Row-level validation: every rule is declared once, here (the rules every source shares)
  or in its source's macros/sources/<name>.sql (`dq_rules__<name>()`, its own rules). The
  rules are listed in docs/metrics-and-rules.md. A rule is a dict:
    code        the rule name stored in invalid_reasons and dq_quarantine.rule
    condition   SQL on the staging columns, true when the row breaks the rule
    offending   SQL text expression describing the values that broke it
    column      the delivered file's column the rule is about (optional; dq_rejections)
    fact        true when fact_daily_metrics must hold no row breaking it (the condition
                reads the fact's columns too), or the SQL condition to check there instead
  From the declaration derive: the staging flags (`dq_columns`), the quarantine reason
  (dq_quarantine.rule is the first code of invalid_reasons), the warn-level test on each
  staging model (`dq_flagged_rows`) and the error-level test on the fact (`dq_fact_rules`).
  A staging model picks its rules by code, in order (the first broken rule is the row's
  primary rule): `dq_rules(standard_rule_codes() + [...])` on a CTE named `standardised`.
-#}

{#- A numeric value as offending text: no trailing zeros, 'NULL' when NULL. -#}
{% macro dq_value(column) -%}
    coalesce({{ adapter.dispatch('dq_value', 'adwh')(column) }}, 'NULL')
{%- endmacro %}

{% macro postgres__dq_value(column) -%}
    trim_scale(({{ column }})::numeric)::text
{%- endmacro %}

{% macro default__dq_value(column) -%}
    cast({{ column }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- The columns a staging model may require (missing_<column>), and those the fact requires. -#}
{% macro dq_required_columns() -%}
    {{ return({
        'client_id': true, 'date_day': true, 'campaign_name': true,
        'strategy_name': false, 'placement_name': false, 'creative_name': true,
    }) }}
{%- endmacro %}

{#- The measures that must not be negative. -#}
{% macro dq_measures() -%}
    {{ return(['impressions', 'clicks', 'conversions', 'conversion_revenue', 'media_cost',
               'video_starts', 'video_completions']) }}
{%- endmacro %}

{#- The rules every source can use. `relation` is the alias of the rows being checked. -#}
{% macro standard_dq_rules(relation) -%}
    {%- set rules = [] -%}
    {%- for column, on_fact in dq_required_columns().items() -%}
        {%- do rules.append({
            'code': 'missing_' ~ column, 'fact': on_fact,
            'condition': column ~ ' is null',
            'offending': "'" ~ column ~ " is empty'"
        }) -%}
    {%- endfor -%}
    {%- do rules.append({
        'code': 'unknown_client',
        'condition': "client_id is not null and not exists (select 1 from " ~ ref('clients')
            ~ " as known where known.client_id = " ~ relation ~ ".client_id)",
        'offending': dbt.concat(["'client_id='", 'client_id'])
    }) -%}
    {%- for measure in dq_measures() -%}
        {%- do rules.append({
            'code': 'negative_' ~ measure, 'fact': true,
            'condition': measure ~ ' < 0',
            'offending': dbt.concat(["'" ~ measure ~ "='", dq_value(measure)])
        }) -%}
    {%- endfor -%}
    {%- do rules.append({
        'code': 'clicks_exceed_impressions', 'fact': true,
        'condition': 'clicks > impressions',
        'offending': dbt.concat(["'clicks='", dq_value('clicks'), "', impressions='",
                                 dq_value('impressions')])
    }) -%}
    {%- do rules.append({
        'code': 'future_date',
        'condition': 'date_day > ' ~ utc_date('loaded_at'),
        'fact': 'date_day > ' ~ utc_date('last_loaded_at'),
        'offending': dbt.concat(["'date_day='", 'date_day', "', loaded on '",
                                 dbt.cast(utc_date('loaded_at'), dbt.type_string())])
    }) -%}
    {{ return(rules) }}
{%- endmacro %}

{#- The codes of the standard rules, in order, for the columns a source requires and the
    measures it reports. -#}
{% macro standard_rule_codes(required=none, measures=none) -%}
    {%- set required = dq_required_columns().keys() | list if required is none else required -%}
    {%- set measures = dq_measures() if measures is none else measures -%}
    {%- set codes = [] -%}
    {%- for column in required %}{% do codes.append('missing_' ~ column) %}{% endfor -%}
    {%- do codes.append('unknown_client') -%}
    {%- for measure in measures %}{% do codes.append('negative_' ~ measure) %}{% endfor -%}
    {%- do codes.extend(['clicks_exceed_impressions', 'future_date']) -%}
    {{ return(codes) }}
{%- endmacro %}

{#- Every declared rule by code: the standard ones and each registered source's own
    (`dq_rules__<name>(relation)` in macros/sources/<name>.sql), disabled sources included
    (their staging models still build). -#}
{% macro dq_rule_catalog(relation='standardised') -%}
    {%- set catalog = {} -%}
    {%- set rules = standard_dq_rules(relation) -%}
    {%- for entry in adwh_sources(include_disabled=true) -%}
        {%- set source_rules = context.get('dq_rules__' ~ entry.name) -%}
        {%- if source_rules is not none -%}
            {%- do rules.extend(source_rules(relation)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for rule in rules -%}
        {%- if rule.code in catalog -%}
            {{ exceptions.raise_compiler_error("validation rule " ~ rule.code ~ " is declared twice") }}
        {%- endif -%}
        {%- do catalog.update({rule.code: rule}) -%}
    {%- endfor -%}
    {{ return(catalog) }}
{%- endmacro %}

{#- The rules of `codes`, in that order. -#}
{% macro dq_rules(codes, relation='standardised') -%}
    {%- set catalog = dq_rule_catalog(relation) -%}
    {%- set rules = [] -%}
    {%- for code in codes -%}
        {%- if code not in catalog -%}
            {{ exceptions.raise_compiler_error("unknown validation rule " ~ code) }}
        {%- endif -%}
        {%- do rules.append(catalog[code]) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#- invalid_reasons: comma-separated rule codes (NULL when valid), the first one is the
    primary rule; offending_values: "rule: values" pairs; is_valid. -#}
{% macro dq_columns(rules) -%}
    nullif(concat_ws(','
        {%- for rule in rules %},
        case when {{ rule.condition }} then '{{ rule.code }}' end
        {%- endfor %}
    ), '') as invalid_reasons,
    nullif(concat_ws('; '
        {%- for rule in rules %},
        case when {{ rule.condition }} then {{ dbt.concat(["'" ~ rule.code ~ ": '", rule.offending]) }} end
        {%- endfor %}
    ), '') as offending_values,
    {#- CASE, not NOT (a OR b OR ...): the planner cannot see through a CASE and estimates
        half the rows valid, instead of multiplying one default guess per rule into "almost
        none" - which made it pick nested loops over the staging views. -#}
    case
        when false
            {%- for rule in rules %}
            or coalesce({{ rule.condition }}, false)
            {%- endfor %}
            then false
        else true
    end as is_valid
{%- endmacro %}
