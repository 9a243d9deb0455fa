//! `scsctl put`.

use std::time::{Duration, SystemTime};

use scsctl::connect::{Env, Target};
use scsctl::store::Store;
use scsctl::table::TableName;

use crate::seed;
use crate::support::Scsctl;

#[test]
fn new_token_is_printed_alone_and_find_returns_the_data() {
    let db = seed::fresh();
    let data = b"\x00binary\xffdata";
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let file = tmp.path();
    std::fs::write(file, data).unwrap();
    let out = Scsctl::new()
        .db(&db)
        .args(["put", "--new-token", "--ttl", "1h", "--raw", "--data-file"])
        .arg(file)
        .run();
    out.success();
    let token = out.stdout_str();
    let token = token.strip_suffix('\n').expect("one line");
    assert_eq!(token.len(), 43);
    assert!(
        token
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    let target = Target::resolve(Some(&db.url()), &Env::default()).unwrap();
    let mut store = Store::connect(&target, TableName::parse("sessions").unwrap()).unwrap();
    assert_eq!(store.find(token).unwrap(), Some(data.to_vec()));
    let expiry = store.fetch(token).unwrap().unwrap().expiry;
    let left = expiry.duration_since(SystemTime::now()).unwrap();
    assert!(left > Duration::from_secs(3500) && left <= Duration::from_secs(3600));
}

#[test]
fn data_from_stdin_and_json_output() {
    let db = seed::fresh();
    let out = Scsctl::new()
        .db(&db)
        .args([
            "put",
            "given-token",
            "--expires-at",
            "2030-01-02T03:04:05Z",
            "--raw",
            "--data-file",
            "-",
            "-o",
            "json",
        ])
        .stdin(b"from stdin".to_vec())
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["token"], "given-token");
    assert_eq!(v["expiry"], "2030-01-02T03:04:05.000000Z");
    let row = db
        .client()
        .query_one(
            "SELECT data, expiry = '2030-01-02T03:04:05Z'::timestamptz FROM sessions WHERE token = 'given-token'",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, Vec<u8>>(0), b"from stdin");
    assert!(row.get::<_, bool>(1));
}

#[test]
fn past_expiry_warns_but_writes() {
    let db = seed::fresh();
    let out = Scsctl::new()
        .db(&db)
        .args([
            "put",
            "old",
            "--expires-at",
            "2001-01-01T00:00:00Z",
            "--raw",
            "--data-file",
            "-",
        ])
        .stdin(b"x".to_vec())
        .run();
    out.success();
    assert!(
        out.stderr.contains("scsctl: warning:") && out.stderr.contains("past"),
        "{}",
        out.stderr
    );
    assert!(seed::exists(&db, "old"));
}

#[test]
fn bad_durations_are_usage_errors_and_write_nothing() {
    let db = seed::fresh();
    for ttl in ["30", "-5m", "soon"] {
        let out = Scsctl::new()
            .db(&db)
            .args(["put", "t", "--ttl", ttl, "--raw", "--data-file", "-"])
            .stdin(b"x".to_vec())
            .run();
        out.code(2);
        assert!(out.stderr.contains("units"), "{ttl}: {}", out.stderr);
    }
    assert_eq!(seed::count(&db), 0);
    let out = Scsctl::new()
        .db(&db)
        .args(["put", "t", "--ttl", "5M", "--raw", "--data-file", "-"])
        .stdin(b"x".to_vec())
        .run();
    out.success();
    assert!(
        out.stderr.contains("months") && out.stderr.contains("152 days"),
        "{}",
        out.stderr
    );
}

#[test]
fn hashed_tokens_store_the_hash_and_print_the_token() {
    let db = seed::fresh();
    let out = Scsctl::new()
        .db(&db)
        .args([
            "--hashed-tokens",
            "put",
            "abc",
            "--ttl",
            "1h",
            "--raw",
            "--data-file",
            "-",
        ])
        .stdin(b"x".to_vec())
        .run();
    out.success();
    assert_eq!(out.stdout_str(), "abc\n");
    assert!(seed::exists(
        &db,
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    ));
    assert!(!seed::exists(&db, "abc"));
}

/// Issue #15, item 4: a merge into a row SCS would not find (expired by the database clock)
/// starts from an empty session, says so, and never revives the old values.
#[test]
fn merge_into_an_expired_session_does_not_revive_its_values() {
    let db = seed::fresh();
    let put = |args: &[&str]| Scsctl::new().db(&db).args(args).run();
    let out = put(&[
        "put",
        "--new-token",
        "--ttl",
        "1h",
        "--set",
        "userID:int=666",
    ]);
    out.success();
    let token = out.stdout_str().trim().to_owned();
    // Expired a second ago by the database clock, set in SQL rather than slept for.
    db.client()
        .execute(
            "UPDATE sessions SET expiry = current_timestamp - interval '1 second' WHERE token = $1",
            &[&token],
        )
        .unwrap();
    let out = put(&[
        "put",
        &token,
        "--ttl",
        "1h",
        "--merge",
        "--set",
        "flash=hello",
        "-o",
        "json",
    ]);
    out.success();
    assert_eq!(
        out.json()["merged_into_expired"],
        true,
        "{}",
        out.stdout_str()
    );
    assert!(
        out.stderr.contains(&format!(
            "scsctl: warning: session \"{token}\" had expired; merged into an empty session"
        )),
        "{}",
        out.stderr
    );
    let got = put(&["get", &token, "-o", "json"]);
    got.success();
    let v = got.json();
    assert_eq!(v["state"], "live");
    assert_eq!(v["values"]["flash"]["value"], "hello");
    assert!(v["values"].get("userID").is_none(), "revived: {v}");

    // A live session keeps its values, and says it merged into a live one.
    let out = put(&[
        "put", &token, "--ttl", "1h", "--merge", "--set", "n:int=1", "-o", "json",
    ]);
    out.success();
    assert_eq!(out.json()["merged_into_expired"], false);
    assert!(!out.stderr.contains("had expired"), "{}", out.stderr);
    let v = put(&["get", &token, "-o", "json"]).json();
    assert_eq!(v["values"]["flash"]["value"], "hello");
    assert_eq!(v["values"]["n"]["value"], 1);

    // An expired row whose data is not even SCS gob is no obstacle either: SCS would not find it.
    seed::row(&db, "dead", b"\x00not gob", -5);
    let out = put(&["put", "dead", "--ttl", "1h", "--merge", "--set", "a=b"]);
    out.success();
    out.stderr_contains("had expired; merged into an empty session");
    let v = put(&["get", "dead", "-o", "json"]).json();
    assert_eq!(
        v["values"],
        serde_json::json!({"a": {"type": "string", "value": "b"}})
    );

    // A merge that creates the session is not a merge into an expired one, even with a past
    // expiry.
    let out = put(&[
        "put",
        "fresh",
        "--expires-at",
        "2001-01-01T00:00:00Z",
        "--merge",
        "--set",
        "a=b",
        "-o",
        "json",
    ]);
    out.success();
    assert_eq!(out.json()["merged_into_expired"], false);
    assert!(!out.stderr.contains("had expired"), "{}", out.stderr);
}
