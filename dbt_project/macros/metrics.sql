{#- Metric helpers: the one definition of every ratio (docs/metrics-and-rules.md). -#}

{#- numerator / denominator, NULL when the denominator is 0 or NULL (never 0). -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as numeric) / nullif(cast({{ denominator }} as numeric), 0))
{%- endmacro %}

{#- A ratio as stored: 12 decimals, far below any figure a dashboard shows. -#}
{% macro stored_ratio(expression) -%}
    cast({{ expression }} as numeric(38, 12))
{%- endmacro %}

{#- The ratio columns, recomputed from summed measures at the caller's grain.
    `prefix` qualifies the measure columns (e.g. 'f.'). -#}
{% macro ratio_columns(prefix='') -%}
    {{ stored_ratio(safe_divide(prefix ~ 'clicks', prefix ~ 'impressions')) }} as ctr,
    {{ stored_ratio(safe_divide(prefix ~ 'spend', prefix ~ 'clicks')) }} as cpc,
    {{ stored_ratio(safe_divide(prefix ~ 'spend', prefix ~ 'impressions') ~ ' * 1000') }} as cpm,
    {{ stored_ratio(safe_divide(prefix ~ 'spend', prefix ~ 'conversions')) }} as cpa,
    {{ stored_ratio(safe_divide(prefix ~ 'conversion_revenue', prefix ~ 'spend')) }} as roas,
    {{ stored_ratio(safe_divide(prefix ~ 'video_completions', prefix ~ 'video_starts')) }} as vcr
{%- endmacro %}

{#- The additive measures every fact and mart carries, in order. -#}
{% macro additive_measures() -%}
    {{ return(['impressions', 'clicks', 'conversions', 'conversion_revenue', 'media_cost',
               'spend', 'video_starts', 'video_completions', 'trials', 'purchases']) }}
{%- endmacro %}

{#- The stored type of an additive measure: counts are whole numbers. -#}
{% macro measure_type(measure) -%}
    {%- if measure in ['impressions', 'clicks', 'video_starts', 'video_completions'] -%}
        {{ dbt.type_bigint() }}
    {%- else -%}
        numeric(38, 12)
    {%- endif -%}
{%- endmacro %}

{#- `sum(<prefix><measure>) as <measure>` for every additive measure, comma-separated, cast
    to the stored type when `typed`. -#}
{% macro summed_measures(prefix='', typed=false) -%}
    {%- for measure in additive_measures() %}
    {% if typed %}cast(sum({{ prefix }}{{ measure }}) as {{ measure_type(measure) }})
    {%- else %}sum({{ prefix }}{{ measure }}){% endif %} as {{ measure }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
