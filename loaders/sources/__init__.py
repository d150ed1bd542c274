"""One package per source; the registry of sources lives in dbt_project/seeds/sources.csv."""
