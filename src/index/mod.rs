//! `Dataset` → `Index`: the immutable structure every view and CLI command reads. Built once in
//! linear time (plus sorting siblings by start), it maps external ids to dense indices and holds
//! trace → spans (in waterfall order), parent → children, link source → targets and
//! target → sources, and trace → linked traces in both directions.
//!
//! Nothing in the input can make it loop: duplicate ids, parent cycles and self parents are
//! repaired (and flagged) while building, and links are never walked transitively here.

pub mod critical_path;
pub mod diff;
mod evict;
mod extend;
pub mod flow;
mod lists;
pub mod logs;

pub use evict::Evicted;
pub use extend::Growth;
use lists::Lists;

use crate::model::{Dataset, Link, LinkKind, Span, SpanId, Sym, TraceId};
use rustc_hash::FxHashMap;

/// Dense index of a span in `Dataset::spans`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanIdx(pub u32);
/// Dense index of a trace in `Index::traces` (traces are ordered by start time, then id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceIdx(pub u32);
/// Index of a link in `Dataset::links`; a span's outgoing links are its `Span::links` slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkIdx(pub u32);

impl SpanIdx {
    pub fn get(self) -> usize {
        self.0 as usize
    }
}
impl TraceIdx {
    pub fn get(self) -> usize {
        self.0 as usize
    }
}
impl LinkIdx {
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// Where a link points once resolved against everything loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    Span(SpanIdx),
    /// The target span is not loaded. `trace` says whether its trace is (some other span of it).
    Missing {
        trace: Option<TraceIdx>,
    },
    /// A Datadog span pointer: names a resource, not a span, so it is never resolved.
    Pointer,
}

/// Flags the index sets on spans while repairing the tree.
pub mod index_flags {
    /// The span has a parent id whose span is not loaded; it is shown as a root.
    pub const ORPHAN: u8 = 1;
    /// Its parent link was cut to break a parent cycle (or it named itself as parent).
    pub const CYCLE_CUT: u8 = 2;
    /// Another span in the same trace has the same id (not a Zipkin shared pair); lookups by id
    /// find the first one.
    pub const DUPLICATE_ID: u8 = 4;
}

/// Summary of one trace, precomputed for the trace list and `weft info`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceInfo {
    pub id: TraceId,
    /// Earliest span start (ns since epoch).
    pub start: u64,
    /// Latest span end.
    pub end: u64,
    pub spans: u32,
    pub errors: u32,
    /// The earliest span without a loaded parent.
    pub root: SpanIdx,
    /// Links whose source is in this trace.
    pub links_out: u32,
    /// Links (other than pointers) that name this trace as their target's trace.
    pub links_in: u32,
    /// Position of this trace's spans in `Index::order`.
    rows: std::ops::Range<u32>,
}

impl TraceInfo {
    pub fn duration(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
}

/// Two traces joined by links: how many go each way, seen from the trace that owns the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceLink {
    pub other: TraceIdx,
    /// Links from this trace's spans into `other`.
    pub out: u32,
    /// Links from `other`'s spans into this trace.
    pub r#in: u32,
}

impl Default for SpanIdx {
    fn default() -> Self {
        SpanIdx(u32::MAX)
    }
}
impl Default for LinkIdx {
    fn default() -> Self {
        LinkIdx(u32::MAX)
    }
}

const NO_PARENT: u32 = u32::MAX;

/// From this many spans, `Index::build` runs its independent passes on two threads.
const PARALLEL_SPANS: usize = 50_000;

/// External (trace, span) id → the span that answers to it. A table of span indices hashed by
/// the ids in `Dataset::spans`: 5 bytes a span instead of a 48-byte map entry (a 16-byte-aligned
/// `(TraceId, SpanId)` key plus the index), about 60 bytes a span in all at a million spans.
#[derive(Debug, Default)]
struct IdMap {
    table: hashbrown::HashTable<u32>,
    /// Seeded per process, so crafted ids cannot aim for collisions.
    hasher: foldhash::fast::RandomState,
}

impl IdMap {
    fn with_capacity(n: usize) -> Self {
        Self { table: hashbrown::HashTable::with_capacity(n), hasher: Default::default() }
    }

    fn hash(&self, trace: TraceId, span: SpanId) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one((trace.0, span.0))
    }

    fn ids(spans: &[Span], i: u32) -> Option<(TraceId, SpanId)> {
        spans.get(i as usize).map(|s| (s.trace_id, s.span_id))
    }

    fn get(&self, spans: &[Span], trace: TraceId, span: SpanId) -> Option<SpanIdx> {
        let hash = self.hash(trace, span);
        self.table.find(hash, |&i| Self::ids(spans, i) == Some((trace, span))).map(|&i| SpanIdx(i))
    }

    /// Maps span `i`'s ids to `i` unless they are taken; returns the span that has them then.
    fn insert_new(&mut self, spans: &[Span], i: u32) -> Option<SpanIdx> {
        let key = Self::ids(spans, i)?;
        let hash = self.hash(key.0, key.1);
        let Self { table, hasher } = self;
        let rehash = |&j: &u32| {
            use std::hash::BuildHasher;
            Self::ids(spans, j).map_or(0, |(t, s)| hasher.hash_one((t.0, s.0)))
        };
        match table.entry(hash, |&j| Self::ids(spans, j) == Some(key), rehash) {
            hashbrown::hash_table::Entry::Occupied(o) => Some(SpanIdx(*o.get())),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(i);
                None
            }
        }
    }

    /// Makes span `i` answer for its ids (which must be mapped already).
    fn replace(&mut self, spans: &[Span], i: u32) {
        let Some(key) = Self::ids(spans, i) else { return };
        let hash = self.hash(key.0, key.1);
        if let Some(slot) = self.table.find_mut(hash, |&j| Self::ids(spans, j) == Some(key)) {
            *slot = i;
        }
    }

    fn heap_bytes(&self) -> usize {
        self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }
}

/// The read-only index over a loaded `Dataset`.
/// String text from which the explorer compacts it (`Index::compact_if_large`): about 200,000
/// spans of typical attributes.
pub const COMPACT_FROM_BYTES: usize = 32 << 20;

#[derive(Debug)]
pub struct Index {
    pub data: Dataset,
    traces: Vec<TraceInfo>,
    by_trace: FxHashMap<TraceId, TraceIdx>,
    by_id: IdMap,
    span_trace: Vec<TraceIdx>,
    parent: Vec<u32>,
    flags: Vec<u8>,
    children: Lists<SpanIdx>,
    /// Every trace's spans in waterfall (depth-first, siblings by start) order, trace after trace.
    order: Vec<SpanIdx>,
    depth: Vec<u16>,
    link_source: Vec<SpanIdx>,
    link_target: Vec<LinkTarget>,
    links_in: Lists<LinkIdx>,
    trace_links: Lists<TraceLinkSlot>,
    /// Ids more than one span carries, with every span that carries them (rare): `extend`
    /// applies the build's rules for duplicates and Zipkin shared pairs to a group that grows.
    groups: Groups,
    /// What is waiting for spans not loaded yet; made by the first `extend`.
    waiting: Option<Box<extend::Waiting>>,
    /// Log records by span and by trace.
    logs: logs::LogLinks,
}

#[derive(Clone, Copy, Debug, Default)]
struct TraceLinkSlot(u32, u32, u32);

impl Index {
    pub fn build(mut data: Dataset) -> Self {
        // Links are numbered by their position, so each must have exactly one source span. A
        // loader that dropped or replaced spans may have left some ownerless; tile them first,
        // whatever the dataset came from, so every path below can rely on it.
        data.tile_links();
        let n = data.spans.len();
        // The two passes over every span are independent; on a large load they run side by side.
        let ((traces_unsorted, span_trace_tmp), (by_id, mut parent, mut flags, groups)) =
            if n >= PARALLEL_SPANS {
                std::thread::scope(|scope| {
                    let groups = scope.spawn(|| group_traces(&data.spans));
                    let parents = resolve_parents(&data.spans);
                    // `group_traces` cannot panic on any input; should the thread fail anyway, redo it here.
                    (groups.join().unwrap_or_else(|_| group_traces(&data.spans)), parents)
                })
            } else {
                (group_traces(&data.spans), resolve_parents(&data.spans))
            };
        break_cycles(&mut parent, &mut flags);

        // Order traces by start time (then id) so every listing is chronological and stable.
        let mut trace_order: Vec<u32> = (0..traces_unsorted.len() as u32).collect();
        trace_order.sort_by_key(|&t| {
            let (id, start) = traces_unsorted[t as usize];
            (start, id)
        });
        let mut rank = vec![0u32; trace_order.len()];
        for (new, &old) in trace_order.iter().enumerate() {
            rank[old as usize] = new as u32;
        }
        let span_trace: Vec<TraceIdx> = span_trace_tmp.iter().map(|&t| TraceIdx(rank[t as usize])).collect();
        let by_trace: FxHashMap<TraceId, TraceIdx> = trace_order
            .iter()
            .enumerate()
            .map(|(new, &old)| (traces_unsorted[old as usize].0, TraceIdx(new as u32)))
            .collect();

        // Resolving link targets needs only the id maps: on a large load it runs beside the
        // tree building below.
        let (links, (children, order, depth, mut traces)) = if n >= PARALLEL_SPANS {
            std::thread::scope(|scope| {
                let links = scope.spawn(|| resolve_links(&data, &by_id, &by_trace));
                let tree = build_tree(&data, &parent, &span_trace, &trace_order, &traces_unsorted);
                // `resolve_links` cannot panic on any input; should the thread fail anyway, redo it.
                (links.join().unwrap_or_else(|_| resolve_links(&data, &by_id, &by_trace)), tree)
            })
        } else {
            (
                resolve_links(&data, &by_id, &by_trace),
                build_tree(&data, &parent, &span_trace, &trace_order, &traces_unsorted),
            )
        };
        let (link_source, link_target) = links;
        let links_in = Lists::from_pairs(
            n,
            link_target.iter().enumerate().filter_map(|(l, t)| match t {
                LinkTarget::Span(s) => Some((s.get(), LinkIdx(l as u32))),
                _ => None,
            }),
        );

        // Trace-level link counts, and trace → linked traces: one entry per unordered pair of
        // traces, holding the count each way, so each neighbour appears once on each side.
        let mut pair_counts: FxHashMap<(u32, u32), (u32, u32)> = FxHashMap::default();
        for (l, target) in link_target.iter().enumerate() {
            let from = span_trace[link_source[l].get()];
            traces[from.get()].links_out += 1;
            let to = match *target {
                LinkTarget::Span(s) => Some(span_trace[s.get()]),
                LinkTarget::Missing { trace } => trace,
                LinkTarget::Pointer => None,
            };
            if let Some(to) = to {
                traces[to.get()].links_in += 1;
                if to != from {
                    let (lo, hi) = (from.0.min(to.0), from.0.max(to.0));
                    let counts = pair_counts.entry((lo, hi)).or_default();
                    if from.0 == lo { counts.0 += 1 } else { counts.1 += 1 }
                }
            }
        }
        let mut pairs: Vec<((u32, u32), (u32, u32))> = pair_counts.into_iter().collect();
        pairs.sort_unstable();
        let slots = pairs.iter().flat_map(|&((lo, hi), (up, down))| {
            [(lo as usize, TraceLinkSlot(hi, up, down)), (hi as usize, TraceLinkSlot(lo, down, up))]
        });
        let mut trace_links = Lists::from_pairs(traces.len(), slots);
        for t in 0..traces.len() {
            trace_links.get_mut(t).sort_unstable_by_key(|s| s.0);
        }

        let mut index = Self {
            data,
            traces,
            by_trace,
            by_id,
            span_trace,
            parent,
            flags,
            children,
            order,
            depth,
            link_source,
            link_target,
            links_in,
            trace_links,
            groups,
            waiting: None,
            logs: logs::LogLinks::default(),
        };
        index.attach_logs();
        index
    }

    /// Heap bytes the index holds besides its `Dataset` (capacities), for memory reports.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        // hashbrown maps: a control byte plus the entry per bucket.
        let map = |cap: usize, entry: usize| cap * (entry + 1);
        vec(&self.traces)
            + map(self.by_trace.capacity(), size_of::<(TraceId, TraceIdx)>())
            + self.by_id.heap_bytes()
            + vec(&self.span_trace)
            + vec(&self.parent)
            + vec(&self.flags)
            + self.children.heap_bytes()
            + vec(&self.order)
            + vec(&self.depth)
            + vec(&self.link_source)
            + vec(&self.link_target)
            + self.links_in.heap_bytes()
            + self.trace_links.heap_bytes()
            + self.logs.heap_bytes()
    }

    // ---- spans ----

    /// Compresses rarely shown strings once loading is done (see `Dataset::compact_strings`).
    pub fn compact_strings(&mut self) {
        self.data.compact_strings();
    }

    /// What the explorer does once loading is done: `compact_strings` when the strings hold at
    /// least `COMPACT_FROM_BYTES`. Below that the saving is a few megabytes and not worth
    /// delaying the first frame; one-shot commands (`info`, `tree`…) skip it altogether.
    /// Says whether it compacted.
    pub fn compact_if_large(&mut self) -> bool {
        let large = self.data.strings.total_bytes() >= COMPACT_FROM_BYTES;
        if large {
            self.compact_strings();
        }
        large
    }

    pub fn span_count(&self) -> usize {
        self.data.spans.len()
    }
    pub fn span(&self, s: SpanIdx) -> &Span {
        &self.data.spans[s.get()]
    }
    pub fn str(&self, sym: Sym) -> &str {
        self.data.str(sym)
    }
    pub fn name(&self, s: SpanIdx) -> &str {
        self.str(self.span(s).name)
    }
    pub fn service(&self, s: SpanIdx) -> &str {
        self.str(self.span(s).service)
    }
    pub fn trace_of(&self, s: SpanIdx) -> TraceIdx {
        self.span_trace[s.get()]
    }
    pub fn parent(&self, s: SpanIdx) -> Option<SpanIdx> {
        let p = self.parent[s.get()];
        (p != NO_PARENT).then_some(SpanIdx(p))
    }
    /// Children in start order.
    pub fn children(&self, s: SpanIdx) -> &[SpanIdx] {
        self.children.get(s.get())
    }
    /// Depth in the waterfall (roots are 0).
    pub fn depth(&self, s: SpanIdx) -> u16 {
        self.depth[s.get()]
    }
    /// `index_flags` set on this span while building.
    pub fn index_flags(&self, s: SpanIdx) -> u8 {
        self.flags[s.get()]
    }
    pub fn is_orphan(&self, s: SpanIdx) -> bool {
        self.flags[s.get()] & index_flags::ORPHAN != 0
    }
    pub fn find_span(&self, trace: TraceId, span: SpanId) -> Option<SpanIdx> {
        self.by_id.get(&self.data.spans, trace, span)
    }

    // ---- traces ----

    pub fn traces(&self) -> &[TraceInfo] {
        &self.traces
    }
    pub fn trace(&self, t: TraceIdx) -> &TraceInfo {
        &self.traces[t.get()]
    }
    pub fn find_trace(&self, id: TraceId) -> Option<TraceIdx> {
        self.by_trace.get(&id).copied()
    }
    /// The trace's spans in waterfall order: depth-first, siblings by start time.
    pub fn trace_spans(&self, t: TraceIdx) -> &[SpanIdx] {
        let r = &self.traces[t.get()].rows;
        &self.order[r.start as usize..r.end as usize]
    }
    /// Traces joined to `t` by links, with counts each way, ordered by trace index.
    pub fn linked_traces(&self, t: TraceIdx) -> impl Iterator<Item = TraceLink> + '_ {
        self.trace_links.get(t.get()).iter().map(|s| TraceLink { other: TraceIdx(s.0), out: s.1, r#in: s.2 })
    }

    // ---- links ----

    pub fn link_count(&self) -> usize {
        self.data.links.len()
    }
    pub fn link(&self, l: LinkIdx) -> &Link {
        &self.data.links[l.get()]
    }
    pub fn link_source(&self, l: LinkIdx) -> SpanIdx {
        self.link_source[l.get()]
    }
    pub fn link_target(&self, l: LinkIdx) -> LinkTarget {
        self.link_target[l.get()]
    }
    /// Links this span holds (it is their source), in file order.
    pub fn links_out(&self, s: SpanIdx) -> impl ExactSizeIterator<Item = LinkIdx> + use<> {
        self.span(s).links.range().map(|l| LinkIdx(l as u32))
    }
    /// Links from anywhere that resolve to this span (backlinks), in load order.
    pub fn links_in(&self, s: SpanIdx) -> &[LinkIdx] {
        self.links_in.get(s.get())
    }
    /// Every link in load order.
    pub fn links(&self) -> impl ExactSizeIterator<Item = LinkIdx> + use<> {
        (0..self.data.links.len() as u32).map(LinkIdx)
    }
    /// Links whose target is not a loaded span (pointers excluded).
    pub fn unresolved_links(&self) -> impl Iterator<Item = LinkIdx> + '_ {
        self.links().filter(|&l| matches!(self.link_target(l), LinkTarget::Missing { .. }))
    }
}

/// Assigns each span a provisional trace number in first-seen order; returns (id, earliest start)
/// per trace and each span's trace.
/// Children lists (sorted by start), the depth-first waterfall order, depths, and each trace's
/// summary, traces in `trace_order`.
fn build_tree(
    data: &Dataset,
    parent: &[u32],
    span_trace: &[TraceIdx],
    trace_order: &[u32],
    traces_unsorted: &[(TraceId, u64)],
) -> (Lists<SpanIdx>, Vec<SpanIdx>, Vec<u16>, Vec<TraceInfo>) {
    let n = data.spans.len();
    let mut children = Lists::from_pairs(
        n,
        (0..n).filter(|&i| parent[i] != NO_PARENT).map(|i| (parent[i] as usize, SpanIdx(i as u32))),
    );
    let start_key = |s: &SpanIdx| (data.spans[s.get()].start, s.0);
    for p in 0..n {
        children.get_mut(p).sort_unstable_by_key(start_key);
    }

    // Roots per trace, earliest first: these start each trace's depth-first walk.
    let mut roots = Lists::from_pairs(
        trace_order.len(),
        (0..n).filter(|&i| parent[i] == NO_PARENT).map(|i| (span_trace[i].get(), SpanIdx(i as u32))),
    );
    for t in 0..trace_order.len() {
        roots.get_mut(t).sort_unstable_by_key(start_key);
    }

    let mut order = Vec::with_capacity(n);
    let mut depth = vec![0u16; n];
    let mut traces = Vec::with_capacity(trace_order.len());
    for (t, &old) in trace_order.iter().enumerate() {
        let mut info = TraceInfo::empty(traces_unsorted[old as usize].0);
        info.walk(data, &children, roots.get(t), &mut order, &mut depth);
        traces.push(info);
    }
    (children, order, depth, traces)
}

impl TraceInfo {
    fn empty(id: TraceId) -> Self {
        Self {
            id,
            start: 0,
            end: 0,
            spans: 0,
            errors: 0,
            root: SpanIdx::default(),
            links_out: 0,
            links_in: 0,
            rows: 0..0,
        }
    }

    /// Lays the trace's waterfall out at the end of `order` by a depth-first walk from `roots`
    /// (earliest first), setting depths, and sums up its spans, errors and bounds.
    fn walk(
        &mut self,
        data: &Dataset,
        children: &Lists<SpanIdx>,
        roots: &[SpanIdx],
        order: &mut Vec<SpanIdx>,
        depth: &mut [u16],
    ) {
        let first = order.len() as u32;
        let mut stack: Vec<(SpanIdx, u16)> = roots.iter().rev().map(|&r| (r, 0u16)).collect();
        let (mut start, mut end, mut errors) = (u64::MAX, 0u64, 0u32);
        while let Some((s, d)) = stack.pop() {
            order.push(s);
            depth[s.get()] = d;
            let span = &data.spans[s.get()];
            // A span the file gave no time does not stretch its trace (to 1970, say).
            if !span.has_flag(crate::model::span_flags::UNTIMED) {
                start = start.min(span.start);
                end = end.max(span.end);
            }
            errors += u32::from(span.is_error());
            let next = d.saturating_add(1);
            stack.extend(children.get(s.get()).iter().rev().map(|&c| (c, next)));
        }
        self.start = if start == u64::MAX { 0 } else { start };
        self.end = end;
        self.spans = order.len() as u32 - first;
        self.errors = errors;
        self.root = roots.first().copied().unwrap_or_default();
        self.rows = first..order.len() as u32;
    }
}

/// Each link's source span and what its target resolves to.
fn resolve_links(
    data: &Dataset,
    by_id: &IdMap,
    by_trace: &FxHashMap<TraceId, TraceIdx>,
) -> (Vec<SpanIdx>, Vec<LinkTarget>) {
    debug_assert!(data.links_tiled());
    // The links are tiled span after span (`Dataset::tile_links`), so walking the spans' slices in
    // order visits every link once, in index order: each gets its real source, never a placeholder.
    let mut link_source = Vec::with_capacity(data.links.len());
    let mut link_target = Vec::with_capacity(data.links.len());
    for (i, span) in data.spans.iter().enumerate() {
        for link in data.links_of(span.links) {
            link_source.push(SpanIdx(i as u32));
            link_target.push(resolve_link(data, by_id, by_trace, link));
        }
    }
    (link_source, link_target)
}

fn resolve_link(
    data: &Dataset,
    by_id: &IdMap,
    by_trace: &FxHashMap<TraceId, TraceIdx>,
    link: &Link,
) -> LinkTarget {
    if link.kind == LinkKind::Pointer {
        LinkTarget::Pointer
    } else if let Some(t) = by_id.get(&data.spans, link.trace_id, link.span_id) {
        LinkTarget::Span(t)
    } else {
        LinkTarget::Missing { trace: by_trace.get(&link.trace_id).copied() }
    }
}

fn group_traces(spans: &[Span]) -> (Vec<(TraceId, u64)>, Vec<u32>) {
    let mut ids: FxHashMap<TraceId, u32> = FxHashMap::default();
    let mut traces: Vec<(TraceId, u64)> = Vec::new();
    let span_trace = spans
        .iter()
        .map(|s| {
            let t = *ids.entry(s.trace_id).or_insert_with(|| {
                traces.push((s.trace_id, u64::MAX));
                traces.len() as u32 - 1
            });
            if !s.has_flag(crate::model::span_flags::UNTIMED) {
                let slot = &mut traces[t as usize].1;
                *slot = (*slot).min(s.start);
            }
            t
        })
        .collect();
    (traces, span_trace)
}

/// Maps ids to spans and each span to its parent. A Zipkin shared (server) half takes over its id
/// for lookups, so children nest under it, and gets its client twin as parent.
fn resolve_parents(spans: &[Span]) -> (IdMap, Vec<u32>, Vec<u8>, Groups) {
    let n = spans.len();
    let mut by_id = IdMap::with_capacity(n);
    let mut parent = vec![NO_PARENT; n];
    let mut flags = vec![0u8; n];
    let mut twin = vec![NO_PARENT; n];
    // Ids seen more than once, with every span that carries them (duplicates are rare).
    let mut groups = Groups::default();
    for (i, s) in spans.iter().enumerate() {
        let key = (s.trace_id, s.span_id);
        if let Some(first) = by_id.insert_new(spans, i as u32) {
            groups.entry(key).or_insert_with(|| vec![first.0]).push(i as u32);
        }
    }
    for members in groups.values() {
        let roles = Roles::of(spans, members);
        if roles.answerer != members[0] {
            by_id.replace(spans, roles.answerer);
        }
        for &m in members {
            if let Some(client) = roles.twin(spans, m) {
                twin[m as usize] = client;
            } else if roles.is_duplicate(spans, m) {
                flags[m as usize] |= index_flags::DUPLICATE_ID;
            }
        }
    }
    for i in 0..n {
        let twin_of = |s: u32| Some(twin[s as usize]).filter(|&t| t != NO_PARENT);
        match parent_ref(spans, &by_id, i as u32, twin_of) {
            ParentRef::Root => {}
            ParentRef::Parent(p) => parent[i] = p,
            ParentRef::CycleCut => flags[i] |= index_flags::CYCLE_CUT,
            ParentRef::Orphan => flags[i] |= index_flags::ORPHAN,
        }
    }
    (by_id, parent, flags, groups)
}

/// Where a span's parent link goes before cycles are looked for.
enum ParentRef {
    Root,
    Parent(u32),
    /// It names itself (or its own server twin) as parent: shown as a root, flagged.
    CycleCut,
    /// Its parent id is not loaded: shown as a root, flagged.
    Orphan,
}

/// Span `i`'s parent: the client a shared half nests under (`twin_of`), else the span its parent
/// id answers to.
fn parent_ref(spans: &[Span], by_id: &IdMap, i: u32, twin_of: impl Fn(u32) -> Option<u32>) -> ParentRef {
    if let Some(client) = twin_of(i) {
        return ParentRef::Parent(client);
    }
    let s = &spans[i as usize];
    if s.parent_id.is_zero() {
        return ParentRef::Root;
    }
    match by_id.get(spans, s.trace_id, s.parent_id) {
        Some(p) if p.0 == i => ParentRef::CycleCut,
        // A client whose parent id is its own shared id would point at its server twin: that is
        // the same pair backwards, so treat it as a root.
        Some(p) if twin_of(p.0) == Some(i) => ParentRef::CycleCut,
        Some(p) => ParentRef::Parent(p.0),
        None => ParentRef::Orphan,
    }
}

/// Spans sharing one id, by (trace, span id), each group in load order.
type Groups = FxHashMap<(TraceId, SpanId), Vec<u32>>;

/// What each span of a group sharing one id is. A Zipkin shared pair (or a client with several
/// server halves): the servers nest under the client, and the first server answers for the id so
/// children nest under it. Otherwise the first span answers and the others are duplicates.
struct Roles {
    answerer: u32,
    /// The client the group's shared (server) halves nest under, when there is one.
    client: Option<u32>,
}

impl Roles {
    fn of(spans: &[Span], members: &[u32]) -> Self {
        use crate::model::span_flags::SHARED;
        let client = members.iter().copied().find(|&m| !spans[m as usize].has_flag(SHARED));
        let server = members.iter().copied().find(|&m| spans[m as usize].has_flag(SHARED));
        match (client, server) {
            (Some(client), Some(server)) => Self { answerer: server, client: Some(client) },
            _ => Self { answerer: members[0], client: None },
        }
    }

    /// The client that shared half `m` nests under, if `m` is one.
    fn twin(&self, spans: &[Span], m: u32) -> Option<u32> {
        self.client.filter(|_| spans[m as usize].has_flag(crate::model::span_flags::SHARED))
    }

    fn is_duplicate(&self, spans: &[Span], m: u32) -> bool {
        match self.client {
            Some(client) => m != client && self.twin(spans, m).is_none(),
            None => m != self.answerer,
        }
    }
}

/// Cuts every parent cycle so each span reaches a root. Each span is walked once: states are
/// 0 = unseen, 1 = on the current path, 2 = known to reach a root.
fn break_cycles(parent: &mut [u32], flags: &mut [u8]) {
    let mut state = vec![0u8; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        let mut cur = start as u32;
        while cur != NO_PARENT && state[cur as usize] == 0 {
            state[cur as usize] = 1;
            path.push(cur);
            let p = parent[cur as usize];
            if p != NO_PARENT && state[p as usize] == 1 {
                parent[cur as usize] = NO_PARENT;
                flags[cur as usize] |= index_flags::CYCLE_CUT;
                break;
            }
            cur = p;
        }
        for s in path.drain(..) {
            state[s as usize] = 2;
        }
    }
}

#[cfg(test)]
mod tests;
