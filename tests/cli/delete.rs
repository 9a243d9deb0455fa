//! `scsctl delete`.

use crate::seed;
use crate::support::Scsctl;

#[test]
fn deletes_named_tokens() {
    let db = seed::fresh();
    for t in ["a", "b", "c"] {
        seed::row(&db, t, b"x", 600);
    }
    let out = Scsctl::new().db(&db).args(["delete", "a", "b"]).run();
    out.success();
    assert_eq!(out.stdout_str(), "deleted 2 sessions\n");
    assert!(!seed::exists(&db, "a") && !seed::exists(&db, "b") && seed::exists(&db, "c"));
}

#[test]
fn a_missing_token_exits_3_after_deleting_the_rest() {
    let db = seed::fresh();
    seed::row(&db, "a", b"x", 600);
    let out = Scsctl::new().db(&db).args(["delete", "a", "ghost"]).run();
    out.code(3);
    assert!(out.stderr.contains("\"ghost\""), "{}", out.stderr);
    assert_eq!(out.stdout_str(), "deleted 1 session\n");
    assert_eq!(seed::count(&db), 0);
}

#[test]
fn tokens_from_stdin() {
    let db = seed::fresh();
    for i in 0..100 {
        seed::row(&db, &format!("t{i}"), b"x", 600);
    }
    let stdin: String = (0..50).map(|i| format!("t{i}\r\n")).collect();
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "-", "-o", "json"])
        .stdin(stdin.into_bytes())
        .run();
    out.success();
    assert_eq!(out.json()["deleted"], 50);
    assert_eq!(seed::count(&db), 50);
}

#[test]
fn non_utf8_stdin_deletes_nothing() {
    let db = seed::fresh();
    seed::row(&db, "good", b"x", 600);
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "-"])
        .stdin(b"good\n\xff\xfe\n".to_vec())
        .run();
    out.code(1);
    assert!(
        out.stderr.contains("line 2") && out.stderr.contains("nothing was deleted"),
        "{}",
        out.stderr
    );
    assert!(seed::exists(&db, "good"));
}

#[test]
fn dry_run_counts_and_keeps() {
    let db = seed::fresh();
    seed::row(&db, "a", b"x", 600);
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "--dry-run", "a"])
        .run();
    out.success();
    assert_eq!(out.stdout_str(), "would delete 1 session\n");
    assert!(seed::exists(&db, "a"));
}

#[test]
fn expired_removes_only_expired_rows_and_nothing_to_do_is_success() {
    let db = seed::fresh();
    seed::row(&db, "old1", b"x", -10);
    seed::row(&db, "old2", b"x", -3600);
    seed::row(&db, "new", b"x", 3600);
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "--expired", "--dry-run"])
        .run();
    out.success();
    assert_eq!(out.stdout_str(), "would delete 2 sessions\n");
    assert_eq!(seed::count(&db), 3);
    let out = Scsctl::new().db(&db).args(["delete", "--expired"]).run();
    out.success();
    assert_eq!(out.stdout_str(), "deleted 2 sessions\n");
    assert!(seed::exists(&db, "new") && seed::count(&db) == 1);
    let out = Scsctl::new()
        .db(&db)
        .args(["-q", "delete", "--expired"])
        .run();
    out.success();
    assert!(out.stdout.is_empty());
}

#[test]
fn json_of_bulk_deletes_has_no_empty_fields_and_dry_runs_say_would_delete() {
    let db = seed::fresh();
    seed::rows(&db, "old", 7, -60.0);
    let json = |args: &[&str]| {
        let out = Scsctl::new().db(&db).args(args).args(["-o", "json"]).run();
        out.success();
        out.json()
    };
    let dry = json(&["delete", "--expired", "--dry-run"]);
    assert_eq!(
        dry,
        serde_json::json!({"deleted": 0, "would_delete": 7, "dry_run": true})
    );
    let done = json(&["delete", "--expired"]);
    assert_eq!(done, serde_json::json!({"deleted": 7, "dry_run": false}));
}
