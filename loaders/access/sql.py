"""SQL of the access layer: the `adwh_access` schema, its login -> client table, and the two
functions row-level security and the dbt hook call (Postgres only; see docs/access.md)."""

from __future__ import annotations

SCHEMA = "adwh_access"

OWNER = "adwh_owner"
LOADER = "adwh_loader"
TRANSFORMER = "adwh_transformer"
ANALYST = "adwh_analyst"
PII = "adwh_pii"
CLIENT = "adwh_client"

# name -> (can log in, what it is for)
ROLES: dict[str, tuple[bool, str]] = {
    OWNER: (False, "owns the warehouse schemas; nobody logs in as it"),
    LOADER: (True, "adwh load: writes raw_* and adwh_ops"),
    TRANSFORMER: (True, "dbt: reads raw and seeds, writes staging, intermediate, marts"),
    ANALYST: (True, "reads marts (no raw, no staging, no user-id columns)"),
    PII: (True, "the analyst's rights plus the *_user_ids columns"),
    CLIENT: (False, "group of the per-client logins: marts through row-level security"),
}
LOGIN_ROLES = tuple(name for name, (login, _) in ROLES.items() if login)

# Schemas dbt writes (owned by adwh_owner, created by adwh_transformer's tables).
MODEL_SCHEMAS = ("staging", "intermediate", "marts", "seeds")
OPS_SCHEMA = "adwh_ops"

# Installed by `adwh access init` (as the administrator). Idempotent.
INSTALL = f"""
create schema if not exists {SCHEMA};
alter schema {SCHEMA} owner to {OWNER};
create table if not exists {SCHEMA}.client_logins (
    login       text not null,
    client_id   text not null,
    created_at  timestamptz not null default now(),
    primary key (login, client_id)
);
alter table {SCHEMA}.client_logins owner to {OWNER};
comment on table {SCHEMA}.client_logins is
    'Which clients each per-client login may see (adwh access add-login / revoke).';

-- The clients of the login running the query. security definer: a client login cannot
-- read client_logins itself. session_user, not current_user: inside a security definer
-- function current_user is the function's owner.
create or replace function {SCHEMA}.visible_clients() returns setof text
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
    select client_id from {SCHEMA}.client_logins where login = session_user
$$;
alter function {SCHEMA}.visible_clients() owner to {OWNER};
revoke all on function {SCHEMA}.visible_clients() from public;
grant execute on function {SCHEMA}.visible_clients() to {CLIENT};

-- Grants and row-level security of one marts relation. Called by dbt (as the relation's
-- owner, in the transaction that built it: macros/access.sql) and by `adwh access init`.
-- client_access: 'rows' = clients see their rows when the relation has client_id, nothing
-- otherwise; 'shared' = a client-agnostic relation every client may read; 'none'.
create or replace function {SCHEMA}.secure_relation(rel regclass, client_access text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
    kind        "char";
    has_client  boolean;
    n_pii       integer;
    open_cols   text;
begin
    if client_access not in ('rows', 'shared', 'none') then
        raise exception 'secure_relation: client_access must be rows, shared or none, not %',
            client_access;
    end if;
    select c.relkind into kind from pg_class c where c.oid = rel;
    select coalesce(bool_or(a.attname = 'client_id'), false),
           count(*) filter (where a.attname like '%\\_user\\_ids'),
           string_agg(quote_ident(a.attname), ', ' order by a.attnum)
               filter (where a.attname not like '%\\_user\\_ids')
      into has_client, n_pii, open_cols
      from pg_attribute a
     where a.attrelid = rel and a.attnum > 0 and not a.attisdropped;

    -- start from nothing (a table-level revoke also revokes the column grants)
    execute format('revoke all on %s from {ANALYST}, {PII}, {CLIENT}', rel);
    execute format('grant select on %s to {PII}', rel);
    if n_pii = 0 then
        execute format('grant select on %s to {ANALYST}', rel);
    elsif open_cols is not null then
        execute format('grant select (%s) on %s to {ANALYST}', open_cols, rel);
    end if;
    if open_cols is not null
       and ((client_access = 'rows' and has_client) or client_access = 'shared') then
        execute format('grant select (%s) on %s to {CLIENT}', open_cols, rel);
    end if;

    if kind = 'v' then
        -- a view reads its tables with its owner's rights unless security_invoker is set:
        -- with it, the tables' row-level security applies to whoever queries the view
        execute format('alter view %s set (security_invoker = true)', rel);
    elsif kind in ('r', 'p') and has_client then
        execute format('alter table %s enable row level security', rel);
        execute format('alter table %s force row level security', rel);
        execute format('drop policy if exists adwh_all_rows on %s', rel);
        execute format('drop policy if exists adwh_client_rows on %s', rel);
        execute format(
            'create policy adwh_all_rows on %s for all '
            'to {OWNER}, {TRANSFORMER}, {ANALYST}, current_user using (true) with check (true)',
            rel);
        execute format(
            'create policy adwh_client_rows on %s for select to {CLIENT} '
            'using (client_id::text in (select {SCHEMA}.visible_clients()))',
            rel);
    end if;
end
$fn$;
alter function {SCHEMA}.secure_relation(regclass, text) owner to {OWNER};
revoke all on function {SCHEMA}.secure_relation(regclass, text) from public;
grant execute on function {SCHEMA}.secure_relation(regclass, text) to {TRANSFORMER};
grant usage on schema {SCHEMA} to {TRANSFORMER}, {CLIENT};
"""
