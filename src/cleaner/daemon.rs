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
/// How often a copy standing by says so again while nothing changes.
pub const STANDBY_REPEAT: Duration = Duration::from_secs(300);
/// How often a long pass reports how far it has got.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

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
    /// Another copy holds the cleaner lock; this one checks again in `retry_in`. Sent when
    /// this copy starts standing by, when the holder changes, and every five minutes
    /// while nothing does (not at every check).
    Standby {
        /// The wait before the next attempt.
        retry_in: Duration,
        /// Who holds the lock, as far as `pg_stat_activity` shows it to this role.
        holder: Option<String>,
    },
    /// A long pass is still running (every ten seconds).
    Progress {
        /// Rows deleted so far in this pass.
        deleted: u64,
        /// How long the pass has run.
        elapsed: Duration,
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
    /// A stop was requested; the lock, if this copy held it, has been released.
    Stopped {
        /// Whether this copy held the cleaner lock.
        released: bool,
    },
}

/// Whether an error met before the daemon ever completed a pass means it can never work: the
/// table is missing, is not a table, or has the wrong shape. Later, the same error is retried
/// (the table may be being migrated).
fn fatal_at_start(error: &Error, ever_passed: bool) -> bool {
    !ever_passed && matches!(error, Error::Incompatible(_))
}

/// Runs passes every interval until a stop is requested on the cleaner's [`super::Shutdown`].
/// Database failures are reported through `on_event` and retried; the one error returned is a
/// table that cannot be purged, met before the first pass (so a typo in `--table` fails at
/// once instead of retrying forever). `on_progress` is called after each batch of a pass
/// with what it did, from the worker that ran it.
pub fn watch(
    cleaner: &mut Cleaner,
    settings: &WatchSettings,
    on_event: &mut dyn FnMut(Event<'_>),
    on_progress: &(dyn Fn(Event<'_>) + Sync),
) -> Result<(), Error> {
    let shutdown = cleaner.shutdown.clone();
    let mut backoff = RECONNECT_MIN;
    let mut ever_connected = false;
    let mut ever_passed = false;
    let mut ever_held = false;
    let mut was_active = false;
    // The holder last reported and when, while standing by.
    let mut standby_said: Option<(Option<String>, std::time::Instant)> = None;
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
                Err(error) if fatal_at_start(&error, ever_passed) => {
                    cleaner.release();
                    return Err(error);
                }
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
                    ever_held = true;
                }
                was_active = true;
                standby_said = None;
                pass_with_progress(cleaner, on_progress)
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
                let holder = cleaner.lock_holder().unwrap_or(None);
                let due = match &standby_said {
                    None => true,
                    Some((said, at)) => *said != holder || at.elapsed() >= STANDBY_REPEAT,
                };
                if due {
                    on_event(Event::Standby {
                        retry_in,
                        holder: holder.clone(),
                    });
                    standby_said = Some((holder, std::time::Instant::now()));
                }
                retry_in
            }
            Ok(report) => {
                ever_passed = true;
                let next_in = settings.jitter.apply(settings.interval);
                on_event(Event::Pass {
                    report: &report,
                    next_in,
                });
                next_in
            }
            Err(Error::Interrupted) => break,
            Err(_) if shutdown.is_stopped() => break,
            Err(error) if fatal_at_start(&error, ever_passed) => {
                cleaner.release();
                return Err(error);
            }
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
    on_event(Event::Stopped {
        released: ever_held,
    });
    Ok(())
}

/// One pass, reporting its progress every `PROGRESS_EVERY`, ten seconds.
fn pass_with_progress(
    cleaner: &mut Cleaner,
    on_progress: &(dyn Fn(Event<'_>) + Sync),
) -> Result<PassReport, Error> {
    let started = std::time::Instant::now();
    let deleted = AtomicU64::new(0);
    let next = std::sync::Mutex::new(started + PROGRESS_EVERY);
    cleaner.pass(&|batch| {
        let so_far = deleted.fetch_add(batch.deleted, Ordering::Relaxed) + batch.deleted;
        let mut next = next.lock().unwrap_or_else(|p| p.into_inner());
        if std::time::Instant::now() >= *next {
            *next += PROGRESS_EVERY;
            on_progress(Event::Progress {
                deleted: so_far,
                elapsed: started.elapsed(),
            });
        }
    })
}

/// A uniform random number in [0, 1) from the OS's generator, for spreading waits. Should
/// the OS fail to give one, the wait is not spread (0.5 is the middle of every range).
pub(crate) fn random_unit() -> f64 {
    getrandom::u64().map_or(0.5, |x| (x >> 11) as f64 / (1u64 << 53) as f64)
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
