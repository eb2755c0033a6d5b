//! `Index::extend`: the index grows by a batch of spans (a receiver's request, a followed file's
//! new lines, a fetched trace) in time proportional to the batch and the traces it touches, never
//! by a rebuild of everything loaded.
//!
//! The answers are the build's: a span's parent, children, depth and flags, each link's target
//! and the backlinks, the trace summaries and linked traces come out as `Index::build` over all
//! the spans would give them (tested against it), with two differences a live view wants: traces
//! new in a batch are numbered after the old ones, in arrival order (so indices held by views
//! stay valid), and a parent cycle closed by a later batch is cut where it closes.
//!
//! What the batch cannot resolve waits in `Waiting`, by the ids it names: orphans for their
//! parent, links for their target span or trace. It is made from the index on the first extend,
//! so a one-shot load never pays for it.

use super::{
    Index, LinkIdx, LinkTarget, Lists, NO_PARENT, ParentRef, Roles, SpanIdx, TraceIdx, TraceInfo,
    TraceLinkSlot, index_flags, parent_ref, resolve_link,
};
use crate::model::{Dataset, SpanId, TraceId, span_flags};
use rustc_hash::FxHashMap;

/// What a batch changed, for the views to follow.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Growth {
    /// Traces the batch started, numbered after the existing ones in arrival order.
    pub new_traces: std::ops::Range<u32>,
    /// Traces that gained spans (new ones included): their waterfalls were laid out again.
    pub touched: Vec<TraceIdx>,
    /// Earlier links whose target span arrived in this batch.
    pub bound_links: usize,
}

/// What waits for spans or traces that are not loaded yet.
#[derive(Debug, Default)]
pub(super) struct Waiting {
    /// Orphans, by the (trace, parent id) they name.
    children: FxHashMap<(TraceId, SpanId), Vec<u32>>,
    /// Unresolved links, by their target's ids.
    links: FxHashMap<(TraceId, SpanId), Vec<u32>>,
    /// Unresolved links whose target trace is not loaded either.
    traces: FxHashMap<TraceId, Vec<u32>>,
}

impl Waiting {
    fn of(index: &Index) -> Self {
        let mut waiting = Self::default();
        for (i, s) in index.data.spans.iter().enumerate() {
            if index.flags[i] & index_flags::ORPHAN != 0 {
                waiting.children.entry((s.trace_id, s.parent_id)).or_default().push(i as u32);
            }
        }
        for (l, target) in index.link_target.iter().enumerate() {
            if let LinkTarget::Missing { trace } = target {
                waiting.link(&index.data, l as u32, trace.is_none());
            }
        }
        waiting
    }

    fn link(&mut self, data: &Dataset, l: u32, trace_missing: bool) {
        let link = &data.links[l as usize];
        self.links.entry((link.trace_id, link.span_id)).or_default().push(l);
        if trace_missing {
            self.traces.entry(link.trace_id).or_default().push(l);
        }
    }
}

/// Dead rows past which `order` is laid out again: re-laid traces leave their old rows behind.
const DEAD_ROWS_SLACK: usize = 4096;

impl Index {
    /// Adds a batch of spans: new traces go after the existing ones, touched traces are laid out
    /// again, and links on either side bind as their targets arrive. Spans already loaded keep
    /// their `SpanIdx`, traces their `TraceIdx`, links their `LinkIdx`.
    pub fn extend(&mut self, mut batch: Dataset) -> Growth {
        batch.tile_links();
        let first_span = self.data.spans.len();
        let first_trace = self.traces.len();
        let first_log = self.data.logs.len();
        let mut waiting = self.waiting.take().unwrap_or_else(|| Box::new(Waiting::of(self)));
        self.data.append(batch);
        let n = self.data.spans.len();
        self.parent.resize(n, NO_PARENT);
        self.flags.resize(n, 0);
        self.depth.resize(n, 0);
        let mut growth = Growth::default();

        // Traces and ids. A span whose id is taken joins that id's group, settled below.
        let mut regroup = Vec::new();
        for i in first_span..n {
            let trace_id = self.data.spans[i].trace_id;
            let t = match self.by_trace.get(&trace_id) {
                Some(&t) => t,
                None => self.add_trace(trace_id, &mut waiting),
            };
            self.span_trace.push(t);
            if let Some(first) = self.by_id.insert_new(&self.data.spans, i as u32) {
                let s = &self.data.spans[i];
                let key = (s.trace_id, s.span_id);
                self.groups.entry(key).or_insert_with(|| vec![first.0]).push(i as u32);
                regroup.push(key);
            }
        }
        regroup.sort_unstable();
        regroup.dedup();
        for key in regroup {
            self.regroup(key);
        }

        // Parents of the new spans (shared halves already nest under their client).
        for i in first_span as u32..n as u32 {
            if self.parent[i as usize] != NO_PARENT {
                continue;
            }
            match parent_ref(&self.data.spans, &self.by_id, i, |s| self.twin_of(s)) {
                ParentRef::Root => {}
                ParentRef::Parent(p) => self.attach(i, p),
                ParentRef::CycleCut => self.flags[i as usize] |= index_flags::CYCLE_CUT,
                ParentRef::Orphan => {
                    self.flags[i as usize] |= index_flags::ORPHAN;
                    let s = &self.data.spans[i as usize];
                    waiting.children.entry((s.trace_id, s.parent_id)).or_default().push(i);
                }
            }
        }

        // What was waiting for the new spans: orphans for their parent, links for their target.
        for i in first_span as u32..n as u32 {
            let s = &self.data.spans[i as usize];
            let key = (s.trace_id, s.span_id);
            if self.by_id.get(&self.data.spans, key.0, key.1) != Some(SpanIdx(i)) {
                continue;
            }
            for o in waiting.children.remove(&key).unwrap_or_default() {
                // Skip an orphan that found its place another way (a shared half's client).
                if self.flags[o as usize] & index_flags::ORPHAN != 0 && self.parent[o as usize] == NO_PARENT {
                    self.flags[o as usize] &= !index_flags::ORPHAN;
                    self.attach(o, i);
                }
            }
            for l in waiting.links.remove(&key).unwrap_or_default() {
                // The target's trace is loaded now, so the trace counts already include the link.
                self.link_target[l as usize] = LinkTarget::Span(SpanIdx(i));
                self.add_backlink(SpanIdx(i), LinkIdx(l));
                growth.bound_links += 1;
            }
        }

        // The new spans' own links.
        for i in first_span..n {
            let from = self.span_trace[i];
            for l in self.data.spans[i].links.range() {
                debug_assert_eq!(l, self.link_source.len(), "links are tiled");
                self.link_source.push(SpanIdx(i as u32));
                let target = resolve_link(&self.data, &self.by_id, &self.by_trace, &self.data.links[l]);
                self.link_target.push(target);
                self.traces[from.get()].links_out += 1;
                let to = match target {
                    LinkTarget::Span(s) => {
                        self.add_backlink(s, LinkIdx(l as u32));
                        Some(self.span_trace[s.get()])
                    }
                    LinkTarget::Missing { trace } => {
                        waiting.link(&self.data, l as u32, trace.is_none());
                        trace
                    }
                    LinkTarget::Pointer => None,
                };
                if let Some(to) = to {
                    self.count_link_in(from, to);
                }
            }
        }

        // Waterfalls of the traces that gained spans.
        let mut by_trace: Vec<(TraceIdx, SpanIdx)> =
            (first_span..n).map(|i| (self.span_trace[i], SpanIdx(i as u32))).collect();
        by_trace.sort_unstable();
        for group in by_trace.chunk_by(|a, b| a.0 == b.0) {
            let t = group[0].0;
            self.lay_out(t, group.iter().map(|&(_, s)| s));
            growth.touched.push(t);
        }
        self.attach_new_logs(first_log);
        self.compact_if_wasteful();
        growth.new_traces = first_trace as u32..self.traces.len() as u32;
        self.waiting = Some(waiting);
        growth
    }

    fn add_trace(&mut self, id: TraceId, waiting: &mut Waiting) -> TraceIdx {
        let t = TraceIdx(self.traces.len() as u32);
        self.traces.push(TraceInfo::empty(id));
        self.by_trace.insert(id, t);
        // Links into this trace were counted nowhere while it was not loaded.
        for l in waiting.traces.remove(&id).unwrap_or_default() {
            if self.link_target[l as usize] == (LinkTarget::Missing { trace: None }) {
                self.link_target[l as usize] = LinkTarget::Missing { trace: Some(t) };
                let from = self.span_trace[self.link_source[l as usize].get()];
                self.count_link_in(from, t);
            }
        }
        t
    }

    /// The client a shared half nests under, if `s` is one and its client is loaded.
    fn twin_of(&self, s: u32) -> Option<u32> {
        let span = &self.data.spans[s as usize];
        if !span.has_flag(span_flags::SHARED) {
            return None;
        }
        let members = self.groups.get(&(span.trace_id, span.span_id))?;
        Roles::of(&self.data.spans, members).twin(&self.data.spans, s)
    }

    /// Applies the build's rules to a group of spans sharing one id after it grew: which span
    /// answers for the id (children and backlinks follow it), which nest as shared halves, which
    /// are duplicates.
    fn regroup(&mut self, key: (TraceId, SpanId)) {
        let members = self.groups.get(&key).cloned().unwrap_or_default();
        let spans = &self.data.spans;
        let roles = Roles::of(spans, &members);
        let old = self.by_id.get(spans, key.0, key.1).map_or(roles.answerer, |s| s.0);
        if roles.answerer != old {
            self.by_id.replace(&self.data.spans, roles.answerer);
            let by_id: Vec<u32> = (self.children.get(old as usize).iter())
                .map(|c| c.0)
                .filter(|&c| self.data.spans[c as usize].parent_id == key.1 && self.twin_of(c).is_none())
                .collect();
            for c in by_id {
                self.attach(c, roles.answerer);
            }
            let backlinks = self.links_in.get(old as usize).to_vec();
            for &l in backlinks.iter().rev() {
                self.links_in.remove(old as usize, self.links_in.get(old as usize).len() - 1);
                self.link_target[l.get()] = LinkTarget::Span(SpanIdx(roles.answerer));
                self.add_backlink(SpanIdx(roles.answerer), l);
            }
        }
        for &m in &members {
            self.flags[m as usize] &= !index_flags::DUPLICATE_ID;
            if let Some(client) = roles.twin(&self.data.spans, m) {
                self.flags[m as usize] &= !(index_flags::ORPHAN | index_flags::CYCLE_CUT);
                self.attach(m, client);
            } else if roles.is_duplicate(&self.data.spans, m) {
                self.flags[m as usize] |= index_flags::DUPLICATE_ID;
            }
        }
    }

    /// Makes `p` the parent of `child`, unless that closes a cycle: then `child` stays a root,
    /// flagged as the build flags the span where it cuts one.
    fn attach(&mut self, child: u32, p: u32) {
        let mut up = p;
        while up != NO_PARENT {
            if up == child {
                self.flags[child as usize] |= index_flags::CYCLE_CUT;
                return;
            }
            up = self.parent[up as usize];
        }
        let old = self.parent[child as usize];
        if old == p {
            return;
        }
        if old != NO_PARENT
            && let Some(pos) = self.children.get(old as usize).iter().position(|c| c.0 == child)
        {
            self.children.remove(old as usize, pos);
        }
        self.parent[child as usize] = p;
        let spans = &self.data.spans;
        let key = |s: SpanIdx| (spans[s.get()].start, s.0);
        let pos = self.children.get(p as usize).partition_point(|&c| key(c) < key(SpanIdx(child)));
        self.children.insert(p as usize, pos, SpanIdx(child));
    }

    /// Backlinks stay in load (link index) order.
    fn add_backlink(&mut self, target: SpanIdx, l: LinkIdx) {
        let pos = self.links_in.get(target.get()).partition_point(|&x| x < l);
        self.links_in.insert(target.get(), pos, l);
    }

    /// Counts a link from trace `from` whose target is in (or names) trace `to`.
    fn count_link_in(&mut self, from: TraceIdx, to: TraceIdx) {
        self.traces[to.get()].links_in += 1;
        if from != to {
            bump(&mut self.trace_links, from, to, TraceLinkSlot(to.0, 1, 0));
            bump(&mut self.trace_links, to, from, TraceLinkSlot(from.0, 0, 1));
        }
    }

    /// Lays trace `t` out again with its `new` spans: O(the trace's spans).
    fn lay_out(&mut self, t: TraceIdx, new: impl Iterator<Item = SpanIdx>) {
        let old = self.traces[t.get()].rows.clone();
        let mut roots: Vec<SpanIdx> = self.order[old.start as usize..old.end as usize]
            .iter()
            .copied()
            .chain(new)
            .filter(|s| self.parent[s.get()] == NO_PARENT)
            .collect();
        let spans = &self.data.spans;
        roots.sort_unstable_by_key(|s| (spans[s.get()].start, s.0));
        let mut info = std::mem::replace(&mut self.traces[t.get()], TraceInfo::empty(TraceId(0)));
        info.walk(&self.data, &self.children, &roots, &mut self.order, &mut self.depth);
        self.traces[t.get()] = info;
    }

    /// Drops the dead rows re-laid traces and grown lists left behind, once they outweigh the
    /// live ones (so the cost is paid back by the growth that made them).
    fn compact_if_wasteful(&mut self) {
        let n = self.data.spans.len();
        if self.order.len() > 2 * n + DEAD_ROWS_SLACK {
            let mut order = Vec::with_capacity(n);
            for info in &mut self.traces {
                let first = order.len() as u32;
                order.extend_from_slice(&self.order[info.rows.start as usize..info.rows.end as usize]);
                info.rows = first..order.len() as u32;
            }
            self.order = order;
        }
        if self.children.wasteful() {
            self.children.compact(n);
        }
        if self.links_in.wasteful() {
            self.links_in.compact(n);
        }
        if self.trace_links.wasteful() {
            self.trace_links.compact(self.traces.len());
        }
        self.logs.compact_if_wasteful(n, self.traces.len());
    }
}

/// Adds one to the count `slot` stands for in `t`'s entry for `slot.0`, or inserts `slot`.
fn bump(lists: &mut Lists<TraceLinkSlot>, t: TraceIdx, other: TraceIdx, slot: TraceLinkSlot) {
    let list = lists.get_mut(t.get());
    match list.binary_search_by_key(&other.0, |s| s.0) {
        Ok(pos) => {
            list[pos].1 += slot.1;
            list[pos].2 += slot.2;
        }
        Err(pos) => lists.insert(t.get(), pos, slot),
    }
}
