{{ config(indexes=table_indexes([{'columns': ['client_id', 'period_start'], 'unique': true}])) }}

{#- Per client and ISO week (Monday to Sunday): measures, ratios from sums, and changes
    against the previous week. -#}
{{ client_period_summary('week') }}
