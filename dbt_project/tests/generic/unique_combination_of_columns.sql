{#- Fails once per combination of the columns that occurs more than once. Where the database
    itself refuses duplicates - Postgres, a valid unique index on exactly these columns - the
    test checks that the index is there and groups only the rows with a NULL in one of the
    columns (the index lets those repeat): a full GROUP BY of a mart with millions of rows
    proves again what every insert into it already proved. Drop the index and the test
    groups every row again. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ adapter.dispatch('test_unique_combination_of_columns', 'adwh')(model, combination_of_columns) }}
{% endtest %}
