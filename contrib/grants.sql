-- Least privilege for a dedicated cleaner role that runs `scsctl purge` and
-- `scsctl watch-cleanup` (every --scan, both --lock-mode, --jobs, --dry-run), and nothing else.
--
-- Run it as the table's owner (or a superuser) in the app's database, with psql:
--   psql -d app -v cleaner=scsctl_cleaner -v schema=public -v table=sessions -f contrib/grants.sql
-- (:"DBNAME" is psql's own variable: the database it is connected to.) Then give the role a
-- password: \password scsctl_cleaner
--
-- Each grant below was found necessary by running the commands as a role holding only these
-- and taking one away at a time (tests/cli/contrib.rs runs purge and watch-cleanup with
-- exactly this file on every test run):
--   * SELECT on token, data and expiry: every command first checks the columns' types with a
--     query that reads no row but names the three columns. The batches find expired rows by
--     expiry and delete by token.
--   * SELECT on ctid: the batches pick their rows by ctid (a system column, granted like any).
--   * UPDATE on one column, expiry here (the least harmful to allow: it can only make a
--     session end sooner or later; token or data would let the role take over or rewrite a
--     session): the index-ordered batches lock their rows with `SELECT … FOR UPDATE SKIP
--     LOCKED`, so that a session the app is extending right then is skipped, and row locks
--     need UPDATE on at least one column. scsctl never updates anything.
--   * DELETE: the purge itself.
--   * CONNECT on the database and USAGE on the schema, which PUBLIC may no longer have.
-- The advisory locks that elect one cleaner per table need no privilege.
--
-- Not needed, so not granted: INSERT, TRUNCATE, UPDATE of any other column. `purge --vacuum`
-- needs the table's owner; without it the VACUUM is refused.

CREATE ROLE :"cleaner" LOGIN;

GRANT CONNECT ON DATABASE :"DBNAME" TO :"cleaner";
GRANT USAGE ON SCHEMA :"schema" TO :"cleaner";
GRANT SELECT (token, data, expiry, ctid), UPDATE (expiry), DELETE
    ON TABLE :"schema".:"table" TO :"cleaner";

-- A partitioned table (scsctl init-schema --partitions) or an inheritance parent: scsctl
-- purges each leaf partition or child table directly, where the parent's privileges do not
-- reach, so grant the same on every one of them (psql's \gexec runs each generated GRANT):
--   SELECT format('GRANT SELECT (token, data, expiry, ctid), UPDATE (expiry), DELETE ON TABLE %s TO %I',
--                 c.oid::regclass, :'cleaner')
--   FROM pg_partition_tree(:'schema' || '.' || :'table') p JOIN pg_class c ON c.oid = p.relid
--   WHERE p.isleaf \gexec
-- (for inheritance children, list them from pg_inherits). Without it purge says which table
-- the role may not delete from.

-- Optional (PostgreSQL 15 and later; run as a superuser): lets the batches compress their
-- WAL (`SET wal_compression = lz4`), which writes about a quarter of the WAL on a large
-- backlog. Without it scsctl purges as before (`purge -o json` says "wal_compression": false).
GRANT SET ON PARAMETER wal_compression TO :"cleaner";
