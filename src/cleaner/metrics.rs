//! The daemon's Prometheus textfile, for node_exporter's textfile collector: rewritten
//! atomically (a temporary file in the same directory, then a rename), so the collector never
//! reads half a file.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::SystemTime;

use super::{Outcome, PassReport};
use crate::error::{Error, Result};

/// Counters of one daemon's life.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Rows deleted in all.
    pub rows_deleted: u64,
    /// Passes run to their end as the active cleaner.
    pub passes: u64,
    /// Passes or connection attempts that failed.
    pub failures: u64,
    /// When the last pass succeeded.
    pub last_success: Option<SystemTime>,
    /// Whether this copy is the active cleaner.
    pub active: bool,
}

impl Metrics {
    /// Counts a pass's rows; a pass cut short by a stop request is not counted as a pass.
    pub fn record_pass(&mut self, report: &PassReport) {
        self.rows_deleted += report.deleted;
        if report.outcome != Outcome::Stopped {
            self.passes += 1;
            self.last_success = Some(SystemTime::now());
        }
    }

    /// Counts a failure.
    pub fn record_failure(&mut self) {
        self.failures += 1;
    }

    /// The textfile, with HELP and TYPE lines, labelled with the table.
    pub fn render(&self, table: &str) -> String {
        let label = format!(
            "{{table=\"{}\"}}",
            table
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        );
        let last = self
            .last_success
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = write!(
                out,
                "# HELP scsctl_cleanup_{name} {help}\n# TYPE scsctl_cleanup_{name} {kind}\nscsctl_cleanup_{name}{label} {value}\n"
            );
        };
        metric(
            "rows_deleted_total",
            "counter",
            "Expired sessions deleted by this watch-cleanup process.",
            self.rows_deleted.to_string(),
        );
        metric(
            "passes_total",
            "counter",
            "Purge passes run to their end by this process.",
            self.passes.to_string(),
        );
        metric(
            "failures_total",
            "counter",
            "Purge passes and connection attempts that failed.",
            self.failures.to_string(),
        );
        metric(
            "last_success_timestamp_seconds",
            "gauge",
            "Unix time of the last successful pass (0 before the first).",
            format!("{last:.3}"),
        );
        metric(
            "active",
            "gauge",
            "1 when this copy holds the cleaner lock and cleans, 0 when it stands by.",
            u8::from(self.active).to_string(),
        );
        out
    }

    /// Writes [`Metrics::render`] to `path` atomically.
    pub fn write_atomic(&self, path: &Path, table: &str) -> Result<()> {
        let text = self.render(table);
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "metrics".into());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let context = || format!("cannot write the metrics file {}", path.display());
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(context(), e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric_with_help_and_type() {
        let m = Metrics {
            rows_deleted: 12,
            passes: 3,
            failures: 1,
            last_success: Some(
                SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            ),
            active: true,
        };
        let text = m.render("app.sessions");
        assert!(text.contains("# TYPE scsctl_cleanup_rows_deleted_total counter\n"));
        assert!(text.contains("scsctl_cleanup_rows_deleted_total{table=\"app.sessions\"} 12\n"));
        assert!(text.contains("scsctl_cleanup_passes_total{table=\"app.sessions\"} 3\n"));
        assert!(text.contains("scsctl_cleanup_failures_total{table=\"app.sessions\"} 1\n"));
        assert!(text.contains(
            "scsctl_cleanup_last_success_timestamp_seconds{table=\"app.sessions\"} 1700000000.000\n"
        ));
        assert!(text.contains("scsctl_cleanup_active{table=\"app.sessions\"} 1\n"));
        assert_eq!(text.matches("# HELP").count(), 5);
    }

    #[test]
    fn writes_atomically() {
        let dir = std::env::temp_dir().join(format!("scsctl-metrics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("scsctl.prom");
        Metrics::default().write_atomic(&path, "sessions").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("scsctl_cleanup_active{table=\"sessions\"} 0"));
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
