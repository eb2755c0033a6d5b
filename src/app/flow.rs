//! The linked-traces view's rows: `index::flow::Flow` from the open trace, laid out as a tree
//! (depth-first, children in visiting order) with its box-drawing prefixes and start offsets,
//! computed once in `App::update` when the view opens so drawing only reads them.

use crate::index::diff::signed_delta;
use crate::index::flow::Flow;
use crate::index::{Index, TraceIdx};
use rustc_hash::FxHashMap;

/// Link hops shown from the current trace; traces further away are counted, not listed.
pub const MAX_FLOW_DEPTH: u32 = 4;

/// One trace of the view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowRow {
    pub trace: TraceIdx,
    pub depth: u32,
    /// `├─ `, `│  └─ `…: the tree lines left of the label (empty for the root).
    pub prefix: String,
    /// Links from this trace into the row it hangs from (↗) and from that row into it (↙).
    pub to_parent: u32,
    pub from_parent: u32,
    /// Start relative to the current trace's start (negative: it began earlier).
    pub offset_ns: i64,
}

/// The view's state: rows, what lies beyond the depth limit, selection and scroll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowView {
    pub root: TraceIdx,
    pub rows: Vec<FlowRow>,
    /// Traces reachable only through more than `MAX_FLOW_DEPTH` hops.
    pub beyond: usize,
    pub sel: usize,
    pub scroll: usize,
}

impl FlowView {
    pub fn build(index: &Index, root: TraceIdx) -> Self {
        let flow = Flow::build(index, root, Some(MAX_FLOW_DEPTH));
        let mut children: FxHashMap<TraceIdx, Vec<usize>> = FxHashMap::default();
        for (i, n) in flow.nodes.iter().enumerate() {
            if let Some(p) = n.parent {
                children.entry(p).or_default().push(i);
            }
        }
        let root_start = index.trace(root).start;
        let mut rows = Vec::with_capacity(flow.nodes.len());
        // (node, the tree lines of its ancestors, whether it is its parent's last child).
        let mut stack: Vec<(usize, String, bool)> = Vec::new();
        if !flow.nodes.is_empty() {
            stack.push((0, String::new(), true));
        }
        while let Some((i, lead, last)) = stack.pop() {
            let Some(n) = flow.nodes.get(i) else { continue };
            let prefix = if n.parent.is_none() {
                String::new()
            } else {
                format!("{lead}{}", if last { "└─ " } else { "├─ " })
            };
            let offset_ns = signed_delta(root_start, index.trace(n.trace).start);
            rows.push(FlowRow {
                trace: n.trace,
                depth: n.depth,
                prefix,
                to_parent: n.to_parent,
                from_parent: n.from_parent,
                offset_ns,
            });
            let child_lead = if n.parent.is_none() {
                String::new()
            } else {
                format!("{lead}{}", if last { "   " } else { "│  " })
            };
            if let Some(c) = children.get(&n.trace) {
                let count = c.len();
                for (k, &ci) in c.iter().enumerate().rev() {
                    stack.push((ci, child_lead.clone(), k + 1 == count));
                }
            }
        }
        Self { root, rows, beyond: flow.beyond, sel: 0, scroll: 0 }
    }

    pub fn selected(&self) -> Option<TraceIdx> {
        self.rows.get(self.sel).map(|r| r.trace)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::app::OpenAt;
    use crate::app::action::Action;
    use crate::app::keymap::{Context, key_for};
    use crate::app::{App, Overlay};
    use crate::model::{Dataset, Link, LinkKind, Slice, Span, SpanId, TraceId};

    /// One bundled sample, indexed.
    pub(crate) fn sample(name: &str) -> Index {
        let (_, bytes) =
            crate::samples::embedded().into_iter().find(|(n, _)| *n == name).expect("sample exists");
        Index::build(crate::load::load_bytes(bytes.to_vec(), name, None).expect("sample loads"))
    }

    pub(crate) fn trace_by_root(index: &Index, service: &str) -> TraceIdx {
        let i = index
            .traces()
            .iter()
            .position(|t| index.service(t.root) == service)
            .expect("trace with that root");
        TraceIdx(i as u32)
    }

    fn press(app: &mut App<'_>, ctx: Context, action: Action) {
        app.handle_key(key_for(ctx, action).expect("bound"));
    }

    fn open(app: &App<'_>) -> TraceIdx {
        app.trace_view().expect("a trace is open").trace
    }

    fn flow<'b>(app: &'b App<'_>) -> &'b FlowView {
        match &app.overlay {
            Overlay::Flow(fv) => fv,
            other => panic!("linked traces not open: {other:?}"),
        }
    }

    fn select(app: &mut App<'_>, t: TraceIdx) {
        let i = flow(app).rows.iter().position(|r| r.trace == t).expect("row for trace");
        press(app, Context::Move, Action::SelectFirst);
        for _ in 0..i {
            press(app, Context::Move, Action::SelectNext);
        }
        assert_eq!(flow(app).selected(), Some(t));
    }

    #[test]
    fn walks_the_linked_set_and_back_through_history() {
        let index = sample("scatter-gather.otlp.json");
        let gather = trace_by_root(&index, "checkout");
        let shard1 = trace_by_root(&index, "inventory-shard-1");
        let shard3 = trace_by_root(&index, "inventory-shard-3");
        let mut app = App::new(&index, OpenAt { trace: Some(gather), span: None });
        press(&mut app, Context::Move, Action::SelectNext);
        let selected_in_gather = app.trace_view().unwrap().selected;

        press(&mut app, Context::Trace, Action::ShowLinkedTraces);
        let fv = flow(&app);
        assert_eq!(fv.rows.len(), 5);
        assert_eq!((fv.rows[0].trace, fv.rows[0].depth), (gather, 0));
        assert!(fv.rows[1..].iter().all(|r| r.depth == 1 && r.to_parent == 1 && r.from_parent == 1));
        // Shards start after the gather that sent their requests.
        assert!(fv.rows[1..].iter().all(|r| r.offset_ns > 0));

        select(&mut app, shard1);
        press(&mut app, Context::Flow, Action::OpenTrace);
        assert_eq!(open(&app), shard1);
        assert_eq!(app.overlay, Overlay::None);

        // From the shard, the gather is one hop up and the other shards two.
        press(&mut app, Context::Trace, Action::ShowLinkedTraces);
        let fv = flow(&app);
        assert_eq!(fv.root, shard1);
        assert_eq!((fv.rows[1].trace, fv.rows[1].depth), (gather, 1));
        assert!(fv.rows[1].offset_ns < 0);
        assert_eq!(fv.rows.iter().filter(|r| r.depth == 2).count(), 3);
        select(&mut app, shard3);
        press(&mut app, Context::Flow, Action::OpenTrace);
        assert_eq!(open(&app), shard3);

        press(&mut app, Context::Global, Action::GoBack);
        assert_eq!(open(&app), shard1);
        press(&mut app, Context::Global, Action::GoBack);
        assert_eq!(open(&app), gather);
        assert_eq!(app.trace_view().unwrap().selected, selected_in_gather);
        press(&mut app, Context::Global, Action::GoForward);
        assert_eq!(open(&app), shard1);

        // `y` on a row copies that trace's id and its root span's id.
        press(&mut app, Context::Trace, Action::ShowLinkedTraces);
        select(&mut app, gather);
        press(&mut app, Context::Flow, Action::CopyIds);
        let root = index.span(index.trace(gather).root);
        assert_eq!(crate::app::tests::copied(&app), Some(format!("{} {}", root.trace_id, root.span_id)));
        assert!(matches!(app.overlay, Overlay::Flow(_)), "copying keeps the view open");
    }

    #[test]
    fn enter_on_the_current_trace_and_esc_only_close_the_view() {
        let index = sample("scatter-gather.otlp.json");
        let gather = trace_by_root(&index, "checkout");
        let mut app = App::new(&index, OpenAt { trace: Some(gather), span: None });
        press(&mut app, Context::Trace, Action::ShowLinkedTraces);
        press(&mut app, Context::Flow, Action::OpenTrace);
        assert_eq!((open(&app), &app.overlay), (gather, &Overlay::None));
        press(&mut app, Context::Trace, Action::ShowLinkedTraces);
        press(&mut app, Context::Global, Action::GoUp);
        assert_eq!((open(&app), &app.overlay), (gather, &Overlay::None));
        press(&mut app, Context::Global, Action::GoBack);
        assert!(app.status.is_some(), "nothing was recorded, so there is nothing to go back to");
    }

    /// Traces 1..=n: `links[i]` lists the traces trace i+1 links to.
    pub(crate) fn chain(links: &[&[u128]]) -> Index {
        let mut ds = Dataset::new();
        let n = ds.intern("n");
        for (i, targets) in links.iter().enumerate() {
            let t = i as u128 + 1;
            let mut s =
                Span::new(TraceId(t), SpanId(t as u64), SpanId(0), t as u64 * 100, t as u64 * 100 + 50, n, n);
            let ls: Vec<Link> = targets
                .iter()
                .map(|&x| Link {
                    trace_id: TraceId(x),
                    span_id: SpanId(x as u64),
                    trace_state: None,
                    flags: 0,
                    kind: LinkKind::Link,
                    attrs: Slice::default(),
                })
                .collect();
            s.links = ds.add_links(&ls);
            ds.spans.push(s);
        }
        Index::build(ds)
    }

    #[test]
    fn depth_limited_tree_with_cycles_once_and_tree_lines() {
        // 1 → 2 → 3 → 4 → 5 → 6 → 7 → 1 (a cycle), and 1 → 8 → 9.
        let index = chain(&[&[2, 8], &[3], &[4], &[5], &[6], &[7], &[1], &[9], &[]]);
        let fv = FlowView::build(&index, TraceIdx(0));
        let got: Vec<(u128, u32, &str)> =
            fv.rows.iter().map(|r| (index.trace(r.trace).id.0, r.depth, r.prefix.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (1, 0, ""),
                (2, 1, "├─ "),
                (3, 2, "│  └─ "),
                (4, 3, "│     └─ "),
                (7, 1, "├─ "),
                (6, 2, "│  └─ "),
                (5, 3, "│     └─ "),
                (8, 1, "└─ "),
                (9, 2, "   └─ "),
            ]
        );
        assert_eq!(fv.beyond, 0);
        assert_eq!(fv.rows[4].to_parent, 1, "7 links to 1");
        assert_eq!(fv.rows[1].from_parent, 1, "1 links to 2");

        // A straight chain longer than the limit: 1 → 2 → … → 8.
        let index = chain(&[&[2], &[3], &[4], &[5], &[6], &[7], &[8], &[]]);
        let fv = FlowView::build(&index, TraceIdx(0));
        assert_eq!(fv.rows.len(), MAX_FLOW_DEPTH as usize + 1);
        assert_eq!(fv.beyond, 7 - MAX_FLOW_DEPTH as usize);
        assert_eq!(fv.rows[4].offset_ns, 400);
    }
}
