{#- Facebook uploads record, on every raw row, which of the file's columns each measure comes
    from (loaders/facebook.py): clicks = Clicks, else Link clicks, else Clicks (all);
    conversions = Conversions, else Results; revenue = Revenue, else a purchase conversion
    value column. This maps the recorded raw column name back to its value; staging and the
    conservation test both read measures through it. `prefix` qualifies the columns. -#}
{% macro facebook_measure(measure, prefix='') -%}
    {%- set choices = {
        'clicks': ['clicks', 'link_clicks', 'clicks_all'],
        'conversions': ['conversions', 'results'],
        'revenue': ['revenue', 'purchases_conversion_value', 'website_purchases_conversion_value',
                    'meta_purchases_conversion_value', 'in_app_purchases_conversion_value',
                    'offline_purchases_conversion_value'],
        'media_cost': ['amount_spent'],
    } -%}
    (case {{ prefix }}{{ measure }}_column
        {%- for column in choices[measure] %}
        when '{{ column }}' then {{ prefix }}{{ column }}
        {%- endfor %}
    end)
{%- endmacro %}
