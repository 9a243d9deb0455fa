//! The benchmark's data: a sessions table of N rows with SCS-like tokens and gob data.
//!
//! Token `i` is what SCS makes (43 characters of base64url), derived from `i` so that both the
//! Rust driver and a pgbench script can name any row: base64url(SHA-256(int8send(i))). The data
//! is one real SCS session (Go `encoding/gob` of `{Deadline; Values}` with five values, 324
//! bytes) made by Go 1.19's `encoding/gob`. Expiries are scattered over −12 h … +36 h from now
//! in an order unrelated to the rows' physical order (as on a busy table, where every request
//! rewrites its row), so about a quarter of the rows are expired.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A real SCS session blob (Go gob), 324 bytes.
pub const SESSION_HEX: &str = "26ff81030102ff820001020108446561646c696e6501ff8400010656616c75657301ff8600000010ff830501010454696d6501ff8400000027ff85040101176d61705b737472696e675d696e74657266616365207b7d01ff8600010c01100000ff9aff82010f010000000ee29a0128075bcd15ffff010605656d61696c06737472696e670c1a00186164612e6c6f76656c616365406578616d706c652e636f6d0a637372665f746f6b656e06737472696e670c2d002b71335674306938787659705a30624a77356d4832725439614c6b376e4334655331754636674438684a306b05726f6c6573085b5d737472696e67ff87020102ff8800010c000047ff880f00020561646d696e06656469746f720676697369747303696e74040200220872656d656d62657204626f6f6c020200010675736572494405696e743634040400fe212400";

/// The SQL expression of token `:id` (`$1` in a prepared statement), as pgbench computes it.
pub const TOKEN_SQL: &str =
    "translate(left(encode(sha256(int8send(:id::bigint)), 'base64'), 43), '+/', '-_')";

/// The session blob as bytes.
pub fn session() -> Vec<u8> {
    (0..SESSION_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&SESSION_HEX[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Token `i`, as [`TOKEN_SQL`] computes it.
pub fn token(i: i64) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(i.to_be_bytes()))
}

/// The statements that create table `table` as SCS's postgresstore does and fill it with rows
/// 1..=n (one at a time: VACUUM cannot run in a transaction block).
pub fn sql(table: &str, n: u64) -> Vec<String> {
    let token = TOKEN_SQL.replace(":id", "i");
    vec![
        format!("DROP TABLE IF EXISTS {table}"),
        format!(
            "CREATE TABLE {table} (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL)"
        ),
        format!(
            "INSERT INTO {table} (token, data, expiry) \
             SELECT {token}, '\\x{SESSION_HEX}'::bytea, \
                    now() + ((i * 7919) % 172800 - 43200) * interval '1 second' \
             FROM generate_series(1::bigint, {n}) AS i"
        ),
        format!("CREATE INDEX {table}_expiry_idx ON {table} (expiry)"),
        format!("VACUUM (ANALYZE) {table}"),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_shape() {
        assert_eq!(super::token(1).len(), 43);
        assert_eq!(super::session().len(), 324);
    }
}
