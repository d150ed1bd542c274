{#- Each count of the subscription marts equals the number of ids in its list. Returns the
    rows where one differs. -#}
{%- set pairs = [('mixpanel_trial_count', 'trial_user_ids'), ('post_trial_count', 'post_trial_user_ids'),
                 ('converted_count', 'converted_user_ids'), ('trial_refund_count', 'trial_refund_user_ids'),
                 ('mixpanel_purchase_count', 'purchase_user_ids'),
                 ('purchase_refund_count', 'purchase_refund_user_ids')] %}
{%- for mart in subscription_marts() %}
    select
        '{{ mart.identifier }}' as mart,
        entity_type,
        entity_id,
        client_id,
        date_day
    from {{ mart }}
    where
        {%- for count_column, list_column in pairs %}
            {{ count_column }} <> case
                when {{ list_column }} = '' then 0
                else length({{ list_column }}) - length(replace({{ list_column }}, ',', '')) + 1
            end
            {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
