//! How each leaf of the table is purged ([`Scan::Auto`]'s choice) and the slices of a pass
//! that workers take one at a time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::{
    BLOCK_SCAN_SHARE, BatchSizing, LeafPlan, MIN_BLOCK_SCAN_PAGES, SAMPLE_PAGES, Scan, Settings,
};
use crate::error::Result;
use crate::store::{Leaf, PurgeRange, Store};

/// How to purge `leaf`, and why: see [`Scan::Auto`].
pub(super) fn choose_scan(
    settings: &Settings,
    leaf: &Leaf,
    store: &mut Store,
) -> Result<(Scan, String)> {
    if settings.scan == Scan::Blocks {
        return Ok((Scan::Blocks, "--scan blocks".into()));
    }
    if !leaf.expiry_index {
        return Ok((
            Scan::Blocks,
            "no index led by expiry (an index batch would read the whole table)".into(),
        ));
    }
    if settings.scan == Scan::Index {
        return Ok((Scan::Index, "--scan index".into()));
    }
    if let BatchSizing::Fixed(_) = settings.sizing {
        return Ok((Scan::Index, "--batch-size counts rows".into()));
    }
    if leaf.pages < MIN_BLOCK_SCAN_PAGES {
        let s = if leaf.pages == 1 { "" } else { "s" };
        return Ok((
            Scan::Index,
            format!("{} page{s}, fewer than {MIN_BLOCK_SCAN_PAGES}", leaf.pages),
        ));
    }
    let percent = (100.0 * SAMPLE_PAGES / leaf.pages as f64).min(100.0);
    let sample = store.sample_leaf(&leaf.quoted, percent, settings.grace)?;
    let share = if sample.rows > 0 {
        sample.expired as f64 / sample.rows as f64
    } else {
        0.0
    };
    let scan = if share >= BLOCK_SCAN_SHARE {
        Scan::Blocks
    } else {
        Scan::Index
    };
    let reason = format!(
        "{:.0}% of {} rows expired in a sample of {:.2}% of {} pages",
        share * 100.0,
        sample.rows,
        percent,
        leaf.pages
    );
    Ok((scan, reason))
}

/// The scan a report names: the one every leaf had, else [`Scan::Mixed`].
pub(super) fn overall_scan(plans: &[LeafPlan]) -> Scan {
    match plans.first() {
        None => Scan::Index,
        Some(first) if plans.iter().all(|p| p.scan == first.scan) => first.scan,
        Some(_) => Scan::Mixed,
    }
}

/// A slice of a pass, taken by one worker at a time; each lies in one leaf (quoted for SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// A slice of the leaf's expiry range, purged through its index.
    Index(Arc<str>, PurgeRange),
    /// A range of the leaf's heap pages, purged in physical order.
    Blocks {
        /// The leaf.
        leaf: Arc<str>,
        /// The first page.
        first: i64,
        /// One past the last page.
        end: i64,
    },
}

/// The slices of a pass still to purge, taken by workers one at a time.
pub(super) struct WorkQueue {
    items: Mutex<VecDeque<Item>>,
}

impl WorkQueue {
    pub(super) fn new(items: impl IntoIterator<Item = Item>) -> WorkQueue {
        WorkQueue {
            items: Mutex::new(items.into_iter().collect()),
        }
    }

    pub(super) fn next(&self) -> Option<Item> {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }
}

/// `chunks` slices of `leaf`'s expiry range of equal time from `first` to `cutoff`; the first
/// slice is open below and the last open above, so nothing expired is outside every slice.
pub(super) fn split_expiry(
    leaf: &Arc<str>,
    first: SystemTime,
    cutoff: SystemTime,
    chunks: u32,
) -> Vec<Item> {
    let width = cutoff.duration_since(first).unwrap_or_default() / chunks.max(1);
    let mut items = Vec::new();
    let mut after = None;
    for i in 1..=chunks {
        let before = if i == chunks || width.is_zero() {
            None
        } else {
            Some(first + width * i)
        };
        items.push(Item::Index(leaf.clone(), PurgeRange { after, before }));
        if before.is_none() {
            break;
        }
        after = before;
    }
    items
}

/// Pages `0..pages` of `leaf` in `chunks` contiguous ranges.
pub(super) fn split_blocks(leaf: &Arc<str>, pages: i64, chunks: u32) -> Vec<Item> {
    let chunks = i64::from(chunks.max(1));
    let width = (pages + chunks - 1) / chunks;
    (0..chunks)
        .map(|i| (i * width, ((i + 1) * width).min(pages)))
        .filter(|(first, end)| first < end)
        .map(|(first, end)| Item::Blocks {
            leaf: leaf.clone(),
            first,
            end,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn leaf() -> Arc<str> {
        Arc::from("\"public\".\"s\"")
    }

    #[test]
    fn split_covers_everything_without_overlap() {
        let ranges: Vec<_> = split_expiry(&leaf(), at(1000), at(2000), 4)
            .into_iter()
            .map(|i| match i {
                Item::Index(l, r) => {
                    assert_eq!(l, leaf());
                    r
                }
                Item::Blocks { .. } => panic!("{i:?}"),
            })
            .collect();
        assert_eq!(ranges.len(), 4);
        assert_eq!(ranges[0].after, None);
        assert_eq!(ranges[3].before, None);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].before, pair[1].after);
        }
        assert_eq!(ranges[0].before, Some(at(1250)));
    }

    #[test]
    fn split_of_an_instant_is_one_open_range() {
        let items = split_expiry(&leaf(), at(5), at(5), 8);
        assert_eq!(items, vec![Item::Index(leaf(), PurgeRange::default())]);
    }

    #[test]
    fn block_split_covers_every_page_once() {
        let pages: Vec<_> = split_blocks(&leaf(), 10, 4)
            .into_iter()
            .map(|i| match i {
                Item::Blocks { first, end, .. } => (first, end),
                Item::Index(..) => panic!("{i:?}"),
            })
            .collect();
        assert_eq!(pages, vec![(0, 3), (3, 6), (6, 9), (9, 10)]);
        assert!(split_blocks(&leaf(), 0, 4).is_empty());
    }

    #[test]
    fn a_report_names_one_scan_or_mixed() {
        let plan = |scan| LeafPlan {
            leaf: "public.s".into(),
            scan,
            reason: String::new(),
            pages: 1,
        };
        assert_eq!(
            overall_scan(&[plan(Scan::Blocks), plan(Scan::Blocks)]),
            Scan::Blocks
        );
        assert_eq!(
            overall_scan(&[plan(Scan::Index), plan(Scan::Blocks)]),
            Scan::Mixed
        );
        assert_eq!(overall_scan(&[]), Scan::Index);
    }
}
