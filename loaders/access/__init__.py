"""Access control: least-privilege roles, per-client logins with row-level security,
column-level protection of user-id lists (docs/access.md).

- roles.py      `adwh access init`: roles, schema ownership, grants (idempotent)
- sql.py        the adwh_access schema and the functions dbt's grant hook calls
- logins.py     per-client logins: add, revoke, list, rotate
- passwords.py  where role passwords live, and the URL each command connects with
- commands.py   the click group `adwh access`
"""
