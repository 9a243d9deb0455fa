//! Decoded gob values: an untyped tree whose meaning comes from the type it was decoded as.

use std::borrow::Cow;
use std::sync::Arc;

use super::time::GoTime;
use super::types::{TypeId, Types};

/// The bytes of a Go string or `[]byte`: up to 16 bytes are kept inline, because sessions
/// hold mostly short strings and allocating each was a large share of decoding time.
pub type GoBytes = smallvec::SmallVec<[u8; 16]>;

/// A gob value. Containers do not carry their type: the type id they were decoded as (a field's
/// type, an element type, an [`Iface`]'s `ty`) gives names and shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `bool`.
    Bool(bool),
    /// Any signed integer width.
    Int(i64),
    /// Any unsigned integer width.
    Uint(u64),
    /// `float32` / `float64`.
    Float(f64),
    /// `complex64` / `complex128`: real and imaginary parts.
    Complex(f64, f64),
    /// `[]byte`.
    Bytes(GoBytes),
    /// A Go string: bytes, not necessarily UTF-8.
    String(GoBytes),
    /// An `interface{}` value: `None` is a nil interface.
    Interface(Option<Box<Iface>>),
    /// Slice or array elements.
    List(Vec<Value>),
    /// Map entries in wire order.
    Map(Vec<(Value, Value)>),
    /// Struct fields that were sent (gob omits zero fields): (field index, value), ascending.
    Struct(Vec<(u32, Value)>),
    /// `time.Time`.
    Time(GoTime),
    /// The bytes of a GobEncoder, BinaryMarshaler or TextMarshaler other than `time.Time`.
    Marshaled(Vec<u8>),
}

/// A value inside an `interface{}`: the name it was registered under, its concrete type and the
/// value.
#[derive(Debug, Clone, PartialEq)]
pub struct Iface {
    /// The registered name (`int`, `main.User`, `map[string]interface {}`); Go strings are bytes
    /// but names are UTF-8 in practice (invalid bytes are replaced). Common names are borrowed
    /// from a static list, saving an allocation per value.
    pub name: Cow<'static, str>,
    /// The concrete type: a predefined id, [`super::types::TIME`], or an id in `types`.
    pub ty: TypeId,
    /// The value.
    pub value: Value,
    /// The type table `ty` and the value's nested types refer to. `None` means "the enclosing
    /// interface's table" (or none needed, for predefined types and `TIME`).
    pub types: Option<Arc<Types>>,
}

impl Iface {
    /// The type table this value's type refers to: its own, or else `outer`, the table of the
    /// interface (or session) that holds it.
    pub fn table<'a>(&'a self, outer: Option<&'a Types>) -> Option<&'a Types> {
        self.types.as_deref().or(outer)
    }

    /// An interface value of a predefined type (or [`super::types::TIME`]) under `name`.
    pub fn new(name: impl Into<Cow<'static, str>>, ty: TypeId, value: Value) -> Iface {
        Iface {
            name: name.into(),
            ty,
            value,
            types: None,
        }
    }
}

impl From<Iface> for Value {
    fn from(iface: Iface) -> Value {
        Value::Interface(Some(Box::new(iface)))
    }
}

impl Value {
    /// Wraps a value of a predefined type in an interface under its Go name.
    pub fn iface(name: impl Into<Cow<'static, str>>, ty: TypeId, value: Value) -> Value {
        Iface::new(name, ty, value).into()
    }
}

/// The name gob.Register gives a type sessions hold often, borrowed.
fn common_name(b: &[u8]) -> Option<&'static str> {
    Some(match b {
        b"string" => "string",
        b"int" => "int",
        b"bool" => "bool",
        b"float64" => "float64",
        b"[]uint8" => "[]uint8",
        b"time.Time" => "time.Time",
        b"int64" => "int64",
        b"int32" => "int32",
        b"uint" => "uint",
        b"[]string" => "[]string",
        b"[]int" => "[]int",
        b"[]interface {}" => "[]interface {}",
        b"map[string]interface {}" => "map[string]interface {}",
        b"map[string]string" => "map[string]string",
        b"map[string]int" => "map[string]int",
        b"uint64" => "uint64",
        b"uint32" => "uint32",
        b"int8" => "int8",
        b"int16" => "int16",
        b"uint8" => "uint8",
        b"uint16" => "uint16",
        b"float32" => "float32",
        _ => return None,
    })
}

/// An interface name from the wire, of a value of type `ty`: borrowed when common or seen
/// before, else owned (invalid UTF-8 replaced).
pub(crate) fn iface_name(b: &[u8], ty: TypeId) -> Cow<'static, str> {
    // A value of a predefined type is nearly always registered under that type's own name.
    if let Some(n) = super::types::predefined_name(ty)
        && n.as_bytes() == b
    {
        return Cow::Borrowed(n);
    }
    if let Some(n) = common_name(b) {
        return Cow::Borrowed(n);
    }
    match interned(b) {
        Some(n) => Cow::Borrowed(n),
        None => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
    }
}

/// Longest registered name worth interning.
const INTERN_MAX_LEN: usize = 128;

thread_local! {
    static INTERNED: std::cell::RefCell<
        std::collections::HashMap<&'static [u8], &'static str, super::cache::FastHash>,
    > = std::cell::RefCell::new(std::collections::HashMap::default());
}

/// A `'static` copy of the UTF-8 name `b`: an app registers a handful of type names
/// (`main.User`) that every session repeats, so each is interned once per thread (within the
/// process's budget, [`super::cache::intern`]) rather than allocated per value. `None` for
/// invalid UTF-8, long names and once the budget is spent.
fn interned(b: &[u8]) -> Option<&'static str> {
    if b.len() > INTERN_MAX_LEN {
        return None;
    }
    INTERNED.with(|map| {
        let mut map = map.borrow_mut();
        if let Some(n) = map.get(b) {
            return Some(*n);
        }
        let s = std::str::from_utf8(b).ok()?;
        let n = super::cache::intern(Box::<str>::from(s), s.len() + 32).ok()?;
        map.insert(n.as_bytes(), n);
        Some(n)
    })
}
