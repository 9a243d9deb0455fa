//! The JSON view of gob values (the product's contract), written straight to bytes.
//!
//! [`Writer`] renders values without building a `serde_json::Value` tree first (a listing of a
//! million sessions would otherwise spend most of its time allocating and freeing the trees);
//! [`to_json`] parses that output back for callers that want a tree. Objects
//! come out with their keys sorted and, for repeated keys, the last one kept: the same document
//! `serde_json` would print for the equivalent `Map`.
//!
//! Strings escape what JSON requires and also every character a terminal obeys (DEL, C1
//! controls, bidi overrides) as `\uXXXX`: the parsed value is the same, but printing the output
//! cannot move a cursor or reverse text.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value as Json;

use super::time::{GoTime, ZERO_TIME};
use super::types::{
    BOOL, BYTES, COMPLEX, FLOAT, INT, INTERFACE, Kind, Marshal, STRING, TIME, TypeId, Types, UINT,
};
use super::value::{Iface, Value};
use crate::sanitize::is_terminal_control;

/// Largest array the view fills with zero values when a hostile stream omits one.
const MAX_ZERO_ARRAY: u64 = 4096;
const MAX_ZERO_DEPTH: usize = 32;
/// Most zero values one view fills in (nested arrays could otherwise multiply).
const ZERO_BUDGET: usize = 65_536;

/// For each byte: whether it may start something [`write_str`] escapes. ASCII controls, DEL,
/// `"` and `\` do; of the non-ASCII lead bytes only 0xC2 (C1 controls) and 0xE2 (bidi
/// controls) can; everything else is copied as it is.
const SUSPECT: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0x7f] = true;
    t[0xc2] = true;
    t[0xe2] = true;
    t
};

/// Whether any of the eight bytes in `w` is an ASCII control, `"`, `\`, DEL or non-ASCII
/// (a superset of [`SUSPECT`]; the bytes are then looked at one by one).
#[inline]
fn word_is_suspect(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    w & HIGH != 0
        || w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0
        || has_zero(w ^ (ONES * u64::from(b'"')))
        || has_zero(w ^ (ONES * u64::from(b'\\')))
        || has_zero(w ^ (ONES * 0x7f))
}

/// Writes `s` as a JSON string (see the module docs for what is escaped).
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        // Eight bytes at a time while none of them needs a look (most strings, all the way).
        if let Some(word) = bytes.get(i..i + 8)
            && !word_is_suspect(u64::from_le_bytes(word.try_into().expect("8 bytes")))
        {
            i += 8;
            continue;
        }
        if !SUSPECT[bytes[i] as usize] {
            i += 1;
            continue;
        }
        let b = bytes[i];
        let (len, c) = if b < 0x80 {
            (1, u32::from(b))
        } else {
            // `i` is a char boundary: every byte skipped so far was ASCII or a whole char.
            let c = s[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
            if !is_terminal_control(c) {
                i += c.len_utf8();
                continue;
            }
            (c.len_utf8(), c as u32)
        };
        out.extend_from_slice(&bytes[start..i]);
        match c {
            0x22 => out.extend_from_slice(b"\\\""),
            0x5c => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x09 => out.extend_from_slice(b"\\t"),
            // Everything escaped here is in the Basic Multilingual Plane.
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[(c >> shift & 0xf) as usize]);
                }
            }
        }
        i += len;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes `t` as an RFC 3339 JSON string.
pub fn write_time(out: &mut Vec<u8>, t: &GoTime) {
    out.push(b'"');
    t.write_rfc3339(out);
    out.push(b'"');
}

/// Writes a JSON tree with the same escaping as [`write_str`] (SCS v1 JSON values).
pub fn write_json(out: &mut Vec<u8>, v: &Json) {
    match v {
        Json::String(s) => write_str(out, s),
        Json::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        Json::Object(m) => {
            out.push(b'{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_json(out, item);
            }
            out.push(b'}');
        }
        // Null, bools and numbers print the same however they are written.
        other => {
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

/// Parses what a [`Writer`] wrote. Its output is always valid JSON.
pub fn parse(bytes: &[u8]) -> Json {
    serde_json::from_slice(bytes).unwrap_or(Json::Null)
}

/// The JSON view of `v`, decoded as type `ty` of table `types`, as a tree.
pub fn to_json(v: &Value, ty: TypeId, types: Option<&Types>) -> Json {
    let mut out = Vec::new();
    Writer::new(&mut out).value(v, ty, types);
    parse(&out)
}

/// Writes JSON views of gob values into a byte buffer.
pub struct Writer<'o> {
    out: &'o mut Vec<u8>,
    /// Zero values still allowed in this view.
    budget: usize,
    /// Indexes being put in key order, a stack shared by nested objects: no allocation per
    /// object once it has grown.
    order: Vec<u32>,
}

impl<'o> Writer<'o> {
    /// A writer appending to `out`.
    pub fn new(out: &'o mut Vec<u8>) -> Writer<'o> {
        Writer {
            out,
            budget: ZERO_BUDGET,
            order: Vec::new(),
        }
    }

    /// Writes an object whose members are `keys` (by index), sorted, a repeated key keeping its
    /// last member; `member` writes the value of member `i`.
    pub fn object<'k>(
        &mut self,
        n: usize,
        key: impl Fn(usize) -> &'k str,
        mut member: impl FnMut(&mut Self, usize),
    ) {
        let start = self.order.len();
        self.order.extend(0..n as u32);
        self.order[start..].sort_by(|&a, &b| key(a as usize).cmp(key(b as usize)).then(a.cmp(&b)));
        self.out.push(b'{');
        let mut first = true;
        for j in start..start + n {
            let i = self.order[j] as usize;
            if j + 1 < start + n && key(self.order[j + 1] as usize) == key(i) {
                continue;
            }
            if !first {
                self.out.push(b',');
            }
            first = false;
            write_str(self.out, key(i));
            self.out.push(b':');
            member(self, i);
        }
        self.out.push(b'}');
        self.order.truncate(start);
    }

    /// Writes an interface value as `{"type": …, "value": …}`; `types` is the table of the
    /// enclosing value, used when the interface carries none of its own.
    pub fn iface(&mut self, iface: Option<&Iface>, types: Option<&Types>) {
        match iface {
            None => self
                .out
                .extend_from_slice(br#"{"type":"<nil>","value":null}"#),
            Some(i) => {
                self.out.extend_from_slice(br#"{"type":"#);
                write_str(self.out, &i.name);
                self.out.extend_from_slice(br#","value":"#);
                let types = i.table(types);
                self.value(&i.value, i.ty, types);
                self.out.push(b'}');
            }
        }
    }

    /// Writes a Go string: a JSON string when it is UTF-8, else `{"bytes": "<base64>"}`.
    fn go_string(&mut self, b: &[u8]) {
        match std::str::from_utf8(b) {
            Ok(s) => write_str(self.out, s),
            Err(_) => {
                self.out.extend_from_slice(br#"{"bytes":"#);
                self.base64(b);
                self.out.push(b'}');
            }
        }
    }

    /// Writes a float: finite numbers as numbers, NaN and infinities as `"NaN"`, `"+Inf"`,
    /// `"-Inf"`.
    fn float(&mut self, f: f64) {
        if f.is_finite() {
            // Shortest form that reads back exactly, as serde_json prints it.
            let _ = serde_json::to_writer(&mut *self.out, &f);
        } else if f.is_nan() {
            self.out.extend_from_slice(b"\"NaN\"");
        } else if f > 0.0 {
            self.out.extend_from_slice(b"\"+Inf\"");
        } else {
            self.out.extend_from_slice(b"\"-Inf\"");
        }
    }

    fn base64(&mut self, b: &[u8]) {
        let start = self.out.len();
        let len = base64::encoded_len(b.len(), true).unwrap_or(0);
        self.out.push(b'"');
        self.out.resize(start + 1 + len, 0);
        let _ = STANDARD.encode_slice(b, &mut self.out[start + 1..]);
        self.out.push(b'"');
    }

    fn int(&mut self, i: impl std::fmt::Display) {
        use std::io::Write as _;
        let _ = write!(self.out, "{i}");
    }

    /// Writes the view of `v`, decoded as type `ty` of table `types`.
    pub fn value(&mut self, v: &Value, ty: TypeId, types: Option<&Types>) {
        let kind = |ty| types?.get(ty).map(|d| &d.kind);
        match v {
            Value::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(i) => self.int(i),
            Value::Uint(u) => self.int(u),
            Value::Float(f) => self.float(*f),
            Value::Complex(re, im) => {
                self.out.extend_from_slice(br#"{"imag":"#);
                self.float(*im);
                self.out.extend_from_slice(br#","real":"#);
                self.float(*re);
                self.out.push(b'}');
            }
            // Go decodes an empty []byte or slice as nil.
            Value::Bytes(b) if b.is_empty() => self.out.extend_from_slice(b"null"),
            Value::Bytes(b) => self.base64(b),
            Value::String(s) => self.go_string(s),
            Value::Time(t) => write_time(self.out, t),
            // Nested interfaces share this table unless they carry their own.
            Value::Interface(i) => self.iface(i.as_deref(), types),
            Value::Marshaled(b) => match kind(ty) {
                Some(Kind::Marshaled(Marshal::Text)) => {
                    write_str(self.out, &String::from_utf8_lossy(b))
                }
                _ => {
                    self.out.extend_from_slice(br#"{"marshaled":"#);
                    self.base64(b);
                    self.out.push(b'}');
                }
            },
            Value::List(items) => {
                let elem = match kind(ty) {
                    Some(Kind::Slice { .. }) if items.is_empty() => {
                        return self.out.extend_from_slice(b"null");
                    }
                    Some(Kind::Array { elem, .. } | Kind::Slice { elem }) => *elem,
                    _ => 0,
                };
                self.out.push(b'[');
                for (n, x) in items.iter().enumerate() {
                    if n > 0 {
                        self.out.push(b',');
                    }
                    self.value(x, elem, types);
                }
                self.out.push(b']');
            }
            Value::Map(entries) => {
                let (key, elem) = match kind(ty) {
                    Some(Kind::Map { key, elem }) => (*key, *elem),
                    _ => (0, 0),
                };
                if key == STRING {
                    // Go strings are bytes: invalid UTF-8 in a key is replaced. Keys that are
                    // not strings only occur in values built by hand: each one is keyed by the
                    // compact JSON of its view.
                    let keys: Vec<Cow<str>> = entries
                        .iter()
                        .map(|(k, _)| match k {
                            Value::String(s) => String::from_utf8_lossy(s),
                            other => {
                                let mut text = Vec::new();
                                Writer::new(&mut text).value(other, key, types);
                                Cow::Owned(String::from_utf8_lossy(&text).into_owned())
                            }
                        })
                        .collect();
                    self.object(
                        entries.len(),
                        |i| &keys[i],
                        |w, i| w.value(&entries[i].1, elem, types),
                    );
                } else {
                    self.out.push(b'[');
                    for (n, (k, e)) in entries.iter().enumerate() {
                        if n > 0 {
                            self.out.push(b',');
                        }
                        self.out.push(b'[');
                        self.value(k, key, types);
                        self.out.push(b',');
                        self.value(e, elem, types);
                        self.out.push(b']');
                    }
                    self.out.push(b']');
                }
            }
            Value::Struct(present) => {
                let Some(Kind::Struct { fields }) = kind(ty) else {
                    return self.out.extend_from_slice(b"null");
                };
                self.object(
                    fields.len(),
                    |i| &fields[i].name,
                    // Fields sent are in ascending index order (see `Value::Struct`).
                    |w, i| match present.binary_search_by_key(&(i as u32), |(idx, _)| *idx) {
                        Ok(at) => w.value(&present[at].1, fields[i].id, types),
                        Err(_) => w.zero(fields[i].id, true, 0, types),
                    },
                );
            }
        }
    }

    /// Go's zero value of `ty`. A struct-typed field gob omitted can only have been a nil
    /// pointer (gob always sends struct values), so it shows as `null`.
    fn zero(&mut self, ty: TypeId, as_field: bool, depth: usize, types: Option<&Types>) {
        if self.budget == 0 {
            return self.out.extend_from_slice(b"null");
        }
        self.budget -= 1;
        match ty {
            BOOL => self.out.extend_from_slice(b"false"),
            INT | UINT => self.out.push(b'0'),
            FLOAT => self.float(0.0),
            COMPLEX => self.out.extend_from_slice(br#"{"imag":0.0,"real":0.0}"#),
            STRING => self.out.extend_from_slice(b"\"\""),
            BYTES => self.out.extend_from_slice(b"null"),
            INTERFACE => self.iface(None, None),
            TIME => write_time(self.out, &ZERO_TIME),
            _ => {
                let def = types.and_then(|t| t.get(ty));
                let Some(def) = def.filter(|_| depth <= MAX_ZERO_DEPTH) else {
                    return self.out.extend_from_slice(b"null");
                };
                match &def.kind {
                    _ if def.is_time() => write_time(self.out, &ZERO_TIME),
                    Kind::Array { elem, len } if *len <= MAX_ZERO_ARRAY => {
                        self.out.push(b'[');
                        for n in 0..*len {
                            if n > 0 {
                                self.out.push(b',');
                            }
                            self.zero(*elem, false, depth + 1, types);
                        }
                        self.out.push(b']');
                    }
                    Kind::Struct { fields } if !as_field => self.object(
                        fields.len(),
                        |i| &fields[i].name,
                        |w, i| w.zero(fields[i].id, true, depth + 1, types),
                    ),
                    Kind::Marshaled(Marshal::Text) => self.out.extend_from_slice(b"\"\""),
                    _ => self.out.extend_from_slice(b"null"),
                }
            }
        }
    }
}
