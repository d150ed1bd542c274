{{ config(indexes=table_indexes([{'columns': ['client_id', 'period_type', 'period_start']}])) }}

{#- Campaigns that underperform in a period (ISO week, calendar month): CTR below
    var underperformer_max_ctr (0.5 %) AND spend above var underperformer_min_spend (100)
    AND fewer than var underperformer_max_conversions (5) conversions. `reason` spells out
    the three figures against their thresholds. -#}

{%- set max_ctr = var('underperformer_max_ctr') %}
{%- set min_spend = var('underperformer_min_spend') %}
{%- set max_conversions = var('underperformer_max_conversions') %}

with periods as (
    {%- for period in period_types() %}
        select
            '{{ period.type }}'::text as period_type,
            {{ period_start(period.type, 'date_day') }} as period_start,
            {{ period_end(period.type, 'date_day') }} as period_end,
            client_id,
            source,
            entity_id as campaign_key,
            max(entity_name) as campaign_name,
            sum(impressions)::bigint as impressions,
            sum(clicks)::bigint as clicks,
            sum(conversions)::numeric(38, 12) as conversions,
            sum(spend)::numeric(38, 12) as spend
        from {{ ref('mart_entity_daily_metrics') }}
        where entity_type = 'campaign'
        group by
            client_id, source, entity_id, {{ period_start(period.type, 'date_day') }},
            {{ period_end(period.type, 'date_day') }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

measured as (
    select
        periods.*,
        {{ stored_ratio(safe_divide('clicks', 'impressions')) }} as ctr
    from periods
)

select
    measured.*,
    {{ max_ctr }}::numeric as ctr_threshold,
    {{ min_spend }}::numeric as spend_threshold,
    {{ max_conversions }}::numeric as conversions_threshold,
    format(
        'CTR %s %% < %s %%; spend %s > %s; %s conversions < %s',
        to_char(measured.ctr * 100, 'FM990.00'),
        to_char({{ max_ctr }} * 100, 'FM990.00'),
        to_char(measured.spend, 'FM999999999990.00'),
        {{ min_spend }},
        trim_scale(measured.conversions),
        {{ max_conversions }}
    ) as reason
from measured
where
    measured.ctr < {{ max_ctr }}
    and measured.spend > {{ min_spend }}
    and measured.conversions < {{ max_conversions }}
