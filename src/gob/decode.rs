//! The gob decoder: a single pass over `&[u8]` that follows Go's `Decoder` message by message.
//!
//! Every length is checked against what remains before anything is allocated, nesting is
//! limited to [`MAX_DEPTH`], and each error carries the byte offset where it was found.

use std::sync::Arc;

use super::cache;
use super::error::{DecodeError, ErrorKind};
use super::time::GoTime;
use super::types::{
    BOOL, BYTES, COMPLEX, Def, FIRST_USER_ID, FLOAT, Field, INT, INTERFACE, Kind, Marshal, STRING,
    TypeId, Types, UINT, WireType,
};
use super::value::{GoBytes, Iface, Value};

/// What a container holds in a place about to be decoded into.
const HOLE: Value = Value::Bool(false);

/// Deepest nesting of values (containers and interfaces) the decoder accepts.
pub const MAX_DEPTH: usize = 100;

type Result<T> = std::result::Result<T, DecodeError>;

/// A summary of a defined type, copied out of the table so decoding can borrow `self` mutably.
#[derive(Clone, Copy)]
enum Shape {
    Array(TypeId, u64),
    Slice(TypeId),
    Struct(usize),
    Map(TypeId, TypeId),
    Marshaled(bool),
}

/// Type-definition messages many streams start with (an app's envelope), parsed once: a
/// stream that starts with exactly these bytes skips them.
#[derive(Debug, Clone)]
pub struct Preamble {
    bytes: Vec<u8>,
    types: Vec<(TypeId, Def)>,
}

impl Preamble {
    /// The definition messages, as given to [`Preamble::new`].
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses `bytes`, which must be whole type-definition messages and nothing else.
    pub fn new(bytes: Vec<u8>) -> Result<Preamble> {
        let mut d = Decoder::new(&bytes);
        let mut types = Vec::new();
        while d.pos < bytes.len() {
            d.next_message()?;
            let at = d.pos;
            let id = d.int()?;
            let id = id
                .checked_neg()
                .and_then(|i| TypeId::try_from(i).ok())
                .filter(|&i| i >= FIRST_USER_ID)
                .ok_or_else(|| d.fail_at(at, ErrorKind::UnknownType(id)))?;
            let def = d.cached_wire_type()?;
            if d.pos != d.end {
                return Err(d.fail(ErrorKind::ExtraData));
            }
            if types.iter().any(|&(other, _)| other == id) {
                return Err(d.fail_at(at, ErrorKind::DuplicateType(id)));
            }
            types.push((id, def));
        }
        Ok(Preamble { bytes, types })
    }
}

/// Decodes one gob stream (one `Encoder.Encode` call's output).
pub struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    /// End of the current message; reads never pass it.
    end: usize,
    types: Types,
    /// Whether the input started with a [`Preamble`], now in `types`.
    skipped_preamble: bool,
    /// Where length prefixes and interface names are, when asked for ([`Decoder::traced`]).
    trace: Option<Box<Trace>>,
}

/// Where a stream's length prefixes and interface names are: what a rewrite that changes a
/// name's length must adjust ([`super::names::rename`]).
#[derive(Debug, Default, Clone)]
pub struct Trace {
    /// Every length prefix a decoder skips over (a message's, an interface value's byte count,
    /// the count after a type definition sent inside an interface): (where the prefix starts,
    /// where it ends, where the bytes it counts end).
    pub lengths: Vec<(usize, usize, usize)>,
    /// Every non-nil interface value's name: (where its length prefix starts, where the name's
    /// bytes start, where they end, the concrete type id).
    pub names: Vec<(usize, usize, usize, TypeId)>,
}

impl<'a> Decoder<'a> {
    /// A decoder over `input`.
    pub fn new(input: &'a [u8]) -> Decoder<'a> {
        Decoder {
            input,
            pos: 0,
            end: 0,
            types: Types::new(),
            skipped_preamble: false,
            trace: None,
        }
    }

    /// A decoder over `input` that records where its length prefixes and interface names are
    /// ([`Decoder::take_trace`]).
    pub fn traced(input: &'a [u8]) -> Decoder<'a> {
        let mut d = Decoder::new(input);
        d.trace = Some(Box::default());
        d
    }

    /// What a [`Decoder::traced`] decoder recorded so far.
    pub fn take_trace(&mut self) -> Trace {
        self.trace.take().map(|t| *t).unwrap_or_default()
    }

    /// Records a length prefix from `at` to the current position that counts `n` bytes.
    #[inline]
    fn note_length(&mut self, at: usize, n: u64) {
        if let Some(t) = &mut self.trace {
            let end = usize::try_from(n)
                .ok()
                .and_then(|n| self.pos.checked_add(n))
                .unwrap_or(usize::MAX);
            t.lengths.push((at, self.pos, end));
        }
    }

    /// A decoder over `input` that skips `preamble` if `input` starts with it.
    pub fn with_preamble(input: &'a [u8], preamble: &Preamble) -> Decoder<'a> {
        let mut d = Decoder::new(input);
        if input.starts_with(&preamble.bytes) {
            // Room for the preamble's definitions and a few more: one allocation per stream.
            d.types = cache::empty_types(preamble.types.len() + 6);
            d.types.extend_distinct(&preamble.types);
            d.pos = preamble.bytes.len();
            d.end = d.pos;
            d.skipped_preamble = true;
        }
        d
    }

    /// Whether the input started with the [`Preamble`] given to [`Decoder::with_preamble`]
    /// (whose definitions are then the first in [`Decoder::types`]).
    pub fn skipped_preamble(&self) -> bool {
        self.skipped_preamble
    }

    /// The type definitions received so far.
    pub fn types(&self) -> &Types {
        &self.types
    }

    /// Takes the type definitions received.
    pub fn into_types(self) -> Types {
        self.types
    }

    /// Takes the type definitions received, shared: streams that define the same types (rows
    /// of one app) get the same table, without an allocation each.
    pub fn into_shared_types(self) -> Arc<Types> {
        cache::shared(self.types)
    }

    /// Byte offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Decodes the next top-level value: its type id and the value. Type definitions before it
    /// (and inside it) go to [`Decoder::types`].
    pub fn decode(&mut self) -> Result<(TypeId, Value)> {
        let id = self.begin()?;
        let mut value = HOLE;
        self.top_value(id, 0, &mut value)?;
        Ok((id, value))
    }

    /// The first half of [`Decoder::decode`]: reads the type definitions before the top-level
    /// value and returns its type id (a predefined id or one in [`Decoder::types`]). Follow with
    /// [`Decoder::top`] or, to visit a struct's fields without building it,
    /// [`Decoder::struct_fields`].
    pub fn begin(&mut self) -> Result<TypeId> {
        if self.input.is_empty() {
            return Err(self.fail(ErrorKind::Empty));
        }
        let id = self.type_sequence(false)?;
        self.check_concrete(id, self.pos)?;
        Ok(id)
    }

    /// The top-level value of type `id` (from [`Decoder::begin`]).
    pub fn top(&mut self, id: TypeId) -> Result<Value> {
        let mut value = HOLE;
        self.top_value(id, 0, &mut value)?;
        Ok(value)
    }

    /// The top-level value of struct type `id` (from [`Decoder::begin`]), field by field:
    /// calls `f` with the decoder, the field's index and its type id for each field sent, in
    /// order; `f` must read exactly that field's value, with [`Decoder::value_at`] (depth 1)
    /// or [`Decoder::string_iface_map`]. Errors like [`Decoder::top`] would; `id` must be a struct type.
    pub fn struct_fields(
        &mut self,
        id: TypeId,
        f: impl FnMut(&mut Self, u32, TypeId) -> Result<()>,
    ) -> Result<()> {
        match self.shape(id)? {
            Shape::Struct(n) => self.each_field(id, n, 0, f),
            _ => Err(self.fail(ErrorKind::UnknownType(id.into()))),
        }
    }

    /// A value of type `id` nested `depth` levels deep (a top-level struct's field is at
    /// depth 1), as inside [`Decoder::top`].
    pub fn value_at(&mut self, id: TypeId, depth: usize) -> Result<Value> {
        let mut value = HOLE;
        self.value(id, depth, &mut value)?;
        Ok(value)
    }

    /// A `map[string]interface{}` value at `depth` (as inside [`Decoder::top`]), appended to
    /// `out` entry by entry: the key made by `key` from its bytes, and the interface value
    /// unboxed (`None`: nil). Each value is decoded straight into its place in `out`.
    pub fn string_iface_map<K>(
        &mut self,
        depth: usize,
        out: &mut Vec<(K, Option<Iface>)>,
        key: impl Fn(&'a [u8]) -> K,
    ) -> Result<()> {
        if depth + 1 > MAX_DEPTH {
            return Err(self.fail(ErrorKind::TooDeep(MAX_DEPTH)));
        }
        let n = self.count("map", 2)?;
        out.reserve(n);
        for _ in 0..n {
            let k = self.bytes("string")?;
            out.push((key(k), None));
            let slot = &mut out.last_mut().expect("just pushed").1;
            self.iface_into(depth + 1, slot)?;
        }
        Ok(())
    }

    fn fail(&self, kind: ErrorKind) -> DecodeError {
        DecodeError {
            offset: self.pos,
            kind,
        }
    }

    fn fail_at(&self, offset: usize, kind: ErrorKind) -> DecodeError {
        DecodeError { offset, kind }
    }

    #[inline]
    fn byte(&mut self) -> Result<u8> {
        if self.pos < self.end {
            let b = self.input[self.pos];
            self.pos += 1;
            Ok(b)
        } else {
            Err(self.fail(ErrorKind::UnexpectedEof))
        }
    }

    #[inline]
    fn uint(&mut self) -> Result<u64> {
        let b = self.byte()?;
        if b <= 0x7f {
            return Ok(u64::from(b));
        }
        let n = (b as i8).unsigned_abs() as usize;
        if n > 8 {
            return Err(self.fail_at(self.pos - 1, ErrorKind::BadUint));
        }
        if self.end - self.pos < n {
            return Err(self.fail(ErrorKind::UnexpectedEof));
        }
        let x = self.input[self.pos..self.pos + n]
            .iter()
            .fold(0u64, |x, &c| x << 8 | u64::from(c));
        self.pos += n;
        Ok(x)
    }

    #[inline]
    fn int(&mut self) -> Result<i64> {
        let x = self.uint()?;
        let i = (x >> 1) as i64;
        Ok(if x & 1 != 0 { !i } else { i })
    }

    #[inline]
    fn float(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.uint()?.swap_bytes()))
    }

    /// A length-prefixed byte string, which never crosses a message boundary.
    #[inline]
    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let at = self.pos;
        let n = self.uint()?;
        let remaining = self.end - self.pos;
        if n > remaining as u64 {
            return Err(self.fail_at(
                at,
                ErrorKind::TooLong {
                    what,
                    len: n,
                    remaining,
                },
            ));
        }
        let s = &self.input[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    /// A count of items that each take at least `per_item` bytes of what remains of the input.
    fn count(&mut self, what: &'static str, per_item: u64) -> Result<usize> {
        let at = self.pos;
        let n = self.uint()?;
        let remaining = self.input.len() - self.pos;
        if n.saturating_mul(per_item) > remaining as u64 {
            return Err(self.fail_at(
                at,
                ErrorKind::TooLong {
                    what,
                    len: n,
                    remaining,
                },
            ));
        }
        Ok(n as usize)
    }

    fn next_message(&mut self) -> Result<()> {
        let at = self.pos;
        if at >= self.input.len() {
            return Err(self.fail(ErrorKind::UnexpectedEof));
        }
        self.end = self.input.len();
        let n = self.uint()?;
        let remaining = self.input.len() - self.pos;
        if n > remaining as u64 {
            self.end = self.pos;
            return Err(self.fail_at(at, ErrorKind::MessageTooLong { len: n, remaining }));
        }
        self.end = self.pos + n as usize;
        self.note_length(at, n);
        Ok(())
    }

    /// Go's `decodeTypeSequence`: type definitions until a value's type id. Inside an
    /// interface, definitions may arrive in new messages or inline with a count to skip.
    fn type_sequence(&mut self, in_interface: bool) -> Result<TypeId> {
        loop {
            if self.pos == self.end {
                self.next_message()?;
            }
            let at = self.pos;
            let id = self.int()?;
            if id >= 0 {
                return TypeId::try_from(id)
                    .map_err(|_| self.fail_at(at, ErrorKind::UnknownType(id)));
            }
            let id = id.checked_neg().and_then(|i| TypeId::try_from(i).ok());
            let Some(id) = id else {
                return Err(self.fail_at(at, ErrorKind::UnknownType(i64::MIN)));
            };
            if id < FIRST_USER_ID {
                return Err(self.fail_at(at, ErrorKind::ReservedType(id.into())));
            }
            let def = self.cached_wire_type()?;
            if !self.types.insert_def(id, def) {
                return Err(self.fail_at(at, ErrorKind::DuplicateType(id)));
            }
            if self.pos < self.end {
                if !in_interface {
                    return Err(self.fail(ErrorKind::ExtraData));
                }
                let at = self.pos;
                let n = self.uint()?;
                self.note_length(at, n);
            }
        }
    }

    /// Reads struct fields with deltas, calling `f` with each field number (1-based) up to
    /// `max`. Like Go, the end of the message also ends the struct.
    fn fields(&mut self, max: u64, mut f: impl FnMut(&mut Self, u64) -> Result<()>) -> Result<()> {
        let mut field = 0u64;
        while self.pos < self.end {
            let at = self.pos;
            let delta = self.uint()?;
            if delta == 0 {
                break;
            }
            field = field.saturating_add(delta);
            if field > max {
                return Err(self.fail_at(
                    at,
                    ErrorKind::BadTypeDef("unknown field in type definition"),
                ));
            }
            f(self, field)?;
        }
        Ok(())
    }

    fn type_id(&mut self) -> Result<TypeId> {
        let at = self.pos;
        let id = self.int()?;
        TypeId::try_from(id)
            .map_err(|_| self.fail_at(at, ErrorKind::BadTypeDef("type id out of range")))
    }

    fn string(&mut self, what: &'static str) -> Result<String> {
        let b = self.bytes(what)?;
        Ok(match std::str::from_utf8(b) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(b).into_owned(),
        })
    }

    /// `CommonType{Name string; Id typeId}`; the id is ignored (the message's id counts).
    fn common(&mut self) -> Result<String> {
        let mut name = String::new();
        self.fields(2, |d, f| {
            match f {
                1 => name = d.string("type name")?,
                _ => {
                    d.type_id()?;
                }
            }
            Ok(())
        })?;
        Ok(name)
    }

    /// A type definition that fills the rest of its message (as Go sends them) is parsed once
    /// per thread and interned: rows of one app repeat the same definitions.
    fn cached_wire_type(&mut self) -> Result<Def> {
        let rest = &self.input[self.pos..self.end];
        if rest.len() > cache::MAX_KEY {
            return Ok(Def::Counted(Arc::new(self.wire_type()?)));
        }
        let at = self.types.len();
        if let Some(def) = cache::get(rest, at) {
            self.pos = self.end;
            return Ok(def);
        }
        let def = self.wire_type()?;
        Ok(if self.pos == self.end {
            cache::put(rest, at, def)
        } else {
            Def::Counted(Arc::new(def))
        })
    }

    /// `wireType`: exactly one of its seven pointer fields.
    fn wire_type(&mut self) -> Result<WireType> {
        let start = self.pos;
        let mut out: Option<WireType> = None;
        self.fields(7, |d, f| {
            if out.is_some() {
                return Err(d.fail(ErrorKind::BadTypeDef("more than one kind")));
            }
            let mut name = String::new();
            let kind = match f {
                1 => {
                    let (mut elem, mut len) = (0, 0);
                    d.fields(3, |d, g| {
                        match g {
                            1 => name = d.common()?,
                            2 => elem = d.type_id()?,
                            _ => {
                                let at = d.pos;
                                len = u64::try_from(d.int()?).map_err(|_| {
                                    d.fail_at(at, ErrorKind::BadTypeDef("negative array length"))
                                })?
                            }
                        }
                        Ok(())
                    })?;
                    Kind::Array { elem, len }
                }
                2 => {
                    let mut elem = 0;
                    d.fields(2, |d, g| {
                        match g {
                            1 => name = d.common()?,
                            _ => elem = d.type_id()?,
                        }
                        Ok(())
                    })?;
                    Kind::Slice { elem }
                }
                3 => {
                    let mut fields = Vec::new();
                    d.fields(2, |d, g| {
                        match g {
                            1 => name = d.common()?,
                            _ => {
                                let n = d.count("field list", 1)?;
                                fields.reserve(n);
                                for _ in 0..n {
                                    let mut field = Field {
                                        name: String::new(),
                                        id: 0,
                                    };
                                    d.fields(2, |d, h| {
                                        match h {
                                            1 => field.name = d.string("field name")?,
                                            _ => field.id = d.type_id()?,
                                        }
                                        Ok(())
                                    })?;
                                    fields.push(field);
                                }
                            }
                        }
                        Ok(())
                    })?;
                    Kind::Struct { fields }
                }
                4 => {
                    let (mut key, mut elem) = (0, 0);
                    d.fields(3, |d, g| {
                        match g {
                            1 => name = d.common()?,
                            2 => key = d.type_id()?,
                            _ => elem = d.type_id()?,
                        }
                        Ok(())
                    })?;
                    Kind::Map { key, elem }
                }
                _ => {
                    d.fields(1, |d, _| {
                        name = d.common()?;
                        Ok(())
                    })?;
                    Kind::Marshaled(match f {
                        5 => Marshal::Gob,
                        6 => Marshal::Binary,
                        _ => Marshal::Text,
                    })
                }
            };
            out = Some(WireType { name, kind });
            Ok(())
        })?;
        out.ok_or_else(|| self.fail_at(start, ErrorKind::BadTypeDef("no kind set")))
    }

    fn shape(&self, id: TypeId) -> Result<Shape> {
        let def = self
            .types
            .get(id)
            .ok_or_else(|| self.fail(ErrorKind::UnknownType(id.into())))?;
        Ok(match &def.kind {
            Kind::Array { elem, len } => Shape::Array(*elem, *len),
            Kind::Slice { elem } => Shape::Slice(*elem),
            Kind::Struct { fields } => Shape::Struct(fields.len()),
            Kind::Map { key, elem } => Shape::Map(*key, *elem),
            Kind::Marshaled(_) => Shape::Marshaled(def.is_time()),
        })
    }

    fn check_concrete(&self, id: TypeId, at: usize) -> Result<()> {
        match id {
            INTERFACE => Err(self.fail_at(at, ErrorKind::NotConcrete(id))),
            BOOL..=COMPLEX => Ok(()),
            _ if self.types.get(id).is_some() => Ok(()),
            _ => Err(self.fail_at(at, ErrorKind::UnknownType(id.into()))),
        }
    }

    /// A value as sent at top level or inside an interface, into `out`: structs as they are,
    /// anything else after a zero "singleton" delta.
    fn top_value(&mut self, id: TypeId, depth: usize, out: &mut Value) -> Result<()> {
        if id >= FIRST_USER_ID
            && let Shape::Struct(n) = self.shape(id)?
        {
            return self.struct_value(id, n, depth, out);
        }
        let at = self.pos;
        let delta = self.uint()?;
        if delta != 0 {
            return Err(self.fail_at(at, ErrorKind::BadSingleton(delta)));
        }
        self.value(id, depth, out)
    }

    /// A value of type `id` at `depth`, written into `out`. Values are decoded in place (a
    /// container pushes a [`HOLE`] and decodes into it) rather than returned: moving 32-byte
    /// values back through the frames of a nested value showed in profiles as stalls.
    fn value(&mut self, id: TypeId, depth: usize, out: &mut Value) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.fail(ErrorKind::TooDeep(MAX_DEPTH)));
        }
        *out = match id {
            BOOL => Value::Bool(self.uint()? != 0),
            INT => Value::Int(self.int()?),
            UINT => Value::Uint(self.uint()?),
            FLOAT => Value::Float(self.float()?),
            BYTES => Value::Bytes(GoBytes::from_slice(self.bytes("[]byte")?)),
            STRING => Value::String(GoBytes::from_slice(self.bytes("string")?)),
            COMPLEX => Value::Complex(self.float()?, self.float()?),
            INTERFACE => Value::Interface(self.iface(depth)?.map(Box::new)),
            _ => match self.shape(id)? {
                Shape::Array(elem, len) => {
                    let at = self.pos;
                    let n = self.count("array", 1)?;
                    if n as u64 != len {
                        return Err(self.fail_at(
                            at,
                            ErrorKind::ArrayLength {
                                got: n as u64,
                                want: len,
                            },
                        ));
                    }
                    return self.list(elem, n, depth, out);
                }
                Shape::Slice(elem) => {
                    let n = self.count("slice", 1)?;
                    return self.list(elem, n, depth, out);
                }
                Shape::Struct(n) => return self.struct_value(id, n, depth, out),
                Shape::Map(key, elem) => {
                    let n = self.count("map", 2)?;
                    let mut entries = Vec::with_capacity(n);
                    for _ in 0..n {
                        entries.push((HOLE, HOLE));
                        let (k, v) = entries.last_mut().expect("just pushed");
                        self.value(key, depth + 1, k)?;
                        self.value(elem, depth + 1, v)?;
                    }
                    Value::Map(entries)
                }
                Shape::Marshaled(is_time) => {
                    let b = self.bytes("marshaled value")?;
                    match is_time.then(|| GoTime::unmarshal_binary(b)) {
                        Some(Ok(t)) => Value::Time(t),
                        _ => Value::Marshaled(b.to_vec()),
                    }
                }
            },
        };
        Ok(())
    }

    fn list(&mut self, elem: TypeId, n: usize, depth: usize, out: &mut Value) -> Result<()> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(HOLE);
            self.value(elem, depth + 1, items.last_mut().expect("just pushed"))?;
        }
        *out = Value::List(items);
        Ok(())
    }

    fn struct_value(
        &mut self,
        id: TypeId,
        nfields: usize,
        depth: usize,
        out: &mut Value,
    ) -> Result<()> {
        let mut fields = Vec::with_capacity(nfields.min(self.end - self.pos));
        self.each_field(id, nfields, depth, |d, field, fty| {
            fields.push((field, HOLE));
            let (_, v) = fields.last_mut().expect("just pushed");
            d.value(fty, depth + 1, v)
        })?;
        *out = Value::Struct(fields);
        Ok(())
    }

    /// The fields of a struct value of type `id` (with `nfields` fields) at `depth`: calls `f`
    /// with each field's index and type, which must read the field's value.
    #[inline]
    fn each_field(
        &mut self,
        id: TypeId,
        nfields: usize,
        depth: usize,
        mut visit: impl FnMut(&mut Self, u32, TypeId) -> Result<()>,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.fail(ErrorKind::TooDeep(MAX_DEPTH)));
        }
        let mut field: i64 = -1;
        while self.pos < self.end {
            let at = self.pos;
            let delta = self.uint()?;
            if delta == 0 {
                break;
            }
            let f = i128::from(field) + i128::from(delta);
            if f >= nfields as i128 {
                let kind = ErrorKind::FieldOutOfRange {
                    field: f.min(u64::MAX.into()) as u64,
                    ty: id,
                    count: nfields,
                };
                return Err(self.fail_at(at, kind));
            }
            field = f as i64;
            let fty = match self.types.get(id).map(|d| &d.kind) {
                Some(Kind::Struct { fields }) => fields[field as usize].id,
                _ => return Err(self.fail_at(at, ErrorKind::UnknownType(id.into()))),
            };
            visit(self, field as u32, fty)?;
        }
        Ok(())
    }

    /// An interface value at `depth`; `None` is nil.
    fn iface(&mut self, depth: usize) -> Result<Option<Iface>> {
        let mut slot = None;
        self.iface_into(depth, &mut slot)?;
        Ok(slot)
    }

    /// [`Decoder::iface`] into `slot` (left `None` for nil).
    #[inline]
    fn iface_into(&mut self, depth: usize, slot: &mut Option<Iface>) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.fail(ErrorKind::TooDeep(MAX_DEPTH)));
        }
        let name_at = self.pos;
        let name = self.bytes("interface type name")?;
        if name.is_empty() {
            return Ok(());
        }
        let name_end = self.pos;
        let at = self.pos;
        let ty = self.type_sequence(true)?;
        self.check_concrete(ty, at)?;
        // The value's byte count: unused, because a value may continue in later messages.
        let count_at = self.pos;
        let n = self.uint()?;
        if let Some(t) = &mut self.trace {
            t.names.push((name_at, name_end - name.len(), name_end, ty));
        }
        self.note_length(count_at, n);
        let iface = slot.insert(Iface {
            name: super::value::iface_name(name, ty),
            ty,
            value: HOLE,
            types: None,
        });
        self.top_value(ty, depth + 1, &mut iface.value)
    }
}
