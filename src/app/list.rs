//! View state of the trace list: the filtered, sorted rows (recomputed in update, never while
//! drawing), the sort column and direction, the filter text and the selection.

use crate::index::{Index, TraceIdx};
use std::cmp::Ordering;

/// The list's columns, in the order `s` cycles through them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Start,
    Trace,
    Service,
    Name,
    Duration,
    Spans,
    Errors,
    LinksOut,
    LinksIn,
}

impl SortKey {
    pub const ALL: [SortKey; 9] = [
        SortKey::Start,
        SortKey::Trace,
        SortKey::Service,
        SortKey::Name,
        SortKey::Duration,
        SortKey::Spans,
        SortKey::Errors,
        SortKey::LinksOut,
        SortKey::LinksIn,
    ];

    pub fn next(self) -> SortKey {
        let i = Self::ALL.iter().position(|&k| k == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// Column heading in the list (narrow enough for the count columns).
    pub fn heading(self) -> &'static str {
        match self {
            SortKey::LinksOut => "out↗",
            SortKey::LinksIn => "in↙",
            other => other.title(),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SortKey::Start => "start",
            SortKey::Trace => "trace",
            SortKey::Service => "service",
            SortKey::Name => "name",
            SortKey::Duration => "duration",
            SortKey::Spans => "spans",
            SortKey::Errors => "errors",
            SortKey::LinksOut => "links ↗",
            SortKey::LinksIn => "links ↙",
        }
    }
}

#[derive(Debug, Default)]
pub struct ListView {
    pub rows: Vec<TraceIdx>,
    pub sel: usize,
    pub scroll: usize,
    pub sort: SortKey,
    pub reverse: bool,
    pub filter: String,
    pub editing: bool,
    /// The `F` query prompt, and the query applied (only traces with a matching span listed).
    pub prompt: super::filter::Prompt,
    pub query: Option<super::filter::ListFilter>,
    /// Lowercase "trace id, services, root name" per trace, built on the first filter.
    haystacks: Vec<String>,
}

impl ListView {
    pub fn new(index: &Index) -> Self {
        let mut list = Self::default();
        list.refresh(index);
        list
    }

    pub fn selected(&self) -> Option<TraceIdx> {
        self.rows.get(self.sel).copied()
    }

    /// Selects `t` if it is in the (filtered) rows.
    pub fn select(&mut self, t: TraceIdx) {
        if let Some(i) = self.rows.iter().position(|&r| r == t) {
            self.sel = i;
        }
    }

    /// Re-filters and re-sorts, keeping the selected trace selected when it is still listed.
    pub fn refresh(&mut self, index: &Index) {
        let keep = self.selected();
        let needle = self.filter.to_lowercase();
        if !needle.is_empty() && self.haystacks.len() != index.traces().len() {
            self.haystacks = build_haystacks(index);
        }
        self.rows = (0..index.traces().len())
            .map(|t| TraceIdx(u32::try_from(t).unwrap_or(u32::MAX)))
            .filter(|t| needle.is_empty() || self.haystacks.get(t.get()).is_some_and(|h| h.contains(&needle)))
            .filter(|&t| self.query.as_ref().is_none_or(|q| q.keeps(t)))
            .collect();
        let key = self.sort;
        self.rows.sort_by(|&a, &b| compare(index, key, a, b).then(a.cmp(&b)));
        if self.reverse {
            self.rows.reverse();
        }
        self.sel = 0;
        if let Some(t) = keep {
            self.select(t);
        }
        self.sel = self.sel.min(self.rows.len().saturating_sub(1));
    }

    /// After the index grew: traces gained spans (and services), new ones arrived. The filter's
    /// text is built again and the rows refreshed, keeping the selected trace selected.
    pub fn grown(&mut self, index: &Index) {
        self.haystacks.clear();
        self.refresh(index);
    }
}

fn compare(index: &Index, key: SortKey, a: TraceIdx, b: TraceIdx) -> Ordering {
    let (ta, tb) = (index.trace(a), index.trace(b));
    match key {
        SortKey::Start => ta.start.cmp(&tb.start),
        SortKey::Trace => ta.id.cmp(&tb.id),
        SortKey::Service => index.service(ta.root).cmp(index.service(tb.root)),
        SortKey::Name => index.name(ta.root).cmp(index.name(tb.root)),
        SortKey::Duration => ta.duration().cmp(&tb.duration()),
        SortKey::Spans => ta.spans.cmp(&tb.spans),
        SortKey::Errors => ta.errors.cmp(&tb.errors),
        SortKey::LinksOut => ta.links_out.cmp(&tb.links_out),
        SortKey::LinksIn => ta.links_in.cmp(&tb.links_in),
    }
}

/// One lowercase line per trace: its id, the root span's name and every service in it.
fn build_haystacks(index: &Index) -> Vec<String> {
    (0..index.traces().len())
        .map(|t| {
            let t = TraceIdx(u32::try_from(t).unwrap_or(u32::MAX));
            let info = index.trace(t);
            let mut services: Vec<lasso::Spur> =
                index.trace_spans(t).iter().map(|&s| index.span(s).service).collect();
            services.sort_unstable_by_key(|s| lasso::Key::into_usize(*s));
            services.dedup();
            let mut h = format!("{}\0{}", info.id, index.name(info.root).to_lowercase());
            for s in services {
                h.push('\0');
                h.push_str(&index.str(s).to_lowercase());
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testdata::{self, CONSUMER, P1, P2, SCATTER};

    #[test]
    fn filter_matches_services_names_and_ids_and_keeps_selection() {
        let index = testdata::links_index();
        let mut list = ListView::new(&index);
        assert_eq!(list.rows.len(), 4);
        list.select(testdata::trace(&index, P2));
        list.filter = "ORDERS".into();
        list.refresh(&index);
        let ids: Vec<_> = list.rows.iter().map(|&t| index.trace(t).id).collect();
        assert_eq!(ids, vec![P1, P2]);
        assert_eq!(list.selected(), Some(testdata::trace(&index, P2)));
        list.filter = "5ca77e".into();
        list.refresh(&index);
        assert_eq!(list.rows, vec![testdata::trace(&index, SCATTER)]);
        list.filter = "postgres".into();
        list.refresh(&index);
        assert_eq!(list.rows, vec![testdata::trace(&index, CONSUMER)], "a service deep in the trace");
    }

    #[test]
    fn sort_cycles_and_reverses() {
        let index = testdata::links_index();
        let mut list = ListView::new(&index);
        while list.sort != SortKey::LinksOut {
            list.sort = list.sort.next();
        }
        list.reverse = true;
        list.refresh(&index);
        assert_eq!(list.rows[0], testdata::trace(&index, CONSUMER), "most outgoing links first");
        assert_eq!(SortKey::LinksIn.next(), SortKey::Start);
    }
}
