//! `--set KEY[:TYPE]=VALUE`: a value typed on the command line as the Go value an app reads.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::gob::types::{BOOL, BYTES, FLOAT, INT, STRING, TIME, UINT};
use crate::gob::{GoTime, Iface, TypeId, Value};

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

pub(super) fn parse_float(s: &str) -> Option<f64> {
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
pub(super) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}
