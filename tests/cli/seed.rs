//! Small helpers that put rows in a test database directly, so CLI tests check scsctl against
//! what SQL put there.

use std::time::{Duration, Instant};

use crate::support::{Scsctl, TestDb};

/// Creates the default `sessions` table through `scsctl init-schema`.
pub fn init(db: &TestDb) {
    Scsctl::new().db(db).arg("init-schema").run().success();
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

/// How many backends of scsctl (`application_name = 'scsctl'`) are waiting for a lock.
pub fn lock_waiters(client: &mut postgres::Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'scsctl' \
             AND wait_event_type = 'Lock'",
            &[],
        )
        .unwrap()
        .get(0)
}
