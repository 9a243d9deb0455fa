//! Small helpers that put rows in a test database directly, so CLI tests check scsctl against
//! what SQL put there.

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
