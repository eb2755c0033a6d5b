//! Where the chunks of one parse meet (`parallel::run_chunks` merges them in file order): each
//! chunk's dataset is appended, and the resources and scopes that chunks made for the same key
//! (a service, a scope's name and version, …) become one, numbered as a sequential parse numbers
//! them.

use crate::model::{Dataset, ResourceIdx, ScopeIdx, Span, Sym, SymMap};
use rustc_hash::FxHashMap;
use std::hash::Hash;

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
