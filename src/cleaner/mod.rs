//! The purge engine behind `scsctl purge` and `scsctl watch-cleanup`: expired sessions deleted
//! in short batches, each its own transaction, with adaptive sizing, retry with backoff on lock
//! and statement timeouts, deadlocks and serialization failures, one cleaner per table across
//! all hosts (an advisory lock), optional parallel workers, and signal-driven cancellation.
//!
//! Nothing here prints: progress and events go to callbacks the commands render.
//!
//! # Batches
//!
//! Only the database clock decides what is expired: every batch deletes rows with
//! `expiry < current_timestamp - grace`, `current_timestamp` being its own transaction's start.
//! A pass reads the table's layout first and works leaf by leaf — the table itself when it is
//! plain, each leaf partition, an inheritance parent and each child — naming each with `ONLY`,
//! where a `ctid` is one row (across the partitions of one table `ctid`s repeat). Every DELETE
//! checks the cutoff again on the rows it removes. A leaf is purged one of two ways ([`Scan`]):
//!
//! - **index**: `WITH chosen AS MATERIALIZED (SELECT ctid, expiry FROM ONLY leaf WHERE
//!   expiry >= $after AND … < cutoff ORDER BY expiry LIMIT n FOR UPDATE SKIP LOCKED) DELETE FROM
//!   ONLY leaf WHERE ctid = ANY(ARRAY(SELECT ctid FROM chosen)) AND expiry < cutoff` — one statement
//!   that selects through the expiry index, locks and deletes. Each batch starts its index scan
//!   at the latest expiry the previous batch chose, so it never re-walks the index entries of
//!   rows already gone. Rows the app holds are skipped, and a row the app updated since the
//!   batch's snapshot is re-checked against the predicate under the lock. Touches only expired
//!   rows.
//! - **blocks**: `DELETE FROM ONLY leaf WHERE ctid >= '(a,0)' AND ctid < '(b,0)' AND expiry <
//!   cutoff` — a TID range scan over consecutive heap pages: the single DELETE's sequential plan
//!   cut into short transactions. A row the app is writing is waited for (bounded by
//!   `lock_timeout`) and the predicate re-evaluated on its latest version, so an extended
//!   session survives. As fast as the single DELETE on a large backlog, where index batches took
//!   2–4× as long (random heap access and a row lock per row); the only way for a leaf without
//!   an index led by `expiry`.
//!
//! [`Scan::Auto`] samples each leaf's pages and reads pages in order where at least a fifth of
//! its rows are expired (or it has no expiry index), else uses the index. Batch sizes (rows or
//! pages) adapt to keep each transaction well under a target time ([`Sizer`]).
//!
//! # Guards
//!
//! In session lock mode the cleaner's connection sets `lock_timeout`, `statement_timeout` and
//! `synchronous_commit = off` once (session-level `SET`), and each batch is one unnamed
//! statement, its own implicit transaction: one round trip per batch. A batch that fails with
//! 55P03, 57014, 40P01 or 40001 has rolled back whole; it is retried smaller after a pause that
//! doubles (50 ms to 2 s, with jitter), up to [`MAX_CONSECUTIVE_RETRIES`] in a row. Commits are
//! not waited for on disk: a crash can only lose deletions of expired rows, which the next pass
//! redoes.
//!
//! # Lock modes and connection poolers
//!
//! With [`LockMode::Session`] the cleaner takes a session-level advisory lock keyed on the
//! fully qualified table name and holds it for the whole run; the lock dies with the
//! connection, so when a cleaner is killed (even with SIGKILL) the server releases it and
//! another takes over. Behind a pooler in transaction mode a session-level lock is meaningless
//! (the server session is shared, the lock would outlive or leak past the client), and so are
//! session-level `SET`s: [`LockMode::Transaction`] makes every batch an explicit transaction
//! that sets its own `SET LOCAL` guards and takes `pg_try_advisory_xact_lock` before deleting.
//! Competing cleaners then never run a batch at the same time, but which one cleans may change
//! from batch to batch; a batch that finds the lock taken ends the pass as "standing by".
//! [`Settings::auto_lock_mode`] (the command line's default) chooses per connection
//! ([`choose_lock_mode`]). No mode prepares named statements. Parallel workers need session
//! mode.

mod daemon;
mod metrics;
mod plan;
mod report;
mod settings;
mod shutdown;
mod sizer;
mod worker;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use daemon::{Event, Jitter, WatchSettings, watch};
pub use metrics::Metrics;
pub use report::{BatchReport, LeafPlan, Outcome, PassReport};
pub use settings::{Scan, Settings, default_statement_timeout};
pub use shutdown::{Registration, Shutdown};
pub use sizer::{BatchSizing, INITIAL_BATCH, MAX_BATCH, MIN_BATCH, Sizer};

use plan::{Item, WorkQueue, choose_scan, overall_scan, split_blocks, split_expiry};
use worker::work;

use crate::connect::{Aside, Target, run_aside};
use crate::error::{Error, Result};
pub use crate::store::{BatchStatement, LockMode};
use crate::store::{PurgeRange, Purger, Store};
use crate::table::TableName;

/// The longest a batch's transaction should take when nothing else is said.
pub const DEFAULT_TARGET_BATCH_TIME: Duration = Duration::from_millis(100);
/// How long a batch waits for a table lock before it is rolled back and retried.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(1);
/// Consecutive failed batches (timeouts, deadlocks, serialization failures) before a pass
/// gives up with the last error.
pub const MAX_CONSECUTIVE_RETRIES: u32 = 8;
/// Chunks of the work per worker when several workers share a pass.
const CHUNKS_PER_WORKER: u32 = 8;
/// The first pause after a failed batch; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// The longest pause after failed batches.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The first block batch, in pages: about 2 MB of heap, a few milliseconds on any server.
const INITIAL_BLOCKS: i64 = 256;
/// [`Scan::Auto`] reads the heap in page order when at least this share of the rows is
/// expired: measured on PostgreSQL 15, a page-order batch costs about a quarter of an index
/// batch per row it visits, so past a fifth of the table reading every page is cheaper.
pub const BLOCK_SCAN_SHARE: f64 = 0.2;
/// [`Scan::Auto`] uses the index for tables smaller than this many pages.
pub const MIN_BLOCK_SCAN_PAGES: i64 = 128;
/// How many pages of each leaf [`Scan::Auto`] samples to tell how much of it is expired: the
/// planner's statistics stay stale after a large purge until autovacuum runs, and would send
/// every later pass through the whole heap to find nothing.
const SAMPLE_PAGES: f64 = 100.0;

/// Whether a failed batch should be rolled back and retried: lock timeout (55P03), statement
/// timeout or cancel (57014), deadlock (40P01), serialization failure (40001).
pub fn is_retryable(err: &Error) -> bool {
    matches!(err, Error::Database { .. })
        && matches!(err.sqlstate(), Some("55P03" | "57014" | "40P01" | "40001"))
}

/// Whether an error means the connection is gone and must be opened again.
pub fn is_connection_lost(err: &Error) -> bool {
    matches!(err, Error::Connect { .. })
}

/// Runs `open` aside ([`run_aside`]) and waits for it, giving up with [`Error::Interrupted`]
/// once a stop is requested: a connection attempt can take up to connect_timeout (forever with
/// `connect_timeout=0`), and a signal must be obeyed within a second.
fn aside<T: Send + 'static>(
    shutdown: &Shutdown,
    open: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    match run_aside(open, || shutdown.is_stopped()) {
        Aside::Done(opened) => opened,
        Aside::GaveUp => Err(Error::Interrupted),
        Aside::Failed(why) => Err(Error::Data(why)),
    }
}

struct Conn {
    store: Store,
    purger: Purger,
    registration: Registration,
}

impl Conn {
    fn open(
        target: &Target,
        table: &TableName,
        settings: &Settings,
        shutdown: &Shutdown,
    ) -> Result<Conn> {
        let mut store = Store::connect(target, table.clone())?;
        // A view or a foreign table is refused by name, before reading it (a foreign table's
        // server might not even answer); then a table of the wrong shape (`expiry timestamp`
        // without time zone, say), before anything is deleted from it.
        store.layout()?;
        store.probe()?;
        let mode = if settings.auto_lock_mode {
            choose_lock_mode(target, &mut store, settings.jobs)?.0
        } else {
            settings.lock_mode
        };
        let purger = store.purger(
            mode,
            settings.statement,
            settings.lock_timeout,
            settings.statement_timeout,
            settings.compress_wal,
        )?;
        Ok(Conn::registered(store, purger, target, shutdown))
    }

    /// Another connection working alongside `primary`, which has checked the table already.
    fn open_helper(
        target: &Target,
        table: &TableName,
        primary: &Purger,
        shutdown: &Shutdown,
    ) -> Result<Conn> {
        let mut store = Store::connect(target, table.clone())?;
        let purger = store.helper_purger(primary)?;
        Ok(Conn::registered(store, purger, target, shutdown))
    }

    /// The connection, registered with `shutdown` so that a stop request cancels its work.
    fn registered(mut store: Store, purger: Purger, target: &Target, shutdown: &Shutdown) -> Conn {
        let registration = shutdown.register(target, store.client());
        Conn {
            store,
            purger,
            registration,
        }
    }
}

/// The lock mode for `settings.auto_lock_mode`, and why: a session lock only where the server
/// listens on the port dialed (a direct connection) or parallel workers need one. Behind a
/// pooler in transaction mode a session lock, `SET` or prepared statement would stay on a
/// server connection that other clients get next — and a session lock left by a killed
/// scsctl would keep every later cleaner standing by — so anything else gets transaction
/// locks. A port mapping (a container's published port) is mistaken for a pooler, which
/// costs only the per-run election.
pub fn choose_lock_mode(
    target: &Target,
    store: &mut Store,
    jobs: usize,
) -> Result<(LockMode, String)> {
    if jobs > 1 {
        return Ok((
            LockMode::Session,
            "--jobs needs one session lock for all its workers".into(),
        ));
    }
    let server = store.server_port()?;
    let dialed = target.ports();
    if !dialed.is_empty() && dialed.iter().all(|p| *p == server) {
        Ok((
            LockMode::Session,
            format!("a direct connection: the server listens on port {server}, the one dialed"),
        ))
    } else {
        let dialed: Vec<String> = dialed.iter().map(u16::to_string).collect();
        Ok((
            LockMode::Transaction,
            format!(
                "the server listens on port {server} but scsctl dialed {}: a pooler may be in between",
                dialed.join(", ")
            ),
        ))
    }
}

/// One table's cleaner: its connections, whether it holds the cleaner lock, and the settings
/// of its passes.
pub struct Cleaner {
    target: Target,
    table: TableName,
    settings: Settings,
    shutdown: Shutdown,
    primary: Option<Conn>,
    helpers: Vec<Conn>,
    holding: bool,
}

impl std::fmt::Debug for Cleaner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cleaner")
            .field("table", &self.table)
            .field("connected", &self.primary.is_some())
            .field("holding", &self.holding)
            .finish()
    }
}

impl Cleaner {
    /// A cleaner of `table`, not yet connected.
    pub fn new(
        target: Target,
        table: TableName,
        settings: Settings,
        shutdown: Shutdown,
    ) -> Cleaner {
        Cleaner {
            target,
            table,
            settings,
            shutdown,
            primary: None,
            helpers: Vec::new(),
            holding: false,
        }
    }

    /// The settings of this cleaner's passes.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether the primary connection is open.
    pub fn is_connected(&self) -> bool {
        self.primary.is_some()
    }

    /// Opens the primary connection (a no-op when open). The wait for the server can be cut
    /// short by a stop request, which returns [`Error::Interrupted`].
    pub fn connect(&mut self) -> Result<()> {
        if self.primary.is_some() {
            return Ok(());
        }
        let (target, table, settings, shutdown) = (
            self.target.clone(),
            self.table.clone(),
            self.settings.clone(),
            self.shutdown.clone(),
        );
        let conn = aside(&self.shutdown, move || {
            Conn::open(&target, &table, &settings, &shutdown)
        })?;
        self.settings.lock_mode = conn.purger.mode();
        self.primary = Some(conn);
        self.holding = false;
        Ok(())
    }

    /// Opens the `--jobs` helper connections that are missing, all at once, cut short by a
    /// stop request like [`Cleaner::connect`]. All or nothing: if one fails, those that did
    /// connect are closed and the first failure is returned.
    fn connect_helpers(&mut self) -> Result<()> {
        let missing = (self.settings.jobs.max(1) - 1).saturating_sub(self.helpers.len());
        if missing == 0 {
            return Ok(());
        }
        let purger = self.primary.as_ref().expect("connected").purger.detached();
        let (target, table, shutdown) = (
            self.target.clone(),
            self.table.clone(),
            self.shutdown.clone(),
        );
        let opened = aside(&self.shutdown, move || {
            std::thread::scope(|scope| {
                let opening: Vec<_> = (0..missing)
                    .map(|_| scope.spawn(|| Conn::open_helper(&target, &table, &purger, &shutdown)))
                    .collect();
                opening
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(Error::Data("a connecting thread panicked".into()))
                        })
                    })
                    .collect::<Result<Vec<Conn>>>()
            })
        })?;
        self.helpers.extend(opened);
        Ok(())
    }

    /// Closes every connection (the server releases a session lock with it).
    pub fn disconnect(&mut self) {
        self.primary = None;
        self.helpers.clear();
        self.holding = false;
    }

    /// Tries to become the table's active cleaner. In session mode this takes the advisory
    /// lock (once; it is kept while the connection lives); in transaction mode every batch
    /// takes the lock itself, so this is always true.
    pub fn try_lead(&mut self) -> Result<bool> {
        self.connect()?;
        if self.settings.lock_mode == LockMode::Transaction {
            return Ok(true);
        }
        if !self.holding {
            let conn = self.primary.as_mut().expect("connected above");
            let lock = conn.purger.lock();
            self.holding = self.guard(|c| c.store.try_lock(lock))?;
        }
        Ok(self.holding)
    }

    /// Who holds the table's cleaner lock, as `pg_stat_activity` shows it to this role
    /// (application name, host, pid), or `None` when nobody does or it cannot be seen.
    pub fn lock_holder(&mut self) -> Result<Option<String>> {
        self.connect()?;
        self.guard(|c| {
            let lock = c.purger.lock();
            c.store.lock_holder(lock)
        })
    }

    /// Releases the cleaner lock, if held (best effort: the server releases it anyway when the
    /// connection closes).
    pub fn release(&mut self) {
        if self.holding
            && let Some(conn) = self.primary.as_mut()
        {
            let lock = conn.purger.lock();
            let _ = conn.store.unlock(lock);
        }
        self.holding = false;
    }

    /// How many rows a pass would delete now (a count, not bound by the batch timeouts).
    pub fn count(&mut self) -> Result<i64> {
        let grace = self.settings.grace;
        self.unguarded(|store| store.count_expired(grace))
    }

    /// Runs `VACUUM (ANALYZE)` on the table; a stop request cancels it
    /// ([`Error::Interrupted`]).
    pub fn vacuum(&mut self) -> Result<()> {
        self.unguarded(Store::vacuum_analyze)
    }

    /// Runs `work` on the primary connection without the batches' statement timeout
    /// ([`Store::unguarded`]); a stop request cancels it ([`Error::Interrupted`]).
    fn unguarded<T>(&mut self, work: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.connect()?;
        let shutdown = self.shutdown.clone();
        self.guard(|c| {
            let Conn {
                store,
                purger,
                registration,
            } = c;
            store.unguarded(purger, |store| {
                registration
                    .run(|| work(store))
                    .unwrap_or(Err(Error::Interrupted))
            })
        })
        .map_err(|e| {
            if shutdown.is_stopped() {
                Error::Interrupted
            } else {
                e
            }
        })
    }

    /// Runs `work` on the primary connection; drops the connection when it turns out broken.
    fn guard<T>(&mut self, work: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        let conn = self.primary.as_mut().ok_or(Error::Interrupted)?;
        let result = work(conn);
        if let Err(e) = &result
            && (is_connection_lost(e) || conn.store.client().is_closed())
        {
            self.disconnect();
        }
        result
    }

    /// Runs one purge pass: batches until no expired row is left, `max_duration` is reached or
    /// a stop is requested. In session mode the caller must have won [`Cleaner::try_lead`].
    /// `on_batch` is called after each committed batch, from the worker that ran it.
    pub fn pass(&mut self, on_batch: &(dyn Fn(&BatchReport) + Sync)) -> Result<PassReport> {
        self.connect()?;
        let started = Instant::now();
        let deadline = self.settings.max_duration.map(|d| started + d);
        let result = self.plan().and_then(|(plans, queue)| {
            let mut report = self.run_queue(&queue, deadline, on_batch)?;
            report.scan = overall_scan(&plans);
            report.plans = plans;
            Ok(report)
        });
        let mut report = self.after_work(result)?;
        report.duration = started.elapsed();
        report.wal_compression = self
            .primary
            .as_ref()
            .is_some_and(|c| c.purger.compresses_wal());
        Ok(report)
    }

    /// How the next pass would purge each leaf of the table, and why, without deleting.
    pub fn plan_only(&mut self) -> Result<Vec<LeafPlan>> {
        self.connect()?;
        let result = self.plan().map(|(plans, _)| plans);
        self.after_work(result)
    }

    /// Finds the leaves of the table, chooses how to purge each (see [`Scan::Auto`]) and slices
    /// the work for the workers: each slice lies in one leaf, where a `ctid` names one row.
    fn plan(&mut self) -> Result<(Vec<LeafPlan>, WorkQueue)> {
        let settings = &self.settings;
        let grace = settings.grace;
        let jobs = settings.jobs.max(1) as u32;
        let conn = self.primary.as_mut().expect("connected");
        let mut leaves = conn.store.purge_layout()?.leaves;
        // The largest first, so that parallel workers finish together.
        leaves.sort_by_key(|l| std::cmp::Reverse(l.pages));
        let chunks = if jobs == 1 {
            1
        } else {
            (jobs * CHUNKS_PER_WORKER).div_ceil(leaves.len().max(1) as u32)
        };
        let mut plans = Vec::with_capacity(leaves.len());
        let mut items = Vec::new();
        for leaf in &leaves {
            let (scan, reason) = choose_scan(settings, leaf, &mut conn.store)?;
            let name: Arc<str> = Arc::from(leaf.quoted.as_str());
            match scan {
                Scan::Blocks => items.extend(split_blocks(&name, leaf.pages, chunks)),
                _ if chunks == 1 => items.push(Item::Index(name, PurgeRange::default())),
                _ => {
                    if let Some((first, cutoff)) = conn.store.expired_span(&name, grace)? {
                        items.extend(split_expiry(&name, first, cutoff, chunks));
                    }
                }
            }
            plans.push(LeafPlan {
                leaf: leaf.name.clone(),
                scan,
                reason,
                pages: leaf.pages,
            });
        }
        Ok((plans, WorkQueue::new(items)))
    }

    fn run_queue(
        &mut self,
        queue: &WorkQueue,
        deadline: Option<Instant>,
        on_batch: &(dyn Fn(&BatchReport) + Sync),
    ) -> Result<PassReport> {
        let jobs = self.settings.jobs.max(1);
        if jobs == 1 {
            let conn = self.primary.as_mut().expect("connected");
            return work(
                conn,
                &self.settings,
                &self.shutdown,
                queue,
                deadline,
                on_batch,
            );
        }
        self.connect_helpers()?;
        let primary = self.primary.as_mut().expect("connected");
        let settings = &self.settings;
        let shutdown = &self.shutdown;
        let results: Vec<Result<PassReport>> = std::thread::scope(|scope| {
            let handles: Vec<_> = std::iter::once(primary)
                .chain(self.helpers.iter_mut())
                .map(|conn| {
                    scope.spawn(move || work(conn, settings, shutdown, queue, deadline, on_batch))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::Data("a purge worker panicked".into())))
                })
                .collect()
        });
        if self
            .helpers
            .iter_mut()
            .any(|c| c.store.client().is_closed())
        {
            self.helpers.clear();
        }
        let mut total = PassReport::empty(Outcome::Completed);
        let mut first_error = None;
        for result in results {
            match result {
                Ok(r) => total.merge(&r),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(total),
        }
    }

    fn after_work<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            let closed = self
                .primary
                .as_mut()
                .is_none_or(|c| c.store.client().is_closed());
            if is_connection_lost(e) || closed {
                self.disconnect();
            }
        }
        result
    }
}

impl Drop for Cleaner {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_codes() {
        let db = |code: &str| Error::Database {
            context: "x".into(),
            failure: crate::error::DbFailure {
                code: Some(code.into()),
                message: "m".into(),
                detail: None,
                hint: None,
            },
        };
        for code in ["55P03", "57014", "40P01", "40001"] {
            assert!(is_retryable(&db(code)), "{code}");
        }
        assert!(!is_retryable(&db("42P01")));
        assert!(!is_retryable(&Error::Interrupted));
    }
}
