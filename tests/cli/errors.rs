//! Bad input and failures: a clear message, the right exit code, nothing changed, and never the
//! password.

use crate::seed;
use crate::support::{Scsctl, cluster};

#[test]
fn wrong_password_exits_4_without_the_password() {
    let db = cluster().new_database();
    let secret = "Sup3r-Secret-Pa55word";
    let url = format!(
        "postgres://{}:{secret}@{}:{}/{}?sslmode=disable",
        cluster().admin_user(),
        cluster().host(),
        cluster().port(),
        db.name
    );
    for args in [
        vec!["get", "x"],
        vec!["-v", "list"],
        vec!["purge"],
        vec!["stats"],
    ] {
        let out = Scsctl::new()
            .arg("--database-url")
            .arg(&url)
            .args(args)
            .run();
        out.code(4);
        assert!(out.stderr.contains("scsctl: error:"), "{}", out.stderr);
        assert!(
            out.stderr.contains("password authentication failed"),
            "{}",
            out.stderr
        );
        let all = format!("{}{}", out.stdout_str(), out.stderr);
        assert!(!all.contains(secret), "password leaked: {all}");
    }
    let real = cluster().admin_password();
    let out = Scsctl::new().db(&db).args(["-v", "stats"]).run();
    // Connected and authenticated: whatever stats says next, it is not a connection failure.
    assert_ne!(out.code, 4, "{}", out.stderr);
    let all = format!("{}{}", out.stdout_str(), out.stderr);
    assert!(
        !all.contains(real),
        "password leaked in verbose output: {all}"
    );
}

#[test]
fn unknown_database_and_closed_port_exit_4() {
    let c = cluster();
    let url = format!(
        "postgres://{}:{}@{}:{}/no_such_db?sslmode=disable",
        c.admin_user(),
        c.admin_password(),
        c.host(),
        c.port()
    );
    let out = Scsctl::new().arg("-d").arg(&url).arg("stats").run();
    out.code(4);
    assert!(out.stderr.contains("no_such_db"), "{}", out.stderr);
    let out = Scsctl::new()
        .args([
            "-d",
            "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2",
            "stats",
        ])
        .run();
    out.code(4);
}

#[test]
fn malformed_urls_are_usage_errors() {
    for url in [
        "postgres://[::1",
        "host=localhost port=notaport",
        "nokey",
        "host=x bogus_key=1",
    ] {
        let out = Scsctl::new().args(["-d", url, "stats"]).run();
        out.code(2);
        assert!(
            out.stderr.contains("scsctl: error:"),
            "{url}: {}",
            out.stderr
        );
    }
}

#[test]
fn missing_table_says_how_to_create_it() {
    let db = cluster().new_database();
    for args in [
        vec!["get", "x"],
        vec!["list"],
        vec!["delete", "x"],
        vec!["stats"],
        vec!["purge"],
    ] {
        let out = Scsctl::new().db(&db).args(&args).run();
        out.code(1);
        assert!(
            out.stderr
                .contains("table \"sessions\" does not exist — run: scsctl init-schema"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = Scsctl::new()
        .db(&db)
        .args(["-t", "app.s", "get", "x"])
        .run();
    out.code(1);
    assert!(
        out.stderr.contains("init-schema --table 'app.s'"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_role_without_delete_fails_and_deletes_nothing() {
    let db = seed::fresh();
    seed::row(&db, "a", b"x", 600);
    let role = format!("ro_{}", db.name);
    db.create_role(&role, "ro-pw");
    db.client()
        .batch_execute(&format!("GRANT SELECT ON sessions TO {role}"))
        .unwrap();
    let c = cluster();
    let url = format!(
        "postgres://{role}:ro-pw@{}:{}/{}?sslmode=disable",
        c.host(),
        c.port(),
        db.name
    );
    let out = Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args(["delete", "a"])
        .run();
    out.code(1);
    assert!(out.stderr.contains("permission denied"), "{}", out.stderr);
    assert!(seed::exists(&db, "a"));
    Scsctl::new()
        .arg("-d")
        .arg(&url)
        .args(["get", "a"])
        .run()
        .success();
}

#[test]
fn bad_flags_and_table_names_are_usage_errors() {
    let db = seed::fresh();
    Scsctl::new()
        .db(&db)
        .args(["list", "--limit", "many"])
        .run()
        .code(2);
    Scsctl::new()
        .db(&db)
        .args(["-t", "a.b.c", "list"])
        .run()
        .code(2);
    Scsctl::new()
        .db(&db)
        .args(["purge", "--grace", "30"])
        .run()
        .code(2);
    Scsctl::new().db(&db).args(["frobnicate"]).run().code(2);
}

#[test]
fn help_and_version_succeed() {
    let out = Scsctl::new().arg("--help").run();
    out.success();
    assert!(out.stdout_str().contains("init-schema"));
    let out = Scsctl::new().arg("--version").run();
    out.success();
    assert!(out.stdout_str().starts_with("scsctl "));
}

/// The first line of stderr, which must be the one `scsctl: error:` line.
#[track_caller]
fn error_line(out: &crate::support::Output) -> String {
    let first = out
        .stderr
        .lines()
        .find(|l| !l.starts_with("scsctl: warning: "))
        .unwrap_or_default()
        .to_owned();
    assert!(first.starts_with("scsctl: error: "), "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("scsctl: error:").count(),
        1,
        "one error line: {}",
        out.stderr
    );
    first
}

/// The JSON error object `-o json` puts on stdout.
#[track_caller]
fn json_error(out: &crate::support::Output, code: i32) -> serde_json::Value {
    let v = out.json();
    assert_eq!(v["exit_code"], code, "{v}");
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    v
}

#[test]
fn usage_errors_begin_scsctl_error_and_keep_clap_usage() {
    // Missing argument, unknown flag, bad value: clap's errors, in scsctl's words.
    for (args, words) in [
        (
            vec!["get"],
            "the following required arguments were not provided: <TOKEN>",
        ),
        (
            vec!["list", "--bogus"],
            "unexpected argument '--bogus' found",
        ),
        (
            vec!["list", "--state", "dead"],
            "invalid value 'dead' for '--state <STATE>'",
        ),
    ] {
        let out = Scsctl::new().args(&args).run();
        out.code(2);
        let line = error_line(&out);
        assert!(line.contains(words), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("\nerror:"), "{}", out.stderr);
        out.stderr_contains("For more information, try '--help'.");
        assert!(out.stdout.is_empty());
        // With -o json, also a JSON object on stdout.
        let out = Scsctl::new().args(&args).args(["-o", "json"]).run();
        out.code(2);
        let v = json_error(&out, 2);
        assert!(v["error"].as_str().unwrap().contains(words), "{v}");
    }
    // DATABASE_URL (or any option) from the environment does not show as required.
    let out = Scsctl::new()
        .env("DATABASE_URL", "postgres://app@db/app")
        .env("SCSCTL_TABLE", "app.sessions")
        .arg("get")
        .run();
    out.code(2);
    let usage = out
        .stderr
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap();
    assert_eq!(usage, "Usage: scsctl get <TOKEN>", "{}", out.stderr);
    // SCSCTL_OUTPUT=json asks for JSON too.
    let out = Scsctl::new()
        .env("SCSCTL_OUTPUT", "ndjson")
        .arg("get")
        .run();
    json_error(&out, 2);
}

#[test]
fn messages_say_each_thing_once() {
    let out = Scsctl::new()
        .args(["put", "t", "--ttl", "1h", "--set", "x"])
        .run();
    out.code(2);
    assert_eq!(
        error_line(&out),
        "scsctl: error: --set \"x\": expected KEY[:TYPE]=VALUE"
    );
    let out = Scsctl::new().args(["list", "--where", "novalue"]).run();
    out.code(2);
    assert_eq!(out.stderr.matches("--where").count(), 1, "{}", out.stderr);
    for ttl in ["5 parsecs", "30", "-5m"] {
        let out = Scsctl::new().args(["put", "t", "--ttl", ttl]).run();
        out.code(2);
        let line = error_line(&out);
        assert_eq!(line.matches("units").count(), 1, "{line}");
        assert_eq!(line.matches(" ms,").count(), 1, "{line}");
    }
    // init-schema lists an incompatible table's problems once, and fails.
    let db = cluster().new_database();
    db.psql("CREATE TABLE sessions (token TEXT PRIMARY KEY, data TEXT NOT NULL, expiry TIMESTAMPTZ NOT NULL)");
    let out = Scsctl::new().db(&db).arg("init-schema").run();
    out.code(1);
    let all = format!("{}{}", out.stdout_str(), out.stderr);
    assert_eq!(all.matches("data").count(), 1, "{all}");
    error_line(&out);
    // With -q the problem is in the error itself.
    let out = Scsctl::new().db(&db).args(["init-schema", "-q"]).run();
    out.code(1);
    assert!(error_line(&out).contains("data"), "{}", out.stderr);
    // With -o json: one document holding the result and the error.
    let out = Scsctl::new()
        .db(&db)
        .args(["init-schema", "-o", "json"])
        .run();
    out.code(1);
    let v = json_error(&out, 1);
    assert_eq!(v["status"], "incompatible");
    assert_eq!(v["problems"].as_array().unwrap().len(), 1, "{v}");
}

#[test]
fn connection_failures_carry_a_hint_line() {
    let c = cluster();
    let db = c.new_database();
    let wrong = format!(
        "postgres://{}:wrong-password@{}:{}/{}?sslmode=disable",
        c.admin_user(),
        c.host(),
        c.port(),
        db.name
    );
    let refused = "postgres://nobody:pw@127.0.0.1:1/x?sslmode=disable&connect_timeout=2".to_owned();
    // A peer that is not PostgreSQL: a web server's answer to the startup message.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let http = |mode: &str| format!("postgres://u:pw@127.0.0.1:{port}/x?sslmode={mode}");
    for (url, words, hint) in [
        (
            wrong.clone(),
            "password authentication failed",
            "hint: check the user name and the password",
        ),
        (
            refused,
            "Connection refused",
            "hint: is the server running at 127.0.0.1:1",
        ),
        (
            http("disable"),
            &*format!("the server at 127.0.0.1:{port} did not answer as PostgreSQL"),
            "hint: check the host and port",
        ),
        (
            http("prefer"),
            &*format!("the server at 127.0.0.1:{port} did not answer as PostgreSQL"),
            "hint: check the host and port",
        ),
    ] {
        let out = Scsctl::new().args(["-d", &url, "get", "t"]).run();
        out.code(4);
        let line = error_line(&out);
        assert!(line.contains(words), "{}", out.stderr);
        let lines: Vec<&str> = out.stderr.lines().collect();
        let at = lines.iter().position(|l| *l == line).unwrap();
        let second = lines.get(at + 1).copied().unwrap_or_default();
        assert!(second.starts_with(hint), "{}", out.stderr);
        assert!(!out.stderr.contains("wrong-password"));
        let out = Scsctl::new()
            .args(["-d", &url, "-o", "json", "get", "t"])
            .run();
        out.code(4);
        let v = json_error(&out, 4);
        assert!(v["error"].as_str().unwrap().contains(words), "{v}");
        assert_eq!(
            v["hint"].as_str().map(|h| format!("hint: {h}")).as_deref(),
            Some(second),
            "{v}"
        );
        assert!(!out.stdout_str().contains("wrong-password"));
    }
}

#[test]
fn json_errors_from_every_kind_of_failure() {
    let db = seed::fresh();
    // Not found (3), a database error (1), a usage error after parsing (2).
    let out = Scsctl::new()
        .db(&db)
        .args(["get", "nope", "-o", "json"])
        .run();
    out.code(3);
    json_error(&out, 3);
    let out = Scsctl::new()
        .db(&db)
        .args(["-t", "missing", "list", "-o", "ndjson"])
        .run();
    out.code(1);
    let v = json_error(&out, 1);
    assert!(
        v["error"].as_str().unwrap().contains("does not exist"),
        "{v}"
    );
    let out = Scsctl::new()
        .db(&db)
        .args(["put", "t", "--ttl", "30", "-o", "json"])
        .run();
    out.code(2);
    json_error(&out, 2);
    // A command whose result document ends in an error prints one document holding both.
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "nope", "-o", "json"])
        .run();
    out.code(3);
    let v = json_error(&out, 3);
    assert_eq!(v["deleted"], 0, "{v}");
    assert_eq!(v["missing"], serde_json::json!(["nope"]), "{v}");
    // Table output prints nothing on stdout for an error.
    let out = Scsctl::new().db(&db).args(["get", "nope"]).run();
    out.code(3);
    assert!(out.stdout.is_empty());
    error_line(&out);
}
