//! Go as the app on the real table: the Go peer (`tests/go-peer`, `go-peer db ...`) runs
//! postgresstore's own statements through its standard-library PostgreSQL client, and what it
//! commits, finds, deletes and cleans up must agree with what scsctl lists, gets, puts and
//! purges, on the partitioned table, the plain table, and with hashed tokens.
//!
//! Every test skips (with a note) when `go` is not installed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::codec::go_peer;
use crate::support::{Output, Scsctl, TestDb, cluster, random_hex, skip};

/// The Go peer's store on one database: `go-peer db CONN [--table T] [--hash-tokens] OP ...`.
struct Go {
    peer: &'static Path,
    conn: String,
    flags: Vec<String>,
}

impl Go {
    /// `None` when `go` is not installed (go_peer prints the note), or when the server wants
    /// TLS, which the Go peer's client does not speak (an external `SCSCTL_TEST_DATABASE_URL`).
    fn on(db: &TestDb) -> Option<Go> {
        let peer = go_peer()?;
        let conn = db.url();
        if ["require", "verify-ca", "verify-full"]
            .iter()
            .any(|m| conn.contains(&format!("sslmode={m}")))
        {
            skip("go_store", "the Go peer's PostgreSQL client has no TLS");
            return None;
        }
        Some(Go {
            peer,
            conn,
            flags: Vec::new(),
        })
    }

    fn hashed(mut self) -> Go {
        self.flags.push("--hash-tokens".into());
        self
    }

    fn cmd(&self, op: &[&str]) -> Scsctl {
        Scsctl::command(self.peer)
            .arg("db")
            .arg(&self.conn)
            .args(&self.flags)
            .args(op)
    }

    fn run(&self, op: &[&str]) -> Output {
        self.cmd(op).run()
    }

    /// Commits each `(token, ttl_seconds, values)` in one Go process, one Commit each.
    fn commit_all(&self, sessions: &[(String, i64, Json)]) {
        let lines: String = sessions
            .iter()
            .map(|(t, ttl, v)| {
                format!("{}\n", json!({"token": t, "ttl_seconds": ttl, "values": v}))
            })
            .collect();
        self.cmd(&["commit-batch"]).stdin(lines).run().success();
    }

    /// Go's view (`token`, `deadline`, `values`) of live sessions by token; Go exits 3 when one
    /// is missing.
    fn find(&self, tokens: &[&str]) -> BTreeMap<String, Json> {
        let out = self.run(&[&["find"], tokens].concat());
        out.success();
        by_token(out.ndjson())
    }

    fn all(&self) -> BTreeMap<String, Json> {
        let out = self.run(&["all"]);
        out.success();
        by_token(out.ndjson())
    }

    /// The count Go prints (delete, cleanup).
    fn count(&self, op: &[&str]) -> i64 {
        let out = self.run(op);
        out.success();
        out.stdout_str().trim().parse().expect("a count")
    }
}

fn by_token(rows: Vec<Json>) -> BTreeMap<String, Json> {
    rows.into_iter()
        .map(|r| (r["token"].as_str().expect("token").to_owned(), r))
        .collect()
}

fn scsctl(db: &TestDb, args: &[&str]) -> Output {
    Scsctl::new().db(db).args(args).run()
}

/// `scsctl list -o ndjson --values --state STATE` by token.
fn scsctl_list(db: &TestDb, state: &str) -> BTreeMap<String, Json> {
    let out = scsctl(db, &["list", "-o", "ndjson", "--values", "--state", state]);
    out.success();
    by_token(out.ndjson())
}

/// The values an app would store for user `i`, as Go is given them.
fn app_values(i: usize) -> Json {
    json!({
        "userID": i,
        "email": format!("user{i}@example.com"),
        "admin": i.is_multiple_of(7),
        "score": i as f64 + 0.25,
    })
}

/// What Go and scsctl both show for [`app_values`]: Go's types for JSON numbers are int and
/// float64.
fn app_view(i: usize) -> Json {
    json!({
        "userID": {"type": "int", "value": i},
        "email": {"type": "string", "value": format!("user{i}@example.com")},
        "admin": {"type": "bool", "value": i.is_multiple_of(7)},
        "score": {"type": "float64", "value": i as f64 + 0.25},
    })
}

/// The same session seen by Go and by scsctl: same values, same deadline.
#[track_caller]
fn agree(go: &Json, ours: &Json, what: &str) {
    assert_eq!(go["values"], ours["values"], "{what}: values differ");
    assert_eq!(
        go["deadline"], ours["deadline"],
        "{what}: deadlines differ\nGo: {go}\nscsctl: {ours}"
    );
}

/// Everything an app does through postgresstore, checked against scsctl, on the table that
/// `scsctl init-schema INIT_ARGS` made.
fn app_and_scsctl_agree(init_args: &[&str]) {
    let db = cluster().new_database();
    let Some(go) = Go::on(&db) else { return };
    let started = Instant::now();
    scsctl(&db, &[&["init-schema"], init_args].concat()).success();
    let leaves: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'sessions'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    let partitioned = init_args.contains(&"--partitions");
    assert_eq!(leaves, if partitioned { 8 } else { 0 });

    // 200 sessions committed by Go (inserts); every fifth one expired an hour ago.
    let token = |i: usize| format!("go-{i:03}-{}", random_hex(8));
    let sessions: Vec<(String, i64, Json)> = (0..200)
        .map(|i| {
            (
                token(i),
                if i.is_multiple_of(5) { -3600 } else { 3600 },
                app_values(i),
            )
        })
        .collect();
    go.commit_all(&sessions);
    let tables: i64 = db
        .client()
        .query_one("SELECT count(DISTINCT tableoid) FROM sessions", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        tables,
        if partitioned { 8 } else { 1 },
        "rows in every leaf"
    );

    // scsctl lists exactly Go's live sessions with Go's values, and the expired ones apart.
    let listed = scsctl_list(&db, "live");
    let mut want: Vec<&String> = sessions
        .iter()
        .filter(|(_, ttl, _)| *ttl > 0)
        .map(|(t, _, _)| t)
        .collect();
    want.sort();
    assert_eq!(listed.keys().collect::<Vec<_>>(), want);
    for (i, (t, ttl, _)) in sessions.iter().enumerate() {
        if *ttl > 0 {
            assert_eq!(listed[t]["values"], app_view(i), "{t}");
            assert_eq!(listed[t]["codec"], "gob", "{t}");
        }
    }
    assert_eq!(scsctl_list(&db, "expired").len(), 40);

    // Go's All agrees with scsctl's list row for row; Find sees live sessions only.
    let all = go.all();
    assert_eq!(all.len(), 160);
    for (t, row) in &all {
        agree(row, &listed[t], t);
    }
    let (live0, dead0) = (&sessions[1].0, &sessions[0].0);
    assert_eq!(go.find(&[live0])[live0]["values"], app_view(1));
    go.run(&["find", dead0]).code(3);
    go.run(&["find", live0, dead0]).code(3);

    // scsctl get shows Go's session; an expired one is still there for scsctl, as expired.
    let got = scsctl(&db, &["get", "-o", "json", "--", live0]);
    got.success();
    agree(&go.find(&[live0])[live0], &got.json(), "get");
    let got = scsctl(&db, &["get", "-o", "json", "--", dead0]);
    got.success();
    assert_eq!(got.json()["state"], "expired");
    assert_eq!(got.json()["values"], app_view(0));

    // Commit as update: new values and a later expiry for a live session, and an expired one
    // brought back to life (ON CONFLICT updates expiry too); no new rows.
    let updated = json!({"userID": 1, "step": "checkout", "cart": 3});
    go.run(&["commit", live0, "7200", &updated.to_string()])
        .success();
    go.run(&["commit", dead0, "600", r#"{"revived": true}"#])
        .success();
    let got = scsctl(&db, &["get", "-o", "json", "--", live0]).json();
    assert_eq!(
        got["values"],
        json!({
            "userID": {"type": "int", "value": 1},
            "step": {"type": "string", "value": "checkout"},
            "cart": {"type": "int", "value": 3},
        })
    );
    // Go's expiry is its deadline (to the microsecond the column keeps).
    let same: bool = db
        .client()
        .query_one(
            "SELECT abs(extract(epoch FROM $1::text::timestamptz - expiry)) <= 0.000001 \
             FROM sessions WHERE token = $2",
            &[&got["deadline"].as_str().expect("deadline"), live0],
        )
        .unwrap()
        .get(0);
    assert!(same, "expiry is not the deadline: {got}");
    agree(&go.find(&[live0])[live0], &got, "updated");
    assert_eq!(
        go.find(&[dead0])[dead0]["values"],
        json!({"revived": {"type": "bool", "value": true}})
    );
    assert_eq!(scsctl_list(&db, "all").len(), 200);

    // A session scsctl puts is one Go finds, with the types an app reads back.
    let put = scsctl(
        &db,
        &[
            "put",
            "made-by-scsctl",
            "--ttl",
            "1h",
            "--set",
            "userID:int=77",
            "--set",
            "email=user77@example.com",
            "--set",
            "admin:bool=true",
            "--set",
            "score:float64=77.25",
        ],
    );
    put.success();
    let found = go.find(&["made-by-scsctl"]);
    assert_eq!(found["made-by-scsctl"]["values"], app_view(77));
    agree(
        &found["made-by-scsctl"],
        &scsctl(&db, &["get", "-o", "json", "made-by-scsctl"]).json(),
        "put",
    );

    // Delete: Go's is seen by scsctl, and a second one deletes nothing.
    let gone = &sessions[2].0;
    assert_eq!(go.count(&["delete", gone]), 1);
    assert_eq!(go.count(&["delete", gone]), 0);
    scsctl(&db, &["get", "--", gone]).code(3);
    go.run(&["find", gone]).code(3);

    // Go's cleanup deletes the 39 expired rows and nothing else.
    let live_before = scsctl_list(&db, "live");
    assert_eq!(live_before.len(), 161);
    assert_eq!(go.count(&["cleanup"]), 39);
    assert_eq!(scsctl_list(&db, "expired").len(), 0);
    assert_eq!(scsctl_list(&db, "live"), live_before);
    assert_eq!(go.count(&["cleanup"]), 0);

    // scsctl purge after Go commits more: it deletes only the expired ones, and Go finds
    // every live session afterwards.
    let more: Vec<(String, i64, Json)> = (200..300)
        .map(|i| {
            (
                token(i),
                if i.is_multiple_of(2) { -60 } else { 3600 },
                app_values(i),
            )
        })
        .collect();
    go.commit_all(&more);
    let purge = scsctl(&db, &["purge", "-o", "json"]);
    purge.success();
    assert_eq!(purge.json()["deleted"], 50, "{}", purge.json());
    let live_after = scsctl_list(&db, "live");
    assert_eq!(live_after.len(), 211);
    assert_eq!(scsctl_list(&db, "expired").len(), 0);
    let tokens: Vec<&str> = live_after.keys().map(String::as_str).collect();
    let found = go.find(&tokens);
    assert_eq!(found.len(), 211);
    for (i, (t, _, _)) in more.iter().enumerate() {
        if i % 2 == 1 {
            assert_eq!(found[t]["values"], app_view(200 + i), "{t}");
        }
    }
    for (t, row) in &found {
        agree(row, &live_after[t], t);
    }
    assert_eq!(go.all(), found);
    eprintln!(
        "go_store: init-schema {init_args:?}: {:.1?}",
        started.elapsed()
    );
}

#[test]
fn app_and_scsctl_agree_on_the_partitioned_table() {
    app_and_scsctl_agree(&["--partitions", "8"]);
}

#[test]
fn app_and_scsctl_agree_on_the_plain_table() {
    app_and_scsctl_agree(&[]);
}

#[test]
fn hashed_tokens_meet_in_the_middle() {
    let db = cluster().new_database();
    let Some(go) = Go::on(&db) else { return };
    let go = go.hashed();
    scsctl(&db, &["init-schema"]).success();

    // A cookie token as SCS makes them; Go stores its hash, scsctl --hashed-tokens finds it.
    let cookie = "Vq3R_8xwO3nG1c2n-2p3mZkYl5tW0aB6cD7eF8gH9iJ";
    go.run(&[
        "commit",
        cookie,
        "3600",
        r#"{"userID": 5, "theme": "dark"}"#,
    ])
    .success();
    let got = scsctl(&db, &["--hashed-tokens", "get", "-o", "json", "--", cookie]);
    got.success();
    let go_view = go.find(&[cookie]);
    agree(&go_view[cookie], &got.json(), "hashed");
    assert_eq!(
        go_view[cookie]["values"],
        json!({
            "userID": {"type": "int", "value": 5},
            "theme": {"type": "string", "value": "dark"},
        })
    );
    // The row holds the hash (scsctl's and Go's agree on it), never the cookie.
    scsctl(&db, &["get", "--", cookie]).code(3);
    let stored: Vec<String> = go.all().into_keys().collect();
    assert_eq!(stored, [scsctl::token::hash(cookie)]);
    assert_eq!(stored[0].len(), 43);

    // scsctl --hashed-tokens put --new-token prints the cookie; Go with the hash option finds
    // it, Go without it does not.
    let put = scsctl(
        &db,
        &[
            "--hashed-tokens",
            "put",
            "--new-token",
            "--ttl",
            "1h",
            "--set",
            "userID:int=6",
        ],
    );
    put.success();
    let raw = put.stdout_str().trim().to_owned();
    assert_eq!(raw.len(), 43, "{raw}");
    assert_eq!(
        go.find(&[&raw])[&raw]["values"],
        json!({"userID": {"type": "int", "value": 6}})
    );
    let plain = Go::on(&db).expect("go");
    plain.run(&["find", &raw]).code(3);
    assert!(plain.all().contains_key(&scsctl::token::hash(&raw)));

    // Go's Delete with the hash option removes what scsctl sees.
    assert_eq!(go.count(&["delete", cookie]), 1);
    scsctl(&db, &["--hashed-tokens", "get", "--", cookie]).code(3);
    assert_eq!(scsctl_list(&db, "all").len(), 1);
}

#[test]
fn go_client_connects_every_way_and_reports_server_errors() {
    let db = cluster().new_database();
    let Some(go) = Go::on(&db) else { return };
    scsctl(&db, &["init-schema"]).success();
    let mut conns = vec![db.url(), db.conninfo()];
    conns.extend(db.cluster().socket_conninfo(&db.name));
    assert!(
        conns.len() == 3 || !db.cluster().is_private(),
        "a private cluster has a socket"
    );
    for (n, conn) in conns.iter().enumerate() {
        let go = Go {
            conn: conn.clone(),
            ..Go::on(&db).expect("go")
        };
        let t = format!("conn-{n}");
        go.run(&["commit", &t, "60", &format!(r#"{{"n": {n}}}"#)])
            .success()
            .not_contains(db.cluster().admin_password());
        assert_eq!(go.find(&[&t])[&t]["values"]["n"]["value"], n, "{conn}");
    }
    assert_eq!(go.all().len(), conns.len());

    // A wrong password: the server's error, with its SQLSTATE, and exit 1.
    let wrong = db
        .url()
        .replace(db.cluster().admin_password(), "pw-not-the-password");
    let out = Go {
        conn: wrong,
        ..Go::on(&db).expect("go")
    }
    .run(&["all"]);
    out.code(1).stderr_contains("28P01");
    // A table that is not there: the statement's error.
    let out = Go {
        flags: vec!["--table".into(), "nope".into()],
        ..Go::on(&db).expect("go")
    }
    .run(&["all"]);
    out.code(1).stderr_contains("42P01");
    // Values an app would not store from JSON are refused, and nothing is written.
    let out = go.run(&["commit", "bad", "60", r#"{"nested": {"no": 1}}"#]);
    out.code(1)
        .stderr_contains("only strings, numbers and bools");
    go.run(&["find", "bad"]).code(3);
    // Usage errors exit 2 without connecting.
    go.run(&["frobnicate"]).code(2).stderr_contains("usage:");
    go.run(&["commit", "too-few"]).code(2);
}

#[test]
fn go_store_uses_the_table_it_is_given() {
    let db = cluster().new_database();
    let Some(go) = Go::on(&db) else { return };
    scsctl(&db, &["-t", "app.web_sessions", "init-schema"]).success();
    let go = Go {
        flags: vec!["--table".into(), "app.web_sessions".into()],
        ..go
    };
    go.run(&["commit", "t1", "3600", r#"{"a": "b"}"#]).success();
    go.run(&["commit", "t2", "-5", r#"{"a": "c"}"#]).success();
    let got = Scsctl::new()
        .db(&db)
        .args(["-t", "app.web_sessions", "get", "-o", "json", "t1"])
        .run();
    got.success();
    assert_eq!(got.json()["values"]["a"]["value"], "b");
    assert_eq!(go.count(&["cleanup"]), 1);
    assert_eq!(go.all().len(), 1);
}

#[test]
fn go_peer_unit_tests_pass() {
    if go_peer().is_none() {
        return;
    }
    let started = Instant::now();
    let out = std::process::Command::new("go")
        .args(["test", "."])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/go-peer"))
        .output()
        .expect("run go test");
    assert!(
        out.status.success(),
        "go test failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(120));
}
