//! `scsctl purge`: delete expired sessions in short batches (see [`crate::cleaner`]).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::cleaner::{Cleaner, LeafPlan, LockMode, Outcome, PassReport, Scan, Shutdown};
use crate::cli::{OutputFormat, PurgeArgs};
use crate::config::{Config, Verbosity, cleaner_settings};
use crate::error::{Error, Result};
use crate::output::{Output, counted, pass};

/// Purges expired sessions.
pub fn run(config: &Config, args: &PurgeArgs, out: &mut Output) -> Result<()> {
    let settings = cleaner_settings(args.max_duration.as_ref(), &args.cleaner, &|w| out.warn(w))?;
    let target = super::resolve_target(config, out)?;
    let shutdown = Shutdown::new();
    shutdown.install_signals()?;
    let mut cleaner = Cleaner::new(target, config.table.clone(), settings, shutdown.clone());
    let started = std::time::Instant::now();
    // Interrupted before the first batch (for example while the table is locked): say so in
    // the same shape as an interrupted run.
    let interrupted = |out: &mut Output, e: Error| {
        if matches!(e, Error::Interrupted) {
            let mut report = empty_report(Outcome::Stopped);
            report.duration = started.elapsed();
            summary(out, args, &report, None, true)?;
            return Err(stopped_error(out));
        }
        Err(e)
    };
    if let Err(e) = cleaner.connect() {
        return interrupted(out, e);
    }
    out.verbose(&format!("using table \"{}\"", config.table));
    out.verbose(&format!(
        "lock mode: {}",
        match cleaner.settings().lock_mode {
            LockMode::Session => "session",
            LockMode::Transaction => "transaction",
        }
    ));

    if args.dry_run {
        let planned = cleaner
            .plan_only()
            .and_then(|plans| Ok((plans, cleaner.count()?)));
        let (plans, count) = match planned {
            Ok(planned) => planned,
            Err(e) => return interrupted(out, e),
        };
        let mut report = empty_report(Outcome::Completed);
        report.deleted = count.max(0) as u64;
        report.plans = plans;
        return summary(out, args, &report, None, false);
    }
    let leading = match cleaner.try_lead() {
        Ok(leading) => leading,
        Err(e) => return interrupted(out, e),
    };
    if !leading {
        out.note(&format!(
            "another cleaner is purging table \"{}\"; nothing to do",
            config.table
        ));
        if out.shows_results() && out.format() != OutputFormat::Table {
            out.document(&report_json(&PassReport::empty(Outcome::Standby), false))?;
        }
        return Ok(());
    }
    out.verbose("holding the cleaner lock");

    let bar = progress_bar(config, &mut cleaner);
    let verbose = config.verbosity == Verbosity::Verbose;
    let on_batch = |b: &crate::cleaner::BatchReport| match &bar {
        Some(bar) => bar.inc(b.deleted),
        None if verbose => out.verbose(&format!(
            "batch: {} rows deleted of {} {} asked for, in {:.1} ms",
            b.deleted,
            b.requested,
            if b.pages { "pages" } else { "rows" },
            b.took.as_secs_f64() * 1000.0
        )),
        None => {}
    };
    let result = cleaner.pass(&on_batch);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut report = match result {
        Ok(report) => report,
        Err(e) => {
            cleaner.release();
            return interrupted(out, e);
        }
    };
    for line in plan_lines(&report.plans) {
        out.verbose(&line);
    }
    let mut stopped = report.outcome == Outcome::Stopped;
    if report.outcome == Outcome::Standby {
        out.note(&match report.deleted {
            0 => format!(
                "another cleaner is purging table \"{}\"; nothing to do",
                config.table
            ),
            n => format!(
                "another cleaner is purging table \"{}\"; stopped after {n} rows",
                config.table
            ),
        });
    }
    let vacuumed = if args.vacuum && !stopped && report.deleted >= args.vacuum_threshold {
        out.verbose(&format!("VACUUM (ANALYZE) \"{}\"", config.table));
        match cleaner.vacuum() {
            Ok(()) => Some(true),
            Err(Error::Interrupted) => {
                stopped = true;
                report.outcome = Outcome::Stopped;
                Some(false)
            }
            Err(e) => return Err(e),
        }
    } else if args.vacuum {
        if !stopped {
            out.verbose(&format!(
                "not vacuuming: {} rows deleted, fewer than --vacuum-threshold {}",
                report.deleted, args.vacuum_threshold
            ));
        }
        Some(false)
    } else {
        None
    };
    cleaner.release();
    summary(out, args, &report, vacuumed, stopped)?;
    if stopped {
        return Err(stopped_error(out));
    }
    Ok(())
}

/// An empty report for a run that stopped before planning, so it never chose a scan.
fn empty_report(outcome: Outcome) -> PassReport {
    PassReport {
        scan: Scan::Auto,
        ..PassReport::empty(outcome)
    }
}

/// A progress bar on stderr, only when stderr is a terminal and output is not quiet; its
/// length is the current count of expired rows.
fn progress_bar(config: &Config, cleaner: &mut Cleaner) -> Option<ProgressBar> {
    if config.verbosity == Verbosity::Quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    // Without a count the bar still shows rows and rows/s, only no estimate.
    let total = cleaner.count().ok().map(|n| n.max(0) as u64);
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} rows  {rate}  eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0} rows/s", state.per_sec());
        },
    );
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// The figures of `-o json` every purge summary has.
fn report_json(report: &PassReport, dry_run: bool) -> serde_json::Value {
    let mut doc = pass::figures(report);
    doc["wal_compression"] = json!(report.wal_compression);
    doc["dry_run"] = json!(dry_run);
    doc["outcome"] = json!(match report.outcome {
        _ if dry_run => "dry_run",
        // The same word whether the lock was found taken before or during the run.
        Outcome::Standby => "another_cleaner",
        other => other.as_str(),
    });
    doc
}

/// The error of an interrupted run whose summary is printed: in JSON the summary document
/// already holds it.
fn stopped_error(out: &Output) -> Error {
    match out.format() {
        OutputFormat::Table => Error::Interrupted,
        _ => Error::InDocument(Box::new(Error::Interrupted)),
    }
}

fn summary(
    out: &mut Output,
    args: &PurgeArgs,
    report: &PassReport,
    vacuumed: Option<bool>,
    stopped: bool,
) -> Result<()> {
    // An interrupted run says what it did even with -q: the caller gets exit 130 and needs to
    // know how far it went.
    if !out.shows_results() && !stopped {
        return Ok(());
    }
    match out.format() {
        OutputFormat::Table => {
            let verb = if args.dry_run {
                "would delete"
            } else {
                "deleted"
            };
            let sessions = counted(report.deleted, "expired session", "expired sessions");
            let mut line = format!("{verb} {sessions}");
            if args.dry_run {
                out.line(&line)?;
                for plan in plan_lines(&report.plans) {
                    out.line(&plan)?;
                }
                return Ok(());
            }
            if !args.dry_run {
                let duration = format!("{:.2}s", report.duration.as_secs_f64());
                line.push_str(&format!(" in {}", pass::batches_text(report, &duration)));
                match report.outcome {
                    Outcome::TimeLimit => line.push_str("; stopped at --max-duration"),
                    Outcome::Stopped => line.push_str("; interrupted"),
                    _ => {}
                }
                if vacuumed == Some(true) {
                    line.push_str("; vacuumed");
                }
            }
            out.line(&line)
        }
        _ => {
            // A dry run ran no batch: it says what would go and how, nothing about batches.
            let mut doc = if args.dry_run {
                json!({
                    "deleted": 0,
                    "would_delete": report.deleted,
                    "dry_run": true,
                    "outcome": "dry_run",
                })
            } else {
                let mut doc = report_json(report, false);
                doc["scan"] = json!(report.scan.as_str());
                doc
            };
            doc["tables"] = plans_json(&report.plans);
            if let Some(v) = vacuumed {
                doc["vacuumed"] = json!(v);
            }
            if stopped {
                // One document: the interruption's "error" and "exit_code" go into it.
                out.document_with_error(doc, Error::Interrupted)?;
                return Ok(());
            }
            out.document(&doc)
        }
    }
}

/// One line per leaf of the table: how it is purged and why.
fn plan_lines(plans: &[LeafPlan]) -> Vec<String> {
    plans
        .iter()
        .map(|p| format!("scan of {}: {} ({})", p.leaf, p.scan.as_str(), p.reason))
        .collect()
}

/// The per-leaf plans as a JSON array.
fn plans_json(plans: &[LeafPlan]) -> serde_json::Value {
    plans
        .iter()
        .map(|p| {
            json!({
                "table": p.leaf,
                "scan": p.scan.as_str(),
                "reason": p.reason,
                "pages": p.pages,
            })
        })
        .collect()
}
