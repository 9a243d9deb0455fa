//! Faults under one-shot commands: the server stopped, restarted or killed mid-command, the
//! connection terminated, rows locked by an app, a low `statement_timeout`, no free
//! connection slots. One-shot commands fail with exit 4 (or 1) and a clear message, and nothing
//! half-done is ever visible: a purge batch is all or nothing.
//!
//! To fault a purge at a known point, the tests give the table a statement-level trigger that,
//! from the third DELETE on, waits for an advisory lock the test holds: two batches are
//! committed, the third has deleted its rows but not committed when the fault strikes.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::seed::{self, wait_until};
use crate::support::{Cluster, Scsctl, TestDb, cluster, random_hex, scratch_dir};

/// The advisory lock key the trigger waits for.
const GATE: i64 = 0x5C5_C7E5;

/// Purge's own guards, long enough that a batch waits at the gate until the test strikes
/// (the default lock_timeout of 1 s would roll it back first on a slow machine).
const NO_GUARDS: [&str; 4] = ["--lock-timeout", "60s", "--statement-timeout", "60s"];

/// Installs the gate trigger on `sessions`: a DELETE waits for [`GATE`] once the passes
/// granted by [`open_gate_for`] are used up.
pub(crate) fn install_gate(db: &TestDb) {
    db.psql(&format!(
        "CREATE SEQUENCE gate_passes MINVALUE -1000000;
         CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF nextval('gate_passes') > 0 THEN PERFORM pg_advisory_xact_lock({GATE}); END IF;
           RETURN NULL;
         END $$;
         CREATE TRIGGER gate AFTER DELETE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION gate();"
    ));
}

/// Lets the next `n` DELETE statements through the gate without waiting.
pub(crate) fn open_gate_for(db: &TestDb, n: i64) {
    db.psql(&format!("SELECT setval('gate_passes', {}, false)", 1 - n));
}

/// Holds the gate shut until dropped (an open admin connection holding [`GATE`]).
pub(crate) fn shut_gate(db: &TestDb) -> postgres::Client {
    let mut c = db.client();
    c.execute("SELECT pg_advisory_lock($1)", &[&GATE]).unwrap();
    c
}

/// Waits until a backend of `application_name = 'scsctl'` waits at the gate; returns its pid.
pub(crate) fn wait_at_gate(db: &TestDb, child: &mut Child) -> i32 {
    let mut admin = db.client();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = admin
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'scsctl' \
                 AND datname = current_database() \
                 AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
                &[],
            )
            .unwrap();
        if let Some(row) = row {
            return row.get(0);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("scsctl exited ({status}) before reaching the gate");
        }
        assert!(Instant::now() < deadline, "scsctl never reached the gate");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Ends backend `pid` with `pg_terminate_backend`; false when there was no such backend.
fn terminate(db: &TestDb, pid: i32) -> bool {
    db.client()
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .unwrap()
        .get(0)
}

/// Starts the real scsctl with a cleared environment, stdout and stderr piped (not read).
fn start(args: &[&str]) -> Child {
    let home = scratch_dir().join(format!("faults-home-{}", random_hex(4)));
    std::fs::create_dir_all(&home).unwrap();
    Command::new(env!("CARGO_BIN_EXE_scsctl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", &home)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start scsctl")
}

/// Reads the rest of stdout and stderr and waits (at most 30 s) for the exit code.
fn finish(mut child: Child) -> (i32, Vec<u8>, String) {
    let mut stdout = Vec::new();
    let mut stderr = String::new();
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let _ = out_pipe.read_to_end(&mut stdout);
    stderr.push_str(&reader.join().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code().unwrap_or(-1), stdout, stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("scsctl did not exit; stderr: {stderr}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    /// SIGKILL of the postmaster: no shutdown at all.
    Kill,
    /// Fast shutdown, then start again.
    Restart,
    /// Fast shutdown, left down.
    Stop,
}

fn strike(cluster: &Cluster, fault: Fault) {
    match fault {
        Fault::Kill => cluster.kill_postmaster(),
        Fault::Restart => cluster.restart(),
        Fault::Stop => cluster.stop(),
    }
}

#[test]
fn list_fails_with_exit_4_when_the_server_goes_away_mid_stream() {
    let Some(c) = Cluster::try_start_dedicated() else {
        return;
    };
    let db = c.new_database();
    seed::init(&db);
    seed::old_and_live(&db, 0, 60_000);
    for (fault, format) in [
        (Fault::Kill, "ndjson"),
        (Fault::Restart, "json"),
        (Fault::Stop, "ndjson"),
    ] {
        let url = db.url();
        let mut child = start(&["--database-url", &url, "list", "-o", format]);
        // Read a little, then stop reading: scsctl blocks on a full pipe mid-stream, with the
        // rest of the rows still on the server behind its cursor.
        let mut first = [0u8; 4096];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut first)
            .unwrap();
        strike(&c, fault);
        let (code, rest, stderr) = finish(child);
        assert_eq!(code, 4, "{fault:?}: exit {code}, stderr: {stderr}");
        assert!(
            stderr.starts_with("scsctl: error: ")
                && stderr.contains(": lost the connection to the server"),
            "{fault:?}: {stderr}"
        );
        assert_eq!(stderr.matches("scsctl: error:").count(), 1, "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let mut all = first.to_vec();
        all.extend(rest);
        let text = String::from_utf8(all).unwrap();
        let lines = text.lines().count();
        assert!(lines < 60_000, "{fault:?}: the whole table arrived");
        if format == "ndjson" {
            // What did arrive is whole lines: nothing half-written.
            for line in text.lines() {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|e| panic!("{fault:?}: torn line {line:?}: {e}"));
            }
        } else {
            // A cut JSON array must not look complete to a script.
            assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
        }
        if matches!(fault, Fault::Kill | Fault::Stop) {
            c.start();
        }
        // The server is back: the same command now succeeds.
        let out = Scsctl::new().db(&db).args(["list", "-o", "ndjson"]).run();
        out.success();
        assert_eq!(out.ndjson().len(), 60_000);
    }
}

#[test]
fn a_purge_batch_is_all_or_nothing_when_the_server_dies() {
    let Some(c) = Cluster::try_start_dedicated() else {
        return;
    };
    let db = c.new_database();
    seed::init(&db);
    seed::old_and_live(&db, 1_000, 50);
    install_gate(&db);
    for fault in [Fault::Kill, Fault::Restart] {
        open_gate_for(&db, 2);
        let (before, _) = seed::counts_by_name(&db);
        let gate = shut_gate(&db);
        let url = db.url();
        let mut child = start(&[
            "--database-url",
            &url,
            "purge",
            "--batch-size",
            "100",
            NO_GUARDS[0],
            NO_GUARDS[1],
            NO_GUARDS[2],
            NO_GUARDS[3],
        ]);
        wait_at_gate(&db, &mut child);
        // The third batch has deleted its 100 rows and waits, uncommitted.
        strike(&c, fault);
        drop(gate);
        let (code, _, stderr) = finish(child);
        assert_eq!(code, 4, "{fault:?}: stderr: {stderr}");
        assert!(
            stderr.starts_with("scsctl: error: ")
                && stderr.contains(": lost the connection to the server"),
            "{fault:?}: {stderr}"
        );
        if matches!(fault, Fault::Kill) {
            c.start();
        }
        // The interrupted batch came back whole; live rows are untouched. After a clean
        // shutdown both committed batches are gone. A crash may also take the last commits
        // with it (purge commits asynchronously by design: their rows are still expired and
        // the next pass deletes them), but only whole batches.
        let (left, live) = seed::counts_by_name(&db);
        assert_eq!(live, 50, "{fault:?}");
        assert_eq!(
            (before - left) % 100,
            0,
            "{fault:?}: {left} rows left, a torn batch"
        );
        match fault {
            Fault::Kill => assert!(left >= before - 200 && left <= before, "{left}"),
            _ => assert_eq!(left, before - 200, "{fault:?}"),
        }
    }
    // The cleaner lock died with the connection: the next purge finishes the job.
    db.psql("DROP TRIGGER gate ON sessions");
    let out = Scsctl::new().db(&db).args(["purge", "-q"]).run();
    out.success();
    assert_eq!(seed::counts_by_name(&db), (0, 50));
}

#[test]
fn a_terminated_connection_fails_the_command_and_keeps_the_batch_whole() {
    let db = seed::fresh();
    seed::old_and_live(&db, 500, 20);
    install_gate(&db);
    open_gate_for(&db, 2);
    let gate = shut_gate(&db);
    let mut child = start(&[
        "--database-url",
        &db.url(),
        "purge",
        "--batch-size",
        "100",
        NO_GUARDS[0],
        NO_GUARDS[1],
        NO_GUARDS[2],
        NO_GUARDS[3],
    ]);
    let pid = wait_at_gate(&db, &mut child);
    assert!(terminate(&db, pid), "backend {pid} was already gone");
    drop(gate);
    let (code, _, stderr) = finish(child);
    assert_eq!(code, 4, "stderr: {stderr}");
    // The server's FATAL "terminating connection due to administrator command" usually
    // arrives before the socket closes, but not always.
    assert!(
        stderr.starts_with(
            "scsctl: error: cannot delete expired sessions: lost the connection to the server"
        ),
        "{stderr}"
    );
    assert_eq!(seed::counts_by_name(&db), (300, 20));
    // A delete of named tokens is one statement: terminated, it deletes none of them.
    open_gate_for(&db, 0);
    let gate = shut_gate(&db);
    let mut child = start(&[
        "--database-url",
        &db.url(),
        "delete",
        "live-1",
        "live-2",
        "live-3",
    ]);
    let pid = wait_at_gate(&db, &mut child);
    assert!(terminate(&db, pid), "backend {pid} was already gone");
    drop(gate);
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, 4, "stderr: {stderr}");
    assert!(stdout.is_empty(), "{}", String::from_utf8_lossy(&stdout));
    assert_eq!(seed::counts_by_name(&db), (300, 20));
}

#[test]
fn purge_skips_rows_an_app_holds_locked_and_finishes_the_rest() {
    let db = seed::fresh();
    seed::old_and_live(&db, 500, 10);
    // An app transaction holds row locks on ten expired rows (and on one live row).
    let mut app = db.client();
    let mut tx = app.transaction().unwrap();
    let locked = tx
        .query(
            "SELECT token FROM sessions WHERE token IN \
             ('old-1','old-50','old-100','old-150','old-200','old-250','old-300','old-350','old-400','old-499','live-1') \
             FOR UPDATE",
            &[],
        )
        .unwrap();
    assert_eq!(locked.len(), 11);
    let out = Scsctl::new()
        .db(&db)
        .args(["purge", "--batch-size", "64"])
        .timeout(Duration::from_secs(30))
        .run();
    out.success();
    out.stdout_contains("deleted 490 expired sessions");
    assert_eq!(seed::counts_by_name(&db), (10, 10));
    tx.commit().unwrap();
    let out = Scsctl::new().db(&db).args(["purge"]).run();
    out.success();
    out.stdout_contains("deleted 10 expired sessions");
    assert_eq!(seed::counts_by_name(&db), (0, 10));
}

#[test]
fn a_low_statement_timeout_on_the_role_fails_cleanly_and_changes_nothing() {
    let db = seed::fresh();
    seed::old_and_live(&db, 50, 5);
    let role = format!("faults_to_{}", random_hex(4));
    db.create_role(&role, "timeout-pw");
    db.psql(&format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO {role};
         ALTER ROLE {role} IN DATABASE {} SET statement_timeout = '2s';
         CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
         CREATE TRIGGER slow AFTER DELETE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION slow();",
        db.name
    ));
    let c = cluster();
    let url = format!(
        "postgres://{role}:timeout-pw@{}:{}/{}?sslmode=disable",
        c.host(),
        c.port(),
        db.name
    );
    for args in [
        vec!["delete", "--expired"],
        vec!["delete", "old-1", "old-2", "live-1"],
    ] {
        let out = Scsctl::new().arg("-d").arg(&url).args(&args).run();
        out.code(1);
        out.stderr_contains("canceling statement due to statement timeout (SQLSTATE 57014)");
        assert!(out.stdout.is_empty(), "{}", out.stdout_str());
        assert_eq!(seed::counts_by_name(&db), (50, 5), "{args:?}");
    }
    // Reading is not slowed by the trigger and works under the same role.
    Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args(["get", "live-1"])
        .run()
        .success();
    let out = Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args(["list", "--state", "all", "-o", "ndjson"])
        .run();
    out.success();
    assert_eq!(out.ndjson().len(), 55);
}

#[test]
fn a_server_out_of_connection_slots_is_exit_4_and_changes_nothing() {
    let Some(c) = Cluster::try_start_dedicated_with(
        "max_connections = 6\nsuperuser_reserved_connections = 3\n",
    ) else {
        return;
    };
    let db = c.new_database();
    seed::init(&db);
    seed::old_and_live(&db, 5, 5);
    let role = format!("faults_slots_{}", random_hex(4));
    db.create_role(&role, "slots-pw");
    db.psql(&format!("GRANT ALL ON sessions TO {role}"));
    let url = format!(
        "postgres://{role}:slots-pw@{}:{}/{}?sslmode=disable",
        c.host(),
        c.port(),
        db.name
    );
    // Take every slot a non-superuser may have.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(postgres::Client::connect(&url, postgres::NoTls).unwrap());
    }
    for args in [vec!["purge"], vec!["delete", "--expired"], vec!["stats"]] {
        let out = Scsctl::new().arg("-d").arg(&url).args(&args).run();
        out.code(4);
        // A non-superuser is refused once only the superuser-reserved slots are left.
        out.stderr_contains(
            "remaining connection slots are reserved for non-replication superuser connections (SQLSTATE 53300)",
        );
        out.not_contains("slots-pw");
    }
    assert_eq!(seed::counts_by_name(&db), (5, 5));
    // A slot frees up: the same command now works, once the server has ended the dropped
    // connection's backend (and this test's own counting one), which it does a moment later.
    held.pop();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = Scsctl::new()
            .arg("-d")
            .arg(&url)
            .args(["purge", "-q"])
            .run();
        if out.code == 0 {
            break;
        }
        out.code(4).stderr_contains("SQLSTATE 53300");
        assert!(Instant::now() < deadline, "no slot came free");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(seed::counts_by_name(&db), (0, 5));
}

#[test]
fn watch_cleanup_survives_a_killed_postmaster_mid_batch_and_a_long_outage() {
    let Some(c) = Cluster::try_start_dedicated() else {
        return;
    };
    let db = c.new_database();
    seed::init(&db);
    seed::old_and_live(&db, 500, 10);
    install_gate(&db);
    open_gate_for(&db, 2);
    let gate = shut_gate(&db);
    let daemon = Scsctl::new()
        .db(&db)
        .args([
            "watch-cleanup",
            "--interval",
            "300ms",
            "--jitter",
            "0",
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
        wait_until(Duration::from_secs(30), || {
            seed::scsctl_backends(
                &mut admin,
                "wait_event_type = 'Lock' AND wait_event = 'advisory'",
            ) == 1
        }),
        "the daemon never reached the gate: {}",
        daemon.stderr_so_far()
    );
    // Two batches committed, the third deleted but waiting: kill the server under it.
    c.kill_postmaster();
    drop(gate);
    drop(admin);
    // Down for a while: the daemon logs each failed attempt and keeps trying.
    assert!(
        wait_until(Duration::from_secs(30), || daemon
            .stderr_so_far()
            .matches("retrying in")
            .count()
            >= 3),
        "{}",
        daemon.stderr_so_far()
    );
    assert!(daemon.is_running(), "{}", daemon.stderr_so_far());
    // Held still while the server comes back and the rows are counted: the gate died with
    // the server, so the daemon's next attempt would delete everything.
    daemon.signal(libc::SIGSTOP);
    c.start();
    let (left, live) = seed::counts_by_name(&db);
    daemon.signal(libc::SIGCONT);
    assert_eq!(live, 10);
    // At most the two committed batches are gone: batches commit asynchronously, so a crash
    // may bring rows of committed ones back too, but whole batches only, never a torn one.
    assert_eq!((500 - left) % 100, 0, "a torn batch: {left} rows left");
    assert!(left >= 300, "{left}");
    db.psql("DROP TRIGGER gate ON sessions");
    assert!(
        wait_until(Duration::from_secs(30), || seed::counts_by_name(&db)
            == (0, 10)),
        "the daemon did not carry on: {}",
        daemon.stderr_so_far()
    );
    assert!(daemon.stderr_so_far().contains("reconnected"));
    daemon.terminate();
    let out = daemon.wait_with_output(Duration::from_secs(10));
    out.success();
    out.not_contains(c.admin_password());
    assert_eq!(seed::counts_by_name(&db), (0, 10));
}
