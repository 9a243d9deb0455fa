//! A per-thread cache of parsed type definitions, keyed by their bytes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::types::WireType;

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

type Map = HashMap<Box<[u8]>, Arc<WireType>, BuildHasherDefault<Fast>>;

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
