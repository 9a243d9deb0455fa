//! Adaptive batch sizing: keep each batch's transaction under a target time.

use std::time::Duration;

/// The size of the first batch when sizing adapts: small enough to be quick on any server,
/// large enough that a few doublings reach a useful size.
pub const INITIAL_BATCH: i64 = 1_000;
/// The smallest adaptive batch.
pub const MIN_BATCH: i64 = 10;
/// The largest adaptive batch.
pub const MAX_BATCH: i64 = 200_000;
/// The share of the target a batch aims at, leaving room for the noise of a shared server
/// (checkpoints, autovacuum, the app's own load, a busy CPU) before a batch crosses the
/// target: measured batches of the same size vary by 3× on a loaded machine.
const AIM: f64 = 0.25;
/// The most a batch grows over the previous one.
const GROWTH: f64 = 1.5;
/// How fast the cost estimate forgets a slow batch (a fast batch only lowers it by this share).
const DECAY: f64 = 0.25;

/// How batch sizes are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchSizing {
    /// Always this many rows.
    Fixed(i64),
    /// Adapted after each batch from a per-row cost estimate that rises at once on a slow
    /// batch and falls slowly on fast ones, so that batches take about a quarter of the target;
    /// a batch grows at most 1.5× over the previous one.
    Adaptive {
        /// The longest a batch's transaction should take.
        target: Duration,
    },
}

/// Chooses the size of the next batch from how long the previous ones took.
#[derive(Debug, Clone)]
pub struct Sizer {
    sizing: BatchSizing,
    size: i64,
    /// The smallest batch it chooses.
    min: i64,
    /// Seconds per row, pessimistic.
    cost: Option<f64>,
}

impl Sizer {
    /// A sizer of rows starting at `initial`, or at the fixed size; it never goes below
    /// [`MIN_BATCH`] rows.
    pub fn new(sizing: BatchSizing, initial: i64) -> Sizer {
        Sizer::with_min(sizing, initial, MIN_BATCH)
    }

    /// A sizer of heap pages starting at `initial`, or at the fixed size. It goes down to one
    /// page: a page of large sessions (their data in TOAST) holds a few megabytes.
    pub fn in_pages(sizing: BatchSizing, initial: i64) -> Sizer {
        Sizer::with_min(sizing, initial, 1)
    }

    fn with_min(sizing: BatchSizing, initial: i64, min: i64) -> Sizer {
        let size = match sizing {
            BatchSizing::Fixed(n) => n.max(1),
            BatchSizing::Adaptive { .. } => initial.clamp(min, MAX_BATCH),
        };
        Sizer {
            sizing,
            size,
            min,
            cost: None,
        }
    }

    /// Whether the next batch is as small as this sizer makes one (or the size is fixed), so
    /// that a batch too slow cannot be made smaller.
    pub fn at_minimum(&self) -> bool {
        match self.sizing {
            BatchSizing::Fixed(_) => true,
            BatchSizing::Adaptive { .. } => self.size <= self.min,
        }
    }

    /// The size of the next batch.
    pub fn next(&self) -> i64 {
        self.size
    }

    /// Learns from a batch that asked for `requested` rows, deleted `deleted` and took `took`.
    pub fn observe(&mut self, requested: i64, deleted: u64, took: Duration) {
        let BatchSizing::Adaptive { target } = self.sizing else {
            return;
        };
        let took = took.as_secs_f64().max(1e-4);
        let goal = target.as_secs_f64() * AIM;
        let full = deleted as i64 >= requested;
        if !full && took <= goal {
            // A short last batch says little about the cost of a full one.
            return;
        }
        let observed = took / deleted.max(1) as f64;
        let cost = match self.cost {
            Some(c) if observed < c => c + (observed - c) * DECAY,
            _ => observed,
        };
        self.cost = Some(cost);
        let ideal = goal / cost;
        let high = if full {
            self.size as f64 * GROWTH
        } else {
            self.size as f64
        };
        self.size = (ideal.min(high) as i64).clamp(self.min, MAX_BATCH);
    }

    /// Halves the next batch after a failed one (a timeout, a deadlock, a serialization
    /// failure); a fixed size is kept.
    pub fn shrink(&mut self) {
        if let BatchSizing::Adaptive { .. } = self.sizing {
            self.size = (self.size / 2).max(self.min);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGET: Duration = Duration::from_millis(100);

    #[test]
    fn grows_gradually_and_settles_near_a_quarter_of_the_target() {
        let mut s = Sizer::new(BatchSizing::Adaptive { target: TARGET }, INITIAL_BATCH);
        // 10 µs per row: 2,500 rows make 25 ms.
        for _ in 0..30 {
            let n = s.next();
            s.observe(n, n as u64, Duration::from_micros(10 * n as u64));
            assert!(s.next() as f64 <= n as f64 * 1.5 + 1.0);
        }
        assert!((2_400..=2_600).contains(&s.next()), "{}", s.next());
    }

    #[test]
    fn one_slow_batch_shrinks_at_once_and_recovers_slowly() {
        let mut s = Sizer::new(BatchSizing::Adaptive { target: TARGET }, INITIAL_BATCH);
        for _ in 0..30 {
            let n = s.next();
            s.observe(n, n as u64, Duration::from_micros(10 * n as u64));
        }
        let n = s.next();
        s.observe(n, n as u64, Duration::from_micros(40 * n as u64));
        let after_spike = s.next();
        assert!(after_spike < n / 3, "{after_spike}");
        let n = s.next();
        s.observe(n, n as u64, Duration::from_micros(10 * n as u64));
        assert!(s.next() < 2_500 * 3 / 4, "{}", s.next());
    }

    #[test]
    fn a_sizer_of_pages_goes_down_to_one_page() {
        let mut rows = Sizer::new(BatchSizing::Adaptive { target: TARGET }, 16);
        let mut pages = Sizer::in_pages(BatchSizing::Adaptive { target: TARGET }, 16);
        for s in [&mut rows, &mut pages] {
            for _ in 0..10 {
                s.shrink();
            }
        }
        assert_eq!((rows.next(), pages.next()), (MIN_BATCH, 1));
        assert!(pages.at_minimum() && rows.at_minimum());
        // A page that takes the whole target stays one page.
        pages.observe(1, 1, TARGET);
        assert_eq!(pages.next(), 1);
        let fresh = Sizer::in_pages(BatchSizing::Adaptive { target: TARGET }, 16);
        assert!(!fresh.at_minimum());
    }

    #[test]
    fn shrinks_when_slow_and_on_failure() {
        let mut s = Sizer::new(BatchSizing::Adaptive { target: TARGET }, INITIAL_BATCH);
        s.observe(1_000, 1_000, Duration::from_millis(50));
        assert!((495..=500).contains(&s.next()), "{}", s.next());
        let before = s.next();
        s.shrink();
        assert_eq!(s.next(), before / 2);
        for _ in 0..20 {
            s.shrink();
        }
        assert_eq!(s.next(), MIN_BATCH);
    }

    #[test]
    fn short_fast_batches_do_not_grow() {
        let mut s = Sizer::new(BatchSizing::Adaptive { target: TARGET }, INITIAL_BATCH);
        s.observe(1_000, 10, Duration::from_millis(1));
        assert_eq!(s.next(), 1_000);
    }

    #[test]
    fn fixed_stays_fixed() {
        let mut s = Sizer::new(BatchSizing::Fixed(42), INITIAL_BATCH);
        s.observe(42, 42, Duration::from_secs(5));
        s.shrink();
        assert_eq!(s.next(), 42);
    }
}
