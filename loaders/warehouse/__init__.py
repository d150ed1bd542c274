"""The warehouse: database URL, embedded PostgreSQL, dbt runner."""
