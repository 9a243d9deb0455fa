//! Outgrowing one server: a primary with a streaming hot standby (a second private cluster
//! made with `pg_basebackup -R`). A multi-host URL finds the primary; reads can be sent to
//! the standby; writes sent there fail cleanly, `migrate hash-tokens` included, whose dry run
//! works there.

use std::time::{Duration, Instant};

use crate::seed;
use crate::support::{Cluster, Scsctl, TestDb};

/// Waits until `standby` has replayed everything `primary` has written so far.
fn wait_for_replay(primary: &Cluster, standby: &Cluster, db: &str) {
    let lsn: String = primary
        .client(db)
        .query_one("SELECT pg_current_wal_lsn()::text", &[])
        .unwrap()
        .get(0);
    let mut standby = standby.client(db);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let caught_up: bool = standby
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                &[&lsn],
            )
            .unwrap()
            .get(0);
        if caught_up {
            return;
        }
        assert!(Instant::now() < deadline, "the standby never caught up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An admin URL with several hosts (`host:port` each), in the order given.
fn multi_host(hosts: &[&Cluster], db: &TestDb, attrs: &str) -> String {
    let c = hosts[0];
    let list: Vec<String> = hosts
        .iter()
        .map(|h| format!("{}:{}", h.host(), h.port()))
        .collect();
    format!(
        "postgres://{}:{}@{}/{}?sslmode=disable&target_session_attrs={attrs}",
        c.admin_user(),
        c.admin_password(),
        list.join(","),
        db.name
    )
}

fn exists_on(cluster: &Cluster, db: &TestDb, token: &str) -> bool {
    cluster
        .client(&db.name)
        .query_one("SELECT count(*) FROM sessions WHERE token = $1", &[&token])
        .unwrap()
        .get::<_, i64>(0)
        == 1
}

#[test]
fn multi_host_urls_find_the_primary_and_reads_work_on_a_standby() {
    let Some(primary) = Cluster::try_start_dedicated() else {
        return;
    };
    let db = primary.new_database();
    seed::init(&db);
    seed::row(&db, "live", b"\x01", 3600);
    seed::row(&db, "old", b"\x02", -3600);
    // A table of SCS-shaped tokens, for `migrate hash-tokens`.
    db.psql(&format!(
        "CREATE TABLE raw (LIKE sessions INCLUDING ALL); \
         INSERT INTO raw SELECT {}, '\\x01', now() + interval '1 hour' \
         FROM generate_series(1, 20) i",
        scsctl::store::hash_sql("'raw-' || i")
    ));
    let standby = primary.start_standby();
    wait_for_replay(&primary, &standby, &db.name);
    let in_recovery: bool = standby
        .client(&db.name)
        .query_one("SELECT pg_is_in_recovery()", &[])
        .unwrap()
        .get(0);
    assert!(in_recovery, "the second cluster is not a standby");

    // Standby first: read-write skips it and every writing command reaches the primary.
    let rw = multi_host(&[&standby, &primary], &db, "read-write");
    let run = |url: &str, args: &[&str]| {
        Scsctl::new()
            .arg("-d")
            .arg(url)
            .args(args)
            .stdin(b"data".to_vec())
            .run()
    };
    run(
        &rw,
        &["put", "new", "--ttl", "1h", "--raw", "--data-file", "-"],
    )
    .success();
    assert!(exists_on(&primary, &db, "new"));
    run(&rw, &["delete", "live"]).success();
    assert!(!exists_on(&primary, &db, "live"));
    let out = run(&rw, &["purge"]);
    out.success();
    out.stdout_contains("deleted 1 expired session in");
    run(&rw, &["init-schema"]).success();
    run(&rw, &["get", "new"]).success();

    // With any, the first host (the standby) answers: a write fails with the server's reason
    // and exit 1, reads work.
    let any = multi_host(&[&standby, &primary], &db, "any");
    wait_for_replay(&primary, &standby, &db.name);
    for args in [
        vec!["put", "other", "--ttl", "1h", "--raw", "--data-file", "-"],
        vec!["delete", "new"],
        vec!["delete", "--expired"],
    ] {
        let out = run(&any, &args);
        out.code(1);
        out.stderr_contains("read-only transaction (SQLSTATE 25006)");
    }
    assert!(exists_on(&primary, &db, "new") && !exists_on(&primary, &db, "other"));
    for args in [
        vec!["-t", "raw", "migrate", "hash-tokens"],
        vec!["-t", "raw", "migrate", "hash-tokens", "--copy"],
    ] {
        let out = run(&any, &args);
        out.code(1);
        out.stderr_contains("read-only transaction (SQLSTATE 25006)");
    }
    let raw_left: i64 = primary
        .client(&db.name)
        .query_one(
            &format!(
                "SELECT count(*) FROM raw WHERE token = {}",
                scsctl::store::hash_sql("'raw-' || 1")
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(raw_left, 1, "the standby's refusal changed the primary");

    // read-only picks the standby even when the primary is listed first. Pause replay and
    // write on the primary: only the standby lacks the new row, so the answers tell which
    // server was read.
    standby
        .client(&db.name)
        .batch_execute("SELECT pg_wal_replay_pause()")
        .unwrap();
    seed::row(&db, "only-on-primary", b"\x03", 3600);
    let ro = multi_host(&[&primary, &standby], &db, "read-only");
    run(&ro, &["get", "only-on-primary"]).code(3);
    run(&rw, &["get", "only-on-primary"]).success();
    let out = run(&ro, &["list", "-o", "ndjson"]);
    out.success();
    let tokens: Vec<String> = out
        .ndjson()
        .iter()
        .map(|v| v["token"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens, ["new"]);
    let out = run(&ro, &["stats", "-o", "json"]);
    out.success();
    assert_eq!(out.json()["live"], 1);
    let out = run(&rw, &["stats", "-o", "json"]);
    assert_eq!(out.json()["live"], 2);
    // Pointed straight at the standby, the read-only commands work too.
    let direct = standby.url(&db.name);
    run(&direct, &["get", "new"]).success();
    run(&direct, &["list", "--state", "all"]).success();
    run(&direct, &["stats"]).success();
    // A dry run only reads: on the standby it says what the primary would change.
    let out = run(
        &direct,
        &["-t", "raw", "migrate", "hash-tokens", "--dry-run"],
    );
    out.success();
    out.stdout_contains("would hash 20 tokens of table \"raw\"");
    standby
        .client(&db.name)
        .batch_execute("SELECT pg_wal_replay_resume()")
        .unwrap();

    // The primary gone, read-write has nowhere to go: exit 4, naming each host's reason.
    primary.stop();
    let out = run(
        &rw,
        &["put", "x", "--ttl", "1h", "--raw", "--data-file", "-"],
    );
    out.code(4);
    out.stderr_contains(&format!("{}:{}", standby.host(), standby.port()));
    out.stderr_contains(&format!("{}:{}", primary.host(), primary.port()));
    out.not_contains(primary.admin_password());
    // ... while reads still work against the standby.
    run(&any, &["get", "new"]).success();
}
