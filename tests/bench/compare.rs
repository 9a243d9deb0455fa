//! scsctl side by side with psql, pgbench and Go (issue #6): one run starts a private
//! PostgreSQL cluster, seeds it, measures, and prints one table of figures and ratios.
//!
//! ```sh
//! cargo bench --bench compare                       # everything, 1,000,000 rows
//! cargo bench --bench compare -- list get           # some sections only (list, get, store)
//! SCSCTL_BENCH_ROWS=100000 cargo bench --bench compare
//! cargo bench --bench compare -- --smoke            # tiny and quick: checks the work, not speed
//! ```
//!
//! Knobs: `SCSCTL_BENCH_ROWS` (rows in the big table, default 1,000,000; the small one has a
//! tenth), `SCSCTL_BENCH_PAIRS` (alternating A/B pairs per figure, default 5 for list, 25 for
//! get, 3 for the store), `SCSCTL_BENCH_SECONDS` (seconds per store run, default 5).
//!
//! Rules (see the project's measuring notes): both sides connect the same way (TCP to
//! 127.0.0.1, SCRAM password auth, the same sslmode, the same conninfo string); the real psql
//! binary from the server's bindir; a warm-up run of each side, then alternating pairs; a
//! CHECKPOINT before every timed write; ratios are the median of the per-pair ratios. A figure
//! counts only if its run did the work: exit codes, row counts and output are checked in the
//! same run, and the benchmark panics otherwise.

#[path = "../support/mod.rs"]
mod support;

#[path = "compare/measure.rs"]
mod measure;
#[path = "compare/seed.rs"]
mod seed;
#[path = "compare/store.rs"]
mod store;

use std::path::PathBuf;

use measure::{Proc, Run, ab, median};
use store::Op;
use support::{Cluster, conninfo_quote};

/// One line of the report.
struct Line {
    case: String,
    scsctl: String,
    reference: String,
    ratio: String,
    target: String,
    met: &'static str,
}

struct Bench {
    cluster: Cluster,
    db: String,
    rows: u64,
    small: u64,
    home: PathBuf,
    scsctl: PathBuf,
    psql: PathBuf,
    smoke: bool,
    lines: Vec<Line>,
    notes: Vec<String>,
}

fn env_num(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.replace(['_', ','], "")
                .parse()
                .unwrap_or_else(|_| panic!("{name} is not a number: {v}"))
        })
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let wanted: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str)
        .collect();
    let on = |section: &str| wanted.is_empty() || wanted.contains(&section);
    for w in &wanted {
        assert!(
            ["list", "get", "store"].contains(w),
            "unknown section {w:?}: use list, get, store"
        );
    }

    let rows = if smoke {
        2_000
    } else {
        env_num("SCSCTL_BENCH_ROWS", 1_000_000.0) as u64
    };
    let cluster = Cluster::start_dedicated();
    let db = cluster.new_database();
    let db_name = db
        .url()
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let home = support::scratch_dir().join("bench-home");
    std::fs::create_dir_all(&home).unwrap();
    let mut admin = cluster.client(&db_name);
    let mut bench = Bench {
        psql: cluster.bindir().join("psql"),
        cluster,
        db: db_name,
        rows,
        small: (rows / 10).max(1),
        home,
        scsctl: PathBuf::from(env!("CARGO_BIN_EXE_scsctl")),
        smoke,
        lines: Vec::new(),
        notes: Vec::new(),
    };

    let load_before = loadavg();
    let t0 = std::time::Instant::now();
    eprintln!(
        "seeding {} + {} rows…",
        group(bench.rows),
        group(bench.small)
    );
    for (table, rows) in [("sessions", bench.rows), ("sessions_small", bench.small)] {
        for statement in seed::sql(table, rows) {
            admin.batch_execute(&statement).unwrap_or_else(|e| {
                panic!(
                    "seeding {table}: {}",
                    e.as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_owned())
                )
            });
        }
    }
    let count: i64 = admin
        .query_one("SELECT count(*) FROM sessions", &[])
        .unwrap()
        .get(0);
    assert_eq!(count as u64, bench.rows, "seeding did not make the rows");
    eprintln!("seeded in {:.1} s", t0.elapsed().as_secs_f64());

    if on("list") {
        bench.list();
    }
    if on("get") {
        bench.get();
    }
    if on("store") {
        bench.store(&mut admin);
    }
    bench.lines.push(Line {
        case: "codec: sessions decoded/s vs Go".into(),
        scsctl: "—".into(),
        reference: "—".into(),
        ratio: "—".into(),
        target: "≥ 2×".into(),
        met: "see `cargo bench --bench codec`",
    });
    bench.lines.push(Line {
        case: "purge vs one DELETE".into(),
        scsctl: "—".into(),
        reference: "—".into(),
        ratio: "—".into(),
        target: "≤ 1.25×".into(),
        met: "see `cargo bench --bench purge`",
    });
    let server_version: String = admin.query_one("SHOW server_version", &[]).unwrap().get(0);
    bench.report(&server_version, &load_before);
    drop(admin);
    drop(db);
}

impl Bench {
    /// The same conninfo for both sides: TCP to 127.0.0.1, SCRAM password, this sslmode.
    fn conninfo(&self, sslmode: &str) -> String {
        format!(
            "host={} port={} user={} password={} dbname={} sslmode={sslmode}",
            self.cluster.host(),
            self.cluster.port(),
            conninfo_quote(self.cluster.admin_user()),
            conninfo_quote(self.cluster.admin_password()),
            conninfo_quote(&self.db),
        )
    }

    fn pairs(&self, default: usize) -> usize {
        if self.smoke {
            1
        } else {
            env_num("SCSCTL_BENCH_PAIRS", default as f64) as usize
        }
    }

    fn scsctl(&self, sslmode: &str) -> Proc {
        Proc::new(&self.scsctl).args(["--database-url".to_owned(), self.conninfo(sslmode)])
    }

    fn psql(&self, sslmode: &str) -> Proc {
        Proc::new(&self.psql).args(["-X".to_owned(), "-d".into(), self.conninfo(sslmode)])
    }

    fn list(&mut self) {
        let pairs = self.pairs(5);
        let mut rss = Vec::new();
        for (table, rows) in [("sessions_small", self.small), ("sessions", self.rows)] {
            eprintln!("list: {table}, {} rows, {pairs} pairs", group(rows));
            let scsctl = self
                .scsctl("disable")
                .args(["-t", table, "list", "-o", "ndjson", "--state", "all"])
                .keep(4096)
                .sample_rss();
            let psql = self.psql("disable").args([
                "-c".to_owned(),
                format!("\\copy (SELECT token, expiry, data FROM {table}) TO STDOUT"),
            ]);
            let (a, b) = ab(
                pairs,
                || {},
                || check_list(scsctl.run(&self.home), rows, "scsctl list"),
                || check_list(psql.run(&self.home), rows, "psql \\copy"),
            );
            let peak = a.iter().filter_map(|r| r.peak_rss_kib).max().unwrap_or(0);
            rss.push((rows, peak));
            self.notes.push(format!(
                "list of {} rows: scsctl printed {}, psql {}",
                group(rows),
                mib(a[0].bytes / 1024),
                mib(b[0].bytes / 1024)
            ));
            self.time_line(
                &format!("list -o ndjson --state all, {} rows", group(rows)),
                "psql \\copy",
                &a,
                &b,
                (rows == self.rows).then_some(1.5),
            );
        }
        let flat = rss[1].1 as f64 <= rss[0].1 as f64 * 1.25 + 1024.0;
        let max = rss.iter().map(|r| r.1).max().unwrap_or(0);
        self.lines.push(Line {
            case: format!(
                "list peak RSS at {} / {} rows",
                group(rss[0].0),
                group(rss[1].0)
            ),
            scsctl: format!("{} / {}", mib(rss[0].1), mib(rss[1].1)),
            reference: "—".into(),
            ratio: "—".into(),
            target: "≤ 32 MB, flat".into(),
            met: yes(max as f64 * 1024.0 <= 32e6 && flat),
        });

        // With --values, once the session codec is in.
        let probe = self
            .scsctl("disable")
            .args(["list", "--values", "--limit", "1", "-o", "ndjson"])
            .run(&self.home);
        if probe.code != 0 {
            self.notes.push(format!(
                "list --values not measured: this build says: {}",
                probe.stderr.trim()
            ));
            return;
        }
        let rows = self.rows;
        let scsctl = self
            .scsctl("disable")
            .args(["list", "-o", "ndjson", "--state", "all", "--values"])
            .keep(4096)
            .sample_rss();
        let psql = self.psql("disable").args([
            "-c",
            "\\copy (SELECT token, expiry, data FROM sessions) TO STDOUT",
        ]);
        eprintln!("list --values: {} rows, {pairs} pairs", group(rows));
        let (a, b) = ab(
            pairs,
            || {},
            || check_list(scsctl.run(&self.home), rows, "scsctl list --values"),
            || check_list(psql.run(&self.home), rows, "psql \\copy"),
        );
        let head = String::from_utf8_lossy(&a[0].head).into_owned();
        assert!(
            head.contains("\"values\":{"),
            "list --values printed no values: {head}"
        );
        let peak = a.iter().filter_map(|r| r.peak_rss_kib).max().unwrap_or(0);
        self.time_line(
            &format!(
                "list -o ndjson --state all --values, {} rows (peak RSS {})",
                group(rows),
                mib(peak)
            ),
            "psql \\copy",
            &a,
            &b,
            Some(2.0),
        );
    }

    fn get(&mut self) {
        let pairs = self.pairs(25);
        let token = seed::token((self.rows / 2).max(1) as i64);
        for sslmode in ["disable", "require"] {
            eprintln!("get: sslmode={sslmode}, {pairs} pairs");
            let scsctl = self
                .scsctl(sslmode)
                .args(["get", &token, "-o", "json"])
                .keep(64 * 1024);
            let psql = self.psql(sslmode).args([
                "-Atc".to_owned(),
                format!(
                    "SELECT token, data, expiry, current_timestamp < expiry FROM sessions WHERE token = '{token}'"
                ),
            ]).keep(64 * 1024);
            let (a, b) = ab(
                pairs,
                || {},
                || {
                    let run = scsctl.run(&self.home).ok("scsctl get");
                    let doc: serde_json::Value =
                        serde_json::from_slice(&run.head).expect("scsctl get printed JSON");
                    assert_eq!(doc["token"], token.as_str(), "scsctl get: wrong row");
                    run
                },
                || {
                    let run = psql.run(&self.home).ok("psql -Atc");
                    assert!(
                        run.head.starts_with(format!("{token}|").as_bytes()) && run.lines == 1,
                        "psql -Atc: wrong output"
                    );
                    run
                },
            );
            self.time_line(
                &format!("get -o json, sslmode={sslmode}"),
                "psql -Atc",
                &a,
                &b,
                Some(1.0),
            );
        }
    }

    fn store(&mut self, admin: &mut postgres::Client) {
        let pairs = self.pairs(3);
        let secs = if self.smoke {
            0.5
        } else {
            env_num("SCSCTL_BENCH_SECONDS", 5.0)
        };
        let dir = support::scratch_dir().join("bench-scripts");
        std::fs::create_dir_all(&dir).unwrap();
        for op in [Op::Find, Op::Commit] {
            let script = dir.join(format!("{}.sql", op.name()));
            std::fs::write(&script, op.script(self.rows)).unwrap();
            // Prepared statements are pgbench -M prepared's like; unnamed ones (the default,
            // which works behind a transaction pooler) parse and plan on every call.
            for (conns, prepared) in [(1, true), (4, true), (1, false), (4, false)] {
                let mode = if prepared { "prepared" } else { "unnamed" };
                eprintln!(
                    "store: {} ({mode}) on {conns} connection(s), {pairs} pairs of {secs} s",
                    op.name()
                );
                let conninfo = self.conninfo("disable");
                let mut checkpoint = || {
                    if op == Op::Commit {
                        admin.batch_execute("CHECKPOINT").expect("CHECKPOINT");
                    }
                };
                let (a, b) = ab(
                    pairs,
                    &mut checkpoint,
                    || {
                        let rate = store::rust(&conninfo, self.rows, op, conns, secs, prepared);
                        assert!(rate.ops > 0, "the store did nothing");
                        if op == Op::Find {
                            assert!(rate.hits > 0, "find found nothing");
                        }
                        rate
                    },
                    || {
                        store::pgbench(
                            self.cluster.bindir(),
                            &self.home,
                            self.cluster.host(),
                            self.cluster.port(),
                            self.cluster.admin_user(),
                            self.cluster.admin_password(),
                            &self.db,
                            &script,
                            conns,
                            secs,
                        )
                    },
                );
                let ratios: Vec<f64> = a
                    .iter()
                    .zip(&b)
                    .map(|(x, y)| x.per_sec / y.per_sec)
                    .collect();
                let ratio = median(&ratios);
                let ops: Vec<f64> = a.iter().map(|r| r.per_sec).collect();
                let tps: Vec<f64> = b.iter().map(|r| r.per_sec).collect();
                self.lines.push(Line {
                    case: format!(
                        "store {} ops/s, {mode} statements, {conns} connection{}",
                        op.name(),
                        if conns == 1 { "" } else { "s" }
                    ),
                    scsctl: format!("{:.0}/s", median(&ops)),
                    reference: format!("pgbench -M prepared {:.0}/s", median(&tps)),
                    ratio: format!("{ratio:.2}×"),
                    target: if prepared { "≥ 0.9×" } else { "—" }.into(),
                    met: if prepared { yes(ratio >= 0.9) } else { "—" },
                });
            }
        }
    }

    /// A line for a timed A/B comparison (lower is better): medians and the median ratio.
    fn time_line(
        &mut self,
        case: &str,
        reference: &str,
        a: &[Run],
        b: &[Run],
        target: Option<f64>,
    ) {
        let ta: Vec<f64> = a.iter().map(|r| r.elapsed.as_secs_f64()).collect();
        let tb: Vec<f64> = b.iter().map(|r| r.elapsed.as_secs_f64()).collect();
        let ratios: Vec<f64> = ta.iter().zip(&tb).map(|(x, y)| x / y).collect();
        let ratio = median(&ratios);
        self.lines.push(Line {
            case: case.to_owned(),
            scsctl: seconds(median(&ta)),
            reference: format!("{reference} {}", seconds(median(&tb))),
            ratio: format!("{ratio:.2}×"),
            target: target.map_or("—".into(), |t| format!("≤ {t}×")),
            met: target.map_or("—", |t| yes(ratio <= t)),
        });
    }

    fn report(&self, server_version: &str, load_before: &str) {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!();
        println!(
            "scsctl vs psql / pgbench — {} rows ({} in the small table){}",
            group(self.rows),
            group(self.small),
            if self.smoke {
                " — SMOKE RUN, figures mean nothing"
            } else {
                ""
            }
        );
        println!(
            "machine: {cpus} CPUs ({cpu}), PostgreSQL {server_version} (private cluster, fsync off), load average before {load_before}, after {}",
            loadavg()
        );
        println!(
            "connection: TCP 127.0.0.1, SCRAM password, same conninfo both sides; times are medians of alternating pairs, ratios the median of per-pair ratios (scsctl / reference for times, scsctl / pgbench for rates)"
        );
        println!();
        println!("| case | scsctl | reference | ratio | target | met |");
        println!("|---|---|---|---|---|---|");
        for l in &self.lines {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                l.case, l.scsctl, l.reference, l.ratio, l.target, l.met
            );
        }
        for n in &self.notes {
            println!("\nnote: {n}");
        }
    }
}

/// Checks that a listing printed one line per row.
#[track_caller]
fn check_list(run: Run, rows: u64, what: &str) -> Run {
    let run = run.ok(what);
    assert_eq!(
        run.lines, rows,
        "{what} printed {} lines for {rows} rows",
        run.lines
    );
    run
}

fn yes(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

fn seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

/// Kibibytes as megabytes (10^6 bytes), the unit of the target.
fn mib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}
