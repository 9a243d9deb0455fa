//! `scsctl rename-type OLD NEW`: rewrite a registered gob type name inside every session that
//! holds it, in short batches, never over a row the app wrote meanwhile.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::open_store;
use crate::cleaner::{BatchSizing, Sizer};
use crate::cli::{OutputFormat, RenameTypeArgs};
use crate::config::{Config, Verbosity};
use crate::error::{Error, Result};
use crate::gob::encode::put_uint;
use crate::gob::names;
use crate::output::Output;
use crate::store::{Cursor, Store};

/// The longest a batch's statement should take.
const TARGET: Duration = Duration::from_millis(100);
/// Rows of OLD whose layouts are compared with NEW's before anything is written.
const SAMPLE: u64 = 1_000;
/// The most pages of a plain table one window reads.
const MAX_WINDOW_PAGES: i64 = 2_000;
/// The most rows one window reads in the primary key's order.
const MAX_WINDOW_ROWS: i64 = 20_000;
/// Rounds of retries for rows the app rewrote between our read and our update.
const RETRY_ROUNDS: usize = 5;

/// What a rename did.
#[derive(Debug, Default)]
struct Tally {
    sessions: u64,
    values: u64,
    batches: u64,
    longest: Duration,
    retried: u64,
    left_changed: Vec<String>,
    conflicts: Vec<String>,
    undecodable: u64,
}

/// Renames OLD to NEW in every session holding it.
pub fn run(config: &Config, args: &RenameTypeArgs, out: &mut Output) -> Result<()> {
    let (old, new) = (args.old.as_str(), args.new.as_str());
    for name in [old, new] {
        names::check_go_type_name(name).map_err(Error::Usage)?;
    }
    if old == new {
        return Err(Error::Usage(format!(
            "OLD and NEW are the same name ({old:?}): nothing to rename"
        )));
    }
    let started = Instant::now();
    let mut store = open_store(config, out)?;
    let start = store.first_cursor()?;
    let (new_layouts, old_layouts, read) = survey(&mut store, &start, old, new)?;
    if let Some(l) = old_layouts.iter().find(|l| !compatible(&new_layouts, l)) {
        return Err(Error::Data(format!(
            "the sessions already use {new:?} for another layout ({}) than {old:?} ({l}); \
             renaming would mix two types under one name — nothing was written",
            new_layouts.join(" | ")
        )));
    }
    let bar = progress_bar(config);
    let mut tally = Tally {
        longest: read,
        ..Tally::default()
    };
    let (mut sizer, max) = window_sizer(&start);
    let pattern = name_pattern(old);
    let mut at = Some(start);
    let mut changed: Vec<String> = Vec::new();
    while let Some(cursor) = at.take() {
        let size = sizer.next().min(max);
        let t = Instant::now();
        let window = store.window_containing(&[&pattern], &cursor, size)?;
        let read = t.elapsed();
        at = window.next;
        let (took, missed) = rewrite(
            &mut store,
            window.matches,
            old,
            new,
            &new_layouts,
            args.dry_run,
            &mut tally,
        )?;
        changed.extend(missed);
        tally.batches += 1;
        tally.longest = tally.longest.max(read).max(took);
        sizer.observe(size, window.units as u64, read + took);
        if let Some(bar) = &bar {
            bar.set_position(tally.sessions);
        }
    }
    for _ in 0..RETRY_ROUNDS {
        if changed.is_empty() {
            break;
        }
        tally.retried += changed.len() as u64;
        let mut again = Vec::new();
        for chunk in changed.chunks(500) {
            let rows = store.rows_of(chunk)?;
            let (took, missed) = rewrite(
                &mut store,
                rows,
                old,
                new,
                &new_layouts,
                args.dry_run,
                &mut tally,
            )?;
            tally.longest = tally.longest.max(took);
            again.extend(missed);
        }
        changed = again;
    }
    tally.left_changed = changed;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    report(out, args, &tally, started.elapsed())?;
    if !tally.conflicts.is_empty() {
        return Err(Error::Data(format!(
            "{} sessions hold {old:?} with a layout other than {new:?}'s and were left as they are (e.g. {})",
            tally.conflicts.len(),
            crate::token::for_message(&tally.conflicts[0])
        )));
    }
    if !tally.left_changed.is_empty() {
        return Err(Error::Data(format!(
            "{} sessions kept changing while being renamed and were left as the app wrote them; run rename-type again",
            tally.left_changed.len()
        )));
    }
    Ok(())
}

/// `old` as it appears on the wire: its length, then its bytes.
fn name_pattern(name: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(name.len() + 2);
    put_uint(&mut p, name.len() as u64);
    p.extend_from_slice(name.as_bytes());
    p
}

/// Whether a value of layout `l` may be named like values of `layouts` (none yet, or equal).
fn compatible(layouts: &[String], l: &str) -> bool {
    layouts.is_empty() || layouts.iter().any(|x| x == l)
}

/// What the sessions hold before anything is written: the distinct layouts of the values
/// named `new` (in every session) and of those named `old` (in the first `SAMPLE` sessions
/// holding it), and the longest read. One pass from `start`, in windows like the rename
/// itself: a name no session holds yet (NEW, usually) matches nothing, and a statement asking
/// for the first rows that match would read the whole table at once.
fn survey(
    store: &mut Store,
    start: &Cursor,
    old: &str,
    new: &str,
) -> Result<(Vec<String>, Vec<String>, Duration)> {
    let (old_pattern, new_pattern) = (name_pattern(old), name_pattern(new));
    let (mut sizer, max) = window_sizer(start);
    let (mut new_layouts, mut old_layouts) = (Vec::new(), Vec::new());
    let (mut at, mut old_seen, mut longest) = (Some(start.clone()), 0, Duration::ZERO);
    while let Some(cursor) = at.take() {
        let size = sizer.next().min(max);
        let t = Instant::now();
        // Each pattern costs a scan of every row's data: OLD's only until the sample is full.
        let patterns: &[&[u8]] = if old_seen < SAMPLE {
            &[&new_pattern, &old_pattern]
        } else {
            &[&new_pattern]
        };
        let window = store.window_containing(patterns, &cursor, size)?;
        let took = t.elapsed();
        longest = longest.max(took);
        sizer.observe(size, window.units as u64, took);
        at = window.next;
        for (_, data) in &window.matches {
            if holds(data, &new_pattern) {
                add_layouts(&mut new_layouts, data, new);
            }
            if old_seen < SAMPLE && holds(data, &old_pattern) {
                old_seen += 1;
                add_layouts(&mut old_layouts, data, old);
            }
        }
    }
    Ok((new_layouts, old_layouts, longest))
}

/// The sizer of windows from `start`, and the largest window: in pages (a page holds ten
/// sessions or so, or one of large sessions) or in rows of the primary key's order.
fn window_sizer(start: &Cursor) -> (Sizer, i64) {
    let sizing = BatchSizing::Adaptive { target: TARGET };
    match start {
        Cursor::Page { .. } => (Sizer::in_pages(sizing, 50), MAX_WINDOW_PAGES),
        Cursor::Token(_) => (Sizer::new(sizing, 500), MAX_WINDOW_ROWS),
    }
}

/// Adds the layouts of the values named `name` in `data` that `layouts` lacks.
fn add_layouts(layouts: &mut Vec<String>, data: &[u8], name: &str) {
    for l in names::layouts_of(data, name).unwrap_or_default() {
        if !layouts.contains(&l) {
            layouts.push(l);
        }
    }
}

/// Whether `data` holds the bytes of `pattern`.
fn holds(data: &[u8], pattern: &[u8]) -> bool {
    data.windows(pattern.len()).any(|w| w == pattern)
}

/// Rewrites `rows` and writes those still unchanged; returns the update's time and the tokens
/// whose rows changed since they were read.
fn rewrite(
    store: &mut Store,
    rows: Vec<(String, Vec<u8>)>,
    old: &str,
    new: &str,
    new_layouts: &[String],
    dry_run: bool,
    tally: &mut Tally,
) -> Result<(Duration, Vec<String>)> {
    let (mut tokens, mut digests, mut data) = (Vec::new(), Vec::new(), Vec::new());
    let mut values = Vec::new();
    for (token, bytes) in rows {
        match names::rename(&bytes, old, new) {
            Ok(Some(r)) => {
                if r.layouts.iter().any(|l| !compatible(new_layouts, l)) {
                    tally.conflicts.push(token);
                    continue;
                }
                digests.push(Sha256::digest(&bytes).to_vec());
                values.push(r.values as u64);
                data.push(r.data);
                tokens.push(token);
            }
            // The name's bytes, but as a string value, say: nothing to rename.
            Ok(None) => {}
            Err(_) => tally.undecodable += 1,
        }
    }
    if dry_run {
        tally.sessions += tokens.len() as u64;
        tally.values += values.iter().sum::<u64>();
        return Ok((Duration::ZERO, Vec::new()));
    }
    if tokens.is_empty() {
        return Ok((Duration::ZERO, Vec::new()));
    }
    let t = Instant::now();
    let updated = store.update_unchanged(&tokens, &digests, &data)?;
    let took = t.elapsed();
    let updated: std::collections::HashSet<String> = updated.into_iter().collect();
    let mut missed = Vec::new();
    for (token, v) in tokens.into_iter().zip(values) {
        if updated.contains(&token) {
            tally.sessions += 1;
            tally.values += v;
        } else {
            missed.push(token);
        }
    }
    Ok((took, missed))
}

/// A spinner with the count renamed, on a terminal only.
fn progress_bar(config: &Config) -> Option<ProgressBar> {
    if config.verbosity == Verbosity::Quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {human_pos} sessions renamed  {per_sec}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn report(out: &mut Output, args: &RenameTypeArgs, t: &Tally, took: Duration) -> Result<()> {
    if !out.shows_results() {
        return Ok(());
    }
    match out.format() {
        OutputFormat::Table => {
            let verb = if args.dry_run {
                "would rename"
            } else {
                "renamed"
            };
            out.line(&format!(
                "{verb} {:?} to {:?} in {} sessions ({} values) in {:.1}s; {} batches, longest {:.0} ms",
                args.old,
                args.new,
                t.sessions,
                t.values,
                took.as_secs_f64(),
                t.batches,
                ms(t.longest)
            ))?;
            if t.undecodable > 0 {
                out.warn(&format!(
                    "{} sessions hold the name's bytes but are not gob scsctl can rewrite; left as they are",
                    t.undecodable
                ));
            }
            Ok(())
        }
        _ => {
            let key = if args.dry_run {
                "would_rename"
            } else {
                "renamed"
            };
            let mut doc = json!({
                "old": args.old,
                "new": args.new,
                "dry_run": args.dry_run,
                "values": t.values,
                "batches": t.batches,
                "longest_batch_ms": ms(t.longest),
                "duration_ms": ms(took),
                "retried": t.retried,
                "left_changed": t.left_changed.len(),
                "conflicts": t.conflicts.len(),
                "undecodable": t.undecodable,
            });
            doc[key] = json!(t.sessions);
            out.document(&doc)
        }
    }
}
