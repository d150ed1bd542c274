"""Operations: the scheduled run (`adwh run`), its lock and record, alert delivery, the audit
log and backups. Everything here writes to the `adwh_ops` schema beside the ingestion log."""
