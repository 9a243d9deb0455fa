//! The store's background cleanup, like postgresstore's `startCleanup`: a thread with its own
//! connection that deletes expired rows every interval until it is stopped.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use std::sync::Arc;

use super::{BatchStatement, LockMode, PurgeRange, Step, Store};
use crate::connect::Target;
use crate::table::TableName;

/// postgresstore's default cleanup interval.
pub const DEFAULT_CLEANUP_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// Rows deleted per statement by the background cleanup, so that no pass is one long
/// transaction on a large backlog.
const CLEANUP_BATCH: i64 = 5_000;
/// How long a cleanup batch waits for a row lock before it fails (and the pass with it; the
/// next pass tries again).
const CLEANUP_LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one cleanup batch may run.
const CLEANUP_STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// What a background cleanup did over its life.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Passes that ran to the end.
    pub passes: u64,
    /// Rows deleted in all.
    pub deleted: u64,
    /// The last error met, if any (the cleanup keeps going after errors, as SCS's does).
    pub last_error: Option<String>,
}

/// A running background cleanup. Dropping it stops the thread and waits for it.
#[derive(Debug)]
pub struct Cleanup {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<CleanupReport>>,
}

impl Cleanup {
    /// Starts a cleanup of `table` every `interval`, connecting through `target`.
    pub fn start(target: Target, table: TableName, interval: Duration) -> Cleanup {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("scsctl-cleanup".into())
            .spawn(move || {
                let mut report = CleanupReport::default();
                let mut store: Option<Store> = None;
                loop {
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return report,
                    }
                    if store.is_none() {
                        match Store::connect(&target, table.clone()) {
                            Ok(s) => store = Some(s),
                            Err(e) => {
                                report.last_error = Some(e.to_string());
                                continue;
                            }
                        }
                    }
                    let Some(s) = store.as_mut() else { continue };
                    match delete_all_expired(s, &stopped) {
                        Ok(n) => {
                            report.passes += 1;
                            report.deleted += n;
                        }
                        Err(e) => {
                            report.last_error = Some(e.to_string());
                            // Reconnect on the next pass; the old connection may be broken.
                            store = None;
                        }
                    }
                }
            })
            .expect("spawning a thread only fails when the OS is out of resources");
        Cleanup {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops the cleanup, waits for its thread to end, and returns what it did.
    pub fn stop(mut self) -> CleanupReport {
        self.shutdown()
    }

    fn shutdown(&mut self) -> CleanupReport {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Pages per block batch of the background cleanup, in a leaf without an expiry index.
const CLEANUP_PAGES: i64 = 1_024;

/// Deletes every expired row in batches, leaf by leaf, stopping early when asked to: through
/// the expiry index where a leaf has one, else in page order (reading a leaf without the index
/// once per batch would make the pass quadratic).
fn delete_all_expired(
    store: &mut Store,
    stopped: &mpsc::Receiver<()>,
) -> crate::error::Result<u64> {
    let stop_asked = || !matches!(stopped.try_recv(), Err(mpsc::TryRecvError::Empty));
    let layout = store.purge_layout()?;
    let purger = store.purger(
        LockMode::Session,
        BatchStatement::Ctid,
        CLEANUP_LOCK_TIMEOUT,
        CLEANUP_STATEMENT_TIMEOUT,
        false,
    )?;
    let mut total = 0;
    for leaf in &layout.leaves {
        let name: Arc<str> = Arc::from(leaf.quoted.as_str());
        if leaf.expiry_index {
            loop {
                let step = Step::Index {
                    leaf: name.clone(),
                    limit: CLEANUP_BATCH,
                    range: PurgeRange::default(),
                };
                let deleted = store.purge_step(&purger, step, Duration::ZERO)?.deleted;
                total += deleted;
                if deleted < CLEANUP_BATCH as u64 || stop_asked() {
                    break;
                }
            }
        } else {
            for first in (0..leaf.pages).step_by(CLEANUP_PAGES as usize) {
                let step = Step::Blocks {
                    leaf: name.clone(),
                    first,
                    end: (first + CLEANUP_PAGES).min(leaf.pages),
                };
                total += store.purge_step(&purger, step, Duration::ZERO)?.deleted;
                if stop_asked() {
                    break;
                }
            }
        }
        if stop_asked() {
            break;
        }
    }
    Ok(total)
}
