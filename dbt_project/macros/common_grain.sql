{#- The columns every staging model hands to int_daily_performance__unioned, in order, with
    the type the union casts them to - so the facts keep one column type whatever each raw
    table uses (dlt writes varchar, an empty stand-in text, ...).
    A new source adds its staging model to the list in that model and nothing else.
    country_code (ISO 3166 alpha-2, upper case) and device_type are NULL for sources that do
    not break their figures down by geography or device. -#}
{% macro common_grain_columns() -%}
    {{ return([
        ('source', 'text'),
        ('client_id', 'text'),
        ('date_day', 'date'),
        ('campaign_name', 'text'),
        ('strategy_name', 'text'),
        ('placement_name', 'text'),
        ('creative_name', 'text'),
        ('impressions', 'bigint'),
        ('clicks', 'bigint'),
        ('conversions', 'numeric(38, 12)'),
        ('conversion_revenue', 'numeric(38, 12)'),
        ('media_cost', 'numeric(38, 12)'),
        ('currency_code', 'text'),
        ('video_starts', 'bigint'),
        ('video_completions', 'bigint'),
        ('trials', 'numeric(38, 12)'),
        ('purchases', 'numeric(38, 12)'),
        ('country_code', 'text'),
        ('device_type', 'text'),
        ('source_file', 'text'),
        ('source_row_number', 'bigint'),
        ('load_id', 'text'),
        ('loaded_at', 'timestamp with time zone'),
        ('invalid_reasons', 'text'),
        ('offending_values', 'text'),
        ('is_valid', 'boolean'),
    ]) }}
{%- endmacro %}

{#- Columns of the common grain a staging model may leave out, and the value it then gets:
    only sources that report trials and purchases (Meta) carry them; for the others they are 0.
    The union checks each staging relation's columns (as built) to know. -#}
{% macro optional_grain_defaults() -%}
    {{ return({'trials': '0', 'purchases': '0'}) }}
{%- endmacro %}
