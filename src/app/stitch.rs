//! The stitched timeline (`T`): the open trace and the traces linked to it directly, each a
//! collapsible block of its waterfall, on one shared time axis. Built here when opened and kept
//! up to date on every key (visible rows, the selected span's link partners), so drawing only
//! slices `rows`.
//!
//! Blocks start folded down to what matters for the flow: in each trace, the spans holding a
//! link to (or from) another trace of the view and their ancestors stay open; every other
//! subtree starts collapsed, and the span that was selected in the waterfall is revealed.

use super::trace_view::{Shape, scroll_to_show};
use crate::index::{Index, LinkTarget, SpanIdx, TraceIdx};
use rustc_hash::FxHashMap;

/// Traces shown at most (the open one included); more linked traces are counted in `beyond`.
pub const MAX_BLOCKS: usize = 64;

/// One row of the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StitchRow {
    /// A trace's header: short id, root service and name, duration.
    Header { block: u32 },
    /// A span of a block, by its position in the trace's waterfall order.
    Span { block: u32, pos: u32 },
}

/// One trace of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub trace: TraceIdx,
    pub shape: Shape,
    /// The whole block is folded to its header.
    pub folded: bool,
    pub collapsed: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StitchView {
    /// The trace it was opened from.
    pub root: TraceIdx,
    /// In start order, so the blocks read top to bottom like the time axis.
    pub blocks: Vec<Block>,
    block_of: FxHashMap<TraceIdx, u32>,
    /// The visible rows, derived from the blocks' folding.
    pub rows: Vec<StitchRow>,
    pub sel: usize,
    pub scroll: usize,
    /// The shared axis: earliest start and latest end of every block.
    pub start: u64,
    pub end: u64,
    /// Idle stretches between the traces longer than a third of the axis, in time order: cut
    /// out of the drawn axis (marked on the ruler), so traces minutes apart stay readable.
    pub cuts: Vec<(u64, u64)>,
    /// Linked traces left out past `MAX_BLOCKS`.
    pub beyond: usize,
    /// Spans of the view at the other end of the selected span's links, sorted.
    pub partners: Vec<SpanIdx>,
}

/// The gaps between `intervals` (merged) longer than a third of `start..end`: nothing happens
/// in them, and on a linear axis they would squeeze every trace into a few columns.
fn idle_cuts(mut intervals: Vec<(u64, u64)>, start: u64, end: u64) -> Vec<(u64, u64)> {
    let threshold = end.saturating_sub(start) / 3;
    intervals.sort_unstable();
    let mut cuts = Vec::new();
    let mut reach: Option<u64> = None;
    for (a, b) in intervals {
        if let Some(r) = reach
            && a > r
            && a - r > threshold
        {
            cuts.push((r, a));
        }
        reach = Some(reach.map_or(b, |r| r.max(b)));
    }
    cuts
}

/// A block to build: its place in the view, its trace, and the shape if the caller had it.
type BlockJob = (usize, TraceIdx, Option<Shape>);

/// Spans across a view's blocks from which they are built on several threads.
const PARALLEL_BLOCK_SPANS: usize = 50_000;

/// The blocks of a view, in `jobs` order. Blocks are independent, so on a large view they are
/// built side by side (two 100,000-span traces: one per core).
/// `parallel_from` is the span count from which threads are used (`PARALLEL_BLOCK_SPANS`).
fn build_blocks(
    index: &Index,
    jobs: Vec<(TraceIdx, Option<Shape>)>,
    pos_of: &[u32],
    in_view: &(impl Fn(SpanIdx, TraceIdx) -> bool + Sync),
    parallel_from: usize,
) -> Vec<Block> {
    let total: usize = jobs.iter().map(|(t, _)| index.trace_spans(*t).len()).sum();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len());
    if total < parallel_from || workers < 2 {
        return jobs.into_iter().map(|(t, shape)| build_block(index, t, shape, pos_of, in_view)).collect();
    }
    let total_jobs = jobs.len();
    let order: Vec<TraceIdx> = jobs.iter().map(|(t, _)| *t).collect();
    // Largest first, each to the least loaded worker.
    let mut jobs: Vec<BlockJob> = jobs.into_iter().enumerate().map(|(i, (t, shape))| (i, t, shape)).collect();
    jobs.sort_by_key(|(_, t, _)| std::cmp::Reverse(index.trace_spans(*t).len()));
    let mut groups: Vec<(usize, Vec<BlockJob>)> = (0..workers).map(|_| (0, Vec::new())).collect();
    for job in jobs {
        if let Some(group) = groups.iter_mut().min_by_key(|(load, _)| *load) {
            group.0 += index.trace_spans(job.1).len();
            group.1.push(job);
        }
    }
    let built: Vec<(usize, Block)> = std::thread::scope(|scope| {
        let handles: Vec<_> = groups
            .into_iter()
            .map(|(_, group)| {
                scope.spawn(move || {
                    group
                        .into_iter()
                        .map(|(i, t, shape)| (i, build_block(index, t, shape, pos_of, in_view)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).flatten().collect()
    });
    let mut blocks: Vec<Option<Block>> = (0..total_jobs).map(|_| None).collect();
    for (i, block) in built {
        blocks[i] = Some(block);
    }
    // `build_block` cannot panic on any input; should a thread fail anyway, its blocks are built here.
    blocks
        .into_iter()
        .zip(order)
        .map(|(block, t)| block.unwrap_or_else(|| build_block(index, t, None, pos_of, in_view)))
        .collect()
}

/// One trace's block, folded to the spans linked to other traces of the view (and their
/// ancestors).
fn build_block(
    index: &Index,
    t: TraceIdx,
    shape: Option<Shape>,
    pos_of: &[u32],
    in_view: &impl Fn(SpanIdx, TraceIdx) -> bool,
) -> Block {
    let shape = shape.unwrap_or_else(|| Shape::build(index, t, pos_of));
    let spans = index.trace_spans(t);
    let n = spans.len();
    // keep[p]: the span or something inside it is linked to another trace of the view.
    let mut keep = vec![false; n];
    let mut inner = vec![false; n];
    for p in (0..n).rev() {
        let s = spans[p];
        let linked = index.links_out(s).any(|l| match index.link_target(l) {
            LinkTarget::Span(x) => in_view(x, t),
            _ => false,
        }) || index.links_in(s).iter().any(|&l| in_view(index.link_source(l), t));
        keep[p] |= linked;
        if keep[p]
            && let Some(parent) = index.parent(s)
            && let Some(&pp) = pos_of.get(parent.get())
            && (pp as usize) < p
        {
            keep[pp as usize] = true;
            inner[pp as usize] = true;
        }
    }
    let collapsed =
        (0..n).map(|p| shape.has_children(u32::try_from(p).unwrap_or(u32::MAX)) && !inner[p]).collect();
    Block { trace: t, shape, folded: false, collapsed }
}

impl StitchView {
    /// The view around `root`, with `selected` (a span of `root`) revealed and selected.
    /// `known_shape` gives the shapes the caller already has (the open trace's, those kept for
    /// traces left): on two 100,000-span traces, building a shape is a third of the work.
    pub fn build(
        index: &Index,
        root: TraceIdx,
        selected: SpanIdx,
        pos_of: &[u32],
        known_shape: impl Fn(TraceIdx) -> Option<Shape>,
    ) -> Self {
        let mut traces = vec![root];
        let mut beyond = 0;
        for tl in index.linked_traces(root) {
            if tl.other == root {
                continue;
            }
            if traces.len() < MAX_BLOCKS {
                traces.push(tl.other);
            } else {
                beyond += 1;
            }
        }
        traces.sort_by_key(|&t| (index.trace(t).start, t.0));
        let block_of: FxHashMap<TraceIdx, u32> =
            traces.iter().enumerate().map(|(i, &t)| (t, u32::try_from(i).unwrap_or(u32::MAX))).collect();
        let in_view = |s: SpanIdx, own: TraceIdx| {
            let t = index.trace_of(s);
            t != own && block_of.contains_key(&t)
        };
        let jobs: Vec<(TraceIdx, Option<Shape>)> = traces.iter().map(|&t| (t, known_shape(t))).collect();
        let blocks = build_blocks(index, jobs, pos_of, &in_view, PARALLEL_BLOCK_SPANS);
        let start = traces.iter().map(|&t| index.trace(t).start).min().unwrap_or(0);
        let end = traces.iter().map(|&t| index.trace(t).end).max().unwrap_or(start);
        let cuts = idle_cuts(
            traces.iter().map(|&t| (index.trace(t).start, index.trace(t).end)).collect(),
            start,
            end,
        );
        let mut view = Self {
            root,
            blocks,
            block_of,
            rows: Vec::new(),
            sel: 0,
            scroll: 0,
            start,
            end,
            cuts,
            beyond,
            partners: Vec::new(),
        };
        view.reveal(index, selected, pos_of);
        view.rebuild();
        let row = view.row_of_span(index, selected, pos_of);
        view.select(index, row.unwrap_or(StitchRow::Header { block: 0 }));
        view
    }

    pub fn block(&self, b: u32) -> Option<&Block> {
        self.blocks.get(b as usize)
    }

    /// The span a row shows (a header stands for its trace's root span).
    pub fn span_of(&self, index: &Index, row: StitchRow) -> Option<SpanIdx> {
        match row {
            StitchRow::Header { block } => {
                let root = index.trace(self.block(block)?.trace).root;
                (root.get() < index.span_count()).then_some(root)
            }
            StitchRow::Span { block, pos } => {
                index.trace_spans(self.block(block)?.trace).get(pos as usize).copied()
            }
        }
    }

    pub fn selected_row(&self) -> Option<StitchRow> {
        self.rows.get(self.sel).copied()
    }

    pub fn selected_span(&self, index: &Index) -> Option<SpanIdx> {
        self.span_of(index, self.selected_row()?)
    }

    pub fn is_partner(&self, s: SpanIdx) -> bool {
        self.partners.binary_search(&s).is_ok()
    }

    fn row_of_span(&self, index: &Index, s: SpanIdx, pos_of: &[u32]) -> Option<StitchRow> {
        let block = *self.block_of.get(&index.trace_of(s))?;
        let pos = *pos_of.get(s.get())?;
        Some(StitchRow::Span { block, pos })
    }

    /// Opens the block holding `s` and expands its ancestors.
    fn reveal(&mut self, index: &Index, s: SpanIdx, pos_of: &[u32]) {
        let Some(&b) = self.block_of.get(&index.trace_of(s)) else { return };
        let Some(block) = self.blocks.get_mut(b as usize) else { return };
        block.folded = false;
        let mut cur = s;
        while let Some(p) = index.parent(cur) {
            if let Some(c) = pos_of.get(p.get()).and_then(|&pp| block.collapsed.get_mut(pp as usize)) {
                *c = false;
            }
            cur = p;
        }
    }

    /// Recomputes `rows` from the folding: O(rows shown), run only when folding changes.
    fn rebuild(&mut self) {
        self.rows.clear();
        for (b, block) in self.blocks.iter().enumerate() {
            let block_id = u32::try_from(b).unwrap_or(u32::MAX);
            self.rows.push(StitchRow::Header { block: block_id });
            if block.folded {
                continue;
            }
            let n = block.shape.len();
            let mut p = 0usize;
            while p < n {
                let pos = u32::try_from(p).unwrap_or(u32::MAX);
                self.rows.push(StitchRow::Span { block: block_id, pos });
                let skip = block.collapsed.get(p).copied().unwrap_or(false);
                p = if skip {
                    (block.shape.end.get(p).copied().unwrap_or(0) as usize).max(p + 1)
                } else {
                    p + 1
                };
            }
        }
    }

    /// Selects `row` (or the first row when it is not shown) and refreshes the partners.
    fn select(&mut self, index: &Index, row: StitchRow) {
        self.sel = self.rows.iter().position(|&r| r == row).unwrap_or(0);
        self.refresh_partners(index);
    }

    /// Selects the row at `i` (clamped) and keeps it on screen.
    pub fn set_sel(&mut self, index: &Index, i: usize, height: usize) {
        self.sel = i.min(self.rows.len().saturating_sub(1));
        self.refresh_partners(index);
        self.follow(height);
    }

    pub fn follow(&mut self, height: usize) {
        self.scroll = scroll_to_show(self.sel, self.scroll, height, self.rows.len());
    }

    fn refresh_partners(&mut self, index: &Index) {
        self.partners.clear();
        let Some(StitchRow::Span { .. }) = self.selected_row() else { return };
        let Some(s) = self.selected_span(index) else { return };
        let shown = |x: SpanIdx| self.block_of.contains_key(&index.trace_of(x));
        for l in index.links_out(s) {
            if let LinkTarget::Span(x) = index.link_target(l)
                && shown(x)
            {
                self.partners.push(x);
            }
        }
        for &l in index.links_in(s) {
            let x = index.link_source(l);
            if shown(x) {
                self.partners.push(x);
            }
        }
        self.partners.sort_unstable();
        self.partners.dedup();
    }

    fn has_children(&self, row: StitchRow) -> bool {
        match row {
            StitchRow::Header { .. } => true,
            StitchRow::Span { block, pos } => self.block(block).is_some_and(|b| b.shape.has_children(pos)),
        }
    }

    pub fn is_collapsed(&self, row: StitchRow) -> bool {
        match row {
            StitchRow::Header { block } => self.block(block).is_some_and(|b| b.folded),
            StitchRow::Span { block, pos } => {
                self.block(block).and_then(|b| b.collapsed.get(pos as usize)).copied().unwrap_or(false)
            }
        }
    }

    fn set_collapsed(&mut self, index: &Index, row: StitchRow, collapsed: bool) {
        let collapsed = collapsed && self.has_children(row);
        match row {
            StitchRow::Header { block } => {
                if let Some(b) = self.blocks.get_mut(block as usize) {
                    b.folded = collapsed;
                }
            }
            StitchRow::Span { block, pos } => {
                if let Some(c) =
                    self.blocks.get_mut(block as usize).and_then(|b| b.collapsed.get_mut(pos as usize))
                {
                    *c = collapsed;
                }
            }
        }
        self.rebuild();
        self.select(index, row);
    }

    /// `h`/`←`: collapses the selected span or block; on one already collapsed (or a leaf),
    /// selects its parent row (a trace's root goes to the block header).
    pub fn collapse(&mut self, index: &Index, pos_of: &[u32], height: usize) {
        let Some(row) = self.selected_row() else { return };
        if self.has_children(row) && !self.is_collapsed(row) {
            self.set_collapsed(index, row, true);
        } else if let StitchRow::Span { block, .. } = row {
            let parent = self.span_of(index, row).and_then(|s| index.parent(s));
            let up = match parent.and_then(|p| pos_of.get(p.get())) {
                Some(&pos) => StitchRow::Span { block, pos },
                None => StitchRow::Header { block },
            };
            self.select(index, up);
        }
        self.follow(height);
    }

    /// `l`/`→`: expands the selected span or block, or steps into it when already open.
    pub fn expand(&mut self, index: &Index, height: usize) {
        let Some(row) = self.selected_row() else { return };
        if self.is_collapsed(row) {
            self.set_collapsed(index, row, false);
        } else if self.has_children(row) {
            let i = self.sel + 1;
            self.set_sel(index, i, height);
        }
        self.follow(height);
    }

    /// Space: collapses or expands the selected span or block.
    pub fn toggle(&mut self, index: &Index, height: usize) {
        let Some(row) = self.selected_row() else { return };
        let c = self.is_collapsed(row);
        self.set_collapsed(index, row, !c);
        self.follow(height);
    }
}

#[cfg(test)]
mod cut_tests {
    use super::idle_cuts;

    #[test]
    fn only_gaps_longer_than_a_third_of_the_axis_are_cut() {
        // 0..10 and 8..20 overlap; 20..100 is idle (80 of 130 > 1/3); 100..110, then 125..130
        // (a 15 gap, under a third) stays.
        let cuts = idle_cuts(vec![(100, 110), (0, 10), (8, 20), (125, 130)], 0, 130);
        assert_eq!(cuts, vec![(20, 100)]);
        assert!(idle_cuts(vec![(0, 10), (12, 30)], 0, 30).is_empty());
        assert_eq!(idle_cuts(vec![(0, 1), (50, 51), (99, 100)], 0, 100), vec![(1, 50), (51, 99)]);
        assert!(idle_cuts(Vec::new(), 0, 0).is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::OpenAt;
    use crate::app::action::Action;
    use crate::app::flow::tests::{sample, trace_by_root};
    use crate::app::keymap::{Context, key_for};
    use crate::app::{App, Overlay};

    fn press(app: &mut App<'_>, ctx: Context, action: Action) {
        app.handle_key(key_for(ctx, action).expect("bound"));
    }

    fn view<'b>(app: &'b App<'_>) -> &'b StitchView {
        match &app.overlay {
            Overlay::Stitch(sv) => sv,
            other => panic!("stitched timeline not open: {other:?}"),
        }
    }

    fn select_span(app: &mut App<'_>, name: &str, service: &str) -> SpanIdx {
        let index = app.index;
        press(app, Context::Move, Action::SelectFirst);
        for _ in 0..view(app).rows.len() {
            if let Some(s) = view(app).selected_span(index)
                && matches!(view(app).selected_row(), Some(StitchRow::Span { .. }))
                && index.name(s) == name
                && index.service(s) == service
            {
                return s;
            }
            press(app, Context::Move, Action::SelectNext);
        }
        panic!("no row {service}: {name}");
    }

    /// Blocks built on several threads are the blocks built on one, in the same order.
    #[test]
    fn blocks_built_in_parallel_equal_the_sequential_ones() {
        let index = sample("scatter-gather.otlp.json");
        let root = trace_by_root(&index, "checkout");
        let app = App::new(&index, OpenAt { trace: Some(root), span: None });
        let mut traces: Vec<TraceIdx> = index.linked_traces(root).map(|tl| tl.other).collect();
        traces.insert(0, root);
        assert!(traces.len() >= 3, "a view of several traces");
        let in_view = |s: SpanIdx, own: TraceIdx| {
            let t = index.trace_of(s);
            t != own && traces.contains(&t)
        };
        let jobs = || traces.iter().map(|&t| (t, None)).collect::<Vec<_>>();
        let one = build_blocks(&index, jobs(), &app.pos_of, &in_view, usize::MAX);
        let many = build_blocks(&index, jobs(), &app.pos_of, &in_view, 0);
        assert_eq!(one.iter().map(|b| b.trace).collect::<Vec<_>>(), traces);
        assert_eq!(one, many);
        assert!(one.iter().any(|b| b.collapsed.iter().any(|&c| c)), "something is folded");
    }

    #[test]
    fn blocks_shared_axis_partners_and_opening_a_span_elsewhere() {
        let index = sample("scatter-gather.otlp.json");
        let checkout = trace_by_root(&index, "checkout");
        let shard3 = trace_by_root(&index, "inventory-shard-3");
        let mut app = App::new(&index, OpenAt { trace: Some(checkout), span: None });
        press(&mut app, Context::Move, Action::SelectNext);
        let was = app.trace_view().expect("open").selected;
        press(&mut app, Context::Trace, Action::ShowStitchedTimeline);
        let sv = view(&app);
        assert_eq!(sv.blocks.len(), 5);
        assert_eq!(sv.blocks[0].trace, checkout, "the earliest trace comes first");
        let all: Vec<TraceIdx> = sv.blocks.iter().map(|b| b.trace).collect();
        assert_eq!(sv.start, all.iter().map(|&t| index.trace(t).start).min().expect("blocks"));
        assert_eq!(sv.end, all.iter().map(|&t| index.trace(t).end).max().expect("blocks"));
        // Spans with no link inside start collapsed: fewer rows than spans, but every linked
        // span is shown.
        let rows = sv.rows.len();
        assert!(rows < 5 + 85, "{rows}");
        assert_eq!(sv.rows.iter().filter(|r| matches!(r, StitchRow::Header { .. })).count(), 5);

        // The gather's partners are the four shard replies; the reply's partner is the gather.
        let gather = select_span(&mut app, "gather availability", "inventory");
        let partners: Vec<&str> = view(&app).partners.iter().map(|&s| index.service(s)).collect();
        assert_eq!(partners.len(), 4, "{partners:?}");
        assert!(partners.iter().all(|s| s.starts_with("inventory-shard-")));
        let reply = select_span(&mut app, "kafka.produce inventory.shard-replies", "inventory-shard-3");
        assert_eq!(view(&app).partners, vec![gather]);

        // Enter on the reply opens it in its own trace, recorded in history.
        press(&mut app, Context::Stitch, Action::OpenTrace);
        assert_eq!(app.overlay, Overlay::None);
        let tv = app.trace_view().expect("open");
        assert_eq!((tv.trace, tv.selected_span(&index)), (shard3, reply));
        press(&mut app, Context::Global, Action::GoBack);
        let tv = app.trace_view().expect("open");
        assert_eq!((tv.trace, tv.selected), (checkout, was));

        // h on the reply (a leaf) goes to its parent; h again collapses that, hiding the reply;
        // Space opens it again.
        press(&mut app, Context::Trace, Action::ShowStitchedTimeline);
        select_span(&mut app, "kafka.produce inventory.shard-replies", "inventory-shard-3");
        press(&mut app, Context::Stitch, Action::Collapse);
        assert_eq!(view(&app).selected_span(&index), index.parent(reply));
        let before = view(&app).rows.len();
        press(&mut app, Context::Stitch, Action::Collapse);
        assert!(view(&app).rows.len() < before);
        press(&mut app, Context::Stitch, Action::ToggleCollapse);
        assert_eq!(view(&app).rows.len(), before);
        // Up to the block's header, which folds the whole trace and unfolds again.
        for _ in 0..10 {
            if matches!(view(&app).selected_row(), Some(StitchRow::Header { .. })) {
                break;
            }
            press(&mut app, Context::Stitch, Action::Collapse);
        }
        assert!(matches!(view(&app).selected_row(), Some(StitchRow::Header { .. })));
        let open_rows = view(&app).rows.len();
        press(&mut app, Context::Stitch, Action::Collapse);
        assert!(view(&app).rows.len() < open_rows);
        press(&mut app, Context::Stitch, Action::Expand);
        assert_eq!(view(&app).rows.len(), open_rows);
        press(&mut app, Context::Stitch, Action::Expand);
        assert!(matches!(view(&app).selected_row(), Some(StitchRow::Span { pos: 0, .. })));

        // Esc closes without going anywhere.
        press(&mut app, Context::Trace, Action::ShowStitchedTimeline);
        press(&mut app, Context::Global, Action::GoUp);
        assert_eq!(app.overlay, Overlay::None);
        assert_eq!(app.trace_view().expect("open").trace, checkout);
    }

    #[test]
    fn a_trace_without_links_says_so() {
        // Trace 1 links to 2; trace 3 stands alone.
        let index = crate::app::flow::tests::chain(&[&[2], &[], &[]]);
        let mut app = App::new(&index, OpenAt { trace: Some(TraceIdx(2)), span: None });
        press(&mut app, Context::Trace, Action::ShowStitchedTimeline);
        assert_eq!(app.overlay, Overlay::None);
        assert!(app.status.as_deref().is_some_and(|s| s.contains("no other loaded trace")));
    }

    #[test]
    fn a_click_selects_a_row_and_a_second_click_opens_it() {
        let index = sample("scatter-gather.otlp.json");
        let checkout = trace_by_root(&index, "checkout");
        let mut app = App::new(&index, OpenAt { trace: Some(checkout), span: None });
        app.resize(80, 24);
        press(&mut app, Context::Trace, Action::ShowStitchedTimeline);
        let rows = app.areas().stitch_rows();
        let y = rows.y + 3;
        app.click(20, y);
        assert_eq!(view(&app).sel, view(&app).scroll + 3);
        let s = view(&app).selected_span(&index).expect("a span row");
        app.click(20, y);
        assert_eq!(app.overlay, Overlay::None);
        assert_eq!(app.trace_view().expect("open").selected_span(&index), s);
    }
}
