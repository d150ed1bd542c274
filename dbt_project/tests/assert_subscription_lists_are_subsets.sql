{#- post-trial ⊆ trial, converted ⊆ post-trial, trial refunds ⊆ converted, purchase refunds ⊆
    purchases, on every row of both subscription marts. Returns the ids that break it. -#}
{%- set pairs = [('post_trial_user_ids', 'trial_user_ids'), ('converted_user_ids', 'post_trial_user_ids'),
                 ('trial_refund_user_ids', 'converted_user_ids'),
                 ('purchase_refund_user_ids', 'purchase_user_ids')] %}
{%- set keys = ['entity_type', 'entity_id', 'client_id', 'date_day', 'country_code'] %}
{%- for mart in subscription_marts() %}
    {%- set row_keys = keys if 'country' in mart.identifier else keys[:4] %}
    {%- set relation %}(select *{% if 'country' not in mart.identifier %}, 'ALL' as country_code{% endif %} from {{ mart }}){% endset %}
    {%- for subset, superset in pairs %}
select '{{ mart.identifier }}' as mart, '{{ subset }}' as list_name, sub.*
from ({{ subscription_list_items(relation ~ ' as rows', keys, subset) }}) as sub
where not exists (
    select 1
    from ({{ subscription_list_items(relation ~ ' as rows', keys, superset) }}) as super
    where
        {%- for key in keys %}
        sub.{{ key }} = super.{{ key }} and
        {%- endfor %}
        sub.item = super.item
)
    {% if not (loop.last) %}union all{% endif %}
    {%- endfor %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
