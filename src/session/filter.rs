//! `--where KEY[:TYPE]=VALUE`: which sessions a filter selects, walking into structs, maps and
//! interface values.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value as Json;

use crate::gob::json::to_json;
use crate::gob::types::{INTERFACE, STRING, predefined_name};
use crate::gob::{GoTime, Iface, Kind, TypeId, Types, Value};

use super::Session;
use super::set::{SET_TYPES, parse_bool, parse_float};

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
