//! The one place a loader writes spans into (`Sink`): the dataset being filled and its interner,
//! warnings and skips located in the input, one scope per name and version, and the one policy
//! for repairing an end before its start. It is also where the chunks of one parse meet
//! (`parallel::run_chunks` merges them in file order): each chunk's dataset is appended, and the
//! resources and scopes that chunks made for the same key (a service, a scope's name and version,
//! …) become one, numbered as a sequential parse numbers them.

use crate::model::{
    Attr, Dataset, FileInfo, Format, Location, ResourceIdx, Scope, ScopeIdx, Span, Sym, SymMap, span_flags,
};
use rustc_hash::FxHashMap;
use std::cell::Cell;
use std::fmt::Display;
use std::hash::Hash;

/// How a format names a place in its input: line:col in text, a byte offset in binary input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Positions {
    Lines,
    Offsets,
}

/// Input bytes a format spends per span, per attribute, per distinct string and per byte of
/// string text, on the low side: the sink sizes its arenas and interner from the bytes present
/// so a large file does not keep regrowing them (growing the interner's table would hash every
/// string again).
pub(crate) struct Sizing {
    pub per_span: usize,
    pub per_attr: usize,
    pub per_distinct_string: usize,
    pub per_string_byte: usize,
}

/// What a loader writes into: the dataset, the file's notes, and what locating them needs.
pub(crate) struct Sink<'a> {
    pub input: &'a [u8],
    pub ds: Dataset,
    pub file: FileInfo,
    /// Scratch for one span's attributes, reused to avoid an allocation per span.
    pub attrs: Vec<Attr>,
    positions: Positions,
    /// Resumes from the previous answer (`Cell`: locating does not change what is loaded).
    locator: Cell<Locator>,
    scopes: FxHashMap<(Sym, Option<Sym>), ScopeIdx>,
}

impl<'a> Sink<'a> {
    /// A sink for a part of `input` about `share` bytes long (all of it, or a chunk parsed on
    /// its own thread): its arenas are sized for that part, not for the whole input.
    pub fn new(
        input: &'a [u8],
        path: &str,
        format: Format,
        positions: Positions,
        share: usize,
        sizing: &Sizing,
    ) -> Self {
        let n = share.min(input.len());
        let mut ds = Dataset::new();
        ds.spans.reserve(n / sizing.per_span);
        ds.attrs.reserve(n / sizing.per_attr);
        ds.strings =
            crate::model::Interner::with_capacity(n / sizing.per_distinct_string, n / sizing.per_string_byte);
        Self {
            input,
            ds,
            file: FileInfo::new(path, format),
            attrs: Vec::new(),
            positions,
            locator: Cell::new(Locator::default()),
            scopes: FxHashMap::default(),
        }
    }

    /// The dataset, with this file's record in it.
    pub fn finish(mut self) -> Dataset {
        self.file.spans = self.ds.spans.len();
        self.file.logs = self.ds.logs.len();
        self.ds.files.push(self.file);
        self.ds
    }

    /// Interns text (borrowed from the input or not). No cache of our own in front: the
    /// interner's front cache already answers the strings that repeat without hashing them.
    #[inline]
    pub fn intern(&mut self, s: &str) -> Sym {
        self.ds.intern(s)
    }

    /// Where byte `offset` of the input is, in this format's terms.
    pub fn locate(&self, offset: usize) -> Location {
        match self.positions {
            Positions::Offsets => Location::Offset(offset as u64),
            Positions::Lines => {
                let mut locator = self.locator.get();
                let at = locator.at(self.input, offset);
                self.locator.set(locator);
                at
            }
        }
    }

    /// Whether another note of this kind (`skipped`: a dropped record) would be kept; locations
    /// and messages are only built if so, so a file with a million bad spans still loads in
    /// linear time.
    pub fn keeps(&self, skipped: bool) -> bool {
        self.file.keeps(skipped)
    }

    /// Records a dropped record at byte `offset`.
    pub fn skip_at<M: Into<String>>(&mut self, offset: usize, message: impl FnOnce(&Self) -> M) {
        if self.keeps(true) {
            let at = self.locate(offset);
            let message = message(self);
            self.file.skip(at, message);
        } else {
            self.file.skipped += 1;
        }
    }

    /// Records a record kept but repaired at byte `offset`.
    pub fn warn_at<M: Into<String>>(&mut self, offset: usize, message: impl FnOnce(&Self) -> M) {
        if self.keeps(false) {
            let at = self.locate(offset);
            let message = message(self);
            self.file.warn(at, message);
        }
    }

    /// The one time repair: an end before its start becomes the start, with the one warning
    /// (at byte `offset`) and the span flag that marks it. Returns the end and the flags to set.
    pub fn repair_end<T: Copy + Ord + Display>(&mut self, offset: usize, start: T, end: T) -> (T, u8) {
        if end >= start {
            return (end, 0);
        }
        self.warn_at(offset, |_| end_before_start(start, end));
        (start, span_flags::CLAMPED_END)
    }

    /// A scope for (name, version), one per distinct pair; the default scope without a name.
    pub fn scope(&mut self, name: Option<Sym>, version: Option<Sym>) -> ScopeIdx {
        let Some(name) = name else { return ScopeIdx::default() };
        if let Some(&s) = self.scopes.get(&(name, version)) {
            return s;
        }
        let idx = self.ds.add_scope(Scope { name: Some(name), version, attrs: Default::default() });
        self.scopes.insert((name, version), idx);
        idx
    }

    /// Takes in the sink of the next part of the file, filled on another thread (parts are
    /// absorbed in file order): its spans and arenas, its notes, and its scopes, which become the
    /// same scope as an equal one already here, as in a sequential parse. Says where the part
    /// went, for the caller's own shared entries (`Appended::share`).
    pub fn absorb(&mut self, next: Sink<'a>) -> Appended {
        let Sink { ds, file, scopes, .. } = next;
        let appended = append(&mut self.ds, ds);
        appended.share(&mut self.ds, &mut self.scopes, scopes);
        self.absorb_notes(file);
        appended
    }

    /// Takes in the notes of the next part of the file.
    pub fn absorb_notes(&mut self, next: FileInfo) {
        self.file.skipped += next.skipped;
        self.file.extend_warnings(next.warnings);
    }
}

/// The one wording of the one time repair, whatever the format calls its fields.
pub(crate) fn end_before_start(start: impl Display, end: impl Display) -> String {
    format!("end {end} ns is before start {start} ns; duration set to 0")
}

/// Turns byte offsets into line:col, resuming from the previous answer: notes come in file
/// order, so locating all of them costs one pass over the input, not one per note.
#[derive(Clone, Copy)]
pub(crate) struct Locator {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl Default for Locator {
    fn default() -> Self {
        Self { offset: 0, line: 1, line_start: 0 }
    }
}

impl Locator {
    pub(crate) fn at(&mut self, input: &[u8], offset: usize) -> Location {
        let offset = offset.min(input.len());
        if offset < self.offset {
            *self = Self::default();
        }
        let chunk = input.get(self.offset..offset).unwrap_or_default();
        self.line += memchr::memchr_iter(b'\n', chunk).count();
        if let Some(p) = memchr::memrchr(b'\n', chunk) {
            self.line_start = self.offset + p + 1;
        }
        self.offset = offset;
        Location::Line { line: self.line, column: offset - self.line_start + 1 }
    }
}

/// A key made of interned strings, carried from one dataset's symbols to another's.
pub(crate) trait SymKey: Copy + Eq + Hash {
    fn remap(self, syms: &SymMap) -> Self;
}

impl SymKey for Sym {
    fn remap(self, syms: &SymMap) -> Self {
        syms.get(self)
    }
}

impl SymKey for (Sym, Option<Sym>) {
    fn remap(self, syms: &SymMap) -> Self {
        (syms.get(self.0), self.1.map(|s| syms.get(s)))
    }
}

impl<const N: usize> SymKey for [Option<Sym>; N] {
    fn remap(self, syms: &SymMap) -> Self {
        self.map(|s| s.map(|s| syms.get(s)))
    }
}

/// A table of a dataset whose entries spans share (resources, scopes). Entry 0 is the shared
/// default and is never de-duplicated.
pub(crate) trait SharedTable: Copy {
    fn number(self) -> u32;
    fn from_number(n: u32) -> Self;
    /// How many entries the merged table had before the chunk was appended.
    fn before(appended: &Appended) -> usize;
    /// Keeps the first `len` entries, then the entries numbered `kept`, in that order.
    fn keep(ds: &mut Dataset, len: usize, kept: &[u32]);
    fn of(span: &mut Span) -> &mut Self;
}

impl SharedTable for ResourceIdx {
    fn number(self) -> u32 {
        self.0
    }
    fn from_number(n: u32) -> Self {
        Self(n)
    }
    fn before(appended: &Appended) -> usize {
        appended.resources_before
    }
    fn keep(ds: &mut Dataset, len: usize, kept: &[u32]) {
        let moved: Vec<_> = kept.iter().filter_map(|&i| ds.resources.get(i as usize).copied()).collect();
        ds.resources.truncate(len);
        ds.resources.extend(moved);
    }
    fn of(span: &mut Span) -> &mut Self {
        &mut span.resource
    }
}

impl SharedTable for ScopeIdx {
    fn number(self) -> u32 {
        self.0
    }
    fn from_number(n: u32) -> Self {
        Self(n)
    }
    fn before(appended: &Appended) -> usize {
        appended.scopes_before
    }
    fn keep(ds: &mut Dataset, len: usize, kept: &[u32]) {
        let moved: Vec<_> = kept.iter().filter_map(|&i| ds.scopes.get(i as usize).copied()).collect();
        ds.scopes.truncate(len);
        ds.scopes.extend(moved);
    }
    fn of(span: &mut Span) -> &mut Self {
        &mut span.scope
    }
}

/// A chunk's dataset appended to the merged one: what `share` needs to find its entries.
pub(crate) struct Appended {
    resources_before: usize,
    scopes_before: usize,
    first_span: usize,
    syms: SymMap,
}

/// Appends the next chunk's dataset (chunks are appended in file order).
pub(crate) fn append(ds: &mut Dataset, next: Dataset) -> Appended {
    let (resources_before, scopes_before, first_span) = (ds.resources.len(), ds.scopes.len(), ds.spans.len());
    let syms = ds.append_mapped(next);
    Appended { resources_before, scopes_before, first_span, syms }
}

impl Appended {
    /// Makes the appended chunk's entries of one table that have a key already in `ours` the
    /// existing entry, and adds the others to `ours`, keeping their order: one entry per key, as
    /// a sequential parse makes them. `theirs` is the chunk's key → entry table, in its symbols.
    pub(crate) fn share<K: SymKey, I: SharedTable>(
        &self,
        ds: &mut Dataset,
        ours: &mut FxHashMap<K, I>,
        theirs: FxHashMap<K, I>,
    ) {
        let before = I::before(self);
        let mut theirs: Vec<(K, I)> = theirs.into_iter().collect();
        theirs.sort_unstable_by_key(|(_, idx)| idx.number());
        // `append` moved their entry `i` (0 is the shared default) to `i + base`.
        let base = u32::try_from(before.saturating_sub(1)).unwrap_or(u32::MAX);
        let mut kept = Vec::new();
        let mut remap: FxHashMap<u32, I> = FxHashMap::default();
        for (key, idx) in theirs {
            let moved = idx.number().saturating_add(base);
            let new = *ours.entry(key.remap(&self.syms)).or_insert_with(|| {
                kept.push(moved);
                I::from_number(base.saturating_add(u32::try_from(kept.len()).unwrap_or(u32::MAX)))
            });
            remap.insert(moved, new);
        }
        I::keep(ds, before, &kept);
        for span in ds.spans.get_mut(self.first_span..).unwrap_or_default() {
            let slot = I::of(span);
            if let Some(&new) = remap.get(&slot.number()) {
                *slot = new;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locator_resumes_and_restarts() {
        let text = b"ab\ncd\nef\n";
        let mut loc = Locator::default();
        assert_eq!(loc.at(text, 4), Location::Line { line: 2, column: 2 });
        assert_eq!(loc.at(text, 7), Location::Line { line: 3, column: 2 });
        assert_eq!(loc.at(text, 1), Location::Line { line: 1, column: 2 });
        assert_eq!(loc.at(text, 100), Location::Line { line: 4, column: 1 });
        // Resuming gives what counting from the start gives.
        let mut resumed = Locator::default();
        for offset in 0..text.len() {
            let before = &text[..offset];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = offset - before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
            assert_eq!(resumed.at(text, offset), Location::Line { line, column });
        }
    }

    #[test]
    fn an_end_before_its_start_is_clamped_with_the_one_warning_at_its_place() {
        let input = b"[\n  {\"span\": 1}]";
        let sizing = Sizing { per_span: 1, per_attr: 1, per_distinct_string: 1, per_string_byte: 1 };
        let mut sink = Sink::new(input, "t.json", Format::OtlpJson, Positions::Lines, 0, &sizing);
        assert_eq!(sink.repair_end(4, 5, 9), (9, 0));
        assert!(sink.file.warnings.is_empty());
        assert_eq!(sink.repair_end(4, 5000, 4000), (5000, span_flags::CLAMPED_END));
        assert_eq!(sink.file.warnings.len(), 1);
        assert_eq!(sink.file.warnings[0].at, Location::Line { line: 2, column: 3 });
        assert_eq!(sink.file.warnings[0].message, "end 4000 ns is before start 5000 ns; duration set to 0");
        let mut binary = Sink::new(input, "t.bin", Format::OtlpProto, Positions::Offsets, 0, &sizing);
        assert_eq!(binary.repair_end(7, 2i64, -1), (2, span_flags::CLAMPED_END));
        assert_eq!(binary.file.warnings[0].at, Location::Offset(7));
        assert_eq!(binary.file.warnings[0].message, "end -1 ns is before start 2 ns; duration set to 0");
    }
}
