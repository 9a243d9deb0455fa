//! The SQL of purging: counting and deleting expired rows in short batches, the cleaner's
//! advisory lock, the per-batch guards (`lock_timeout`, `statement_timeout`) and the VACUUM
//! that may follow a large purge. The batch loop itself lives in [`crate::cleaner`].
//!
//! What is expired is decided by the database clock only: a batch deletes rows with
//! `expiry < current_timestamp - grace`, `current_timestamp` being the start of the batch's own
//! transaction, as SCS's cleanup does.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use postgres::types::{Timestamp, ToSql, Type};

use super::Store;
use super::errors::table_error;
use crate::error::{Error, Result};

/// The first key of the cleaner's advisory lock: "scs" in ASCII, so that scsctl's locks are
/// recognisable in `pg_locks` (`classid`) and don't collide with an app's single-key locks.
const CLEANER_LOCK_CLASS: i32 = 0x0073_6373;

/// How the cleaner's mutual exclusion is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockMode {
    /// A session-level advisory lock taken once and held for the whole run (or, in the daemon,
    /// for as long as the connection lives): one active cleaner, the others stand by. Timeouts
    /// are set once per connection and each batch is a single statement, its own transaction:
    /// one round trip per batch. Needs a real session: direct connections, or a pooler in
    /// session mode.
    #[default]
    Session,
    /// For a pooler in transaction mode (PgBouncer `pool_mode = transaction`), where session
    /// state does not survive a transaction: each batch is an explicit transaction that sets its
    /// timeouts with `SET LOCAL`, takes `pg_try_advisory_xact_lock` and deletes only if it got
    /// it. Batches of competing cleaners are mutually exclusive, but leadership is per batch,
    /// not per run; only unnamed statements are used, so no prepared statement leaks between
    /// pooled clients.
    Transaction,
}

/// Which SQL a batch runs. Both select the batch through the expiry index (`ORDER BY expiry
/// LIMIT n FOR UPDATE SKIP LOCKED`) in the same statement that deletes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchStatement {
    /// Delete the locked rows by their `ctid` (a TID scan, no second index descent). The rows
    /// are locked by the same statement, so their `ctid` cannot change before the delete.
    #[default]
    Ctid,
    /// Delete the locked rows by primary key (a join on `token`).
    Key,
}

/// The keys of the cleaner's advisory lock on one table: the class "scs" and `hashtext` of the
/// fully qualified table name, so every scsctl on every host agrees on it whatever its
/// `search_path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanerLock {
    /// The first key (the same for every table).
    pub class: i32,
    /// The second key: `hashtext('schema.table')`.
    pub key: i32,
}

/// A slice of the expiry range a batch works in, besides the clock's cutoff. Bounds let a batch
/// start its index scan past the entries of rows already deleted, and let parallel workers
/// take disjoint slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeRange {
    /// Only rows with `expiry >= after` (inclusive); `None` is the start of the index.
    pub after: Option<SystemTime>,
    /// Only rows with `expiry < before` (exclusive); `None` leaves only the clock's cutoff.
    pub before: Option<SystemTime>,
}

/// One batch's work, in one leaf of the table ([`Leaf`](super::Leaf)): the table itself when
/// it is plain, else one partition or inheritance member, always named with `ONLY`, where a
/// `ctid` names one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Through the leaf's expiry index: at most `limit` expired rows in `range`, the oldest
    /// first, locked with `FOR UPDATE SKIP LOCKED` and deleted by the same statement, which
    /// checks their expiry again.
    Index {
        /// The leaf, quoted for SQL.
        leaf: Arc<str>,
        /// The most rows to delete.
        limit: i64,
        /// The slice of the expiry range.
        range: PurgeRange,
    },
    /// Through the leaf's heap in physical order: every expired row in pages `first..end` (a
    /// TID range scan), the statement's own predicate re-checked on any row the app updated
    /// meanwhile. Reads every page once, like the single DELETE, but in short transactions.
    Blocks {
        /// The leaf, quoted for SQL.
        leaf: Arc<str>,
        /// The first page.
        first: i64,
        /// One past the last page.
        end: i64,
    },
}

/// What a sample of a leaf's pages holds: the live statistics of the table, not the
/// planner's, which stay stale after a large purge until autovacuum runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Share of the leaf's pages that were read (0–1).
    pub fraction: f64,
    /// Rows found in them.
    pub rows: i64,
    /// Of those, the rows a purge would delete now.
    pub expired: i64,
}

/// What one batch of [`Store::purge_step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Rows deleted (0 when the lock was not held).
    pub deleted: u64,
    /// Rows an index batch chose and locked: as many as deleted unless a trigger or a
    /// row-level security policy kept some. For a block batch, the rows deleted.
    pub chosen: u64,
    /// The latest expiry among the rows an index batch chose.
    pub last_expiry: Option<SystemTime>,
    /// False when, in [`LockMode::Transaction`], another cleaner held the lock and the batch
    /// did nothing.
    pub locked: bool,
}

/// How batches are run on one connection: the lock, the guards and the SQL kind. Made by
/// [`Store::purger`]; valid only with the store that made it (make a new one after
/// reconnecting). Every statement is sent unnamed, so nothing is left prepared on the server
/// connection: behind a pooler it would wait there for the next client.
#[derive(Debug, Clone)]
pub struct Purger {
    mode: LockMode,
    lock: CleanerLock,
    statement: BatchStatement,
    lock_timeout: Duration,
    statement_timeout: Duration,
    compress_wal: bool,
    /// What opens each batch in [`LockMode::Transaction`] (empty in session mode).
    begin: String,
}

impl Purger {
    /// Whether the batches compress their WAL ([`Store::purger`] asked for it and the server
    /// allowed it).
    pub fn compresses_wal(&self) -> bool {
        self.compress_wal
    }

    /// The cleaner lock of the purged table.
    pub fn lock(&self) -> CleanerLock {
        self.lock
    }

    /// The same batches and settings, readied on no connection: a value that can travel to
    /// another thread and go to [`Store::helper_purger`] there.
    pub fn detached(&self) -> Purger {
        Purger {
            begin: String::new(),
            ..self.clone()
        }
    }

    /// The lock mode the batches use.
    pub fn mode(&self) -> LockMode {
        self.mode
    }
}

const BATCH_TYPES: [Type; 4] = [
    Type::INT8,
    Type::FLOAT8,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
];

/// An index batch in `leaf`: the rows are chosen and locked, then deleted by the same
/// statement, named by their `ctid` (or token) within the leaf alone, and their expiry is
/// checked again by the DELETE itself, so that no statement can remove a row it did not choose
/// or a row that is live by its own clock. It returns how many rows were chosen, the latest
/// expiry among them (where the next batch starts) and how many were deleted: fewer than
/// chosen where a trigger or a row-level security policy keeps a row.
fn batch_sql(leaf: &str, statement: BatchStatement) -> String {
    let expired = "expiry < current_timestamp - $2 * interval '1 second'";
    let key = match statement {
        BatchStatement::Ctid => "ctid",
        BatchStatement::Key => "token",
    };
    let chosen = format!(
        "SELECT {key}, expiry FROM ONLY {leaf} \
         WHERE expiry >= $3 AND expiry < $4 AND {expired} \
         ORDER BY expiry LIMIT $1 FOR UPDATE SKIP LOCKED"
    );
    let delete = match statement {
        BatchStatement::Ctid => format!(
            "DELETE FROM ONLY {leaf} WHERE ctid = ANY(ARRAY(SELECT ctid FROM chosen)) \
             AND {expired} RETURNING 1"
        ),
        BatchStatement::Key => format!(
            "DELETE FROM ONLY {leaf} t USING chosen b \
             WHERE t.token = b.token AND t.{expired} RETURNING 1"
        ),
    };
    format!(
        "WITH chosen AS MATERIALIZED ({chosen}), gone AS ({delete}) \
         SELECT (SELECT count(*) FROM chosen), (SELECT max(expiry) FROM chosen), \
                (SELECT count(*) FROM gone)"
    )
}

/// A purge does not wait for its commits to reach disk: if the server crashes, the last
/// batches are lost and their rows, still expired, are deleted again by the next pass. This
/// spares a WAL flush per batch, which short batches would otherwise pay many times over.
const ASYNC_COMMIT: &str = "SET synchronous_commit = off";

/// A purge compresses the WAL it writes, when the server lets its role (a superuser, or one
/// granted `SET ON PARAMETER wal_compression`, PostgreSQL 15 and later built with lz4). After a
/// checkpoint, the first change to each heap page writes a full-page image: a purge that
/// touches most pages writes about as much WAL as the table is large, and every commit of the
/// app waits for that WAL to be flushed first. lz4 cut it from 885 MB to 237 MB for 1,000,000
/// rows (`cargo bench --bench purge`) and the app's p99 during the purge from 5.0 ms to 2.0 ms,
/// for some CPU in the purge's backend. Only the purge's own session is affected.
const WAL_COMPRESSION: &str = "lz4";

const BLOCKS_TYPES: [Type; 3] = [Type::TEXT, Type::TEXT, Type::FLOAT8];

/// Whether the `pg_try_advisory_xact_lock` at the end of a batch's opening text said yes.
pub(super) fn lock_granted(messages: &[postgres::SimpleQueryMessage]) -> bool {
    messages
        .iter()
        .any(|m| matches!(m, postgres::SimpleQueryMessage::Row(row) if row.get(0) == Some("t")))
}

/// A block batch deletes the expired rows of a range of pages, found by a TID range scan.
/// The cutoff is a sub-select so that it is worked out once per batch (an InitPlan): written
/// inline it was evaluated for every row scanned, 5 % of the backend's CPU in a purge of
/// 1,000,000 rows (`perf`); the value is the same, `current_timestamp` being fixed within the
/// transaction.
fn blocks_sql(leaf: &str) -> String {
    format!(
        "DELETE FROM ONLY {leaf} WHERE ctid >= $1::tid AND ctid < $2::tid \
           AND expiry < (SELECT current_timestamp - $3 * interval '1 second')"
    )
}

fn bound(t: Option<SystemTime>, missing: Timestamp<SystemTime>) -> Timestamp<SystemTime> {
    t.map(Timestamp::Value).unwrap_or(missing)
}

fn millis(d: Duration) -> u128 {
    // 0 would mean "no limit" to the server; a guard of zero is meant as "as short as possible".
    d.as_millis().max(1)
}

impl Store {
    /// How many rows a purge with this grace would delete now (`expiry < current_timestamp -
    /// grace`).
    pub fn count_expired(&mut self, grace: Duration) -> Result<i64> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE expiry < current_timestamp - $1 * interval '1 second'",
            self.table.quoted()
        );
        // Unnamed statements here and below: safe behind a pooler in transaction mode.
        let row = self
            .client
            .query_typed_one(&sql, &[(&grace.as_secs_f64(), Type::FLOAT8)])
            .map_err(|e| table_error(&self.table, "cannot count expired sessions", e))?;
        Ok(row.get(0))
    }

    /// The earliest expiry among the rows of `leaf` (quoted) a purge would delete now, and the
    /// cutoff (`current_timestamp - grace`), or `None` when nothing is expired there. Used to
    /// split a leaf's pass between parallel workers.
    pub fn expired_span(
        &mut self,
        leaf: &str,
        grace: Duration,
    ) -> Result<Option<(SystemTime, SystemTime)>> {
        let sql = format!(
            "SELECT min(expiry), current_timestamp - $1 * interval '1 second' FROM ONLY {leaf} \
             WHERE expiry < current_timestamp - $1 * interval '1 second'"
        );
        let row = self
            .client
            .query_typed_one(&sql, &[(&grace.as_secs_f64(), Type::FLOAT8)])
            .map_err(|e| table_error(&self.table, "cannot read the expiry range", e))?;
        let first: Option<SystemTime> = row.get(0);
        Ok(first.map(|f| (f, row.get(1))))
    }

    /// The keys of this table's cleaner lock (the table must exist).
    pub fn cleaner_lock(&mut self) -> Result<CleanerLock> {
        let row = self
            .client
            .query_typed_one(
                "SELECT hashtext(n.nspname || '.' || c.relname) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.oid = $1::text::regclass",
                &[(&self.table.quoted(), Type::TEXT)],
            )
            .map_err(|e| table_error(&self.table, "cannot find the sessions table", e))?;
        Ok(CleanerLock {
            class: CLEANER_LOCK_CLASS,
            key: row.get(0),
        })
    }

    /// Tries to take `lock` (from [`Store::cleaner_lock`]) for this session: a session-level
    /// advisory lock keyed on the fully qualified table name, shared by every scsctl on every
    /// host. Returns false when another session holds it.
    pub fn try_lock(&mut self, lock: CleanerLock) -> Result<bool> {
        let row = self
            .client
            .query_typed_one(
                "SELECT pg_try_advisory_lock($1, $2)",
                &[(&lock.class, Type::INT4), (&lock.key, Type::INT4)],
            )
            .map_err(|e| table_error(&self.table, "cannot take the cleaner lock", e))?;
        Ok(row.get(0))
    }

    /// Who else holds `lock`: the holder's application name, client host and backend pid as
    /// `pg_stat_activity` shows them to this role (a role without `pg_read_all_stats` sees
    /// only its own sessions' details), or `None` when no other session holds it.
    pub fn lock_holder(&mut self, lock: CleanerLock) -> Result<Option<String>> {
        // An advisory lock on two int4 keys is listed with classid = key 1, objid = key 2 and
        // objsubid = 2.
        let row = self
            .client
            .query_typed_opt(
                "SELECT coalesce(nullif(a.application_name, ''), '?'), \
                        coalesce(a.client_hostname, host(a.client_addr), 'local socket'), l.pid \
                 FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
                   AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid \
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                   AND l.pid <> pg_backend_pid() LIMIT 1",
                &[(&lock.class, Type::INT4), (&lock.key, Type::INT4)],
            )
            .map_err(|e| Error::db("cannot look up the cleaner lock's holder", e))?;
        Ok(row.map(|r| {
            let (app, host, pid): (String, String, i32) = (r.get(0), r.get(1), r.get(2));
            format!("{app} on {host}, pid {pid}")
        }))
    }

    /// The port the server says it listens on (`current_setting('port')`). Where it differs
    /// from the port dialed, something stands in between: a pooler such as PgBouncer, or a
    /// port mapping.
    pub fn server_port(&mut self) -> Result<u16> {
        let row = self
            .client
            .query_typed_one("SELECT current_setting('port')::int4", &[])
            .map_err(|e| Error::db("cannot read the server's port", e))?;
        Ok(u16::try_from(row.get::<_, i32>(0)).unwrap_or(0))
    }

    /// Releases `lock` if this session holds it.
    pub fn unlock(&mut self, lock: CleanerLock) -> Result<()> {
        self.client
            .query_typed(
                "SELECT pg_advisory_unlock($1, $2)",
                &[(&lock.class, Type::INT4), (&lock.key, Type::INT4)],
            )
            .map_err(|e| table_error(&self.table, "cannot release the cleaner lock", e))?;
        Ok(())
    }

    /// Sets `purger`'s guards for the session; callers use it in [`LockMode::Session`] only (in
    /// [`LockMode::Transaction`] each batch sets them for itself, and nothing else is set):
    /// statements and lock waits that take longer are cancelled by the server rather than
    /// stalling the app.
    fn apply_guards(&mut self, purger: &Purger) -> Result<()> {
        let sql = format!(
            "SET lock_timeout = {}; SET statement_timeout = {}",
            millis(purger.lock_timeout),
            millis(purger.statement_timeout)
        );
        self.client
            .batch_execute(&sql)
            .map_err(|e| Error::db("cannot set timeouts", e))
    }

    /// Runs `work` (a count or a VACUUM: long by nature, and cancelled by the caller rather
    /// than by the batches' guard) without a statement timeout, then puts `purger`'s guards
    /// back. In [`LockMode::Transaction`] the session is left alone: a pooled server connection
    /// must not keep settings, and the role's defaults apply.
    pub fn unguarded<T>(
        &mut self,
        purger: &Purger,
        work: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        if purger.mode != LockMode::Session {
            return work(self);
        }
        self.client
            .batch_execute("SET statement_timeout = 0")
            .map_err(|e| Error::db("cannot set timeouts", e))?;
        let done = work(self);
        let restored = self.apply_guards(purger);
        let value = done?;
        restored?;
        Ok(value)
    }

    /// Runs `VACUUM (ANALYZE)` on the table (never `VACUUM FULL`): a plain VACUUM takes no lock
    /// that blocks the app's reads or writes. Run it [`Store::unguarded`].
    pub fn vacuum_analyze(&mut self) -> Result<()> {
        let sql = format!("VACUUM (ANALYZE) {}", self.table.quoted());
        self.client
            .batch_execute(&sql)
            .map_err(|e| table_error(&self.table, "cannot vacuum the table", e))
    }

    /// Whether this session may compress its WAL: in [`LockMode::Session`] it is then set for
    /// the session; in [`LockMode::Transaction`] it is only tried in a transaction of its own
    /// (a session setting would stay on a pooled server connection), and each batch sets it.
    fn try_wal_compression(&mut self, mode: LockMode) -> bool {
        let set = match mode {
            LockMode::Session => format!("SET wal_compression = {WAL_COMPRESSION}"),
            LockMode::Transaction => {
                format!("BEGIN; SET LOCAL wal_compression = {WAL_COMPRESSION}; COMMIT")
            }
        };
        // Refused (42501) for most roles, and by servers before 15 or built without lz4.
        let allowed = self.client.batch_execute(&set).is_ok();
        if !allowed && mode == LockMode::Transaction {
            self.rollback();
        }
        allowed
    }

    /// Readies batches on this connection: resolves the cleaner lock and, in
    /// [`LockMode::Session`], sets the guards and asynchronous commit once for the session.
    /// With `compress_wal`, the batches compress their WAL when the server allows it
    /// ([`Purger::compresses_wal`]).
    pub fn purger(
        &mut self,
        mode: LockMode,
        statement: BatchStatement,
        lock_timeout: Duration,
        statement_timeout: Duration,
        compress_wal: bool,
    ) -> Result<Purger> {
        let lock = self.cleaner_lock()?;
        self.readied(Purger {
            mode,
            lock,
            statement,
            lock_timeout,
            statement_timeout,
            compress_wal,
            begin: String::new(),
        })
    }

    /// A purger for another connection of the same cleaner (`purge --jobs`): `primary`'s
    /// connection has already probed the table and resolved its lock, and WAL compression is
    /// tried only if `primary`'s server allowed it.
    pub fn helper_purger(&mut self, primary: &Purger) -> Result<Purger> {
        self.readied(primary.detached())
    }

    /// `purger`, not yet readied on any connection, readied on this one; WAL compression is
    /// tried only if `purger` asks for it, and kept only if the server allows it.
    fn readied(&mut self, mut purger: Purger) -> Result<Purger> {
        purger.compress_wal = purger.compress_wal && self.try_wal_compression(purger.mode);
        self.ready(&mut purger)?;
        Ok(purger)
    }

    /// Readies `purger`'s batches: in [`LockMode::Transaction`] the text that opens each one;
    /// in [`LockMode::Session`], this connection's guards and asynchronous commit.
    fn ready(&mut self, purger: &mut Purger) -> Result<()> {
        if purger.mode == LockMode::Transaction {
            let mut begin = format!(
                "BEGIN; SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}; \
                 SET LOCAL synchronous_commit = off",
                millis(purger.lock_timeout),
                millis(purger.statement_timeout)
            );
            if purger.compress_wal {
                begin.push_str(&format!("; SET LOCAL wal_compression = {WAL_COMPRESSION}"));
            }
            // The lock is tried in the same message as BEGIN (its keys are two integers): one
            // round trip fewer per batch.
            begin.push_str(&format!(
                "; SELECT pg_try_advisory_xact_lock({}, {})",
                purger.lock.class, purger.lock.key
            ));
            purger.begin = begin;
            return Ok(());
        }
        self.apply_guards(purger)?;
        self.client
            .batch_execute(ASYNC_COMMIT)
            .map_err(|e| Error::db("cannot set synchronous_commit", e))
    }

    /// Runs one batch, `step`, deleting only rows with `expiry < current_timestamp - grace`,
    /// as one transaction (all or nothing).
    ///
    /// Both kinds of step are safe against the app extending a session meanwhile: an index
    /// step locks its rows with `FOR UPDATE SKIP LOCKED` (rows the app is writing are skipped,
    /// and a row updated since the batch's snapshot is re-checked against the predicate once
    /// locked); a block step's DELETE waits for a row the app is writing and re-evaluates its
    /// own predicate on the row's latest version. In session mode the caller must hold the
    /// cleaner lock; in transaction mode the batch takes it itself and reports
    /// `locked: false` when another cleaner has it.
    pub fn purge_step(
        &mut self,
        purger: &Purger,
        step: Step,
        grace: Duration,
    ) -> Result<BatchOutcome> {
        let context = "cannot delete expired sessions";
        if purger.mode == LockMode::Session {
            return self
                .run_step(purger, &step, grace)
                .map_err(|e| table_error(&self.table, context, e));
        }
        let result = self
            .client
            .simple_query(&purger.begin)
            .and_then(|messages| {
                if lock_granted(&messages) {
                    self.run_step(purger, &step, grace)
                } else {
                    Ok(BatchOutcome {
                        deleted: 0,
                        chosen: 0,
                        last_expiry: None,
                        locked: false,
                    })
                }
            });
        match result {
            Ok(outcome) if outcome.locked => {
                self.client
                    .batch_execute("COMMIT")
                    .map_err(|e| table_error(&self.table, context, e))?;
                Ok(outcome)
            }
            Ok(outcome) => {
                self.rollback();
                Ok(outcome)
            }
            Err(e) => {
                self.rollback();
                Err(table_error(&self.table, context, e))
            }
        }
    }

    /// The step's statement, sent unnamed with typed parameters: one round trip, and nothing
    /// left behind on the server connection. Parsing and planning it again costs well under a
    /// millisecond, against batches of tens of milliseconds.
    fn run_step(
        &mut self,
        purger: &Purger,
        step: &Step,
        grace: Duration,
    ) -> std::result::Result<BatchOutcome, postgres::Error> {
        let grace = grace.as_secs_f64();
        match step {
            Step::Index { leaf, limit, range } => {
                let after = bound(range.after, Timestamp::NegInfinity);
                let before = bound(range.before, Timestamp::PosInfinity);
                let params: [&(dyn ToSql + Sync); 4] = [limit, &grace, &after, &before];
                let sql = batch_sql(leaf, purger.statement);
                let row = self.client.query_typed_one(&sql, &typed(&params))?;
                Ok(BatchOutcome {
                    chosen: row.get::<_, i64>(0) as u64,
                    last_expiry: row.get(1),
                    deleted: row.get::<_, i64>(2) as u64,
                    locked: true,
                })
            }
            Step::Blocks { leaf, first, end } => {
                let (first, end) = (format!("({first},0)"), format!("({end},0)"));
                let deleted = self.client.execute_typed(
                    &blocks_sql(leaf),
                    &[
                        (&first, BLOCKS_TYPES[0].clone()),
                        (&end, BLOCKS_TYPES[1].clone()),
                        (&grace, BLOCKS_TYPES[2].clone()),
                    ],
                )?;
                Ok(BatchOutcome {
                    deleted,
                    chosen: deleted,
                    last_expiry: None,
                    locked: true,
                })
            }
        }
    }

    /// Reads about `percent` % of `leaf`'s pages (`TABLESAMPLE SYSTEM`, whole pages chosen at
    /// random) and counts the rows there and those a purge would delete now. Sees only rows
    /// that exist now, so the share is right even where the planner's statistics are stale.
    pub fn sample_leaf(&mut self, leaf: &str, percent: f64, grace: Duration) -> Result<Sample> {
        let percent = percent.clamp(0.0, 100.0);
        // REPEATABLE is left out on purpose: each pass looks at other pages.
        let sql = format!(
            "SELECT count(*), count(*) FILTER (WHERE expiry < current_timestamp - $1 * interval '1 second') \
             FROM ONLY {leaf} TABLESAMPLE SYSTEM ({percent})"
        );
        let row = self
            .client
            .query_typed_one(&sql, &[(&grace.as_secs_f64(), Type::FLOAT8)])
            .map_err(|e| table_error(&self.table, "cannot sample the table", e))?;
        Ok(Sample {
            fraction: percent / 100.0,
            rows: row.get(0),
            expired: row.get(1),
        })
    }

    fn rollback(&mut self) {
        // Best effort: when the connection is broken the server rolls back by itself.
        let _ = self.client.batch_execute("ROLLBACK");
    }
}

fn typed<'a>(params: &[&'a (dyn ToSql + Sync); 4]) -> [(&'a (dyn ToSql + Sync), Type); 4] {
    [
        (params[0], BATCH_TYPES[0].clone()),
        (params[1], BATCH_TYPES[1].clone()),
        (params[2], BATCH_TYPES[2].clone()),
        (params[3], BATCH_TYPES[3].clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_sql_locks_and_bounds() {
        for statement in [BatchStatement::Ctid, BatchStatement::Key] {
            let sql = batch_sql("\"public\".\"s_p1\"", statement);
            assert!(sql.contains("ORDER BY expiry LIMIT $1 FOR UPDATE SKIP LOCKED"));
            assert!(sql.contains("expiry >= $3 AND expiry < $4"));
            assert!(
                sql.contains("DELETE FROM ONLY \"public\".\"s_p1\""),
                "{sql}"
            );
            assert!(
                sql.contains("ctid, expiry FROM ONLY") || sql.contains("token, expiry FROM ONLY"),
                "{sql}"
            );
            // Chosen by the sub-select, and checked again by the DELETE itself.
            let cutoff = "expiry < current_timestamp - $2 * interval '1 second'";
            assert_eq!(sql.matches(cutoff).count(), 2, "{sql}");
        }
    }
}
