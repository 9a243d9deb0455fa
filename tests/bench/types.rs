//! Benchmark of `scsctl types` and `scsctl rename-type` (issue #17) on realistic sessions.
//!
//! Run by hand: `cargo bench --bench types`. Not part of `cargo test`.
//!
//! Environment:
//! - `SCSCTL_BENCH_ROWS` (default 1,000,000): sessions seeded; every tenth holds `main.User`
//!   (the Go peer's `user.gob`), the rest the Go peer's `realistic_session.gob` (a cart,
//!   strings, numbers).
//! - `SCSCTL_BENCH_ROUNDS` (default 3): alternating rounds; medians are reported.
//!
//! Figures: `types -o json` against `list --state all --values -o ndjson` over the same table
//! (both the release binary, stdout to /dev/null), with the peak RSS of `types`; then
//! `rename-type main.User models.User` against one psql `UPDATE` that rewrites the data of
//! the same rows (`SET data = data WHERE position('\x09main.User' in data) > 0`), each on a
//! fresh copy of the table after a CHECKPOINT, with rename-type's longest statement.

#[path = "../support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::time::Instant;

use postgres::Client;
use support::Cluster;

const SCSCTL: &str = env!("CARGO_BIN_EXE_scsctl");
const USER: &[u8] = include_bytes!("../fixtures/gob/user.gob");
const REALISTIC: &[u8] = include_bytes!("../fixtures/gob/realistic_session.gob");

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The server settings the figures are measured with: PostgreSQL's durable defaults (which the
/// test harness turns off), room for the WAL of a large rewrite, no autovacuum between runs.
const SERVER_CONF: &str = "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n\
    shared_buffers = 512MB\nmax_wal_size = 8GB\ncheckpoint_timeout = 30min\nautovacuum = off\n";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs scsctl with `args`, stdout to /dev/null; returns (seconds, peak RSS in KiB). The
/// child is reaped by `wait4`, which also gives its own peak RSS.
#[allow(clippy::zombie_processes)]
fn timed_scsctl(url: &str, args: &[&str]) -> (f64, i64) {
    let started = Instant::now();
    let child = Command::new(SCSCTL)
        .args(["-d", url])
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    let pid = child.id() as libc::pid_t;
    let mut usage: libc::rusage = unsafe_zeroed();
    let r = wait4(pid, &mut status, &mut usage);
    assert_eq!(r, pid);
    assert_eq!(status, 0, "scsctl {args:?} failed");
    (started.elapsed().as_secs_f64(), usage.ru_maxrss)
}

#[allow(unsafe_code)]
fn unsafe_zeroed() -> libc::rusage {
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    unsafe { std::mem::zeroed() }
}

#[allow(unsafe_code)]
fn wait4(pid: libc::pid_t, status: &mut i32, usage: &mut libc::rusage) -> libc::pid_t {
    // SAFETY: valid pointers to locals; pid is our own child.
    unsafe { libc::wait4(pid, status, 0, usage) }
}

fn seed(client: &mut Client, rows: i64) {
    client
        .batch_execute(
            "CREATE TABLE seed (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)",
        )
        .unwrap();
    client
        .execute(
            "INSERT INTO seed
               SELECT encode(sha256(i::text::bytea), 'base64'),
                      CASE WHEN i % 10 = 0 THEN $1::bytea ELSE $2::bytea END,
                      now() + interval '3 hours' + random() * interval '24 hours'
               FROM generate_series(1, $3::int8) i",
            &[&USER, &REALISTIC, &rows],
        )
        .unwrap();
}

/// A fresh `sessions` from `seed`, its rows in an order unrelated to their tokens', as an app
/// inserts them: a read in token order then visits the heap at random, as on a real table.
fn reset(client: &mut Client) {
    client
        .batch_execute(
            "DROP TABLE IF EXISTS sessions;
             CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
             INSERT INTO sessions SELECT * FROM seed ORDER BY md5(token);
             CREATE INDEX sessions_expiry_idx ON sessions (expiry);",
        )
        .unwrap();
    // VACUUM cannot run in the implicit transaction of a multi-statement message.
    client.batch_execute("VACUUM ANALYZE sessions").unwrap();
    client.batch_execute("CHECKPOINT").unwrap();
}

fn run_update(cluster: &Cluster) -> (f64, i64) {
    cluster.timed_psql(
        "bench",
        r"UPDATE sessions SET data = data WHERE position('\x096d61696e2e55736572'::bytea in data) > 0",
        "UPDATE",
    )
}

fn run_rename(cluster: &Cluster) -> (f64, i64, f64) {
    let started = Instant::now();
    let out = Command::new(SCSCTL)
        .args([
            "-d",
            &cluster.url("bench"),
            "rename-type",
            "main.User",
            "models.User",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        seconds,
        doc["renamed"].as_i64().unwrap(),
        doc["longest_batch_ms"].as_f64().unwrap(),
    )
}

fn main() {
    let rows = env_num("SCSCTL_BENCH_ROWS", 1_000_000) as i64;
    let rounds = env_num("SCSCTL_BENCH_ROUNDS", 3).max(1);
    let cluster = Cluster::start_dedicated_with(SERVER_CONF);
    cluster
        .client("postgres")
        .batch_execute("CREATE DATABASE bench")
        .unwrap();
    let mut client = cluster.client("bench");
    seed(&mut client, rows);
    reset(&mut client);
    let url = cluster.url("bench");
    println!(
        "rows {rows}, of which {} hold main.User; {rounds} rounds",
        rows / 10
    );
    // Warm the caches once.
    timed_scsctl(
        &url,
        &["list", "--state", "all", "--values", "-o", "ndjson"],
    );
    let (mut types, mut list, mut rss) = (Vec::new(), Vec::new(), 0);
    for _ in 0..rounds {
        let (t, r) = timed_scsctl(&url, &["types", "-o", "json"]);
        types.push(t);
        rss = rss.max(r);
        list.push(
            timed_scsctl(
                &url,
                &["list", "--state", "all", "--values", "-o", "ndjson"],
            )
            .0,
        );
    }
    let (t, l) = (median(types), median(list));
    println!(
        "types {t:.2}s  list --values ndjson {l:.2}s  ratio {:.2}  types peak RSS {:.1} MB",
        t / l,
        rss as f64 / 1024.0
    );
    let (mut upd, mut ren, mut longest) = (Vec::new(), Vec::new(), 0f64);
    for _ in 0..rounds {
        reset(&mut client);
        let (s, n) = run_update(&cluster);
        assert_eq!(n, rows / 10);
        upd.push(s);
        reset(&mut client);
        let (s, n, l) = run_rename(&cluster);
        assert_eq!(n, rows / 10);
        ren.push(s);
        longest = longest.max(l);
    }
    let (u, r) = (median(upd), median(ren));
    println!(
        "rename-type {r:.2}s  UPDATE {u:.2}s  ratio {:.2}  longest statement {longest:.0} ms",
        r / u
    );
}
