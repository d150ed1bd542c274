{#- Metric helpers: the one definition of every ratio (DESIGN.md section 4). -#}

{#- numerator / denominator, NULL when the denominator is 0 or NULL (never 0). -#}
{% macro safe_divide(numerator, denominator) -%}
    (({{ numerator }})::numeric / nullif(({{ denominator }})::numeric, 0))
{%- endmacro %}

{#- A ratio as stored: 12 decimals, far below any figure a dashboard shows. -#}
{% macro stored_ratio(expression) -%}
    ({{ expression }})::numeric(38, 12)
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
