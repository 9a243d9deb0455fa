//! Typed errors of the gob codec.

use super::types::TypeId;

/// What was wrong with a gob stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The input ended inside a message or a value.
    #[error("unexpected end of data")]
    UnexpectedEof,
    /// The input was empty.
    #[error("empty input")]
    Empty,
    /// An unsigned integer used a length byte larger than 8.
    #[error("invalid unsigned integer encoding")]
    BadUint,
    /// A message claimed more bytes than the input holds.
    #[error("message length {len} exceeds the {remaining} bytes that remain")]
    MessageTooLong {
        /// The claimed length.
        len: u64,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A length or count exceeded what remains of the input.
    #[error("{what} length {len} exceeds the {remaining} bytes that remain")]
    TooLong {
        /// What was being read.
        what: &'static str,
        /// The claimed length.
        len: u64,
        /// Bytes left.
        remaining: usize,
    },
    /// A type id out of range or not defined.
    #[error("unknown type id {0}")]
    UnknownType(i64),
    /// A type definition used an id reserved for predefined types.
    #[error("type definition for reserved id {0}")]
    ReservedType(i64),
    /// A type id was defined twice.
    #[error("duplicate definition of type id {0}")]
    DuplicateType(TypeId),
    /// A type definition was malformed.
    #[error("bad type definition: {0}")]
    BadTypeDef(&'static str),
    /// A struct field number past the fields its type defines.
    #[error("struct field number {field} out of range (type {ty} has {count} fields)")]
    FieldOutOfRange {
        /// The field number (0-based).
        field: u64,
        /// The struct's type id.
        ty: TypeId,
        /// Its field count.
        count: usize,
    },
    /// A non-struct value did not start with the zero singleton delta.
    #[error("non-zero delta {0} before a singleton value")]
    BadSingleton(u64),
    /// An array's element count differs from its type's length.
    #[error("array length {got} differs from its type's length {want}")]
    ArrayLength {
        /// Count on the wire.
        got: u64,
        /// Length in the type definition.
        want: u64,
    },
    /// A type definition sent where only values may appear.
    #[error("extra data after a type definition")]
    ExtraData,
    /// An interface held an interface type as its concrete type.
    #[error("interface value of non-concrete type {0}")]
    NotConcrete(TypeId),
    /// Values nested deeper than the decoder allows.
    #[error("values nested deeper than {0} levels")]
    TooDeep(usize),
    /// The value is not the SCS envelope.
    #[error("not an SCS session: {0}")]
    NotEnvelope(&'static str),
    /// A `time.Time` that could not be read.
    #[error("bad time.Time: {0}")]
    BadTime(&'static str),
    /// A rewrite found length prefixes that do not frame what it changes.
    #[error("cannot rewrite: {0}")]
    Unframed(&'static str),
}

/// A decoding failure: what went wrong and at which byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gob: {kind} at byte {offset}")]
pub struct DecodeError {
    /// Byte offset into the input where the problem was detected.
    pub offset: usize,
    /// What was wrong.
    pub kind: ErrorKind,
}

/// An encoding failure: a value that does not fit its declared type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The value's shape does not match its gob type.
    #[error("gob encode: value does not match type {ty} ({what})")]
    Mismatch {
        /// The type id.
        ty: TypeId,
        /// What was expected.
        what: &'static str,
    },
    /// A value refers to a type id that its type table does not define.
    #[error("gob encode: unknown type id {0}")]
    UnknownType(TypeId),
    /// A `time.Time` whose zone offset Go cannot marshal.
    #[error("gob encode: time zone offset {0}s cannot be marshaled")]
    BadOffset(i32),
    /// Values nested deeper than the encoder allows.
    #[error("gob encode: values nested too deep")]
    TooDeep,
}
