//! `scsctl list`.

use crate::seed;
use crate::support::{Scsctl, cluster};

#[test]
fn states_order_and_limit() {
    let db = seed::fresh();
    seed::row(&db, "later", b"xx", 7200);
    seed::row(&db, "sooner", b"x", 60);
    seed::row(&db, "expired", b"xxx", -60);
    let tokens = |args: &[&str]| -> Vec<String> {
        let out = Scsctl::new()
            .db(&db)
            .args(["list", "-o", "ndjson"])
            .args(args)
            .run();
        out.success();
        out.ndjson()
            .iter()
            .map(|v| v["token"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(tokens(&[]), ["sooner", "later"]);
    assert_eq!(tokens(&["--state", "expired"]), ["expired"]);
    assert_eq!(tokens(&["--state", "all"]), ["expired", "sooner", "later"]);
    assert_eq!(
        tokens(&["--state", "all", "--limit", "2"]),
        ["expired", "sooner"]
    );
}

#[test]
fn ndjson_and_json_shapes() {
    let db = seed::fresh();
    seed::row(&db, "a", b"abcd", 60);
    let out = Scsctl::new().db(&db).args(["list", "-o", "ndjson"]).run();
    out.success();
    let lines = out.ndjson();
    assert_eq!(lines.len(), 1);
    let obj = lines[0].as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["expiry", "size", "state", "token"]);
    assert_eq!(obj["size"], 4);
    assert_eq!(obj["state"], "live");
    let out = Scsctl::new().db(&db).args(["list", "-o", "json"]).run();
    out.success();
    assert_eq!(out.json().as_array().unwrap().len(), 1);
    let empty = cluster().new_database();
    seed::init(&empty);
    let out = Scsctl::new().db(&empty).args(["list", "-o", "json"]).run();
    out.success();
    assert_eq!(out.json(), serde_json::json!([]));
}

#[test]
fn table_output_has_a_header_and_a_row_per_session() {
    let db = seed::fresh();
    // 90 s: "in 1m" for the next 30 s, however slow the machine.
    seed::row(&db, "a", b"abcd", 90);
    seed::row(&db, "b", b"abcd", 150);
    let out = Scsctl::new().db(&db).arg("list").run();
    out.success();
    let text = out.stdout_str();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("TOKEN") && lines[0].contains("EXPIRY"));
    assert!(
        lines[1].starts_with("a ") && lines[1].contains("live") && lines[1].contains("in 1m "),
        "{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn closed_pipe_is_success() {
    let db = seed::fresh();
    db.client()
        .execute(
            "INSERT INTO sessions SELECT 'tok' || i, '\\x00'::bytea, now() + interval '1 hour' FROM generate_series(1, 50000) i",
            &[],
        )
        .unwrap();
    let bin = env!("CARGO_BIN_EXE_scsctl");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; '{bin}' --database-url '{}' list -o ndjson | head -n 1",
            db.url()
        ))
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn memory_stays_flat_over_200k_rows() {
    let db = seed::fresh();
    db.client()
        .execute(
            "INSERT INTO sessions SELECT 'token-' || lpad(i::text, 37, '0'), \
             decode(repeat('ab', 300), 'hex'), now() + interval '1 hour' + i * interval '1 second' \
             FROM generate_series(1, 200000) i",
            &[],
        )
        .unwrap();
    let out = Scsctl::new()
        .db(&db)
        .args(["list", "-o", "ndjson"])
        .timeout(std::time::Duration::from_secs(120))
        .run();
    out.success();
    let lines = out.stdout.iter().filter(|b| **b == b'\n').count();
    assert_eq!(lines, 200_000);
    let rss = out.max_rss_kib.expect("peak RSS is measured");
    println!("list of 200,000 rows: peak RSS {rss} KiB");
    assert!(rss < 48 * 1024, "peak RSS {rss} KiB: list must stream");
}

#[test]
fn every_table_has_one_look_and_list_fits_80_columns() {
    let db = seed::fresh();
    seed::rows(
        &db,
        "a-token-long-enough-to-look-like-an-scs-one-",
        3,
        3600.0,
    );
    seed::rows(&db, "old", 1_234, -60.0);
    let boxes = ['│', '┆', '─', '┌', '╞'];
    for args in [
        &["stats"][..],
        &["get", "old1"][..],
        &["list", "--limit", "2"][..],
    ] {
        let out = Scsctl::new().db(&db).args(args).run();
        out.success();
        let text = out.stdout_str();
        assert!(!text.contains(boxes), "{args:?} draws boxes:\n{text}");
        assert!(text.lines().all(|l| l == l.trim_end()), "{args:?}:\n{text}");
    }
    // Counts have thousands separators.
    let stats = Scsctl::new().db(&db).arg("stats").run();
    assert!(
        stats
            .stdout_str()
            .lines()
            .any(|l| l.starts_with("expired") && l.ends_with("1,234")),
        "{}",
        stats.stdout_str()
    );
    // On an 80-column terminal every line of the listing fits; wider, the exact expiry shows.
    let narrow = Scsctl::new()
        .db(&db)
        .env("COLUMNS", "80")
        .args(["list", "--limit", "5"])
        .run();
    narrow.success();
    let text = narrow.stdout_str();
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    assert!(
        text.contains("a-token-long-enough-to-look-like-an-scs-one-1"),
        "{text}"
    );
    let wide = Scsctl::new()
        .db(&db)
        .env("COLUMNS", "120")
        .args(["list", "--limit", "5"])
        .run();
    assert!(
        wide.stdout_str().starts_with("TOKEN"),
        "{}",
        wide.stdout_str()
    );
    assert!(wide.stdout_str().lines().next().unwrap().contains("EXPIRY"));
}
