"""Shared loader plumbing: errors, settings, ingestion log, tabular reading, dlt."""
