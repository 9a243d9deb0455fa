//! The gob encoder: primitives, type-definition messages, and values (re-encoding decoded
//! values together with the type definitions they need).

use std::sync::Arc;

use super::error::EncodeError;
use super::types::{
    BOOL, BYTES, COMPLEX, FIRST_USER_ID, FLOAT, Field, INT, INTERFACE, Kind, Marshal, STRING, TIME,
    TypeId, Types, UINT, WireType,
};
use super::value::{Iface, Value};

type Result<T> = std::result::Result<T, EncodeError>;

/// Deepest nesting the encoder accepts (matches the decoder's limit, plus slack).
const MAX_DEPTH: usize = super::decode::MAX_DEPTH + 8;

/// Appends an unsigned integer in gob's encoding.
pub fn put_uint(out: &mut Vec<u8>, x: u64) {
    if x < 0x80 {
        out.push(x as u8);
        return;
    }
    let bytes = x.to_be_bytes();
    let skip = (x.leading_zeros() / 8) as usize;
    out.push((-((8 - skip) as i8)) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// Appends a signed integer in gob's encoding.
pub fn put_int(out: &mut Vec<u8>, i: i64) {
    let x = if i < 0 {
        (!(i as u64) << 1) | 1
    } else {
        (i as u64) << 1
    };
    put_uint(out, x);
}

/// Appends a float in gob's encoding (byte-reversed IEEE bits as an unsigned integer).
pub fn put_float(out: &mut Vec<u8>, f: f64) {
    put_uint(out, f.to_bits().swap_bytes());
}

/// Appends a length-prefixed byte string.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_uint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Appends `body` as one message: a message is framed like a byte string (its length, then
/// the bytes).
pub fn put_message(out: &mut Vec<u8>, body: &[u8]) {
    put_bytes(out, body);
}

/// Writes struct fields as deltas, omitting none: callers skip fields they omit.
struct Fields {
    last: u64,
}

impl Fields {
    fn at(&mut self, out: &mut Vec<u8>, field: u64) {
        put_uint(out, field - self.last);
        self.last = field;
    }
}

fn put_common(out: &mut Vec<u8>, name: &str, id: TypeId) {
    let mut f = Fields { last: 0 };
    if !name.is_empty() {
        f.at(out, 1);
        put_bytes(out, name.as_bytes());
    }
    f.at(out, 2);
    put_int(out, id.into());
    out.push(0);
}

/// Appends the message defining type `id` as `def`, byte for byte as Go's encoder writes it
/// (zero fields omitted).
pub fn put_type_definition(out: &mut Vec<u8>, id: TypeId, def: &WireType) {
    let mut body = Vec::with_capacity(32 + def.name.len());
    put_type_body(&mut body, id, def);
    put_message(out, &body);
}

/// Appends a type definition without the message length: `-id`, then the `wireType`.
pub fn put_type_body(body: &mut Vec<u8>, id: TypeId, def: &WireType) {
    put_int(body, -i64::from(id));
    let kind_field = match &def.kind {
        Kind::Array { .. } => 1,
        Kind::Slice { .. } => 2,
        Kind::Struct { .. } => 3,
        Kind::Map { .. } => 4,
        Kind::Marshaled(Marshal::Gob) => 5,
        Kind::Marshaled(Marshal::Binary) => 6,
        Kind::Marshaled(Marshal::Text) => 7,
    };
    put_uint(body, kind_field);
    let mut f = Fields { last: 0 };
    f.at(body, 1);
    put_common(body, &def.name, id);
    let mut id_field = |body: &mut Vec<u8>, n: u64, v: i64| {
        if v != 0 {
            f.at(body, n);
            put_int(body, v);
        }
    };
    match &def.kind {
        Kind::Array { elem, len } => {
            id_field(body, 2, (*elem).into());
            id_field(body, 3, *len as i64);
        }
        Kind::Slice { elem } => id_field(body, 2, (*elem).into()),
        Kind::Map { key, elem } => {
            id_field(body, 2, (*key).into());
            id_field(body, 3, (*elem).into());
        }
        Kind::Struct { fields } => {
            if !fields.is_empty() {
                f.at(body, 2);
                put_uint(body, fields.len() as u64);
                for field in fields {
                    let mut g = Fields { last: 0 };
                    if !field.name.is_empty() {
                        g.at(body, 1);
                        put_bytes(body, field.name.as_bytes());
                    }
                    if field.id != 0 {
                        g.at(body, 2);
                        put_int(body, field.id.into());
                    }
                    body.push(0);
                }
            }
        }
        Kind::Marshaled(_) => {}
    }
    body.push(0);
    body.push(0);
}

/// Encodes values into one stream, defining the types they need the way Go's encoder does:
/// when an interface value's type is new, the definitions (the type, then its components, in
/// pre-order) are appended to the pending buffer, which is flushed as a message to the
/// enclosing writer; the value then continues in the next message. This reproduces Go's bytes.
pub struct Encoder {
    next_id: TypeId,
    time_id: TypeId,
    /// (source table address, source id, id in this stream once assigned).
    sent: Vec<(usize, TypeId, Option<TypeId>)>,
    /// Types already defined in this stream whose components are predefined: a source type
    /// equal to one of them is the same Go type and reuses its id.
    known: Vec<(WireType, TypeId)>,
}

impl Encoder {
    /// An encoder whose new type ids start at `next_id`, with `time.Time` already defined as
    /// `time_id`.
    pub fn new(next_id: TypeId, time_id: TypeId) -> Encoder {
        Encoder {
            next_id,
            time_id,
            sent: Vec::new(),
            known: Vec::new(),
        }
    }

    /// Declares that `def` (whose components must be predefined types) is already defined in
    /// this stream as `id`, e.g. the envelope's `map[string]interface {}`.
    pub fn known(&mut self, def: WireType, id: TypeId) {
        self.known.push((def, id));
    }

    /// This stream's id for type `id` of table `types`. Types not sent yet get ids in the order
    /// Go assigns them (a struct before its fields; a slice, array or map after its element
    /// and key types) and their definitions are pushed to `pending` in the order Go sends them
    /// (each type before its components).
    fn define(
        &mut self,
        types: Option<&Arc<Types>>,
        id: TypeId,
        pending: &mut Vec<(usize, WireType)>,
    ) -> Result<TypeId> {
        if id == TIME {
            return Ok(self.time_id);
        }
        if (BOOL..=INTERFACE).contains(&id) {
            return Ok(id);
        }
        let table = types.ok_or(EncodeError::UnknownType(id))?;
        let def = table.get(id).ok_or(EncodeError::UnknownType(id))?;
        if def.is_time() {
            return Ok(self.time_id);
        }
        if let Some((_, known)) = self.known.iter().find(|(k, _)| k == def) {
            return Ok(*known);
        }
        let key = Arc::as_ptr(table) as usize;
        if let Some(at) = self.sent.iter().position(|&(t, s, _)| t == key && s == id) {
            // A type still being defined (recursion) gets its id on first reference.
            return self.assign(at);
        }
        if pending.len() > 1 << 16 {
            return Err(EncodeError::TooDeep);
        }
        let at = self.sent.len();
        self.sent.push((key, id, None));
        let slot = pending.len();
        pending.push((
            at,
            WireType {
                name: def.name.clone(),
                kind: Kind::Slice { elem: 0 },
            },
        ));
        let kind = match &def.kind {
            Kind::Array { elem, len } => Kind::Array {
                elem: self.define(types, *elem, pending)?,
                len: *len,
            },
            Kind::Slice { elem } => Kind::Slice {
                elem: self.define(types, *elem, pending)?,
            },
            Kind::Map { key, elem } => {
                let key = self.define(types, *key, pending)?;
                Kind::Map {
                    key,
                    elem: self.define(types, *elem, pending)?,
                }
            }
            Kind::Struct { fields } => {
                self.assign(at)?;
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    out.push(Field {
                        name: f.name.clone(),
                        id: self.define(types, f.id, pending)?,
                    });
                }
                Kind::Struct { fields: out }
            }
            Kind::Marshaled(m) => Kind::Marshaled(*m),
        };
        pending[slot].1.kind = kind;
        self.assign(at)
    }

    /// The id of `sent[at]`, allocating the next one if it has none yet.
    fn assign(&mut self, at: usize) -> Result<TypeId> {
        if let Some(dst) = self.sent[at].2 {
            return Ok(dst);
        }
        let dst = self.next_id;
        self.next_id = self
            .next_id
            .checked_add(1)
            .ok_or(EncodeError::UnknownType(dst))?;
        self.sent[at].2 = Some(dst);
        Ok(dst)
    }

    /// Appends an `interface{}` value (`None`: nil) to `buf`, the message being built; type
    /// definitions flush `buf` as a message to `writer` (the output, at top level).
    pub fn iface(
        &mut self,
        buf: &mut Vec<u8>,
        writer: &mut Vec<u8>,
        iface: Option<&Iface>,
        types: Option<&Arc<Types>>,
    ) -> Result<()> {
        self.iface_value(buf, writer, iface, types, 0)
    }

    /// An interface value at `depth`: its name, the definitions its type needs (each flushing
    /// `out` as a message to `writer`), its type id and its value as a message of its own.
    fn iface_value(
        &mut self,
        out: &mut Vec<u8>,
        writer: &mut Vec<u8>,
        iface: Option<&Iface>,
        types: Option<&Arc<Types>>,
        depth: usize,
    ) -> Result<()> {
        let Some(iface) = iface else {
            put_uint(out, 0);
            return Ok(());
        };
        let types = iface.types.as_ref().or(types);
        put_bytes(out, iface.name.as_bytes());
        let mut pending = Vec::new();
        let id = self.define(types, iface.ty, &mut pending)?;
        for (at, def) in &pending {
            let pid = self.sent[*at].2.ok_or(EncodeError::UnknownType(iface.ty))?;
            put_type_body(out, pid, def);
            put_message(writer, out);
            out.clear();
        }
        put_int(out, id.into());
        let mut data = Vec::new();
        if !Self::is_struct(types, iface.ty) {
            data.push(0);
        }
        self.value(&mut data, out, iface.ty, &iface.value, types, depth + 1)?;
        put_message(out, &data);
        Ok(())
    }

    fn is_struct(types: Option<&Arc<Types>>, ty: TypeId) -> bool {
        ty >= FIRST_USER_ID
            && matches!(
                types.and_then(|t| t.get(ty)).map(|d| &d.kind),
                Some(Kind::Struct { .. })
            )
    }

    #[allow(clippy::too_many_arguments)]
    fn value(
        &mut self,
        out: &mut Vec<u8>,
        writer: &mut Vec<u8>,
        ty: TypeId,
        v: &Value,
        types: Option<&Arc<Types>>,
        depth: usize,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(EncodeError::TooDeep);
        }
        let mismatch = |what| Err(EncodeError::Mismatch { ty, what });
        match (ty, v) {
            (BOOL, Value::Bool(b)) => put_uint(out, u64::from(*b)),
            (INT, Value::Int(i)) => put_int(out, *i),
            (UINT, Value::Uint(u)) => put_uint(out, *u),
            (FLOAT, Value::Float(f)) => put_float(out, *f),
            (BYTES, Value::Bytes(b)) | (STRING, Value::String(b)) => put_bytes(out, b),
            (COMPLEX, Value::Complex(re, im)) => {
                put_float(out, *re);
                put_float(out, *im);
            }
            (INTERFACE, Value::Interface(iface)) => {
                self.iface_value(out, writer, iface.as_deref(), types, depth)?
            }
            (TIME, Value::Time(t)) => put_bytes(out, &t.marshal_binary()),
            (BOOL..=INTERFACE | TIME, _) => return mismatch("a value of the predefined type"),
            _ => {
                let def = types
                    .and_then(|t| t.get(ty))
                    .ok_or(EncodeError::UnknownType(ty))?;
                match (&def.kind, v) {
                    (Kind::Array { elem, .. } | Kind::Slice { elem }, Value::List(items)) => {
                        if let Kind::Array { len, .. } = def.kind
                            && len != items.len() as u64
                        {
                            return mismatch("an array of the type's length");
                        }
                        put_uint(out, items.len() as u64);
                        for item in items {
                            self.value(out, writer, *elem, item, types, depth + 1)?;
                        }
                    }
                    (Kind::Map { key, elem }, Value::Map(entries)) => {
                        put_uint(out, entries.len() as u64);
                        for (k, e) in entries {
                            self.value(out, writer, *key, k, types, depth + 1)?;
                            self.value(out, writer, *elem, e, types, depth + 1)?;
                        }
                    }
                    (Kind::Struct { fields }, Value::Struct(present)) => {
                        let mut last: i64 = -1;
                        for (index, fv) in present {
                            let index = i64::from(*index);
                            let Some(field) = fields.get(index as usize).filter(|_| index > last)
                            else {
                                return mismatch("struct fields in ascending order");
                            };
                            put_uint(out, (index - last) as u64);
                            last = index;
                            self.value(out, writer, field.id, fv, types, depth + 1)?;
                        }
                        out.push(0);
                    }
                    (Kind::Marshaled(_), Value::Time(t)) => put_bytes(out, &t.marshal_binary()),
                    (Kind::Marshaled(_), Value::Marshaled(b)) => put_bytes(out, b),
                    _ => return mismatch("a value of the defined type's shape"),
                }
            }
        }
        Ok(())
    }
}
