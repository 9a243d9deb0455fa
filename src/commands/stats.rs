//! `scsctl stats`: counts, sizes and vacuum state, with two small bar charts for people.

use std::time::SystemTime;

use serde_json::json;

use super::open_store;
use crate::cli::{OutputFormat, StatsArgs};
use crate::config::{Config, Verbosity};
use crate::duration::rfc3339_micros;
use crate::error::Result;
use crate::output::Output;

/// Labels of the expired-backlog buckets, matching [`crate::store::Stats::expired_by_age`].
const AGE_LABELS: [&str; 5] = ["< 1h", "1-6h", "6-24h", "1-7d", "> 7d"];

/// Shows table statistics.
pub fn run(config: &Config, _args: &StatsArgs, out: &mut Output) -> Result<()> {
    let mut store = open_store(config, out)?;
    let s = store.stats()?;
    let time = |t: Option<SystemTime>| t.map(rfc3339_micros);
    match out.format() {
        OutputFormat::Json | OutputFormat::Ndjson => out.document(&json!({
            "live": s.live,
            "expired": s.expired,
            "oldest_expiry": time(s.oldest_expiry),
            "newest_expiry": time(s.newest_expiry),
            "data_bytes_total": s.data_bytes_total,
            "data_bytes_avg": s.data_bytes_avg,
            "table_bytes": s.table_bytes,
            "index_bytes": s.index_bytes,
            "dead_tuples": s.dead_tuples,
            "last_vacuum": time(s.last_vacuum),
            "last_autovacuum": time(s.last_autovacuum),
            "leaves": s.leaves.iter().map(|l| json!({
                "table": l.name,
                "live": l.live,
                "expired": l.expired,
                "table_bytes": l.table_bytes,
                "index_bytes": l.index_bytes,
                "dead_tuples": l.dead_tuples,
                "last_vacuum": time(l.last_vacuum),
                "last_autovacuum": time(l.last_autovacuum),
            })).collect::<Vec<_>>(),
        })),
        OutputFormat::Table => {
            let never = || "never".to_owned();
            let none = || "-".to_owned();
            out.record(&[
                ("table", config.table.to_string()),
                ("live", s.live.to_string()),
                ("expired", s.expired.to_string()),
                ("oldest expiry", time(s.oldest_expiry).unwrap_or_else(none)),
                ("newest expiry", time(s.newest_expiry).unwrap_or_else(none)),
                ("data total", bytes(s.data_bytes_total as f64)),
                ("data average", bytes(s.data_bytes_avg)),
                ("table on disk", bytes(s.table_bytes as f64)),
                ("indexes on disk", bytes(s.index_bytes as f64)),
                ("dead tuples", s.dead_tuples.to_string()),
                ("last vacuum", time(s.last_vacuum).unwrap_or_else(never)),
                (
                    "last autovacuum",
                    time(s.last_autovacuum).unwrap_or_else(never),
                ),
            ])?;
            if config.verbosity == Verbosity::Verbose && s.leaves.len() > 1 {
                out.line("")?;
                out.line("tables holding the rows")?;
                let width = s.leaves.iter().map(|l| l.name.chars().count()).max();
                let width = width.unwrap_or(0);
                for l in &s.leaves {
                    out.line(&format!(
                        "{:<width$}  {:>10} live  {:>10} expired  {:>10} table  {:>10} indexes  {:>8} dead",
                        l.name,
                        l.live,
                        l.expired,
                        bytes(l.table_bytes as f64),
                        bytes(l.index_bytes as f64),
                        l.dead_tuples
                    ))?;
                }
            }
            let width = terminal_width().saturating_sub(20).clamp(10, 60);
            out.line("")?;
            out.line("live sessions by time left (next 24 hours)")?;
            let hours: Vec<(String, i64)> = s
                .live_by_hour
                .iter()
                .enumerate()
                .map(|(h, n)| (format!("{h}-{}h", h + 1), *n))
                .collect();
            for line in bars(&hours, width) {
                out.line(&line)?;
            }
            out.line("")?;
            out.line("expired backlog by age")?;
            let ages: Vec<(String, i64)> = AGE_LABELS
                .iter()
                .zip(&s.expired_by_age)
                .map(|(l, n)| ((*l).to_owned(), *n))
                .collect();
            for line in bars(&ages, width) {
                out.line(&line)?;
            }
            Ok(())
        }
    }
}

/// Horizontal bars in Unicode eighth blocks, scaled so the largest fills `width` cells.
fn bars(rows: &[(String, i64)], width: usize) -> Vec<String> {
    const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let label_width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(label, n)| {
            let eighths = ((*n as f64 / max) * (width * 8) as f64).round() as usize;
            let mut bar = "█".repeat(eighths / 8);
            if !eighths.is_multiple_of(8) {
                bar.push(EIGHTHS[eighths % 8 - 1]);
            }
            format!("{label:<label_width$} {bar} {n}")
        })
        .collect()
}

fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest() {
        let rows = vec![
            ("a".to_owned(), 10),
            ("b".to_owned(), 5),
            ("c".to_owned(), 0),
        ];
        let lines = bars(&rows, 4);
        assert_eq!(lines[0], "a ████ 10");
        assert_eq!(lines[1], "b ██ 5");
        assert_eq!(lines[2], "c  0");
    }

    #[test]
    fn byte_units() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
    }
}
