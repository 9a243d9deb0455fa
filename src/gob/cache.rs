//! What the decoder keeps between streams: parsed type definitions keyed by their bytes, the
//! last table handed out, and names and definitions interned for the life of the process.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::types::{Def, Field, Types, WireType};

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

type Map = HashMap<Box<[u8]>, Def, FastHash>;

/// Parsed definitions: by their bytes, and the last one seen at each position of a stream.
#[derive(Default)]
struct Cache {
    by_bytes: Map,
    /// (bytes, definition) of the last definition found at each position: rows of one app
    /// send the same definitions in the same order, and one comparison beats hashing.
    recent: Vec<Option<(Vec<u8>, Def)>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// Positions of a stream whose last definition is remembered for a quick comparison.
const RECENT_MAX: usize = 16;

/// The definition parsed from exactly these bytes, if cached; `at` is its position in the
/// stream's table.
pub(crate) fn get(key: &[u8], at: usize) -> Option<Def> {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(Some((bytes, def))) = c.recent.get(at)
            && bytes.as_slice() == key
        {
            return Some(def.clone());
        }
        let def = c.by_bytes.get(key)?.clone();
        c.remember(key, at, &def);
        Some(def)
    })
}

/// Remembers `def`, parsed from `key` at position `at`, interned when the budget allows;
/// returns it shared.
pub(crate) fn put(key: &[u8], at: usize, def: WireType) -> Def {
    let def = intern_def(def);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.by_bytes.len() >= MAX_ENTRIES {
            c.by_bytes.clear();
        }
        c.by_bytes.insert(key.into(), def.clone());
        c.remember(key, at, &def);
    });
    def
}

impl Cache {
    fn remember(&mut self, key: &[u8], at: usize, def: &Def) {
        if at >= RECENT_MAX {
            return;
        }
        if self.recent.len() <= at {
            self.recent.resize(at + 1, None);
        }
        match &mut self.recent[at] {
            Some((bytes, slot)) => {
                bytes.clear();
                bytes.extend_from_slice(key);
                *slot = def.clone();
            }
            empty => *empty = Some((key.to_vec(), def.clone())),
        }
    }
}

/// Bytes the process may spend on interned names and definitions, ever: hostile input cannot
/// grow it beyond.
const INTERN_BUDGET: usize = 256 * 1024;

static INTERN_SPENT: AtomicUsize = AtomicUsize::new(0);

/// The address of everything interned, so leak checkers (the fuzzer's LeakSanitizer) still
/// reach it once the per-thread maps that refer to it are gone.
static INTERNED: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

/// `value` leaked for the life of the process if `cost` more bytes fit in [`INTERN_BUDGET`];
/// else given back.
pub(crate) fn intern<T: ?Sized>(value: Box<T>, cost: usize) -> Result<&'static T, Box<T>> {
    let spent = INTERN_SPENT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |spent| {
        (spent + cost <= INTERN_BUDGET).then_some(spent + cost)
    });
    if spent.is_err() {
        return Err(value);
    }
    let kept: &'static T = Box::leak(value);
    let addr = (kept as *const T).cast::<()>() as usize;
    INTERNED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(addr);
    Ok(kept)
}

/// `def` interned if the budget allows, else counted.
pub(crate) fn intern_def(def: WireType) -> Def {
    let cost = size_of::<WireType>()
        + def.name.len()
        + match &def.kind {
            super::types::Kind::Struct { fields } => fields
                .iter()
                .map(|f| size_of::<Field>() + f.name.len())
                .sum(),
            _ => 0,
        };
    match intern(Box::new(def), cost) {
        Ok(def) => Def::Interned(def),
        Err(def) => Def::Counted(Arc::from(def)),
    }
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
