//! `scsctl purge`: delete expired sessions in short batches.

use std::time::{Duration, Instant};

use serde_json::json;

use super::open_store;
use crate::cli::{OutputFormat, PurgeArgs};
use crate::config::Config;
use crate::duration::parse_duration;
use crate::error::Result;
use crate::output::Output;

const DEFAULT_BATCH: i64 = 5_000;

/// Purges expired sessions.
pub fn run(config: &Config, args: &PurgeArgs, out: &mut Output) -> Result<()> {
    let grace = optional_duration("--grace", args.grace.as_deref(), out)?.unwrap_or_default();
    let max_duration = optional_duration("--max-duration", args.max_duration.as_deref(), out)?;
    let mut store = open_store(config, out)?;
    if !store.try_lock_cleaner()? {
        out.note(&format!(
            "another cleaner is purging table \"{}\"; nothing to do",
            config.table
        ));
        return Ok(());
    }
    let started = Instant::now();
    let batch = args.batch_size.unwrap_or(DEFAULT_BATCH);
    let (mut deleted, mut batches) = (0u64, 0u64);
    if args.dry_run {
        deleted = store.count_expired(grace)? as u64;
    } else {
        loop {
            if max_duration.is_some_and(|m| started.elapsed() >= m) {
                break;
            }
            let done = store.purge_batch(batch, grace)?;
            batches += 1;
            deleted += done.deleted;
            if done.deleted < batch as u64 {
                break;
            }
        }
    }
    store.unlock_cleaner()?;
    let elapsed = started.elapsed();
    if out.shows_results() {
        match out.format() {
            OutputFormat::Table => out.line(&format!(
                "{} {deleted} expired sessions in {batches} batches, {:.2}s",
                if args.dry_run {
                    "would delete"
                } else {
                    "deleted"
                },
                elapsed.as_secs_f64()
            ))?,
            _ => out.document(&json!({
                "deleted": deleted,
                "batches": batches,
                "dry_run": args.dry_run,
                "duration_seconds": elapsed.as_secs_f64(),
            }))?,
        }
    }
    Ok(())
}

fn optional_duration(flag: &str, text: Option<&str>, out: &Output) -> Result<Option<Duration>> {
    text.map(|t| {
        let parsed = parse_duration(flag, t)?;
        if let Some(w) = &parsed.warning {
            out.warn(w);
        }
        Ok(parsed.duration)
    })
    .transpose()
}
