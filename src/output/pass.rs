//! What `purge` and `watch-cleanup` say about a cleaner pass, in JSON and in words.

use crate::cleaner::PassReport;

use super::{count, counted, json_ms};

/// The figures of a cleaner pass as JSON members (deleted, batches, retries, duration and longest
/// batch in milliseconds), for `purge -o json` and `watch-cleanup`'s JSON log lines to add their own to.
pub fn figures(report: &PassReport) -> serde_json::Value {
    serde_json::json!({
        "deleted": report.deleted,
        "batches": report.batches,
        "retries": report.retries,
        "duration_ms": json_ms(report.duration),
        "max_batch_ms": json_ms(report.max_batch),
    })
}

/// The batches of a pass in words, with its duration as the caller writes it:
/// `12 batches (1 retried), 0.53s, longest batch 48 ms`.
pub fn batches_text(report: &PassReport, duration: &str) -> String {
    format!(
        "{} ({} retried), {duration}, longest batch {:.0} ms",
        counted(report.batches, "batch", "batches"),
        count(report.retries),
        report.max_batch.as_secs_f64() * 1000.0
    )
}
