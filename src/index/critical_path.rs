//! `Index` → the critical path of one trace: the chain of spans whose time the root span's
//! end waited on. Optionally it crosses outgoing links into other loaded traces (a gather
//! waiting for the slowest shard). Pure; the explorer computes it in `App::update`.
//!
//! The algorithm is the usual backward walk (Jaeger's `computeCriticalPath`): start at the
//! root's end; repeatedly pick, among the span's children, the one that finished last before
//! the current point, recurse into it, and move the point to its start; what no child covers
//! is the span's own (self) time. Children are clamped to their parent's interval so clock
//! skew cannot stretch the path, and each child is taken at most once, so the walk ends.
//!
//! Across traces: at a span with outgoing links to spans of other loaded traces that ended
//! inside the span's interval before the current point, the linked span competes with the
//! children. When it wins, the path goes into it, then up through its ancestors in its own
//! trace (what came before it there), and the span resumes from where that chain began. Each
//! trace is entered at most once (link cycles end there); links to spans that are not loaded
//! and span pointers are ignored. The walk uses an explicit stack, so deep traces cannot
//! overflow the call stack.

use super::{Index, LinkTarget, SpanIdx, TraceIdx};
use rustc_hash::FxHashSet;

/// One span on the critical path and the part of its time that is its own (not covered by the
/// next span on the path below it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathStep {
    pub span: SpanIdx,
    pub self_ns: u64,
}

/// A candidate the walk may descend into: a child, or a linked span in another trace.
#[derive(Clone, Copy, Debug)]
struct Cand {
    span: SpanIdx,
    /// Interval clamped to the frame (children) or to the frame's floor (linked spans).
    start: u64,
    end: u64,
    linked: bool,
}

/// One span being walked backward.
struct Frame {
    span: SpanIdx,
    /// The current point: time before it is still to be explained.
    t: u64,
    /// The earliest time this span may account for.
    lo: u64,
    /// Candidates, latest end first, and how far the walk has looked through them.
    cands: Vec<Cand>,
    next: usize,
    /// Where this span's step is in the output, so its self time can be filled in at the end.
    out: usize,
    /// After this frame, continue with the parent from this span's start (the upward walk
    /// through a linked trace), accounting for nothing before `floor`.
    climb: bool,
    floor: u64,
}

struct Walk<'a> {
    index: &'a Index,
    cross: bool,
    visited: FxHashSet<TraceIdx>,
    stack: Vec<Frame>,
    out: Vec<PathStep>,
}

impl Walk<'_> {
    /// Starts walking `span` backward from `t` within `[lo, hi]`; `skip` is a child already on
    /// the path (the upward walk's previous span); `climb` (with its `floor`) continues with the
    /// parent afterwards.
    fn push(&mut self, span: SpanIdx, lo: u64, hi: u64, t: u64, skip: Option<SpanIdx>, climb: Option<u64>) {
        let index = self.index;
        let hi = hi.max(lo);
        let t = t.clamp(lo, hi);
        let mut cands: Vec<Cand> = index
            .children(span)
            .iter()
            .filter(|&&c| Some(c) != skip)
            .map(|&c| {
                let sp = index.span(c);
                let start = sp.start.clamp(lo, hi);
                Cand { span: c, start, end: sp.end.clamp(start, hi), linked: false }
            })
            .collect();
        if self.cross {
            let own = index.trace_of(span);
            for l in index.links_out(span) {
                let LinkTarget::Span(target) = index.link_target(l) else { continue };
                if index.trace_of(target) == own {
                    continue;
                }
                let sp = index.span(target);
                // A span that ended before this one began was not waited on here.
                if sp.end <= lo || sp.end > hi {
                    continue;
                }
                cands.push(Cand {
                    span: target,
                    start: sp.start.clamp(lo, sp.end),
                    end: sp.end,
                    linked: true,
                });
            }
        }
        cands.sort_by(|a, b| b.end.cmp(&a.end).then(a.start.cmp(&b.start)));
        let out = self.out.len();
        self.out.push(PathStep { span, self_ns: 0 });
        let (climb, floor) = (climb.is_some(), climb.unwrap_or(lo));
        self.stack.push(Frame { span, t, lo, cands, next: 0, out, climb, floor });
    }

    fn run(&mut self) {
        while let Some(frame) = self.stack.last_mut() {
            // The latest-ending candidate that ended by the current point.
            let mut pick = None;
            while let Some(c) = frame.cands.get(frame.next).copied() {
                frame.next += 1;
                if c.end > frame.t {
                    continue;
                }
                if c.linked && self.visited.contains(&self.index.trace_of(c.span)) {
                    continue;
                }
                pick = Some(c);
                break;
            }
            let Some(c) = pick else {
                let Some(done) = self.stack.pop() else { break };
                let own = done.t.saturating_sub(done.lo);
                if let Some(step) = self.out.get_mut(done.out) {
                    step.self_ns = step.self_ns.saturating_add(own);
                }
                if done.climb
                    && let Some(parent) = self.index.parent(done.span)
                {
                    let start = done.lo;
                    let lo = self.index.span(parent).start.clamp(done.floor, start);
                    let hi = self.index.span(parent).end.max(start);
                    self.push(parent, lo, hi, start, Some(done.span), Some(done.floor));
                }
                continue;
            };
            let gap = frame.t.saturating_sub(c.end);
            if let Some(step) = self.out.get_mut(frame.out) {
                step.self_ns = step.self_ns.saturating_add(gap);
            }
            let lo = frame.lo;
            if c.linked {
                // The linked span and what led up to it in its trace cover everything back to
                // the start of its topmost ancestor (bounded by this span's floor).
                let mut top = c.span;
                while let Some(p) = self.index.parent(top) {
                    top = p;
                }
                frame.t = self.index.span(top).start.clamp(lo, c.end);
                self.visited.insert(self.index.trace_of(c.span));
                self.push(c.span, lo.max(c.start), c.end, c.end, None, Some(lo));
            } else {
                frame.t = c.start;
                self.push(c.span, c.start, c.end, c.end, None, None);
            }
        }
    }
}

/// The critical path of trace `t` from its root span, in walk order: each span comes before
/// the spans on the path inside it, latest first. With `cross`, the path may continue through
/// outgoing links into other loaded traces. The self times add up to the root's duration.
pub fn critical_path(index: &Index, t: TraceIdx, cross: bool) -> Vec<PathStep> {
    let Some(info) = index.traces().get(t.get()) else { return Vec::new() };
    let root = info.root;
    if root.get() >= index.span_count() {
        return Vec::new();
    }
    let mut walk = Walk { index, cross, visited: FxHashSet::default(), stack: Vec::new(), out: Vec::new() };
    walk.visited.insert(t);
    let sp = index.span(root);
    walk.push(root, sp.start, sp.end, sp.end, None, None);
    walk.run();
    walk.out
}

/// Sum of the self times: how long the path takes.
pub fn total(path: &[PathStep]) -> u64 {
    path.iter().fold(0u64, |acc, s| acc.saturating_add(s.self_ns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dataset, FileInfo, Format, Link, LinkKind, Slice, Span, SpanId, TraceId};

    /// (trace, id, parent, start, end, links as (trace, span)).
    type S = (u128, u64, u64, u64, u64, &'static [(u128, u64)]);

    fn index(spans: &[S]) -> Index {
        let mut ds = Dataset::new();
        ds.files.push(FileInfo::new("test", Format::OtlpJson));
        for &(t, id, parent, start, end, links) in spans {
            let name = ds.intern(&format!("op{id}"));
            let svc = ds.intern("svc");
            let links: Vec<Link> = links
                .iter()
                .map(|&(lt, ls)| Link {
                    trace_id: TraceId(lt),
                    span_id: SpanId(ls),
                    trace_state: None,
                    flags: 0,
                    kind: LinkKind::Link,
                    attrs: Slice::default(),
                })
                .collect();
            let mut span = Span::new(TraceId(t), SpanId(id), SpanId(parent), start, end, name, svc);
            span.links = ds.add_links(&links);
            ds.spans.push(span);
        }
        Index::build(ds)
    }

    /// The path as (span id, self time).
    fn ids(index: &Index, t: u128, cross: bool) -> Vec<(u64, u64)> {
        let t = index.find_trace(TraceId(t)).expect("trace loaded");
        critical_path(index, t, cross).iter().map(|s| (index.span(s.span).span_id.0, s.self_ns)).collect()
    }

    #[test]
    fn nested_spans_form_one_chain() {
        let ix = index(&[(1, 1, 0, 0, 100, &[]), (1, 2, 1, 10, 90, &[]), (1, 3, 2, 20, 50, &[])]);
        assert_eq!(ids(&ix, 1, false), vec![(1, 20), (2, 50), (3, 30)]);
    }

    #[test]
    fn parallel_children_pick_the_last_to_finish_and_then_what_ended_before_it_started() {
        // 2 and 3 overlap; 3 ends last. 4 ended before 3 started, so it is on the path too.
        let ix = index(&[
            (1, 1, 0, 0, 100, &[]),
            (1, 4, 1, 0, 20, &[]),
            (1, 2, 1, 10, 60, &[]),
            (1, 3, 1, 30, 80, &[]),
        ]);
        let path = ids(&ix, 1, false);
        assert_eq!(path, vec![(1, 20 + 10), (3, 50), (4, 20)]);
        assert!(!path.iter().any(|&(id, _)| id == 2));
        let t = ix.find_trace(TraceId(1)).expect("trace");
        assert_eq!(total(&critical_path(&ix, t, false)), 100);
    }

    #[test]
    fn skewed_children_are_clamped_to_the_parent() {
        // Child 2 starts before and ends after its parent (clock skew): clamped to 0..100.
        let ix = index(&[(1, 1, 0, 50, 100, &[]), (1, 2, 1, 10, 150, &[]), (1, 3, 2, 20, 40, &[])]);
        let path = ids(&ix, 1, false);
        // 3 lies wholly before the parent's start, so it clamps to nothing.
        assert_eq!(path[..2], [(1, 0), (2, 50)]);
        let t = ix.find_trace(TraceId(1)).expect("trace");
        assert_eq!(total(&critical_path(&ix, t, false)), 50);
    }

    #[test]
    fn zero_length_children_are_taken_once() {
        let ix = index(&[(1, 1, 0, 0, 10, &[]), (1, 2, 1, 5, 5, &[]), (1, 3, 1, 5, 5, &[])]);
        let path = ids(&ix, 1, false);
        assert_eq!(path.len(), 3);
        assert_eq!(path.iter().map(|p| p.1).sum::<u64>(), 10);
    }

    #[test]
    fn cross_trace_path_follows_the_slowest_linked_span() {
        // Trace 1: root 1 (0..100), gather 2 (10..100) links to 21 (ends 60) and 31 (ends 80).
        let ix = index(&[
            (1, 1, 0, 0, 100, &[]),
            (1, 2, 1, 10, 100, &[(2, 21), (3, 31), (9, 99)]),
            (2, 20, 0, 15, 70, &[]),
            (2, 21, 20, 50, 60, &[]),
            (3, 30, 0, 20, 85, &[(1, 2)]),
            (3, 32, 30, 22, 40, &[]),
            (3, 31, 30, 45, 80, &[]),
        ]);
        assert_eq!(ids(&ix, 1, false), vec![(1, 10), (2, 90)]);
        let path = ids(&ix, 1, true);
        // gather waits 20 after shard 3's reply; the reply (35), what came before it in shard 3
        // (32 took 18, the consume span 30's own 2 + 5) and the gather's own time before shard 3
        // began (10): a total of the root's 100. The link back from 30 to 2 is not followed.
        assert_eq!(path, vec![(1, 10), (2, 20 + 10), (31, 35), (30, 2 + 5), (32, 18)]);
        assert!(!path.iter().any(|&(id, _)| id == 21 || id == 20));
        assert_eq!(path.iter().map(|p| p.1).sum::<u64>(), 100);
    }

    #[test]
    fn link_cycles_and_links_leaving_the_data_are_ignored() {
        // 1 ↔ 2 link each other; 1 also links to a span that is not loaded.
        let ix = index(&[
            (1, 1, 0, 0, 100, &[(2, 20), (7, 70)]),
            (2, 20, 0, 10, 90, &[(1, 1)]),
            (2, 21, 20, 20, 80, &[(1, 1)]),
        ]);
        let path = ids(&ix, 1, true);
        assert_eq!(path, vec![(1, 10 + 10), (20, 10 + 10), (21, 60)]);
        // Starting from trace 2 its links lead back into 1, which ends after 2 does: not waited on.
        assert_eq!(ids(&ix, 2, true), vec![(20, 20), (21, 60)]);
    }

    #[test]
    fn the_scatter_gather_sample_waits_on_the_slowest_shard() {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("sample-traces/scatter-gather.otlp.json");
        let loaded = crate::load::load_paths(&[path], None).expect("sample loads");
        let ix = Index::build(loaded.dataset);
        let checkout = (0..ix.traces().len())
            .map(|t| TraceIdx(t as u32))
            .find(|&t| ix.service(ix.trace(t).root) == "checkout")
            .expect("checkout trace");
        let plain = critical_path(&ix, checkout, false);
        assert!(plain.iter().all(|s| ix.trace_of(s.span) == checkout));
        assert_eq!(total(&plain), ix.span(ix.trace(checkout).root).duration());
        let cross = critical_path(&ix, checkout, true);
        let gather =
            cross.iter().position(|s| ix.name(s.span) == "gather availability").expect("gather on path");
        // After the merge at its end, the gather waited on shard 3's reply.
        let next = cross[gather + 1..].iter().find(|s| ix.trace_of(s.span) != checkout).expect("crosses");
        assert_eq!(ix.service(next.span), "inventory-shard-3");
        assert_eq!(ix.name(next.span), "kafka.produce inventory.shard-replies");
        let shards: FxHashSet<&str> =
            cross.iter().map(|s| ix.service(s.span)).filter(|s| s.starts_with("inventory-shard")).collect();
        assert_eq!(shards.into_iter().collect::<Vec<_>>(), vec!["inventory-shard-3"]);
        assert!(cross.iter().any(|s| ix.trace_of(s.span) != checkout && ix.parent(s.span).is_none()));
        assert_eq!(total(&cross), ix.span(ix.trace(checkout).root).duration());
    }

    #[test]
    fn a_deep_chain_does_not_overflow_the_stack() {
        let mut spans: Vec<S> = Vec::new();
        let n = 200_000u64;
        for i in 1..=n {
            spans.push((1, i, i - 1, i, 2 * n + 10 - i, &[]));
        }
        let ix = index(&spans);
        let t = ix.find_trace(TraceId(1)).expect("trace");
        let path = critical_path(&ix, t, true);
        assert_eq!(path.len(), n as usize);
        assert_eq!(total(&path), ix.span(ix.trace(t).root).duration());
    }
}
