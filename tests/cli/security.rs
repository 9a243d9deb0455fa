//! Security: the password never shows, a loose password file is ignored, TLS is never
//! downgraded, stored bytes cannot drive the terminal, and hashed tokens are SCS's.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::seed;
use crate::support::{Cluster, Output, Scsctl, cluster, random_hex, scratch_dir};

/// A fresh directory under the run's scratch directory, removed when dropped.
fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(tag)
        .tempdir_in(scratch_dir())
        .unwrap()
}

fn write_mode(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Fails the test if `secret` (or its percent-encoded form) is anywhere in the output.
#[track_caller]
fn assert_no_secret(out: &Output, secret: &str, what: &str) {
    let encoded = secret.replace('-', "%2D");
    for needle in [secret, encoded.as_str()] {
        let n = needle.as_bytes();
        let leaked = out.stdout.windows(n.len()).any(|w| w == n) || out.stderr.contains(needle);
        assert!(
            !leaked,
            "{what}: the password appears in the output\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.stdout_str(),
            out.stderr
        );
    }
}

#[test]
fn the_password_never_appears_in_any_output() {
    let c = cluster();
    let db = seed::fresh();
    seed::row(&db, "tok", b"x", 600);
    db.psql("CREATE TABLE wrong_shape (token text, data text, expiry timestamp);");
    // A role that may log in but has no rights on the table, with a password to look for.
    let role = format!("sec_{}", random_hex(4));
    let secret = format!("Leak-{}-Me", random_hex(8));
    db.create_role(&role, &secret);
    // A role whose real password differs: the one we give is wrong, and must not show.
    let other = format!("sec_other_{}", random_hex(4));
    db.create_role(&other, "not-the-secret");
    let certs = c.certs();
    let ca = certs.map(|k| k.ca_cert.display().to_string());
    let other_ca = certs.map(|k| k.other_ca_cert.display().to_string());
    let (port, name) = (c.port(), db.name.as_str());
    let url = |user: &str, host: &str, port: u16, db: &str, query: &str| {
        format!("postgres://{user}:{secret}@{host}:{port}/{db}?{query}")
    };
    let mut targets: Vec<(&str, String)> = vec![
        (
            "fine",
            url(&role, "127.0.0.1", port, name, "sslmode=disable"),
        ),
        (
            "wrong password",
            url(&other, "127.0.0.1", port, name, "sslmode=prefer"),
        ),
        (
            "unknown database",
            url(&role, "127.0.0.1", port, "no_such_db", ""),
        ),
        (
            "closed port",
            url(&role, "127.0.0.1", 1, name, "connect_timeout=2"),
        ),
        (
            "unknown host",
            url(
                &role,
                "no-such-host.invalid",
                port,
                name,
                "connect_timeout=2",
            ),
        ),
        (
            "bad sslmode",
            url(&role, "127.0.0.1", port, name, "sslmode=on"),
        ),
        (
            "unknown key",
            url(&role, "127.0.0.1", port, name, "passwd=x"),
        ),
        ("malformed url", format!("postgres://{role}:{secret}@[::1")),
        (
            "conninfo",
            format!(
                "host=127.0.0.1 port={port} user={role} password={secret} dbname={name} bogus=1"
            ),
        ),
        (
            "unterminated conninfo quote",
            format!("host=127.0.0.1 port={port} user={role} password='{secret} dbname={name}"),
        ),
    ];
    if let (Some(ca), Some(other_ca)) = (&ca, &other_ca) {
        targets.push((
            "host name mismatch",
            url(
                &role,
                "127.0.0.1",
                port,
                name,
                &format!("sslmode=verify-full&sslrootcert={ca}"),
            ),
        ));
        targets.push((
            "wrong CA",
            url(
                &role,
                "localhost",
                port,
                name,
                &format!("sslmode=verify-ca&sslrootcert={other_ca}"),
            ),
        ));
    }
    let commands: Vec<Vec<&str>> = vec![
        vec!["get", "tok"],
        vec!["list"],
        vec!["stats"],
        vec!["delete", "tok"],
        vec!["delete", "--expired"],
        vec!["purge"],
        vec!["put", "tok", "--ttl", "1h", "--raw", "--data-file", "-"],
        vec!["init-schema"],
        vec!["-t", "wrong_shape", "get", "tok"],
        vec!["-t", "missing", "list"],
        vec!["-o", "json", "stats"],
    ];
    // Every connection failure takes the same path whatever the command: one suffices there.
    // (Each login costs a SCRAM exchange, slow in a debug build.)
    let connecting = [
        "wrong password",
        "unknown database",
        "closed port",
        "unknown host",
    ];
    let reason = |what: &str| match what {
        "wrong password" => "password authentication failed",
        "unknown database" => "\"no_such_db\" does not exist",
        "closed port" => "refused",
        "unknown host" => "no-such-host.invalid",
        "bad sslmode" => "sslmode",
        "unknown key" => "passwd",
        "malformed url" => "URL",
        "conninfo" => "bogus",
        "unterminated conninfo quote" => "quote",
        "host name mismatch" | "wrong CA" => "certificate",
        other => panic!("no reason given for {other}"),
    };
    for (what, target) in &targets {
        let commands =
            if connecting.contains(what) || what.contains("CA") || what.contains("host name") {
                &commands[..3]
            } else {
                &commands[..]
            };
        for verbose in [false, true] {
            for command in commands {
                let mut cmd = Scsctl::new().arg("-d").arg(target);
                if verbose {
                    cmd = cmd.arg("-v");
                }
                let out = cmd.args(command).stdin(b"x".to_vec()).run();
                assert_no_secret(&out, &secret, &format!("{what}, {command:?}"));
                if *what != "fine" {
                    // Failed, and for the reason the target was made for.
                    out.failure().stderr_contains(reason(what));
                }
            }
        }
    }
    // The password from the environment and from a password file, failing after login.
    let home_dir = temp_dir("sec-home");
    let home = home_dir.path();
    write_mode(
        &home.join(".pgpass"),
        &format!("*:*:*:{role}:{secret}\n"),
        0o600,
    );
    let conninfo = format!("host=127.0.0.1 port={port} user={role} dbname={name} sslmode=disable");
    for (env, value) in [
        ("PGPASSWORD", secret.as_str()),
        ("HOME", &home.display().to_string()),
    ] {
        for command in &commands[..6] {
            let out = Scsctl::new()
                .env(env, value)
                .args(["-v", "-d", &conninfo])
                .args(command)
                .stdin(b"x".to_vec())
                .run();
            assert_no_secret(&out, &secret, &format!("{env}, {command:?}"));
            // It did log in and fail there (not in parsing, not at login): no privileges.
            out.code(1);
            out.stderr_contains("permission denied");
        }
    }
    // The matrix kept all its targets (the TLS ones wherever the cluster has certificates).
    let tls_targets = if certs.is_some() { 2 } else { 0 };
    assert_eq!(targets.len(), 10 + tls_targets);
    assert!(seed::exists(&db, "tok"));
}

#[test]
fn a_password_file_others_can_read_is_ignored_with_a_warning() {
    let c = cluster();
    let db = c.new_database();
    seed::init(&db);
    let role = format!("sec_pgpass_{}", random_hex(4));
    let password = format!("pgpass-{}", random_hex(8));
    db.create_role(&role, &password);
    db.psql(&format!("GRANT SELECT ON sessions TO {role}"));
    let home_dir = temp_dir("sec-pgpass");
    let home = home_dir.path();
    let pgpass = home.join(".pgpass");
    let conninfo = format!(
        "host=127.0.0.1 port={} user={role} dbname={} sslmode=disable",
        c.port(),
        db.name
    );
    let run = || {
        Scsctl::new()
            .env("HOME", home)
            .args(["-d", &conninfo, "stats"])
            .run()
    };
    for mode in [0o644, 0o640, 0o604, 0o660] {
        write_mode(&pgpass, &format!("*:*:*:{role}:{password}\n"), mode);
        let out = run();
        out.code(4);
        out.stderr_contains(&format!(
            "scsctl: warning: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
            pgpass.display()
        ));
        out.stderr_contains("password");
        assert_no_secret(&out, &password, &format!("mode {mode:o}"));
    }
    write_mode(&pgpass, &format!("*:*:*:{role}:{password}\n"), 0o600);
    let out = run();
    out.success();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn no_downgrade_to_plaintext_when_tls_is_required() {
    let Some(plain) = Cluster::try_start_dedicated_with("ssl = off\n") else {
        return;
    };
    let db = plain.new_database();
    seed::init(&db);
    seed::row(&db, "keep", b"x", 600);
    for mode in ["require", "verify-ca", "verify-full"] {
        let url = plain.tls_url(&db.name, "localhost", mode).unwrap();
        for args in [vec!["delete", "keep"], vec!["-v", "get", "keep"]] {
            let out = Scsctl::new().arg("-d").arg(&url).args(&args).run();
            out.code(4);
            out.stderr_contains(&format!(
                "the server does not support TLS, and sslmode={mode} forbids a plaintext connection"
            ));
            assert!(out.stdout.is_empty());
            assert_no_secret(&out, plain.admin_password(), mode);
        }
    }
    assert!(seed::exists(&db, "keep"));
    // The modes that allow plaintext do connect (libpq's rules, nothing stricter).
    for mode in ["prefer", "allow", "disable"] {
        let url = plain.tls_url(&db.name, "localhost", mode).unwrap();
        Scsctl::new()
            .arg("-d")
            .arg(&url)
            .args(["get", "keep"])
            .run()
            .success();
    }
    // A wrong CA or host name on a TLS server is refused, naming the mode.
    let c = cluster();
    let Some(certs) = c.certs() else { return };
    let tls_db = c.new_database();
    let wrong_ca = format!(
        "postgres://{}:{}@localhost:{}/{}?sslmode=verify-ca&sslrootcert={}",
        c.admin_user(),
        c.admin_password(),
        c.port(),
        tls_db.name,
        certs.other_ca_cert.display()
    );
    let wrong_host = c.tls_url(&tls_db.name, "127.0.0.1", "verify-full").unwrap();
    for (url, mode, why) in [
        (wrong_ca.as_str(), "verify-ca", "certificate verify failed"),
        (wrong_host.as_str(), "verify-full", "mismatch"),
    ] {
        let out = Scsctl::new().arg("-d").arg(url).arg("stats").run();
        out.code(4);
        out.stderr_contains(&format!("TLS handshake failed under sslmode={mode}"));
        out.stderr_contains(why);
        assert_no_secret(&out, c.admin_password(), mode);
    }
}

#[test]
fn stored_bytes_cannot_drive_the_terminal() {
    let db = seed::fresh();
    // ESC sequences (CSI, OSC title), BEL, a C1 CSI, backspace, DEL, and a bidi override.
    let evil = "tok\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{8}\u{7f}\u{202e}end";
    seed::row(&db, evil, b"\x1b[2J", 600);
    seed::row(&db, "expired\u{1b}[5m", b"x", -600);
    let forbidden = ['\u{1b}', '\u{7}', '\u{9b}', '\u{8}', '\u{7f}', '\u{202e}'];
    let check = |out: &Output, what: &str| {
        let text = format!("{}{}", out.stdout_str(), out.stderr);
        assert!(
            !text.contains(&forbidden[..]),
            "{what}: a control character reached the output: {text:?}"
        );
    };
    for (args, code) in [
        (vec!["list", "--state", "all"], 0),
        (vec!["list", "--state", "all", "-o", "ndjson"], 0),
        (vec!["list", "--state", "all", "-o", "json"], 0),
        (vec!["get", "--", evil], 0),
        (vec!["get", "-o", "json", "--", evil], 0),
        (vec!["get", "--", "no\u{1b}[2Jsuch"], 3),
        (
            vec!["delete", "--dry-run", "--", evil, "no\u{1b}[2Jsuch"],
            3,
        ),
        (vec!["-t", "no\u{1b}]0;x\u{7}table", "stats"], 1),
        (vec!["--color", "never", "stats"], 0),
    ] {
        let out = Scsctl::new().db(&db).args(&args).run();
        out.code(code);
        check(&out, &format!("{args:?}"));
    }
    // JSON keeps the exact token (escaped by JSON's rules), so scripts see the real bytes.
    let out = Scsctl::new()
        .db(&db)
        .args(["list", "--state", "all", "-o", "ndjson"])
        .run();
    let tokens: Vec<String> = out
        .ndjson()
        .iter()
        .map(|v| v["token"].as_str().unwrap().to_owned())
        .collect();
    assert!(tokens.contains(&evil.to_owned()), "{tokens:?}");
    // put prints the token it was given; that is escaped too.
    let out = Scsctl::new()
        .db(&db)
        .args([
            "put",
            "--ttl",
            "1h",
            "--raw",
            "--data-file",
            "-",
            "--",
            "new\u{1b}[2J",
        ])
        .stdin(b"x".to_vec())
        .run();
    out.success();
    check(&out, "put");
    assert!(seed::exists(&db, "new\u{1b}[2J"));
}

#[test]
fn hashed_tokens_are_scs_hash_token_in_store_byte_for_byte() {
    let db = seed::fresh();
    // base64url-without-padding(SHA-256(token)), computed independently with
    // `printf %s TOKEN | openssl dgst -sha256 -binary | basenc --base64url | tr -d =`.
    let known = [
        (
            "Cn1tBvXfXVMM9u38JxSGtnL2XFhMdGTj3YmD7o7mBOQ",
            "dPLWXwcaZqRKA_PlRpY-OumpiFXvI5YW52Vt90ydX-A",
        ),
        (
            "-x3Jq9v_Xn2-AbCdEfGhIjKlMnOpQrStUvWxYz01234",
            "fH-4YQSgQ3BlyOqVL745rgDFsjf4DUf27zd7Tih6yto",
        ),
        (
            "ünïcödé token",
            "6l3vEZBz9fdlfvJsU8VOqWl_evP3J3jNcuVEtwp499M",
        ),
    ];
    for (token, stored) in known {
        let out = Scsctl::new()
            .db(&db)
            .args([
                "--hashed-tokens",
                "put",
                token,
                "--ttl",
                "1h",
                "--raw",
                "--data-file",
                "-",
            ])
            .stdin(b"h".to_vec())
            .run();
        out.success();
        assert_eq!(out.stdout_str(), format!("{token}\n"));
        assert!(seed::exists(&db, stored), "{token} → {stored}");
        assert!(!seed::exists(&db, token));
        Scsctl::new()
            .db(&db)
            .args(["--hashed-tokens", "get", token])
            .run()
            .success();
        // Without the flag the raw token finds nothing; the stored form is what the app has.
        Scsctl::new().db(&db).args(["get", token]).run().code(3);
    }
    let out = Scsctl::new()
        .db(&db)
        .env("SCSCTL_HASHED_TOKENS", "1")
        .args(["delete", known[0].0, known[1].0])
        .run();
    out.success();
    out.stdout_contains("deleted 2 sessions");
    assert_eq!(seed::count(&db), 1);
    assert!(seed::exists(&db, known[2].1));
    // A new token is printed raw and stored hashed.
    let out = Scsctl::new()
        .db(&db)
        .args([
            "--hashed-tokens",
            "put",
            "--new-token",
            "--ttl",
            "1h",
            "--raw",
            "--data-file",
            "-",
        ])
        .stdin(b"n".to_vec())
        .run();
    out.success();
    let token = out.stdout_str().trim_end().to_owned();
    assert_eq!(token.len(), 43);
    assert!(!seed::exists(&db, &token));
    assert!(seed::exists(&db, &scsctl::token::hash(&token)));
    assert_eq!(seed::count(&db), 2);
}
