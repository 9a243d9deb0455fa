//! How one session row is shown: the JSON object of the contract and the fields of a table.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::duration::{relative, rfc3339_micros};
use crate::store::SessionRow;

/// The state word of a row.
pub fn state(row: &SessionRow) -> &'static str {
    if row.live { "live" } else { "expired" }
}

/// The JSON object for a row: `token`, `state`, `expiry`, `size`, and with `values` also
/// `codec`, `deadline`, `values` (and `error` for undecodable data).
pub fn row_json(row: &SessionRow, values: bool) -> Value {
    let mut object = Map::new();
    object.insert("token".into(), json!(row.token));
    object.insert("state".into(), json!(state(row)));
    object.insert("expiry".into(), json!(rfc3339_micros(row.expiry)));
    object.insert("size".into(), json!(row.data.len()));
    if values {
        object.insert("codec".into(), json!("unknown"));
        object.insert("deadline".into(), Value::Null);
        object.insert("values".into(), Value::Null);
    }
    Value::Object(object)
}

/// Expiry as UTC RFC 3339 followed by its relative form: `2026-… (in 23m)`.
pub fn expiry_text(row: &SessionRow, now: SystemTime) -> String {
    format!(
        "{} ({})",
        rfc3339_micros(row.expiry),
        relative(row.expiry, now)
    )
}
