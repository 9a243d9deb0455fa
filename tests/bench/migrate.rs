//! Token migration benchmark: `scsctl migrate hash-tokens` (stop-and-switch) and `--copy`
//! followed by `--finish` (rolling) against the single statement that hashes every token at
//! once, `UPDATE sessions SET token = <hash>`, on identical copies of the same table of live
//! sessions.
//!
//! Run by hand: `cargo bench --bench migrate`. Not part of `cargo test`.
//!
//! Environment:
//! - `SCSCTL_BENCH_ROWS` (default 1,000,000): live sessions seeded, about 320 bytes of data
//!   each, tokens shaped as SCS makes them (43 characters of base64url).
//! - `SCSCTL_BENCH_SHAPE` (default `plain`): `plain` (SCS's table with its expiry index) or
//!   `hashN` (hash partitioned by token into N leaves, the expiry index on the parent).
//! - `SCSCTL_BENCH_ROUNDS` (default 3): alternating rounds (UPDATE, stop-and-switch,
//!   rolling); medians are reported.
//! - `SCSCTL_BENCH_PG_OPTS`: extra server options.
//!
//! Each run gets a fresh copy of the table, VACUUM ANALYZE, a CHECKPOINT and a warm cache.
//! Times are whole processes over TCP to 127.0.0.1: the real psql binary (`pg_config
//! --bindir`) for the UPDATE, the release scsctl binary for the migration. Each run is checked:
//! the UPDATE and the switch touch every row, the table holds as many rows after as before
//! (twice as many after `--copy`), and every row's token is then the hash of a seed token.

use std::process::Command;
use std::time::Instant;

use postgres::Client;

#[path = "../support/mod.rs"]
mod support;
use support::Cluster;

/// The server settings the figures are measured with: PostgreSQL's durable defaults (which the
/// test harness turns off), room for the WAL of the rewrite, no autovacuum between runs.
const SERVER_CONF: &str = "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n\
    shared_buffers = 512MB\nmax_wal_size = 8GB\ncheckpoint_timeout = 30min\nautovacuum = off\n";

const SCSCTL: &str = env!("CARGO_BIN_EXE_scsctl");

/// SCS's HashTokenInStore in SQL, for the token expression `t`.
fn hash(t: &str) -> String {
    format!("rtrim(translate(encode(sha256(convert_to({t}, 'UTF8')), 'base64'), '+/', '-_'), '=')")
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn seed(client: &mut Client, rows: u64) {
    client
        .batch_execute(&format!(
            "CREATE TABLE seed (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
             INSERT INTO seed
               SELECT {}, decode(repeat(md5(i::text), 20), 'hex'),
                      now() + interval '3 hours' + random() * interval '24 hours'
               FROM generate_series(1, {rows}) i;",
            hash("'seed' || i")
        ))
        .unwrap();
    client.batch_execute("VACUUM ANALYZE seed").unwrap();
}

fn reset(client: &mut Client, shape: &str) {
    let columns = "token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL";
    let create = match shape {
        "plain" => format!("CREATE TABLE sessions ({columns});"),
        _ => {
            let n: u32 = shape
                .strip_prefix("hash")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("SCSCTL_BENCH_SHAPE: plain or hashN, not {shape}"));
            let mut sql = format!("CREATE TABLE sessions ({columns}) PARTITION BY HASH (token);");
            for i in 0..n {
                sql.push_str(&format!(
                    "CREATE TABLE sessions_p{i} PARTITION OF sessions \
                     FOR VALUES WITH (MODULUS {n}, REMAINDER {i});"
                ));
            }
            sql
        }
    };
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS sessions, scsctl_token_migration; {create} \
             INSERT INTO sessions SELECT * FROM seed ORDER BY token; \
             CREATE INDEX sessions_expiry_idx ON sessions (expiry);"
        ))
        .unwrap();
    // One statement each: VACUUM cannot run in the implicit transaction of a multi-statement
    // message.
    for sql in [
        "VACUUM ANALYZE sessions",
        "CHECKPOINT",
        "SELECT count(*), sum(octet_length(data)) FROM sessions WHERE expiry > '-infinity'",
    ] {
        client.batch_execute(sql).unwrap();
    }
}

fn count(client: &mut Client) -> i64 {
    client
        .query_one("SELECT count(*) FROM sessions", &[])
        .unwrap()
        .get(0)
}

/// Every row's token is the hash of a seed token, and every seed token has its hashed row.
fn check_hashed(client: &mut Client, rows: i64) {
    let found: i64 = client
        .query_one(
            &format!(
                "SELECT count(*) FROM seed s JOIN sessions t ON t.token = {}",
                hash("s.token")
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(found, rows, "every seed token has its hashed row");
    assert_eq!(count(client), rows);
}

/// The single statement; returns its wall time and rows updated.
fn run_update(cluster: &Cluster) -> (f64, i64) {
    let sql = format!("UPDATE sessions SET token = {}", hash("token"));
    cluster.timed_psql("bench", &sql, "UPDATE")
}

/// One scsctl migration run; returns its wall time, rows changed and the longest batch (ms,
/// retried ones included), and prints the batch times' 99th percentile and retries.
fn run_migrate(cluster: &Cluster, flags: &[&str]) -> (f64, i64, f64) {
    let started = Instant::now();
    let out = Command::new(SCSCTL)
        .args([
            "-d",
            &cluster.url("bench"),
            "-o",
            "json",
            "-v",
            "migrate",
            "hash-tokens",
        ])
        .args(flags)
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("-o json");
    assert_eq!(doc["outcome"], "completed", "{doc}");
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
    eprintln!(
        "  {:?}: {} batches, p99 {p99:.1} ms, longest {:.1} ms, {} retried",
        flags,
        batches.len(),
        doc["max_batch_ms"],
        doc["retries"]
    );
    (
        seconds,
        doc["changed"].as_i64().unwrap(),
        doc["max_batch_ms"].as_f64().unwrap(),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows = env_num("SCSCTL_BENCH_ROWS", 1_000_000);
    let rounds = env_num("SCSCTL_BENCH_ROUNDS", 3).max(1);
    let shape = std::env::var("SCSCTL_BENCH_SHAPE").unwrap_or_else(|_| "plain".into());
    eprintln!("starting a private cluster…");
    // Stopped and removed when dropped, also when the bench panics.
    let cluster = Cluster::start_dedicated_with(SERVER_CONF);
    bench(&cluster, rows, rounds, &shape);
}

fn bench(cluster: &Cluster, rows: u64, rounds: u64, shape: &str) {
    let mut admin = cluster.client("postgres");
    admin.batch_execute("CREATE DATABASE bench").unwrap();
    let mut client = cluster.client("bench");
    eprintln!("seeding {rows} live sessions…");
    seed(&mut client, rows);
    let rows = rows as i64;
    let (mut update, mut switch, mut rolling, mut copy_s, mut finish_s) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut switch_max, mut copy_max, mut finish_max) = (0f64, 0f64, 0f64);
    for round in 1..=rounds {
        reset(&mut client, shape);
        let (t, n) = run_update(cluster);
        assert_eq!(n, rows);
        check_hashed(&mut client, rows);
        update.push(t);

        reset(&mut client, shape);
        let (t, n, max) = run_migrate(cluster, &[]);
        assert_eq!(n, rows);
        check_hashed(&mut client, rows);
        switch.push(t);
        switch_max = switch_max.max(max);

        reset(&mut client, shape);
        let (tc, n, maxc) = run_migrate(cluster, &["--copy"]);
        assert_eq!(n, rows);
        assert_eq!(count(&mut client), 2 * rows, "one twin per live session");
        let (tf, n, maxf) = run_migrate(cluster, &["--finish"]);
        assert_eq!(n, rows);
        check_hashed(&mut client, rows);
        rolling.push(tc + tf);
        copy_s.push(tc);
        finish_s.push(tf);
        copy_max = copy_max.max(maxc);
        finish_max = finish_max.max(maxf);
        eprintln!(
            "round {round}: UPDATE {:.2}s, switch {:.2}s (longest batch {max:.0} ms), \
             copy {tc:.2}s + finish {tf:.2}s (longest {maxc:.0} / {maxf:.0} ms)",
            update[update.len() - 1],
            switch[switch.len() - 1],
        );
    }
    let u = median(update.clone());
    let s = median(switch.clone());
    let r = median(rolling.clone());
    println!(
        "migrate hash-tokens, {rows} live sessions, shape {shape}, {rounds} rounds (medians):"
    );
    println!("  single UPDATE (psql)       {u:.2}s");
    println!(
        "  stop-and-switch            {s:.2}s  = {:.2}x the UPDATE, longest batch {switch_max:.0} ms",
        s / u
    );
    println!(
        "  --copy then --finish       {r:.2}s  = {:.2}x the UPDATE (copy {:.2}s, finish {:.2}s), \
         longest batch {copy_max:.0} / {finish_max:.0} ms",
        r / u,
        median(copy_s),
        median(finish_s)
    );
    println!(
        "  ratios per round: switch {:?}, rolling {:?}",
        switch
            .iter()
            .zip(&update)
            .map(|(a, b)| format!("{:.2}", a / b))
            .collect::<Vec<_>>(),
        rolling
            .iter()
            .zip(&update)
            .map(|(a, b)| format!("{:.2}", a / b))
            .collect::<Vec<_>>()
    );
}
