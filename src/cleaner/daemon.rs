//! The cleanup daemon's loop: a pass at start and then every interval (with jitter), standing
//! by while another copy holds the cleaner lock, reconnecting with capped exponential backoff
//! when the server goes away, never giving up because of the database.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Cleaner, Outcome, PassReport, is_connection_lost};
use crate::error::Error;

/// The first wait before reconnecting.
pub const RECONNECT_MIN: Duration = Duration::from_secs(1);
/// The longest wait before reconnecting.
pub const RECONNECT_MAX: Duration = Duration::from_secs(60);

/// How often the daemon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchSettings {
    /// Time between passes.
    pub interval: Duration,
    /// How much each wait is spread.
    pub jitter: Jitter,
}

/// A spread of ± this percentage applied to each wait, so replicas started together drift
/// apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jitter(pub u8);

impl Jitter {
    /// `d` moved by a random amount within ± the percentage.
    pub fn apply(self, d: Duration) -> Duration {
        let spread = f64::from(self.0.min(100)) / 100.0;
        d.mul_f64((1.0 + spread * (2.0 * random_unit() - 1.0)).max(0.0))
    }
}

/// Something the daemon did, for the command to log.
#[derive(Debug)]
pub enum Event<'a> {
    /// Connected to the server (`reconnect`: after losing a connection).
    Connected {
        /// Whether this follows a lost connection.
        reconnect: bool,
    },
    /// Could not connect; the next attempt is in `retry_in`.
    ConnectFailed {
        /// Why.
        error: &'a Error,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
    /// This copy took the cleaner lock and is now the active cleaner.
    Active,
    /// Another copy holds the cleaner lock; this one checks again in `retry_in`.
    Standby {
        /// The wait before the next attempt.
        retry_in: Duration,
    },
    /// A pass ran.
    Pass {
        /// What it did.
        report: &'a PassReport,
        /// The wait before the next pass.
        next_in: Duration,
    },
    /// A pass failed; the daemon goes on.
    PassFailed {
        /// Why.
        error: &'a Error,
        /// The wait before the next attempt.
        retry_in: Duration,
        /// Whether the connection was lost (the next attempt reconnects).
        connection_lost: bool,
    },
    /// A stop was requested; the lock has been released.
    Stopped,
}

/// Runs passes every interval until a stop is requested on the cleaner's [`super::Shutdown`].
/// Never returns an error: database failures are reported through `on_event` and retried.
pub fn watch(cleaner: &mut Cleaner, settings: &WatchSettings, on_event: &mut dyn FnMut(Event<'_>)) {
    let shutdown = cleaner.shutdown.clone();
    let mut backoff = RECONNECT_MIN;
    let mut ever_connected = false;
    let mut was_active = false;
    let standby_wait = settings.interval / 2;
    loop {
        if shutdown.is_stopped() {
            break;
        }
        if !cleaner.is_connected() {
            was_active = false;
            match cleaner.connect() {
                Ok(()) => {
                    on_event(Event::Connected {
                        reconnect: ever_connected,
                    });
                    ever_connected = true;
                    backoff = RECONNECT_MIN;
                }
                Err(Error::Interrupted) => break,
                Err(error) => {
                    let retry_in = backoff;
                    on_event(Event::ConnectFailed {
                        error: &error,
                        retry_in,
                    });
                    backoff = (backoff * 2).min(RECONNECT_MAX);
                    if shutdown.wait(retry_in) {
                        break;
                    }
                    continue;
                }
            }
        }
        let result = match cleaner.try_lead() {
            Ok(true) => {
                if !was_active && cleaner.settings.lock_mode == super::LockMode::Session {
                    on_event(Event::Active);
                }
                was_active = true;
                cleaner.pass(&|_| {})
            }
            Ok(false) => Ok(PassReport::empty(Outcome::Standby)),
            Err(e) => Err(e),
        };
        let wait = match result {
            Ok(report) if report.outcome == Outcome::Stopped => {
                on_event(Event::Pass {
                    report: &report,
                    next_in: Duration::ZERO,
                });
                break;
            }
            Ok(report) if report.outcome == Outcome::Standby && report.deleted == 0 => {
                was_active = false;
                let retry_in = settings.jitter.apply(standby_wait);
                on_event(Event::Standby { retry_in });
                retry_in
            }
            Ok(report) => {
                let next_in = settings.jitter.apply(settings.interval);
                on_event(Event::Pass {
                    report: &report,
                    next_in,
                });
                next_in
            }
            Err(Error::Interrupted) => break,
            Err(_) if shutdown.is_stopped() => break,
            Err(error) => {
                let connection_lost = is_connection_lost(&error) || !cleaner.is_connected();
                if connection_lost {
                    cleaner.disconnect();
                }
                let retry_in = if connection_lost {
                    let d = backoff;
                    backoff = (backoff * 2).min(RECONNECT_MAX);
                    d
                } else {
                    settings.jitter.apply(settings.interval)
                };
                on_event(Event::PassFailed {
                    error: &error,
                    retry_in,
                    connection_lost,
                });
                retry_in
            }
        };
        if shutdown.wait(wait) {
            break;
        }
    }
    cleaner.release();
    on_event(Event::Stopped);
}

/// A uniform random number in [0, 1): xorshift seeded from the OS, enough for spreading waits.
pub(crate) fn random_unit() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = getrandom::u64().unwrap_or_else(|_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9e37_79b9_7f4a_7c15)
        }) | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_bounds() {
        let base = Duration::from_secs(100);
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..1000 {
            let d = Jitter(10).apply(base);
            assert!(d >= Duration::from_secs(90) && d <= Duration::from_secs(110));
            seen_low |= d < Duration::from_secs(98);
            seen_high |= d > Duration::from_secs(102);
        }
        assert!(seen_low && seen_high);
        assert_eq!(Jitter(0).apply(base), base);
    }
}
