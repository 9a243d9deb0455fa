//! A per-thread cache of parsed type definitions, keyed by their bytes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::types::{Types, WireType};

/// Longest definition (in bytes) worth caching.
pub const MAX_KEY: usize = 1024;
/// Entries kept before the cache starts over (hostile input cannot grow it without bound).
const MAX_ENTRIES: usize = 256;

/// A fast non-cryptographic hash: keys are definitions from the input, and a collision only
/// costs a comparison.
#[derive(Default)]
pub(crate) struct Fast(u64);

impl Hasher for Fast {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.mix(u64::from_le_bytes(tail));
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
}

impl Fast {
    #[inline]
    fn mix(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A `HashMap`/`HashSet` hasher for keys taken from the input.
pub(crate) type FastHash = BuildHasherDefault<Fast>;

type Map = HashMap<Box<[u8]>, Arc<WireType>, FastHash>;

thread_local! {
    static CACHE: RefCell<Map> = RefCell::new(Map::default());
}

/// The definition parsed from exactly these bytes, if cached.
pub fn get(key: &[u8]) -> Option<Arc<WireType>> {
    CACHE.with(|c| c.borrow().get(key).cloned())
}

/// Remembers the definition parsed from `key`.
pub fn put(key: &[u8], def: Arc<WireType>) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_ENTRIES {
            c.clear();
        }
        c.insert(key.into(), def);
    });
}

/// Largest spare table (in definitions) kept for the next stream.
const SPARE_MAX: usize = 64;

thread_local! {
    /// The table [`shared`] handed out last, and a spare (emptied) table to build the next in.
    static TABLES: RefCell<(Option<Arc<Types>>, Option<Types>)> = const { RefCell::new((None, None)) };
}

/// An empty table with room for `n` definitions: the spare one [`shared`] kept, if any.
pub fn empty_types(n: usize) -> Types {
    TABLES
        .with(|t| t.borrow_mut().1.take())
        .unwrap_or_else(|| Types::with_capacity(n))
}

/// `types` behind an `Arc`. Rows of one app carry the same definitions (parsed once per thread
/// and shared through [`get`]), so when `types` holds exactly the definitions of the previous
/// call's table, that table is handed out again and `types` is kept, emptied, for the next
/// stream: no allocation per stream.
pub fn shared(mut types: Types) -> Arc<Types> {
    TABLES.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(last) = &t.0
            && last.same_definitions(&types)
        {
            let last = last.clone();
            // A table grown by a hostile stream is not worth keeping around.
            if types.capacity() <= SPARE_MAX {
                types.clear();
                t.1 = Some(types);
            }
            return last;
        }
        let new = Arc::new(types);
        t.0 = Some(new.clone());
        new
    })
}
