{{ config(indexes=table_indexes([{'columns': ['client_id', 'period_start'], 'unique': true}])) }}

{#- Per client and calendar month: measures, ratios from sums, and changes against the
    previous month. -#}
{{ client_period_summary('month') }}
