//! Signal-driven cancellation: a flag the batch loop checks between batches, a condition
//! variable its waits sleep on (so a signal wakes them at once), and the cancel tokens of the
//! connections that are running a batch, so a signal also cancels the statement in flight.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::connect::Target;
use crate::error::{Error, Result};

/// How long a triggered shutdown keeps re-sending cancel requests to a statement that has not
/// ended yet (a cancel that reaches the server before the statement does is ignored by it).
const CANCEL_WINDOW: Duration = Duration::from_secs(2);
const CANCEL_EVERY: Duration = Duration::from_millis(50);

/// A shared stop request. Clones refer to the same state.
#[derive(Clone, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    stopped: Mutex<bool>,
    wake: Condvar,
    flag: AtomicBool,
    signal: AtomicI32,
    slots: Mutex<Vec<Arc<Slot>>>,
}

struct Slot {
    target: Target,
    token: postgres::CancelToken,
    busy: AtomicBool,
}

/// A connection registered with [`Shutdown::register`]: mark it busy around each statement that
/// a stop request should cancel.
pub struct Registration {
    slot: Arc<Slot>,
    shutdown: Shutdown,
}

impl std::fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shutdown")
            .field("stopped", &self.is_stopped())
            .finish()
    }
}

impl Shutdown {
    /// A shutdown nobody has requested yet.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Starts a thread that turns SIGINT and SIGTERM into [`Shutdown::trigger`]. From then on
    /// these signals no longer kill the process: the caller must check [`Shutdown::is_stopped`].
    pub fn install_signals(&self) -> Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .map_err(|e| Error::io("cannot install signal handlers", e))?;
        let me = self.clone();
        std::thread::Builder::new()
            .name("scsctl-signals".into())
            .spawn(move || {
                for signal in signals.forever() {
                    me.inner.signal.store(signal, Ordering::SeqCst);
                    me.trigger();
                }
            })
            .map_err(|e| Error::io("cannot start the signal thread", e))?;
        Ok(())
    }

    /// Requests a stop: wakes every wait and cancels the statements running on registered
    /// connections (re-sending the cancel for a short while until they end).
    pub fn trigger(&self) {
        {
            let mut stopped = self.inner.stopped.lock().unwrap_or_else(|p| p.into_inner());
            *stopped = true;
            self.inner.flag.store(true, Ordering::SeqCst);
        }
        self.inner.wake.notify_all();
        let started = Instant::now();
        while started.elapsed() < CANCEL_WINDOW {
            let busy: Vec<Arc<Slot>> = self
                .inner
                .slots
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .filter(|s| s.busy.load(Ordering::SeqCst))
                .cloned()
                .collect();
            if busy.is_empty() {
                return;
            }
            for slot in busy {
                let _ = slot.target.cancel(&slot.token);
            }
            std::thread::sleep(CANCEL_EVERY);
        }
    }

    /// Whether a stop was requested.
    pub fn is_stopped(&self) -> bool {
        self.inner.flag.load(Ordering::SeqCst)
    }

    /// The signal that triggered the stop, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.inner.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// Sleeps for `timeout` or until a stop is requested; returns whether it was.
    pub fn wait(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut stopped = self.inner.stopped.lock().unwrap_or_else(|p| p.into_inner());
        while !*stopped {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            stopped = self
                .inner
                .wake
                .wait_timeout(stopped, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// Registers a connection whose running statement a stop request should cancel.
    pub fn register(&self, target: &Target, client: &postgres::Client) -> Registration {
        let slot = Arc::new(Slot {
            target: target.clone(),
            token: client.cancel_token(),
            busy: AtomicBool::new(false),
        });
        self.inner
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(slot.clone());
        Registration {
            slot,
            shutdown: self.clone(),
        }
    }
}

impl Registration {
    /// Runs `work` (one statement) marked as cancellable; returns `None` without running it
    /// when a stop was already requested.
    pub fn run<T>(&self, work: impl FnOnce() -> T) -> Option<T> {
        // Busy is set before the flag is read, and the trigger sets the flag before it reads
        // busy: either this sees the stop, or the trigger sees the statement and cancels it.
        self.slot.busy.store(true, Ordering::SeqCst);
        if self.shutdown.is_stopped() {
            self.slot.busy.store(false, Ordering::SeqCst);
            return None;
        }
        let result = work();
        self.slot.busy.store(false, Ordering::SeqCst);
        Some(result)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Forget the slot, so that a closed connection is never cancelled.
        self.shutdown
            .inner
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|s| !Arc::ptr_eq(s, &self.slot));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_wakes_on_trigger() {
        let shutdown = Shutdown::new();
        let other = shutdown.clone();
        let started = Instant::now();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            other.trigger();
        });
        assert!(shutdown.wait(Duration::from_secs(10)));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(shutdown.is_stopped());
        t.join().unwrap();
    }

    #[test]
    fn wait_times_out() {
        let shutdown = Shutdown::new();
        assert!(!shutdown.wait(Duration::from_millis(10)));
        assert!(!shutdown.is_stopped());
    }
}
