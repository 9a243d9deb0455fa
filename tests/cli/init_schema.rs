//! `scsctl init-schema`.

use crate::seed;
use crate::support::{Scsctl, TestDb, cluster};

#[test]
fn creates_the_table_and_is_idempotent() {
    let db = cluster().new_database();
    let out = Scsctl::new().db(&db).arg("init-schema").run();
    out.success();
    assert!(out.stdout_str().contains("created"), "{}", out.stdout_str());
    let again = Scsctl::new().db(&db).arg("init-schema").run();
    again.success();
    assert!(again.stdout_str().contains("has the shape SCS needs"));
    let cols: Vec<(String, String, String)> = db
        .client()
        .query(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
             WHERE table_name = 'sessions' ORDER BY ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let want = [
        ("token", "text", "NO"),
        ("data", "bytea", "NO"),
        ("expiry", "timestamp with time zone", "NO"),
    ];
    assert_eq!(cols.len(), 3);
    for ((n, t, nullable), (wn, wt, wnull)) in cols.iter().zip(want) {
        assert_eq!((n.as_str(), t.as_str(), nullable.as_str()), (wn, wt, wnull));
    }
    let idx: String = db
        .client()
        .query_one(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'sessions_expiry_idx'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(idx.contains("(expiry)"), "{idx}");
}

#[test]
fn concurrent_runs_both_succeed() {
    let db = cluster().new_database();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url();
            std::thread::spawn(move || {
                Scsctl::new()
                    .args([
                        "--database-url",
                        &url,
                        "init-schema",
                        "--table",
                        "app.sessions",
                    ])
                    .run()
            })
        })
        .collect();
    for run in runs {
        run.join().unwrap().success();
    }
    let n: i64 = db
        .client()
        .query_one("SELECT count(*) FROM app.sessions", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[test]
fn dry_run_prints_sql_and_changes_nothing() {
    let db = cluster().new_database();
    let out = Scsctl::new()
        .db(&db)
        .args(["init-schema", "--dry-run", "--grant", "webapp"])
        .run();
    out.success();
    let sql = out.stdout_str();
    assert!(sql.contains(r#"CREATE TABLE IF NOT EXISTS "sessions" (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);"#), "{sql}");
    assert!(
        sql.contains(r#"CREATE INDEX IF NOT EXISTS "sessions_expiry_idx" ON "sessions" (expiry);"#)
    );
    assert!(sql.contains(r#"GRANT SELECT, INSERT, UPDATE, DELETE ON "sessions" TO "webapp";"#));
    let exists: Option<String> = db
        .client()
        .query_one("SELECT to_regclass('sessions')::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(exists, None);
}

#[test]
fn grant_lets_the_app_role_use_the_table() {
    let db = cluster().new_database();
    let role = format!("app_{}", db.name);
    db.create_role(&role, "app-pw");
    Scsctl::new()
        .db(&db)
        .args(["init-schema", "--grant", &role])
        .run()
        .success();
    let privileges: Vec<String> = db
        .client()
        .query(
            "SELECT privilege_type::text FROM information_schema.role_table_grants \
             WHERE table_name = 'sessions' AND grantee = $1 ORDER BY 1",
            &[&role],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(privileges, ["DELETE", "INSERT", "SELECT", "UPDATE"]);
}

/// Everything about the table init-schema could change: columns (type, nullability, default),
/// indexes and constraints.
fn shape_of_sessions(db: &TestDb) -> String {
    db.client()
        .query_one(
            "SELECT concat_ws(E'\\n', \
               (SELECT string_agg(format('%s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod), \
                        a.attnotnull, pg_get_expr(d.adbin, d.adrelid)), ', ' ORDER BY a.attnum) \
                FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum) \
                WHERE a.attrelid = 'sessions'::regclass AND a.attnum > 0 AND NOT a.attisdropped), \
               (SELECT string_agg(indexdef, ', ' ORDER BY indexdef) FROM pg_indexes \
                WHERE tablename = 'sessions'), \
               (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ', ' ORDER BY conname) \
                FROM pg_constraint \
                WHERE conrelid = 'sessions'::regclass))",
            &[],
        )
        .unwrap()
        .get::<_, String>(0)
}

fn check_shape(ddl: &str, expect_code: i32, expect: &[&str]) {
    let db = cluster().new_database();
    db.client().batch_execute(ddl).unwrap();
    let before = shape_of_sessions(&db);
    let out = Scsctl::new().db(&db).arg("init-schema").run();
    out.code(expect_code);
    let all = format!("{}{}", out.stdout_str(), out.stderr);
    for e in expect {
        assert!(all.contains(e), "expected {e:?} in:\n{all}");
    }
    assert_eq!(
        before,
        shape_of_sessions(&db),
        "init-schema never alters an existing table"
    );
}

#[test]
fn reports_each_difference_of_a_wrongly_shaped_table() {
    check_shape(
        "CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMP NOT NULL); \
         CREATE INDEX ON sessions (expiry)",
        1,
        &["column expiry is timestamp without time zone; SCS needs TIMESTAMPTZ"],
    );
    check_shape(
        "CREATE TABLE sessions (token TEXT PRIMARY KEY, data TEXT NOT NULL, expiry TIMESTAMPTZ NOT NULL); \
         CREATE INDEX ON sessions (expiry)",
        1,
        &["column data is text; SCS needs BYTEA"],
    );
    check_shape(
        "CREATE TABLE sessions (token TEXT, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL, owner INT NOT NULL)",
        1,
        &[
            "token is not the primary key",
            "extra column owner is NOT NULL without a default",
            "no index on expiry",
        ],
    );
    check_shape(
        "CREATE TABLE sessions (token TEXT PRIMARY KEY, expiry TIMESTAMPTZ NOT NULL)",
        1,
        &["column data is missing"],
    );
}

#[test]
fn missing_index_is_a_warning_not_an_incompatibility() {
    check_shape(
        "CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)",
        0,
        &[
            "scsctl: warning: no index on expiry",
            "CREATE INDEX CONCURRENTLY",
        ],
    );
}

#[test]
fn json_output_names_the_status() {
    let db = cluster().new_database();
    let out = Scsctl::new()
        .db(&db)
        .args(["-o", "json", "init-schema"])
        .run();
    out.success();
    assert_eq!(out.json()["status"], "created");
    seed::row(&db, "t", b"x", 60);
    let out = Scsctl::new()
        .db(&db)
        .args(["init-schema", "-o", "json"])
        .run();
    out.success();
    assert_eq!(out.json()["status"], "ok");
}
