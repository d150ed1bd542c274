{#- Facebook uploads record, on every raw row, which of the file's columns each measure comes
    from (loaders/sources/facebook): clicks = Clicks, else Link clicks, else Clicks (all);
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

{#- Facebook: conservation totals straight from raw (macros/conservation.sql), measures
    through the columns the loader recorded for each file. -#}
{% macro raw_totals__facebook() -%}
    {{ totals_sql(
        'facebook',
        source_or_empty('facebook', 'ad_daily') ~ ' as raw_rows',
        'raw_rows.client_id',
        'raw_rows.report_date',
        {
            'impressions': 'raw_rows.impressions',
            'clicks': facebook_measure('clicks', 'raw_rows.'),
            'conversions': facebook_measure('conversions', 'raw_rows.'),
            'conversion_revenue': facebook_measure('revenue', 'raw_rows.'),
            'media_cost': facebook_measure('media_cost', 'raw_rows.'),
        }
    ) }}
{%- endmacro %}

{#- Facebook's own validation rule (macros/data_quality.sql). -#}
{% macro dq_rules__facebook(relation) -%}
    {{ return([{
        'code': 'reach_exceeds_impressions',
        'condition': 'reach > impressions',
        'offending': dbt.concat(["'reach='", 'reach', "', impressions='", 'impressions'])
    }, {
        'code': 'superseded_by_api',
        'condition': 'is_superseded_by_api',
        'offending': dbt.concat(["'the Meta API delivered client '", 'client_id', "' on '",
                                 dbt.cast('date_day', dbt.type_string())])
    }]) }}
{%- endmacro %}

{#- How facebook raw tables change (macros/incremental_changes.sql): an upload replaces its
    client x report day (merge on client_id + report_date, the rows' day). A Meta API load of
    a client-day supersedes (or, emptied, stops superseding) the uploads' rows of that
    client-day (stg_facebook__ad_daily), so Meta's loads mark facebook partitions too. -#}
{% macro change_specs__facebook() -%}
    {{ return([
        {'table': 'ad_daily', 'client': 'client_id', 'date': 'report_date', 'delivery_day': 'report_date'},
        {'raw_source': 'meta', 'table': 'ad_daily', 'client': 'client_id', 'date': 'report_date',
         'delivery_day': 'report_date', 'dependency': true},
    ]) }}
{%- endmacro %}
