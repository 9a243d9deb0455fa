//! The SCS session envelope (`Deadline` + `Values`) on top of [`crate::gob`]; the `--set`
//! values ([`parse_set`]) and `--where` filters ([`Filter`]) that work on it.
//!
//! A row's `data` is gob of `struct{Deadline time.Time; Values map[string]interface{}}` (SCS
//! v2.1+; v2.0's struct named `sessionData` has the same fields and decodes the same). SCS v1
//! stored JSON (`{"data": …, "deadline": <unix ns>}`), recognised as [`Decoded::ScsV1Json`].
//!
//! Re-encoding (`put --merge`): [`Session::set`] replaces or adds keys and [`Session::encode`]
//! writes every value again, including values scsctl cannot itself create (structs, slices,
//! custom marshalers): each keeps its registered name and gets its type definitions re-sent
//! (ids renumbered, field names and shapes unchanged), so Go decodes it into the same
//! registered type. Bytes are identical to Go's when Go's output is deterministic (no map with
//! more than one entry); otherwise equal in value.

mod filter;
mod set;
#[cfg(test)]
mod tests;

pub use filter::Filter;
pub use set::{SET_TYPES, parse_set};

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use serde_json::Value as Json;

use crate::gob::encode::{put_bytes, put_int, put_message, put_type_definition, put_uint};
use crate::gob::json::{self, Writer, to_json};
use crate::gob::types::{BOOL, BYTES, COMPLEX, FLOAT, INT, INTERFACE, STRING, TIME, UINT};
use crate::gob::{
    DecodeError, Decoder, EncodeError, Encoder, ErrorKind, GoTime, Iface, Kind, Marshal, Preamble,
    TypeId, Types, Value, WireType,
};

/// What a `data` column holds.
#[derive(Debug, Clone)]
pub enum Decoded {
    /// An SCS gob session.
    Gob(Session),
    /// An SCS v1 JSON session.
    ScsV1Json {
        /// Its deadline (UTC).
        deadline: GoTime,
        /// Its `data` object as stored.
        values: Json,
    },
    /// Not SCS data at all.
    Unknown,
    /// Binary data that looks like gob but cannot be decoded; the error says what and where.
    Corrupt(DecodeError),
}

impl Decoded {
    /// The codec's name: `"gob"` (also for corrupt gob), `"json"` or `"unknown"`.
    pub fn codec_name(&self) -> &'static str {
        match self {
            Decoded::Gob(_) | Decoded::Corrupt(_) => "gob",
            Decoded::ScsV1Json { .. } => "json",
            Decoded::Unknown => "unknown",
        }
    }
}

/// A session key. Keys up to 24 bytes (nearly all) are kept inline, without an allocation each.
pub type Key = compact_str::CompactString;

/// A decoded SCS session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// When the session expires.
    pub deadline: GoTime,
    /// Values in stored order: key (Go string, invalid UTF-8 replaced) and the interface value
    /// (`None`: a nil interface).
    pub values: Vec<(Key, Option<Iface>)>,
    /// The type table of the stream the values were decoded from: the table of every value
    /// whose [`Iface::types`] is `None`. One per session rather than one per value, because
    /// sharing a table costs an atomic reference count each time.
    pub types: Option<Arc<Types>>,
}

/// One value of a session, rendered for a human table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRow {
    /// The key.
    pub key: String,
    /// The Go type name the value carries (`int`, `main.User`; `<nil>` for nil).
    pub go_type: String,
    /// One-line text: strings as they are (JSON-quoted if they hold control characters; invalid
    /// UTF-8 as `{"bytes":"<base64>"}`), numbers in decimal, bools `true`/`false`, times RFC 3339, `[]uint8`
    /// base64, nil `<nil>`, anything else the compact JSON of its view.
    pub text: String,
}

/// Decodes a `data` column. Never panics.
pub fn decode(data: &[u8]) -> Decoded {
    // A gob stream may start with `{` too (a first message of 123 bytes): only parsed JSON counts.
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{')
        && let Some(json) = decode_v1_json(data)
    {
        return json;
    }
    if data.is_empty() {
        return Decoded::Unknown;
    }
    match decode_gob(data) {
        Ok(Some(s)) => Decoded::Gob(s),
        Ok(None) => Decoded::Unknown,
        Err(_) if looks_like_text(data) => Decoded::Unknown,
        Err(e) => Decoded::Corrupt(e),
    }
}

fn looks_like_text(data: &[u8]) -> bool {
    std::str::from_utf8(data).is_ok_and(|s| s.chars().all(|c| !c.is_control() || c.is_whitespace()))
}

/// `None` if `data` is not JSON at all.
fn decode_v1_json(data: &[u8]) -> Option<Decoded> {
    let Ok(Json::Object(mut m)) = serde_json::from_slice::<Json>(data) else {
        return None;
    };
    Some(
        match (m.get("deadline").and_then(Json::as_i64), m.get("data")) {
            (Some(ns), Some(Json::Object(_))) => Decoded::ScsV1Json {
                deadline: GoTime::from_unix_nanos(ns),
                values: m.remove("data").unwrap_or_default(),
            },
            _ => Decoded::Unknown,
        },
    )
}

/// Decodes SCS gob; `Ok(None)` when it is valid gob but not the SCS envelope.
pub fn decode_gob(data: &[u8]) -> Result<Option<Session>, DecodeError> {
    let envelope = envelope();
    let mut dec = Decoder::with_preamble(data, &envelope.preamble);
    let id = dec.begin()?;
    // After the preamble, its envelope id needs no second look: ids cannot be redefined.
    let fields = if dec.skipped_preamble() && id == ENVELOPE_ID {
        Some(envelope.fields)
    } else {
        envelope_fields(dec.types(), id)
    };
    let Some((deadline_field, values_field)) = fields else {
        // Not the envelope (or its field types arrive later): decode it whole, then look again.
        let value = dec.top(id)?;
        let types = dec.into_shared_types();
        return match envelope_fields(&types, id) {
            Some((d, v)) => session_of(value, d, v, types),
            None => Ok(None),
        };
    };
    // The envelope (the usual case): read its fields straight into the session, without
    // building the struct and the map first. Field types were checked by `envelope_fields`.
    let mut session = Session {
        deadline: crate::gob::time::ZERO_TIME,
        values: Vec::new(),
        types: None,
    };
    let mut bad_deadline = false;
    dec.struct_fields(id, |dec, index, ty| {
        if index == deadline_field {
            match dec.value_at(ty, 1)? {
                Value::Time(t) => session.deadline = t,
                _ => bad_deadline = true,
            }
        } else if index == values_field {
            dec.string_iface_map(1, &mut session.values, key_string)?;
        } else {
            dec.value_at(ty, 1)?;
        }
        Ok(())
    })?;
    if bad_deadline {
        return Err(bad_deadline_error());
    }
    session.types = Some(dec.into_shared_types());
    Ok(Some(session))
}

fn bad_deadline_error() -> DecodeError {
    let kind = ErrorKind::BadTime("the Deadline is not a valid time.Time");
    DecodeError { offset: 0, kind }
}

/// A session key: a Go string, invalid UTF-8 replaced.
fn key_string(k: &[u8]) -> Key {
    match std::str::from_utf8(k) {
        Ok(s) => Key::new(s),
        Err(_) => Key::from_utf8_lossy(k),
    }
}

/// The session in an envelope struct decoded whole (`deadline_field` and `values_field` from
/// [`envelope_fields`]); `None` if it is not a struct.
fn session_of(
    value: Value,
    deadline_field: u32,
    values_field: u32,
    types: Arc<Types>,
) -> Result<Option<Session>, DecodeError> {
    let Value::Struct(fields) = value else {
        return Ok(None);
    };
    let mut session = Session {
        deadline: crate::gob::time::ZERO_TIME,
        values: Vec::new(),
        types: Some(types),
    };
    for (index, v) in fields {
        if index == deadline_field {
            match v {
                Value::Time(t) => session.deadline = t,
                _ => return Err(bad_deadline_error()),
            }
        } else if index == values_field
            && let Value::Map(entries) = v
        {
            session.values.reserve(entries.len());
            for (k, v) in entries {
                let (Value::String(k), Value::Interface(v)) = (k, v) else {
                    continue;
                };
                session.values.push((key_string(&k), v.map(|v| *v)));
            }
        }
    }
    Ok(Some(session))
}

/// Field indexes of `Deadline` and `Values` if `id` is the SCS envelope struct.
fn envelope_fields(types: &Types, id: TypeId) -> Option<(u32, u32)> {
    let Kind::Struct { fields } = &types.get(id)?.kind else {
        return None;
    };
    let find = |name: &str| fields.iter().position(|f| f.name == name);
    let (d, v) = (find("Deadline")?, find("Values")?);
    let deadline_ok = types.get(fields[d].id).is_some_and(WireType::is_time);
    let values_ok = matches!(
        types.get(fields[v].id).map(|t| &t.kind),
        Some(Kind::Map {
            key: STRING,
            elem: INTERFACE
        })
    );
    (deadline_ok && values_ok).then_some((d as u32, v as u32))
}

impl Session {
    /// An empty session expiring at `deadline` (UTC).
    pub fn new(deadline: SystemTime) -> Session {
        Session {
            deadline: GoTime::from_system(deadline),
            values: Vec::new(),
            types: None,
        }
    }

    /// Sets the deadline (UTC).
    pub fn set_deadline(&mut self, deadline: SystemTime) {
        self.deadline = GoTime::from_system(deadline);
    }

    /// The deadline as RFC 3339 with nanoseconds.
    pub fn deadline_rfc3339(&self) -> String {
        self.deadline.rfc3339()
    }

    /// The values as a JSON object: key → `{"type": …, "value": …}`.
    pub fn values_json(&self) -> Json {
        let mut out = Vec::new();
        self.write_values_json(&mut out);
        json::parse(&out)
    }

    /// Appends [`Session::values_json`]'s document to `out`, without building it.
    pub fn write_values_json(&self, out: &mut Vec<u8>) {
        let (values, types) = (&self.values, self.types.as_deref());
        Writer::new(out).object(
            values.len(),
            |i| &values[i].0,
            |w, i| w.iface(values[i].1.as_ref(), types),
        );
    }

    /// `{"deadline": …, "values": …}`.
    pub fn to_json(&self) -> Json {
        serde_json::json!({ "deadline": self.deadline_rfc3339(), "values": self.values_json() })
    }

    /// The value stored under `key`: `Some(None)` when it is a nil interface. A value without a
    /// table of its own ([`Iface::types`] `None`) is typed by [`Session::types`].
    pub fn get(&self, key: &str) -> Option<Option<&Iface>> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Replaces the value under `key`, or adds it. The value must be of a predefined type (what
    /// [`parse_set`] makes), come from this session, or carry its own table in
    /// [`Iface::types`]: otherwise it is typed by this session's table.
    pub fn set(&mut self, key: String, value: Iface) {
        match self.values.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = Some(value),
            None => self.values.push((key.into(), Some(value))),
        }
    }

    /// Removes `key`; returns whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.values.len();
        self.values.retain(|(k, _)| k != key);
        self.values.len() != before
    }

    /// Encodes the session as SCS stores it.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut env = EnvelopeWriter::new(self.deadline, self.values.len());
        for (k, v) in &self.values {
            env.entry(k, v.as_ref(), self.types.as_ref())?;
        }
        Ok(env.finish())
    }

    /// Rows for a human table, sorted by key.
    pub fn value_rows(&self) -> Vec<ValueRow> {
        let mut rows: Vec<ValueRow> = self
            .values
            .iter()
            .map(|(k, v)| {
                let (go_type, text) = match v {
                    Some(i) => (
                        i.name.to_string(),
                        render_text(
                            &to_json(&i.value, i.ty, i.table(self.types.as_deref())),
                            &i.value,
                        ),
                    ),
                    None => ("<nil>".to_owned(), "<nil>".to_owned()),
                };
                ValueRow {
                    key: k.to_string(),
                    go_type,
                    text,
                }
            })
            .collect();
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        rows
    }
}

fn render_text(view: &Json, v: &Value) -> String {
    match (view, v) {
        (Json::String(s), _) if !s.chars().any(char::is_control) => s.clone(),
        (Json::Null, Value::Interface(None)) => "<nil>".to_owned(),
        (other, _) => other.to_string(),
    }
}

/// The Go name a bare (non-interface) value is stored under by [`encode`].
fn natural_name(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint",
        Value::Float(_) => "float64",
        Value::Complex(..) => "complex128",
        Value::Bytes(_) => "[]uint8",
        Value::String(_) => "string",
        Value::Time(_) => "time.Time",
        _ => "<nil>",
    }
}

fn natural_type(v: &Value) -> TypeId {
    match v {
        Value::Bool(_) => BOOL,
        Value::Int(_) => INT,
        Value::Uint(_) => UINT,
        Value::Float(_) => FLOAT,
        Value::Complex(..) => COMPLEX,
        Value::Bytes(_) => BYTES,
        Value::String(_) => STRING,
        Value::Time(_) => TIME,
        _ => INTERFACE,
    }
}

/// Encodes an SCS session: gob of `struct{Deadline time.Time; Values map[string]interface{}}`
/// with `Deadline` = `deadline` (UTC) and `Values` always present (an empty map when there are
/// no values, as a fresh SCS session holds; a missing map would decode as nil in Go).
///
/// Each value should be a [`Value::Interface`] (an [`Iface`] made by [`parse_set`] or found in
/// [`Session::values`], turned into a `Value` with `into()`); a
/// bare scalar is stored under its natural Go name (`int`, `uint`, `float64`, `string`, `bool`,
/// `[]uint8`, `complex128`, `time.Time`); a bare container has no type and is an error.
pub fn encode<K: AsRef<str>>(
    deadline: SystemTime,
    values: &[(K, Value)],
) -> Result<Vec<u8>, EncodeError> {
    let mut env = EnvelopeWriter::new(GoTime::from_system(deadline), values.len());
    for (k, v) in values {
        match v {
            Value::Interface(i) => env.entry(k.as_ref(), i.as_deref(), None)?,
            Value::List(_) | Value::Map(_) | Value::Struct(_) | Value::Marshaled(_) => {
                return Err(EncodeError::Mismatch {
                    ty: INTERFACE,
                    what: "an interface value",
                });
            }
            bare => {
                let wrapped = Iface::new(natural_name(bare), natural_type(bare), bare.clone());
                env.entry(k.as_ref(), Some(&wrapped), None)?;
            }
        }
    }
    Ok(env.finish())
}

const ENVELOPE_ID: TypeId = 65;
const TIME_ID: TypeId = 66;
const MAP_ID: TypeId = 67;

/// Writes an SCS envelope: the definitions, then the deadline and one map entry at a time.
struct EnvelopeWriter {
    out: Vec<u8>,
    body: Vec<u8>,
    enc: Encoder,
}

impl EnvelopeWriter {
    /// Starts an envelope of `n` values expiring at `deadline` (a zero time is omitted, as Go
    /// omits zero fields).
    fn new(deadline: GoTime, n: usize) -> EnvelopeWriter {
        let definitions = envelope().preamble.bytes();
        let mut out = Vec::with_capacity(definitions.len() + 64 + n * 32);
        out.extend_from_slice(definitions);
        let map = WireType {
            name: "map[string]interface {}".into(),
            kind: Kind::Map {
                key: STRING,
                elem: INTERFACE,
            },
        };
        let mut enc = Encoder::new(MAP_ID + 1, TIME_ID);
        enc.known(map, MAP_ID);
        let mut body = Vec::with_capacity(64 + n * 32);
        put_int(&mut body, ENVELOPE_ID.into());
        let values_delta = if deadline.is_zero() {
            2
        } else {
            put_uint(&mut body, 1);
            put_bytes(&mut body, &deadline.marshal_binary());
            1
        };
        put_uint(&mut body, values_delta);
        put_uint(&mut body, n as u64);
        EnvelopeWriter { out, body, enc }
    }

    /// Adds the value under `key` (`None`: nil); `types` is the table of values that carry none
    /// of their own.
    fn entry(
        &mut self,
        key: &str,
        value: Option<&Iface>,
        types: Option<&Arc<Types>>,
    ) -> Result<(), EncodeError> {
        put_bytes(&mut self.body, key.as_bytes());
        self.enc.iface(&mut self.body, &mut self.out, value, types)
    }

    /// The encoded session.
    fn finish(mut self) -> Vec<u8> {
        self.body.push(0);
        put_message(&mut self.out, &self.body);
        self.out
    }
}

/// The envelope's type definitions, made once.
struct Envelope {
    /// As a fresh Go process sends them first, and parsed for decoding.
    preamble: Preamble,
    /// Indexes of the `Deadline` and `Values` fields.
    fields: (u32, u32),
}

fn envelope() -> &'static Envelope {
    static ENVELOPE: OnceLock<Envelope> = OnceLock::new();
    ENVELOPE.get_or_init(|| {
        let mut definitions = Vec::new();
        put_envelope_definitions(&mut definitions);
        let preamble = Preamble::new(definitions).expect("the definitions parse");
        let types = Decoder::with_preamble(preamble.bytes(), &preamble).into_types();
        let fields = envelope_fields(&types, ENVELOPE_ID).expect("the envelope's fields");
        Envelope { preamble, fields }
    })
}

/// The type definitions an SCS app sends first, as a fresh Go process writes them.
fn put_envelope_definitions(out: &mut Vec<u8>) {
    let envelope = WireType {
        name: String::new(),
        kind: Kind::Struct {
            fields: vec![
                crate::gob::types::Field {
                    name: "Deadline".into(),
                    id: TIME_ID,
                },
                crate::gob::types::Field {
                    name: "Values".into(),
                    id: MAP_ID,
                },
            ],
        },
    };
    put_type_definition(out, ENVELOPE_ID, &envelope);
    put_type_definition(
        out,
        TIME_ID,
        &WireType {
            name: "Time".into(),
            kind: Kind::Marshaled(Marshal::Gob),
        },
    );
    let map = WireType {
        name: "map[string]interface {}".into(),
        kind: Kind::Map {
            key: STRING,
            elem: INTERFACE,
        },
    };
    put_type_definition(out, MAP_ID, &map);
}
