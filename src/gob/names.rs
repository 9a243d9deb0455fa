//! Registered type names: which ones every Go program knows, which strings are Go type names,
//! how a defined type is laid out, and renaming a name inside a stream.
//!
//! An interface value carries the name its concrete type was registered under (`main.User`),
//! a length-prefixed string, followed by the type's definitions, its id and the value. Go's
//! decoder looks the name up in the app's registry and fails the whole stream with
//! `gob: name not registered for interface: "main.User"` when the app does not know it.
//! [`rename`] rewrites the name and every length prefix that counts it, so that an app that
//! registers the new name reads the stream with every value intact.

use std::collections::HashSet;

use super::decode::Decoder;
use super::encode::put_uint;
use super::error::{DecodeError, ErrorKind};
use super::types::{Kind, TypeId, Types, predefined_name};

/// The 34 names every Go program registers (`encoding/gob`'s `registerBasics`: the basic
/// types and slices of them; `[]byte` is `[]uint8`).
pub const PREDECLARED: [&str; 34] = [
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
    "float32",
    "float64",
    "complex64",
    "complex128",
    "uintptr",
    "bool",
    "string",
    "[]uint8",
    "[]int",
    "[]int8",
    "[]int16",
    "[]int32",
    "[]int64",
    "[]uint",
    "[]uint16",
    "[]uint32",
    "[]uint64",
    "[]float32",
    "[]float64",
    "[]complex64",
    "[]complex128",
    "[]uintptr",
    "[]bool",
    "[]string",
];

/// Whether every Go program registers `name` without being told to.
pub fn registered_by_default(name: &str) -> bool {
    PREDECLARED.contains(&name)
}

/// Go's error for a stream holding an interface value named `name` that the app did not
/// register, word for word.
pub fn not_registered_error(name: &str) -> String {
    format!("gob: name not registered for interface: {name:?}")
}

/// The names an app registered: its own plus [`PREDECLARED`].
#[derive(Debug, Clone, Default)]
pub struct Registry {
    names: HashSet<String>,
}

impl Registry {
    /// The app's registry: `names` and the predeclared ones.
    pub fn new(names: impl IntoIterator<Item = String>) -> Registry {
        Registry {
            names: names.into_iter().collect(),
        }
    }

    /// Whether Go, with this registry, knows `name`.
    pub fn knows(&self, name: &str) -> bool {
        registered_by_default(name) || self.names.contains(name)
    }

    /// The names given (not the predeclared ones), sorted.
    pub fn given(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.names.iter().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

/// Checks that `name` is a name `gob.Register` could give a type: an optional `*`, then a
/// predeclared type, `[]T`, `[N]T`, `map[K]V`, `interface {}`, or an import path and a type
/// name (`main.User`, `github.com/acme/app/models.User`, generic arguments in brackets).
pub fn check_go_type_name(name: &str) -> Result<(), String> {
    let rest = name.strip_prefix('*').unwrap_or(name);
    match parse_type(rest) {
        Some("") => Ok(()),
        _ => Err(format!(
            "{name:?} is not a Go type name (expected e.g. main.User, *models.User, []string)"
        )),
    }
}

const BASIC: [&str; 21] = [
    "bool",
    "string",
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
    "byte",
    "rune",
    "error",
    "any",
];

/// Parses one type at the start of `s`; returns what follows it.
fn parse_type(s: &str) -> Option<&str> {
    if let Some(r) = s.strip_prefix("[]") {
        return parse_type(r);
    }
    if let Some(r) = s.strip_prefix('*') {
        return parse_type(r);
    }
    if let Some(r) = s.strip_prefix("map[") {
        let r = parse_type(r)?.strip_prefix(']')?;
        return parse_type(r);
    }
    if let Some(r) = s.strip_prefix('[') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        return parse_type(r[digits..].strip_prefix(']')?);
    }
    if let Some(r) = s.strip_prefix("interface {}") {
        return Some(r);
    }
    // An import path (letters, digits, `_`, `-`, `~`, `.`, `/`), a dot, an identifier; or a
    // basic type alone.
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || "_-~./".contains(c)))
        .unwrap_or(s.len());
    let word = &s[..end];
    let rest = &s[end..];
    let ok = if let Some((path, ident)) = word.rsplit_once('.') {
        !path.is_empty()
            && !path.starts_with('/')
            && !path.ends_with('/')
            && !path.contains("//")
            && is_ident(ident)
            && path
                .split('/')
                .next_back()
                .is_some_and(|last| !last.is_empty())
    } else {
        BASIC.contains(&word)
    };
    if !ok {
        return None;
    }
    // Generic arguments: `main.Box[int,string]`.
    if word.contains('.')
        && let Some(mut r) = rest.strip_prefix('[')
        && !r.starts_with(|c: char| c.is_ascii_digit() || c == ']')
    {
        loop {
            r = parse_type(r)?;
            if let Some(next) = r.strip_prefix(',') {
                r = next;
            } else {
                return r.strip_prefix(']');
            }
        }
    }
    Some(rest)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// The Go name of type `ty` as the data defines it: `int`, `[]string`, `map[string]int`,
/// `time.Time`, a struct's own name (`User`).
pub fn type_name(types: Option<&Types>, ty: TypeId) -> String {
    name_at(types, ty, 0)
}

fn name_at(types: Option<&Types>, ty: TypeId, depth: usize) -> String {
    if let Some(n) = predefined_name(ty) {
        return n.to_owned();
    }
    if ty == super::types::TIME {
        return "time.Time".to_owned();
    }
    let Some(def) = types.and_then(|t| t.get(ty)) else {
        return format!("<type {ty}>");
    };
    if depth > 16 {
        return "…".to_owned();
    }
    match &def.kind {
        _ if def.is_time() => "time.Time".to_owned(),
        Kind::Struct { .. } if !def.name.is_empty() => def.name.clone(),
        Kind::Struct { .. } => "struct {…}".to_owned(),
        Kind::Slice { elem } => format!("[]{}", name_at(types, *elem, depth + 1)),
        Kind::Array { elem, len } => format!("[{len}]{}", name_at(types, *elem, depth + 1)),
        Kind::Map { key, elem } => format!(
            "map[{}]{}",
            name_at(types, *key, depth + 1),
            name_at(types, *elem, depth + 1)
        ),
        Kind::Marshaled(_) => def.name.clone(),
    }
}

/// A struct's fields as the data defines them: (field name, type name); `None` if `ty` is
/// not a struct.
pub fn struct_fields(types: Option<&Types>, ty: TypeId) -> Option<Vec<(String, String)>> {
    let def = types?.get(ty)?;
    match &def.kind {
        Kind::Struct { fields } => Some(
            fields
                .iter()
                .map(|f| (f.name.clone(), type_name(types, f.id)))
                .collect(),
        ),
        _ => None,
    }
}

/// The layout of type `ty`, every struct in it spelled out with its fields
/// (`User{ID int; Email string; Home Address{City string}}`): two types with the same layout
/// decode into each other.
pub fn layout(types: Option<&Types>, ty: TypeId) -> String {
    let mut out = String::new();
    let mut open = Vec::new();
    layout_into(types, ty, &mut out, &mut open);
    out
}

fn layout_into(types: Option<&Types>, ty: TypeId, out: &mut String, open: &mut Vec<TypeId>) {
    let def = types.and_then(|t| t.get(ty));
    match def.map(|d| &d.kind) {
        Some(Kind::Struct { fields }) if !open.contains(&ty) && open.len() < 16 => {
            out.push_str(&type_name(types, ty));
            out.push('{');
            open.push(ty);
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str("; ");
                }
                out.push_str(&f.name);
                out.push(' ');
                layout_into(types, f.id, out, open);
            }
            open.pop();
            out.push('}');
        }
        Some(Kind::Slice { elem }) => {
            out.push_str("[]");
            layout_into(types, *elem, out, open);
        }
        Some(Kind::Array { elem, len }) => {
            out.push_str(&format!("[{len}]"));
            layout_into(types, *elem, out, open);
        }
        Some(Kind::Map { key, elem }) => {
            out.push_str("map[");
            layout_into(types, *key, out, open);
            out.push(']');
            layout_into(types, *elem, out, open);
        }
        _ => out.push_str(&type_name(types, ty)),
    }
}

/// A stream with a registered name rewritten by [`rename`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    /// The rewritten stream.
    pub data: Vec<u8>,
    /// How many interface values carried the old name.
    pub values: usize,
    /// The distinct layouts ([`layout`]) of the values renamed.
    pub layouts: Vec<String>,
}

/// Where the name `name` appears in `data` as an interface value's name, with the layouts of
/// the values it names: decodes the whole stream (every top-level value in it).
fn trace(data: &[u8]) -> Result<(super::decode::Trace, Types), DecodeError> {
    let mut dec = Decoder::traced(data);
    while dec.position() < data.len() {
        dec.decode()?;
    }
    let trace = dec.take_trace();
    Ok((trace, dec.into_types()))
}

/// The distinct layouts of the interface values named `name` in `data` (none when it holds
/// no such value).
pub fn layouts_of(data: &[u8], name: &str) -> Result<Vec<String>, DecodeError> {
    let (trace, types) = trace(data)?;
    let mut out: Vec<String> = Vec::new();
    for &(_, start, end, ty) in &trace.names {
        if &data[start..end] == name.as_bytes() {
            let l = layout(Some(&types), ty);
            if !out.contains(&l) {
                out.push(l);
            }
        }
    }
    Ok(out)
}

/// Rewrites every interface value named `old` in the gob stream `data` to be named `new`,
/// adjusting every length prefix that counts the name (the message's, the byte count of each
/// enclosing interface value, the counts of chunks that continue after an inline type
/// definition). Nothing else changes: type ids, definitions and values are the same bytes.
/// `Ok(None)` when no interface value is named `old`. Fails on data that is not gob, or whose
/// length prefixes do not frame the names (no Go encoder writes such data).
pub fn rename(data: &[u8], old: &str, new: &str) -> Result<Option<Renamed>, DecodeError> {
    let (trace, types) = trace(data)?;
    let unframed = |what| DecodeError {
        offset: 0,
        kind: ErrorKind::Unframed(what),
    };
    // Edits: (start, end, replacement), the names first.
    let mut edits: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    let mut layouts: Vec<String> = Vec::new();
    for &(at, start, end, ty) in &trace.names {
        if &data[start..end] != old.as_bytes() {
            continue;
        }
        let mut b = Vec::with_capacity(new.len() + 2);
        put_uint(&mut b, new.len() as u64);
        b.extend_from_slice(new.as_bytes());
        edits.push((at, end, b));
        let l = layout(Some(&types), ty);
        if !layouts.contains(&l) {
            layouts.push(l);
        }
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let values = edits.len();
    // Length prefixes, innermost (shortest span) first: each one's new value is its old one
    // plus the growth of every edit inside what it counts, names and inner prefixes alike.
    let mut lengths = trace.lengths.clone();
    if lengths
        .iter()
        .any(|&(_, pe, ce)| ce > data.len() || ce < pe)
    {
        return Err(unframed("a length prefix counts past the end of the data"));
    }
    lengths.sort_by_key(|&(ps, pe, ce)| (ce - pe, ps));
    for &(ps, pe, ce) in &lengths {
        let mut grow: i64 = 0;
        for (s, e, b) in &edits {
            let inside = *s >= pe && *e <= ce;
            let outside = *e <= pe || *s >= ce;
            if inside {
                grow += b.len() as i64 - (*e - *s) as i64;
            } else if !(outside || (*s == ps && *e == pe)) {
                return Err(unframed(
                    "a renamed name straddles a length prefix's bounds",
                ));
            }
        }
        if grow == 0 {
            continue;
        }
        let n = (ce - pe) as i64 + grow;
        let n = u64::try_from(n).map_err(|_| unframed("a length prefix would be negative"))?;
        let mut b = Vec::with_capacity(9);
        put_uint(&mut b, n);
        edits.push((ps, pe, b));
    }
    edits.sort_by_key(|&(s, _, _)| s);
    let mut out = Vec::with_capacity(data.len() + values * new.len());
    let mut at = 0;
    for (s, e, b) in &edits {
        if *s < at {
            return Err(unframed("overlapping rewrites"));
        }
        out.extend_from_slice(&data[at..*s]);
        out.extend_from_slice(b);
        at = *e;
    }
    out.extend_from_slice(&data[at..]);
    Ok(Some(Renamed {
        data: out,
        values,
        layouts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_34_distinct_predeclared_names() {
        let set: HashSet<&str> = PREDECLARED.iter().copied().collect();
        assert_eq!(set.len(), 34);
    }

    #[test]
    fn go_type_names() {
        for ok in [
            "main.User",
            "*main.User",
            "models.User",
            "github.com/acme/app/models.User",
            "gopkg.in/x-y.v2/pkg.T_1",
            "[]main.User",
            "map[string]main.User",
            "[4]uint8",
            "map[string]interface {}",
            "int",
            "[]string",
            "main.Box[int]",
            "main.Pair[string,main.User]",
        ] {
            assert_eq!(check_go_type_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "User",
            "main.",
            ".User",
            "main User",
            "main.User ",
            "main.1User",
            "main.User\n",
            "map[string]",
            "[x]int",
            "**",
            "/main.User",
        ] {
            assert!(check_go_type_name(bad).is_err(), "{bad:?}");
        }
    }
}
