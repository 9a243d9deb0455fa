//! Go `encoding/gob`: a self-contained decoder and encoder that knows nothing of databases or
//! the command line.
//!
//! - [`Decoder`] reads any gob stream: every wire type, predefined ids, interface values with
//!   type definitions sent inline, and values that continue across message boundaries. It never
//!   panics on hostile input, allocates at most a small multiple of the input, limits nesting to
//!   [`decode::MAX_DEPTH`], and reports errors with a byte offset ([`DecodeError`]).
//! - [`Encoder`] writes values (including decoded ones, with the type definitions they need)
//!   and matches Go's bytes where Go is deterministic.
//! - [`Value`] is the decoded tree; [`json::to_json`] gives its JSON view.

mod cache;
pub mod decode;
pub mod encode;
pub mod error;
pub mod json;
pub mod names;
pub mod time;
pub mod types;
pub mod value;

#[cfg(test)]
mod tests;

pub use decode::{Decoder, Preamble, Trace};
pub use encode::Encoder;
pub use error::{DecodeError, EncodeError, ErrorKind};
pub use time::GoTime;
pub use types::{Kind, Marshal, TypeId, Types, WireType};
pub use value::{GoBytes, Iface, Value};
