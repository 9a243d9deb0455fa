//! The JSON view of gob values (the product's contract): see [`to_json`].

use std::cell::Cell;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Number, Value as Json, json};

use super::time::ZERO_TIME;
use super::types::{
    BOOL, BYTES, COMPLEX, FLOAT, INT, INTERFACE, Kind, Marshal, STRING, TIME, TypeId, Types, UINT,
};
use super::value::{Iface, Value};

/// Largest array the view fills with zero values when a hostile stream omits one.
const MAX_ZERO_ARRAY: u64 = 4096;
const MAX_ZERO_DEPTH: usize = 32;
/// Most zero values one view fills in (nested arrays could otherwise multiply).
const ZERO_BUDGET: usize = 65_536;

/// A float as JSON: finite numbers as numbers, NaN and infinities as `"NaN"`, `"+Inf"`, `"-Inf"`.
pub fn float_json(f: f64) -> Json {
    match Number::from_f64(f) {
        Some(n) => Json::Number(n),
        None if f.is_nan() => json!("NaN"),
        None if f > 0.0 => json!("+Inf"),
        None => json!("-Inf"),
    }
}

/// A Go string as JSON: a string when it is UTF-8, else `{"bytes": "<base64>"}`.
pub fn string_json(b: &[u8]) -> Json {
    match std::str::from_utf8(b) {
        Ok(s) => Json::String(s.to_owned()),
        Err(_) => json!({ "bytes": STANDARD.encode(b) }),
    }
}

/// An interface value as `{"type": <registered name>, "value": …}`; nil is
/// `{"type": "<nil>", "value": null}`.
pub fn iface_json(iface: Option<&Iface>, types: Option<&Arc<Types>>) -> Json {
    match iface {
        None => json!({ "type": "<nil>", "value": null }),
        Some(i) => {
            let types = i.types.as_ref().or(types);
            let value = to_json(&i.value, i.ty, types.map(|t| &**t));
            json!({ "type": i.name, "value": value })
        }
    }
}

/// The JSON view of `v`, decoded as type `ty` of table `types`.
pub fn to_json(v: &Value, ty: TypeId, types: Option<&Types>) -> Json {
    View {
        types,
        budget: Cell::new(ZERO_BUDGET),
    }
    .value(v, ty)
}

struct View<'t> {
    types: Option<&'t Types>,
    budget: Cell<usize>,
}

impl View<'_> {
    fn kind(&self, ty: TypeId) -> Option<&Kind> {
        self.types?.get(ty).map(|d| &d.kind)
    }

    fn value(&self, v: &Value, ty: TypeId) -> Json {
        match v {
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => json!(i),
            Value::Uint(u) => json!(u),
            Value::Float(f) => float_json(*f),
            Value::Complex(re, im) => json!({ "real": float_json(*re), "imag": float_json(*im) }),
            // Go decodes an empty []byte or slice as nil.
            Value::Bytes(b) if b.is_empty() => Json::Null,
            Value::Bytes(b) => Json::String(STANDARD.encode(b)),
            Value::String(s) => string_json(s),
            Value::Time(t) => Json::String(t.rfc3339()),
            Value::Interface(i) => {
                // Nested interfaces share this table unless they carry their own.
                match i.as_deref() {
                    None => iface_json(None, None),
                    Some(i) => match &i.types {
                        Some(own) => iface_json(Some(i), Some(own)),
                        None => {
                            json!({ "type": i.name, "value": self.value(&i.value, i.ty) })
                        }
                    },
                }
            }
            Value::Marshaled(b) => match self.kind(ty) {
                Some(Kind::Marshaled(Marshal::Text)) => {
                    Json::String(String::from_utf8_lossy(b).into_owned())
                }
                _ => json!({ "marshaled": STANDARD.encode(b) }),
            },
            Value::List(items) => {
                let elem = match self.kind(ty) {
                    Some(Kind::Slice { .. }) if items.is_empty() => return Json::Null,
                    Some(Kind::Array { elem, .. } | Kind::Slice { elem }) => *elem,
                    _ => 0,
                };
                Json::Array(items.iter().map(|x| self.value(x, elem)).collect())
            }
            Value::Map(entries) => {
                let (key, elem) = match self.kind(ty) {
                    Some(Kind::Map { key, elem }) => (*key, *elem),
                    _ => (0, 0),
                };
                if key == STRING {
                    let mut m = Map::new();
                    for (k, e) in entries {
                        let k = match k {
                            Value::String(s) => String::from_utf8_lossy(s).into_owned(),
                            other => self.value(other, key).to_string(),
                        };
                        m.insert(k, self.value(e, elem));
                    }
                    Json::Object(m)
                } else {
                    Json::Array(
                        entries
                            .iter()
                            .map(|(k, e)| json!([self.value(k, key), self.value(e, elem)]))
                            .collect(),
                    )
                }
            }
            Value::Struct(present) => {
                let Some(Kind::Struct { fields }) = self.kind(ty) else {
                    return Json::Null;
                };
                let mut m = Map::new();
                let mut next = present.iter().peekable();
                for (i, f) in fields.iter().enumerate() {
                    let v = match next.peek() {
                        Some((idx, v)) if *idx as usize == i => {
                            next.next();
                            self.value(v, f.id)
                        }
                        _ => self.zero(f.id, true, 0),
                    };
                    m.insert(f.name.clone(), v);
                }
                Json::Object(m)
            }
        }
    }

    /// Go's zero value of `ty` as JSON. A struct-typed field gob omitted can only have been a
    /// nil pointer (gob always sends struct values), so it shows as `null`.
    fn zero(&self, ty: TypeId, as_field: bool, depth: usize) -> Json {
        let left = self.budget.get();
        if left == 0 {
            return Json::Null;
        }
        self.budget.set(left - 1);
        match ty {
            BOOL => Json::Bool(false),
            INT | UINT => json!(0),
            FLOAT => float_json(0.0),
            COMPLEX => json!({ "real": 0.0, "imag": 0.0 }),
            STRING => json!(""),
            BYTES => Json::Null,
            INTERFACE => iface_json(None, None),
            TIME => Json::String(ZERO_TIME.rfc3339()),
            _ => {
                let Some(def) = self.types.and_then(|t| t.get(ty)) else {
                    return Json::Null;
                };
                if depth > MAX_ZERO_DEPTH {
                    return Json::Null;
                }
                match &def.kind {
                    _ if def.is_time() => Json::String(ZERO_TIME.rfc3339()),
                    Kind::Array { elem, len } if *len <= MAX_ZERO_ARRAY => Json::Array(
                        (0..*len)
                            .map(|_| self.zero(*elem, false, depth + 1))
                            .collect(),
                    ),
                    Kind::Struct { fields } if !as_field => Json::Object(
                        fields
                            .iter()
                            .map(|f| (f.name.clone(), self.zero(f.id, true, depth + 1)))
                            .collect(),
                    ),
                    Kind::Marshaled(Marshal::Text) => json!(""),
                    _ => Json::Null,
                }
            }
        }
    }
}
