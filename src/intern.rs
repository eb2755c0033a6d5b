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
//!
//! Cold strings: after loading, `compact` keeps the strings the explorer shows all the time
//! (names, keys: the HOT set the caller passes) as plain text and packs the rest, mostly
//! attribute values seen once, into zstd-compressed blocks. A block is decompressed the first
//! time one of its strings is resolved and then kept, so `resolve` still hands out a `&str`
//! that lives as long as the interner.

use hashbrown::HashTable;
use lasso::{Key, Spur};
use std::fmt;
use std::hash::BuildHasher;
use std::sync::OnceLock;

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

/// Uncompressed bytes per cold block, cut at string boundaries. zstd finds most of the repeats
/// between neighbouring attribute values within 64 KB, and a lookup that misses decompresses
/// only this much (tens of microseconds).
const BLOCK_BYTES: usize = 64 * 1024;
/// zstd level for cold blocks: level 1 is the fastest, and higher levels gain little on short
/// free-text values for several times the compression time.
const ZSTD_LEVEL: i32 = 1;

/// A set of symbols, one bit each: which strings `Interner::compact` keeps hot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymSet {
    bits: Vec<u64>,
}

impl SymSet {
    /// An empty set with room for the symbols of an interner of `len` strings.
    pub fn with_len(len: usize) -> Self {
        Self { bits: vec![0; len.div_ceil(64)] }
    }

    pub fn insert(&mut self, sym: Sym) {
        let i = sym.into_usize();
        if let Some(w) = self.bits.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    pub fn contains(&self, sym: Sym) -> bool {
        bit(&self.bits, sym.into_usize())
    }

    /// Adds every symbol of `other`.
    pub fn union(&mut self, other: &SymSet) {
        for (w, o) in self.bits.iter_mut().zip(&other.bits) {
            *w |= o;
        }
    }
}

fn bit(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
}

/// Where the strings live after `Interner::compact`. Symbol `i` spans `ends[i-1]..ends[i]` of
/// the logical text (every string in symbol order); the hot ones are in `Interner::text`, the
/// others in `blocks`. Besides `ends` this costs 5/8 of a byte per string.
#[derive(Clone, Debug)]
struct Cold {
    /// Symbols `64 g .. 64 g + 64` are described by `groups[g]`.
    groups: Vec<Group>,
    /// In cold-text order; `starts[b]` is `blocks[b].start` (searched without touching blocks).
    blocks: Vec<Block>,
    starts: Vec<usize>,
}

/// 64 symbols: which are hot, and the bytes of hot text before each `GROUP` of them, so the
/// place of a hot string (or of a cold one in the cold text) is found without a per-string
/// offset; one lookup reads both.
#[derive(Clone, Copy, Debug, Default)]
struct Group {
    /// Bit `k`: symbol `64 g + k` is hot.
    hot: u64,
    base: [usize; 64 / GROUP],
}

#[derive(Clone)]
struct Block {
    /// Offset of the block's first byte in the cold text (every cold string, in symbol order).
    start: usize,
    /// Uncompressed size.
    raw_len: usize,
    packed: Box<[u8]>,
    /// The block decompressed, once one of its strings has been resolved; kept so the `&str`
    /// handed out stays valid.
    text: OnceLock<Box<str>>,
}

impl fmt::Debug for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Block")
            .field("start", &self.start)
            .field("raw_len", &self.raw_len)
            .field("packed", &self.packed.len())
            .field("unpacked", &self.text.get().is_some())
            .finish()
    }
}

impl Block {
    fn text(&self) -> &str {
        self.text.get_or_init(|| {
            // The block was compressed here from valid UTF-8 cut at string boundaries, so neither
            // step fails unless memory is corrupted; then its strings read as "" (never a panic).
            zstd::bulk::decompress(&self.packed, self.raw_len)
                .ok()
                .and_then(|raw| String::from_utf8(raw).ok())
                .unwrap_or_default()
                .into_boxed_str()
        })
    }
}

/// Symbols per `Group::base` entry: half a byte per string, and at most 8 runs of hot strings
/// to add up per lookup where hot and cold strings alternate (32 with one base per 64).
const GROUP: usize = 16;

impl Cold {
    /// Bytes of hot text before symbol `i`.
    fn hot_before(&self, i: usize, ends: &[usize]) -> usize {
        let group = self.groups.get(i / 64).copied().unwrap_or_default();
        let mut sum = group.base.get((i % 64) / GROUP).copied().unwrap_or(0);
        // Hot symbols of this group before `i`, taken run by run: the lengths of a run of
        // consecutive symbols add up to one difference of `ends`, so a group of all-hot names
        // costs one step.
        let group_start = (i % 64) / GROUP * GROUP;
        let below_i = (1u64 << (i % 64)) - 1;
        let below_group = (1u64 << group_start) - 1;
        let mut w = group.hot & below_i & !below_group;
        let first = i / 64 * 64;
        while w != 0 {
            let a = w.trailing_zeros() as usize;
            let run = (w >> a).trailing_ones() as usize;
            let (s, e) = (first + a, first + a + run);
            sum = sum.saturating_add(end_at(ends, e).saturating_sub(end_at(ends, s)));
            w &= u64::MAX.checked_shl((a + run) as u32).unwrap_or(0);
        }
        sum
    }

    fn is_hot(&self, i: usize) -> bool {
        self.groups.get(i / 64).is_some_and(|g| g.hot >> (i % 64) & 1 == 1)
    }

    /// `len` bytes at `at` in the cold text.
    fn cold_text(&self, at: usize, len: usize) -> &str {
        let Some(b) =
            self.starts.partition_point(|&s| s <= at).checked_sub(1).and_then(|i| self.blocks.get(i))
        else {
            return "";
        };
        let from = at - b.start;
        b.text().get(from..from.saturating_add(len)).unwrap_or_default()
    }

    /// Marks symbol `i`, added after compaction, as hot; `hot_len` is the hot text before it.
    fn push_hot(&mut self, i: usize, hot_len: usize) {
        while self.groups.len() <= i / 64 {
            self.groups.push(Group::default());
        }
        if let Some(g) = self.groups.get_mut(i / 64) {
            g.hot |= 1 << (i % 64);
            // Symbols come in order, so the first of a `GROUP` sets its base.
            if i.is_multiple_of(GROUP)
                && let Some(base) = g.base.get_mut((i % 64) / GROUP)
            {
                *base = hot_len;
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        self.groups.capacity() * std::mem::size_of::<Group>()
            + self.starts.capacity() * std::mem::size_of::<usize>()
            + self.blocks.capacity() * std::mem::size_of::<Block>()
            + self.blocks.iter().map(|b| b.packed.len() + b.text.get().map_or(0, |t| t.len())).sum::<usize>()
    }
}

/// Where string `i` starts in the logical text: where string `i - 1` ends.
fn end_at(ends: &[usize], i: usize) -> usize {
    if i == 0 { 0 } else { ends.get(i - 1).copied().unwrap_or(0) }
}

/// The text of string `i`, compacted or not (a free function so table closures can borrow the
/// fields it needs while the table is borrowed mutably).
fn text_at<'a>(text: &'a str, ends: &[usize], cold: Option<&'a Cold>, i: usize) -> &'a str {
    let start = end_at(ends, i);
    let end = ends.get(i).copied().unwrap_or(start);
    let Some(cold) = cold else {
        return text.get(start..end).unwrap_or_default();
    };
    if end <= start {
        return "";
    }
    let len = end - start;
    let hot = cold.hot_before(i, ends);
    if cold.is_hot(i) {
        text.get(hot..hot.saturating_add(len)).unwrap_or_default()
    } else {
        cold.cold_text(start.saturating_sub(hot), len)
    }
}

/// A cold block to build: the symbols it holds and where it starts in the cold text.
struct Plan {
    syms: std::ops::Range<usize>,
    start: usize,
    raw_len: usize,
}

/// Compresses the cold strings of each plan, plans split between `workers` threads.
fn pack(text: &str, ends: &[usize], plans: &[Plan], hot: &[u64], workers: usize) -> Option<Vec<Box<[u8]>>> {
    let pack_some = |plans: &[Plan]| -> Option<Vec<Box<[u8]>>> {
        let mut zstd = zstd::bulk::Compressor::new(ZSTD_LEVEL).ok()?;
        let mut raw = Vec::with_capacity(BLOCK_BYTES * 2);
        plans
            .iter()
            .map(|p| {
                raw.clear();
                for i in p.syms.clone().filter(|&i| !bit(hot, i)) {
                    raw.extend_from_slice(text_at(text, ends, None, i).as_bytes());
                }
                zstd.compress(&raw).ok().map(Vec::into_boxed_slice)
            })
            .collect()
    };
    let per = plans.len().div_ceil(workers.max(1)).max(1);
    if plans.len() <= per {
        return pack_some(plans);
    }
    std::thread::scope(|scope| {
        let parts: Vec<_> = plans.chunks(per).map(|part| scope.spawn(move || pack_some(part))).collect();
        let mut out = Vec::with_capacity(plans.len());
        for part in parts {
            out.extend(part.join().ok()??);
        }
        Some(out)
    })
}

/// Interned strings, dense symbols in insertion order.
#[derive(Clone)]
pub struct Interner {
    /// Every string, back to back; after `compact`, only the hot ones.
    text: String,
    /// End of string `i` in the logical text (every string back to back, in symbol order); it
    /// starts where string `i - 1` ends. Before `compact` the logical text is `text`.
    ends: Vec<usize>,
    /// Set by `compact`.
    cold: Option<Cold>,
    /// Indices into `ends`, keyed by the hash of the string's bytes. Emptied by `compact`
    /// (`table_dropped`): nothing in the explorer looks strings up by text after loading, and
    /// the table costs more per string than the compressed text. It comes back when needed:
    /// `get` builds it into `lazy_table`, `get_or_intern` into `table`.
    table: HashTable<u32>,
    table_dropped: bool,
    lazy_table: OnceLock<HashTable<u32>>,
    /// foldhash is seeded per process, so crafted input cannot aim for collisions.
    hasher: foldhash::fast::RandomState,
    recent: Box<[Recent]>,
}

impl Default for Interner {
    fn default() -> Self {
        Self {
            text: String::new(),
            ends: Vec::new(),
            cold: None,
            table: HashTable::new(),
            table_dropped: false,
            lazy_table: OnceLock::new(),
            hasher: Default::default(),
            recent: vec![Recent::default(); RECENT].into_boxed_slice(),
        }
    }
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .field("bytes", &self.total_bytes())
            .field("blocks", &self.cold.as_ref().map_or(0, |c| c.blocks.len()))
            .finish()
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
        text_at(&self.text, &self.ends, self.cold.as_ref(), index)
    }

    /// Length of string `index`, without reading (or decompressing) its text.
    fn len_of(&self, index: usize) -> usize {
        self.ends.get(index).copied().unwrap_or(0).saturating_sub(end_at(&self.ends, index))
    }

    /// Bytes of every string together.
    pub fn total_bytes(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    #[inline]
    fn hash(&self, bytes: &[u8]) -> u64 {
        self.hasher.hash_one(bytes)
    }

    #[inline]
    fn find(&self, hash: u64, bytes: &[u8]) -> Option<Sym> {
        // Lengths first: a candidate of another length is rejected without touching its text,
        // which after `compact` may sit in a block that is still compressed.
        self.table()
            .find(hash, |&i| self.len_of(i as usize) == bytes.len() && self.bytes_of(i as usize) == bytes)
            .map(|&i| sym_of(i as usize))
    }

    fn bytes_of(&self, index: usize) -> &[u8] {
        self.text_of(index).as_bytes()
    }

    /// The lookup table, rebuilt (once) if `compact` dropped it.
    fn table(&self) -> &HashTable<u32> {
        if self.table_dropped { self.lazy_table.get_or_init(|| self.build_table()) } else { &self.table }
    }

    /// Puts the lookup table back before a change, if `compact` dropped it.
    fn restore_table(&mut self) {
        if self.table_dropped {
            self.table = self.lazy_table.take().unwrap_or_else(|| self.build_table());
            self.table_dropped = false;
        }
    }

    /// The lookup table of every string. Cold blocks are decompressed one at a time into a
    /// scratch buffer, not kept: rebuilding costs time (about as much as the first intern of
    /// every string) but no lasting memory beyond the table.
    fn build_table(&self) -> HashTable<u32> {
        let mut table = HashTable::with_capacity(self.len());
        let blocks = self.cold.as_ref().map_or(&[][..], |c| &c.blocks[..]);
        let (mut next_block, mut scratch, mut scratch_start) = (0usize, String::new(), 0usize);
        let mut cold_at = 0usize;
        for i in 0..self.len() {
            let len = self.len_of(i);
            let text = if len == 0 || !self.is_cold(sym_of(i)) {
                self.text_of(i)
            } else {
                while cold_at >= scratch_start + scratch.len() {
                    let Some(b) = blocks.get(next_block) else { break };
                    next_block += 1;
                    scratch = b.text.get().map(|t| String::from(&**t)).unwrap_or_else(|| {
                        zstd::bulk::decompress(&b.packed, b.raw_len)
                            .ok()
                            .and_then(|raw| String::from_utf8(raw).ok())
                            .unwrap_or_default()
                    });
                    scratch_start = b.start;
                }
                let from = cold_at.saturating_sub(scratch_start);
                cold_at += len;
                scratch.get(from..from.saturating_add(len)).unwrap_or_default()
            };
            let hash = self.hash(text.as_bytes());
            // Room for every string was reserved, so this never calls the rehasher.
            table.insert_unique(hash, u32::try_from(i).unwrap_or(u32::MAX), |&j| {
                self.hasher.hash_one(self.bytes_of(j as usize))
            });
        }
        table
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
        self.restore_table();
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
        // Strings added after `compact` are hot: plain text, like before it.
        if let Some(cold) = &mut self.cold {
            cold.push_hot(index, self.text.len());
        }
        self.text.push_str(s);
        self.ends.push(self.total_bytes().saturating_add(s.len()));
        let Self { text, ends, cold, table, hasher, .. } = self;
        let rehash = |&i: &u32| hasher.hash_one(text_at(text, ends, cold.as_ref(), i as usize).as_bytes());
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
        match self.get_or_intern_checked(bytes) {
            Some(sym) => sym,
            // The repaired text differs from `bytes`, so it has its own entry (maybe one already).
            None => self.get_or_intern(String::from_utf8_lossy(bytes)),
        }
    }

    /// Interns raw bytes that should be UTF-8, checking only bytes not seen before; `None` when
    /// they are new and not UTF-8 (the caller repairs them, and can say so).
    #[inline]
    pub fn get_or_intern_checked(&mut self, bytes: &[u8]) -> Option<Sym> {
        // simdutf8 checks long strings several times faster than std (same answer).
        self.intern_bytes(bytes, |b| simdutf8::basic::from_utf8(b).ok())
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
        self.reserve(other.len(), other.total_bytes());
        other.strings().map(|s| self.get_or_intern(s)).collect()
    }

    /// A new interner of only the strings in `keep`, in their order, and for each symbol here the
    /// one it has there (the default symbol for those not kept). The kept strings are distinct,
    /// so each is added without a lookup.
    pub fn retain(&self, keep: &SymSet) -> (Interner, Vec<Sym>) {
        let kept = (0..self.len()).filter(|&i| bit(&keep.bits, i));
        let (strings, bytes) = kept.clone().fold((0, 0), |(n, b), i| (n + 1, b + self.len_of(i)));
        let mut out = Interner::with_capacity(strings, bytes);
        let mut map = vec![Sym::default(); self.len()];
        for i in kept {
            let s = self.text_of(i);
            let hash = out.hash(s.as_bytes());
            map[i] = out.insert_new(hash, s);
        }
        (out, map)
    }

    /// Room for `strings` more strings of `bytes` more bytes.
    pub fn reserve(&mut self, strings: usize, bytes: usize) {
        self.restore_table();
        self.text.reserve(bytes);
        self.ends.reserve(strings);
        let Self { text, ends, cold, table, hasher, .. } = self;
        table.reserve(strings, |&i| {
            hasher.hash_one(text_at(text, ends, cold.as_ref(), i as usize).as_bytes())
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
            + (self.table.capacity() + self.lazy_table.get().map_or(0, HashTable::capacity))
                * (std::mem::size_of::<u32>() + 1)
            + self.recent.len() * std::mem::size_of::<Recent>()
            + self.cold.as_ref().map_or(0, Cold::heap_bytes)
    }

    /// Whether `sym`'s text sits in a compressed block (see `compact`).
    pub fn is_cold(&self, sym: Sym) -> bool {
        let i = sym.into_usize();
        self.cold.as_ref().is_some_and(|c| i < self.len() && !c.is_hot(i))
    }

    /// Cold blocks, and how many of them are decompressed.
    pub fn cold_blocks(&self) -> (usize, usize) {
        self.cold
            .as_ref()
            .map_or((0, 0), |c| (c.blocks.len(), c.blocks.iter().filter(|b| b.text.get().is_some()).count()))
    }

    /// Keeps the strings in `hot` as plain text and compresses every other one into zstd blocks
    /// of about `BLOCK_BYTES`, on up to `workers` threads. Symbols, `resolve`, `get` and
    /// `get_or_intern` keep working; a cold string costs its block's decompression the first
    /// time one of the block's strings is resolved. The lookup table is dropped, and rebuilt by
    /// the first `get` or `get_or_intern` after this. Does nothing on an interner already
    /// compacted, or if compression fails (the strings then simply stay uncompressed).
    pub fn compact(&mut self, hot: SymSet, workers: usize) {
        if self.cold.is_some() {
            return;
        }
        let n = self.len();
        let mut hot = hot.bits;
        hot.resize(n.div_ceil(64), 0);
        if let Some(last) = hot.last_mut()
            && !n.is_multiple_of(64)
        {
            *last &= (1u64 << (n % 64)) - 1;
        }
        let mut hot_text = String::new();
        let mut hot_base = Vec::with_capacity(n.div_ceil(GROUP));
        let mut plans: Vec<Plan> = Vec::new();
        let mut cold_len = 0usize;
        let mut open = Plan { syms: 0..0, start: 0, raw_len: 0 };
        for i in 0..n {
            if i.is_multiple_of(GROUP) {
                hot_base.push(hot_text.len());
            }
            let s = self.text_of(i);
            if bit(&hot, i) {
                hot_text.push_str(s);
                continue;
            }
            if open.raw_len == 0 {
                open = Plan { syms: i..i, start: cold_len, raw_len: 0 };
            }
            open.syms.end = i + 1;
            open.raw_len += s.len();
            cold_len += s.len();
            if open.raw_len >= BLOCK_BYTES {
                plans.push(std::mem::replace(&mut open, Plan { syms: 0..0, start: 0, raw_len: 0 }));
            }
        }
        if open.raw_len > 0 {
            plans.push(open);
        }
        let Some(packed) = pack(&self.text, &self.ends, &plans, &hot, workers) else {
            return;
        };
        let blocks: Vec<Block> = plans
            .iter()
            .zip(packed)
            .map(|(p, packed)| Block { start: p.start, raw_len: p.raw_len, packed, text: OnceLock::new() })
            .collect();
        let groups = hot
            .iter()
            .enumerate()
            .map(|(g, &bits)| {
                let mut base = [hot_text.len(); 64 / GROUP];
                for (k, b) in base.iter_mut().enumerate() {
                    if let Some(&v) = hot_base.get(g * (64 / GROUP) + k) {
                        *b = v;
                    }
                }
                Group { hot: bits, base }
            })
            .collect();
        let starts = blocks.iter().map(|b| b.start).collect();
        hot_text.shrink_to_fit();
        self.text = hot_text;
        self.cold = Some(Cold { groups, blocks, starts });
        self.table = HashTable::new();
        self.table_dropped = true;
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

    /// Interns `strings`, compacts with every symbol whose index is in `hot` kept hot, and
    /// returns the interner and the symbols in input order.
    fn compacted(strings: &[String], hot: impl Fn(usize) -> bool, workers: usize) -> (Interner, Vec<Sym>) {
        let mut i = Interner::new();
        let syms: Vec<Sym> = strings.iter().map(|s| i.get_or_intern(s)).collect();
        let mut set = SymSet::with_len(i.len());
        for s in &syms {
            if hot(s.into_usize()) {
                set.insert(*s);
            }
        }
        i.compact(set, workers);
        (i, syms)
    }

    /// Strings of the sizes that matter to blocks: empty, tiny, multi-byte, and just under, at
    /// and over `BLOCK_BYTES`, so strings end exactly at and straddle block cuts.
    fn interesting_string() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let unit = prop_oneof![Just("a"), Just("é"), Just("日本"), Just("🦀"), Just("\0"), Just("x y")];
        let len = prop_oneof![
            4 => 0usize..40,
            1 => Just(BLOCK_BYTES - 1),
            1 => Just(BLOCK_BYTES),
            1 => Just(BLOCK_BYTES + 1),
            1 => (BLOCK_BYTES / 3)..(BLOCK_BYTES / 2),
        ];
        (len, unit, any::<u32>()).prop_map(|(len, unit, salt)| {
            // Fill to about `len` bytes with whole characters, salted so strings differ.
            let mut s = salt.to_string();
            while s.len() + unit.len() <= len {
                s.push_str(unit);
            }
            if len == 0 { String::new() } else { s }
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(48))]
        #[test]
        fn compaction_keeps_every_string(
            strings in proptest::collection::vec(interesting_string(), 0..24),
            hot_mask in proptest::prelude::any::<u64>(),
            workers in 1usize..4,
        ) {
            let (i, syms) = compacted(&strings, |n| hot_mask >> (n % 64) & 1 == 1, workers);
            for (s, sym) in strings.iter().zip(&syms) {
                proptest::prop_assert_eq!(i.resolve(sym), s.as_str());
                proptest::prop_assert_eq!(i.get(s), Some(*sym));
            }
            let (plain, _) = compacted(&strings, |_| true, 1);
            proptest::prop_assert_eq!(i.strings().collect::<Vec<_>>(), plain.strings().collect::<Vec<_>>());
            proptest::prop_assert_eq!(i.total_bytes(), strings.iter().collect::<std::collections::HashSet<_>>().iter().map(|s| s.len()).sum::<usize>());
        }
    }

    #[test]
    fn compaction_splits_hot_and_cold_and_keeps_interning() {
        let strings: Vec<String> = (0..5000).map(|n| format!("value {n} {}", "z".repeat(n % 97))).collect();
        let (mut i, syms) = compacted(&strings, |n| n % 3 == 0, 2);
        assert!(i.cold_blocks().0 > 1, "several blocks: {:?}", i.cold_blocks());
        assert_eq!(i.cold_blocks().1, 0, "nothing decompressed before a cold string is read");
        assert!(!i.is_cold(syms[0]) && i.is_cold(syms[1]));
        // Hot strings are plain text: reading one decompresses nothing.
        assert_eq!(i.resolve(&syms[3]), strings[3]);
        assert_eq!(i.cold_blocks().1, 0);
        assert_eq!(i.resolve(&syms[4]), strings[4]);
        assert_eq!(i.cold_blocks().1, 1);
        // Looking up by text rebuilds the dropped table without keeping blocks decompressed.
        let table_free = i.heap_bytes();
        assert_eq!(i.get(&strings[10]), Some(syms[10]));
        assert!(i.heap_bytes() > table_free);
        assert!(i.cold_blocks().1 <= 2, "{:?}", i.cold_blocks());
        // Interning again finds the old symbol, hot or cold, and a new string gets a new one.
        assert_eq!(i.get_or_intern(&strings[4999]), syms[4999]);
        assert_eq!(i.get_or_intern(&strings[3]), syms[3]);
        assert_eq!(i.get("no such string"), None);
        let new: Vec<Sym> = (0..200).map(|n| i.get_or_intern(format!("new {n}"))).collect();
        assert_eq!(new[0].into_usize(), strings.len());
        for (n, sym) in new.iter().enumerate() {
            assert_eq!(i.resolve(sym), format!("new {n}"));
            assert!(!i.is_cold(*sym));
            assert_eq!(i.get(format!("new {n}")), Some(*sym));
        }
        for (s, sym) in strings.iter().zip(&syms) {
            assert_eq!(i.resolve(sym), s);
        }
        // Compacting twice changes nothing.
        let blocks = i.cold_blocks().0;
        i.compact(SymSet::with_len(i.len()), 2);
        assert_eq!(i.cold_blocks().0, blocks);
        assert_eq!(i.resolve(&new[199]), "new 199");
    }

    #[test]
    fn cold_strings_resolve_from_many_threads() {
        let strings: Vec<String> =
            (0..20_000).map(|n| format!("{n}: {}", "log line ".repeat(n % 13))).collect();
        let (i, syms) = compacted(&strings, |n| n % 10 == 0, 2);
        assert!(i.cold_blocks().0 > 4);
        std::thread::scope(|scope| {
            for t in 0..4 {
                let (i, syms, strings) = (&i, &syms, &strings);
                scope.spawn(move || {
                    // Each thread walks the symbols from a different place, so threads race to
                    // decompress the same blocks.
                    for k in 0..syms.len() {
                        let n = (k + t * 5003) % syms.len();
                        assert_eq!(i.resolve(&syms[n]), strings[n]);
                    }
                });
            }
        });
        assert_eq!(i.cold_blocks().1, i.cold_blocks().0);
    }

    #[test]
    fn foreign_symbols_do_not_panic() {
        let i = Interner::new();
        assert_eq!(i.resolve(&Spur::try_from_usize(7).unwrap()), "");
        let (c, _) = compacted(&["a".into(), "b".repeat(10)], |n| n == 0, 1);
        assert_eq!(c.resolve(&Spur::try_from_usize(7).unwrap()), "");
        assert_eq!(c.resolve(&Spur::try_from_usize(1).unwrap()), "b".repeat(10));
    }
}
