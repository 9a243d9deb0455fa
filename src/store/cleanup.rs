//! The store's background cleanup, like postgresstore's `startCleanup`: a thread with its own
//! connection that deletes expired rows every interval until it is stopped.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::Store;
use crate::connect::Target;
use crate::table::TableName;

/// postgresstore's default cleanup interval.
pub const DEFAULT_CLEANUP_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// Rows deleted per statement by the background cleanup, so that no pass is one long
/// transaction on a large backlog.
const CLEANUP_BATCH: i64 = 5_000;

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

/// Deletes every expired row in batches, stopping early when asked to.
fn delete_all_expired(
    store: &mut Store,
    stopped: &mpsc::Receiver<()>,
) -> crate::error::Result<u64> {
    let mut total = 0;
    loop {
        let batch = store.purge_batch(CLEANUP_BATCH, Duration::ZERO)?;
        total += batch.deleted;
        if batch.deleted < CLEANUP_BATCH as u64 {
            return Ok(total);
        }
        if !matches!(stopped.try_recv(), Err(mpsc::TryRecvError::Empty)) {
            return Ok(total);
        }
    }
}
