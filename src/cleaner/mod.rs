//! The purge engine behind `scsctl purge` and `scsctl watch-cleanup`: expired sessions deleted
//! in short batches, each its own transaction, with adaptive sizing, retry with backoff on lock
//! and statement timeouts, deadlocks and serialization failures, one cleaner per table across
//! all hosts (an advisory lock), optional parallel workers, and signal-driven cancellation.
//!
//! Nothing here prints: progress and events go to callbacks the commands render.
//!
//! # Lock modes and connection poolers
//!
//! With [`LockMode::Session`] (the default) the cleaner takes a session-level advisory lock
//! keyed on the fully qualified table name and holds it for the whole run; the lock dies with
//! the connection, so when a cleaner is killed (even with SIGKILL) the server releases it and
//! another takes over. Behind a pooler in transaction mode a session-level lock is meaningless
//! (the server session is shared, the lock would outlive or leak past the client): use
//! [`LockMode::Transaction`], where every batch is an explicit transaction that sets its own
//! `SET LOCAL` timeouts and takes `pg_try_advisory_xact_lock` before deleting. Competing
//! cleaners then never run a batch at the same time, but which one cleans may change from batch
//! to batch; a batch that finds the lock taken ends the pass as "standing by".

mod daemon;
mod metrics;
mod shutdown;
mod sizer;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

pub use daemon::{Event, Jitter, WatchSettings, watch};
pub use metrics::Metrics;
pub use shutdown::{Registration, Shutdown};
pub use sizer::{BatchSizing, INITIAL_BATCH, MAX_BATCH, MIN_BATCH, Sizer};

use crate::connect::Target;
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
/// Chunks of the expiry range per worker when several workers share a pass.
const CHUNKS_PER_WORKER: u32 = 8;

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
    /// How the cleaner lock is held.
    pub lock_mode: LockMode,
    /// The SQL each batch runs.
    pub statement: BatchStatement,
    /// `lock_timeout` of each batch.
    pub lock_timeout: Duration,
    /// `statement_timeout` of each batch.
    pub statement_timeout: Duration,
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
            statement: BatchStatement::Ctid,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            statement_timeout: default_statement_timeout(BatchSizing::Adaptive {
                target: DEFAULT_TARGET_BATCH_TIME,
            }),
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

/// What a pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl PassReport {
    fn empty(outcome: Outcome) -> PassReport {
        PassReport {
            deleted: 0,
            batches: 0,
            retries: 0,
            duration: Duration::ZERO,
            max_batch: Duration::ZERO,
            outcome,
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
    /// Rows asked for.
    pub requested: i64,
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
        let purger = store.purger(
            settings.lock_mode,
            settings.statement,
            settings.lock_timeout,
            settings.statement_timeout,
        )?;
        let registration = shutdown.register(target, store.client());
        Ok(Conn {
            store,
            purger,
            registration,
        })
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
        let (tx, rx) = std::sync::mpsc::channel();
        // A connection attempt can hang for connect_timeout; run it aside so a signal is obeyed.
        std::thread::Builder::new()
            .name("scsctl-connect".into())
            .spawn(move || {
                let _ = tx.send(Conn::open(&target, &table, &settings, &shutdown));
            })
            .map_err(|e| Error::io("cannot start a thread", e))?;
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(conn) => {
                    self.primary = Some(conn?);
                    self.holding = false;
                    return Ok(());
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if self.shutdown.is_stopped() {
                        return Err(Error::Interrupted);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Error::Interrupted);
                }
            }
        }
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

    /// How many rows a pass would delete now.
    pub fn count(&mut self) -> Result<i64> {
        self.connect()?;
        let grace = self.settings.grace;
        self.guard(|c| c.store.count_expired(grace))
    }

    /// Runs `VACUUM (ANALYZE)` on the table.
    pub fn vacuum(&mut self) -> Result<()> {
        self.connect()?;
        let statement_timeout = self.settings.statement_timeout;
        let lock_timeout = self.settings.lock_timeout;
        let mode = self.settings.lock_mode;
        self.guard(|c| {
            c.store.vacuum_analyze()?;
            if mode == LockMode::Session {
                c.store.set_timeouts(lock_timeout, statement_timeout)?;
            }
            Ok(())
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
        let jobs = self.settings.jobs.max(1);
        let mut report = if jobs == 1 {
            let queue = RangeQueue::single();
            let conn = self.primary.as_mut().expect("connected above");
            let result = work(
                conn,
                &self.settings,
                &self.shutdown,
                &queue,
                deadline,
                on_batch,
            );
            self.after_work(result)?
        } else {
            self.parallel_pass(jobs, deadline, on_batch)?
        };
        report.duration = started.elapsed();
        Ok(report)
    }

    fn after_work(&mut self, result: Result<PassReport>) -> Result<PassReport> {
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

    fn parallel_pass(
        &mut self,
        jobs: usize,
        deadline: Option<Instant>,
        on_batch: &(dyn Fn(&BatchReport) + Sync),
    ) -> Result<PassReport> {
        while self.helpers.len() < jobs - 1 {
            let conn = Conn::open(&self.target, &self.table, &self.settings, &self.shutdown)?;
            self.helpers.push(conn);
        }
        let grace = self.settings.grace;
        let span = {
            let conn = self.primary.as_mut().expect("connected");
            conn.registration
                .run(|| conn.store.expired_span(grace))
                .unwrap_or(Ok(None))
        };
        let span = match span {
            Ok(s) => s,
            Err(e) => return self.after_work(Err(e)),
        };
        let Some((first, cutoff)) = span else {
            return Ok(PassReport::empty(Outcome::Completed));
        };
        let queue = RangeQueue::split(first, cutoff, jobs as u32 * CHUNKS_PER_WORKER);
        let settings = &self.settings;
        let shutdown = &self.shutdown;
        let queue = &queue;
        let primary = self.primary.as_mut().expect("connected");
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
        let mut total = PassReport::empty(Outcome::Completed);
        let mut first_error = None;
        for result in results {
            match result {
                Ok(r) => total.merge(&r),
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(e);
                    }
                }
            }
        }
        let broken = self
            .helpers
            .iter_mut()
            .any(|c| c.store.client().is_closed());
        if broken {
            self.helpers.clear();
        }
        match first_error {
            Some(e) => self.after_work(Err(e)),
            None => Ok(total),
        }
    }
}

impl Drop for Cleaner {
    fn drop(&mut self) {
        self.release();
    }
}

/// The slices of the expiry range still to purge, taken by workers one at a time.
struct RangeQueue {
    ranges: Mutex<VecDeque<PurgeRange>>,
}

impl RangeQueue {
    fn single() -> RangeQueue {
        RangeQueue {
            ranges: Mutex::new(VecDeque::from([PurgeRange::default()])),
        }
    }

    /// `chunks` slices of equal time from `first` to `cutoff`; the first slice is open below
    /// and the last open above, so nothing expired is outside every slice.
    fn split(first: SystemTime, cutoff: SystemTime, chunks: u32) -> RangeQueue {
        let width = cutoff.duration_since(first).unwrap_or_default() / chunks.max(1);
        let mut ranges = VecDeque::new();
        let mut after = None;
        for i in 1..=chunks {
            let before = if i == chunks || width.is_zero() {
                None
            } else {
                Some(first + width * i)
            };
            ranges.push_back(PurgeRange { after, before });
            if before.is_none() {
                break;
            }
            after = before;
        }
        RangeQueue {
            ranges: Mutex::new(ranges),
        }
    }

    fn next(&self) -> Option<PurgeRange> {
        self.ranges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }
}

/// One worker's loop: take a slice, delete it batch by batch from its oldest rows, starting
/// each batch's index scan at the last expiry deleted, until the slice is empty.
fn work(
    conn: &mut Conn,
    settings: &Settings,
    shutdown: &Shutdown,
    queue: &RangeQueue,
    deadline: Option<Instant>,
    on_batch: &(dyn Fn(&BatchReport) + Sync),
) -> Result<PassReport> {
    let mut report = PassReport::empty(Outcome::Completed);
    let mut sizer = Sizer::new(settings.sizing);
    let mut failures = 0u32;
    let mut backoff = Duration::from_millis(50);
    while let Some(slice) = queue.next() {
        let mut range = slice;
        loop {
            if shutdown.is_stopped() {
                report.outcome = Outcome::Stopped;
                return Ok(report);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                report.outcome = Outcome::TimeLimit;
                return Ok(report);
            }
            let requested = sizer.next();
            let started = Instant::now();
            let Some(result) = conn.registration.run(|| {
                conn.store
                    .purge_step(&conn.purger, requested, settings.grace, range)
            }) else {
                report.outcome = Outcome::Stopped;
                return Ok(report);
            };
            let took = started.elapsed();
            match result {
                Ok(batch) if !batch.locked => {
                    report.outcome = Outcome::Standby;
                    return Ok(report);
                }
                Ok(batch) => {
                    failures = 0;
                    backoff = Duration::from_millis(50);
                    report.batches += 1;
                    report.deleted += batch.deleted;
                    report.max_batch = report.max_batch.max(took);
                    sizer.observe(requested, batch.deleted, took);
                    on_batch(&BatchReport {
                        deleted: batch.deleted,
                        requested,
                        took,
                    });
                    if batch.deleted < requested as u64 {
                        break;
                    }
                    range.after = batch.last_expiry.or(range.after);
                }
                Err(_) if shutdown.is_stopped() => {
                    report.outcome = Outcome::Stopped;
                    return Ok(report);
                }
                Err(e) if is_retryable(&e) => {
                    failures += 1;
                    report.retries += 1;
                    if failures > MAX_CONSECUTIVE_RETRIES {
                        return Err(e);
                    }
                    sizer.shrink();
                    let pause = jittered(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                    if shutdown.wait(pause) {
                        report.outcome = Outcome::Stopped;
                        return Ok(report);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(report)
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

    #[test]
    fn split_covers_everything_without_overlap() {
        let q = RangeQueue::split(at(1000), at(2000), 4);
        let ranges: Vec<_> = std::iter::from_fn(|| q.next()).collect();
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
        let q = RangeQueue::split(at(5), at(5), 8);
        let ranges: Vec<_> = std::iter::from_fn(|| q.next()).collect();
        assert_eq!(ranges, vec![PurgeRange::default()]);
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
