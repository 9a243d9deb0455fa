//! Waiting for work that cannot be cut short from outside, such as a connection attempt: it
//! runs on a thread of its own, and the caller stops waiting when it chooses to.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often the waiting side asks whether to give up.
const POLL: Duration = Duration::from_millis(50);

/// How work run by [`run_aside`] ended, as far as the caller is concerned.
pub(crate) enum Aside<T> {
    /// It finished with this result.
    Done(T),
    /// The caller gave up waiting; the work goes on by itself and its result is dropped.
    GaveUp,
    /// It could not run, or panicked: why.
    Failed(String),
}

/// Runs `work` on a thread of its own and waits for it, asking `give_up` every 50 ms whether
/// to stop waiting. Work given up on is left to finish by itself: a connection it opens is
/// closed when its result is dropped.
pub(crate) fn run_aside<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
    mut give_up: impl FnMut() -> bool,
) -> Aside<T> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("scsctl-connect".into())
        .spawn(move || {
            let _ = tx.send(work());
        });
    if let Err(e) = spawned {
        return Aside::Failed(format!("cannot start a thread: {e}"));
    }
    loop {
        match rx.recv_timeout(POLL) {
            Ok(result) => return Aside::Done(result),
            Err(RecvTimeoutError::Timeout) if give_up() => return Aside::GaveUp,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Aside::Failed("a connecting thread panicked".into());
            }
        }
    }
}
