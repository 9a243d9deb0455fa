//! `scsctl get`.

use crate::seed;
use crate::support::Scsctl;

#[test]
fn shows_live_and_expired_sessions() {
    let db = seed::fresh();
    seed::row(&db, "alive", b"\x01\x02\x03", 3600);
    seed::row(&db, "gone", b"\x04", -7200);
    let out = Scsctl::new().db(&db).args(["get", "alive"]).run();
    out.success();
    let text = out.stdout_str();
    assert!(
        text.contains("live") && (text.contains("in 59m") || text.contains("in 1h")),
        "{text}"
    );
    assert!(text.contains("3 B") && text.contains("01 02 03"), "{text}");
    let out = Scsctl::new().db(&db).args(["get", "gone"]).run();
    out.success();
    let text = out.stdout_str();
    assert!(
        text.contains("expired") && text.contains("2h ago"),
        "{text}"
    );
}

#[test]
fn json_has_the_contract_shape() {
    let db = seed::fresh();
    seed::row(&db, "tok", b"not gob at all", 600);
    let out = Scsctl::new()
        .db(&db)
        .args(["get", "tok", "-o", "json"])
        .run();
    out.success();
    let v = out.json();
    assert_eq!(v["token"], "tok");
    assert_eq!(v["state"], "live");
    assert_eq!(v["size"], 14);
    let expiry = v["expiry"].as_str().unwrap();
    assert!(
        expiry.ends_with('Z') && expiry.len() == "2026-11-25T20:30:00.123456Z".len(),
        "{expiry}"
    );
    assert_eq!(v["codec"], "unknown");
    assert!(v["values"].is_null());
}

#[test]
fn raw_writes_the_stored_bytes_unchanged() {
    let db = seed::fresh();
    let bytes: Vec<u8> = (0..=255u8).collect();
    seed::row(&db, "bin", &bytes, 600);
    let out = Scsctl::new().db(&db).args(["get", "--raw", "bin"]).run();
    out.success();
    assert_eq!(out.stdout, bytes);
}

#[test]
fn missing_token_exits_3() {
    let db = seed::fresh();
    let out = Scsctl::new().db(&db).args(["get", "nobody"]).run();
    out.code(3);
    assert!(
        out.stderr
            .contains("scsctl: error: no session with token \"nobody\""),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn tokens_starting_with_a_dash_are_tokens() {
    let db = seed::fresh();
    let token = "-x3Jq9v_Xn2-AbCdEfGhIjKlMnOpQrStUvWxYz01234";
    seed::row(&db, token, b"x", 600);
    Scsctl::new().db(&db).args(["get", token]).run().success();
    Scsctl::new()
        .db(&db)
        .args(["get", "--", token])
        .run()
        .success();
    seed::row(&db, "-v", b"y", 600);
    let out = Scsctl::new()
        .db(&db)
        .args(["get", "-o", "json", "--", "-v"])
        .run();
    out.success();
    assert_eq!(out.json()["token"], "-v");
}

#[test]
fn control_characters_in_tokens_are_escaped_in_tables() {
    let db = seed::fresh();
    let token = "evil\u{1b}[2J\u{7}\nline";
    seed::row(&db, token, b"x", 600);
    let out = Scsctl::new().db(&db).args(["get", token]).run();
    out.success();
    let text = out.stdout_str();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("evil\\e[2J\\u{7}\\nline"), "{text}");
    let out = Scsctl::new()
        .db(&db)
        .args(["get", token, "-o", "json"])
        .run();
    out.success();
    assert!(!out.stdout_str().contains('\u{1b}'));
    assert_eq!(out.json()["token"], token);
}

#[test]
fn hashed_tokens_look_up_the_sha256_form() {
    let db = seed::fresh();
    // base64url(sha256("abc")), as SCS's HashTokenInStore stores the token "abc".
    seed::row(
        &db,
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
        b"h",
        600,
    );
    Scsctl::new().db(&db).args(["get", "abc"]).run().code(3);
    Scsctl::new()
        .db(&db)
        .args(["--hashed-tokens", "get", "abc"])
        .run()
        .success();
    Scsctl::new()
        .db(&db)
        .env("SCSCTL_HASHED_TOKENS", "1")
        .args(["get", "abc"])
        .run()
        .success();
}

#[test]
fn a_token_stored_the_other_way_gets_a_hashed_tokens_hint() {
    let db = seed::fresh();
    let hashed = Scsctl::new()
        .db(&db)
        .args(["--hashed-tokens", "put", "--new-token", "--ttl", "1h"])
        .run();
    hashed.success();
    let cookie = hashed.stdout_str().trim().to_owned();
    let plain = Scsctl::new()
        .db(&db)
        .args(["put", "--new-token", "--ttl", "1h"])
        .run();
    plain.success();
    let raw = plain.stdout_str().trim().to_owned();
    for (flags, token, hint) in [
        (&[][..], &cookie, "add --hashed-tokens"),
        (&["--hashed-tokens"][..], &raw, "leave out --hashed-tokens"),
    ] {
        for command in ["get", "delete"] {
            let out = Scsctl::new()
                .db(&db)
                .args(flags)
                .args([command, "--", token.as_str()])
                .run();
            out.code(3);
            let hint_line = out
                .stderr
                .lines()
                .find(|l| l.starts_with("hint: "))
                .unwrap_or_else(|| panic!("{command} {flags:?}: no hint: {}", out.stderr));
            assert!(hint_line.contains(hint), "{hint_line}");
        }
    }
    // Both sessions are still there: a delete that finds nothing deletes nothing.
    assert_eq!(seed::count(&db), 2);
    // A token nobody has gets no such hint.
    let out = Scsctl::new().db(&db).args(["get", "nobody"]).run();
    out.code(3);
    assert!(!out.stderr.contains("hint:"), "{}", out.stderr);
}
