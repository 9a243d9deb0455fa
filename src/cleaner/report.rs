//! What a pass and each of its batches did, for the commands to render.

use std::time::Duration;

use super::Scan;

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

    pub(super) fn merge(&mut self, other: &PassReport) {
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
