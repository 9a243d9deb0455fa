//! A worker: runs batches of its slices, counts them, retries failed ones with backoff.

use std::time::{Duration, Instant};

use super::plan::{Item, WorkQueue};
use super::{
    BatchReport, Conn, FIRST_BACKOFF, INITIAL_BATCH, INITIAL_BLOCKS, MAX_BACKOFF,
    MAX_CONSECUTIVE_RETRIES, Outcome, PassReport, Settings, Shutdown, Sizer, daemon, is_retryable,
};
use crate::error::Result;
use crate::store::{BatchOutcome, Step};

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
pub(super) fn work(
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
