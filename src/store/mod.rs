//! The only place SQL lives: [`Store`], the Rust twin of SCS's `postgresstore`, plus the
//! administrative queries scsctl needs (schema, listing, counting, batched purge, stats).
//!
//! The twin keeps postgresstore's exact semantics, including its strict boundaries: a row is
//! live while `current_timestamp < expiry` (the database clock), and cleanup deletes rows with
//! `expiry < current_timestamp`. A row whose expiry equals the current time is neither found nor
//! deleted, as in SCS.
//!
//! By default every statement is sent unnamed, parameters typed, in one round trip
//! (`query_typed`): behind a connection pooler in transaction mode (PgBouncer's
//! `pool_mode = transaction`) a named prepared statement outlives the transaction on a server
//! connection that the next transaction may not get, and its name collides with the next
//! client's (`prepared statement "s0" already exists`). Unnamed statements work the same on a
//! direct connection, and cost a one-shot command no extra round trip. A long-lived store on
//! a direct connection (an app's) calls [`Store::prepare_statements`] once: the twin's
//! operations then skip parsing and planning on every call.

mod admin;
mod cleanup;
mod dependents;
mod errors;
mod leaves;
mod migrate;
mod purge;
mod rename;
mod schema;

use std::collections::HashMap;
use std::time::SystemTime;

use postgres::types::{ToSql, Type};
use postgres::{Client, Statement};

pub use admin::{EXPIRED_BUCKETS, LIVE_BUCKETS, LeafStats, SessionRow, State, Stats};
pub use cleanup::{Cleanup, CleanupReport, DEFAULT_CLEANUP_INTERVAL};
pub use dependents::{ReferencingKey, UserRule, UserTrigger};
pub use leaves::{Layout, Leaf, TableKind};
pub use migrate::{
    BATCHES_TABLE, MigrateCounts, MigrateOutcome, MigrateStep, Migration, MigrationState, Phase,
    STATE_TABLE, hash_sql,
};
pub use purge::{
    BatchOutcome, BatchStatement, CleanerLock, LockMode, PurgeRange, Purger, Sample, Step,
};
pub use rename::{Cursor, Window};
pub use schema::{
    MAX_PARTITIONS, SchemaCheck, check_partitions, create_sql, grant_sql, partition_names,
};

use crate::connect::Target;
use crate::error::Result;
use crate::table::TableName;
use errors::table_error;

/// The SQL of the statements the twin prepares, built once per table.
#[derive(Debug, Clone)]
struct Sql {
    find: String,
    commit: String,
    delete: String,
    all: String,
}

/// SCS's upsert, shared by [`Store::commit`] and [`Store::commit_in`].
fn commit_sql(table: &TableName) -> String {
    format!(
        "INSERT INTO {} (token, data, expiry) VALUES ($1, $2, $3) \
         ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry",
        table.quoted()
    )
}

impl Sql {
    fn new(table: &TableName) -> Sql {
        let t = table.quoted();
        Sql {
            find: format!("SELECT data FROM {t} WHERE token = $1 AND current_timestamp < expiry"),
            commit: commit_sql(table),
            delete: format!("DELETE FROM {t} WHERE token = $1"),
            all: format!("SELECT token, data FROM {t} WHERE current_timestamp < expiry"),
        }
    }
}

/// The twin's statements, prepared (named) on the store's connection.
struct Prepared {
    find: Statement,
    commit: Statement,
    delete: Statement,
    all: Statement,
}

/// A statement parameter with its PostgreSQL type, as unnamed statements take them.
type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// A sessions table on one connection: SCS's postgresstore operations (`find`, `commit`,
/// `delete`, `all`) and scsctl's administrative ones.
///
/// A store may own a background cleanup ([`Store::start_cleanup`]) that runs on its own
/// connection and is stopped when the store is dropped.
pub struct Store {
    client: Client,
    table: TableName,
    sql: Sql,
    prepared: Option<Prepared>,
    cleanup: Option<Cleanup>,
}

impl Store {
    /// A store over an open connection, without background cleanup.
    pub fn new(client: Client, table: TableName) -> Store {
        Store {
            client,
            sql: Sql::new(&table),
            prepared: None,
            table,
            cleanup: None,
        }
    }

    /// Connects through `target` and returns a store without background cleanup.
    pub fn connect(target: &Target, table: TableName) -> Result<Store> {
        Ok(Store::new(target.connect()?, table))
    }

    /// Like postgresstore's `NewWithCleanupInterval`: connects and starts a background cleanup
    /// every `interval` on a second connection (`Duration::ZERO` disables it).
    pub fn open(target: &Target, table: TableName, interval: std::time::Duration) -> Result<Store> {
        let mut store = Store::connect(target, table)?;
        store.start_cleanup(target, interval);
        Ok(store)
    }

    /// The table this store works on.
    pub fn table(&self) -> &TableName {
        &self.table
    }

    /// The underlying connection, for callers that need a transaction or a cancel token.
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Starts (or restarts) the background cleanup: every `interval`, delete expired rows, as
    /// postgresstore's `startCleanup` does, on a connection of its own. `Duration::ZERO`
    /// disables it, as in SCS.
    pub fn start_cleanup(&mut self, target: &Target, interval: std::time::Duration) {
        self.stop_cleanup();
        if !interval.is_zero() {
            self.cleanup = Some(Cleanup::start(target.clone(), self.table.clone(), interval));
        }
    }

    /// Stops the background cleanup, waiting for its thread to end, and returns what it did.
    pub fn stop_cleanup(&mut self) -> Option<CleanupReport> {
        self.cleanup.take().map(Cleanup::stop)
    }

    /// Prepares the twin's statements ([`Store::find`], [`Store::commit`], [`Store::delete`],
    /// [`Store::all`]) as named statements on this connection, once: from then on each call is
    /// a bind and execute, without parsing and planning. For a store that lives long on a direct
    /// connection (or a pooler in session mode); not behind a pooler in transaction mode, where
    /// the next transaction may run on a server connection that never saw them.
    pub fn prepare_statements(&mut self) -> Result<()> {
        let table = &self.table;
        let client = &mut self.client;
        let mut prepare = |sql: &str, types: &[Type]| {
            client
                .prepare_typed(sql, types)
                .map_err(|e| table_error(table, "cannot prepare the session statements", e))
        };
        self.prepared = Some(Prepared {
            find: prepare(&self.sql.find, &TOKEN_TYPES)?,
            commit: prepare(&self.sql.commit, &COMMIT_TYPES)?,
            delete: prepare(&self.sql.delete, &TOKEN_TYPES)?,
            all: prepare(&self.sql.all, &[])?,
        });
        Ok(())
    }

    /// Mirrors postgresstore's `Find`: the data of a live session, `None` when the token has no
    /// row or the row has expired by the database clock.
    pub fn find(&mut self, token: &str) -> Result<Option<Vec<u8>>> {
        let row = match &self.prepared {
            Some(p) => self.client.query_opt(&p.find, &[&token]),
            None => self
                .client
                .query_typed_opt(&self.sql.find, &[(&token, TOKEN_TYPES[0].clone())]),
        }
        .map_err(|e| table_error(&self.table, "cannot read the session", e))?;
        row.map(|r| r.try_get(0))
            .transpose()
            .map_err(|e| errors::incompatible(&self.table, &format!("cannot read a row: {e}")))
    }

    /// Mirrors postgresstore's `Commit`: insert the session or replace its data and expiry,
    /// with the same `INSERT … ON CONFLICT (token) DO UPDATE` upsert.
    pub fn commit(&mut self, token: &str, data: &[u8], expiry: SystemTime) -> Result<()> {
        match &self.prepared {
            Some(p) => self.client.execute(&p.commit, &[&token, &data, &expiry]),
            None => self
                .client
                .execute_typed(&self.sql.commit, &commit_params(&token, &data, &expiry)),
        }
        .map_err(|e| table_error(&self.table, "cannot write the session", e))?;
        Ok(())
    }

    /// Mirrors postgresstore's `Delete`: a missing token is not an error. Returns whether a row
    /// was deleted (SCS discards this).
    pub fn delete(&mut self, token: &str) -> Result<bool> {
        let n = match &self.prepared {
            Some(p) => self.client.execute(&p.delete, &[&token]),
            None => self
                .client
                .execute_typed(&self.sql.delete, &[(&token, TOKEN_TYPES[0].clone())]),
        }
        .map_err(|e| table_error(&self.table, "cannot delete the session", e))?;
        Ok(n > 0)
    }

    /// Mirrors postgresstore's `All`: every live session, token → data.
    pub fn all(&mut self) -> Result<HashMap<String, Vec<u8>>> {
        let rows = match &self.prepared {
            Some(p) => self.client.query(&p.all, &[]),
            None => self.client.query_typed(&self.sql.all, &[]),
        }
        .map_err(|e| table_error(&self.table, "cannot read the sessions", e))?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, postgres::Error>>()
            .map_err(|e| errors::incompatible(&self.table, &format!("cannot read a row: {e}")))
    }
}

/// Parameter types of the statements that take a token alone (find, delete).
const TOKEN_TYPES: [Type; 1] = [Type::TEXT];
/// Parameter types of commit: token, data, expiry.
const COMMIT_TYPES: [Type; 3] = [Type::TEXT, Type::BYTEA, Type::TIMESTAMPTZ];

/// The parameters of the upsert (`$1` token, `$2` data, `$3` expiry).
fn commit_params<'a>(token: &'a &str, data: &'a &[u8], expiry: &'a SystemTime) -> [Param<'a>; 3] {
    let [t, d, e] = COMMIT_TYPES;
    [(token, t), (data, d), (expiry, e)]
}
