//! View state of one open trace: which spans are collapsed, the visible-row list derived from
//! that (kept up to date here, so drawing only slices it), the selection and scroll.
//!
//! Positions (`u32`) index the trace's spans in waterfall order (`Index::trace_spans`). Because
//! that order is depth-first, a span's subtree is the contiguous range `pos..shape.end[pos]`.

use super::filter::{Prompt, TraceFilter};
use super::history::TraceSnapshot;
use super::links::{LinkRow, link_rows};
use super::search::Search;
use crate::index::{Index, SpanIdx, TraceIdx};

/// Which pane has the focus on a trace's screen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pane {
    #[default]
    Waterfall,
    Details,
}

/// The details pane's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Attributes,
    Events,
    Links,
    Logs,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Attributes, Tab::Events, Tab::Links, Tab::Logs];

    pub fn next(self) -> Tab {
        match self {
            Tab::Attributes => Tab::Events,
            Tab::Events => Tab::Links,
            Tab::Links => Tab::Logs,
            Tab::Logs => Tab::Attributes,
        }
    }
    pub fn prev(self) -> Tab {
        self.next().next().next()
    }
}

/// Per-trace facts the waterfall needs for every row, computed once per trace in O(spans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// `end[p]`: one past the last position of `p`'s subtree.
    pub end: Vec<u32>,
    /// Outgoing links held by spans strictly inside `p`'s subtree (not `p` itself).
    pub inner_out: Vec<u32>,
    /// Incoming links to spans strictly inside `p`'s subtree.
    pub inner_in: Vec<u32>,
    /// Error spans strictly inside `p`'s subtree.
    pub inner_errors: Vec<u32>,
}

impl Shape {
    pub fn build(index: &Index, trace: TraceIdx, pos_of: &[u32]) -> Self {
        let spans = index.trace_spans(trace);
        let n = spans.len();
        let mut end: Vec<u32> = (1..=n).map(|p| u32::try_from(p).unwrap_or(u32::MAX)).collect();
        let mut inner_out = vec![0u32; n];
        let mut inner_in = vec![0u32; n];
        let mut inner_errors = vec![0u32; n];
        // Children come after their parent in depth-first order, so one backward pass folds
        // every subtree into its parent.
        for p in (0..n).rev() {
            let s = spans[p];
            let Some(parent) = index.parent(s) else { continue };
            let Some(&pp) = pos_of.get(parent.get()) else { continue };
            let pp = pp as usize;
            if pp >= n || pp >= p {
                continue;
            }
            let own_out = u32::try_from(index.links_out(s).len()).unwrap_or(u32::MAX);
            let own_in = u32::try_from(index.links_in(s).len()).unwrap_or(u32::MAX);
            inner_out[pp] = inner_out[pp].saturating_add(inner_out[p]).saturating_add(own_out);
            inner_in[pp] = inner_in[pp].saturating_add(inner_in[p]).saturating_add(own_in);
            inner_errors[pp] = inner_errors[pp]
                .saturating_add(inner_errors[p])
                .saturating_add(u32::from(index.span(s).is_error()));
            end[pp] = end[pp].max(end[p]);
        }
        Self { end, inner_out, inner_in, inner_errors }
    }

    pub fn len(&self) -> usize {
        self.end.len()
    }
    pub fn is_empty(&self) -> bool {
        self.end.is_empty()
    }
    pub fn has_children(&self, pos: u32) -> bool {
        self.end.get(pos as usize).is_some_and(|&e| e > pos.saturating_add(1))
    }
}

/// The open trace's screen state.
#[derive(Debug)]
pub struct TraceView {
    pub trace: TraceIdx,
    pub shape: Shape,
    pub collapsed: Vec<bool>,
    /// Positions of the rows currently shown (not inside a collapsed span), ascending.
    pub visible: Vec<u32>,
    /// Position of the selected span; always a visible row.
    pub selected: u32,
    /// Index into `visible` of the top row on screen.
    pub scroll: usize,
    pub focus: Pane,
    pub tab: Tab,
    pub detail_sel: usize,
    pub detail_scroll: usize,
    /// Links of the selected span (outgoing, then incoming), refreshed when the selection moves.
    pub links: Vec<LinkRow>,
    pub search: Search,
    /// The critical path, while it is shown (`c`/`C`).
    pub critical: Option<super::critical::CriticalView>,
    /// The `F` query prompt, and the query applied (only its matches and their ancestors shown).
    pub prompt: Prompt,
    pub filter: Option<TraceFilter>,
    /// The focused span's position (`z`): only its subtree is shown, on its own time axis.
    pub zoom: Option<u32>,
}

impl TraceView {
    /// A fresh view (everything expanded, first span selected) or one restored from `snap`.
    pub fn new(
        index: &Index,
        trace: TraceIdx,
        shape: Shape,
        snap: Option<&TraceSnapshot>,
        pos_of: &[u32],
    ) -> Self {
        let n = shape.len();
        let mut tv = Self {
            trace,
            shape,
            collapsed: vec![false; n],
            visible: Vec::with_capacity(n),
            selected: 0,
            scroll: 0,
            focus: Pane::Waterfall,
            tab: Tab::Attributes,
            detail_sel: 0,
            detail_scroll: 0,
            links: Vec::new(),
            search: Search::default(),
            critical: None,
            prompt: Prompt::default(),
            filter: None,
            zoom: None,
        };
        if let Some(snap) = snap.filter(|s| s.trace == trace) {
            for &p in &snap.collapsed {
                if let Some(c) = tv.collapsed.get_mut(p as usize) {
                    *c = true;
                }
            }
            tv.focus = snap.focus;
            tv.tab = snap.tab;
            tv.scroll = snap.scroll;
            tv.zoom = snap.zoom.and_then(|z| pos_of.get(z.get()).copied()).filter(|&z| (z as usize) < n);
            tv.rebuild();
            let pos = pos_of.get(snap.selected.get()).copied().unwrap_or(0);
            let pos = if tv.in_zoom(pos) { pos } else { tv.zoom.unwrap_or(0) };
            tv.set_selected(index, pos);
            tv.detail_sel = snap.detail_sel;
            tv.detail_scroll = snap.detail_scroll;
            tv.critical =
                snap.critical.map(|cross| super::critical::CriticalView::build(index, trace, cross, pos_of));
        } else {
            tv.rebuild();
            tv.set_selected(index, 0);
        }
        tv
    }

    pub fn snapshot(&self, index: &Index) -> TraceSnapshot {
        TraceSnapshot {
            trace: self.trace,
            selected: self.span_at(index, self.selected),
            scroll: self.scroll,
            collapsed: self
                .collapsed
                .iter()
                .enumerate()
                .filter(|(_, c)| **c)
                .map(|(p, _)| u32::try_from(p).unwrap_or(u32::MAX))
                .collect(),
            focus: self.focus,
            tab: self.tab,
            detail_sel: self.detail_sel,
            detail_scroll: self.detail_scroll,
            critical: self.critical.as_ref().map(|c| c.cross),
            zoom: self.zoom.map(|z| self.span_at(index, z)),
        }
    }

    /// The span at a position of this trace (the root for an out-of-range position).
    pub fn span_at(&self, index: &Index, pos: u32) -> SpanIdx {
        let spans = index.trace_spans(self.trace);
        spans.get(pos as usize).or(spans.first()).copied().unwrap_or_default()
    }

    pub fn selected_span(&self, index: &Index) -> SpanIdx {
        self.span_at(index, self.selected)
    }

    /// The positions the view covers: the focused span's subtree, or the whole trace.
    pub fn zoom_range(&self) -> std::ops::Range<u32> {
        let n = u32::try_from(self.shape.len()).unwrap_or(u32::MAX);
        match self.zoom {
            Some(z) if z < n => z..self.shape.end.get(z as usize).copied().unwrap_or(n),
            _ => 0..n,
        }
    }

    pub fn in_zoom(&self, pos: u32) -> bool {
        self.zoom_range().contains(&pos)
    }

    /// Whether `pos` can be shown at all (collapsing aside): inside the focused subtree and kept
    /// by the applied query.
    pub fn can_show(&self, pos: u32) -> bool {
        self.in_zoom(pos) && self.filter.as_ref().is_none_or(|f| f.keeps(pos))
    }

    /// Recomputes `visible` from `collapsed`, the focus and the applied query: O(spans), run only
    /// when one of them changes. A span the query does not keep has no match below it, so its
    /// whole subtree is skipped.
    pub fn rebuild(&mut self) {
        self.visible.clear();
        let range = self.zoom_range();
        let mut p = range.start as usize;
        while p < range.end as usize {
            let pos = u32::try_from(p).unwrap_or(u32::MAX);
            let next = (self.shape.end[p] as usize).max(p + 1);
            if self.filter.as_ref().is_some_and(|f| !f.keeps(pos)) {
                p = next;
                continue;
            }
            self.visible.push(pos);
            p = if self.collapsed[p] { next } else { p + 1 };
        }
    }

    /// After `visible` shrank: moves the selection to the nearest row still shown.
    pub fn keep_selection_visible(&mut self, index: &Index) {
        if self.visible.binary_search(&self.selected).is_err()
            && let Some(&pos) = self.visible.get(self.sel_row())
        {
            self.set_selected(index, pos);
        }
    }

    /// Index in `visible` of the selected row.
    pub fn sel_row(&self) -> usize {
        self.visible
            .binary_search(&self.selected)
            .unwrap_or_else(|i| i.min(self.visible.len().saturating_sub(1)))
    }

    /// Selects a position and refreshes what depends on the selected span. The position must
    /// be visible (callers reveal it first).
    pub fn set_selected(&mut self, index: &Index, pos: u32) {
        let pos = if (pos as usize) < self.shape.len() { pos } else { 0 };
        let changed = pos != self.selected || self.links.is_empty();
        self.selected = pos;
        if changed {
            self.links = link_rows(index, self.span_at(index, pos));
            self.detail_sel = 0;
            self.detail_scroll = 0;
        }
    }

    /// Expands every collapsed ancestor of `pos`; true when anything changed (then `visible`
    /// has been rebuilt).
    pub fn reveal(&mut self, index: &Index, pos: u32, pos_of: &[u32]) -> bool {
        let mut changed = false;
        let mut s = self.span_at(index, pos);
        while let Some(p) = index.parent(s) {
            if let Some(c) = pos_of.get(p.get()).and_then(|&pp| self.collapsed.get_mut(pp as usize)) {
                changed |= std::mem::replace(c, false);
            }
            s = p;
        }
        if changed {
            self.rebuild();
        }
        changed
    }

    /// Expands the collapsed ancestors of every position in `targets`; rebuilds `visible` if
    /// anything changed.
    pub fn expand_to(&mut self, index: &Index, targets: &[u32], pos_of: &[u32]) {
        let mut changed = false;
        for &m in targets {
            let mut s = self.span_at(index, m);
            while let Some(p) = index.parent(s) {
                if let Some(c) = pos_of.get(p.get()).and_then(|&pp| self.collapsed.get_mut(pp as usize)) {
                    if !*c {
                        // Ancestors above an expanded one were handled by an earlier target or
                        // are expanded too; stopping keeps this linear overall.
                        break;
                    }
                    *c = false;
                    changed = true;
                }
                s = p;
            }
        }
        if changed {
            self.rebuild();
        }
    }

    /// Keeps the selected row on screen with the least scrolling.
    pub fn follow_selection(&mut self, height: usize) {
        self.scroll = scroll_to_show(self.sel_row(), self.scroll, height, self.visible.len());
    }

    /// Puts the selected row on screen; a row that was off screen lands a third of the way down,
    /// so a jump shows some context above its target.
    pub fn center_selection(&mut self, height: usize) {
        let row = self.sel_row();
        if row < self.scroll || row >= self.scroll + height.max(1) {
            self.scroll = row.saturating_sub(height / 3);
        }
        self.follow_selection(height);
    }

    pub fn set_collapsed(&mut self, pos: u32, collapsed: bool) {
        if let Some(c) = self.collapsed.get_mut(pos as usize) {
            *c = collapsed && self.shape.has_children(pos);
        }
        self.rebuild();
    }

    pub fn is_collapsed(&self, pos: u32) -> bool {
        self.collapsed.get(pos as usize).copied().unwrap_or(false)
    }
}

/// The scroll offset that shows `row` in a window of `height` rows over `len` rows, moving
/// `scroll` as little as possible and never past the end.
pub fn scroll_to_show(row: usize, scroll: usize, height: usize, len: usize) -> usize {
    if height == 0 {
        return row.min(len.saturating_sub(1));
    }
    let mut scroll = scroll.min(len.saturating_sub(height));
    if row < scroll {
        scroll = row;
    } else if row >= scroll + height {
        scroll = row + 1 - height;
    }
    scroll
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testdata::{self, CONSUMER};

    fn pos_of(index: &Index) -> Vec<u32> {
        let mut pos = vec![0u32; index.span_count()];
        for t in 0..index.traces().len() {
            for (p, s) in index.trace_spans(TraceIdx(t as u32)).iter().enumerate() {
                pos[s.get()] = p as u32;
            }
        }
        pos
    }

    #[test]
    fn shape_counts_links_and_errors_inside_subtrees() {
        let index = testdata::links_index();
        let t = testdata::trace(&index, CONSUMER);
        let shape = Shape::build(&index, t, &pos_of(&index));
        // consume batch(5 out) > process item(1 out) > db query(error); 注文; evil
        assert_eq!(shape.end, vec![5, 3, 3, 4, 5]);
        assert_eq!(shape.inner_out[0], 1);
        assert_eq!(shape.inner_errors[0], 1);
        assert_eq!(shape.inner_errors[1], 1);
        assert!(shape.has_children(0) && shape.has_children(1) && !shape.has_children(2));
    }

    #[test]
    fn collapsing_hides_the_subtree_and_reveal_expands_ancestors() {
        let index = testdata::links_index();
        let pos = pos_of(&index);
        let t = testdata::trace(&index, CONSUMER);
        let mut tv = TraceView::new(&index, t, Shape::build(&index, t, &pos), None, &pos);
        tv.set_collapsed(0, true);
        assert_eq!(tv.visible, vec![0]);
        tv.set_collapsed(0, false);
        tv.set_collapsed(1, true);
        assert_eq!(tv.visible, vec![0, 1, 3, 4]);
        tv.set_collapsed(0, true);
        assert!(tv.reveal(&index, 2, &pos));
        assert_eq!(tv.visible, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn scroll_moves_as_little_as_possible() {
        assert_eq!(scroll_to_show(5, 0, 10, 100), 0);
        assert_eq!(scroll_to_show(12, 0, 10, 100), 3);
        assert_eq!(scroll_to_show(2, 5, 10, 100), 2);
        assert_eq!(scroll_to_show(99, 95, 10, 100), 90);
        assert_eq!(scroll_to_show(0, 7, 0, 100), 0);
    }
}
