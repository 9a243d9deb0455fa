//! Gob's type system: predefined ids and the wire type definitions a stream sends.

use std::collections::HashMap;
use std::sync::Arc;

/// A gob type id as it appears on the wire.
pub type TypeId = i32;

/// Predefined `bool`.
pub const BOOL: TypeId = 1;
/// Predefined `int` (all signed widths).
pub const INT: TypeId = 2;
/// Predefined `uint` (all unsigned widths).
pub const UINT: TypeId = 3;
/// Predefined `float` (float32 and float64).
pub const FLOAT: TypeId = 4;
/// Predefined `[]byte`.
pub const BYTES: TypeId = 5;
/// Predefined `string`.
pub const STRING: TypeId = 6;
/// Predefined `complex` (complex64 and complex128).
pub const COMPLEX: TypeId = 7;
/// Predefined `interface`.
pub const INTERFACE: TypeId = 8;
/// The first id a stream may define.
pub const FIRST_USER_ID: TypeId = 64;
/// Not a wire id: stands for "the `time.Time` GobEncoder type", whatever id a stream gives it.
/// [`crate::gob::Iface`] values built by hand (not decoded) use it for `time.Time`.
pub const TIME: TypeId = -1;

/// How a marshaled value was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marshal {
    /// `GobEncoder` (`GobEncoderT`).
    Gob,
    /// `encoding.BinaryMarshaler` (`BinaryMarshalerT`).
    Binary,
    /// `encoding.TextMarshaler` (`TextMarshalerT`).
    Text,
}

/// A struct field in a type definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's Go name.
    pub name: String,
    /// Its type id.
    pub id: TypeId,
}

/// The shape of a defined type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `[N]T` (`ArrayT`).
    Array {
        /// Element type.
        elem: TypeId,
        /// Length.
        len: u64,
    },
    /// `[]T` (`SliceT`).
    Slice {
        /// Element type.
        elem: TypeId,
    },
    /// A struct (`StructT`): exported fields in order.
    Struct {
        /// The fields.
        fields: Vec<Field>,
    },
    /// `map[K]V` (`MapT`).
    Map {
        /// Key type.
        key: TypeId,
        /// Element type.
        elem: TypeId,
    },
    /// A type that marshals itself to bytes.
    Marshaled(Marshal),
}

/// One type definition received from (or sent to) a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireType {
    /// The type's name as gob sends it (`User`, `Time`, `map[string]interface {}`; empty for
    /// anonymous structs).
    pub name: String,
    /// Its shape.
    pub kind: Kind,
}

impl WireType {
    /// Whether this is `time.Time` (a GobEncoder or BinaryMarshaler named `Time`).
    pub fn is_time(&self) -> bool {
        matches!(self.kind, Kind::Marshaled(Marshal::Gob | Marshal::Binary)) && self.name == "Time"
    }
}

/// The type definitions of one stream, by id. Small streams (the usual case) use a linear scan;
/// larger ones an index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Types {
    /// (id, definition) in the order received: one allocation for the whole table.
    defs: Vec<(TypeId, Arc<WireType>)>,
    index: Option<HashMap<TypeId, usize>>,
}

const LINEAR_MAX: usize = 24;

impl Types {
    /// An empty table.
    pub fn new() -> Types {
        Types::default()
    }

    /// An empty table with room for `n` definitions.
    pub fn with_capacity(n: usize) -> Types {
        Types {
            defs: Vec::with_capacity(n),
            index: None,
        }
    }

    /// The definition of `id`, if the stream sent one.
    #[inline]
    pub fn get(&self, id: TypeId) -> Option<&WireType> {
        match &self.index {
            Some(index) => Some(&self.defs[*index.get(&id)?].1),
            None => self.defs.iter().find(|(i, _)| *i == id).map(|(_, d)| &**d),
        }
    }

    /// Adds a definition; returns false if `id` is already defined.
    pub fn insert(&mut self, id: TypeId, def: impl Into<Arc<WireType>>) -> bool {
        let def = def.into();
        if self.get(id).is_some() {
            return false;
        }
        self.defs.push((id, def));
        if let Some(index) = &mut self.index {
            index.insert(id, self.defs.len() - 1);
        } else if self.defs.len() > LINEAR_MAX {
            self.index = Some(
                self.defs
                    .iter()
                    .enumerate()
                    .map(|(i, &(id, _))| (id, i))
                    .collect(),
            );
        }
        true
    }

    /// Adds definitions known to have distinct ids, none of them already defined (a
    /// [`crate::gob::Preamble`]'s, into an empty table), without checking.
    pub(crate) fn extend_distinct(&mut self, defs: &[(TypeId, Arc<WireType>)]) {
        debug_assert!(
            defs.iter()
                .enumerate()
                .all(|(i, (id, _))| self.get(*id).is_none()
                    && defs[..i].iter().all(|(other, _)| other != id))
        );
        self.defs.extend_from_slice(defs);
        if self.index.is_some() || self.defs.len() > LINEAR_MAX {
            self.index = Some(
                self.defs
                    .iter()
                    .enumerate()
                    .map(|(i, &(id, _))| (id, i))
                    .collect(),
            );
        }
    }

    /// Whether both tables hold the very same definitions (not copies) under the same ids.
    pub(crate) fn same_definitions(&self, other: &Types) -> bool {
        self.defs.len() == other.defs.len()
            && self
                .defs
                .iter()
                .zip(&other.defs)
                .all(|((a, x), (b, y))| a == b && Arc::ptr_eq(x, y))
    }

    /// Definitions the table has room for without allocating.
    pub(crate) fn capacity(&self) -> usize {
        self.defs.capacity()
    }

    /// Removes every definition, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.defs.clear();
        self.index = None;
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// All definitions in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (TypeId, &WireType)> {
        self.defs.iter().map(|(id, d)| (*id, &**d))
    }
}

/// Go's name for a predefined type id, as `%T` prints the default Go type it decodes into.
pub fn predefined_name(id: TypeId) -> Option<&'static str> {
    Some(match id {
        BOOL => "bool",
        INT => "int",
        UINT => "uint",
        FLOAT => "float64",
        BYTES => "[]uint8",
        STRING => "string",
        COMPLEX => "complex128",
        INTERFACE => "interface {}",
        _ => return None,
    })
}
