//! `scsctl migrate hash-tokens`: move a sessions table to SCS's `HashTokenInStore`, either
//! with the app stopped (stop-and-switch) or while it runs (`--copy`, roll out, `--finish`).
//! The SQL and the state record are in [`crate::store`]; this file decides what to do from
//! the recorded phase, runs the batches and reports.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::cleaner::{BatchSizing, Shutdown, Sizer, is_retryable};
use crate::cli::{HashTokensArgs, MigrateCommand, OutputFormat};
use crate::config::{Config, Verbosity};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::store::{LockMode, MigrateStep, MigrationState, Phase, STATE_TABLE, Store};

/// Pages in the first batch when sizes adapt: a few milliseconds on any server.
const INITIAL_PAGES: i64 = 8;

/// The longest a batch may run: what `--batch-pages` batches get, and what a batch of one page
/// too slow for the target is allowed at most.
const MAX_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Batches rolled back one after the other (timeouts, deadlocks) before the run gives up with
/// the last error; what was done stays done, and the next run resumes.
const MAX_FAILURES_IN_A_ROW: u32 = 20;

/// Runs `scsctl migrate …`.
pub fn run(config: &Config, command: &MigrateCommand, out: &mut Output) -> Result<()> {
    match command {
        MigrateCommand::HashTokens(args) => hash_tokens(config, args, out),
    }
}

/// Which way the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Switch,
    Copy,
    Finish,
}

impl Way {
    fn as_str(self) -> &'static str {
        match self {
            Way::Switch => "switch",
            Way::Copy => "copy",
            Way::Finish => "finish",
        }
    }
}

/// What a run does, decided from the way asked for and the recorded phase.
#[derive(Debug)]
enum Plan {
    /// Begin `phase` from the first page.
    Start(Phase),
    /// Go on with the recorded phase from its cursor.
    Resume,
    /// Nothing is left to do; the message says why.
    Done(String),
}

fn plan(way: Way, state: Option<&MigrationState>, table: &str) -> Result<Plan> {
    let phase = state.map(|s| s.phase);
    let refuse = |why: &str| Err(Error::Incompatible(format!("table \"{table}\": {why}")));
    match (way, phase) {
        (_, Some(Phase::Hashed)) => Ok(Plan::Done(format!(
            "table \"{table}\" already holds hashed tokens; nothing changed"
        ))),
        (Way::Switch, None) => Ok(Plan::Start(Phase::Switching)),
        (Way::Switch, Some(Phase::Switching)) => Ok(Plan::Resume),
        (Way::Copy, None) => Ok(Plan::Start(Phase::Copying)),
        (Way::Copy, Some(Phase::Copying)) => Ok(Plan::Resume),
        (Way::Copy, Some(Phase::Copied)) => Ok(Plan::Done(format!(
            "every live session of table \"{table}\" already has its hashed twin; nothing \
             changed — next: run the app with HashTokenInStore = true on every instance, then \
             scsctl migrate hash-tokens --finish"
        ))),
        (Way::Finish, Some(Phase::Copied)) => Ok(Plan::Start(Phase::Finishing)),
        (Way::Finish, Some(Phase::Finishing)) => Ok(Plan::Resume),
        (Way::Finish, None) => refuse(
            "there is no rolling migration to finish — run scsctl migrate hash-tokens --copy \
             first",
        ),
        (Way::Finish, Some(Phase::Copying)) => refuse(
            "--copy has not completed — run scsctl migrate hash-tokens --copy again, then \
             --finish",
        ),
        (_, Some(Phase::Switching)) => refuse(
            "a stop-and-switch migration is half done — with the app stopped, run scsctl \
             migrate hash-tokens (without --copy or --finish) again to complete it",
        ),
        (Way::Switch, Some(Phase::Copying | Phase::Copied | Phase::Finishing)) => refuse(
            "a rolling migration is half done (started with --copy) — complete it with \
             scsctl migrate hash-tokens --copy, then --finish",
        ),
        (Way::Copy, Some(Phase::Finishing)) => refuse(
            "--finish is under way — run scsctl migrate hash-tokens --finish again to complete it",
        ),
    }
}

/// What the batches of a phase did in this run.
#[derive(Debug, Default)]
struct Progress {
    rows: u64,
    carried: u64,
    batches: u64,
    retries: u64,
    pages: i64,
    longest: Duration,
    stopped: bool,
}

fn hash_tokens(config: &Config, args: &HashTokensArgs, out: &mut Output) -> Result<()> {
    let way = match (args.copy, args.finish) {
        (true, _) => Way::Copy,
        (_, true) => Way::Finish,
        _ => Way::Switch,
    };
    for (flag, value) in [
        ("--target-batch-time", &args.target_batch_time),
        ("--lock-timeout", &args.lock_timeout),
    ] {
        if let Some(warning) = value.months_warning(flag) {
            out.warn(&warning);
        }
    }
    let target_time = args.target_batch_time.duration;
    let lock_timeout = args.lock_timeout.duration;
    if target_time.is_zero() || lock_timeout.is_zero() {
        return Err(Error::Usage(
            "--target-batch-time and --lock-timeout must be longer than zero".into(),
        ));
    }
    let sizing = match args.batch_pages {
        Some(n) => BatchSizing::Fixed(n),
        None => BatchSizing::Adaptive {
            target: target_time,
        },
    };
    let target = super::resolve_target(config, out)?;
    let shutdown = Shutdown::new();
    shutdown.install_signals()?;
    let mut store = Store::connect(&target, config.table.clone())?;
    store.probe()?;
    out.verbose(&format!("using table \"{}\"", config.table));
    let layout = store.purge_layout()?;
    let mut m = store.migration(layout.kind)?;
    let table = config.table.to_string();

    // Behind a pooler a session lock or SET would stay on a server connection for its next
    // client, so there each batch takes the lock and sets its guards for itself; as purge.
    let (mode, why) = crate::cleaner::choose_lock_mode(&target, &mut store, 1)?;
    out.verbose(&match mode {
        LockMode::Session => format!("holding the migration lock for the whole run: {why}"),
        LockMode::Transaction => format!("taking the migration lock per batch: {why}"),
    });
    if !args.dry_run && !store.lock_migration(&mut m, mode)? {
        let holder = store
            .lock_holder(m.lock)?
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        return Err(Error::Incompatible(format!(
            "another scsctl migrate hash-tokens is running on table \"{table}\"{holder}; \
             nothing changed — wait for it to end (run again afterwards to resume it if it \
             was interrupted)"
        )));
    }
    let state = store.migration_state(&m)?;
    let plan = plan(way, state.as_ref(), &table)?;
    out.verbose(&format!(
        "recorded phase: {}; plan: {plan:?}",
        state.as_ref().map(|s| s.phase.as_str()).unwrap_or("none")
    ));
    if !matches!(plan, Plan::Done(_)) {
        check_dependents(&mut store, out, way, &table)?;
    }

    // The census reads every row once: rows before, and tokens SCS cannot have made.
    let census = match (&plan, way) {
        (Plan::Start(Phase::Switching | Phase::Copying), _) | (Plan::Resume, Way::Switch) => {
            Some(store.token_census()?)
        }
        _ => None,
    };
    if let (Plan::Start(Phase::Switching | Phase::Copying), Some((counts, example))) =
        (&plan, &census)
        && counts.not_tokens > 0
    {
        return Err(Error::Incompatible(format!(
            "table \"{table}\": {} of {} rows have a token that is not an SCS token (43 \
             characters of base64url), e.g. {}; nothing changed — scsctl hashes only tokens SCS \
             made, so that it never hashes a hashed token or a foreign value",
            counts.not_tokens,
            counts.rows,
            crate::token::for_message(example.as_deref().unwrap_or(""))
        )));
    }
    let rows_before = census.as_ref().map(|(c, _)| c.rows);

    if let Plan::Done(message) = &plan {
        if out.shows_results() {
            match out.format() {
                OutputFormat::Table => out.line(message)?,
                _ => out.document(&json!({
                    "table": table, "way": way.as_str(), "outcome": "already_done",
                    "phase": state.as_ref().map(|s| s.phase.as_str()), "changed": 0,
                    "dry_run": args.dry_run,
                }))?,
            }
        }
        return Ok(());
    }
    if args.dry_run {
        return dry_run(
            &mut store,
            out,
            way,
            &plan,
            state.as_ref(),
            census.map(|c| c.0),
            &table,
        );
    }

    let recorded_phase = state.as_ref().map(|s| s.phase);
    let mut state = match (&plan, state) {
        (Plan::Resume, Some(state)) => state,
        (Plan::Start(phase), _) => {
            store.ensure_migration_table(&m)?;
            let leaves: Vec<String> = layout.leaves.iter().map(|l| l.quoted.clone()).collect();
            let pages: Vec<i64> = layout.leaves.iter().map(|l| l.pages).collect();
            store.begin_phase(&m, recorded_phase, *phase, &leaves, &pages)?;
            store
                .migration_state(&m)?
                .ok_or_else(|| Error::Data("the migration state vanished".into()))?
        }
        _ => return Err(Error::Data("no migration state to resume".into())),
    };
    let resumed = matches!(plan, Plan::Resume);
    let earlier_rows = state.rows;
    if resumed {
        out.verbose(&format!(
            "resuming {} at leaf {} of {}, page {}: {} rows done by earlier runs",
            state.phase.as_str(),
            state.leaf + 1,
            state.leaves.len(),
            state.next_page,
            state.rows
        ));
    }
    // The server cancels a batch that runs past the target (a stall on WAL or I/O on a busy
    // machine, not the batch's size: batches aim at a quarter of it): it rolls back whole and
    // is retried smaller, so no transaction of the migration holds its row locks much longer
    // than the target.
    let mut statement_timeout = match sizing {
        BatchSizing::Fixed(_) => MAX_STATEMENT_TIMEOUT,
        _ => target_time,
    };
    store.migration_guards(&mut m, lock_timeout, statement_timeout)?;

    let kind = match state.phase {
        Phase::Switching => MigrateStep::Switch,
        Phase::Copying => MigrateStep::Copy,
        _ => MigrateStep::Finish,
    };
    let started = Instant::now();
    let bar = progress_bar(config, &state);
    let registration = shutdown.register(&target, store.client());
    let mut progress = Progress::default();
    let mut sizer = Sizer::in_pages(sizing, INITIAL_PAGES);
    let mut warned_large = false;
    let mut failures = 0;
    let verbose = config.verbosity == Verbosity::Verbose;
    // The cursor as this run last recorded it, which each change checks the record still
    // says: the in-memory one also moves past leaves with nothing left without recording it.
    let mut recorded = (state.leaf, state.next_page);
    while state.leaf < state.leaves.len() {
        if shutdown.is_stopped() {
            progress.stopped = true;
            break;
        }
        let index = state.leaf;
        let leaf_end = state.leaf_pages[index];
        let first = state.next_page;
        if first >= leaf_end {
            // The app, running during --copy, may have rewritten a session not yet copied
            // into a page past the recorded end (and, before --finish, a raw row after its
            // twin was made): go on over the pages added since, until none are.
            if kind != MigrateStep::Switch {
                let now = store.leaf_pages(&state.leaves[index])?;
                if now > leaf_end {
                    store.extend_leaf(&m, state.phase, recorded, index, now)?;
                    state.leaf_pages[index] = now;
                    continue;
                }
            }
            state.leaf += 1;
            state.next_page = 0;
            continue;
        }
        let size = sizer.next();
        let end = (first + size).min(leaf_end);
        // The rolling way stays on the leaf after its last recorded page, to look for pages
        // added since.
        let cursor = if end >= leaf_end && kind == MigrateStep::Switch {
            (index + 1, 0)
        } else {
            (index, end)
        };
        let t0 = Instant::now();
        let result = registration
            .run(|| store.migrate_step(&m, kind, &state, index, (first, end), recorded, cursor));
        let took = t0.elapsed();
        let outcome = match result {
            None => {
                progress.stopped = true;
                break;
            }
            Some(Err(_)) if shutdown.is_stopped() => {
                progress.stopped = true;
                break;
            }
            Some(Err(e)) if retryable(kind, &e) && failures < MAX_FAILURES_IN_A_ROW => {
                failures += 1;
                progress.retries += 1;
                progress.longest = progress.longest.max(took);
                if e.sqlstate() == Some("57014")
                    && sizer.at_minimum()
                    && statement_timeout < MAX_STATEMENT_TIMEOUT
                {
                    // One page cannot be split: its sessions are large (their data in TOAST),
                    // and only more time lets the batch through.
                    statement_timeout = (statement_timeout * 2).min(MAX_STATEMENT_TIMEOUT);
                    store.migration_guards(&mut m, lock_timeout, statement_timeout)?;
                    let said = format!(
                        "one page of {} takes longer than the target batch time ({}): its \
                         sessions are large; batches of one page now run for up to {}",
                        state.leaves[index],
                        humantime::format_duration(target_time),
                        humantime::format_duration(statement_timeout)
                    );
                    if warned_large {
                        out.verbose(&said);
                    } else {
                        out.warn(&said);
                        warned_large = true;
                    }
                } else {
                    sizer.shrink();
                    out.verbose(&format!("batch rolled back ({e}); retrying smaller"));
                }
                if shutdown.wait(Duration::from_millis(200)) {
                    progress.stopped = true;
                    break;
                }
                continue;
            }
            Some(Err(e)) => {
                if let Some(bar) = &bar {
                    bar.finish_and_clear();
                }
                return Err(e);
            }
            Some(Ok(outcome)) => outcome,
        };
        failures = 0;
        recorded = cursor;
        sizer.observe(size, (end - first) as u64, took);
        (state.leaf, state.next_page) = cursor;
        state.rows += outcome.rows as i64;
        progress.rows += outcome.rows;
        progress.carried += outcome.carried;
        progress.batches += 1;
        progress.pages += end - first;
        progress.longest = progress.longest.max(took);
        match &bar {
            Some(bar) => bar.inc((end - first) as u64),
            None if verbose => out.verbose(&format!(
                "batch: pages {first}..{end} of {}: {} rows in {:.1} ms",
                state.leaves[index],
                outcome.rows,
                took.as_secs_f64() * 1000.0
            )),
            None => {}
        }
    }
    drop(registration);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let next = match state.phase {
        Phase::Copying => Phase::Copied,
        _ => Phase::Hashed,
    };
    store.migration_unguarded(&m)?;
    if !progress.stopped {
        store.end_phase(&m, state.phase, next, recorded)?;
    }
    let rows_after = if way == Way::Switch && !progress.stopped {
        Some(store.token_census()?.0.rows)
    } else {
        None
    };
    let report = Report {
        way,
        table: &table,
        progress: &progress,
        duration: started.elapsed(),
        resumed,
        earlier_rows,
        rows_before,
        rows_after,
    };
    summary(out, &report)?;
    if progress.stopped {
        return Err(Error::Interrupted);
    }
    if let (Some(before), Some(after)) = (rows_before, rows_after)
        && before != after
    {
        out.warn(&format!(
            "table \"{table}\" held {before} rows before and {after} after: something else \
             wrote to it during the migration — was the app stopped?"
        ));
    }
    Ok(())
}

/// Refuses a table that other tables reference by token or whose writes a rule rewrites, and
/// warns of the triggers the way will fire. The migration removes every raw row
/// (stop-and-switch and `--finish`): a foreign key would then delete the rows that reference
/// it, or fail the first batch, and a rule would fail the batches after the run was recorded,
/// or make them do something else. `--copy` is refused as well, so that a rollout does not
/// begin that `--finish` cannot complete.
fn check_dependents(store: &mut Store, out: &mut Output, way: Way, table: &str) -> Result<()> {
    let keys = store.referencing_keys()?;
    if let Some(key) = keys.first() {
        let more = match keys.len() {
            1 => String::new(),
            n => format!(" (and {} more foreign keys)", n - 1),
        };
        return Err(Error::Incompatible(format!(
            "table \"{table}\" is referenced by foreign key \"{}\" of table {}{more}, and \
             deleting a session {}: the migration replaces every token, removing each raw row; \
             nothing changed — drop the foreign key first, and add it back once the tokens \
             it holds are hashed too",
            key.name, key.table, key.on_delete
        )));
    }
    if let Some(rule) = store.user_rules()?.first() {
        // PostgreSQL refuses most rules on a statement inside WITH, as the batches are; the
        // one kind it runs (a lone unconditional DO INSTEAD) would make them do something else.
        return Err(Error::Incompatible(format!(
            "rule \"{}\" on {} rewrites every {} on table \"{table}\" ({}): the migration's \
             batches insert and delete rows in statements PostgreSQL does not run with such a \
             rule, or whose effect the rule would change; nothing changed — disable the rule \
             for the migration (ALTER TABLE … DISABLE RULE) and enable it afterwards",
            rule.name,
            rule.table,
            rule.event,
            if rule.instead {
                "DO INSTEAD"
            } else {
                "DO ALSO"
            }
        )));
    }
    let fired: &[&str] = match way {
        Way::Switch => &["insert", "delete"],
        Way::Copy => &["insert"],
        Way::Finish => &["update", "delete"],
    };
    for trigger in store.user_triggers()? {
        let events: Vec<&str> = trigger
            .events
            .iter()
            .copied()
            .filter(|e| fired.contains(e))
            .collect();
        if !events.is_empty() {
            out.warn(&format!(
                "trigger \"{}\" on {} fires on {} {}: the migration {} — disable it for the \
                 run if that is not wanted",
                trigger.name,
                trigger.table,
                events.join(" and "),
                if trigger.per_row {
                    "for every row"
                } else {
                    "once per batch"
                },
                match way {
                    Way::Switch => "deletes every row and inserts it again under its hash",
                    Way::Copy => "inserts the hashed twin of every live row",
                    Way::Finish => "deletes every raw row, updating the twins the old app wrote to",
                }
            ));
        }
    }
    Ok(())
}

/// Whether a failed batch of `kind` is rolled back whole and worth running again: what the
/// cleaner retries (timeouts, deadlocks), and for `--copy` a unique violation, which means a
/// twin was inserted by someone else between the batch's check for it and its own insert; run
/// again, the batch sees that twin and leaves it.
fn retryable(kind: MigrateStep, e: &Error) -> bool {
    is_retryable(e) || (kind == MigrateStep::Copy && e.sqlstate() == Some("23505"))
}

/// What a run did, for the summary.
struct Report<'a> {
    way: Way,
    table: &'a str,
    progress: &'a Progress,
    duration: Duration,
    resumed: bool,
    earlier_rows: i64,
    rows_before: Option<i64>,
    rows_after: Option<i64>,
}

fn summary(out: &mut Output, r: &Report) -> Result<()> {
    let p = r.progress;
    // An interrupted run says what it did even with -q: it exits 130 and the caller needs to
    // know how far it went.
    if !out.shows_results() && !p.stopped {
        return Ok(());
    }
    match out.format() {
        OutputFormat::Table => {
            let what = match r.way {
                Way::Switch => format!("hashed {} tokens", p.rows),
                Way::Copy => format!("added {} hashed twins", p.rows),
                Way::Finish => format!(
                    "removed {} raw rows whose hashed twin exists ({} twins took newer data \
                     from their raw row)",
                    p.rows, p.carried
                ),
            };
            let mut line = format!(
                "{what} of table \"{}\" in {} batch{} ({} retried), {:.2}s, longest batch {:.0} ms",
                r.table,
                p.batches,
                if p.batches == 1 { "" } else { "es" },
                p.retries,
                r.duration.as_secs_f64(),
                p.longest.as_secs_f64() * 1000.0
            );
            if r.resumed {
                line.push_str(&format!(
                    "; resumed after {} done by an earlier run",
                    r.earlier_rows
                ));
            }
            if p.stopped {
                line.push_str("; interrupted — run the same command again to resume");
            }
            out.line(&line)?;
            if let (Some(before), Some(after)) = (r.rows_before, r.rows_after) {
                out.line(&format!("rows: {before} before, {after} after"))?;
            }
            if !p.stopped {
                out.line(match r.way {
                    Way::Switch | Way::Finish => {
                        "the table holds hashed tokens: run the app with HashTokenInStore = \
                         true, and scsctl with --hashed-tokens"
                    }
                    Way::Copy => {
                        "next: run the app with HashTokenInStore = true on every instance, then \
                         scsctl migrate hash-tokens --finish"
                    }
                })?;
            }
            Ok(())
        }
        _ => out.document(&json!({
            "table": r.table,
            "way": r.way.as_str(),
            "outcome": if p.stopped { "interrupted" } else { "completed" },
            "changed": p.rows,
            "carried": p.carried,
            "batches": p.batches,
            "retries": p.retries,
            "pages": p.pages,
            "duration_ms": ms(r.duration),
            "max_batch_ms": ms(p.longest),
            "resumed": r.resumed,
            "changed_earlier": r.earlier_rows,
            "rows_before": r.rows_before,
            "rows_after": r.rows_after,
            "dry_run": false,
        })),
    }
}

/// Milliseconds rounded to microseconds, the unit of every duration in JSON.
fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// `--dry-run`: what the run would change, and nothing changed.
fn dry_run(
    store: &mut Store,
    out: &mut Output,
    way: Way,
    plan: &Plan,
    state: Option<&MigrationState>,
    counts: Option<crate::store::MigrateCounts>,
    table: &str,
) -> Result<()> {
    let (would, line) = match (way, plan, state) {
        (_, Plan::Resume, Some(s)) => {
            let left = s.pages_left();
            (
                None,
                format!(
                    "would resume the {} phase of table \"{table}\": {left} of {} pages left, {} \
                     rows done by earlier runs",
                    s.phase.as_str(),
                    s.pages_total(),
                    s.rows
                ),
            )
        }
        (Way::Switch, _, _) => {
            let n = counts.map(|c| c.rows).unwrap_or(0);
            (
                Some(n),
                format!("would hash {n} tokens of table \"{table}\" (every row)"),
            )
        }
        (Way::Copy, _, _) => {
            let n = counts.map(|c| c.live).unwrap_or(0);
            (
                Some(n),
                format!("would add {n} hashed twins to table \"{table}\" (one per live session)"),
            )
        }
        (Way::Finish, _, _) => {
            let (n, differ) = store.twin_census()?;
            (
                Some(n),
                format!(
                    "would remove {n} raw rows whose hashed twin exists from table \"{table}\" \
                     ({differ} differ from their twin)"
                ),
            )
        }
    };
    if !out.shows_results() {
        return Ok(());
    }
    match out.format() {
        OutputFormat::Table => out.line(&line),
        _ => out.document(&json!({
            "table": table,
            "way": way.as_str(),
            "outcome": "dry_run",
            "dry_run": true,
            "phase": state.map(|s| s.phase.as_str()),
            "would_change": would,
            "changed": 0,
            "pages_left": state.map(|s| s.pages_left()),
            "state_table": STATE_TABLE,
        })),
    }
}

/// A progress bar in pages, on a terminal only.
fn progress_bar(config: &Config, state: &MigrationState) -> Option<ProgressBar> {
    if config.verbosity == Verbosity::Quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let total = state.pages_total().max(0) as u64;
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_position(total.saturating_sub(state.pages_left().max(0) as u64));
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} pages  eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_refuse_mixing_the_two_ways() {
        let state = |phase| MigrationState {
            phase,
            leaves: vec![],
            leaf_pages: vec![],
            leaf: 0,
            next_page: 0,
            batches: 0,
            rows: 0,
            carried: 0,
            started_at: std::time::SystemTime::UNIX_EPOCH,
            updated_at: std::time::SystemTime::UNIX_EPOCH,
        };
        let p = |way, phase: Option<Phase>| plan(way, phase.map(state).as_ref(), "s");
        assert!(matches!(
            p(Way::Switch, None),
            Ok(Plan::Start(Phase::Switching))
        ));
        assert!(p(Way::Switch, Some(Phase::Copied)).is_err());
        assert!(p(Way::Switch, Some(Phase::Copying)).is_err());
        assert!(p(Way::Copy, Some(Phase::Switching)).is_err());
        assert!(p(Way::Finish, None).is_err());
        assert!(p(Way::Finish, Some(Phase::Copying)).is_err());
        assert!(matches!(
            p(Way::Finish, Some(Phase::Copied)),
            Ok(Plan::Start(Phase::Finishing))
        ));
        assert!(matches!(
            p(Way::Copy, Some(Phase::Copied)),
            Ok(Plan::Done(_))
        ));
        for way in [Way::Switch, Way::Copy, Way::Finish] {
            assert!(matches!(p(way, Some(Phase::Hashed)), Ok(Plan::Done(_))));
        }
    }
}
