//! The `S` overlay: the open trace's per-operation summary (`query::stats`, what `weft stats`
//! prints), sorted in update by the column `s` picks; `Enter` filters the waterfall to the
//! selected operation with a query.

use super::filter::quote;
use super::{App, Overlay};
use crate::index::{Index, TraceIdx};
use crate::query::stats::{OpStats, Stats};
use std::cmp::Ordering;

/// The summary's sort columns, in the order `s` cycles through them. Numbers sort largest
/// first, the name alphabetically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SummarySort {
    #[default]
    SelfTime,
    Total,
    Spans,
    Errors,
    Max,
    P99,
    Name,
}

impl SummarySort {
    const ALL: [SummarySort; 7] = [
        SummarySort::SelfTime,
        SummarySort::Total,
        SummarySort::Spans,
        SummarySort::Errors,
        SummarySort::Max,
        SummarySort::P99,
        SummarySort::Name,
    ];

    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|&k| k == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn title(self) -> &'static str {
        match self {
            SummarySort::SelfTime => "self",
            SummarySort::Total => "total",
            SummarySort::Spans => "spans",
            SummarySort::Errors => "errors",
            SummarySort::Max => "max",
            SummarySort::P99 => "p99",
            SummarySort::Name => "name",
        }
    }

    fn compare(self, index: &Index, a: &OpStats, b: &OpStats) -> Ordering {
        let by_name =
            || index.str(a.service).cmp(index.str(b.service)).then(index.str(a.name).cmp(index.str(b.name)));
        match self {
            SummarySort::SelfTime => b.self_ns.cmp(&a.self_ns),
            SummarySort::Total => b.total_ns.cmp(&a.total_ns),
            SummarySort::Spans => b.spans.cmp(&a.spans),
            SummarySort::Errors => b.errors.cmp(&a.errors),
            SummarySort::Max => b.max_ns.cmp(&a.max_ns),
            SummarySort::P99 => b.p99_ns.cmp(&a.p99_ns),
            SummarySort::Name => Ordering::Equal,
        }
        .then_with(by_name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryView {
    pub trace: TraceIdx,
    pub stats: Stats,
    pub sort: SummarySort,
    /// `stats.operations` in the shown order.
    pub rows: Vec<usize>,
    pub sel: usize,
    pub scroll: usize,
}

impl SummaryView {
    pub fn build(index: &Index, trace: TraceIdx) -> Self {
        let spans = index.trace_spans(trace).iter().copied();
        let stats = Stats::compute(index, spans, index.trace(trace).duration());
        let rows = (0..stats.operations.len()).collect();
        Self { trace, stats, sort: SummarySort::default(), rows, sel: 0, scroll: 0 }
    }

    /// Sorts by the next column, keeping the selected operation selected.
    pub fn cycle_sort(&mut self, index: &Index) {
        let keep = self.rows.get(self.sel).copied();
        self.sort = self.sort.next();
        let ops = &self.stats.operations;
        let sort = self.sort;
        self.rows.sort_by(|&a, &b| sort.compare(index, &ops[a], &ops[b]));
        self.sel = keep.and_then(|k| self.rows.iter().position(|&r| r == k)).unwrap_or(0);
    }

    pub fn selected(&self) -> Option<&OpStats> {
        self.rows.get(self.sel).and_then(|&i| self.stats.operations.get(i))
    }
}

impl App<'_> {
    /// `S`: the open trace's summary.
    pub(super) fn show_summary(&mut self) {
        let Some(t) = self.trace_view().map(|tv| tv.trace) else { return };
        self.overlay = Overlay::Summary(Box::new(SummaryView::build(self.index, t)));
        self.clamp_scrolls();
    }

    /// `Enter` in the summary: the waterfall keeps only that operation's spans (an `F` query,
    /// shown and cleared like any other).
    pub(super) fn filter_operation(&mut self) {
        let Overlay::Summary(sv) = &self.overlay else { return };
        let Some(op) = sv.selected() else { return };
        let index = self.index;
        let text = format!("service={} name={}", quote(index.str(op.service)), quote(index.str(op.name)));
        self.overlay = Overlay::None;
        self.set_query(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testdata::{self, SCATTER};

    #[test]
    fn sorting_cycles_columns_and_keeps_the_selection() {
        let index = testdata::links_index();
        let t = testdata::trace(&index, SCATTER);
        let mut sv = SummaryView::build(&index, t);
        let name = |sv: &SummaryView, i: usize| index.str(sv.stats.operations[sv.rows[i]].name).to_owned();
        // By self time: the shards (12, 15, 18 ms) and search (13 ms) before gather (9 ms).
        assert_eq!(name(&sv, 0), "shard-3");
        sv.sel = 4;
        let gather = name(&sv, 4);
        assert_eq!(gather, "gather");
        sv.cycle_sort(&index);
        assert_eq!(sv.sort, SummarySort::Total);
        assert_eq!(name(&sv, 0), "search", "40 ms in all");
        assert_eq!(name(&sv, sv.sel), gather, "the selection follows its row");
        for _ in 0..5 {
            sv.cycle_sort(&index);
        }
        assert_eq!(sv.sort, SummarySort::Name);
        assert_eq!(name(&sv, 0), "gather", "gateway before search, then by name");
        sv.cycle_sort(&index);
        assert_eq!(sv.sort, SummarySort::SelfTime);
    }
}
