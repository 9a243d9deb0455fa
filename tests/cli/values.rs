//! Session values through the CLI: `put --set`/`--merge`, `get` and `list --values`,
//! `--where` on `list` and `delete`, checked against the Go peer when Go is installed.

use serde_json::json;

use crate::codec::{go_decode, go_peer};
use crate::seed;
use crate::support::{Scsctl, TestDb};

fn put(db: &TestDb, token: &str, sets: &[&str]) {
    let mut cmd = Scsctl::new().db(db).args(["put", token, "--ttl", "1h"]);
    for s in sets {
        cmd = cmd.arg("--set").arg(s);
    }
    cmd.run().success();
}

fn get_json(db: &TestDb, token: &str) -> serde_json::Value {
    let out = Scsctl::new()
        .db(db)
        .args(["get", "-o", "json", token])
        .run();
    out.success();
    out.json()
}

fn raw(db: &TestDb, token: &str) -> Vec<u8> {
    let out = Scsctl::new().db(db).args(["get", "--raw", token]).run();
    out.success();
    out.stdout
}

#[test]
fn set_values_read_back_with_their_go_types_and_go_agrees() {
    let db = seed::fresh();
    let out = Scsctl::new()
        .db(&db)
        .args(["put", "t1", "--expires-at", "2030-01-02T03:04:05.5Z"])
        .args([
            "--set",
            "name=Zoë",
            "--set",
            "userID:int=-42",
            "--set",
            "big:int64=9223372036854775807",
        ])
        .args([
            "--set",
            "small:int32=-7",
            "--set",
            "count:uint=18446744073709551615",
        ])
        .args(["--set", "ratio:float64=0.1", "--set", "admin:bool=true"])
        .args([
            "--set",
            "blob:bytes=AAEC/w==",
            "--set",
            "at:time=2030-01-01T10:00:00+02:00",
        ])
        .run();
    out.success();
    assert!(
        out.stderr.contains("gob.Register(time.Time"),
        "time.Time warning: {}",
        out.stderr
    );
    let v = get_json(&db, "t1");
    assert_eq!(v["codec"], "gob");
    assert_eq!(v["deadline"], "2030-01-02T03:04:05.5Z");
    let expect = json!({
        "name": {"type": "string", "value": "Zoë"},
        "userID": {"type": "int", "value": -42},
        "big": {"type": "int64", "value": 9223372036854775807i64},
        "small": {"type": "int32", "value": -7},
        "count": {"type": "uint", "value": 18446744073709551615u64},
        "ratio": {"type": "float64", "value": 0.1},
        "admin": {"type": "bool", "value": true},
        "blob": {"type": "[]uint8", "value": "AAEC/w=="},
        "at": {"type": "time.Time", "value": "2030-01-01T10:00:00+02:00"},
    });
    assert_eq!(v["values"], expect);
    if let Some(peer) = go_peer() {
        let go = go_decode(peer, &raw(&db, "t1")).expect("Go decodes what put wrote");
        assert_eq!(go["deadline"], "2030-01-02T03:04:05.5Z");
        for (key, want) in expect.as_object().unwrap() {
            assert_eq!(
                go["values"][key]["type"], want["type"],
                "Go's type of {key}"
            );
            assert_eq!(
                go["values"][key]["value"], want["value"],
                "Go's value of {key}"
            );
        }
    }
}

#[test]
fn put_without_values_writes_an_empty_scs_session() {
    let db = seed::fresh();
    let out = Scsctl::new()
        .db(&db)
        .args(["put", "--new-token", "--ttl", "30m"])
        .run();
    out.success();
    let token = out.stdout_str().trim().to_owned();
    let v = get_json(&db, &token);
    assert_eq!(v["codec"], "gob");
    assert_eq!(v["values"], json!({}));
    if let Some(peer) = go_peer() {
        let go = go_decode(peer, &raw(&db, &token)).unwrap();
        assert_eq!(go["values"], json!({}), "Go sees an empty, non-nil map");
    }
}

#[test]
fn a_key_set_twice_keeps_its_last_value_once() {
    let db = seed::fresh();
    put(&db, "twice", &["n:int=1", "other=x", "n:int=2"]);
    let stored = raw(&db, "twice");
    let scsctl::session::Decoded::Gob(s) = scsctl::session::decode(&stored) else {
        panic!("not gob: {stored:?}")
    };
    let keys: Vec<&str> = s.values.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["n", "other"],
        "one entry per key, in first-set order"
    );
    assert_eq!(get_json(&db, "twice")["values"]["n"]["value"], 2);
}

#[test]
fn bad_set_values_are_usage_errors() {
    let db = seed::fresh();
    for bad in [
        "n:int=abc",
        "f:float64=x",
        "b:bool=maybe",
        "noequals",
        "t:time=yesterday",
    ] {
        let out = Scsctl::new()
            .db(&db)
            .args(["put", "t", "--ttl", "1h", "--set", bad])
            .run();
        out.code(2);
        assert!(out.stderr.contains("--set"), "{bad}: {}", out.stderr);
    }
    assert_eq!(seed::count(&db), 0);
}

#[test]
fn merge_keeps_other_values_and_moves_the_deadline() {
    let db = seed::fresh();
    put(&db, "m", &["a:int=1", "b=keep"]);
    Scsctl::new()
        .db(&db)
        .args([
            "put",
            "m",
            "--expires-at",
            "2031-05-06T07:08:09Z",
            "--merge",
            "--set",
            "a:int=2",
            "--set",
            "c:bool=false",
        ])
        .run()
        .success();
    let v = get_json(&db, "m");
    assert_eq!(v["deadline"], "2031-05-06T07:08:09Z");
    assert_eq!(v["expiry"], "2031-05-06T07:08:09.000000Z");
    assert_eq!(
        v["values"],
        json!({"a": {"type": "int", "value": 2}, "b": {"type": "string", "value": "keep"}, "c": {"type": "bool", "value": false}})
    );
}

#[test]
fn merge_into_data_that_is_not_gob_changes_nothing() {
    let db = seed::fresh();
    seed::row(&db, "odd", b"plain text", 600);
    let out = Scsctl::new()
        .db(&db)
        .args(["put", "odd", "--ttl", "1h", "--merge", "--set", "a=1"])
        .run();
    out.code(1);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    let row: Vec<u8> = db
        .client()
        .query_one("SELECT data FROM sessions WHERE token = 'odd'", &[])
        .unwrap()
        .get(0);
    assert_eq!(row, b"plain text");
}

#[test]
fn get_shows_values_in_a_table_and_flags_corrupt_data() {
    let db = seed::fresh();
    put(&db, "v", &["userID:int=42", "role=admin"]);
    let out = Scsctl::new().db(&db).args(["get", "v"]).run();
    out.success();
    let text = out.stdout_str();
    assert!(
        text.contains("userID") && text.contains("42") && text.contains("int"),
        "{text}"
    );
    assert!(
        text.contains("role") && text.contains("admin") && text.contains("string"),
        "{text}"
    );
    let mut corrupt = raw(&db, "v");
    corrupt.truncate(corrupt.len() - 5);
    seed::row(&db, "broken", &corrupt, 600);
    let out = Scsctl::new()
        .db(&db)
        .args(["get", "broken", "-o", "json"])
        .run();
    out.success();
    let v = out.json();
    assert!(v["values"].is_null());
    assert!(v["error"].as_str().unwrap().contains("byte"), "{v}");
    let out = Scsctl::new().db(&db).args(["get", "broken"]).run();
    out.success();
    assert!(out.stdout_str().contains("error"));
}

#[test]
fn list_values_and_where_skip_undecodable_rows() {
    let db = seed::fresh();
    put(&db, "u1", &["userID:int=1"]);
    put(&db, "u2", &["userID:int=2", "role=admin"]);
    put(&db, "u2b", &["userID:int=2"]);
    seed::row(&db, "junk", b"\x07\xff\x81garbage", 3000);
    let out = Scsctl::new()
        .db(&db)
        .args(["list", "-o", "ndjson", "--values"])
        .run();
    out.success();
    let rows = out.ndjson();
    assert_eq!(rows.len(), 4, "undecodable rows are listed, not fatal");
    let junk = rows.iter().find(|r| r["token"] == "junk").unwrap();
    assert!(junk["values"].is_null());
    let tokens = |args: &[&str]| -> (Vec<String>, String) {
        let out = Scsctl::new()
            .db(&db)
            .args(["list", "-o", "ndjson"])
            .args(args)
            .run();
        out.success();
        let mut t: Vec<String> = out
            .ndjson()
            .iter()
            .map(|r| r["token"].as_str().unwrap().to_owned())
            .collect();
        t.sort();
        (t, out.stderr)
    };
    let (found, stderr) = tokens(&["--where", "userID=2"]);
    assert_eq!(found, ["u2", "u2b"]);
    assert!(
        stderr.contains("\"junk\"") && stderr.contains("skipped"),
        "{stderr}"
    );
    assert_eq!(
        tokens(&["--where", "userID:int=2", "--where", "role=admin"]).0,
        ["u2"]
    );
    assert_eq!(
        tokens(&["--where", "userID:int64=2"]).0,
        Vec::<String>::new()
    );
    let out = Scsctl::new()
        .db(&db)
        .args(["list", "--where", "nokey"])
        .run();
    out.code(2);
}

#[test]
fn delete_where_with_dotted_paths_and_confirmation() {
    let db = seed::fresh();
    for i in 0..12 {
        put(
            &db,
            &format!("s{i}"),
            &[&format!("uid:int={}", if i < 11 { 7 } else { 8 })],
        );
    }
    // A struct made by Go: Values["user"] = main.User{ID: 1001, Email: "ada@example.com", …}.
    let blob = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gob/user.gob"
    ))
    .unwrap();
    seed::row(&db, "go-user", &blob, 3600);
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "--where", "user.ID=1001", "--dry-run"])
        .run();
    out.success();
    assert_eq!(out.stdout_str(), "go-user\nwould delete 1 session\n");
    Scsctl::new()
        .db(&db)
        .args(["delete", "--where", "user.Email:string=ada@example.com"])
        .run()
        .success();
    assert!(!seed::exists(&db, "go-user"));

    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "--where", "uid=7", "--dry-run"])
        .run();
    out.success();
    let text = out.stdout_str();
    assert!(
        text.contains("s0") && text.contains("would delete 11 sessions"),
        "{text}"
    );
    assert_eq!(seed::count(&db), 12);
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "--where", "uid=7"])
        .run();
    out.code(2);
    assert!(
        out.stderr.contains("--yes") && out.stderr.contains("nothing was deleted"),
        "{}",
        out.stderr
    );
    assert_eq!(seed::count(&db), 12);
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "--where", "uid=7", "--yes"])
        .run();
    out.success();
    assert_eq!(out.stdout_str(), "deleted 11 sessions\n");
    assert!(!seed::exists(&db, "s0") && seed::exists(&db, "s11"));
    Scsctl::new()
        .db(&db)
        .args(["delete", "--where", "uid=99"])
        .run()
        .code(3);
}
