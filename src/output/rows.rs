//! How session rows are shown: the JSON object of the contract, the fields of a table, which
//! rows pass `--where`, and the warnings about rows a filter cannot look into.

use std::io::Write as _;
use std::time::SystemTime;

use serde_json::Value;

use crate::duration::{relative, rfc3339_micros};
use crate::gob::json;
use crate::gob::names::Registry;
use crate::gob::{Iface, Value as GobValue};
use crate::session::{Decoded, Filter};
use crate::store::SessionRow;

/// The state word of a row.
pub fn state(row: &SessionRow) -> &'static str {
    if row.live { "live" } else { "expired" }
}

/// The JSON object for a row: `token`, `state`, `expiry`, `size`, and when the data was decoded
/// also `codec`, `deadline`, `values` (and `error` for gob that cannot be decoded).
pub fn row_json(row: &SessionRow, decoded: Option<&Decoded>) -> Value {
    let mut out = Vec::new();
    write_row_json(row, decoded, &mut out);
    json::parse(&out)
}

/// Appends [`row_json`]'s document to `out` (compact, keys sorted, terminal-safe), without
/// building it: `list --values` writes a million of these.
pub fn write_row_json(row: &SessionRow, decoded: Option<&Decoded>, out: &mut Vec<u8>) {
    // Members in sorted order, as a `serde_json::Map` prints them.
    let mut first = true;
    let mut member = |out: &mut Vec<u8>, name: &str| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        json::write_str(out, name);
        out.push(b':');
    };
    out.push(b'{');
    if let Some(decoded) = decoded {
        member(out, "codec");
        json::write_str(out, decoded.codec_name());
        member(out, "deadline");
        match decoded {
            Decoded::Gob(s) => json::write_time(out, &s.deadline),
            Decoded::ScsV1Json { deadline, .. } => json::write_time(out, deadline),
            Decoded::Unknown | Decoded::Corrupt(_) => out.extend_from_slice(b"null"),
        }
        if let Decoded::Corrupt(e) = decoded {
            member(out, "error");
            json::write_str(out, &e.to_string());
        }
    }
    member(out, "expiry");
    json::write_str(out, &rfc3339_micros(row.expiry));
    member(out, "size");
    let _ = write!(out, "{}", row.size);
    member(out, "state");
    json::write_str(out, state(row));
    member(out, "token");
    json::write_str(out, &row.token);
    if let Some(decoded) = decoded {
        member(out, "values");
        match decoded {
            Decoded::Gob(s) => s.write_values_json(out),
            Decoded::ScsV1Json { values, .. } => json::write_json(out, values),
            Decoded::Unknown | Decoded::Corrupt(_) => out.extend_from_slice(b"null"),
        }
    }
    out.push(b'}');
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

/// The app's registry from `--registered NAMES|@FILE`, if given.
pub fn registry(arg: &crate::cli::RegisteredArg) -> crate::Result<Option<Registry>> {
    let Some(arg) = &arg.registered else {
        return Ok(None);
    };
    let text;
    let (list, sep): (&str, char) = match arg.strip_prefix('@') {
        Some(path) => {
            text = std::fs::read_to_string(path)
                .map_err(|e| crate::Error::io(format!("cannot read --registered {arg}"), e))?;
            (&text, '\n')
        }
        None => (arg, ','),
    };
    let mut names = Vec::new();
    for name in list.split(sep).map(str::trim).filter(|n| !n.is_empty()) {
        if sep == '\n' && name.starts_with('#') {
            continue;
        }
        crate::gob::names::check_go_type_name(name)
            .map_err(|e| crate::Error::Usage(format!("--registered: {e}")))?;
        names.push(name.to_owned());
    }
    Ok(Some(Registry::new(names)))
}

/// Why Go, with the app's registry, fails to decode this data (Go's words where Go has them),
/// or `None` when it decodes.
pub fn go_error(decoded: &Decoded, registry: &Registry) -> Option<String> {
    match decoded {
        Decoded::Gob(s) => {
            let mut missing = None;
            for (_, v) in &s.values {
                if let Some(v) = v {
                    first_unknown(v, registry, &mut missing);
                }
                if missing.is_some() {
                    break;
                }
            }
            missing.map(|n| crate::gob::names::not_registered_error(&n))
        }
        Decoded::Corrupt(e) => Some(format!("not gob: {e}")),
        Decoded::Unknown => Some("not gob: not SCS session data".to_owned()),
        Decoded::ScsV1Json { .. } => {
            Some("not gob: SCS v1 JSON, which SCS v2's gob codec cannot read".to_owned())
        }
    }
}

/// The first interface name in `iface` (itself, then what it holds, in wire order) that the
/// registry does not know: the one Go stops at.
fn first_unknown(iface: &Iface, registry: &Registry, out: &mut Option<String>) {
    if !registry.knows(&iface.name) {
        *out = Some(iface.name.to_string());
        return;
    }
    each_iface(&iface.value, &mut |inner| {
        if out.is_none() {
            first_unknown(inner, registry, out);
        }
    });
}

/// Calls `f` with each interface value directly inside `v` (not inside those), in wire order.
pub fn each_iface(v: &GobValue, f: &mut dyn FnMut(&Iface)) {
    match v {
        GobValue::Interface(Some(i)) => f(i),
        GobValue::List(items) => items.iter().for_each(|i| each_iface(i, f)),
        GobValue::Map(entries) => entries.iter().for_each(|(k, v)| {
            each_iface(k, f);
            each_iface(v, f);
        }),
        GobValue::Struct(fields) => fields.iter().for_each(|(_, v)| each_iface(v, f)),
        _ => {}
    }
}
