//! Small helpers that put rows in a test database directly, so CLI tests check scsctl against
//! what SQL put there.

use std::time::{Duration, Instant};

use crate::support::{Scsctl, TestDb};

/// Creates the default `sessions` table through `scsctl init-schema`.
pub fn init(db: &TestDb) {
    Scsctl::new().db(db).arg("init-schema").run().success();
}

/// A new database on the shared cluster, with the sessions table made by `init-schema`.
pub fn fresh() -> TestDb {
    let db = crate::support::cluster().new_database();
    init(&db);
    db
}

/// Inserts a row whose expiry is `offset_secs` from the database's now (negative: expired).
pub fn row(db: &TestDb, token: &str, data: &[u8], offset_secs: i64) {
    db.client()
        .execute(
            "INSERT INTO sessions (token, data, expiry) \
             VALUES ($1, $2, current_timestamp + $3::float8 * interval '1 second')",
            &[&token, &data, &(offset_secs as f64)],
        )
        .unwrap();
}

/// Number of rows in `sessions`.
pub fn count(db: &TestDb) -> i64 {
    db.client()
        .query_one("SELECT count(*) FROM sessions", &[])
        .unwrap()
        .get(0)
}

/// Whether `token` has a row.
pub fn exists(db: &TestDb, token: &str) -> bool {
    db.client()
        .query_one("SELECT count(*) FROM sessions WHERE token = $1", &[&token])
        .unwrap()
        .get::<_, i64>(0)
        == 1
}

/// Polls `check` every 50 ms until it holds (true) or `timeout` passes (false).
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    check()
}

/// How many backends of scsctl (`application_name = 'scsctl'`) in `client`'s database match
/// `condition` (SQL over `pg_stat_activity`). Only this database: tests run side by side on one
/// cluster, each in a database of its own.
pub fn scsctl_backends(client: &mut postgres::Client, condition: &str) -> i64 {
    client
        .query_one(
            &format!(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'scsctl' \
                 AND datname = current_database() AND ({condition})"
            ),
            &[],
        )
        .unwrap()
        .get(0)
}

/// How many backends of scsctl in `client`'s database are waiting for a lock.
pub fn lock_waiters(client: &mut postgres::Client) -> i64 {
    scsctl_backends(client, "wait_event_type = 'Lock'")
}

/// Inserts `n` rows named `{prefix}{i}` expiring `offset_secs` (plus i ms) from now.
pub fn rows(db: &TestDb, prefix: &str, n: i64, offset_secs: f64) {
    db.client()
        .execute(
            "INSERT INTO sessions (token, data, expiry) \
             SELECT $1 || i, decode(repeat('ab', 300), 'hex'), \
                    current_timestamp + $2::float8 * interval '1 second' + i * interval '1 ms' \
             FROM generate_series(1, $3::int8) i",
            &[&prefix, &offset_secs, &n],
        )
        .unwrap();
}

/// (expired, live) by the database clock.
pub fn counts_by_clock(db: &TestDb) -> (i64, i64) {
    let row = db
        .client()
        .query_one(
            "SELECT count(*) FILTER (WHERE expiry < current_timestamp), \
                    count(*) FILTER (WHERE expiry >= current_timestamp) FROM sessions",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Inserts `n` rows expired an hour ago (tokens `old-<i>`) and `live` rows live for an hour.
pub fn old_and_live(db: &TestDb, n: i64, live: i64) {
    // The test cluster runs with synchronous_commit = off; these rows must survive a SIGKILL
    // of the postmaster that may follow within the WAL writer's delay.
    db.client()
        .batch_execute(&format!(
            "SET synchronous_commit = on; INSERT INTO sessions SELECT 'old-' || i, '\\x01'::bytea, now() - interval '1 hour' \
             FROM generate_series(1, {n}) i;
             INSERT INTO sessions SELECT 'live-' || i, '\\x02'::bytea, now() + interval '1 hour' \
             FROM generate_series(1, {live}) i;"
        ))
        .unwrap();
}

/// (`old-*` rows, `live-*` rows), as [`old_and_live`] names them.
pub fn counts_by_name(db: &TestDb) -> (i64, i64) {
    let row = db
        .client()
        .query_one(
            "SELECT count(*) FILTER (WHERE token LIKE 'old-%'), \
                    count(*) FILTER (WHERE token LIKE 'live-%') FROM sessions",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}
