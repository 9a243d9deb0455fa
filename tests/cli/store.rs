//! The store module against postgresstore's semantics, through the library API.

use std::time::{Duration, SystemTime};

use scsctl::connect::{Env, Target};
use scsctl::store::Store;
use scsctl::table::TableName;

use crate::support::{TestDb, cluster};

fn store(db: &TestDb, table: &str) -> Store {
    let target = Target::resolve(Some(&db.url()), &Env::default()).unwrap();
    let mut store = Store::connect(&target, TableName::parse(table).unwrap()).unwrap();
    let check = store.init_schema(&[]).unwrap();
    assert!(check.compatible() && !check.existed, "{check:?}");
    store
}

fn hour() -> Duration {
    Duration::from_secs(3600)
}

#[test]
fn find_sees_only_live_sessions() {
    let db = cluster().new_database();
    let mut s = store(&db, "sessions");
    let now = SystemTime::now();
    s.commit("live", b"a", now + hour()).unwrap();
    s.commit("dead", b"b", now - hour()).unwrap();
    assert_eq!(s.find("live").unwrap(), Some(b"a".to_vec()));
    assert_eq!(
        s.find("dead").unwrap(),
        None,
        "expired rows are invisible to find"
    );
    assert_eq!(s.find("nobody").unwrap(), None);
    let all = s.all().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all.get("live").map(Vec::as_slice), Some(&b"a"[..]));
}

#[test]
fn prepared_statements_keep_the_same_semantics() {
    let db = cluster().new_database();
    let mut s = store(&db, "sessions");
    s.prepare_statements().unwrap();
    let now = SystemTime::now();
    s.commit("live", b"a", now + hour()).unwrap();
    s.commit("live", b"b", now + hour()).unwrap();
    s.commit("dead", b"c", now - hour()).unwrap();
    assert_eq!(s.find("live").unwrap(), Some(b"b".to_vec()));
    assert_eq!(s.find("dead").unwrap(), None);
    assert_eq!(s.find("nobody").unwrap(), None);
    assert_eq!(s.all().unwrap().len(), 1);
    assert!(s.delete("live").unwrap());
    assert!(!s.delete("live").unwrap());
    assert_eq!(s.find("live").unwrap(), None);
    // The statements are named on the server: the store's own session lists them (this
    // query, prepared by rust-postgres too, leaves itself out).
    let names: i64 = s
        .client()
        .query_one(
            "SELECT count(*) FROM pg_prepared_statements \
             WHERE statement LIKE '%sessions%' AND statement NOT LIKE '%pg_prepared%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(names, 4, "find, commit, delete and all are prepared");
}

#[test]
fn commit_is_an_upsert() {
    let db = cluster().new_database();
    let mut s = store(&db, "sessions");
    let later = SystemTime::now() + hour();
    s.commit("t", b"one", later).unwrap();
    s.commit("t", b"two", later + hour()).unwrap();
    assert_eq!(s.find("t").unwrap(), Some(b"two".to_vec()));
    let row = s.fetch("t").unwrap().unwrap();
    let drift = row
        .expiry
        .duration_since(later + hour())
        .unwrap_or_else(|e| e.duration());
    assert!(
        drift < Duration::from_millis(1),
        "expiry stored to the microsecond"
    );
    let rows: i64 = db
        .client()
        .query_one("SELECT count(*) FROM sessions", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
}

#[test]
fn delete_of_a_missing_token_is_not_an_error() {
    let db = cluster().new_database();
    let mut s = store(&db, "sessions");
    s.commit("t", b"x", SystemTime::now() + hour()).unwrap();
    assert!(s.delete("t").unwrap());
    assert!(!s.delete("t").unwrap());
    assert_eq!(s.find("t").unwrap(), None);
}

#[test]
fn expiry_equal_to_now_is_neither_found_nor_cleaned() {
    // Inside one transaction current_timestamp stands still, so a row can expire exactly now.
    let db = cluster().new_database();
    let mut s = store(&db, "sessions");
    s.client().batch_execute("BEGIN").unwrap();
    let now: SystemTime = s
        .client()
        .query_one("SELECT current_timestamp", &[])
        .unwrap()
        .get(0);
    s.commit("edge", b"x", now).unwrap();
    assert_eq!(
        s.find("edge").unwrap(),
        None,
        "find needs current_timestamp < expiry"
    );
    assert_eq!(
        s.delete_expired().unwrap(),
        0,
        "cleanup needs expiry < current_timestamp"
    );
    assert!(s.fetch("edge").unwrap().is_some());
    s.client().batch_execute("ROLLBACK").unwrap();
}

#[test]
fn hostile_table_names_create_exactly_that_table() {
    let db = cluster().new_database();
    let names = [
        r#"x"; DROP TABLE victim; --"#,
        "it's",
        "MixedCase",
        "sessões_ünïcode",
        r#"quo"te.d"#,
    ];
    db.client()
        .batch_execute("CREATE TABLE victim (id int)")
        .unwrap();
    for name in names {
        let quoted_name = if name.contains('.') {
            // A dot splits schema and table unless the part is quoted.
            format!("\"{}\"", name.replace('"', "\"\""))
        } else {
            name.to_owned()
        };
        let mut s = store(&db, &quoted_name);
        s.commit("t", b"x", SystemTime::now() + hour()).unwrap();
        assert_eq!(s.find("t").unwrap(), Some(b"x".to_vec()));
        let found: i64 = db
            .client()
            .query_one(
                "SELECT count(*) FROM pg_class WHERE relname = $1 AND relkind = 'r'",
                &[&name],
            )
            .unwrap()
            .get(0);
        assert_eq!(found, 1, "table {name:?} exists under its exact name");
    }
    let tables: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'r'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        tables,
        names.len() as i64 + 1,
        "nothing else was created or dropped"
    );
}

#[test]
fn qualified_name_creates_the_schema() {
    let db = cluster().new_database();
    let mut s = store(&db, "app.web_sessions");
    s.commit("t", b"x", SystemTime::now() + hour()).unwrap();
    let n: i64 = db
        .client()
        .query_one("SELECT count(*) FROM app.web_sessions", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let idx: i64 = db
        .client()
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app' AND indexname = 'web_sessions_expiry_idx'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(idx, 1);
}

#[test]
fn background_cleanup_deletes_expired_rows_and_stops_on_drop() {
    let db = cluster().new_database();
    let app = format!("cleanup_test_{}", db.name);
    let url = format!("{}&application_name={app}", db.url());
    let target = Target::resolve(Some(&url), &Env::default()).unwrap();
    let table = TableName::parse("sessions").unwrap();
    let mut seed = Store::connect(&target, table.clone()).unwrap();
    seed.init_schema(&[]).unwrap();
    let now = SystemTime::now();
    for i in 0..50 {
        seed.commit(&format!("old{i}"), b"x", now - hour()).unwrap();
    }
    seed.commit("young", b"y", now + hour()).unwrap();
    drop(seed);

    let store = Store::open(&target, table, Duration::from_millis(100)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left: i64 = db
            .client()
            .query_one("SELECT count(*) FROM sessions", &[])
            .unwrap()
            .get(0);
        if left == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "cleanup did not run: {left} rows left"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let backends = |db: &TestDb| -> i64 {
        db.client()
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&app],
            )
            .unwrap()
            .get(0)
    };
    assert_eq!(backends(&db), 2, "the store's connection and its cleanup's");
    drop(store);
    // Dropping the store joined the cleanup thread, which closed its connection.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let backends = backends(&db);
        if backends == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{backends} connections outlived the store"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let young: i64 = db
        .client()
        .query_one("SELECT count(*) FROM sessions WHERE token = 'young'", &[])
        .unwrap()
        .get(0);
    assert_eq!(young, 1, "live rows are never cleaned");
}

#[test]
fn zero_interval_disables_cleanup() {
    let db = cluster().new_database();
    let target = Target::resolve(Some(&db.url()), &Env::default()).unwrap();
    let table = TableName::parse("sessions").unwrap();
    let mut store = Store::open(&target, table, Duration::ZERO).unwrap();
    store.init_schema(&[]).unwrap();
    store
        .commit("old", b"x", SystemTime::now() - hour())
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(store.fetch("old").unwrap().is_some());
    assert!(store.stop_cleanup().is_none());
}

#[test]
fn background_cleanup_works_leaf_by_leaf_on_partitioned_and_index_less_tables() {
    let db = cluster().new_database();
    let target = Target::resolve(Some(&db.url()), &Env::default()).unwrap();
    let table = TableName::parse("sessions").unwrap();
    let mut seed = Store::connect(&target, table.clone()).unwrap();
    let check = seed.init_schema_with(&[], Some(4)).unwrap();
    assert!(check.partitioned && check.leaves.len() == 4, "{check:?}");
    db.client()
        .batch_execute(
            "INSERT INTO sessions SELECT 'old' || i, '\\x00', now() - interval '1 hour' FROM generate_series(1, 3000) i; \
             INSERT INTO sessions SELECT 'live' || i, '\\x00', now() + interval '1 hour' FROM generate_series(1, 1000) i;",
        )
        .unwrap();
    drop(seed);
    let store = Store::open(&target, table, Duration::from_millis(100)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let counts = || -> (i64, i64) {
        let row = db
            .client()
            .query_one(
                "SELECT count(*) FILTER (WHERE token LIKE 'old%'), count(*) FILTER (WHERE token LIKE 'live%') FROM sessions",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    while counts().0 > 0 {
        assert!(std::time::Instant::now() < deadline, "cleanup did not run");
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = {
        let mut store = store;
        store.stop_cleanup().unwrap()
    };
    assert_eq!(counts(), (0, 1000), "live sessions are never cleaned");
    assert_eq!(report.deleted, 3000, "{report:?}");

    // The same on a table without an expiry index (page-order batches).
    let bare = TableName::parse("bare").unwrap();
    db.client()
        .batch_execute(
            "CREATE TABLE bare (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL); \
             INSERT INTO bare SELECT 'old' || i, '\\x00', now() - interval '1 hour' FROM generate_series(1, 20000) i; \
             INSERT INTO bare SELECT 'live' || i, '\\x00', now() + interval '1 hour' FROM generate_series(1, 500) i;",
        )
        .unwrap();
    let mut store = Store::open(&target, bare, Duration::from_millis(100)).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let old: i64 = db
            .client()
            .query_one("SELECT count(*) FROM bare WHERE token LIKE 'old%'", &[])
            .unwrap()
            .get(0);
        if old == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{old} left");
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = store.stop_cleanup().unwrap();
    assert_eq!(report.deleted, 20_000, "{report:?}");
    let live: i64 = db
        .client()
        .query_one("SELECT count(*) FROM bare", &[])
        .unwrap()
        .get(0);
    assert_eq!(live, 500);
}
