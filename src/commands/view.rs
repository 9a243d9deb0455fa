//! How one session row is shown: the JSON object of the contract and the fields of a table.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::duration::{relative, rfc3339_micros};
use crate::session::{self, Decoded, Filter};
use crate::store::SessionRow;

/// The state word of a row.
pub fn state(row: &SessionRow) -> &'static str {
    if row.live { "live" } else { "expired" }
}

/// The JSON object for a row: `token`, `state`, `expiry`, `size`, and when the data was decoded
/// also `codec`, `deadline`, `values` (and `error` for gob that cannot be decoded).
pub fn row_json(row: &SessionRow, decoded: Option<&Decoded>) -> Value {
    let mut object = Map::new();
    object.insert("token".into(), json!(row.token));
    object.insert("state".into(), json!(state(row)));
    object.insert("expiry".into(), json!(rfc3339_micros(row.expiry)));
    object.insert("size".into(), json!(row.size));
    if let Some(decoded) = decoded {
        object.insert("codec".into(), json!(decoded.codec_name()));
        let (deadline, values) = match decoded {
            Decoded::Gob(s) => (json!(s.deadline_rfc3339()), s.values_json()),
            Decoded::ScsV1Json { deadline, values } => (json!(deadline.rfc3339()), values.clone()),
            Decoded::Unknown => (Value::Null, Value::Null),
            Decoded::Corrupt(e) => {
                object.insert("error".into(), json!(e.to_string()));
                (Value::Null, Value::Null)
            }
        };
        object.insert("deadline".into(), deadline);
        object.insert("values".into(), values);
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

/// The values of a decoded session on one line: `key=value (type), …`; for data that is not
/// a session, what it is instead.
pub fn values_text(decoded: &Decoded) -> String {
    match decoded {
        Decoded::Gob(s) => s
            .value_rows()
            .iter()
            .map(|v| format!("{}={} ({})", v.key, v.text, v.go_type))
            .collect::<Vec<_>>()
            .join(", "),
        Decoded::ScsV1Json { values, .. } => format!("SCS v1 JSON: {values}"),
        Decoded::Unknown => "(not SCS data)".to_owned(),
        Decoded::Corrupt(e) => format!("(undecodable: {e})"),
    }
}

/// Parses `--where` arguments.
pub fn filters(args: &[String]) -> crate::Result<Vec<Filter>> {
    args.iter()
        .map(|a| Filter::parse(a).map_err(|e| crate::Error::Usage(format!("--where {a:?}: {e}"))))
        .collect()
}

/// Whether a row's decoded data passes every filter. Data that is not a decodable SCS session
/// never matches.
pub fn matches(decoded: &Decoded, filters: &[Filter]) -> bool {
    match decoded {
        Decoded::Gob(s) => filters.iter().all(|f| f.matches(s)),
        _ => false,
    }
}

/// Counts rows a filter could not look into, and says so (a few by name, then a total).
#[derive(Debug, Default)]
pub struct Undecodable {
    count: u64,
    shown: Vec<String>,
}

/// How many undecodable rows are named one by one before only the total is given.
const NAMED: usize = 5;

impl Undecodable {
    /// Records `row` when its data could not be decoded as an SCS session.
    pub fn note(&mut self, row: &SessionRow, decoded: &Decoded) {
        let why = match decoded {
            Decoded::Gob(_) => return,
            Decoded::ScsV1Json { .. } => {
                "SCS v1 JSON data, which filters do not look into".to_owned()
            }
            Decoded::Unknown => "data that is not SCS gob".to_owned(),
            Decoded::Corrupt(e) => format!("gob that cannot be decoded: {e}"),
        };
        self.count += 1;
        if self.shown.len() < NAMED {
            self.shown.push(format!(
                "session {} holds {why}; skipped",
                crate::token::for_message(&row.token)
            ));
        }
    }

    /// The warnings to print.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.shown.clone();
        if self.count > NAMED as u64 {
            out.push(format!(
                "{} sessions in all could not be decoded and were skipped by --where",
                self.count
            ));
        }
        out
    }
}

/// Decodes a row's data.
pub fn decode(row: &SessionRow) -> Decoded {
    session::decode(&row.data)
}
