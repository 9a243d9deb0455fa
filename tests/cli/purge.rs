//! `scsctl purge`: batches, adaptive sizing, the one-cleaner lock, live sessions never deleted
//! (even while the app extends them), interruption and the output flags. Every test checks the
//! rows left in the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::faults::{install_gate, open_gate_for, shut_gate};
use crate::seed::{self, lock_waiters, wait_until};
use crate::support::{Cluster, PgBouncer, Running, Scsctl, TestDb, random_hex};

/// Runs `scsctl purge ARGS -o json` on `db`, which must succeed; returns its summary.
pub fn purge_json(db: &TestDb, args: &[&str]) -> serde_json::Value {
    let out = Scsctl::new()
        .db(db)
        .arg("purge")
        .args(args)
        .args(["-o", "json"])
        .run();
    out.success();
    out.json()
}

/// The cleaner lock's keys, as scsctl computes them for `public.sessions`.
pub const LOCK_SQL: &str = "SELECT pg_advisory_lock(x'736373'::int, hashtext('public.sessions'))";

#[test]
fn deletes_every_expired_row_in_batches_and_no_live_one() {
    let db = seed::fresh();
    seed::rows(&db, "old", 2_500, -3600.0);
    seed::rows(&db, "new", 1_000, 3600.0);
    let doc = purge_json(&db, &["--batch-size", "1000"]);
    assert_eq!(doc["deleted"], 2_500);
    assert_eq!(doc["batches"], 3, "{doc}");
    assert_eq!(doc["scan"], "index");
    assert_eq!(doc["outcome"], "completed");
    assert_eq!(seed::counts_by_clock(&db), (0, 1_000));
}

#[test]
fn summary_line_and_nothing_to_do_is_success() {
    let db = seed::fresh();
    seed::rows(&db, "old", 10, -60.0);
    let out = Scsctl::new().db(&db).arg("purge").run();
    out.success();
    let text = out.stdout_str();
    assert!(
        text.starts_with("deleted 10 expired sessions in 1 batch (0 retried)"),
        "{text}"
    );
    assert!(
        text.contains("retried") && text.contains("longest batch"),
        "{text}"
    );
    let out = Scsctl::new().db(&db).arg("purge").run();
    out.success();
    assert!(out.stdout_str().starts_with("deleted 0 expired sessions"));
    assert_eq!(seed::counts_by_clock(&db), (0, 0));
}

#[test]
fn batch_sizes_adapt_to_the_target_time() {
    let db = seed::fresh();
    seed::rows(&db, "old", 12_000, -3600.0);
    // A generous target: batches grow from 1,000 rows by half each time (1000, 1500, 2250,
    // 3375, 5062 …), so far fewer batches than the 12 a fixed 1,000 would take.
    let grown = purge_json(&db, &["--scan", "index", "--target-batch-time", "30s"]);
    assert_eq!(grown["deleted"], 12_000);
    assert!(grown["batches"].as_u64().unwrap() <= 7, "{grown}");
    assert_eq!(seed::counts_by_clock(&db).0, 0);

    // A tiny target: every batch overshoots it, so they shrink well below 1,000 rows.
    seed::rows(&db, "again", 3_000, -3600.0);
    let shrunk = purge_json(&db, &["--scan", "index", "--target-batch-time", "1us"]);
    assert_eq!(shrunk["deleted"], 3_000);
    assert!(shrunk["batches"].as_u64().unwrap() >= 8, "{shrunk}");
    assert_eq!(seed::counts_by_clock(&db).0, 0);
}

#[test]
fn wal_compression_is_used_only_where_the_role_may_set_it() {
    let db = seed::fresh();
    let purge = |url: &str, extra: &[&str]| {
        let out = Scsctl::new()
            .arg("-d")
            .arg(url)
            .args(["purge", "-o", "json"])
            .args(extra)
            .run();
        out.success();
        out.json()
    };
    // The suite's admin is a superuser: it may, when the server was built with lz4.
    let allowed = db
        .client()
        .batch_execute("SET wal_compression = lz4")
        .is_ok();
    seed::rows(&db, "a", 300, -3600.0);
    let report = purge(&db.url(), &[]);
    assert_eq!(report["deleted"], 300);
    assert_eq!(report["wal_compression"], allowed, "{report}");
    seed::rows(&db, "b", 300, -3600.0);
    let report = purge(&db.url(), &["--no-wal-compression"]);
    assert_eq!(report["deleted"], 300);
    assert_eq!(report["wal_compression"], false, "{report}");

    // A role without the privilege: the purge goes on without it, in both lock modes.
    let role = format!("purge_plain_{}", random_hex(4));
    db.create_role(&role, "plain-pw");
    db.psql(&format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO {role}"
    ));
    let c = db.cluster();
    let url = format!(
        "postgresql://{role}:plain-pw@{}:{}/{}?sslmode=disable",
        c.host(),
        c.port(),
        db.name
    );
    for mode in ["session", "transaction"] {
        seed::rows(&db, mode, 300, -3600.0);
        let report = purge(&url, &["--lock-mode", mode]);
        assert_eq!(report["deleted"], 300, "{mode}: {report}");
        assert_eq!(report["wal_compression"], false, "{mode}: {report}");
    }
    assert_eq!(seed::counts_by_clock(&db), (0, 0));
}

#[test]
fn block_scan_deletes_only_expired_rows() {
    let db = seed::fresh();
    seed::rows(&db, "old", 6_000, -3600.0);
    seed::rows(&db, "new", 4_000, 3600.0);
    for args in [
        vec!["--scan", "blocks"],
        vec!["--scan", "blocks", "--jobs", "3"],
    ] {
        let out = Scsctl::new()
            .db(&db)
            .args(["purge", "-o", "json"])
            .args(args)
            .run();
        out.success();
        assert_eq!(out.json()["scan"], "blocks");
        assert_eq!(seed::counts_by_clock(&db), (0, 4_000));
        seed::rows(&db, "more", 3_000, -3600.0);
    }
    // auto picks blocks for a backlog this large a share of the table (after ANALYZE).
    db.client().batch_execute("ANALYZE sessions").unwrap();
    let out = Scsctl::new().db(&db).args(["purge", "-o", "json"]).run();
    out.success();
    assert_eq!(out.json()["deleted"], 3_000);
    assert_eq!(out.json()["scan"], "blocks");
    assert_eq!(seed::counts_by_clock(&db), (0, 4_000));
}

#[test]
fn grace_keeps_recently_expired_sessions() {
    let db = seed::fresh();
    seed::rows(&db, "recent", 5, -60.0);
    // Both kinds of batch: the block batch works its cutoff out in a sub-select.
    for scan in ["index", "blocks"] {
        seed::rows(&db, "old", 7, -7200.0);
        let doc = purge_json(&db, &["--grace", "1h", "--scan", scan]);
        assert_eq!(doc["deleted"], 7, "{scan}");
        assert_eq!(doc["scan"], scan);
        assert_eq!(seed::counts_by_clock(&db), (5, 0), "{scan}");
    }
}

#[test]
fn dry_run_counts_and_deletes_nothing() {
    let db = seed::fresh();
    seed::rows(&db, "old", 42, -60.0);
    seed::rows(&db, "new", 3, 60.0);
    let out = Scsctl::new().db(&db).args(["purge", "--dry-run"]).run();
    out.success();
    let text = out.stdout_str();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], "would delete 42 expired sessions");
    assert!(
        lines[1].starts_with("scan of public.sessions: index (")
            && lines[1].ends_with(" pages, fewer than 128)"),
        "{text}"
    );
    let doc = purge_json(&db, &["--dry-run"]);
    assert_eq!(doc["would_delete"], 42);
    assert_eq!(doc["deleted"], 0);
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["tables"][0]["table"], "public.sessions");
    assert_eq!(doc["tables"][0]["scan"], "index");
    assert_eq!(seed::counts_by_clock(&db), (42, 3));
}

#[test]
fn quiet_prints_nothing_on_success() {
    let db = seed::fresh();
    seed::rows(&db, "old", 20, -60.0);
    let out = Scsctl::new().db(&db).args(["-q", "purge"]).run();
    out.success();
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        out.stderr
    );
    assert_eq!(seed::counts_by_clock(&db), (0, 0));
}

#[test]
fn json_summary_has_every_figure() {
    let db = seed::fresh();
    seed::rows(&db, "old", 300, -60.0);
    let doc = purge_json(&db, &["--batch-size", "100"]);
    for key in [
        "deleted",
        "batches",
        "retries",
        "duration_ms",
        "max_batch_ms",
        "dry_run",
        "outcome",
        "scan",
    ] {
        assert!(doc.get(key).is_some(), "{key} missing in {doc}");
    }
    assert_eq!(doc["deleted"], 300);
    assert_eq!(doc["batches"], 4);
    assert_eq!(doc["retries"], 0);
    assert!(doc["max_batch_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(seed::counts_by_clock(&db), (0, 0));
}

#[test]
fn max_duration_stops_cleanly_between_batches() {
    let db = seed::fresh();
    seed::rows(&db, "old", 20_000, -3600.0);
    let doc = purge_json(&db, &["--batch-size", "10", "--max-duration", "300ms"]);
    assert_eq!(doc["outcome"], "time_limit");
    let deleted = doc["deleted"].as_i64().unwrap();
    assert!(deleted > 0 && deleted < 20_000, "{doc}");
    // Whole batches only: what is gone is exactly what was reported.
    assert_eq!(deleted % 10, 0);
    assert_eq!(seed::counts_by_clock(&db), (20_000 - deleted, 0));
}

#[test]
fn vacuum_runs_after_a_large_purge() {
    let db = seed::fresh();
    seed::rows(&db, "old", 500, -60.0);
    let doc = purge_json(&db, &["--vacuum", "--vacuum-threshold", "100"]);
    assert_eq!(doc["vacuumed"], true);
    let vacuumed: Option<std::time::SystemTime> = db
        .client()
        .query_one(
            "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'sessions'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(vacuumed.is_some());
    assert_eq!(seed::counts_by_clock(&db), (0, 0));
}

#[test]
fn another_cleaner_holding_the_lock_is_reported_and_exits_0() {
    let db = seed::fresh();
    seed::rows(&db, "old", 50, -60.0);
    let mut holder = db.client();
    holder.execute(LOCK_SQL, &[]).unwrap();

    let out = Scsctl::new().db(&db).arg("purge").run();
    out.success();
    assert!(out.stderr.contains("another cleaner"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let out = Scsctl::new().db(&db).args(["purge", "-o", "json"]).run();
    out.success();
    assert_eq!(out.json()["outcome"], "another_cleaner");
    assert_eq!(out.json()["deleted"], 0);
    let out = Scsctl::new().db(&db).args(["-q", "purge"]).run();
    out.success();
    assert!(
        out.stderr.is_empty() && out.stdout.is_empty(),
        "{}",
        out.stderr
    );
    // Behind a transaction pooler the lock is per batch, and still excludes.
    let doc = purge_json(&db, &["--lock-mode", "transaction"]);
    assert_eq!(doc["outcome"], "another_cleaner");
    assert_eq!(seed::counts_by_clock(&db), (50, 0));

    drop(holder);
    let doc = purge_json(&db, &["--lock-mode", "transaction"]);
    assert_eq!(doc["deleted"], 50);
    assert_eq!(seed::counts_by_clock(&db), (0, 0));
}

#[test]
fn two_purges_at_once_leave_the_work_to_one_cleaner() {
    let db = seed::fresh();
    seed::rows(&db, "old", 30_000, -3600.0);
    seed::rows(&db, "new", 500, 3600.0);
    // Make them overlap for sure: the first purge's first batch waits at a gate, holding the
    // cleaner lock, while the second one runs.
    install_gate(&db);
    open_gate_for(&db, 0);
    let gate = shut_gate(&db);
    let first = Scsctl::new()
        .db(&db)
        .args(["purge", "--batch-size", "200", "-o", "json"])
        .args(["--lock-timeout", "60s", "--statement-timeout", "60s"])
        .spawn();
    let mut admin = db.client();
    assert!(
        wait_until(Duration::from_secs(30), || {
            seed::scsctl_backends(&mut admin, "wait_event = 'advisory'") == 1
        }),
        "the first purge never reached the gate"
    );
    let second = purge_json(&db, &["--batch-size", "200"]);
    assert_eq!(second["outcome"], "another_cleaner", "{second}");
    assert_eq!(second["deleted"], 0, "{second}");
    drop(gate);
    let out = first.wait_with_output(Duration::from_secs(120));
    out.success();
    let first = out.json();
    assert_eq!(first["outcome"], "completed", "{first}");
    assert_eq!(first["deleted"], 30_000, "{first}");
    assert_eq!(seed::counts_by_clock(&db), (0, 500));
}

#[test]
fn sessions_extended_during_a_purge_survive() {
    let db = seed::fresh();
    // Sessions that expired a moment ago, some of which the app keeps extending.
    seed::rows(&db, "s", 20_000, -30.0);
    seed::rows(&db, "live", 1_000, 3600.0);
    for scan in ["index", "blocks"] {
        let stop = Arc::new(AtomicBool::new(false));
        let extended = std::thread::scope(|s| {
            let app = {
                let stop = stop.clone();
                let mut client = db.client();
                s.spawn(move || {
                    let mut extended = Vec::new();
                    let mut i: i64 = 0;
                    while !stop.load(Ordering::Relaxed) {
                        i = (i + 37) % 20_000;
                        let token = format!("s{}", i + 1);
                        // An app extending a session: a plain UPDATE (if the purge deleted the
                        // row first it finds nothing) and SCS's own upsert.
                        let n = if i % 2 == 0 {
                            client
                                .execute(
                                    "UPDATE sessions SET expiry = current_timestamp + interval '1 hour' \
                                     WHERE token = $1",
                                    &[&token],
                                )
                                .unwrap()
                        } else {
                            client
                                .execute(
                                    "INSERT INTO sessions (token, data, expiry) \
                                     SELECT token, data, current_timestamp + interval '1 hour' \
                                     FROM sessions WHERE token = $1 \
                                     ON CONFLICT (token) DO UPDATE SET expiry = EXCLUDED.expiry",
                                    &[&token],
                                )
                                .unwrap()
                        };
                        if n == 1 {
                            extended.push(token);
                        }
                    }
                    extended
                })
            };
            std::thread::sleep(Duration::from_millis(100));
            let out = Scsctl::new()
                .db(&db)
                .args(["purge", "--scan", scan, "-o", "json"])
                .args(if scan == "blocks" {
                    ["--target-batch-time", "5ms"]
                } else {
                    ["--batch-size", "100"]
                })
                .run();
            stop.store(true, Ordering::Relaxed);
            out.success();
            app.join().unwrap()
        });
        assert!(!extended.is_empty());
        let mut client = db.client();
        for token in &extended {
            let live: Option<bool> = client
                .query_opt(
                    "SELECT expiry > current_timestamp FROM sessions WHERE token = $1",
                    &[token],
                )
                .unwrap()
                .map(|r| r.get(0));
            assert_eq!(
                live,
                Some(true),
                "{scan}: extended session {token} was deleted"
            );
        }
        let (expired, live) = seed::counts_by_clock(&db);
        assert_eq!(expired, 0, "{scan}");
        assert!(live >= 1_000, "{scan}");
        // Put the expired rows back for the second scan kind.
        db.client()
            .execute(
                "UPDATE sessions SET expiry = current_timestamp - interval '30 seconds' \
                 WHERE token LIKE 's%'",
                &[],
            )
            .unwrap();
        db.client()
            .execute(
                "INSERT INTO sessions (token, data, expiry) \
                 SELECT 's' || i, '\\x00', current_timestamp - interval '30 seconds' \
                 FROM generate_series(1, 20000) i ON CONFLICT (token) DO NOTHING",
                &[],
            )
            .unwrap();
    }
}

#[test]
fn sigint_cancels_the_running_batch_and_exits_130() {
    let db = seed::fresh();
    seed::rows(&db, "old", 50_000, -60.0);
    let purge = Scsctl::new()
        .db(&db)
        .args([
            "purge",
            "--scan",
            "index",
            "--batch-size",
            "20",
            "--lock-timeout",
            "60s",
            "-o",
            "json",
        ])
        .spawn();
    assert!(wait_until(
        Duration::from_secs(10),
        || seed::counts_by_clock(&db).0 < 50_000
    ));
    // SHARE mode conflicts with the DELETE's ROW EXCLUSIVE lock: the next batch waits on it.
    let mut locker = db.client();
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute("LOCK TABLE sessions IN SHARE MODE")
        .unwrap();
    let mut watcher = db.client();
    let waiting = wait_until(Duration::from_secs(10), || lock_waiters(&mut watcher) == 1);
    assert!(waiting, "the purge never waited on the table lock");
    let sent = Instant::now();
    purge.interrupt();
    let out = purge.wait_with_output(Duration::from_secs(10));
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
    out.code(130);
    assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["outcome"], "interrupted");
    let deleted = doc["deleted"].as_i64().unwrap();
    assert!(deleted > 0 && deleted % 20 == 0, "{doc}");
    // The statement is gone from the server (cancelled, not left queued behind the lock) …
    let gone = wait_until(Duration::from_secs(10), || {
        seed::scsctl_backends(&mut watcher, "true") == 0
    });
    assert!(gone, "scsctl's statement is still on the server");
    tx.rollback().unwrap();
    // … and the cancelled batch rolled back whole: exactly what was reported is gone.
    assert_eq!(seed::counts_by_clock(&db), (50_000 - deleted, 0));
}

#[test]
fn sigint_while_waiting_to_start_exits_130_with_a_summary() {
    let db = seed::fresh();
    seed::rows(&db, "old", 100, -60.0);
    let (mut locker, purge) = purge_held_at_start(&db, &[]);
    purge.interrupt();
    let out = purge.wait_with_output(Duration::from_secs(10));
    out.code(130);
    assert!(
        out.stdout_str().starts_with("deleted 0 expired sessions"),
        "{}",
        out.stdout_str()
    );
    locker.batch_execute("ROLLBACK").unwrap();
    assert_eq!(seed::counts_by_clock(&db), (100, 0));
}

/// Starts `scsctl purge ARGS` on `db` with its table locked (ACCESS EXCLUSIVE) and returns once
/// the purge waits for that lock, before its first batch. The lock is the returned client's:
/// `ROLLBACK` on it lets the purge go on.
fn purge_held_at_start(db: &TestDb, args: &[&str]) -> (postgres::Client, Running) {
    let mut locker = db.client();
    locker
        .batch_execute("BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let purge = Scsctl::new()
        .db(db)
        .args(["purge", "--lock-timeout", "60s"])
        .args(args)
        .spawn();
    let mut watcher = db.client();
    assert!(
        wait_until(Duration::from_secs(10), || lock_waiters(&mut watcher) == 1),
        "the purge never waited for the table lock"
    );
    (locker, purge)
}

#[test]
fn sigint_while_a_jobs_helper_waits_for_the_server_exits_promptly() {
    let Some(c) = Cluster::try_start_dedicated() else {
        return;
    };
    let db = c.new_database();
    seed::init(&db);
    seed::rows(&db, "old", 100, -60.0);
    let (mut locker, purge) = purge_held_at_start(&db, &["--jobs", "2", "--scan", "blocks"]);
    // The primary connection is made and waits before any batch; its helper is not made yet,
    // and now cannot be (it would give up only after the 10 s connect timeout).
    let frozen = c.freeze_postmaster();
    locker.batch_execute("ROLLBACK").unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let sent = Instant::now();
    purge.interrupt();
    let out = purge.wait_with_output(Duration::from_secs(15));
    let took = sent.elapsed();
    drop(frozen);
    assert!(
        took < Duration::from_secs(2),
        "took {took:?}: {}",
        out.stderr
    );
    // Interrupted before any batch (had the helper been connected, all 100 would be gone).
    out.code(130);
    assert_eq!(seed::counts_by_clock(&db), (100, 0));
}

#[test]
fn transaction_lock_mode_works_behind_pgbouncer_in_transaction_pooling() {
    let db = seed::fresh();
    seed::rows(&db, "old", 500, -60.0);
    seed::rows(&db, "new", 10, 3600.0);
    let c = db.cluster();
    if !c.is_private() {
        crate::support::skip(
            "transaction_lock_mode_works_behind_pgbouncer_in_transaction_pooling",
            "an external server",
        );
        return;
    }
    let Some(bouncer) = PgBouncer::start(c, 2, &[]) else {
        return;
    };
    let url = bouncer.url(c.admin_user(), c.admin_password(), &db.name);
    let purge = |extra: &[&str]| {
        Scsctl::new()
            .arg("--database-url")
            .arg(&url)
            .args(["purge", "--lock-mode", "transaction", "-o", "json"])
            .args(extra.iter().copied())
            .run()
    };
    // Another cleaner, on a direct connection, holds the table: every batch checks for it.
    let mut holder = db.client();
    holder.execute(LOCK_SQL, &[]).unwrap();
    let out = purge(&[]);
    out.success();
    assert_eq!(out.json()["outcome"], "another_cleaner");
    assert_eq!(seed::counts_by_clock(&db), (500, 10));
    drop(holder);

    for extra in [
        &["--batch-size", "100"][..],
        &["--scan", "blocks"][..],
        &[][..],
    ] {
        let out = purge(extra);
        out.success();
        assert_eq!(out.json()["deleted"], 500, "{extra:?}");
        assert_eq!(seed::counts_by_clock(&db), (0, 10));
        seed::rows(&db, "old", 500, -60.0);
    }

    // The daemon through the pooler, too.
    let d = Scsctl::new()
        .arg("--database-url")
        .arg(&url)
        .args([
            "watch-cleanup",
            "--lock-mode",
            "transaction",
            "--interval",
            "300ms",
        ])
        .spawn();
    assert!(
        wait_until(Duration::from_secs(10), || seed::counts_by_clock(&db).0
            == 0),
        "{}",
        d.stderr_so_far()
    );
    d.terminate();
    let out = d.wait_with_output(Duration::from_secs(10));
    out.success();
    assert!(!out.stderr.contains("error"), "{}", out.stderr);
    assert_eq!(seed::counts_by_clock(&db), (0, 10));
}

#[test]
fn json_durations_are_milliseconds_rounded_to_the_microsecond() {
    let db = seed::fresh();
    seed::rows(&db, "old", 300, -60.0);
    let doc = purge_json(&db, &["--batch-size", "100"]);
    for (key, value) in doc.as_object().unwrap() {
        assert!(!key.ends_with("_seconds"), "{key} in {doc}");
        if key.ends_with("_ms") {
            let ms = value.as_f64().unwrap();
            let text = value.to_string();
            let decimals = text.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 3, "{key} = {text}: more than microseconds");
            assert!(ms >= 0.0);
        }
    }
    assert!(doc["duration_ms"].as_f64().unwrap() >= doc["max_batch_ms"].as_f64().unwrap());
}
