//! `scsctl stats`: counts, sizes and vacuum state, with two small bar charts for people.

use std::time::SystemTime;

use serde_json::json;

use super::open_store;
use crate::cli::{OutputFormat, StatsArgs};
use crate::config::{Config, Verbosity};
use crate::duration::{relative, rfc3339_micros};
use crate::error::Result;
use crate::output::{Output, count, human_bytes};
use crate::store::{EXPIRED_BUCKETS, LIVE_BUCKETS};

/// A bucket of a histogram: where it starts and ends (seconds; `None` is open), and its count.
struct Bucket {
    from: i64,
    to: Option<i64>,
    count: i64,
}

impl Bucket {
    /// `2-3h`, `23h-1d`, `7-30d`, `30d+`.
    fn label(&self) -> String {
        let unit = |s: i64| {
            if s == 0 {
                "0".to_owned()
            } else if s % 86_400 == 0 {
                format!("{}d", s / 86_400)
            } else {
                format!("{}h", s / 3_600)
            }
        };
        match self.to {
            None => format!("{}+", unit(self.from)),
            Some(to) => {
                let (a, b) = (unit(self.from), unit(to));
                // `1-2h` rather than `1h-2h` when both ends have the same unit.
                match (a.chars().last(), b.chars().last()) {
                    (Some(x), Some(y)) if x == y => format!("{}-{b}", &a[..a.len() - 1]),
                    _ => format!("{a}-{b}"),
                }
            }
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({ "from_s": self.from, "to_s": self.to, "count": self.count, "label": self.label() })
    }
}

/// The histogram of `counts` over buckets starting at `edges` (the last one open).
fn buckets(edges: &[i64], counts: &[i64]) -> Vec<Bucket> {
    edges
        .iter()
        .enumerate()
        .map(|(i, &from)| Bucket {
            from,
            to: edges.get(i + 1).copied(),
            count: counts.get(i).copied().unwrap_or(0),
        })
        .collect()
}

/// Runs of empty buckets folded into one, and empty buckets after the last full one dropped,
/// so that a chart shows where the sessions are without a screen of zeros.
fn folded(buckets: &[Bucket]) -> Vec<Bucket> {
    let last_full = buckets.iter().rposition(|b| b.count > 0);
    let mut out: Vec<Bucket> = Vec::new();
    for (i, b) in buckets.iter().enumerate() {
        if last_full.is_none_or(|last| i > last) {
            break;
        }
        match out.last_mut() {
            Some(prev) if prev.count == 0 && b.count == 0 => prev.to = b.to,
            _ => out.push(Bucket {
                from: b.from,
                to: b.to,
                count: b.count,
            }),
        }
    }
    out
}

/// Shows table statistics.
pub fn run(config: &Config, args: &StatsArgs, out: &mut Output) -> Result<()> {
    let registry = crate::output::rows::registry(&args.registry)?;
    let mut store = open_store(config, out)?;
    let s = store.stats()?;
    // With the app's registry: the sessions Go cannot decode, counted by a streamed pass.
    let undecodable = match &registry {
        Some(r) => {
            let mut n = 0u64;
            store.scan(crate::store::State::All, None, |row| {
                let decoded = crate::session::decode(&row.data);
                if crate::output::rows::go_error(&decoded, r).is_some() {
                    n += 1;
                }
                Ok(std::ops::ControlFlow::Continue(()))
            })?;
            Some(n)
        }
        None => None,
    };
    let time = |t: Option<SystemTime>| t.map(rfc3339_micros);
    let when = |t: Option<SystemTime>| {
        t.map(|t| format!("{} ({})", rfc3339_micros(t), relative(t, s.now)))
    };
    let live = buckets(&LIVE_BUCKETS, &s.live_by_time_left);
    let ages = buckets(&EXPIRED_BUCKETS, &s.expired_by_age);
    let total = s.live + s.expired;
    let expired_share = if total > 0 {
        s.expired as f64 / total as f64
    } else {
        0.0
    };
    match out.format() {
        OutputFormat::Json | OutputFormat::Ndjson => {
            let mut doc = json!({
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
                "expired_share": (expired_share * 1e6).round() / 1e6,
                "live_by_time_left": live.iter().map(Bucket::json).collect::<Vec<_>>(),
                "expired_by_age": ages.iter().map(Bucket::json).collect::<Vec<_>>(),
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
            });
            // Counted only against the registry --registered gives.
            if let Some(n) = undecodable {
                doc["undecodable"] = json!(n);
            }
            out.document(&doc)
        }
        OutputFormat::Table => {
            let never = || "never".to_owned();
            let none = || "-".to_owned();
            out.record(&[
                ("table", config.table.to_string()),
                ("live", count(s.live.max(0) as u64)),
                ("expired", count(s.expired.max(0) as u64)),
                ("expired share", format!("{:.1} %", expired_share * 100.0)),
                ("oldest expiry", when(s.oldest_expiry).unwrap_or_else(none)),
                ("newest expiry", when(s.newest_expiry).unwrap_or_else(none)),
                ("data total", human_bytes(s.data_bytes_total.max(0) as u64)),
                ("data average", human_bytes(s.data_bytes_avg.round() as u64)),
                ("table on disk", human_bytes(s.table_bytes.max(0) as u64)),
                ("indexes on disk", human_bytes(s.index_bytes.max(0) as u64)),
                ("dead tuples", count(s.dead_tuples.max(0) as u64)),
                ("last vacuum", time(s.last_vacuum).unwrap_or_else(never)),
                (
                    "last autovacuum",
                    time(s.last_autovacuum).unwrap_or_else(never),
                ),
            ])?;
            if let Some(n) = undecodable {
                out.record(&[("undecodable by the app", n.to_string())])?;
            }
            if config.verbosity == Verbosity::Verbose && s.leaves.len() > 1 {
                out.line("")?;
                out.line("tables holding the rows")?;
                let width = s.leaves.iter().map(|l| l.name.chars().count()).max();
                let width = width.unwrap_or(0);
                for l in &s.leaves {
                    out.line(&format!(
                        "{:<width$}  {:>10} live  {:>10} expired  {:>10} table  {:>10} indexes  {:>8} dead",
                        l.name,
                        count(l.live.max(0) as u64),
                        count(l.expired.max(0) as u64),
                        human_bytes(l.table_bytes.max(0) as u64),
                        human_bytes(l.index_bytes.max(0) as u64),
                        count(l.dead_tuples.max(0) as u64)
                    ))?;
                }
            }
            let width = out
                .terminal_width()
                .unwrap_or(80)
                .saturating_sub(20)
                .clamp(10, 60);
            out.line("")?;
            out.line("live sessions by time left")?;
            let rows: Vec<(String, i64)> =
                folded(&live).iter().map(|b| (b.label(), b.count)).collect();
            for line in bars(&rows, width) {
                out.line(&line)?;
            }
            out.line("")?;
            out.line("expired backlog by age")?;
            let rows: Vec<(String, i64)> =
                folded(&ages).iter().map(|b| (b.label(), b.count)).collect();
            for line in bars(&rows, width) {
                out.line(&line)?;
            }
            Ok(())
        }
    }
}

/// Horizontal bars in Unicode eighth blocks, scaled so the largest fills `width` cells; one
/// line saying so when there is nothing to show, so that a heading never stands alone.
fn bars(rows: &[(String, i64)], width: usize) -> Vec<String> {
    if rows.iter().all(|(_, n)| *n == 0) {
        return vec!["(none)".to_owned()];
    }
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
            format!("{label:<label_width$} {bar} {}", count((*n).max(0) as u64))
        })
        .collect()
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
        assert_eq!(bars(&[], 4), ["(none)"]);
        assert_eq!(bars(&[("a".to_owned(), 0)], 4), ["(none)"]);
    }

    #[test]
    fn buckets_are_labelled_and_empty_runs_folded() {
        let b = buckets(&[0, 3_600, 7_200, 86_400, 172_800], &[0, 0, 5, 0, 0]);
        let labels: Vec<String> = b.iter().map(Bucket::label).collect();
        assert_eq!(labels, ["0-1h", "1-2h", "2h-1d", "1-2d", "2d+"]);
        let f = folded(&b);
        let shown: Vec<(String, i64)> = f.iter().map(|b| (b.label(), b.count)).collect();
        assert_eq!(shown, [("0-2h".to_owned(), 0), ("2h-1d".to_owned(), 5)]);
        assert!(folded(&buckets(&[0, 1], &[0, 0])).is_empty());
    }
}
