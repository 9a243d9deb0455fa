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

/// A definition held by a table: interned for the life of the process (an app's handful of
/// definitions, which every row repeats: sharing one then costs nothing) or, for the rest,
/// reference-counted (sharing costs an atomic count each time).
#[derive(Clone)]
pub(crate) enum Def {
    /// Leaked once, within a process-wide budget (see [`super::cache::intern_def`]).
    Interned(&'static WireType),
    /// Shared by count.
    Counted(Arc<WireType>),
}

impl std::ops::Deref for Def {
    type Target = WireType;

    fn deref(&self) -> &WireType {
        match self {
            Def::Interned(d) => d,
            Def::Counted(d) => d,
        }
    }
}

impl std::fmt::Debug for Def {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        WireType::fmt(self, f)
    }
}

impl PartialEq for Def {
    fn eq(&self, other: &Def) -> bool {
        **self == **other
    }
}

impl Def {
    /// Whether both are the same definition in memory.
    fn same(&self, other: &Def) -> bool {
        std::ptr::eq::<WireType>(&**self, &**other)
    }
}

/// The type definitions of one stream, by id. The ids Go gives a stream's first types are
/// found by direct indexing; others by a linear scan, or an index once there are many.
#[derive(Clone, PartialEq)]
pub struct Types {
    /// (id, definition) in the order received: one allocation for the whole table.
    defs: Vec<(TypeId, Def)>,
    /// For ids `FIRST_USER_ID..FIRST_USER_ID + NEAR`: position in `defs` + 1, 0 if undefined.
    near: [u16; NEAR],
    /// Whether `near` records every near id defined (false once `defs` grew too long for u16
    /// positions, which only hostile input does).
    near_exact: bool,
    /// Positions by id, once there are more than [`LINEAR_MAX`] definitions.
    index: Option<HashMap<TypeId, usize>>,
}

/// Shows the definitions only: `near` and `index` are lookup caches that follow from them,
/// and a `HashMap` would print in a different order in two equal tables (tests compare
/// decoded sessions by their Debug text).
impl std::fmt::Debug for Types {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Types")
            .field("defs", &self.defs)
            .finish_non_exhaustive()
    }
}

/// How many ids from [`FIRST_USER_ID`] on are found by direct indexing.
const NEAR: usize = 32;

const LINEAR_MAX: usize = 24;

impl Default for Types {
    fn default() -> Types {
        Types::with_capacity(0)
    }
}

impl Types {
    /// An empty table.
    pub fn new() -> Types {
        Types::default()
    }

    /// An empty table with room for `n` definitions.
    pub fn with_capacity(n: usize) -> Types {
        Types {
            defs: Vec::with_capacity(n),
            near: [0; NEAR],
            near_exact: true,
            index: None,
        }
    }

    /// The definition of `id`, if the stream sent one.
    #[inline]
    pub fn get(&self, id: TypeId) -> Option<&WireType> {
        if let Some(slot) = near_slot(id) {
            let at = self.near[slot];
            if at != 0 {
                return Some(&self.defs[usize::from(at) - 1].1);
            }
            if self.near_exact {
                return None;
            }
        }
        self.get_far(id)
    }

    /// [`Types::get`] by search.
    #[inline(never)]
    fn get_far(&self, id: TypeId) -> Option<&WireType> {
        match &self.index {
            Some(index) => Some(&self.defs[*index.get(&id)?].1),
            None => self.defs.iter().find(|(i, _)| *i == id).map(|(_, d)| &**d),
        }
    }

    /// Adds a definition; returns false if `id` is already defined.
    pub fn insert(&mut self, id: TypeId, def: impl Into<Arc<WireType>>) -> bool {
        self.insert_def(id, Def::Counted(def.into()))
    }

    /// [`Types::insert`] of a shared definition.
    pub(crate) fn insert_def(&mut self, id: TypeId, def: Def) -> bool {
        if self.get(id).is_some() {
            return false;
        }
        self.defs.push((id, def));
        self.note_near(id, self.defs.len());
        if let Some(index) = &mut self.index {
            index.insert(id, self.defs.len() - 1);
        } else if self.defs.len() > LINEAR_MAX {
            self.build_index();
        }
        true
    }

    /// Adds definitions known to have distinct ids, none of them already defined (a
    /// [`crate::gob::Preamble`]'s, into an empty table), without checking.
    pub(crate) fn extend_distinct(&mut self, defs: &[(TypeId, Def)]) {
        debug_assert!(
            defs.iter()
                .enumerate()
                .all(|(i, (id, _))| self.get(*id).is_none()
                    && defs[..i].iter().all(|(other, _)| other != id))
        );
        for (id, def) in defs {
            self.defs.push((*id, def.clone()));
            self.note_near(*id, self.defs.len());
        }
        if self.index.is_some() || self.defs.len() > LINEAR_MAX {
            self.build_index();
        }
    }

    /// Records that near id `id` (if it is one) is at position `len - 1`.
    #[inline]
    fn note_near(&mut self, id: TypeId, len: usize) {
        if let Some(slot) = near_slot(id) {
            match u16::try_from(len) {
                Ok(at) => self.near[slot] = at,
                Err(_) => self.near_exact = false,
            }
        }
    }

    fn build_index(&mut self) {
        self.index = Some(
            self.defs
                .iter()
                .enumerate()
                .map(|(i, &(id, _))| (id, i))
                .collect(),
        );
    }

    /// Whether both tables hold the very same definitions (not copies) under the same ids.
    pub(crate) fn same_definitions(&self, other: &Types) -> bool {
        self.defs.len() == other.defs.len()
            && self
                .defs
                .iter()
                .zip(&other.defs)
                .all(|((a, x), (b, y))| a == b && x.same(y))
    }

    /// Definitions the table has room for without allocating.
    pub(crate) fn capacity(&self) -> usize {
        self.defs.capacity()
    }

    /// Removes every definition, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.defs.clear();
        self.near = [0; NEAR];
        self.near_exact = true;
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

/// `id`'s slot in [`Types::near`], if it is a near id.
#[inline]
fn near_slot(id: TypeId) -> Option<usize> {
    let slot = id.wrapping_sub(FIRST_USER_ID) as u32 as usize;
    (slot < NEAR).then_some(slot)
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
