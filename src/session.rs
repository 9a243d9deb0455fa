//! The SCS session envelope (`Deadline` + `Values`) on top of [`crate::gob`], and filters.
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

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value as Json;

use crate::gob::encode::{put_bytes, put_int, put_message, put_type_definition, put_uint};
use crate::gob::json::{self, Writer, to_json};
use crate::gob::types::{
    BOOL, BYTES, COMPLEX, FLOAT, INT, INTERFACE, STRING, TIME, UINT, predefined_name,
};
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

/// The `--set` types: (TYPE as typed, Go registered name, gob type id).
pub const SET_TYPES: &[(&str, &str, TypeId)] = &[
    ("string", "string", STRING),
    ("int", "int", INT),
    ("int64", "int64", INT),
    ("int32", "int32", INT),
    ("uint", "uint", UINT),
    ("float64", "float64", FLOAT),
    ("bool", "bool", BOOL),
    ("bytes", "[]uint8", BYTES),
    ("time", "time.Time", TIME),
];

fn set_type_list() -> String {
    SET_TYPES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
}

/// Parses `--set KEY[:TYPE]=VALUE` into a key and an interface value of the Go type an app
/// reads (`GetInt` reads only `int`, so `int64` and `int32` are stored under their own names).
///
/// The key ends at the first `=`. When the text before `=` holds a `:`, what follows the last
/// `:` is TYPE and must be one of [`SET_TYPES`]: `userID:integer=42` is an error rather than a
/// string under the key `userID:integer`. A key that itself contains `:` therefore takes an
/// explicit type (`flash:msg:string=hi` sets key `flash:msg` to the string `hi`; `a:int=1` sets
/// `a` to int 1). TYPE defaults to `string`. `bytes` takes standard padded base64, `time`
/// RFC 3339.
pub fn parse_set(arg: &str) -> Result<(String, Iface), String> {
    let Some((left, text)) = arg.split_once('=') else {
        return Err(format!("--set {arg:?}: expected KEY[:TYPE]=VALUE"));
    };
    let (key, ty) = match left.rsplit_once(':') {
        Some((k, t)) if SET_TYPES.iter().any(|s| s.0 == t) => (k, t),
        Some((k, t)) => {
            return Err(format!(
                "--set {arg:?}: unknown type {t:?}; valid types: {}; a key containing ':' needs \
                 its type given, e.g. --set '{k}:{t}:string=…' for the key \"{k}:{t}\"",
                set_type_list()
            ));
        }
        None => (left, "string"),
    };
    if key.is_empty() {
        return Err(format!(
            "--set {arg:?}: empty key (expected KEY[:TYPE]=VALUE)"
        ));
    }
    let &(_, name, id) = SET_TYPES.iter().find(|s| s.0 == ty).expect("known type");
    let bad = |what: &str| {
        format!(
            "--set {arg:?}: {text:?} is not a valid {ty} ({what}); valid types: {}",
            set_type_list()
        )
    };
    let value = match ty {
        "string" => Value::String(text.as_bytes().into()),
        "int" | "int64" => Value::Int(
            text.trim()
                .parse()
                .map_err(|_| bad("a 64-bit signed integer"))?,
        ),
        "int32" => Value::Int(
            text.trim()
                .parse::<i32>()
                .map_err(|_| bad("a 32-bit signed integer"))?
                .into(),
        ),
        "uint" => Value::Uint(
            text.trim()
                .parse()
                .map_err(|_| bad("a 64-bit unsigned integer"))?,
        ),
        "float64" => Value::Float(
            parse_float(text.trim()).ok_or_else(|| bad("a number, NaN, +Inf or -Inf"))?,
        ),
        "bool" => Value::Bool(parse_bool(text.trim()).ok_or_else(|| bad("true or false"))?),
        "bytes" => Value::Bytes(
            STANDARD
                .decode(text.trim())
                .map_err(|_| bad("standard padded base64"))?
                .into(),
        ),
        _ => Value::Time(GoTime::parse_rfc3339(text.trim()).map_err(|e| bad(&e))?),
    };
    Ok((key.to_owned(), Iface::new(name, id, value)))
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ if s
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && !matches!(b, b'e' | b'E')) =>
        {
            None
        }
        _ => s.parse().ok(),
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A `--where` filter: `KEY=VALUE` or `KEY:TYPE=VALUE`.
///
/// KEY may be dotted to walk into structs (by field name), string-keyed maps and interface
/// values: `user.ID=42` matches `Values["user"].ID`. The first segments that name an existing
/// session key are the key (so keys containing dots work too). TYPE, when given, must equal the
/// Go type name of the value reached (`int`, `main.User`, `[]string`; struct fields of
/// predefined types show gob's names: `int`, `uint`, `float64`, `string`, `bool`, `[]uint8`;
/// `time.Time`). `:TYPE` is split off at the last `:` only when that text looks like a Go type
/// (a predefined or [`SET_TYPES`] name, or containing `.`, `[`, `*` or `{`); otherwise the colon
/// is part of the key.
///
/// Comparison: integers and floats numerically (VALUE parsed as a number), bools `true`/`false`,
/// strings byte for byte, times as instants (VALUE in RFC 3339), `[]uint8` as base64, nil as
/// `<nil>` or `null`, anything else against the compact JSON of its view.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The dotted path.
    pub path: Vec<String>,
    /// The required Go type name, if given.
    pub go_type: Option<String>,
    /// The value to compare with.
    pub value: String,
    /// `value` read as each kind of value it may be compared with, once rather than per row.
    want: Want,
}

/// A filter's VALUE as a number, bool and time (each `None` when it does not read as one).
#[derive(Debug, Clone, PartialEq)]
struct Want {
    int: Option<i64>,
    uint: Option<u64>,
    float: Option<f64>,
    bool: Option<bool>,
    time: Option<GoTime>,
}

impl Want {
    fn of(value: &str) -> Want {
        let t = value.trim();
        Want {
            int: t.parse().ok(),
            uint: t.parse().ok(),
            float: parse_float(t),
            bool: parse_bool(t),
            time: GoTime::parse_rfc3339_instant(t).ok(),
        }
    }
}

fn looks_like_type(t: &str) -> bool {
    !t.is_empty()
        && (predefined_name_list().contains(&t)
            || SET_TYPES.iter().any(|s| s.0 == t || s.1 == t)
            || t.contains(['.', '[', '*', '{']))
}

fn predefined_name_list() -> &'static [&'static str] {
    &[
        "bool",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "float32",
        "float64",
        "complex64",
        "complex128",
        "string",
        "<nil>",
    ]
}

impl Filter {
    /// Parses `KEY=VALUE` / `KEY:TYPE=VALUE`.
    pub fn parse(arg: &str) -> Result<Filter, String> {
        let Some((left, value)) = arg.split_once('=') else {
            let hint = if arg.contains(['<', '>', '~']) {
                " (only = is supported)"
            } else {
                ""
            };
            return Err(format!(
                "--where {arg:?}: expected KEY=VALUE or KEY:TYPE=VALUE{hint}"
            ));
        };
        // `role!=admin` would otherwise filter on a key named `role!`.
        if let Some(op) = left
            .chars()
            .last()
            .filter(|c| matches!(c, '!' | '<' | '>' | '~'))
        {
            return Err(format!(
                "--where {arg:?}: \"{op}=\" is not supported; only KEY=VALUE (equality) is"
            ));
        }
        let (key, go_type) = match left.rsplit_once(':') {
            Some((k, t)) if looks_like_type(t) => (k, Some(t.to_owned())),
            _ => (left, None),
        };
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(format!("--where {arg:?}: empty key or key segment"));
        }
        Ok(Filter {
            path: key.split('.').map(str::to_owned).collect(),
            go_type,
            value: value.to_owned(),
            want: Want::of(value),
        })
    }

    /// Whether `session` has a value at the path, of the type (if given), equal to the value.
    pub fn matches(&self, session: &Session) -> bool {
        // The longest leading run of segments that names a key is the key.
        let found = (1..=self.path.len()).rev().find_map(|split| {
            let v = session
                .values
                .iter()
                .find(|(k, _)| joins_to(&self.path[..split], k))
                .map(|(_, v)| v)?;
            Some((v, split))
        });
        match found {
            Some((v, split)) => walk(v.as_ref(), session.types.as_deref(), &self.path[split..])
                .is_some_and(|found| self.compare(&found)),
            None => false,
        }
    }

    fn compare(&self, found: &Found) -> bool {
        if let Some(t) = &self.go_type
            && !found.go_type.is(t)
        {
            return false;
        }
        let (want, parsed) = (self.value.as_str(), &self.want);
        match found.value {
            Value::Int(i) => parsed.int == Some(*i),
            Value::Uint(u) => parsed.uint == Some(*u),
            Value::Float(f) => parsed
                .float
                .is_some_and(|w| w == *f || (w.is_nan() && f.is_nan())),
            Value::Bool(b) => parsed.bool == Some(*b),
            Value::String(s) => s.as_slice() == want.as_bytes(),
            Value::Bytes(b) => STANDARD.encode(b) == want,
            Value::Time(t) => match &parsed.time {
                Some(w) => w.same_instant(t),
                None => t.rfc3339() == want,
            },
            Value::Interface(None) => want == "<nil>" || want == "null",
            _ => {
                let view = to_json(found.value, found.ty, found.types);
                match &view {
                    Json::String(s) => s == want,
                    other => serde_json::to_string(other).is_ok_and(|text| text == want),
                }
            }
        }
    }
}

/// Whether `key` is `segments` joined with dots.
fn joins_to(segments: &[String], key: &str) -> bool {
    let mut rest = key;
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            let Some(r) = rest.strip_prefix('.') else {
                return false;
            };
            rest = r;
        }
        let Some(r) = rest.strip_prefix(seg.as_str()) else {
            return false;
        };
        rest = r;
    }
    rest.is_empty()
}

/// A value reached by a filter path, with its type context.
struct Found<'a> {
    value: &'a Value,
    ty: TypeId,
    types: Option<&'a Types>,
    go_type: GoType<'a>,
}

/// The Go type name of a value a filter reached, worked out only if the filter names a type.
enum GoType<'a> {
    /// A name carried by an interface value (or `<nil>`).
    Name(&'a str),
    /// Type `ty` of a table, as a struct field or element is typed.
    Of(Option<&'a Types>, TypeId, &'a Value),
}

impl GoType<'_> {
    fn is(&self, name: &str) -> bool {
        match *self {
            GoType::Name(n) => n == name,
            GoType::Of(types, ty, v) => type_name(types, ty, v) == name,
        }
    }
}

impl<'a> Found<'a> {
    /// The value inside any interfaces wrapped around this one.
    fn unwrapped(mut self) -> Found<'a> {
        while let Value::Interface(Some(inner)) = self.value {
            self = Found {
                value: &inner.value,
                ty: inner.ty,
                types: inner.table(self.types),
                go_type: GoType::Name(&inner.name),
            };
        }
        self
    }
}

/// Follows `rest` (struct field names, string map keys) from the session value `top`, whose
/// interfaces without a table of their own use `types`.
fn walk<'a>(
    top: Option<&'a Iface>,
    types: Option<&'a Types>,
    rest: &[String],
) -> Option<Found<'a>> {
    static NIL: Value = Value::Interface(None);
    let Some(top) = top else {
        return rest.is_empty().then_some(Found {
            value: &NIL,
            ty: INTERFACE,
            types: None,
            go_type: GoType::Name("<nil>"),
        });
    };
    let start = Found {
        value: &top.value,
        ty: top.ty,
        types: top.table(types),
        go_type: GoType::Name(&top.name),
    };
    let mut cur = start.unwrapped();
    for seg in rest {
        let table = cur.types;
        let kind = table.and_then(|t| t.get(cur.ty)).map(|d| &d.kind);
        let (value, ty) = match (cur.value, kind) {
            (Value::Struct(present), Some(Kind::Struct { fields })) => {
                let idx = fields.iter().position(|f| f.name == *seg)?;
                let fv = present
                    .iter()
                    .find(|(i, _)| *i as usize == idx)
                    .map(|(_, v)| v)?;
                (fv, fields[idx].id)
            }
            (Value::Map(entries), Some(Kind::Map { key: STRING, elem })) => {
                let (_, v) = entries.iter().find(
                    |(k, _)| matches!(k, Value::String(s) if s.as_slice() == seg.as_bytes()),
                )?;
                (v, *elem)
            }
            _ => return None,
        };
        cur = Found {
            value,
            ty,
            types: table,
            go_type: GoType::Of(table, ty, value),
        }
        .unwrapped();
    }
    Some(cur)
}

fn type_name(types: Option<&Types>, ty: TypeId, v: &Value) -> String {
    if let Value::Time(_) = v {
        return "time.Time".into();
    }
    if let Some(n) = predefined_name(ty) {
        return n.into();
    }
    types
        .and_then(|t| t.get(ty))
        .map(|d| d.name.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gob::encode::put_type_definition;
    use serde_json::json;

    const USER: &[u8] = include_bytes!("../tests/fixtures/gob/user.gob");
    const TYPICAL: &[u8] = include_bytes!("../tests/fixtures/gob/typical_session.gob");

    fn session(b: &[u8]) -> Session {
        match decode(b) {
            Decoded::Gob(s) => s,
            other => panic!("{other:?}"),
        }
    }

    /// Every committed Go-made blob: (path, bytes).
    fn gob_fixtures() -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gob");
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "gob"))
            .map(|path| {
                let data = std::fs::read(&path).unwrap();
                (path, data)
            })
            .collect()
    }

    /// The envelope's decoding before it was streamed: the whole value, then the session.
    fn decode_gob_whole(data: &[u8]) -> Result<Option<Session>, DecodeError> {
        let mut dec = Decoder::with_preamble(data, &envelope().preamble);
        let (id, value) = dec.decode()?;
        let types = Arc::new(dec.into_types());
        match envelope_fields(&types, id) {
            Some((d, v)) => session_of(value, d, v, types),
            None => Ok(None),
        }
    }

    #[test]
    fn streamed_envelope_decodes_like_the_whole_value() {
        let mut seen = 0;
        for (path, data) in gob_fixtures() {
            if data.len() > 4096 {
                continue;
            }
            seen += 1;
            let mut cases = vec![data.clone()];
            // Every truncation and a few byte changes at each offset.
            for n in 0..data.len() {
                cases.push(data[..n].to_vec());
                for x in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                    let mut d = data.clone();
                    d[n] = x;
                    cases.push(d);
                }
            }
            for case in cases {
                // Debug text, not `==`: NaN values must compare equal.
                assert_eq!(
                    format!("{:?}", decode_gob(&case)),
                    format!("{:?}", decode_gob_whole(&case)),
                    "{} mutated to {case:02x?}",
                    path.display()
                );
            }
        }
        assert!(seen > 50);
    }

    #[test]
    fn parse_set_types_and_key_splitting() {
        let (k, v) = parse_set("n:int=42").unwrap();
        assert_eq!(
            (k.as_str(), v),
            ("n", Iface::new("int", INT, Value::Int(42)))
        );
        let err = parse_set("userID:integer=42").unwrap_err();
        assert!(
            err.contains("unknown type \"integer\"; valid types: string, int, int64, int32, uint, float64, bool, bytes, time"),
            "{err}"
        );
        assert!(err.contains("--set 'userID:integer:string=…'"), "{err}");
        assert_eq!(err.matches("--set \"").count(), 1, "said once: {err}");
        assert!(parse_set("flash:msg=a=b").is_err());
        let (k, v) = parse_set("flash:msg:string=a=b").unwrap();
        assert_eq!(
            (k.as_str(), v),
            (
                "flash:msg",
                Iface::new("string", STRING, Value::String(b"a=b"[..].into()))
            )
        );
        let (k, _) = parse_set("a:int:string=1").unwrap();
        assert_eq!(k, "a:int");
        assert_eq!(
            parse_set("x:int32=-5").unwrap().1,
            Iface::new("int32", INT, Value::Int(-5))
        );
        assert_eq!(
            parse_set("x:bytes=/w==").unwrap().1,
            Iface::new("[]uint8", BYTES, Value::Bytes([255].as_slice().into()))
        );
        assert_eq!(
            parse_set("x:bool=F").unwrap().1,
            Iface::new("bool", BOOL, Value::Bool(false))
        );
        assert!(
            matches!(parse_set("x:float64=NaN").unwrap().1.value, Value::Float(f) if f.is_nan())
        );
        let t = parse_set("x:time=2030-01-02T03:04:05Z").unwrap().1;
        assert_eq!((&*t.name, t.ty), ("time.Time", TIME));
        for bad in [
            "x:int32=2147483648",
            "x:uint=-1",
            "x:int=1.5",
            "x:bool=yes",
            "x:bytes=!!",
            "x:time=tomorrow",
            "x:float64=abc",
        ] {
            let err = parse_set(bad).unwrap_err();
            assert!(
                err.contains(
                    "valid types: string, int, int64, int32, uint, float64, bool, bytes, time"
                ),
                "{bad}: {err}"
            );
        }
        assert!(parse_set("novalue").is_err());
        assert!(parse_set(":int=1").is_err());
    }

    #[test]
    fn filters_walk_structs_and_maps() {
        let s = session(USER);
        let m = |f: &str| Filter::parse(f).unwrap().matches(&s);
        assert!(m("user.ID=1001"));
        assert!(m("user.ID:int=1001"));
        assert!(!m("user.ID:string=1001"));
        assert!(!m("user.ID=1002"));
        assert!(m("user.Email=ada@example.com"));
        assert!(m("user.Admin=true"));
        assert!(m(
            "user:main.User={\"Admin\":true,\"Email\":\"ada@example.com\",\"ID\":1001,\"Roles\":[\"admin\",\"billing\"]}"
        ));
        assert!(!m("user.Nope=1"));
        assert!(!m("missing=1"));
        let t = session(TYPICAL);
        let m = |f: &str| Filter::parse(f).unwrap().matches(&t);
        assert!(m("userID=887"));
        assert!(m("userID:int=887"));
        assert!(
            m("loginAt=2030-01-01T04:04:05.123456789+01:00"),
            "times compare as instants"
        );
        assert!(m("flash=Welcome back!"));
        assert!(m("authenticated:bool=true"));
        assert!(Filter::parse("a..b=1").is_err());
        assert!(Filter::parse("nokey").is_err());
        for op in ["role!=admin", "n<=5", "n>=5", "name~=x"] {
            let err = Filter::parse(op).unwrap_err();
            assert!(err.contains("only KEY=VALUE (equality) is"), "{op}: {err}");
        }
        assert!(
            Filter::parse("n>5")
                .unwrap_err()
                .contains("only = is supported")
        );
        assert_eq!(
            Filter::parse("flash:msg=x").unwrap().path,
            vec!["flash:msg"]
        );
    }

    #[test]
    fn dotted_keys_and_nested_maps() {
        let deadline = std::time::UNIX_EPOCH;
        let (k, v) = parse_set("a.b=top").unwrap();
        let blob = encode(deadline, &[(k, v.into())]).unwrap();
        let s = session(&blob);
        assert!(Filter::parse("a.b=top").unwrap().matches(&s));
        let nested = session(include_bytes!(
            "../tests/fixtures/gob/map_string_interface.gob"
        ));
        assert!(Filter::parse("prefs.theme=dark").unwrap().matches(&nested));
        assert!(
            Filter::parse("prefs.user.ID:int=5")
                .unwrap()
                .matches(&nested)
        );
        assert!(!Filter::parse("prefs.theme=light").unwrap().matches(&nested));
    }

    #[test]
    fn value_rows_are_sorted_one_line_texts() {
        let rows = session(TYPICAL).value_rows();
        let keys: Vec<_> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            ["authenticated", "flash", "loginAt", "user", "userID"]
        );
        let by = |k: &str| rows.iter().find(|r| r.key == k).unwrap().clone();
        assert_eq!(
            (by("userID").go_type, by("userID").text),
            ("int".into(), "887".into())
        );
        assert_eq!(by("flash").text, "Welcome back!");
        assert_eq!(by("loginAt").text, "2030-01-01T03:04:05.123456789Z");
        assert_eq!(by("user").go_type, "main.User");
        assert!(by("user").text.starts_with('{') && !by("user").text.contains('\n'));
    }

    #[test]
    fn codecs_are_recognised() {
        let v1 = br#"{"data":{"userID":42},"deadline":1893553445123456789}"#;
        match decode(v1) {
            Decoded::ScsV1Json { deadline, values } => {
                assert_eq!(deadline.rfc3339(), "2030-01-02T03:04:05.123456789Z");
                assert_eq!(values, json!({"userID": 42}));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(decode(v1).codec_name(), "json");
        assert_eq!(decode(br#"{"other":1}"#).codec_name(), "unknown");
        assert_eq!(decode(b"").codec_name(), "unknown");
        assert_eq!(decode(b"plain text session").codec_name(), "unknown");
        assert!(matches!(
            decode(&[0x03, 0xff, 0x81, 0x00]),
            Decoded::Corrupt(_)
        ));
        assert_eq!(decode(USER).codec_name(), "gob");
        // Valid gob that is not an SCS envelope.
        assert!(matches!(
            decode(&[0x03, 0x04, 0x00, 0x54]),
            Decoded::Unknown
        ));
    }

    #[test]
    fn scs_v20_session_data_struct_decodes_the_same() {
        // SCS v2.0 encoded a struct named sessionData with the same fields.
        let modern = session(USER);
        let mut blob = Vec::new();
        let def = WireType {
            name: "sessionData".into(),
            kind: Kind::Struct {
                fields: vec![
                    crate::gob::types::Field {
                        name: "Deadline".into(),
                        id: 66,
                    },
                    crate::gob::types::Field {
                        name: "Values".into(),
                        id: 67,
                    },
                ],
            },
        };
        put_type_definition(&mut blob, 65, &def);
        // The rest of the stream (Time, map, value) is the same as the modern one's.
        let first_len = USER[0] as usize + 1;
        blob.extend_from_slice(&USER[first_len..]);
        let old = session(&blob);
        assert_eq!(old.to_json(), modern.to_json());
    }

    #[test]
    fn gob_starting_with_a_brace_is_still_gob() {
        // An envelope struct whose name makes its definition message 123 (`{`) bytes long.
        let modern = session(USER);
        let first_len = USER[0] as usize + 1;
        let blob = (1..120)
            .map(|n| {
                let fields = vec![
                    crate::gob::types::Field {
                        name: "Deadline".into(),
                        id: 66,
                    },
                    crate::gob::types::Field {
                        name: "Values".into(),
                        id: 67,
                    },
                ];
                let def = WireType {
                    name: "x".repeat(n),
                    kind: Kind::Struct { fields },
                };
                let mut blob = Vec::new();
                put_type_definition(&mut blob, 65, &def);
                blob.extend_from_slice(&USER[first_len..]);
                blob
            })
            .find(|b| b[0] == b'{')
            .expect("some name length gives a 123-byte message");
        assert_eq!(session(&blob).to_json(), modern.to_json());
    }

    #[test]
    fn invalid_utf8_string_values_survive_a_round_trip() {
        let raw = b"\xff\xfeok".to_vec();
        let values = vec![(
            "k".to_owned(),
            Value::iface("string", STRING, Value::String(raw.as_slice().into())),
        )];
        let blob = encode(std::time::UNIX_EPOCH, &values).unwrap();
        let s = session(&blob);
        let Some(Some(i)) = s.get("k") else { panic!() };
        assert_eq!(i.value, Value::String(raw.as_slice().into()));
        assert_eq!(s.encode().unwrap(), blob);
    }

    #[test]
    fn merge_replaces_and_adds_keys_keeping_the_rest() {
        let mut s = session(TYPICAL);
        let before = s.values_json();
        let (k, v) = parse_set("userID:int=1").unwrap();
        s.set(k, v);
        let (k, v) = parse_set("new=x").unwrap();
        s.set(k, v);
        assert!(s.remove("flash"));
        let again = session(&s.encode().unwrap());
        let after = again.values_json();
        assert_eq!(after["userID"], json!({"type": "int", "value": 1}));
        assert_eq!(after["new"], json!({"type": "string", "value": "x"}));
        assert_eq!(after["user"], before["user"]);
        assert_eq!(after["loginAt"], before["loginAt"]);
        assert!(after.get("flash").is_none());
    }

    /// What `list` writes straight from the session must be the very text the JSON tree
    /// prints: keys sorted, the last of repeated keys kept, the same floats and escapes.
    fn assert_direct_json_is_the_tree_printed(s: &Session, what: &str) {
        let mut direct = Vec::new();
        s.write_values_json(&mut direct);
        let tree: Json = serde_json::from_slice(&direct).unwrap_or_else(|e| {
            panic!(
                "{what}: invalid JSON {e}: {}",
                String::from_utf8_lossy(&direct)
            )
        });
        let printed = crate::sanitize::to_json(&tree).unwrap();
        assert_eq!(String::from_utf8_lossy(&direct), printed, "{what}");
    }

    #[test]
    fn direct_json_matches_the_printed_tree_for_every_fixture() {
        let mut sessions = 0;
        for (path, data) in gob_fixtures() {
            if let Decoded::Gob(s) = decode(&data) {
                assert_direct_json_is_the_tree_printed(&s, &path.display().to_string());
                sessions += 1;
            }
        }
        assert!(sessions >= 5, "only {sessions} fixtures are sessions");
    }

    #[test]
    fn direct_json_sorts_dedups_and_escapes_like_the_tree() {
        let mut s = Session::new(SystemTime::UNIX_EPOCH);
        let texts = [
            "quote \" backslash \\ slash /",
            "controls \u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1b}\u{1f}",
            "del \u{7f} c1 \u{85}\u{9b} bidi \u{202e}\u{2066}\u{200f}",
            "unicode é ✓ 𝄞",
        ];
        for (i, t) in texts.iter().enumerate() {
            s.values.push((
                format!("k{i} \u{202e}").into(),
                Some(Iface::new(
                    "string",
                    STRING,
                    Value::String(t.as_bytes().into()),
                )),
            ));
        }
        s.values
            .push(("dup".into(), Some(Iface::new("int", INT, Value::Int(1)))));
        s.values
            .push(("Dup".into(), Some(Iface::new("int", INT, Value::Int(2)))));
        s.values
            .push(("dup".into(), Some(Iface::new("int", INT, Value::Int(3)))));
        s.values.push((
            "bad utf8".into(),
            Some(Iface::new(
                "string",
                STRING,
                Value::String([0xff, b'a'].as_slice().into()),
            )),
        ));
        for (i, f) in [
            0.0,
            -0.0,
            1.5,
            1e300,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.0,
            100.0,
        ]
        .into_iter()
        .enumerate()
        {
            s.values.push((
                format!("f{i}").into(),
                Some(Iface::new("float64", FLOAT, Value::Float(f))),
            ));
        }
        s.values.push((
            "c".into(),
            Some(Iface::new(
                "complex128",
                COMPLEX,
                Value::Complex(1.0, f64::NAN),
            )),
        ));
        s.values.push((
            "min".into(),
            Some(Iface::new("int", INT, Value::Int(i64::MIN))),
        ));
        s.values.push((
            "max".into(),
            Some(Iface::new("uint", UINT, Value::Uint(u64::MAX))),
        ));
        s.values.push(("nil".into(), None));
        s.values
            .push(("".into(), Some(Iface::new("bool", BOOL, Value::Bool(true)))));
        assert_direct_json_is_the_tree_printed(&s, "hand-made");
        let tree = s.values_json();
        assert_eq!(
            tree["dup"]["value"],
            json!(3),
            "the last of repeated keys wins"
        );
        assert_eq!(tree["f5"]["value"], json!("NaN"));
        assert_eq!(tree["bad utf8"]["value"], json!({"bytes": "/2E="}));
    }
}
