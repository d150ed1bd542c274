"""adwh loaders: land source data in Postgres raw schemas with dlt (Arrow in, parquet out)."""

__version__ = "0.1.0"
