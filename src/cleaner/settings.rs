//! What a pass does and how: the scan, batch sizing, guards, lock mode and workers.

use std::time::Duration;

use super::{BatchSizing, DEFAULT_LOCK_TIMEOUT, DEFAULT_TARGET_BATCH_TIME};
use crate::store::{BatchStatement, LockMode};

/// How a pass finds expired rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scan {
    /// Per leaf of the table: blocks where no index is led by `expiry`; else blocks when a
    /// sample of the leaf's pages finds at least [`BLOCK_SCAN_SHARE`](crate::cleaner::BLOCK_SCAN_SHARE) of its rows expired (a
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
