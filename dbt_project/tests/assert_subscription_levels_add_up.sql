{#- In both subscription marts, per client-day (and country): ad rows add up to ad set rows
    and ad set rows to campaign rows, for every count and amount. Returns what differs. -#}
{%- set columns = subscription_additive_columns() %}
{%- for mart in subscription_marts() %}
    {%- set by_country = 'country' in mart.identifier %}
    {%- for lower, upper in [('ad', 'adset'), ('adset', 'campaign')] %}
        select
            '{{ mart.identifier }}' as mart,
            '{{ lower }} vs {{ upper }}' as levels,
            client_id,
            date_day,
            {% if by_country %}country_code{% else %}'ALL' as country_code{% endif %}
        from {{ mart }}
        where entity_type in ('{{ lower }}', '{{ upper }}')
        group by client_id, date_day{% if by_country %}, country_code{% endif %}
        having
            {%- for column in columns %}
                coalesce(sum(case when entity_type = '{{ lower }}' then {{ column }} end), 0)
                <> coalesce(sum(case when entity_type = '{{ upper }}' then {{ column }} end), 0)
                {%- if not loop.last %} or{% endif %}
            {%- endfor %}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
