//! Purge benchmark: `scsctl purge` against the single `DELETE … WHERE expiry < current_timestamp`
//! every SCS store runs, on identical copies of the same data, while an app load of SCS's Find
//! and Commit statements runs on live sessions.
//!
//! Run by hand: `cargo bench --bench purge`. Not part of `cargo test`.
//!
//! Environment:
//! - `SCSCTL_BENCH_ROWS` (default 2,000,000): sessions seeded, about 320 bytes of data each.
//! - `SCSCTL_BENCH_EXPIRED` (default 0.5): the share of them that is expired.
//! - `SCSCTL_BENCH_SHAPE` (default `plain`): the table each run purges — `plain` (SCS's table
//!   with its expiry index), `noindex` (the same without the expiry index) or `hashN` (hash
//!   partitioned by token into N leaves, the expiry index on the parent).
//! - `SCSCTL_BENCH_ROUNDS` (default 3): alternating rounds; medians are reported.
//! - `SCSCTL_BENCH_VARIANTS` (default `default;--jobs 2`): `;`-separated extra purge flags,
//!   one variant each.
//! - `SCSCTL_BENCH_APP_RATE` (default 500): app operations per second during each run.
//! - `SCSCTL_BENCH_PG_OPTS` (default none): extra server settings as `-c name=value` options,
//!   e.g. `-c wal_writer_delay=10ms`, to see what a server setting changes.
//! - `SCSCTL_BENCH_IDLE_MS` (default 3000): how long the app runs alone before each run, for
//!   the idle p99 (longer than a run, so that it rests on at least as many samples).
//!
//! It starts a dedicated private PostgreSQL cluster with the test suite's harness
//! (`tests/support`), with PostgreSQL's durable defaults back on (`fsync`,
//! `synchronous_commit`, `full_page_writes`, which the harness turns off for speed), and stops
//! it at the end. Times are
//! whole processes: the real psql binary (`pg_config --bindir`, not Debian's wrapper) for the
//! DELETE, the release scsctl binary for the purge, both over TCP to 127.0.0.1.

#[path = "../support/mod.rs"]
mod support;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};
use support::Cluster;

const SCSCTL: &str = env!("CARGO_BIN_EXE_scsctl");

/// How long the app runs on a fresh connection before its operations count, idle or not.
const WARM_UP: Duration = Duration::from_millis(200);

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The server settings the figures are measured with, as postgresql.conf lines: PostgreSQL's
/// durable defaults (which the test harness turns off), room for the WAL of a large purge, no
/// autovacuum between runs, and `SCSCTL_BENCH_PG_OPTS`.
fn server_conf() -> String {
    let mut conf = String::from(
        "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n\
         shared_buffers = 512MB\nmax_wal_size = 8GB\ncheckpoint_timeout = 30min\n\
         autovacuum = off\n",
    );
    let opts = std::env::var("SCSCTL_BENCH_PG_OPTS").unwrap_or_default();
    let mut words = opts.split_whitespace();
    while let Some(word) = words.next() {
        let setting = if word == "-c" {
            words.next()
        } else {
            word.strip_prefix("-c")
        };
        let Some((name, value)) = setting.and_then(|s| s.split_once('=')) else {
            panic!("SCSCTL_BENCH_PG_OPTS: expected -c name=value, got {opts:?}");
        };
        conf.push_str(&format!("{name} = '{}'\n", value.replace('\'', "''")));
    }
    conf
}

/// Seeds `seed` once, `expired_share` of it expired; each run copies it into a fresh
/// `sessions` table.
fn seed(client: &mut Client, rows: u64, expired_share: f64) {
    let per_mille = (expired_share * 1000.0).round() as i64;
    client
        .batch_execute(&format!(
            "CREATE TABLE seed (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
             INSERT INTO seed
               SELECT encode(sha256(i::text::bytea), 'base64'),
                      decode(repeat(md5(i::text), 20), 'hex'),
                      CASE WHEN (i::int8 * 7919) % 1000 < {per_mille}
                           THEN now() - interval '1 minute' - random() * interval '24 hours'
                           ELSE now() + interval '3 hours' + random() * interval '24 hours' END
               FROM generate_series(1, {rows}) i;"
        ))
        .unwrap();
    client.batch_execute("VACUUM ANALYZE seed").unwrap();
}

/// The table a run purges: its DDL, as `SCSCTL_BENCH_SHAPE` names it.
fn shape_sql(shape: &str) -> String {
    let columns = "token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL";
    match shape {
        "plain" => format!(
            "CREATE TABLE sessions ({columns}); \
             INSERT INTO sessions SELECT * FROM seed ORDER BY token; \
             CREATE INDEX sessions_expiry_idx ON sessions (expiry);"
        ),
        "noindex" => format!(
            "CREATE TABLE sessions ({columns}); \
             INSERT INTO sessions SELECT * FROM seed ORDER BY token;"
        ),
        _ => {
            let n: u32 = shape
                .strip_prefix("hash")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| {
                    panic!("SCSCTL_BENCH_SHAPE: plain, noindex or hashN, not {shape}")
                });
            let mut sql = format!("CREATE TABLE sessions ({columns}) PARTITION BY HASH (token);");
            for i in 0..n {
                sql.push_str(&format!(
                    "CREATE TABLE sessions_p{i} PARTITION OF sessions \
                     FOR VALUES WITH (MODULUS {n}, REMAINDER {i});"
                ));
            }
            sql.push_str(
                "INSERT INTO sessions SELECT * FROM seed ORDER BY token; \
                 CREATE INDEX sessions_expiry_idx ON sessions (expiry);",
            );
            sql
        }
    }
}

fn reset(client: &mut Client, shape: &str) {
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS sessions; {}",
            shape_sql(shape)
        ))
        .unwrap();
    client.batch_execute("VACUUM ANALYZE sessions").unwrap();
    client.batch_execute("CHECKPOINT").unwrap();
    // Warm the cache the way a running app would have it.
    client
        .batch_execute(
            "SELECT count(*), sum(octet_length(data)) FROM sessions WHERE expiry > '-infinity'",
        )
        .unwrap();
}

fn expired(client: &mut Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM sessions WHERE expiry < current_timestamp",
            &[],
        )
        .unwrap()
        .get(0)
}

/// The app: SCS's Find and Commit on random live tokens, paced, recording each latency.
struct Load {
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<Vec<Latency>>,
}

/// One app operation: when it started, which it was, how long it took.
type Latency = (Instant, Op, Duration);

/// The app's two statements.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Find,
    Commit,
}

/// The 99th percentile of the latencies of all operations, of Finds only, of Commits only.
fn p99s(latencies: &[Latency]) -> [f64; 3] {
    let of = |keep: &dyn Fn(Op) -> bool| {
        let v = latencies
            .iter()
            .filter(|(_, op, _)| keep(*op))
            .map(|(_, _, d)| *d)
            .collect();
        p99(v).as_secs_f64() * 1000.0
    };
    [
        of(&|_| true),
        of(&|op| op == Op::Find),
        of(&|op| op == Op::Commit),
    ]
}

impl Load {
    fn start(url: String, tokens: Arc<Vec<String>>, rate: u64) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = thread::spawn(move || {
            let mut client = Client::connect(&url, NoTls).unwrap();
            let find = client
                .prepare(
                    "SELECT data FROM sessions WHERE token = $1 AND current_timestamp < expiry",
                )
                .unwrap();
            let commit = client
                .prepare(
                    "INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3) \
                     ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry",
                )
                .unwrap();
            let period = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
            let mut latencies = Vec::new();
            let mut x: u64 = 0x2545_f491_4f6c_dd1d;
            let mut next = Instant::now();
            while !flag.load(Ordering::Relaxed) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let token = &tokens[(x % tokens.len() as u64) as usize];
                let started = Instant::now();
                let op = if x.is_multiple_of(4) {
                    let data = vec![7u8; 320];
                    let expiry = std::time::SystemTime::now() + Duration::from_secs(86_400);
                    client.execute(&commit, &[token, &data, &expiry]).unwrap();
                    Op::Commit
                } else {
                    client.query_opt(&find, &[token]).unwrap();
                    Op::Find
                };
                latencies.push((started, op, started.elapsed()));
                next += period;
                let now = Instant::now();
                if next > now {
                    thread::sleep(next - now);
                } else {
                    next = now;
                }
            }
            latencies
        });
        Load { stop, handle }
    }

    /// Stops the app; returns the operations that started within `window`.
    fn finish_within(self, window: std::ops::Range<Instant>) -> Vec<Latency> {
        self.stop.store(true, Ordering::Relaxed);
        let mut latencies = self.handle.join().unwrap();
        latencies.retain(|(at, _, _)| window.contains(at));
        latencies
    }
}

fn p99(mut v: Vec<Duration>) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    v[((v.len() as f64 * 0.99) as usize).min(v.len() - 1)]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return f64::NAN;
    }
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

#[derive(Default, Clone)]
struct Sample {
    round: u64,
    seconds: f64,
    max_tx_ms: f64,
    p99_tx_ms: f64,
    deleted: i64,
    /// Every app latency of the idle window before this run, and of the run itself: pooled
    /// over the rounds, a p99 that rests on thousands of samples instead of hundreds.
    idle: Vec<Duration>,
    during: Vec<Duration>,
}

impl Sample {
    /// The app's p99 during this run, in ms.
    fn p99_ms(&self) -> f64 {
        p99(self.during.clone()).as_secs_f64() * 1000.0
    }

    /// The app's p99 in the idle window just before this run, in ms.
    fn idle_p99_ms(&self) -> f64 {
        p99(self.idle.clone()).as_secs_f64() * 1000.0
    }
}

fn run_delete(cluster: &Cluster) -> (f64, i64) {
    cluster.timed_psql(
        "bench",
        "DELETE FROM sessions WHERE expiry < current_timestamp",
        "DELETE",
    )
}

/// Runs the purge; returns its wall time, rows deleted, longest batch and the 99th percentile
/// of its batch times (from `-v`'s per-batch lines).
fn run_purge(cluster: &Cluster, flags: &[&str]) -> (f64, i64, f64, f64) {
    let started = Instant::now();
    let out = Command::new(SCSCTL)
        .args(["-d", &cluster.url("bench"), "-o", "json", "-v", "purge"])
        .args(flags)
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("purge -o json");
    let mut batches: Vec<f64> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("scsctl: batch: "))
        .filter_map(|l| l.rsplit(" in ").next()?.strip_suffix(" ms")?.parse().ok())
        .collect();
    batches.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p99 = batches
        .get(((batches.len() as f64 * 0.99) as usize).min(batches.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0);
    (
        seconds,
        doc["deleted"].as_i64().unwrap(),
        doc["max_batch_ms"].as_f64().unwrap(),
        p99,
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows = env_num("SCSCTL_BENCH_ROWS", 2_000_000);
    let expired_share: f64 = std::env::var("SCSCTL_BENCH_EXPIRED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.5);
    let shape = std::env::var("SCSCTL_BENCH_SHAPE").unwrap_or_else(|_| "plain".into());
    let rounds = env_num("SCSCTL_BENCH_ROUNDS", 3).max(1);
    let rate = env_num("SCSCTL_BENCH_APP_RATE", 500);
    let idle_ms = env_num("SCSCTL_BENCH_IDLE_MS", 3000);
    let variants: Vec<String> = std::env::var("SCSCTL_BENCH_VARIANTS")
        .unwrap_or_else(|_| "default;--jobs 2".into())
        .split(';')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    eprintln!("starting a private cluster…");
    let cluster = Cluster::start_dedicated_with(&server_conf());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let setup = Setup {
            rows,
            expired_share,
            shape: &shape,
            rounds,
            rate,
            idle_ms,
        };
        bench(&cluster, &setup, &variants)
    }));
    drop(cluster);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// What one benchmark run measures.
struct Setup<'a> {
    rows: u64,
    expired_share: f64,
    shape: &'a str,
    rounds: u64,
    rate: u64,
    idle_ms: u64,
}

fn bench(cluster: &Cluster, setup: &Setup<'_>, variants: &[String]) {
    let Setup {
        rows,
        expired_share,
        shape,
        rounds,
        rate,
        idle_ms,
    } = *setup;
    let mut admin = cluster.client("postgres");
    admin.batch_execute("CREATE DATABASE bench").unwrap();
    let mut client = cluster.client("bench");
    eprintln!("seeding {rows} sessions…");
    let t = Instant::now();
    seed(&mut client, rows, expired_share);
    eprintln!("seeded in {:.1}s", t.elapsed().as_secs_f64());
    let tokens: Arc<Vec<String>> = Arc::new(
        client
            .query(
                "SELECT token FROM seed WHERE expiry > now() + interval '1 hour' LIMIT 20000",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect(),
    );

    let mut names = vec!["DELETE (psql)".to_owned()];
    names.extend(variants.iter().map(|v| format!("purge {v}")));
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); names.len()];

    for round in 0..rounds {
        // Alternate the order so that neither side always runs first after a seed copy.
        let mut order: Vec<usize> = (0..names.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for which in order {
            reset(&mut client, shape);
            let expected = expired(&mut client);
            // The app alone, for the idle p99: over a window at least as long as a run, so that
            // the idle p99 rests on as many samples as the p99 it is compared with.
            let load = Load::start(cluster.url("bench"), tokens.clone(), rate);
            let counted_from = Instant::now() + WARM_UP;
            thread::sleep(Duration::from_millis(idle_ms) + WARM_UP);
            // Without the first operations of a fresh connection, as in the run's window.
            let idle = load.finish_within(counted_from..Instant::now());
            let [all, find, commit] = p99s(&idle);
            eprintln!("  idle app p99 {all:.2} ms (Find {find:.2}, Commit {commit:.2})");

            let load = Load::start(cluster.url("bench"), tokens.clone(), rate);
            // Connected and prepared before the run starts; these samples are not counted.
            thread::sleep(WARM_UP);
            let wal_start: String = client
                .query_one("SELECT pg_current_wal_lsn()::text", &[])
                .unwrap()
                .get(0);
            let run_started = Instant::now();
            let sample = if which == 0 {
                let (seconds, deleted) = run_delete(cluster);
                Sample {
                    round,
                    seconds,
                    max_tx_ms: seconds * 1000.0,
                    p99_tx_ms: seconds * 1000.0,
                    deleted,
                    ..Sample::default()
                }
            } else {
                let flags: Vec<&str> = if variants[which - 1] == "default" {
                    Vec::new()
                } else {
                    variants[which - 1].split_whitespace().collect()
                };
                let (seconds, deleted, max_tx_ms, p99_tx_ms) = run_purge(cluster, &flags);
                Sample {
                    round,
                    seconds,
                    max_tx_ms,
                    p99_tx_ms,
                    deleted,
                    ..Sample::default()
                }
            };
            let run_ended = Instant::now();
            // Only what the app did while the run went: the warm-up before it would dilute the
            // tail with idle samples.
            let during = load.finish_within(run_started..run_ended);
            let [p, find_p99, commit_p99] = p99s(&during);
            // WAL written meanwhile (the app's share is small): what every commit flushes behind.
            let wal_mb: f64 = client
                .query_one(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::text::pg_lsn)::float8 / 1e6",
                    &[&wal_start],
                )
                .unwrap()
                .get(0);
            let left = expired(&mut client);
            assert!(
                sample.deleted >= expected - 10 && left == 0,
                "{}: deleted {} of {expected}, {left} left",
                names[which],
                sample.deleted
            );
            println!(
                "round {} {:<22} {:>8.3}s  max tx {:>8.1} ms  p99 tx {:>8.1} ms  app p99 {:>6.2} ms \
                 (Find {:.2}, Commit {:.2}; {} ops)  WAL {:.0} MB  deleted {}",
                round + 1,
                names[which],
                sample.seconds,
                sample.max_tx_ms,
                sample.p99_tx_ms,
                p,
                find_p99,
                commit_p99,
                during.len(),
                wal_mb,
                sample.deleted
            );
            samples[which].push(Sample {
                idle: idle.iter().map(|(_, _, d)| *d).collect(),
                during: during.iter().map(|(_, _, d)| *d).collect(),
                ..sample
            });
        }
    }

    let idle_p99 = median(samples.iter().flatten().map(Sample::idle_p99_ms).collect());
    let base = median(samples[0].iter().map(|s| s.seconds).collect());
    println!();
    println!(
        "purge benchmark: {rows} sessions ({:.0} % expired), table {shape}, {rounds} rounds, \
         app load {rate} ops/s (Find 75 %, Commit 25 %); medians",
        expired_share * 100.0
    );
    println!("app p99 idle: {idle_p99:.2} ms");
    println!(
        "{:<24} {:>10} {:>10} {:>10} {:>11} {:>11} {:>11} {:>8} {:>10} {:>9}",
        "run",
        "time s",
        "× DELETE",
        "paired ×",
        "max tx ms",
        "p99 tx ms",
        "app p99 ms",
        "× idle",
        "× own idle",
        "pooled ×"
    );
    for (name, s) in names.iter().zip(&samples) {
        let seconds = median(s.iter().map(|x| x.seconds).collect());
        let max_tx = median(s.iter().map(|x| x.max_tx_ms).collect());
        let p99_tx = median(s.iter().map(|x| x.p99_tx_ms).collect());
        let p = median(s.iter().map(Sample::p99_ms).collect());
        // Each run against the DELETE of its own round: the machine's load drifts between
        // rounds, much less within one.
        let paired = median(
            s.iter()
                .filter_map(|x| {
                    samples[0]
                        .iter()
                        .find(|d| d.round == x.round)
                        .map(|d| x.seconds / d.seconds)
                })
                .collect(),
        );
        // Each run's app p99 against the idle p99 measured just before it, for the same reason.
        let paired_p99 = median(s.iter().map(|x| x.p99_ms() / x.idle_p99_ms()).collect());
        // All of this run kind's app operations against all of their idle windows.
        let pooled = |pick: fn(&Sample) -> &Vec<Duration>| {
            p99(s.iter().flat_map(|x| pick(x).iter().copied()).collect()).as_secs_f64()
        };
        let pooled_p99 = pooled(|x| &x.during) / pooled(|x| &x.idle);
        println!(
            "{:<24} {:>10.3} {:>10.2} {:>10.2} {:>11.1} {:>11.1} {:>11.2} {:>8.2} {:>10.2} {:>9.2}",
            name,
            seconds,
            seconds / base,
            paired,
            max_tx,
            p99_tx,
            p,
            p / idle_p99,
            paired_p99,
            pooled_p99
        );
    }
    println!("targets: purge ≤ 1.25× DELETE; max tx ≤ 100 ms; app p99 during purge ≤ 2× idle");
}
