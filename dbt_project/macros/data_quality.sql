{#-
  Row-level validation shared by every staging model (DESIGN.md section 5).

  A check is a dict: code (the rule name stored in invalid_reasons and dq_quarantine),
  condition (SQL, true when the row breaks the rule) and offending (SQL text expression
  describing the values that broke it). Staging models build the list with
  `standard_dq_checks(...)` plus source-specific ones, select their standardised columns in a
  CTE named `standardised`, then add `{{ dq_columns(checks) }}`.
-#}

{% macro dq_value(column) -%}
    coalesce(trim_scale(({{ column }})::numeric)::text, 'NULL')
{%- endmacro %}

{% macro standard_dq_checks(
    required=['client_id', 'date_day', 'campaign_name', 'strategy_name', 'placement_name', 'creative_name'],
    measures=['impressions', 'clicks', 'conversions', 'conversion_revenue', 'media_cost', 'video_starts', 'video_completions'],
    relation='standardised'
) -%}
    {%- set checks = [] -%}
    {%- for column in required -%}
        {%- do checks.append({
            'code': 'missing_' ~ column,
            'condition': column ~ ' is null',
            'offending': "'" ~ column ~ " is empty'"
        }) -%}
    {%- endfor -%}
    {%- do checks.append({
        'code': 'unknown_client',
        'condition': "client_id is not null and not exists (select 1 from " ~ ref('clients')
            ~ " as known where known.client_id = " ~ relation ~ ".client_id)",
        'offending': "'client_id=' || client_id"
    }) -%}
    {%- for measure in measures -%}
        {%- do checks.append({
            'code': 'negative_' ~ measure,
            'condition': measure ~ ' < 0',
            'offending': "'" ~ measure ~ "=' || " ~ dq_value(measure)
        }) -%}
    {%- endfor -%}
    {%- do checks.append({
        'code': 'clicks_exceed_impressions',
        'condition': 'clicks > impressions',
        'offending': "'clicks=' || " ~ dq_value('clicks') ~ " || ', impressions=' || " ~ dq_value('impressions')
    }) -%}
    {%- do checks.append({
        'code': 'future_date',
        'condition': "date_day > (loaded_at at time zone 'UTC')::date",
        'offending': "'date_day=' || date_day || ', loaded on ' || ((loaded_at at time zone 'UTC')::date)::text"
    }) -%}
    {{ return(checks) }}
{%- endmacro %}

{#- invalid_reasons: comma-separated rule codes (NULL when valid), the first one is the
    primary rule; offending_values: "rule: values" pairs; is_valid. -#}
{% macro dq_columns(checks) -%}
    nullif(concat_ws(','
        {%- for check in checks %},
        case when {{ check.condition }} then '{{ check.code }}' end
        {%- endfor %}
    ), '') as invalid_reasons,
    nullif(concat_ws('; '
        {%- for check in checks %},
        case when {{ check.condition }} then '{{ check.code }}: ' || {{ check.offending }} end
        {%- endfor %}
    ), '') as offending_values,
    {#- CASE, not NOT (a OR b OR ...): the planner cannot see through a CASE and estimates
        half the rows valid, instead of multiplying one default guess per rule into "almost
        none" - which made it pick nested loops over the staging views. -#}
    case
        when false
            {%- for check in checks %}
            or coalesce({{ check.condition }}, false)
            {%- endfor %}
            then false
        else true
    end as is_valid
{%- endmacro %}
