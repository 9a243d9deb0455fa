//! `scsctl stats`.

use crate::seed;
use crate::support::Scsctl;

#[test]
fn counts_and_sizes() {
    let db = seed::fresh();
    seed::row(&db, "a", &[0u8; 100], 1800);
    seed::row(&db, "b", &[0u8; 300], 5 * 3600 + 1800);
    seed::row(&db, "c", &[0u8; 200], -2 * 3600);
    let out = Scsctl::new().db(&db).args(["stats", "-o", "json"]).run();
    out.success();
    let v = out.json();
    assert_eq!(v["live"], 2);
    assert_eq!(v["expired"], 1);
    assert_eq!(v["data_bytes_total"], 600);
    assert_eq!(v["data_bytes_avg"], 200.0);
    assert!(v["table_bytes"].as_i64().unwrap() > 0);
    assert!(v["index_bytes"].as_i64().unwrap() > 0);
    for key in [
        "oldest_expiry",
        "newest_expiry",
        "dead_tuples",
        "last_vacuum",
        "last_autovacuum",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert!(v["oldest_expiry"].as_str().unwrap() < v["newest_expiry"].as_str().unwrap());
    let out = Scsctl::new().db(&db).arg("stats").run();
    out.success();
    let text = out.stdout_str();
    assert!(text.contains("live sessions by time left") && text.contains("expired backlog by age"));
    let line = |label: &str| {
        text.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no line {label:?} in:\n{text}"))
            .to_owned()
    };
    assert!(line("0-1h ").ends_with(" 1"), "{text}");
    assert!(line("5-6h ").ends_with(" 1"), "{text}");
    // Empty hours between them are folded into one row, and none is shown past the last.
    assert!(line("1-5h ").ends_with(" 0"), "{text}");
    assert!(!text.contains("6-7h"), "{text}");
    assert!(line("1-6h ").ends_with(" 1"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("expired share") && l.contains("33.3 %")),
        "{text}"
    );
    assert_eq!(v["expired_share"], 0.333333);

    // With nothing expired the backlog says so, rather than leaving its heading alone.
    Scsctl::new().db(&db).args(["delete", "c"]).run().success();
    let out = Scsctl::new().db(&db).arg("stats").run();
    out.success();
    let text = out.stdout_str();
    let after: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "expired backlog by age")
        .collect();
    assert_eq!(after, ["expired backlog by age", "(none)"], "{text}");
}

#[test]
fn every_live_session_is_in_a_bucket_however_far_its_expiry() {
    let db = seed::fresh();
    for (token, secs) in [("h", 1800), ("d", 3 * 86_400), ("m", 90 * 86_400)] {
        seed::row(&db, token, &[0u8; 10], secs);
    }
    db.client()
        .execute(
            "INSERT INTO sessions VALUES ('inf', '\\x00', 'infinity'), ('old', '\\x00', '-infinity')",
            &[],
        )
        .unwrap();
    let out = Scsctl::new().db(&db).args(["stats", "-o", "json"]).run();
    out.success();
    let v = out.json();
    let sum = |key: &str| -> i64 {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_i64().unwrap())
            .sum()
    };
    assert_eq!(sum("live_by_time_left"), 4, "{v}");
    assert_eq!(sum("expired_by_age"), 1, "{v}");
    let last = v["live_by_time_left"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["label"].as_str(), last["count"].as_i64()),
        (Some("30d+"), Some(2))
    );
}
