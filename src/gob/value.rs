//! Decoded gob values: an untyped tree whose meaning comes from the type it was decoded as.

use std::borrow::Cow;
use std::sync::Arc;

use super::time::GoTime;
use super::types::{TypeId, Types};

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
    Bytes(Vec<u8>),
    /// A Go string: bytes, not necessarily UTF-8.
    String(Vec<u8>),
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

impl Value {
    /// Wraps a value of a predefined type in an interface under its Go name.
    pub fn iface(name: impl Into<Cow<'static, str>>, ty: TypeId, value: Value) -> Value {
        Value::Interface(Some(Box::new(Iface::new(name, ty, value))))
    }
}

/// Names gob.Register gives the types sessions hold most, so decoding can borrow them.
const COMMON_NAMES: &[&str] = &[
    "string",
    "int",
    "bool",
    "float64",
    "[]uint8",
    "time.Time",
    "int64",
    "int32",
    "uint",
    "[]string",
    "[]int",
    "[]interface {}",
    "map[string]interface {}",
    "map[string]string",
    "map[string]int",
    "uint64",
    "uint32",
    "int8",
    "int16",
    "uint8",
    "uint16",
    "float32",
];

/// An interface name from the wire: borrowed when common, else owned (invalid UTF-8 replaced).
pub(crate) fn iface_name(b: &[u8]) -> Cow<'static, str> {
    if let Some(n) = COMMON_NAMES.iter().find(|n| n.as_bytes() == b) {
        return Cow::Borrowed(n);
    }
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Owned(s.to_owned()),
        Err(_) => Cow::Owned(String::from_utf8_lossy(b).into_owned()),
    }
}
