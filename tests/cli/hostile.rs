//! Hostile and wrong input: each gets a clear message and the right exit code, and changes
//! nothing in the database. (`errors.rs` has the basics: malformed URLs, unknown keys, wrong
//! password, unknown database, closed port, missing table, a role without DELETE.)

use crate::seed;
use crate::support::{Output, Scsctl, TestDb, cluster, random_hex};

/// Every row of `table` as text, in a stable order: what "nothing changed" is checked against.
fn snapshot(db: &TestDb, table: &str) -> Vec<String> {
    db.client()
        .query(
            &format!("SELECT t::text FROM {table} t ORDER BY t::text"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The names of the tables in the database (to prove no command created or dropped one).
fn tables(db: &TestDb) -> Vec<String> {
    db.client()
        .query(
            "SELECT relname::text FROM pg_class WHERE relkind = 'r' \
             AND relnamespace = 'public'::regnamespace ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The one-shot commands that touch the table, with the arguments each needs.
fn table_commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["get", "live"],
        vec!["list", "--state", "all"],
        vec!["stats"],
        vec!["delete", "live"],
        vec!["delete", "--expired"],
        vec!["purge"],
        vec!["put", "new", "--ttl", "1h", "--raw", "--data-file", "-"],
    ]
}

fn run_on(db: &TestDb, table: &str, args: &[&str]) -> Output {
    Scsctl::new()
        .db(db)
        .args(["-t", table])
        .args(args)
        .stdin(b"data".to_vec())
        .run()
}

#[test]
fn wrongly_typed_columns_are_refused_by_every_command_and_nothing_changes() {
    let db = cluster().new_database();
    let cases = [
        (
            "no_tz",
            "token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMP NOT NULL",
            "column expiry is timestamp; SCS needs TIMESTAMPTZ",
            "expiry",
        ),
        (
            "text_data",
            "token TEXT PRIMARY KEY, data TEXT NOT NULL, expiry TIMESTAMPTZ NOT NULL",
            "column data is text; SCS needs BYTEA",
            "data",
        ),
        (
            "varchar_token",
            "token VARCHAR(64) PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL",
            "column token is varchar; SCS needs TEXT",
            "token",
        ),
    ];
    for (table, columns, _, _) in &cases {
        db.psql(&format!(
            "CREATE TABLE {table} ({columns}); CREATE INDEX ON {table} (expiry);
             INSERT INTO {table} VALUES ('live', 'x', now() + interval '1 hour'),
                                        ('old', 'y', now() - interval '1 hour');"
        ));
    }
    for (table, _, why, column) in &cases {
        let before = snapshot(&db, table);
        for args in table_commands() {
            let out = run_on(&db, table, &args);
            out.code(1);
            out.stderr_contains(&format!(
                "scsctl: error: table \"{table}\" does not have the shape SCS needs ({why}) — run: scsctl init-schema --table '{table}'"
            ));
            assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
            assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout_str());
        }
        assert_eq!(snapshot(&db, table), before, "{table} changed");
        // init-schema names the same difference and changes nothing either.
        let out = Scsctl::new()
            .db(&db)
            .args(["-t", table, "init-schema"])
            .run();
        out.code(1);
        out.stdout_contains(&format!("column {column} is "));
        assert_eq!(snapshot(&db, table), before, "{table} changed");
    }
}

#[test]
fn a_table_without_primary_key_cannot_take_writes_and_one_without_index_works() {
    let db = cluster().new_database();
    db.psql(
        "CREATE TABLE no_pk (token TEXT NOT NULL, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
         CREATE TABLE no_index (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
         INSERT INTO no_pk VALUES ('live', 'x', now() + interval '1 hour');
         INSERT INTO no_index VALUES ('live', 'x', now() + interval '1 hour'),
                                     ('old', 'y', now() - interval '1 hour');",
    );
    // SCS's upsert needs ON CONFLICT (token): put says so and writes nothing.
    let before = snapshot(&db, "no_pk");
    let out = run_on(
        &db,
        "no_pk",
        &["put", "live", "--ttl", "2h", "--raw", "--data-file", "-"],
    );
    out.code(1);
    out.stderr_contains("table \"no_pk\" does not have the shape SCS needs (there is no unique or exclusion constraint matching the ON CONFLICT specification)");
    out.stderr_contains("scsctl init-schema --table 'no_pk'");
    assert!(out.stdout.is_empty());
    assert_eq!(snapshot(&db, "no_pk"), before);
    // Reading works: SCS itself only needs the key for writes.
    run_on(&db, "no_pk", &["get", "live"]).success();
    // Without the expiry index everything works (only slower); init-schema warns about it.
    run_on(&db, "no_index", &["purge", "-q"]).success();
    assert_eq!(snapshot(&db, "no_index").len(), 1);
    run_on(
        &db,
        "no_index",
        &["put", "n", "--ttl", "1h", "--raw", "--data-file", "-"],
    )
    .success();
    assert_eq!(snapshot(&db, "no_index").len(), 2);
}

#[test]
fn table_names_built_to_inject_sql_touch_nothing() {
    let db = seed::fresh();
    seed::row(&db, "live", b"x", 600);
    seed::row(&db, "old", b"y", -600);
    db.psql("CREATE TABLE victim (v int); INSERT INTO victim VALUES (1), (2);");
    let before_tables = tables(&db);
    let before_rows = snapshot(&db, "sessions");
    for name in [
        "sessions; DROP TABLE victim; --",
        "sessions\"; DROP TABLE victim; --",
        "victim\" WHERE false; DELETE FROM sessions; --",
        "sessions' OR '1'='1",
        "public.sessions\"; TRUNCATE sessions; --",
        "x\u{1b}]0;owned\u{7}",
    ] {
        for args in table_commands() {
            let out = run_on(&db, name, &args);
            out.code(1);
            out.stderr_contains("does not exist — run: scsctl init-schema --table '");
            assert!(out.stdout.is_empty(), "{name}: {}", out.stdout_str());
            assert!(
                !out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{7}'),
                "{:?}",
                out.stderr
            );
        }
    }
    // A real table of the wrong shape is refused before anything is done to it.
    for args in table_commands() {
        let out = run_on(&db, "victim", &args);
        out.code(1);
        out.stderr_contains("table \"victim\" does not have the shape SCS needs");
    }
    assert_eq!(tables(&db), before_tables);
    assert_eq!(snapshot(&db, "victim"), ["(1)", "(2)"]);
    assert_eq!(snapshot(&db, "sessions"), before_rows);
}

#[test]
fn bad_connection_settings_name_the_culprit_and_change_nothing() {
    let db = seed::fresh();
    seed::row(&db, "keep", b"x", 600);
    let c = cluster();
    let tmp = tempfile::tempdir_in(crate::support::scratch_dir()).unwrap();
    let dir = tmp.path();
    let missing = dir.join("missing.pem");
    let loose_key = dir.join("loose.key");
    std::fs::write(&loose_key, "-----BEGIN PRIVATE KEY-----\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&loose_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let base = format!(
        "postgres://{}:{}@localhost:{}/{}",
        c.admin_user(),
        c.admin_password(),
        c.port(),
        db.name
    );
    let client_cert = c
        .certs()
        .map(|certs| certs.client_cert.display().to_string())
        .unwrap_or_else(|| missing.display().to_string());
    let m = missing.display().to_string();
    let d = dir.display().to_string();
    let k = loose_key.display().to_string();
    let cases: Vec<(String, i32, Vec<String>)> = vec![
        (
            format!("{base}?sslmode=verify_full"),
            2,
            vec!["invalid sslmode value \"verify_full\"".into()],
        ),
        (
            format!("{base}?sslmode=disable&bogus=1"),
            2,
            vec!["bogus".into()],
        ),
        (
            format!("{base}?sslmode=verify-full&sslrootcert={m}"),
            4,
            vec![
                format!("root certificate file \"{m}\""),
                "sslmode=verify-full".into(),
            ],
        ),
        (
            format!("{base}?sslmode=require&sslcert={m}&sslkey={k}"),
            4,
            vec![format!("client certificate file \"{m}\"")],
        ),
        (
            // A directory cannot be read as a file (as root, permissions would not stop us).
            format!("{base}?sslmode=require&sslcert={client_cert}&sslkey={d}"),
            4,
            vec![format!("\"{d}\"")],
        ),
        (
            format!("{base}?sslmode=require&sslcert={client_cert}&sslkey={k}"),
            4,
            vec![format!(
                "private key file \"{k}\" has group or world access"
            )],
        ),
        (
            format!(
                "postgres://{}:{}@no-such-host.invalid:{}/{}?sslmode=disable&connect_timeout=5",
                c.admin_user(),
                c.admin_password(),
                c.port(),
                db.name
            ),
            4,
            vec!["no-such-host.invalid".into()],
        ),
    ];
    for (url, code, needles) in &cases {
        let out = Scsctl::new()
            .arg("-d")
            .arg(url)
            .args(["delete", "keep"])
            .run();
        out.code(*code);
        out.stderr_contains("scsctl: error: ");
        for needle in needles {
            out.stderr_contains(needle);
        }
        out.not_contains(c.admin_password());
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(seed::exists(&db, "keep"), "{url}");
    }
}

#[test]
fn tokens_with_control_characters_newlines_and_megabytes() {
    let db = seed::fresh();
    seed::row(&db, "bystander", b"b", 600);
    // Control characters and a newline survive a round trip through argv.
    let odd = "line1\nline2\r\t\u{1b}[31mred\u{7}\u{9b}";
    Scsctl::new()
        .db(&db)
        .args(["put", "--ttl", "1h", "--raw", "--data-file", "-", "--", odd])
        .stdin(b"odd".to_vec())
        .run()
        .success();
    assert!(seed::exists(&db, odd));
    let out = Scsctl::new()
        .db(&db)
        .args(["get", "-o", "json", "--", odd])
        .run();
    out.success();
    assert_eq!(out.json()["token"], odd);
    Scsctl::new()
        .db(&db)
        .args(["delete", "--", odd])
        .run()
        .success();
    assert!(!seed::exists(&db, odd));

    // 100 kB tokens (argv allows 128 kB per argument): a short message, nothing written.
    let big: String = (0..100_000 / 32).map(|_| random_hex(16)).collect();
    let out = Scsctl::new().db(&db).args(["get", &big]).run();
    out.code(3);
    out.stderr_contains("…\" (100000 bytes) in table \"sessions\"");
    assert!(
        out.stderr.len() < 400,
        "{} bytes of stderr",
        out.stderr.len()
    );
    let out = Scsctl::new()
        .db(&db)
        .args(["put", &big, "--ttl", "1h", "--raw", "--data-file", "-"])
        .stdin(b"x".to_vec())
        .run();
    out.code(1);
    out.stderr_contains("cannot write the session: index row requires");
    assert!(
        out.stderr.len() < 400,
        "{} bytes of stderr",
        out.stderr.len()
    );
    assert_eq!(seed::count(&db), 1);

    // A 1 MB line on stdin: not a token anyone has, so exit 3, a short message, nothing gone.
    let mut lines = "x".repeat(1 << 20);
    lines.push('\n');
    lines.push_str("bystander-not\n");
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "-"])
        .stdin(lines.into_bytes())
        .run();
    out.code(3);
    out.stderr_contains("2 of 2 tokens had no session");
    out.stderr_contains(&format!("…\" ({} bytes)", 1 << 20));
    assert!(
        out.stderr.len() < 500,
        "{} bytes of stderr",
        out.stderr.len()
    );
    assert!(seed::exists(&db, "bystander"));
    assert_eq!(seed::count(&db), 1);
}

#[test]
fn non_utf8_input_is_refused_before_anything_happens() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let db = seed::fresh();
    seed::row(&db, "keep", b"x", 600);
    seed::row(&db, "old", b"x", -600);
    let bad = OsStr::from_bytes(b"tok\xff\xfe");
    for sub in ["get", "delete"] {
        let out = Scsctl::new().db(&db).arg(sub).arg(bad).run();
        out.code(2);
        out.stderr_contains("invalid UTF-8");
    }
    // On stdin, one bad line among good ones deletes nothing (delete reads all lines first).
    let out = Scsctl::new()
        .db(&db)
        .args(["delete", "-"])
        .stdin(b"keep\nold\n\xc3\x28\n".to_vec())
        .run();
    out.code(1);
    out.stderr_contains("line 3 of stdin is not UTF-8");
    assert_eq!(seed::count(&db), 2);
    // Session data is bytes: non-UTF-8 data is stored unchanged.
    Scsctl::new()
        .db(&db)
        .args(["put", "bin", "--ttl", "1h", "--raw", "--data-file", "-"])
        .stdin(b"\xff\xfe\x00\xc3\x28".to_vec())
        .run()
        .success();
    let out = Scsctl::new().db(&db).args(["get", "--raw", "bin"]).run();
    out.success();
    assert_eq!(out.stdout, b"\xff\xfe\x00\xc3\x28");
}

#[test]
fn expiries_before_1970_or_after_9999_are_shown_not_fatal() {
    let db = seed::fresh();
    db.psql(
        "INSERT INTO sessions VALUES \
         ('ancient', '\\x00', '1960-01-01 00:00:00.25+00'), \
         ('far', '\\x00', '12000-06-01 00:00:00+00')",
    );
    let out = Scsctl::new()
        .db(&db)
        .args(["list", "--state", "all", "-o", "ndjson"])
        .run();
    out.success();
    out.stdout_contains("\"1960-01-01T00:00:00.25Z\"");
    out.stdout_contains("\"12000-06-01T00:00:00Z\"");
    for (token, expiry) in [
        ("ancient", "\"1960-01-01T00:00:00.25Z\""),
        ("far", "\"12000-06-01T00:00:00Z\""),
    ] {
        let out = Scsctl::new()
            .db(&db)
            .args(["get", token, "-o", "json"])
            .run();
        out.success();
        out.stdout_contains(expiry);
        Scsctl::new().db(&db).args(["get", token]).run().success();
    }
    let out = Scsctl::new().db(&db).args(["list", "--state", "all"]).run();
    out.success();
    out.stdout_contains("1960-01-01");
    out.stdout_contains("12000-06-01");
    Scsctl::new().db(&db).arg("stats").run().success();
    // What scsctl writes itself stays within 1970 to 9999.
    let out = Scsctl::new()
        .db(&db)
        .args(["put", "t", "--expires-at", "1969-12-31T23:00:00Z"])
        .run();
    out.code(2);
    out.stderr_contains("from 1970 to 9999");
    assert_eq!(seed::count(&db), 2);
}

#[test]
fn durations_without_units_negative_or_in_months() {
    let db = seed::fresh();
    seed::row(&db, "old", b"x", -7200);
    for (flag, value) in [
        ("--grace", "30"),
        ("--grace", "-5m"),
        ("--grace", "5 minutes ago"),
        ("--max-duration", "10"),
        ("--batch-size", "-1"),
        ("--batch-size", "lots"),
    ] {
        let out = Scsctl::new().db(&db).args(["purge", flag, value]).run();
        out.code(2);
        out.stderr_contains(value);
        assert!(out.stdout.is_empty());
        assert_eq!(seed::count(&db), 1, "{flag} {value}");
    }
    // `M` is months: accepted with a warning that says how long that is; the row expired
    // two hours ago is within a 5-month grace, so it stays.
    let out = Scsctl::new().db(&db).args(["purge", "--grace", "5M"]).run();
    out.success();
    out.stderr_contains("scsctl: warning: --grace \"5M\" is read as months");
    out.stderr_contains("152 days");
    assert_eq!(seed::count(&db), 1);
    Scsctl::new()
        .db(&db)
        .args(["purge", "--grace", "1h"])
        .run()
        .success();
    assert_eq!(seed::count(&db), 0);
}

#[test]
fn the_servers_detail_and_hint_get_lines_of_their_own_and_cannot_fake_one() {
    let db = cluster().new_database();
    // An extra NOT NULL column: the server refuses the insert and quotes the row, token and
    // all, in its DETAIL.
    db.psql(
        "CREATE TABLE wide (token TEXT PRIMARY KEY, data BYTEA NOT NULL, \
         expiry TIMESTAMPTZ NOT NULL, extra INT NOT NULL)",
    );
    let token = "t\nscsctl: error: forged line\u{1b}[2J";
    let out = Scsctl::new()
        .db(&db)
        .args([
            "-t",
            "wide",
            "put",
            "--ttl",
            "1h",
            "--raw",
            "--data-file",
            "-",
            "--",
            token,
        ])
        .stdin(b"x".to_vec())
        .run();
    out.code(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(
        lines[0]
            .starts_with("scsctl: error: cannot write the session: null value in column \"extra\""),
        "{}",
        out.stderr
    );
    assert!(
        lines[1]
            .starts_with("  detail: Failing row contains (t\\nscsctl: error: forged line\\e[2J"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}'));
    // A hint from scsctl itself: no password given to a server that wants one.
    let c = cluster();
    let out = Scsctl::new()
        .arg("-d")
        .arg(format!(
            "postgres://{}@{}:{}/{}?sslmode=disable",
            c.admin_user(),
            c.host(),
            c.port(),
            db.name
        ))
        .arg("stats")
        .run();
    out.code(4);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(
        lines[0].ends_with("the server asks for a password and none was given"),
        "{}",
        out.stderr
    );
    assert_eq!(
        lines[1],
        "hint: give one in the URL, PGPASSWORD or the password file (~/.pgpass)"
    );
}

#[test]
fn a_read_only_role_changes_nothing_with_any_writing_command() {
    let db = seed::fresh();
    seed::row(&db, "live", b"x", 600);
    seed::row(&db, "old", b"y", -600);
    Scsctl::new()
        .db(&db)
        .args(["put", "valued", "--ttl", "1h", "--set", "plan=free"])
        .run()
        .success();
    let role = format!("ro_{}", random_hex(4));
    db.create_role(&role, "ro-pw");
    db.psql(&format!("GRANT SELECT ON sessions TO {role}"));
    let c = cluster();
    let url = format!(
        "postgres://{role}:ro-pw@{}:{}/{}?sslmode=disable",
        c.host(),
        c.port(),
        db.name
    );
    let before = snapshot(&db, "sessions");
    for args in [
        vec!["purge"],
        vec!["purge", "--lock-mode", "transaction"],
        vec!["delete", "--expired"],
        vec!["delete", "live", "old"],
        vec!["delete", "--where", "plan=free"],
        vec!["put", "live", "--ttl", "2h", "--raw", "--data-file", "-"],
        vec![
            "put", "valued", "--ttl", "2h", "--merge", "--set", "plan=pro",
        ],
        vec!["init-schema", "--grant", role.as_str()],
    ] {
        let out = Scsctl::new()
            .arg("-d")
            .arg(&url)
            .args(&args)
            .stdin(b"x".to_vec())
            .run();
        out.code(1);
        out.stderr_contains("permission denied");
        assert_eq!(snapshot(&db, "sessions"), before, "{args:?}");
    }
    // Reading is what the role may do.
    for args in [vec!["get", "live"], vec!["list"], vec!["stats"]] {
        Scsctl::new()
            .arg("-d")
            .arg(&url)
            .args(&args)
            .run()
            .success();
    }
}
