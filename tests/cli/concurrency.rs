//! Racing writers and a person at a terminal: concurrent `put --merge` on one token lose no
//! update even when every one of them has read before any writes, and `delete --where` on a
//! terminal asks before removing more than a few sessions.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::seed;
use crate::support::{Scsctl, TestDb, open_pty, readable, scratch_dir};

/// Waits until `n` backends of scsctl wait for a lock (`wait_event_type = 'Lock'`).
fn wait_for_waiters(db: &TestDb, n: i64) {
    let mut admin = db.client();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting = seed::lock_waiters(&mut admin);
        if waiting >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {waiting} of {n} merges waited"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn values(db: &TestDb, token: &str) -> serde_json::Map<String, serde_json::Value> {
    let out = Scsctl::new()
        .db(db)
        .args(["get", "-o", "json", "--", token])
        .run();
    out.success();
    out.json()["values"].as_object().unwrap().clone()
}

/// Starts `n` merges of `token`, the i-th setting `k<i>` to i.
fn start_merges(db: &TestDb, token: &str, n: usize) -> Vec<std::thread::JoinHandle<()>> {
    (0..n)
        .map(|i| {
            let url = db.url();
            let token = token.to_owned();
            std::thread::spawn(move || {
                Scsctl::new()
                    .args(["--database-url", &url, "put", "--ttl", "1h", "--merge"])
                    .arg("--set")
                    .arg(format!("k{i}:int={i}"))
                    .args(["--", &token])
                    .run()
                    .success();
            })
        })
        .collect()
}

#[test]
fn merges_that_all_read_before_any_writes_lose_nothing() {
    let db = seed::fresh();
    Scsctl::new()
        .db(&db)
        .args(["put", "shared", "--ttl", "1h", "--set", "base=kept"])
        .run()
        .success();
    // An app holds the row: all eight merges queue up behind it at once.
    let mut app = db.client();
    let mut tx = app.transaction().unwrap();
    tx.execute(
        "SELECT 1 FROM sessions WHERE token = 'shared' FOR UPDATE",
        &[],
    )
    .unwrap();
    let merges = start_merges(&db, "shared", 8);
    wait_for_waiters(&db, 8);
    tx.commit().unwrap();
    for m in merges {
        m.join().unwrap();
    }
    let v = values(&db, "shared");
    assert_eq!(v.len(), 9, "{v:?}");
    assert_eq!(v["base"]["value"], "kept");
    for i in 0..8 {
        assert_eq!(v[&format!("k{i}")]["value"], i, "{v:?}");
    }
}

#[test]
fn merges_that_all_create_the_same_session_lose_nothing() {
    let db = seed::fresh();
    // Every merge finds no row, then waits at this gate before inserting one.
    db.psql(
        "CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_advisory_xact_lock_shared(7007); RETURN NULL; END $$;
         CREATE TRIGGER gate BEFORE INSERT ON sessions FOR EACH STATEMENT EXECUTE FUNCTION gate();",
    );
    let mut holder = db.client();
    holder
        .execute("SELECT pg_advisory_lock(7007)", &[])
        .unwrap();
    let merges = start_merges(&db, "fresh", 6);
    wait_for_waiters(&db, 6);
    holder
        .execute("SELECT pg_advisory_unlock(7007)", &[])
        .unwrap();
    for m in merges {
        m.join().unwrap();
    }
    let v = values(&db, "fresh");
    assert_eq!(v.len(), 6, "{v:?}");
    assert_eq!(seed::count(&db), 1);
}

/// Puts `n` sessions `{prefix}0…` for an hour, each with `--set set`.
fn put_sessions(db: &TestDb, prefix: &str, n: usize, set: &str) {
    for i in 0..n {
        Scsctl::new()
            .db(db)
            .args(["put", &format!("{prefix}{i}"), "--ttl", "1h", "--set", set])
            .run()
            .success();
    }
}

/// Runs scsctl with stdin, stdout and stderr on a new pseudo-terminal, typing `input` once
/// `prompt` has appeared (Ctrl-D when `input` is None, as a person ending the input). Returns
/// the exit code and everything shown.
fn run_on_terminal(db: &TestDb, args: &[&str], prompt: &str, input: Option<&str>) -> (i32, String) {
    run_on_terminal_with(db, args, prompt, input, || {})
}

/// [`run_on_terminal`], running `meanwhile` while the question is on the screen.
fn run_on_terminal_with(
    db: &TestDb,
    args: &[&str],
    prompt: &str,
    input: Option<&str>,
    meanwhile: impl FnOnce(),
) -> (i32, String) {
    let mut meanwhile = Some(meanwhile);
    let (mut master, slave) = open_pty();
    let home_dir = tempfile::tempdir_in(scratch_dir()).unwrap();
    let home = home_dir.path();
    let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().unwrap());
    let mut child = Command::new(env!("CARGO_BIN_EXE_scsctl"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", home)
        .arg("--database-url")
        .arg(db.url())
        .args(args)
        .stdin(stdio(&slave))
        .stdout(stdio(&slave))
        .stderr(stdio(&slave))
        .spawn()
        .unwrap();
    // The slave stays open here until the end: a master whose slave has closed may report EIO
    // before the child's last words have reached it, and they would be lost. Once the child
    // has exited, a second with nothing new to read ends the run (the kernel moves terminal
    // output on a worker thread, which a busy machine may run late).
    let mut shown = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut answered = false;
    let mut quiet_since_exit: Option<Instant> = None;
    loop {
        if readable(&master, Duration::from_millis(20)) {
            let n = master.read(&mut buf).unwrap();
            shown.extend_from_slice(&buf[..n]);
            quiet_since_exit = None;
        } else if let Some(since) = quiet_since_exit {
            if since.elapsed() > Duration::from_secs(1) {
                break;
            }
        } else if child.try_wait().unwrap().is_some() {
            quiet_since_exit = Some(Instant::now());
        }
        if !answered && String::from_utf8_lossy(&shown).contains(prompt) {
            answered = true;
            if let Some(f) = meanwhile.take() {
                f();
            }
            match input {
                Some(text) => master.write_all(text.as_bytes()).unwrap(),
                // End of file on a terminal: the VEOF character at the start of a line.
                None => master.write_all(&[4]).unwrap(),
            }
        }
        assert!(Instant::now() < deadline, "scsctl did not finish");
    }
    drop(slave);
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&shown).into_owned())
}

#[test]
fn delete_where_asks_on_a_terminal_before_removing_many() {
    let db = seed::fresh();
    put_sessions(&db, "s", 12, "plan=free");
    let prompt = "delete 12 sessions matching plan=free? [y/N]";
    for (answer, expect) in [
        (Some("n\n"), "not confirmed; nothing was deleted"),
        (Some("\n"), "not confirmed; nothing was deleted"),
        (Some("yes please\n"), "not confirmed; nothing was deleted"),
        (None, "not confirmed; nothing was deleted"),
    ] {
        let (code, shown) =
            run_on_terminal(&db, &["delete", "--where", "plan=free"], prompt, answer);
        assert_eq!(code, 2, "{answer:?}: {shown}");
        assert!(shown.contains(prompt), "{shown}");
        assert!(shown.contains(expect), "{answer:?}: {shown}");
        assert_eq!(seed::count(&db), 12, "{answer:?}");
    }
    // Ten or fewer go without a question.
    Scsctl::new()
        .db(&db)
        .args(["delete", "s0", "s1"])
        .run()
        .success();
    let (code, shown) = run_on_terminal(&db, &["delete", "--where", "plan=free"], "never", None);
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("[y/N]"), "{shown}");
    assert!(shown.contains("deleted 10 sessions"), "{shown}");
    assert_eq!(seed::count(&db), 0);
    // --yes skips the question.
    Scsctl::new()
        .db(&db)
        .args(["put", "u0", "--ttl", "1h", "--set", "plan=pro"])
        .run()
        .success();
    for i in 1..12 {
        Scsctl::new()
            .db(&db)
            .args(["put", &format!("u{i}"), "--ttl", "1h", "--set", "plan=pro"])
            .run()
            .success();
    }
    let (code, shown) = run_on_terminal(
        &db,
        &["delete", "--where", "plan=pro", "--yes"],
        "never",
        None,
    );
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("[y/N]"), "{shown}");
    assert_eq!(seed::count(&db), 0);
    put_sessions(&db, "t", 12, "plan=pro");
    let (code, shown) = run_on_terminal(
        &db,
        &["delete", "--where", "plan=pro"],
        "[y/N]",
        Some("y\n"),
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("deleted 12 sessions"), "{shown}");
    assert_eq!(seed::count(&db), 0);
}

#[test]
fn delete_where_keeps_a_session_that_changed_while_the_question_was_asked() {
    let db = seed::fresh();
    put_sessions(&db, "s", 12, "plan=free");
    let (code, shown) = run_on_terminal_with(
        &db,
        &["delete", "--where", "plan=free"],
        "[y/N]",
        Some("y\n"),
        || {
            // The user upgrades while the operator reads the question.
            Scsctl::new()
                .db(&db)
                .args(["put", "s3", "--ttl", "1h", "--merge", "--set", "plan=pro"])
                .run()
                .success();
        },
    );
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("deleted 11 sessions"), "{shown}");
    assert!(
        shown.contains("1 of 12 matching sessions changed or went away before the delete"),
        "{shown}"
    );
    assert_eq!(seed::count(&db), 1);
    assert_eq!(values(&db, "s3")["plan"]["value"], "pro");
}
