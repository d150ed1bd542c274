{#- The columns every staging model hands to int_daily_performance__unioned, in order, with
    the type the union casts them to - so the facts keep one column type whatever each raw
    table uses (dlt writes varchar, an empty stand-in text, ...).
    A new source's staging model selects these columns; the union lists it from the source
    registry (var adwh_sources).
    country_code (ISO 3166 alpha-2, upper case) and device_type are NULL for sources that do
    not break their figures down by geography or device. -#}
{% macro common_grain_columns() -%}
    {{ return([
        ('source', dbt.type_string()),
        ('client_id', dbt.type_string()),
        ('date_day', 'date'),
        ('campaign_name', dbt.type_string()),
        ('strategy_name', dbt.type_string()),
        ('placement_name', dbt.type_string()),
        ('creative_name', dbt.type_string()),
        ('impressions', dbt.type_bigint()),
        ('clicks', dbt.type_bigint()),
        ('conversions', 'numeric(38, 12)'),
        ('conversion_revenue', 'numeric(38, 12)'),
        ('media_cost', 'numeric(38, 12)'),
        ('currency_code', dbt.type_string()),
        ('video_starts', dbt.type_bigint()),
        ('video_completions', dbt.type_bigint()),
        ('trials', 'numeric(38, 12)'),
        ('purchases', 'numeric(38, 12)'),
        ('country_code', dbt.type_string()),
        ('device_type', dbt.type_string()),
        ('source_file', dbt.type_string()),
        ('source_row_number', dbt.type_bigint()),
        ('load_id', dbt.type_string()),
        ('loaded_at', 'timestamp with time zone'),
        ('invalid_reasons', dbt.type_string()),
        ('offending_values', dbt.type_string()),
        ('is_valid', dbt.type_boolean()),
    ]) }}
{%- endmacro %}

{#- Columns of the common grain a staging model may leave out, and the value it then gets:
    only sources that report trials and purchases (Meta) carry them; for the others they are 0.
    The union checks each staging relation's columns (as built) to know. -#}
{% macro optional_grain_defaults() -%}
    {{ return({'trials': '0', 'purchases': '0'}) }}
{%- endmacro %}
