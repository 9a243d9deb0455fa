//! `scsctl watch-cleanup`: passes every interval, log lines and metrics, surviving server
//! restarts and killed connections, one active cleaner with takeover, and a clean exit on
//! SIGTERM even in the middle of a batch. Each test checks rows in the database.

use std::time::{Duration, Instant};

use crate::seed::{self, init, lock_waiters, wait_until};
use crate::support::{Cluster, Running, Scsctl, TestDb, skip};

/// How long a stopped daemon may take to exit before the test fails.
const EXIT: Duration = Duration::from_secs(10);

fn daemon(db: &TestDb, extra: &[&str]) -> Running {
    Scsctl::new()
        .db(db)
        .args(["watch-cleanup", "--interval", "300ms", "--jitter", "0"])
        .args(extra.iter().copied())
        .spawn()
}

/// Waits until the daemon's stderr contains `needle`.
fn wait_for_log(d: &Running, needle: &str, timeout: Duration) -> bool {
    d.wait_for_stderr(needle, timeout)
}

fn purged_within(db: &TestDb, timeout: Duration) -> bool {
    wait_until(timeout, || seed::counts_by_clock(db).0 == 0)
}

#[test]
fn passes_every_interval_with_log_lines_and_metrics() {
    let db = seed::fresh();
    seed::rows(&db, "old", 300, -60.0);
    seed::rows(&db, "new", 7, 3600.0);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let metrics = dir.join("scsctl.prom");
    let d = daemon(
        &db,
        &[
            "--log-format",
            "json",
            "--metrics-file",
            metrics.to_str().unwrap(),
        ],
    );
    assert!(purged_within(&db, Duration::from_secs(10)));
    // Later passes catch what expires later.
    seed::rows(&db, "later", 40, -1.0);
    assert!(purged_within(&db, Duration::from_secs(10)));
    assert!(wait_for_log(
        &d,
        "\"event\":\"pass\"",
        Duration::from_secs(5)
    ));
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        text.contains("scsctl_cleanup_active{table=\"sessions\"} 1"),
        "{text}"
    );
    d.terminate();
    let out = d.wait_with_output(EXIT);
    out.success();
    assert_eq!(seed::counts_by_clock(&db), (0, 7));

    let mut deleted = 0;
    let mut passes = 0;
    for line in out.stderr.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        let time = v["time"].as_str().unwrap();
        assert!(humantime::parse_rfc3339(time).is_ok(), "{time}");
        if v["event"] == "pass" {
            passes += 1;
            deleted += v["deleted"].as_u64().unwrap();
            assert!(v["duration_ms"].is_number());
        }
    }
    assert_eq!(deleted, 340);
    assert!(passes >= 2, "{}", out.stderr);

    let text = std::fs::read_to_string(&metrics).unwrap();
    for name in [
        "rows_deleted_total",
        "passes_total",
        "failures_total",
        "last_success_timestamp_seconds",
        "active",
    ] {
        assert!(
            text.contains(&format!("# HELP scsctl_cleanup_{name} ")),
            "{text}"
        );
        assert!(
            text.contains(&format!("# TYPE scsctl_cleanup_{name} ")),
            "{text}"
        );
    }
    assert!(
        text.contains("scsctl_cleanup_rows_deleted_total{table=\"sessions\"} 340"),
        "{text}"
    );
    assert!(
        text.contains("scsctl_cleanup_active{table=\"sessions\"} 0"),
        "{text}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary files left behind");
}

#[test]
fn text_log_lines_start_with_an_rfc3339_time() {
    let db = seed::fresh();
    seed::rows(&db, "old", 25, -60.0);
    let d = daemon(&db, &[]);
    assert!(purged_within(&db, Duration::from_secs(10)));
    assert!(wait_for_log(&d, "deleted 25 rows", Duration::from_secs(5)));
    d.terminate();
    let out = d.wait_with_output(EXIT);
    out.success();
    for line in out.stderr.lines() {
        let time = line.split(' ').next().unwrap();
        assert!(humantime::parse_rfc3339(time).is_ok(), "{line}");
    }
}

#[test]
fn sigterm_during_a_blocked_batch_exits_0_promptly() {
    let db = seed::fresh();
    let d = daemon(&db, &["--lock-timeout", "60s"]);
    assert!(wait_for_log(&d, "pass:", Duration::from_secs(10)));
    // An ACCESS EXCLUSIVE lock held by an open transaction that also adds expired rows: the
    // next batch waits on the lock.
    let mut locker = db.client();
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    tx.execute(
        "INSERT INTO sessions SELECT 'old' || i, '\\x00', current_timestamp - interval '1 minute' \
         FROM generate_series(1, 100) i",
        &[],
    )
    .unwrap();
    let mut watcher = db.client();
    let waiting = wait_until(Duration::from_secs(10), || lock_waiters(&mut watcher) == 1);
    assert!(waiting, "no batch waited on the lock");
    let sent = Instant::now();
    d.terminate();
    let out = d.wait_with_output(EXIT);
    let took = sent.elapsed();
    out.success();
    // The promise is one second; the margin is for a busy machine, and still far from the
    // 60 s the batch would wait if the statement were not cancelled.
    assert!(took < Duration::from_secs(3), "exit took {took:?}");
    // The statement was cancelled on the server, not left waiting behind the lock (whose
    // holder is still open: a waiting statement would stay). A backend ends a moment after
    // its client: give it that moment.
    let gone = wait_until(Duration::from_secs(10), || {
        seed::scsctl_backends(&mut watcher, "true") == 0
    });
    assert!(gone, "scsctl's statement is still on the server");
    // The daemon is gone: the expired rows committed now stay.
    tx.commit().unwrap();
    assert_eq!(seed::counts_by_clock(&db), (100, 0));
}

#[test]
fn survives_pg_terminate_backend() {
    let db = seed::fresh();
    let d = daemon(&db, &[]);
    assert!(wait_for_log(&d, "pass:", Duration::from_secs(10)));
    let killed: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'scsctl' AND datname = current_database()) t",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    seed::rows(&db, "old", 60, -60.0);
    assert!(
        purged_within(&db, Duration::from_secs(15)),
        "{}",
        d.stderr_so_far()
    );
    assert!(wait_for_log(&d, "reconnected", Duration::from_secs(5)));
    d.terminate();
    let out = d.wait_with_output(EXIT);
    out.success();
    assert!(
        out.stderr.contains("lost the connection to the server"),
        "{}",
        out.stderr
    );
}

#[test]
fn survives_a_server_restart() {
    let Some(cluster) = Cluster::try_start_dedicated() else {
        skip(
            "survives_a_server_restart",
            "no dedicated cluster with an external server",
        );
        return;
    };
    let db = cluster.new_database();
    init(&db);
    let d = daemon(&db, &[]);
    assert!(wait_for_log(&d, "pass:", Duration::from_secs(10)));
    cluster.stop();
    std::thread::sleep(Duration::from_millis(1500));
    cluster.start();
    seed::rows(&db, "old", 80, -60.0);
    assert!(
        purged_within(&db, Duration::from_secs(20)),
        "{}",
        d.stderr_so_far()
    );
    assert!(wait_for_log(&d, "reconnected", Duration::from_secs(5)));
    d.terminate();
    let out = d.wait_with_output(EXIT);
    out.success();
    assert!(
        out.stderr.contains("retrying in"),
        "no failure was logged: {}",
        out.stderr
    );
    assert_eq!(seed::counts_by_clock(&db), (0, 0));
}

#[test]
fn one_active_cleaner_and_takeover_after_sigkill() {
    let db = seed::fresh();
    let a = daemon(&db, &[]);
    assert!(wait_for_log(&a, "active cleaner", Duration::from_secs(10)));
    let b = daemon(&db, &[]);
    assert!(wait_for_log(&b, "standing by", Duration::from_secs(10)));
    seed::rows(&db, "first", 50, -60.0);
    assert!(purged_within(&db, Duration::from_secs(10)));
    assert!(!b.stderr_so_far().contains("active cleaner"));

    a.kill();
    a.wait_with_output(EXIT);
    seed::rows(&db, "second", 70, -60.0);
    assert!(
        purged_within(&db, Duration::from_secs(10)),
        "{}",
        b.stderr_so_far()
    );
    assert!(wait_for_log(&b, "active cleaner", Duration::from_secs(5)));
    b.terminate();
    let out = b.wait_with_output(EXIT);
    out.success();
    assert_eq!(seed::counts_by_clock(&db), (0, 0));
}

#[test]
fn a_standby_names_the_holder_once_and_does_not_claim_a_lock_it_never_held() {
    let db = seed::fresh();
    let a = daemon(&db, &[]);
    assert!(wait_for_log(&a, "active cleaner", Duration::from_secs(10)));
    let b = daemon(&db, &[]);
    assert!(wait_for_log(&b, "standing by", Duration::from_secs(10)));
    // The interval is 300 ms: a standby checks every 150 ms, and would have said so a dozen
    // times by now; it says it once, naming who holds the lock.
    std::thread::sleep(Duration::from_secs(2));
    b.terminate();
    let out = b.wait_with_output(EXIT);
    out.success();
    let standby: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("standing by"))
        .collect();
    assert_eq!(standby.len(), 1, "{}", out.stderr);
    assert!(
        standby[0].contains("another cleaner (scsctl on 127.0.0.1, pid "),
        "{}",
        standby[0]
    );
    assert!(out.stderr.contains("stopping"), "{}", out.stderr);
    assert!(!out.stderr.contains("lock released"), "{}", out.stderr);
    a.terminate();
    let out = a.wait_with_output(EXIT);
    out.success();
    assert!(
        out.stderr.contains("stopping: lock released"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_missing_or_wrong_table_fails_at_startup() {
    let db = cluster_db();
    for (table, says) in [
        ("nosuch", "does not exist"),
        ("wrong", "column expiry is timestamp;"),
    ] {
        let out = Scsctl::new()
            .db(&db)
            .args(["--table", table, "watch-cleanup", "--interval", "1s"])
            .timeout(Duration::from_secs(20))
            .run();
        out.code(1).stderr_contains(says);
    }
}

fn cluster_db() -> TestDb {
    let db = crate::support::cluster().new_database();
    db.client()
        .batch_execute(
            "CREATE TABLE wrong (token text PRIMARY KEY, data bytea NOT NULL, expiry timestamp NOT NULL)",
        )
        .unwrap();
    db
}
