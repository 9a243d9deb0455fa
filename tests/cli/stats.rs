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
    assert!(line("1-2h ").ends_with(" 0"), "{text}");
    assert!(line("1-6h ").ends_with(" 1"), "{text}");
    assert!(line("< 1h ").ends_with(" 0"), "{text}");
}
