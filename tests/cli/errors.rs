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
