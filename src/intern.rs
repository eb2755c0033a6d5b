//! The string interner behind `model::Dataset::strings`: every name, key and string value a
//! loader reads is stored once, and spans refer to it by a 4-byte `Sym`.
//!
//! Why not `lasso::Rodeo`: loading a million spans interns several million strings, most of
//! them attribute values seen once. Rodeo hashes with SipHash and keeps a 16-byte `&str` per
//! string besides its hash map; here a string costs its bytes, one `usize` end offset and one
//! `u32` slot in a foldhash-keyed table, and each string is hashed once. Symbols stay
//! `lasso::Spur` so code that names the key type keeps compiling.
//!
//! Symbols are dense and handed out in first-seen order, which `absorb` preserves: merging the
//! interners of file chunks parsed in parallel, in chunk order, numbers every string exactly as
//! one sequential pass over the file would.

use hashbrown::HashTable;
use lasso::{Key, Spur};
use std::fmt;
use std::hash::BuildHasher;

/// An interned string.
pub type Sym = Spur;

/// Slots in the front cache of recently used strings (see `Recent`).
const RECENT: usize = 4096;
/// Strings up to this long are compared inside the front cache, without reading the arena.
const RECENT_INLINE: usize = 16;

/// A front-cache slot: the last string whose hash fell here. A load interns the same few hundred
/// keys, names and enum-like values millions of times, among millions of strings seen once;
/// in the main table each lookup touches four cache lines (control bytes, bucket, end offset,
/// text) that the stream of new strings keeps evicting, here one.
#[derive(Clone, Copy)]
struct Recent {
    /// `EMPTY_SLOT` until a string is remembered here.
    sym: u32,
    len: u32,
    head: [u8; RECENT_INLINE],
}

const EMPTY_SLOT: u32 = u32::MAX;

impl Default for Recent {
    fn default() -> Self {
        Self { sym: EMPTY_SLOT, len: 0, head: [0; RECENT_INLINE] }
    }
}

/// Interned strings, dense symbols in insertion order.
#[derive(Clone)]
pub struct Interner {
    /// Every string, back to back.
    text: String,
    /// End of string `i` in `text`; it starts where string `i - 1` ends.
    ends: Vec<usize>,
    /// Indices into `ends`, keyed by the hash of the string's bytes.
    table: HashTable<u32>,
    /// foldhash is seeded per process, so crafted input cannot aim for collisions.
    hasher: foldhash::fast::RandomState,
    recent: Box<[Recent]>,
}

impl Default for Interner {
    fn default() -> Self {
        Self {
            text: String::new(),
            ends: Vec::new(),
            table: HashTable::new(),
            hasher: Default::default(),
            recent: vec![Recent::default(); RECENT].into_boxed_slice(),
        }
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner").field("len", &self.len()).field("bytes", &self.text.len()).finish()
    }
}

fn sym_of(index: usize) -> Sym {
    // More than 4 G distinct strings cannot be addressed by a 32-bit symbol; no input that fits
    // in memory gets there (each costs at least 12 bytes here), so this never falls back.
    Spur::try_from_usize(index).unwrap_or_default()
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `strings` strings of `bytes` bytes in all, so a large load does not regrow.
    pub fn with_capacity(strings: usize, bytes: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(strings),
            table: HashTable::with_capacity(strings),
            ..Self::default()
        }
    }

    /// An empty interner that hashes exactly as `self` does (for chunks parsed in parallel).
    pub fn sibling(&self) -> Self {
        Self { hasher: self.hasher.clone(), ..Self::default() }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn text_of(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends.get(index - 1).copied().unwrap_or(0) };
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or_default()
    }

    #[inline]
    fn hash(&self, bytes: &[u8]) -> u64 {
        self.hasher.hash_one(bytes)
    }

    #[inline]
    fn find(&self, hash: u64, bytes: &[u8]) -> Option<Sym> {
        self.table.find(hash, |&i| self.bytes_of(i as usize) == bytes).map(|&i| sym_of(i as usize))
    }

    fn bytes_of(&self, index: usize) -> &[u8] {
        let start = if index == 0 { 0 } else { self.ends.get(index - 1).copied().unwrap_or(0) };
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.text.as_bytes().get(start..end).unwrap_or_default()
    }

    /// The front-cache slot of `bytes`, from its length and its first and last 8 bytes: much
    /// cheaper than hashing the whole string, and enough to tell apart the few hundred strings
    /// that repeat. Strings that share a slot only cost a trip to the main table.
    #[inline]
    fn recent_slot(bytes: &[u8]) -> usize {
        let word = |b: &[u8]| {
            let mut w = [0u8; 8];
            let n = b.len().min(8);
            w[..n].copy_from_slice(&b[..n]);
            u64::from_le_bytes(w)
        };
        let head = word(bytes);
        let tail = word(bytes.get(bytes.len().saturating_sub(8)..).unwrap_or_default());
        let mixed = (head ^ tail.rotate_left(29) ^ bytes.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> 52) as usize % RECENT
    }

    /// The front-cache answer for `bytes`, if its slot holds it.
    #[inline]
    fn find_recent(&self, slot: usize, bytes: &[u8]) -> Option<Sym> {
        let r = self.recent.get(slot)?;
        if r.len as usize != bytes.len() || r.sym == EMPTY_SLOT {
            return None;
        }
        let same = match r.head.get(..bytes.len()) {
            Some(head) => head == bytes,
            None => self.bytes_of(r.sym as usize) == bytes,
        };
        same.then(|| sym_of(r.sym as usize))
    }

    #[inline]
    fn remember(&mut self, slot: usize, bytes: &[u8], sym: Sym) {
        let mut head = [0u8; RECENT_INLINE];
        if let Some(h) = head.get_mut(..bytes.len()) {
            h.copy_from_slice(bytes);
        }
        if let Some(r) = self.recent.get_mut(slot) {
            *r = Recent {
                sym: u32::try_from(sym.into_usize()).unwrap_or(EMPTY_SLOT),
                len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                head,
            };
        }
    }

    /// Interns `bytes`, which must be UTF-8 when they are new (`text` says how to get the
    /// string to store: the bytes as they are, or repaired).
    #[inline]
    fn intern_bytes<'b>(
        &mut self,
        bytes: &'b [u8],
        text: impl FnOnce(&'b [u8]) -> Option<&'b str>,
    ) -> Option<Sym> {
        let slot = Self::recent_slot(bytes);
        if let Some(sym) = self.find_recent(slot, bytes) {
            return Some(sym);
        }
        let hash = self.hash(bytes);
        let sym = match self.find(hash, bytes) {
            Some(sym) => sym,
            None => self.insert_new(hash, text(bytes)?),
        };
        self.remember(slot, bytes, sym);
        Some(sym)
    }

    /// Adds a string known to be absent, whose hash is `hash`.
    fn insert_new(&mut self, hash: u64, s: &str) -> Sym {
        let index = self.ends.len();
        self.text.push_str(s);
        self.ends.push(self.text.len());
        let Self { text, ends, table, hasher, .. } = self;
        let rehash = |&i: &u32| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends.get(i - 1).copied().unwrap_or(0) };
            let end = ends.get(i).copied().unwrap_or(start);
            hasher.hash_one(text.as_bytes().get(start..end).unwrap_or_default())
        };
        table.insert_unique(hash, u32::try_from(index).unwrap_or(u32::MAX), rehash);
        sym_of(index)
    }

    /// The symbol of `s`, adding it if it is new.
    #[inline]
    pub fn get_or_intern(&mut self, s: impl AsRef<str>) -> Sym {
        let s = s.as_ref();
        // `s` is a `str`, so storing its bytes as they are is always possible.
        self.intern_bytes(s.as_bytes(), |_| Some(s)).unwrap_or_default()
    }

    /// Interns raw bytes that should be UTF-8 (msgpack strings). Only bytes not seen before are
    /// checked; invalid UTF-8 is repaired with U+FFFD, as the Datadog agent does.
    #[inline]
    pub fn get_or_intern_utf8(&mut self, bytes: &[u8]) -> Sym {
        match self.intern_bytes(bytes, |b| std::str::from_utf8(b).ok()) {
            Some(sym) => sym,
            // The repaired text differs from `bytes`, so it has its own entry (maybe one already).
            None => self.get_or_intern(String::from_utf8_lossy(bytes)),
        }
    }

    /// The symbol of `s` if it was interned.
    pub fn get(&self, s: impl AsRef<str>) -> Option<Sym> {
        let bytes = s.as_ref().as_bytes();
        self.find_recent(Self::recent_slot(bytes), bytes).or_else(|| self.find(self.hash(bytes), bytes))
    }

    pub fn contains(&self, s: impl AsRef<str>) -> bool {
        self.get(s).is_some()
    }

    /// The text of a symbol. A symbol from another interner may resolve to another string (or to
    /// "" when out of range); it never panics.
    pub fn resolve(&self, sym: &Sym) -> &str {
        self.text_of(sym.into_usize())
    }

    /// Every string, in symbol order.
    pub fn strings(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.text_of(i))
    }

    /// Every (symbol, string), in symbol order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Sym, &str)> + '_ {
        (0..self.len()).map(|i| (sym_of(i), self.text_of(i)))
    }

    /// Adds every string of `other` (in its order) and returns, for each of `other`'s symbols,
    /// the symbol it has here.
    pub fn absorb(&mut self, other: &Interner) -> Vec<Sym> {
        self.reserve(other.len(), other.text.len());
        other.strings().map(|s| self.get_or_intern(s)).collect()
    }

    /// Room for `strings` more strings of `bytes` more bytes.
    pub fn reserve(&mut self, strings: usize, bytes: usize) {
        self.text.reserve(bytes);
        self.ends.reserve(strings);
        let Self { text, ends, table, hasher, .. } = self;
        table.reserve(strings, |&i| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { ends.get(i - 1).copied().unwrap_or(0) };
            let end = ends.get(i).copied().unwrap_or(start);
            hasher.hash_one(text.as_bytes().get(start..end).unwrap_or_default())
        });
    }

    /// Gives back the arenas' spare capacity once loading is done. The table keeps its size:
    /// shrinking it would hash every string again (a tenth of a second at a million spans) to
    /// save a few bytes per string.
    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    /// Heap bytes held (capacity, not just length).
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
            + self.recent.len() * std::mem::size_of::<Recent>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_dense_in_first_seen_order() {
        let mut i = Interner::new();
        let a = i.get_or_intern("a");
        let b = i.get_or_intern("bb");
        assert_eq!(i.get_or_intern("a"), a);
        assert_eq!((a.into_usize(), b.into_usize()), (0, 1));
        assert_eq!(i.resolve(&b), "bb");
        assert_eq!(i.get("bb"), Some(b));
        assert_eq!(i.get("c"), None);
        assert_eq!(i.strings().collect::<Vec<_>>(), ["a", "bb"]);
        let e = i.get_or_intern("");
        assert_eq!(i.resolve(&e), "");
        assert_eq!(i.len(), 3);
    }

    #[test]
    fn survives_growth() {
        let mut i = Interner::new();
        let syms: Vec<Sym> = (0..10_000).map(|n| i.get_or_intern(format!("s{n}"))).collect();
        for (n, s) in syms.iter().enumerate() {
            assert_eq!(i.resolve(s), format!("s{n}"));
            assert_eq!(i.get(format!("s{n}")), Some(*s));
        }
        i.shrink_to_fit();
        assert_eq!(i.get("s9999"), Some(syms[9999]));
    }

    #[test]
    fn bytes_are_checked_and_repaired() {
        let mut i = Interner::new();
        let ok = i.get_or_intern_utf8("héllo".as_bytes());
        assert_eq!(i.get("héllo"), Some(ok));
        let bad = i.get_or_intern_utf8(b"a\xffb");
        assert_eq!(i.resolve(&bad), "a\u{FFFD}b");
        assert_eq!(i.get_or_intern_utf8(b"a\xffb"), bad);
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn absorb_numbers_like_one_sequential_pass() {
        let mut whole = Interner::new();
        for s in ["x", "y", "z", "y", "w"] {
            whole.get_or_intern(s);
        }
        let mut first = Interner::new();
        first.get_or_intern("x");
        first.get_or_intern("y");
        let mut second = first.sibling();
        let z = second.get_or_intern("z");
        let y = second.get_or_intern("y");
        let w = second.get_or_intern("w");
        let map = first.absorb(&second);
        assert_eq!(first.strings().collect::<Vec<_>>(), whole.strings().collect::<Vec<_>>());
        assert_eq!(first.resolve(&map[z.into_usize()]), "z");
        assert_eq!(map[y.into_usize()], first.get("y").unwrap());
        assert_eq!(first.resolve(&map[w.into_usize()]), "w");
    }

    #[test]
    fn foreign_symbols_do_not_panic() {
        let i = Interner::new();
        assert_eq!(i.resolve(&Spur::try_from_usize(7).unwrap()), "");
    }
}
