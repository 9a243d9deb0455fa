//! Input that must not be misread (issue #15, item 7): an unknown `--set` type, an operator
//! other than `=` in `--where`, session data that is not SCS gob, a daemon interval so short it
//! would spin. Each is refused before anything is written.

use crate::seed;
use crate::support::Scsctl;

const VALID_TYPES: &str =
    "valid types: string, int, int64, int32, uint, float64, bool, bytes, time";

#[test]
fn an_unknown_set_type_is_a_usage_error_and_a_colon_key_takes_an_explicit_type() {
    let db = seed::fresh();
    let out = Scsctl::new()
        .db(&db)
        .args(["put", "t", "--ttl", "1h", "--set", "userID:integer=42"])
        .run();
    out.code(2);
    out.stderr_contains("unknown type \"integer\"");
    out.stderr_contains(VALID_TYPES);
    assert_eq!(
        out.stderr.matches("--set \"userID:integer=42\"").count(),
        1,
        "{}",
        out.stderr
    );
    assert_eq!(seed::count(&db), 0);
    // A key that contains ':' keeps it when the type is given.
    Scsctl::new()
        .db(&db)
        .args([
            "put",
            "t",
            "--ttl",
            "1h",
            "--set",
            "userID:integer:int=42",
            "--set",
            "a:b:string=x",
        ])
        .run()
        .success();
    let v = Scsctl::new()
        .db(&db)
        .args(["get", "t", "-o", "json"])
        .run()
        .json();
    assert_eq!(
        v["values"]["userID:integer"],
        serde_json::json!({"type": "int", "value": 42})
    );
    assert_eq!(v["values"]["a:b"]["value"], "x");
}

#[test]
fn where_with_an_operator_other_than_equals_is_a_usage_error() {
    let db = seed::fresh();
    Scsctl::new()
        .db(&db)
        .args(["put", "t", "--ttl", "1h", "--set", "role=user"])
        .run()
        .success();
    for filter in ["role!=admin", "n<=5", "n>=5", "role~=adm"] {
        for command in [vec!["list"], vec!["delete", "--yes"]] {
            let out = Scsctl::new()
                .db(&db)
                .args(&command)
                .args(["--where", filter])
                .run();
            out.code(2);
            out.stderr_contains("only KEY=VALUE (equality) is");
        }
    }
    let out = Scsctl::new().db(&db).args(["list", "--where", "n>5"]).run();
    out.code(2);
    out.stderr_contains("only = is supported");
    assert_eq!(seed::count(&db), 1);
}

#[test]
fn data_that_is_not_scs_gob_is_refused_unless_raw() {
    let db = seed::fresh();
    let random: Vec<u8> = (0..200u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, data) in [
        ("random", random.clone()),
        ("empty", Vec::new()),
        ("text", b"hello\n".to_vec()),
    ] {
        let out = Scsctl::new()
            .db(&db)
            .args(["put", name, "--ttl", "1h", "--data-file", "-"])
            .stdin(data.clone())
            .run();
        out.code(1);
        out.stderr_contains("is not SCS session data");
        out.stderr_contains("add --raw");
        assert!(!seed::exists(&db, name), "{name} was written");
        // --raw stores the bytes as they are.
        Scsctl::new()
            .db(&db)
            .args(["put", name, "--ttl", "1h", "--raw", "--data-file", "-"])
            .stdin(data.clone())
            .run()
            .success();
        let stored: Vec<u8> = db
            .client()
            .query_one("SELECT data FROM sessions WHERE token = $1", &[&name])
            .unwrap()
            .get(0);
        assert_eq!(stored, data);
    }
    // Real SCS gob (as scsctl itself writes it) is accepted without --raw.
    Scsctl::new()
        .db(&db)
        .args(["put", "gob", "--ttl", "1h", "--set", "n:int=1"])
        .run()
        .success();
    let gob = Scsctl::new().db(&db).args(["get", "--raw", "gob"]).run();
    gob.success();
    Scsctl::new()
        .db(&db)
        .args(["put", "copy", "--ttl", "1h", "--data-file", "-"])
        .stdin(gob.stdout.clone())
        .run()
        .success();
    let v = Scsctl::new()
        .db(&db)
        .args(["get", "copy", "-o", "json"])
        .run()
        .json();
    assert_eq!(v["values"]["n"]["value"], 1);
    // --raw without --data-file is a usage error.
    Scsctl::new()
        .db(&db)
        .args(["put", "x", "--ttl", "1h", "--raw"])
        .run()
        .code(2);
}

#[test]
fn a_watch_interval_under_the_minimum_is_a_usage_error() {
    let db = seed::fresh();
    for interval in ["1ns", "99ms", "0s"] {
        let out = Scsctl::new()
            .db(&db)
            .args(["watch-cleanup", "--interval", interval])
            .timeout(std::time::Duration::from_secs(10))
            .run();
        out.code(2);
        out.stderr_contains("the minimum is 100ms");
    }
}
