//! Every subcommand through PgBouncer in transaction pooling mode, where a named prepared
//! statement left on a server connection breaks the next client that prepares the same name,
//! and a session-level advisory lock stays with a server connection rather than the client.

use std::time::Duration;

use crate::faults::{install_gate, open_gate_for, shut_gate};
use crate::seed::{self, wait_until};
use crate::support::{PgBouncer, Scsctl, TestDb, cluster, random_hex};

/// Leaves named prepared statements `s0`…`s19` on each of the pool's `pool_size` server
/// connections, as clients using named statements do behind a transaction pooler (rust-postgres
/// names them `s0`, `s1`, … in every process): a client that prepares one of those names again
/// there fails with "prepared statement "s0" already exists". SQL `PREPARE` shares the
/// protocol's namespace, so the names are exact.
pub(crate) fn poison_pool(url: &str, pool_size: usize) -> Vec<postgres::Client> {
    let mut clients: Vec<postgres::Client> = (0..pool_size)
        .map(|_| postgres::Client::connect(url, postgres::NoTls).unwrap())
        .collect();
    let prepare: String = (0..20)
        .map(|i| format!("PREPARE s{i} AS SELECT {i};"))
        .collect();
    // Open transactions pin distinct server connections.
    let mut txs: Vec<_> = clients
        .iter_mut()
        .map(|c| c.transaction().unwrap())
        .collect();
    for tx in &mut txs {
        tx.batch_execute(&prepare).unwrap();
    }
    for tx in txs {
        tx.commit().unwrap();
    }
    clients
}

pub(crate) fn through(bouncer: &PgBouncer, db: &TestDb) -> String {
    let c = cluster();
    bouncer.url(c.admin_user(), c.admin_password(), &db.name)
}

/// What a client of the pool sees of the server connection it gets: the guards a batch sets,
/// and the advisory locks held in the database. Anything a run left on a server connection
/// shows up here for the next client.
pub(crate) fn settings(client: &mut postgres::Client) -> Vec<String> {
    client
        .simple_query(
            "SELECT current_setting('lock_timeout') || ' ' || current_setting('statement_timeout') \
             || ' ' || current_setting('synchronous_commit') || ' ' || \
             (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
        )
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .collect()
}

#[test]
fn every_subcommand_works_through_pgbouncer_in_transaction_mode() {
    let c = cluster();
    let db = c.new_database();
    let Some(bouncer) = PgBouncer::start(c, 2, &[]) else {
        return;
    };
    let url = through(&bouncer, &db);
    let _poison = poison_pool(&url, 2);
    let run = |args: &[&str]| {
        Scsctl::new()
            .arg("-d")
            .arg(&url)
            .args(args)
            .stdin(b"raw data".to_vec())
            .run()
    };
    run(&["init-schema"]).success();
    run(&["init-schema", "-o", "json"]).success();
    seed::row(&db, "old", b"x", -3600);
    let out = run(&["put", "--new-token", "--ttl", "1h"]);
    out.success();
    let token = out.stdout_str().trim_end().to_owned();
    run(&["put", "raw", "--ttl", "1h", "--raw", "--data-file", "-"]).success();
    run(&[
        "put", &token, "--ttl", "2h", "--merge", "--set", "user=ann", "--set", "n:int=7",
    ])
    .success();
    let out = run(&["get", &token, "-o", "json"]);
    out.success();
    let v = out.json();
    assert_eq!(v["values"]["user"]["value"], "ann");
    assert_eq!(v["values"]["n"]["value"], 7);
    run(&["get", "--raw", "raw"])
        .success()
        .stdout_contains("raw data");
    run(&["get", "nobody"]).code(3);
    for format in ["table", "json", "ndjson"] {
        run(&["list", "--state", "all", "-o", format]).success();
    }
    let out = run(&["list", "--values", "--where", "user=ann", "-o", "ndjson"]);
    out.success();
    assert_eq!(out.ndjson().len(), 1);
    run(&["stats"]).success();
    assert_eq!(run(&["stats", "-o", "json"]).json()["expired"], 1);
    run(&["delete", "--expired", "--dry-run"]).success();
    // Behind a transaction pooler the cleaner's lock is taken per batch (--lock-mode
    // transaction); the default session lock needs a real session.
    let out = run(&["purge", "--lock-mode", "transaction"]);
    out.success();
    out.stdout_contains("deleted 1 expired session in");
    assert!(!seed::exists(&db, "old"));
    run(&["delete", "--where", "user=ann", "--yes"]).success();
    assert!(!seed::exists(&db, &token));
    Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args(["delete", "-"])
        .stdin(b"raw\nmissing\n".to_vec())
        .run()
        .code(3)
        .stderr_contains("1 of 2 tokens had no session");
    assert_eq!(seed::count(&db), 0);
    let log = std::fs::read_to_string(bouncer.log()).unwrap_or_default();
    assert!(!log.contains("already exists"), "{log}");
}

#[test]
fn concurrent_clients_through_pgbouncer_never_collide() {
    let c = cluster();
    let db = c.new_database();
    seed::init(&db);
    let Some(bouncer) = PgBouncer::start(c, 2, &[]) else {
        return;
    };
    let url = through(&bouncer, &db);
    let _poison = poison_pool(&url, 2);
    std::thread::scope(|s| {
        for worker in 0..4 {
            let url = &url;
            s.spawn(move || {
                for i in 0..8 {
                    let token = format!("w{worker}-{i}");
                    for args in [
                        vec!["put", &token, "--ttl", "1h", "--set", "k=v"],
                        vec!["get", &token],
                        vec!["list", "--limit", "5"],
                        vec!["put", &token, "--ttl", "1h", "--merge", "--set", "j=w"],
                    ] {
                        Scsctl::new()
                            .arg("-d")
                            .arg(url)
                            .args(&args)
                            .timeout(Duration::from_secs(60))
                            .run()
                            .success();
                    }
                }
            });
        }
    });
    assert_eq!(seed::count(&db), 32);
    // Every merge kept the value set before it.
    let out = Scsctl::new()
        .db(&db)
        .args([
            "list", "--values", "--where", "k=v", "--where", "j=w", "-o", "ndjson",
        ])
        .run();
    out.success();
    assert_eq!(out.ndjson().len(), 32);
}

#[test]
fn a_role_authenticates_through_pgbouncer_with_scram() {
    let c = cluster();
    let db = c.new_database();
    seed::init(&db);
    let role = format!("bouncer_{}", random_hex(4));
    let password = format!("bouncer-{}", random_hex(8));
    db.create_role(&role, &password);
    db.psql(&format!("GRANT SELECT ON sessions TO {role}"));
    let Some(bouncer) = PgBouncer::start(c, 1, &[(&role, &password)]) else {
        return;
    };
    Scsctl::new()
        .arg("-d")
        .arg(bouncer.url(&role, &password, &db.name))
        .arg("stats")
        .run()
        .success();
    let out = Scsctl::new()
        .arg("-d")
        .arg(bouncer.url(&role, "wrong-password", &db.name))
        .arg("stats")
        .run();
    out.code(4);
    out.not_contains(&password);
    // Through the pooler the server's own errors still arrive: no DELETE right, exit 1.
    let out = Scsctl::new()
        .arg("-d")
        .arg(bouncer.url(&role, &password, &db.name))
        .args(["delete", "--expired"])
        .run();
    out.code(1);
    out.stderr_contains("permission denied");
}

#[test]
fn purge_and_watch_cleanup_through_pgbouncer_with_transaction_locks() {
    let c = cluster();
    let db = c.new_database();
    seed::init(&db);
    seed::old_and_live(&db, 300, 10);
    let Some(bouncer) = PgBouncer::start(c, 2, &[]) else {
        return;
    };
    let url = through(&bouncer, &db);
    let _poison = poison_pool(&url, 2);
    let out = Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args(["purge", "--lock-mode", "transaction", "--batch-size", "50"])
        .run();
    out.success();
    out.stdout_contains("deleted 300 expired sessions");
    assert_eq!(seed::counts_by_name(&db), (0, 10));
    // The daemon: passes through the pooler, then a clean exit on SIGTERM.
    seed::old_and_live(&db, 120, 0);
    let daemon = Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args([
            "watch-cleanup",
            "--interval",
            "300ms",
            "--jitter",
            "0",
            "--lock-mode",
            "transaction",
        ])
        .spawn();
    assert!(
        wait_until(Duration::from_secs(20), || seed::counts_by_name(&db).0 == 0),
        "{}",
        daemon.stderr_so_far()
    );
    seed::old_and_live(&db, 40, 0);
    assert!(
        wait_until(Duration::from_secs(20), || seed::counts_by_name(&db).0 == 0),
        "{}",
        daemon.stderr_so_far()
    );
    daemon.terminate();
    let out = daemon.wait_with_output(Duration::from_secs(10));
    out.success();
    assert!(!out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(seed::counts_by_name(&db), (0, 10));
}

#[test]
fn one_cleaner_at_a_time_through_pgbouncer() {
    let c = cluster();
    let db = c.new_database();
    seed::init(&db);
    seed::old_and_live(&db, 500, 10);
    install_gate(&db);
    open_gate_for(&db, 0);
    let Some(bouncer) = PgBouncer::start(c, 3, &[]) else {
        return;
    };
    let url = through(&bouncer, &db);
    let _poison = poison_pool(&url, 3);
    // Cleaner A's first batch takes the table's lock, deletes its rows and waits at the gate,
    // uncommitted.
    let gate = shut_gate(&db);
    let a = Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args([
            "purge",
            "--lock-mode",
            "transaction",
            "--batch-size",
            "100",
            "--lock-timeout",
            "60s",
            "--statement-timeout",
            "60s",
        ])
        .spawn();
    let mut admin = db.client();
    assert!(
        wait_until(Duration::from_secs(20), || {
            admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
                    &[],
                )
                .unwrap()
                .get::<_, i64>(0)
                == 1
        }),
        "cleaner A never reached the gate: {}",
        a.stderr_so_far()
    );
    // Meanwhile cleaner B, through the same pooler, finds the table taken and deletes nothing.
    for json in [false, true] {
        let mut args = vec!["purge", "--lock-mode", "transaction"];
        if json {
            args.extend(["-o", "json"]);
        }
        let out = Scsctl::new().arg("-d").arg(&url).args(&args).run();
        out.success();
        if json {
            let report = out.json();
            assert_eq!(report["outcome"], "another_cleaner", "{report}");
            assert_eq!(report["deleted"], 0, "{report}");
        } else {
            out.stderr_contains("another cleaner is purging table \"sessions\"");
        }
        assert_eq!(seed::counts_by_name(&db), (500, 10), "{args:?}");
    }
    drop(gate);
    let out = a.wait_with_output(Duration::from_secs(60));
    out.success();
    assert_eq!(seed::counts_by_name(&db), (0, 10));
}

#[test]
fn the_default_purge_works_through_pgbouncer_run_after_run_and_leaves_nothing_behind() {
    let c = cluster();
    let db = c.new_database();
    seed::init(&db);
    let Some(bouncer) = PgBouncer::start(c, 2, &[]) else {
        return;
    };
    let url = through(&bouncer, &db);
    let _poison = poison_pool(&url, 2);
    // Another client of the pool, interleaved with the purges: it would see any setting or lock
    // a purge left on a server connection.
    let mut other = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let clean = settings(&mut other);
    for run in 0..6 {
        seed::old_and_live(&db, 200, 0);
        let args: &[&str] = match run % 3 {
            0 => &["purge", "-o", "json"],
            1 => &["purge", "-o", "json", "--scan", "blocks"],
            _ => &["purge", "-o", "json", "--batch-size", "30"],
        };
        let out = Scsctl::new().arg("-d").arg(&url).args(args).run();
        out.success();
        assert_eq!(
            out.json()["deleted"],
            200,
            "run {run}: {}",
            out.stdout_str()
        );
        assert_eq!(seed::counts_by_name(&db).0, 0, "run {run}");
        for _ in 0..4 {
            assert_eq!(settings(&mut other), clean, "run {run} left state behind");
        }
    }
    // The daemon too, run twice, with a direct client writing in between.
    for _ in 0..2 {
        seed::old_and_live(&db, 100, 0);
        let daemon = Scsctl::new()
            .arg("-d")
            .arg(&url)
            .args(["watch-cleanup", "--interval", "300ms"])
            .spawn();
        assert!(
            wait_until(Duration::from_secs(20), || seed::counts_by_name(&db).0 == 0),
            "{}",
            daemon.stderr_so_far()
        );
        daemon.terminate();
        let out = daemon.wait_with_output(Duration::from_secs(10));
        out.success();
        assert!(!out.stderr.contains("error"), "{}", out.stderr);
        assert_eq!(settings(&mut other), clean);
    }
}
