//! `Index` → the set of traces reachable from one trace through span links in either direction,
//! as a breadth-first tree (each trace once, under the trace it was first reached from). Shared by
//! `weft export --linked`, `weft links --graph` and the explorer's linked-traces view.
//!
//! Linear in the traces and trace-to-trace pairs it visits; cycles are visited once because a
//! trace is marked when first reached.

use super::{Index, TraceIdx};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// One trace of the linked set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowNode {
    pub trace: TraceIdx,
    /// Link hops from the root trace (the root is 0).
    pub depth: u32,
    /// The trace it was first reached from (`None` for the root).
    pub parent: Option<TraceIdx>,
    /// Links from this trace's spans into its parent trace.
    pub to_parent: u32,
    /// Links from the parent trace's spans into this trace.
    pub from_parent: u32,
}

/// The breadth-first tree of linked traces from `root`, in visiting order (the root first,
/// then depth 1 by trace index, …). With `max_depth`, traces deeper than it are not listed
/// but counted in `beyond`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub nodes: Vec<FlowNode>,
    /// Traces reachable only through more than `max_depth` hops.
    pub beyond: usize,
}

impl Flow {
    pub fn build(index: &Index, root: TraceIdx, max_depth: Option<u32>) -> Self {
        let mut nodes = Vec::new();
        let mut beyond = 0usize;
        if root.get() >= index.traces().len() {
            return Self { nodes, beyond };
        }
        let mut seen: FxHashMap<TraceIdx, ()> = FxHashMap::default();
        let mut queue = VecDeque::new();
        seen.insert(root, ());
        queue.push_back(FlowNode { trace: root, depth: 0, parent: None, to_parent: 0, from_parent: 0 });
        while let Some(node) = queue.pop_front() {
            if max_depth.is_some_and(|m| node.depth > m) {
                beyond += 1;
            } else {
                nodes.push(node);
            }
            for tl in index.linked_traces(node.trace) {
                if seen.insert(tl.other, ()).is_none() {
                    queue.push_back(FlowNode {
                        trace: tl.other,
                        depth: node.depth.saturating_add(1),
                        parent: Some(node.trace),
                        // `tl` is seen from `node`: its `out` are links from node into `other`.
                        to_parent: tl.r#in,
                        from_parent: tl.out,
                    });
                }
            }
        }
        Self { nodes, beyond }
    }

    /// Just the traces, in visiting order.
    pub fn traces(&self) -> impl Iterator<Item = TraceIdx> + '_ {
        self.nodes.iter().map(|n| n.trace)
    }

    /// Every directed trace-to-trace edge between listed traces: (from, to, links from → to),
    /// sorted by (from, to) in visiting order.
    pub fn edges(&self, index: &Index) -> Vec<(TraceIdx, TraceIdx, u32)> {
        let pos: FxHashMap<TraceIdx, usize> =
            self.nodes.iter().enumerate().map(|(i, n)| (n.trace, i)).collect();
        let mut edges = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let mut out: Vec<(usize, TraceIdx, u32)> = index
                .linked_traces(n.trace)
                .filter(|tl| tl.out > 0)
                .filter_map(|tl| pos.get(&tl.other).map(|&j| (j, tl.other, tl.out)))
                .collect();
            out.sort_unstable();
            edges.extend(out.into_iter().map(|(_, to, links)| (self.nodes[i].trace, to, links)));
        }
        edges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dataset, Link, LinkKind, Slice, Span, SpanId, TraceId};

    /// Traces 1..=5: 1 → 2 (two links), 3 → 1, 2 → 4, 4 → 1 (a cycle), 4 → 5; 6 is unlinked.
    fn index() -> Index {
        let mut ds = Dataset::new();
        let n = ds.intern("n");
        let link = |t: u128| Link {
            trace_id: TraceId(t),
            span_id: SpanId(t as u64),
            trace_state: None,
            flags: 0,
            kind: LinkKind::Link,
            attrs: Slice::default(),
        };
        let links: [&[u128]; 6] = [&[2, 2], &[4], &[1], &[1, 5], &[], &[]];
        for (i, targets) in links.iter().enumerate() {
            let t = i as u128 + 1;
            let mut s =
                Span::new(TraceId(t), SpanId(t as u64), SpanId(0), t as u64 * 10, t as u64 * 10 + 5, n, n);
            let ls: Vec<Link> = targets.iter().map(|&x| link(x)).collect();
            s.links = ds.add_links(&ls);
            ds.spans.push(s);
        }
        Index::build(ds)
    }

    fn id(index: &Index, t: TraceIdx) -> u128 {
        index.trace(t).id.0
    }

    #[test]
    fn breadth_first_each_trace_once_with_link_counts_to_the_parent() {
        let index = index();
        let root = index.find_trace(TraceId(1)).unwrap();
        let flow = Flow::build(&index, root, None);
        let got: Vec<(u128, u32, Option<u128>, u32, u32)> = flow
            .nodes
            .iter()
            .map(|n| {
                (id(&index, n.trace), n.depth, n.parent.map(|p| id(&index, p)), n.to_parent, n.from_parent)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 0, None, 0, 0),
                (2, 1, Some(1), 0, 2),
                (3, 1, Some(1), 1, 0),
                (4, 1, Some(1), 1, 0),
                (5, 2, Some(4), 0, 1),
            ]
        );
        assert_eq!(flow.beyond, 0);
        let edges: Vec<(u128, u128, u32)> =
            flow.edges(&index).into_iter().map(|(a, b, n)| (id(&index, a), id(&index, b), n)).collect();
        assert_eq!(edges, vec![(1, 2, 2), (2, 4, 1), (3, 1, 1), (4, 1, 1), (4, 5, 1)]);
    }

    #[test]
    fn depth_limit_counts_what_lies_beyond() {
        let index = index();
        let root = index.find_trace(TraceId(5)).unwrap();
        let flow = Flow::build(&index, root, Some(1));
        let ids: Vec<u128> = flow.traces().map(|t| id(&index, t)).collect();
        assert_eq!(ids, vec![5, 4]);
        assert_eq!(flow.beyond, 3);
        let unlinked = index.find_trace(TraceId(6)).unwrap();
        assert_eq!(Flow::build(&index, unlinked, None).nodes.len(), 1);
        assert!(Flow::build(&index, TraceIdx(99), None).nodes.is_empty());
    }
}
