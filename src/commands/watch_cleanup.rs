//! `scsctl watch-cleanup --interval`: a foreground purge daemon (see [`crate::cleaner::watch`]).
//! One log line per event on stderr, an optional Prometheus textfile after each pass.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::cleaner::{Cleaner, Event, Jitter, LockMode, Metrics, Shutdown, WatchSettings, watch};
use crate::cli::{LogFormat, WatchCleanupArgs};
use crate::config::{Config, Verbosity, cleaner_settings};
use crate::error::Result;
use crate::output::{Output, counted, json_ms, pass};
use crate::sanitize::escape;

/// Runs purge passes every interval until SIGINT or SIGTERM; exits 0 then.
pub fn run(config: &Config, args: &WatchCleanupArgs, out: &mut Output) -> Result<()> {
    if let Some(w) = args.interval.months_warning("--interval") {
        out.warn(&w);
    }
    let interval = args.interval.duration;
    let settings = cleaner_settings(args.max_duration.as_ref(), &args.cleaner, &|w| out.warn(w))?;
    let target = super::resolve_target(config, out)?;
    let shutdown = Shutdown::new();
    shutdown.install_signals()?;
    let lock_mode = match (settings.auto_lock_mode, settings.lock_mode) {
        (true, _) => "auto",
        (false, LockMode::Session) => "session",
        (false, LockMode::Transaction) => "transaction",
    };
    let mut cleaner = Cleaner::new(target.clone(), config.table.clone(), settings, shutdown);
    let line = || Line {
        format: args.log_format,
        quiet: config.verbosity == Verbosity::Quiet,
        table: config.table.to_string(),
        out,
    };
    let progress = line();
    let mut log = Log {
        line: line(),
        table: config.table.to_string(),
        out,
        metrics: Metrics::default(),
        metrics_file: args.metrics_file.clone(),
        metrics_error_shown: false,
    };
    log.info(
        "start",
        &format!(
            "watching table \"{}\" on {} every {} (jitter {}%, lock mode {})",
            config.table,
            target.describe(),
            humantime::format_duration(interval),
            args.jitter,
            lock_mode
        ),
        json!({"interval_ms": json_ms(interval)}),
    );
    let watch_settings = WatchSettings {
        interval,
        jitter: Jitter(args.jitter),
    };
    watch(
        &mut cleaner,
        &watch_settings,
        &mut |event| log.event(event),
        &|event| {
            if let Event::Progress { deleted, elapsed } = event {
                progress.info(
                    "progress",
                    &format!(
                        "pass in progress: {deleted} rows deleted in {}",
                        secs(elapsed)
                    ),
                    json!({"deleted": deleted, "elapsed_ms": json_ms(elapsed)}),
                );
            }
        },
    )
}

struct Log<'a> {
    line: Line<'a>,
    table: String,
    out: &'a Output,
    metrics: Metrics,
    metrics_file: Option<std::path::PathBuf>,
    metrics_error_shown: bool,
}

impl Log<'_> {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Connected { reconnect } => {
                let message = if reconnect {
                    "reconnected"
                } else {
                    "connected"
                };
                self.info("connected", message, json!({"reconnect": reconnect}));
            }
            Event::ConnectFailed { error, retry_in } => {
                self.metrics.record_failure();
                self.metrics.active = false;
                self.error(
                    "connect_failed",
                    &format!("{error}; retrying in {}", secs(retry_in)),
                    json!({"error": error.to_string(), "retry_in_ms": json_ms(retry_in)}),
                );
                self.write_metrics();
            }
            Event::Active => {
                self.metrics.active = true;
                self.info(
                    "active",
                    "took the cleaner lock: this copy is the active cleaner",
                    json!({}),
                );
            }
            Event::Standby { retry_in, holder } => {
                self.metrics.active = false;
                let who = holder
                    .as_deref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                self.info(
                    "standby",
                    &format!(
                        "another cleaner{who} holds table \"{}\"; standing by, checking every {}",
                        self.table,
                        secs(retry_in)
                    ),
                    json!({"retry_in_ms": json_ms(retry_in), "holder": holder}),
                );
                self.write_metrics();
            }
            Event::Progress { .. } => {}
            Event::Pass { report, next_in } => {
                self.metrics.record_pass(report);
                // In transaction lock mode there is no lasting lock: a pass that ran is active.
                self.metrics.active = report.outcome != crate::cleaner::Outcome::Stopped;
                self.info(
                    "pass",
                    &format!(
                        "pass: deleted {} in {}, {}",
                        counted(report.deleted, "row", "rows"),
                        pass::batches_text(report, &secs(report.duration)),
                        report.outcome.as_str(),
                    ),
                    {
                        let mut doc = pass::figures(report);
                        doc["outcome"] = json!(report.outcome.as_str());
                        doc["next_in_ms"] = json!(json_ms(next_in));
                        doc
                    },
                );
                self.write_metrics();
            }
            Event::PassFailed {
                error,
                retry_in,
                connection_lost,
            } => {
                self.metrics.record_failure();
                if connection_lost {
                    self.metrics.active = false;
                }
                // The error says itself whether the connection was lost or never made.
                self.error(
                    "pass_failed",
                    &format!("pass failed: {error}; retrying in {}", secs(retry_in)),
                    json!({
                        "error": error.to_string(),
                        "connection_lost": connection_lost,
                        "retry_in_ms": json_ms(retry_in),
                    }),
                );
                self.write_metrics();
            }
            Event::Stopped { released } => {
                self.metrics.active = false;
                self.write_metrics();
                let message = if released {
                    "stopping: lock released"
                } else {
                    "stopping"
                };
                self.info("stopped", message, json!({"released": released}));
            }
        }
    }

    fn info(&self, event: &str, message: &str, fields: Value) {
        self.line.info(event, message, fields);
    }

    fn error(&self, event: &str, message: &str, fields: Value) {
        self.line.error(event, message, fields);
    }

    fn write_metrics(&mut self) {
        let Some(path) = &self.metrics_file else {
            return;
        };
        match self.metrics.write_atomic(path, &self.table) {
            Ok(()) => self.metrics_error_shown = false,
            Err(e) => {
                // Once per run of failures: a full disk should not flood the log.
                if !self.metrics_error_shown {
                    self.out.warn(&escape(&e.to_string()));
                    self.metrics_error_shown = true;
                }
            }
        }
    }
}

/// Writes log lines; shared by the daemon's events and the progress of a pass, which is
/// reported from the purge's worker threads.
struct Line<'a> {
    format: LogFormat,
    quiet: bool,
    table: String,
    out: &'a Output,
}

impl Line<'_> {
    fn info(&self, event: &str, message: &str, fields: Value) {
        if !self.quiet {
            self.emit("info", event, message, fields);
        }
    }

    fn error(&self, event: &str, message: &str, fields: Value) {
        self.emit("error", event, message, fields);
    }

    fn emit(&self, level: &str, event: &str, message: &str, fields: Value) {
        let time = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        let line = match self.format {
            LogFormat::Text => format!("{time} scsctl {level}: {message}"),
            LogFormat::Json => {
                let mut doc = json!({
                    "time": time,
                    "level": level,
                    "event": event,
                    "table": self.table,
                    "message": message,
                });
                if let (Value::Object(doc), Value::Object(extra)) = (&mut doc, fields) {
                    doc.extend(extra);
                }
                doc.to_string()
            }
        };
        self.out.log(&line);
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}
