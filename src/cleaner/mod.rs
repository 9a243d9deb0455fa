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
//! A pass finds them one of two ways ([`Scan`](crate::cleaner::Scan)):
//!
//! - **index**: `DELETE … WHERE ctid = ANY(ARRAY(SELECT ctid … WHERE expiry >= $after AND
//!   expiry < cutoff ORDER BY expiry LIMIT n FOR UPDATE SKIP LOCKED))` — one statement that
//!   selects through the expiry index, locks and deletes. Each batch starts its index scan at
//!   the last expiry the previous batch deleted, so it never re-walks the index entries of rows
//!   already gone. Rows the app holds are skipped, and a row the app updated since the batch's
//!   snapshot is re-checked against the predicate under the lock. Touches only expired rows.
//! - **blocks**: `DELETE … WHERE ctid >= '(a,0)' AND ctid < '(b,0)' AND expiry < cutoff` — a
//!   TID range scan over consecutive heap pages: the single DELETE's sequential plan cut into
//!   short transactions. A row the app is writing is waited for (bounded by `lock_timeout`) and
//!   the predicate re-evaluated on its latest version, so an extended session survives.
//!   Measured on a 2-core machine with PostgreSQL 15: as fast as the single DELETE, where index
//!   batches took 2–4× as long on a large backlog (random heap access and a row lock per row).
//!
//! [`Scan::Auto`](crate::cleaner::Scan::Auto) asks the planner how many rows are expired and reads pages when that is at
//! least a fifth of the table, else uses the index. Batch sizes (rows or pages) adapt to keep
//! each transaction well under a target time ([`Sizer`](crate::cleaner::Sizer)).
//!
//! # Guards
//!
//! In session lock mode the cleaner's connection sets `lock_timeout`, `statement_timeout` and
//! `synchronous_commit = off` once (session-level `SET`), and each batch is one prepared
//! statement, its own implicit transaction: one round trip per batch. `SET LOCAL` would need an
//! explicit transaction and three more round trips per batch for the same effect. A batch that
//! fails with 55P03, 57014, 40P01 or 40001 has rolled back whole; it is retried smaller after a
//! pause that doubles (50 ms to 2 s, with jitter), up to [`MAX_CONSECUTIVE_RETRIES`](crate::cleaner::MAX_CONSECUTIVE_RETRIES) in a row.
//! Commits are not waited for on disk: a crash can only lose deletions of expired rows, which
//! the next pass redoes.
//!
//! # Lock modes and connection poolers
//!
//! With [`LockMode::Session`](crate::cleaner::LockMode::Session) (the default) the cleaner takes a session-level advisory lock
//! keyed on the fully qualified table name and holds it for the whole run; the lock dies with
//! the connection, so when a cleaner is killed (even with SIGKILL) the server releases it and
//! another takes over. Behind a pooler in transaction mode a session-level lock is meaningless
//! (the server session is shared, the lock would outlive or leak past the client), and so are
//! session-level `SET`s and named prepared statements: use [`LockMode::Transaction`](crate::cleaner::LockMode::Transaction), where
//! every batch is an explicit transaction that sets its own `SET LOCAL` guards, takes
//! `pg_try_advisory_xact_lock` before deleting, and uses only unnamed statements. Competing
//! cleaners then never run a batch at the same time, but which one cleans may change from batch
//! to batch; a batch that finds the lock taken ends the pass as "standing by". Parallel
//! workers need session mode.

mod daemon;
mod metrics;
mod shutdown;
mod sizer;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

pub use daemon::{Event, Jitter, WatchSettings, watch};
pub use metrics::Metrics;
pub use shutdown::{Registration, Shutdown};
pub use sizer::{BatchSizing, INITIAL_BATCH, MAX_BATCH, MIN_BATCH, Sizer};

use crate::connect::{Aside, Target, run_aside};
use crate::error::{Error, Result};
use crate::store::{BatchOutcome, Leaf, PurgeRange, Purger, Step, Store};
pub use crate::store::{BatchStatement, LockMode};
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

/// How a pass finds expired rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scan {
    /// Per leaf of the table: blocks where no index is led by `expiry`; else blocks when a
    /// sample of the leaf's pages finds at least [`BLOCK_SCAN_SHARE`] of its rows expired (a
    /// backlog), else the index; the index with a fixed batch size, which counts rows.
    #[default]
    Auto,
    /// Batches of the oldest expired rows through the expiry index (`ORDER BY expiry LIMIT n
    /// FOR UPDATE SKIP LOCKED`), each batch's index scan starting at the last expiry deleted.
    /// Touches only expired rows: best when they are a small part of the table. A leaf without
    /// an index led by `expiry` gets [`Scan::Blocks`] all the same (each index batch would read
    /// and sort the whole leaf).
    Index,
    /// Batches of consecutive heap pages (a TID range scan, `ctid >= '(a,0)' AND ctid <
    /// '(b,0)'`), deleting the expired rows in them: the single DELETE's sequential plan cut
    /// into short transactions. Best for a large backlog, and the only scan for a leaf without
    /// an index led by `expiry`.
    Blocks,
    /// In a report only, never a setting: some leaves were purged by index, others by blocks.
    Mixed,
}

/// What a pass does and how.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How batch sizes are chosen.
    pub sizing: BatchSizing,
    /// Keep sessions until they have been expired this long.
    pub grace: Duration,
    /// Stop between batches once a pass has run this long.
    pub max_duration: Option<Duration>,
    /// Connections deleting disjoint slices of the expiry range at once (1 = serial).
    pub jobs: usize,
    /// How the cleaner lock is held (once connected, the mode chosen when `auto_lock_mode`).
    pub lock_mode: LockMode,
    /// Choose the lock mode on connecting: [`LockMode::Session`] when the connection is
    /// known to be direct (the server listens on the port dialed) or `jobs` is above 1, else
    /// [`LockMode::Transaction`], which leaves nothing on a pooled server connection.
    pub auto_lock_mode: bool,
    /// The SQL each index batch runs.
    pub statement: BatchStatement,
    /// How expired rows are found.
    pub scan: Scan,
    /// `lock_timeout` of each batch.
    pub lock_timeout: Duration,
    /// `statement_timeout` of each batch.
    pub statement_timeout: Duration,
    /// Compress the WAL the batches write, where the server allows it (see
    /// [`crate::store::Purger::compresses_wal`]).
    pub compress_wal: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            sizing: BatchSizing::Adaptive {
                target: DEFAULT_TARGET_BATCH_TIME,
            },
            grace: Duration::ZERO,
            max_duration: None,
            jobs: 1,
            lock_mode: LockMode::Session,
            auto_lock_mode: false,
            statement: BatchStatement::Ctid,
            scan: Scan::Auto,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            statement_timeout: default_statement_timeout(BatchSizing::Adaptive {
                target: DEFAULT_TARGET_BATCH_TIME,
            }),
            compress_wal: true,
        }
    }
}

/// The statement timeout used when none is given: ten times the target batch time (at least
/// 1 s) when sizing adapts, 30 s for a fixed batch size.
pub fn default_statement_timeout(sizing: BatchSizing) -> Duration {
    match sizing {
        BatchSizing::Adaptive { target } => (target * 10).max(Duration::from_secs(1)),
        BatchSizing::Fixed(_) => Duration::from_secs(30),
    }
}

impl Scan {
    /// A short name for logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Scan::Auto => "auto",
            Scan::Index => "index",
            Scan::Blocks => "blocks",
            Scan::Mixed => "mixed",
        }
    }
}

/// How a pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No expired rows were left (rows the app held locked are left for the next pass).
    Completed,
    /// `max_duration` was reached between batches.
    TimeLimit,
    /// A stop was requested; the batch in flight, if any, was rolled back.
    Stopped,
    /// In transaction lock mode, another cleaner held the lock.
    Standby,
}

impl Outcome {
    /// A short name for logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::TimeLimit => "time_limit",
            Outcome::Stopped => "interrupted",
            Outcome::Standby => "standby",
        }
    }
}

/// How a pass purges one leaf of the table, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafPlan {
    /// The leaf, `schema.name`.
    pub leaf: String,
    /// [`Scan::Index`] or [`Scan::Blocks`].
    pub scan: Scan,
    /// Why, in a few words.
    pub reason: String,
    /// Its pages when the pass began.
    pub pages: i64,
}

/// What a pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassReport {
    /// Rows deleted.
    pub deleted: u64,
    /// Batches committed.
    pub batches: u64,
    /// Batches rolled back and retried.
    pub retries: u64,
    /// Wall time of the pass.
    pub duration: Duration,
    /// The longest committed batch (its whole transaction, as the client saw it).
    pub max_batch: Duration,
    /// How the pass ended.
    pub outcome: Outcome,
    /// How the pass found expired rows: [`Scan::Index`] or [`Scan::Blocks`] when every leaf
    /// was purged the same way, else [`Scan::Mixed`].
    pub scan: Scan,
    /// How each leaf of the table was purged (one entry for a plain table).
    pub plans: Vec<LeafPlan>,
    /// Whether its batches compressed their WAL.
    pub wal_compression: bool,
}

impl PassReport {
    /// A pass that did nothing and ended with `outcome`.
    pub fn empty(outcome: Outcome) -> PassReport {
        PassReport {
            deleted: 0,
            batches: 0,
            retries: 0,
            duration: Duration::ZERO,
            max_batch: Duration::ZERO,
            outcome,
            scan: Scan::Index,
            plans: Vec::new(),
            wal_compression: false,
        }
    }

    fn merge(&mut self, other: &PassReport) {
        self.deleted += other.deleted;
        self.batches += other.batches;
        self.retries += other.retries;
        self.max_batch = self.max_batch.max(other.max_batch);
        // The most telling ending wins: a stop over a time limit over a standby over done.
        let rank = |o: Outcome| match o {
            Outcome::Completed => 0,
            Outcome::Standby => 1,
            Outcome::TimeLimit => 2,
            Outcome::Stopped => 3,
        };
        if rank(other.outcome) > rank(self.outcome) {
            self.outcome = other.outcome;
        }
    }
}

/// What one committed batch did, for progress reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchReport {
    /// Rows deleted.
    pub deleted: u64,
    /// Rows asked for, or pages when `pages` is set.
    pub requested: i64,
    /// Whether the batch read a range of pages ([`Scan::Blocks`]) rather than asking for rows.
    pub pages: bool,
    /// How long the batch took.
    pub took: Duration,
}

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
        // A table of the wrong shape (`expiry timestamp` without time zone, say) is refused
        // before anything is deleted from it, as every other command does.
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

    /// Whether this cleaner holds the table's cleaner lock (session mode), so is the active one.
    pub fn is_active(&self) -> bool {
        self.holding
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

/// How to purge `leaf`, and why: see [`Scan::Auto`].
fn choose_scan(settings: &Settings, leaf: &Leaf, store: &mut Store) -> Result<(Scan, String)> {
    if settings.scan == Scan::Blocks {
        return Ok((Scan::Blocks, "--scan blocks".into()));
    }
    if !leaf.expiry_index {
        return Ok((
            Scan::Blocks,
            "no index led by expiry (an index batch would read the whole table)".into(),
        ));
    }
    if settings.scan == Scan::Index {
        return Ok((Scan::Index, "--scan index".into()));
    }
    if let BatchSizing::Fixed(_) = settings.sizing {
        return Ok((Scan::Index, "--batch-size counts rows".into()));
    }
    if leaf.pages < MIN_BLOCK_SCAN_PAGES {
        let s = if leaf.pages == 1 { "" } else { "s" };
        return Ok((
            Scan::Index,
            format!("{} page{s}, fewer than {MIN_BLOCK_SCAN_PAGES}", leaf.pages),
        ));
    }
    let percent = (100.0 * SAMPLE_PAGES / leaf.pages as f64).min(100.0);
    let sample = store.sample_leaf(&leaf.quoted, percent, settings.grace)?;
    let share = if sample.rows > 0 {
        sample.expired as f64 / sample.rows as f64
    } else {
        0.0
    };
    let scan = if share >= BLOCK_SCAN_SHARE {
        Scan::Blocks
    } else {
        Scan::Index
    };
    let reason = format!(
        "{:.0}% of {} rows expired in a sample of {:.2}% of {} pages",
        share * 100.0,
        sample.rows,
        percent,
        leaf.pages
    );
    Ok((scan, reason))
}

/// The scan a report names: the one every leaf had, else [`Scan::Mixed`].
fn overall_scan(plans: &[LeafPlan]) -> Scan {
    match plans.first() {
        None => Scan::Index,
        Some(first) if plans.iter().all(|p| p.scan == first.scan) => first.scan,
        Some(_) => Scan::Mixed,
    }
}

/// A slice of a pass, taken by one worker at a time; each lies in one leaf (quoted for SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A slice of the leaf's expiry range, purged through its index.
    Index(Arc<str>, PurgeRange),
    /// A range of the leaf's heap pages, purged in physical order.
    Blocks {
        /// The leaf.
        leaf: Arc<str>,
        /// The first page.
        first: i64,
        /// One past the last page.
        end: i64,
    },
}

/// The slices of a pass still to purge, taken by workers one at a time.
struct WorkQueue {
    items: Mutex<VecDeque<Item>>,
}

impl WorkQueue {
    fn new(items: impl IntoIterator<Item = Item>) -> WorkQueue {
        WorkQueue {
            items: Mutex::new(items.into_iter().collect()),
        }
    }

    fn next(&self) -> Option<Item> {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }
}

/// `chunks` slices of `leaf`'s expiry range of equal time from `first` to `cutoff`; the first
/// slice is open below and the last open above, so nothing expired is outside every slice.
fn split_expiry(leaf: &Arc<str>, first: SystemTime, cutoff: SystemTime, chunks: u32) -> Vec<Item> {
    let width = cutoff.duration_since(first).unwrap_or_default() / chunks.max(1);
    let mut items = Vec::new();
    let mut after = None;
    for i in 1..=chunks {
        let before = if i == chunks || width.is_zero() {
            None
        } else {
            Some(first + width * i)
        };
        items.push(Item::Index(leaf.clone(), PurgeRange { after, before }));
        if before.is_none() {
            break;
        }
        after = before;
    }
    items
}

/// Pages `0..pages` of `leaf` in `chunks` contiguous ranges.
fn split_blocks(leaf: &Arc<str>, pages: i64, chunks: u32) -> Vec<Item> {
    let chunks = i64::from(chunks.max(1));
    let width = (pages + chunks - 1) / chunks;
    (0..chunks)
        .map(|i| (i * width, ((i + 1) * width).min(pages)))
        .filter(|(first, end)| first < end)
        .map(|(first, end)| Item::Blocks {
            leaf: leaf.clone(),
            first,
            end,
        })
        .collect()
}

/// What to do after a batch.
enum Flow {
    /// The batch committed; go on.
    Done(BatchOutcome),
    /// The batch was rolled back and may be retried.
    Retry,
    /// The pass ends here.
    End(Outcome),
}

/// One worker: runs batches, counts them, retries failed ones with backoff.
struct Worker<'a> {
    conn: &'a mut Conn,
    settings: &'a Settings,
    shutdown: &'a Shutdown,
    deadline: Option<Instant>,
    on_batch: &'a (dyn Fn(&BatchReport) + Sync),
    report: PassReport,
    failures: u32,
    backoff: Duration,
    /// Kept across slices, so that a worker's next slice starts at the size it learned.
    index_sizer: Sizer,
    blocks_sizer: Sizer,
}

impl Worker<'_> {
    fn batch(&mut self, step: Step, sizer: &mut Sizer, requested: i64) -> Result<Flow> {
        if self.shutdown.is_stopped() {
            return Ok(Flow::End(Outcome::Stopped));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(Flow::End(Outcome::TimeLimit));
        }
        let started = Instant::now();
        let conn = &mut *self.conn;
        let grace = self.settings.grace;
        let Some(result) = conn
            .registration
            .run(|| conn.store.purge_step(&conn.purger, step.clone(), grace))
        else {
            return Ok(Flow::End(Outcome::Stopped));
        };
        let took = started.elapsed();
        match result {
            Ok(batch) if !batch.locked => Ok(Flow::End(Outcome::Standby)),
            Ok(batch) => {
                self.failures = 0;
                self.backoff = FIRST_BACKOFF;
                self.report.batches += 1;
                self.report.deleted += batch.deleted;
                self.report.max_batch = self.report.max_batch.max(took);
                let done = match step {
                    Step::Index { .. } => batch.chosen,
                    Step::Blocks { first, end, .. } => (end - first) as u64,
                };
                sizer.observe(requested, done, took);
                (self.on_batch)(&BatchReport {
                    deleted: batch.deleted,
                    requested,
                    pages: matches!(step, Step::Blocks { .. }),
                    took,
                });
                Ok(Flow::Done(batch))
            }
            Err(_) if self.shutdown.is_stopped() => Ok(Flow::End(Outcome::Stopped)),
            Err(e) if is_retryable(&e) => {
                self.failures += 1;
                self.report.retries += 1;
                if self.failures > MAX_CONSECUTIVE_RETRIES {
                    return Err(e);
                }
                sizer.shrink();
                let pause = jittered(self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                if self.shutdown.wait(pause) {
                    return Ok(Flow::End(Outcome::Stopped));
                }
                Ok(Flow::Retry)
            }
            Err(e) => Err(e),
        }
    }

    /// Purges one slice; `Some` when the pass must end.
    fn item(&mut self, item: Item) -> Result<Option<Outcome>> {
        match item {
            Item::Index(leaf, mut range) => {
                let mut sizer = self.index_sizer.clone();
                let result = loop {
                    let limit = sizer.next();
                    let step = Step::Index {
                        leaf: leaf.clone(),
                        limit,
                        range,
                    };
                    match self.batch(step, &mut sizer, limit) {
                        Ok(Flow::Done(batch)) if batch.chosen < limit as u64 => break Ok(None),
                        // Every row chosen was kept (by a trigger or a policy) and all had the
                        // expiry the batch started at: the next batch would choose them again.
                        Ok(Flow::Done(batch))
                            if batch.deleted == 0
                                && range.after.is_some()
                                && batch.last_expiry == range.after =>
                        {
                            break Ok(None);
                        }
                        Ok(Flow::Done(batch)) => range.after = batch.last_expiry.or(range.after),
                        Ok(Flow::Retry) => {}
                        Ok(Flow::End(outcome)) => break Ok(Some(outcome)),
                        Err(e) => break Err(e),
                    }
                };
                self.index_sizer = sizer;
                result
            }
            Item::Blocks { leaf, first, end } => {
                let mut sizer = self.blocks_sizer.clone();
                let mut cursor = first;
                let mut result = Ok(None);
                while cursor < end {
                    let pages = sizer.next();
                    let stop = (cursor + pages).min(end);
                    let step = Step::Blocks {
                        leaf: leaf.clone(),
                        first: cursor,
                        end: stop,
                    };
                    match self.batch(step, &mut sizer, stop - cursor) {
                        Ok(Flow::Done(_)) => cursor = stop,
                        Ok(Flow::Retry) => {}
                        Ok(Flow::End(outcome)) => {
                            result = Ok(Some(outcome));
                            break;
                        }
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                self.blocks_sizer = sizer;
                result
            }
        }
    }
}

/// One worker's loop: take a slice, purge it batch by batch, until no slice is left.
fn work(
    conn: &mut Conn,
    settings: &Settings,
    shutdown: &Shutdown,
    queue: &WorkQueue,
    deadline: Option<Instant>,
    on_batch: &(dyn Fn(&BatchReport) + Sync),
) -> Result<PassReport> {
    let mut worker = Worker {
        conn,
        settings,
        shutdown,
        deadline,
        on_batch,
        report: PassReport::empty(Outcome::Completed),
        failures: 0,
        backoff: FIRST_BACKOFF,
        index_sizer: Sizer::new(settings.sizing, INITIAL_BATCH),
        blocks_sizer: Sizer::new(settings.sizing, INITIAL_BLOCKS),
    };
    while let Some(item) = queue.next() {
        if let Some(outcome) = worker.item(item)? {
            worker.report.outcome = outcome;
            break;
        }
    }
    Ok(worker.report)
}

/// `d` spread by ±25 %, so retrying cleaners don't collide again in step.
fn jittered(d: Duration) -> Duration {
    d.mul_f64(0.75 + 0.5 * daemon::random_unit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn leaf() -> Arc<str> {
        Arc::from("\"public\".\"s\"")
    }

    #[test]
    fn split_covers_everything_without_overlap() {
        let ranges: Vec<_> = split_expiry(&leaf(), at(1000), at(2000), 4)
            .into_iter()
            .map(|i| match i {
                Item::Index(l, r) => {
                    assert_eq!(l, leaf());
                    r
                }
                Item::Blocks { .. } => panic!("{i:?}"),
            })
            .collect();
        assert_eq!(ranges.len(), 4);
        assert_eq!(ranges[0].after, None);
        assert_eq!(ranges[3].before, None);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].before, pair[1].after);
        }
        assert_eq!(ranges[0].before, Some(at(1250)));
    }

    #[test]
    fn split_of_an_instant_is_one_open_range() {
        let items = split_expiry(&leaf(), at(5), at(5), 8);
        assert_eq!(items, vec![Item::Index(leaf(), PurgeRange::default())]);
    }

    #[test]
    fn block_split_covers_every_page_once() {
        let pages: Vec<_> = split_blocks(&leaf(), 10, 4)
            .into_iter()
            .map(|i| match i {
                Item::Blocks { first, end, .. } => (first, end),
                Item::Index(..) => panic!("{i:?}"),
            })
            .collect();
        assert_eq!(pages, vec![(0, 3), (3, 6), (6, 9), (9, 10)]);
        assert!(split_blocks(&leaf(), 0, 4).is_empty());
    }

    #[test]
    fn a_report_names_one_scan_or_mixed() {
        let plan = |scan| LeafPlan {
            leaf: "public.s".into(),
            scan,
            reason: String::new(),
            pages: 1,
        };
        assert_eq!(
            overall_scan(&[plan(Scan::Blocks), plan(Scan::Blocks)]),
            Scan::Blocks
        );
        assert_eq!(
            overall_scan(&[plan(Scan::Index), plan(Scan::Blocks)]),
            Scan::Mixed
        );
        assert_eq!(overall_scan(&[]), Scan::Index);
    }

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
