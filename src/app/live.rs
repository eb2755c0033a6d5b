//! Sources that grow (`weft listen`, `--follow`): the index is extended between frames and the
//! views follow it (STYLE §9). `App` borrows its `Index`, so a batch is taken in three steps that
//! `tui` runs between two frames: `App::park` lets go of the index (keeping every view state),
//! `Index::extend` grows it, and `Parked::resume` takes it back and brings the views up to date:
//! the list gains the new traces keeping its selection, the open trace is laid out again keeping
//! its collapsed spans, selection, tab and scroll, and links resolved by the batch show at once.

use super::filter::{Prompt, TraceFilter};
use super::history::{Place, TraceSnapshot};
use super::search::Search;
use super::trace_view::TraceView;
use super::{App, Overlay, Screen};
use crate::index::{Evicted, Growth, Index, SpanIdx, TraceIdx};
use crate::model::{Dataset, SpanId, TraceId};
use std::sync::LazyLock;

/// What the header shows while data arrives: spans received, the rate, and what `--max-spans`
/// made the explorer forget. `tui` updates it (it reads the clock; rendering does not).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    /// Spans received since the explorer opened (all saved, shown or not).
    pub received: u64,
    /// Spans per second over the last second or so.
    pub rate: f64,
    /// The oldest traces forgotten to stay under `--max-spans` (they are still in the save file).
    pub dropped: Evicted,
    /// Whether the index is being built again without its oldest traces right now.
    pub dropping: bool,
}

/// An `App` between two frames while its index grows: its view state, holding no index.
pub struct Parked {
    app: App<'static>,
    /// The open trace as it was: its snapshot and its collapsed spans by span (positions change
    /// when a trace gains spans), its search, its query prompt and the query applied.
    open: Option<(TraceSnapshot, Vec<SpanIdx>, SearchBySpan, OpenQuery)>,
    links_before: usize,
    /// Spans before the batch: those after it are the batch's.
    spans_before: usize,
}

/// A search with its positions held as spans, so it survives its trace growing: the spans that
/// matched still do, and only the new spans are searched.
struct SearchBySpan {
    search: Search,
    matched: Vec<SpanIdx>,
    current: Option<SpanIdx>,
    anchor: SpanIdx,
}

impl SearchBySpan {
    fn of(index: &Index, tv: &TraceView) -> Self {
        let search = tv.search.clone();
        let span = |p: u32| tv.span_at(index, p);
        Self {
            matched: search.matches.iter().map(|&p| span(p)).collect(),
            current: search.current.and_then(|i| search.matches.get(i)).map(|&p| span(p)),
            anchor: span(search.anchor),
            search,
        }
    }

    /// The search over trace `t` grown by the spans from `first_new` on.
    fn regrown(self, index: &Index, t: TraceIdx, first_new: usize, pos_of: &[u32]) -> Search {
        let SearchBySpan { mut search, matched, current, anchor } = self;
        if search.query.is_empty() {
            return search;
        }
        let pos = |s: SpanIdx| pos_of.get(s.get()).copied().unwrap_or(0);
        let new: Vec<SpanIdx> =
            index.trace_spans(t).iter().copied().filter(|s| s.get() >= first_new).collect();
        let found = super::search::Haystack::of_spans(index, &new).find(&search.query);
        let mut matches: Vec<u32> = matched.into_iter().map(pos).collect();
        matches.extend(found.into_iter().filter_map(|i| new.get(i as usize)).map(|&s| pos(s)));
        matches.sort_unstable();
        search.current = current.and_then(|c| matches.binary_search(&pos(c)).ok());
        search.anchor = pos(anchor);
        search.matches = matches;
        search
    }
}

/// The open trace's query prompt, and the query applied to it (if any).
type OpenQuery = (Prompt, Option<TraceFilter>);

/// Stands in for the index while the real one grows.
static PARKED_INDEX: LazyLock<Index> = LazyLock::new(|| Index::build(Dataset::new()));

impl<'a> App<'a> {
    /// Lets go of the index (see the module comment); `Parked::resume` takes it back.
    pub fn park(self) -> Parked {
        let open = self.trace_view().map(|tv| {
            let collapsed = tv
                .collapsed
                .iter()
                .enumerate()
                .filter(|(_, c)| **c)
                .map(|(p, _)| tv.span_at(self.index, u32::try_from(p).unwrap_or(u32::MAX)))
                .collect();
            let query = (tv.prompt.clone(), tv.filter.clone());
            (tv.snapshot(self.index), collapsed, SearchBySpan::of(self.index, tv), query)
        });
        let links_before = self.index.link_count();
        let spans_before = self.index.span_count();
        Parked { app: self.rebind(&PARKED_INDEX), open, links_before, spans_before }
    }
}

impl Parked {
    /// Takes back `index`, grown by `growth`, and brings every view up to date with it.
    pub fn resume<'b>(self, index: &'b Index, growth: &Growth) -> App<'b> {
        let Parked { app, open, links_before, spans_before } = self;
        let mut app = app.rebind(index);
        app.pos_of.resize(index.span_count(), 0);
        for &t in &growth.touched {
            for (p, s) in index.trace_spans(t).iter().enumerate() {
                if let Some(slot) = app.pos_of.get_mut(s.get()) {
                    *slot = u32::try_from(p).unwrap_or(u32::MAX);
                }
            }
            // Laid out again: cached shapes, search text and remembered positions are stale.
            app.shapes.remove(&t);
            app.haystacks.remove(&t);
            app.pending.remove(&t);
            app.remembered.remove(&t);
        }
        let new_missing = (links_before..index.link_count())
            .filter(|&l| {
                let l = crate::index::LinkIdx(u32::try_from(l).unwrap_or(u32::MAX));
                matches!(index.link_target(l), crate::index::LinkTarget::Missing { .. })
            })
            .count();
        app.unresolved = app.unresolved.saturating_sub(growth.bound_links) + new_missing;
        app.skipped = index.data.files.iter().map(|f| f.skipped).sum();
        app.list.grown(index);
        if let Some((mut snap, collapsed, search, (prompt, applied))) = open {
            snap.collapsed = collapsed.iter().map(|&s| app.pos_of(s)).collect();
            let touched = growth.touched.contains(&snap.trace);
            let search = if touched {
                search.regrown(index, snap.trace, spans_before, &app.pos_of)
            } else {
                search.search
            };
            app.reopen(&snap, search);
            app.restore_query_after_growth(prompt, applied, touched);
        }
        app.rerun_list_query(&growth.touched);
        app.clamp_scrolls();
        app.refresh_missing();
        app
    }
}

/// An `App` whose index is built again without its oldest traces (`--max-spans`). A rebuild
/// renumbers every trace and span, so where the explorer stands (the open trace, the list's
/// selection, the history) is held by ids and looked up again in the new index.
pub struct ParkedById {
    app: App<'static>,
    here: PlaceById,
    /// The open trace's query prompt and applied query: run again over the rebuilt trace.
    query: Option<OpenQuery>,
    back: Vec<PlaceById>,
    forward: Vec<PlaceById>,
}

/// A history place by the ids of what it shows.
enum PlaceById {
    List(Option<TraceId>),
    Trace {
        /// Its view state; the indices in it are stale until `place` sets them.
        snap: TraceSnapshot,
        trace: TraceId,
        selected: SpanId,
        collapsed: Vec<SpanId>,
        zoom: Option<SpanId>,
    },
}

impl PlaceById {
    fn of(index: &Index, place: Place) -> Self {
        match place {
            Place::List { selected } => Self::List(selected.map(|t| index.trace(t).id)),
            Place::Trace(snap) => {
                let spans = index.trace_spans(snap.trace);
                let collapsed = snap
                    .collapsed
                    .iter()
                    .filter_map(|&p| spans.get(p as usize))
                    .map(|&s| index.span(s).span_id);
                Self::Trace {
                    trace: index.trace(snap.trace).id,
                    selected: index.span(snap.selected).span_id,
                    collapsed: collapsed.collect(),
                    zoom: snap.zoom.map(|s| index.span(s).span_id),
                    snap,
                }
            }
        }
    }

    /// The place in `index`, if what it shows is still there.
    fn place(self, index: &Index, pos_of: &[u32]) -> Option<Place> {
        match self {
            Self::List(selected) => {
                Some(Place::List { selected: selected.and_then(|t| index.find_trace(t)) })
            }
            Self::Trace { mut snap, trace, selected, collapsed, zoom } => {
                snap.trace = index.find_trace(trace)?;
                snap.selected = index.find_span(trace, selected).unwrap_or(index.trace(snap.trace).root);
                snap.zoom = zoom.and_then(|s| index.find_span(trace, s));
                let pos = |s: SpanIdx| pos_of.get(s.get()).copied();
                snap.collapsed =
                    collapsed.iter().filter_map(|&s| index.find_span(trace, s).and_then(pos)).collect();
                Some(Place::Trace(snap))
            }
        }
    }
}

impl<'a> App<'a> {
    /// Lets go of the index before it is built again without its oldest traces; see `ParkedById`.
    pub fn park_by_id(mut self) -> ParkedById {
        let index = self.index;
        let here = PlaceById::of(index, self.current_place());
        let (back, forward) = self.history.take();
        let by_id = |places: Vec<Place>| places.into_iter().map(|p| PlaceById::of(index, p)).collect();
        let (back, forward) = (by_id(back), by_id(forward));
        let query = self.trace_view().map(|tv| (tv.prompt.clone(), tv.filter.clone()));
        ParkedById { app: self.rebind(&PARKED_INDEX), here, query, back, forward }
    }
}

impl ParkedById {
    /// Takes the rebuilt index, which forgot what `evicted` counts, and finds every place again;
    /// places whose trace was forgotten leave the history, and an open one falls back to the list.
    pub fn resume(self, index: &Index, evicted: Evicted) -> App<'_> {
        let ParkedById { app, here, query, back, forward } = self;
        let mut app = app.rebind(index);
        app.pos_of = super::positions(index);
        app.shapes.clear();
        app.haystacks.clear();
        app.pending.clear();
        app.remembered.clear();
        app.unresolved = index.unresolved_links().count();
        app.skipped = index.data.files.iter().map(|f| f.skipped).sum();
        // The old rows' indices mean nothing now; the selection is set from `here` below.
        app.list.rows.clear();
        app.list.grown(index);
        // Overlays showing traces or links are closed with the screen; text ones stay.
        let overlay = std::mem::take(&mut app.overlay);
        app.screen = Screen::List;
        let found =
            |places: Vec<PlaceById>| places.into_iter().filter_map(|p| p.place(index, &app.pos_of)).collect();
        let (back, forward) = (found(back), found(forward));
        app.history.put_back(back, forward);
        match here.place(index, &app.pos_of) {
            Some(place) => app.restore(place),
            None => {
                app.restore(Place::List { selected: None });
                app.status =
                    Some("the open trace was among the oldest, dropped under --max-spans".to_owned());
            }
        }
        if let Some((prompt, applied)) = query {
            app.restore_query_after_growth(prompt, applied, true);
        }
        let all: Vec<TraceIdx> = (0..index.traces().len()).map(|t| TraceIdx(t as u32)).collect();
        app.rerun_list_query(&all);
        if let Some(remote) = &mut app.remote {
            remote.index_rebuilt();
        }
        app.refresh_missing();
        if matches!(overlay, Overlay::Help { .. } | Overlay::Value { .. }) {
            app.overlay = overlay;
        }
        app.live.get_or_insert_default().dropped.add(evicted);
        app.clamp_scrolls();
        app
    }
}

impl App<'_> {
    /// The same view state over another index (the two halves of `park`/`resume`).
    fn rebind(self, index: &Index) -> App<'_> {
        let App {
            index: _,
            screen,
            list,
            overlay,
            history,
            viewport,
            status,
            effects,
            quit,
            skipped,
            skipped_files,
            unresolved,
            live,
            remote,
            marked,
            pos_of,
            shapes,
            haystacks,
            background_min_spans,
            pending,
            remembered,
            jobs,
        } = self;
        App {
            index,
            screen,
            list,
            overlay,
            history,
            viewport,
            status,
            effects,
            quit,
            skipped,
            skipped_files,
            unresolved,
            live,
            remote,
            marked,
            pos_of,
            shapes,
            haystacks,
            background_min_spans,
            pending,
            remembered,
            jobs,
        }
    }

    /// Lays the open trace out again from `snap` (its links may have resolved, its spans grown)
    /// with `search`.
    fn reopen(&mut self, snap: &TraceSnapshot, search: Search) {
        let Screen::Trace(old) = &self.screen else { return };
        let t: TraceIdx = old.trace;
        let shape = super::trace_view::Shape::build(self.index, t, &self.pos_of);
        let mut tv = TraceView::new(self.index, t, shape, Some(snap), &self.pos_of);
        tv.search = search;
        self.screen = Screen::Trace(Box::new(tv));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::OpenAt;
    use crate::app::action::Action;
    use crate::app::keymap::{Context, key_for};
    use crate::app::links::End;
    use crate::app::trace_view::Tab;
    use crate::model::{Format, SpanId, TraceId};

    const A: &str = "0000000000000000000000000000000a";
    const B: &str = "0000000000000000000000000000000b";
    const C: &str = "0000000000000000000000000000000c";

    /// One span as OTLP JSON: `(trace, id, parent, name, start ms, link to (trace, span))`.
    type S<'s> = (&'s str, u64, u64, &'s str, u64, Option<(&'s str, u64)>);

    /// A batch as a receiver gets it: OTLP JSON through the file loader.
    fn batch(spans: &[S<'_>]) -> Dataset {
        let spans: Vec<String> = spans
            .iter()
            .map(|&(trace, id, parent, name, start, link)| {
                let parent = if parent == 0 { String::new() } else { format!("{parent:016x}") };
                let links = link.map_or(String::new(), |(t, s)| {
                    format!(r#","links":[{{"traceId":"{t}","spanId":"{s:016x}"}}]"#)
                });
                let (start, end) = (1_700_000_000_000 + start, 1_700_000_000_000 + start + 10);
                format!(
                    r#"{{"traceId":"{trace}","spanId":"{id:016x}","parentSpanId":"{parent}","name":"{name}","startTimeUnixNano":"{start}000000","endTimeUnixNano":"{end}000000"{links}}}"#
                )
            })
            .collect();
        let json = format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        );
        let options = crate::load::Options { forced: Some(Format::OtlpJson), workers: 1, progress: None };
        crate::load::load_slice(json.as_bytes(), "request body", &options).expect("test batch loads")
    }

    fn id(hex: &str) -> TraceId {
        TraceId(u128::from_str_radix(hex, 16).expect("hex"))
    }

    fn press(app: &mut App<'_>, ctx: Context, action: Action) {
        app.handle_key(key_for(ctx, action).expect("bound"));
    }

    /// What `tui` does between two frames.
    macro_rules! ingest {
        ($app:ident, $index:ident, $batch:expr) => {
            let parked = $app.park();
            let growth = $index.extend($batch);
            $app = parked.resume(&$index, &growth);
        };
    }

    #[test]
    fn queries_run_again_over_what_arrives() {
        let mut index = Index::build(batch(&[
            (A, 1, 0, "root", 0, None),
            (A, 2, 1, "slow thing", 1, None),
            (A, 3, 1, "other", 2, None),
            (B, 9, 0, "quiet", 0, None),
        ]));
        let a = index.find_trace(id(A)).expect("A");
        let mut app = App::new(&index, OpenAt { trace: Some(a), span: None });
        app.resize(100, 30);
        press(&mut app, Context::Trace, Action::StartQuery);
        for c in "name~thing".chars() {
            app.handle_key(crate::app::keymap::Key::ch(c));
        }
        press(&mut app, Context::Input, Action::ConfirmInput);
        assert_eq!(app.trace_view().expect("open").visible.len(), 2);
        // A batch for another trace leaves the open one's query as it was.
        ingest!(app, index, batch(&[(B, 10, 9, "thing elsewhere", 1, None)]));
        let tv = app.trace_view().expect("open");
        assert_eq!((tv.filter.as_ref().map(|f| f.matches.clone()), tv.visible.len()), (Some(vec![1]), 2));
        // A second match arrives in the open trace, under the root: it is shown too.
        ingest!(app, index, batch(&[(A, 4, 1, "another thing", 3, None)]));
        let tv = app.trace_view().expect("open");
        assert_eq!(tv.filter.as_ref().map(|f| f.matches.len()), Some(2));
        assert_eq!(tv.visible.len(), 3, "root and both matches");
        assert!(!app.is_typing() && tv.prompt.error.is_none());

        // The list's query tests traces that arrive later.
        press(&mut app, Context::Global, Action::GoUp);
        press(&mut app, Context::Global, Action::GoUp);
        assert!(matches!(app.screen, Screen::List));
        press(&mut app, Context::TraceList, Action::StartQuery);
        for c in "name~thing".chars() {
            app.handle_key(crate::app::keymap::Key::ch(c));
        }
        assert_eq!(app.list.rows.len(), 2, "A and B hold a thing");
        ingest!(app, index, batch(&[(C, 7, 0, "thing at last", 5, None), (B, 11, 0, "quiet too", 2, None)]));
        let ids: Vec<TraceId> = app.list.rows.iter().map(|&t| index.trace(t).id).collect();
        assert_eq!(ids, [id(A), id(B), id(C)], "the new trace is tested, the touched one still matches");
        assert!(app.is_typing(), "still typing the list's query");
    }

    #[test]
    fn new_traces_join_the_list_keeping_the_selection() {
        let mut index = Index::build(batch(&[(A, 1, 0, "a", 0, None), (B, 2, 0, "b", 5, None)]));
        let mut app = App::new(&index, OpenAt::default());
        app.list.select(index.find_trace(id(B)).expect("B"));
        app.live = Some(Live { received: 2, ..Live::default() });
        ingest!(app, index, batch(&[(C, 3, 0, "c", 1, None)]));
        let ids: Vec<TraceId> = app.list.rows.iter().map(|&t| index.trace(t).id).collect();
        assert_eq!(ids, [id(A), id(C), id(B)], "sorted by start, the new trace among them");
        assert_eq!(app.list.selected().map(|t| index.trace(t).id), Some(id(B)));
        assert_eq!(app.live.as_ref().map(|l| l.received), Some(2), "the header's counts survive");
    }

    #[test]
    fn the_open_trace_gains_spans_keeping_its_collapsed_spans_and_selection() {
        let mut index = Index::build(batch(&[
            (A, 1, 0, "root", 0, None),
            (A, 2, 1, "child", 1, None),
            (A, 3, 2, "grandchild", 2, None),
            (A, 4, 1, "second", 3, None),
            (B, 9, 0, "other", 0, None),
        ]));
        let a = index.find_trace(id(A)).expect("A");
        let mut app = App::new(&index, OpenAt { trace: Some(a), span: None });
        app.resize(100, 30);
        press(&mut app, Context::Move, Action::SelectNext);
        press(&mut app, Context::Waterfall, Action::Collapse);
        press(&mut app, Context::Move, Action::SelectNext);
        press(&mut app, Context::Trace, Action::ShowEvents);
        let tv = app.trace_view().expect("open");
        assert_eq!(tv.visible.len(), 3, "grandchild hidden");
        let selected = index.name(tv.selected_span(&index)).to_owned();
        assert_eq!(selected, "second");
        let tab = tv.tab;

        // A new span under the root that starts first: every position after the root moves.
        ingest!(app, index, batch(&[(A, 5, 1, "early", 0, None), (A, 6, 2, "late child", 9, None)]));
        let tv = app.trace_view().expect("still open");
        assert_eq!(tv.trace, a);
        assert_eq!(tv.shape.len(), 6);
        assert_eq!(index.name(tv.selected_span(&index)), "second");
        assert_eq!(tv.tab, tab);
        let child = index.find_span(id(A), SpanId(2)).expect("child");
        assert!(tv.is_collapsed(app.pos_of(child)), "the collapsed span is still collapsed");
        let shown: Vec<&str> = tv.visible.iter().map(|&p| index.name(tv.span_at(&index, p))).collect();
        assert_eq!(shown, ["root", "early", "child", "second"]);
    }

    #[test]
    fn a_link_that_arrived_first_resolves_when_its_target_arrives() {
        let mut index = Index::build(batch(&[(A, 1, 0, "consume", 0, Some((B, 2)))]));
        let mut app = App::new(&index, OpenAt::default());
        app.resize(100, 30);
        press(&mut app, Context::Trace, Action::ShowLinks);
        let end = |app: &App<'_>, index: &Index| {
            let tv = app.trace_view().expect("open");
            assert_eq!(tv.tab, Tab::Links);
            tv.links.first().map(|row| row.end(index))
        };
        assert_eq!(end(&app, &index), Some(End::Missing { trace: None }));
        assert_eq!(app.unresolved, 1);

        ingest!(app, index, batch(&[(B, 2, 0, "produce", 0, None)]));
        let target = index.find_span(id(B), SpanId(2)).expect("B arrived");
        assert_eq!(end(&app, &index), Some(End::Span(target)), "the Links tab shows it resolved");
        assert_eq!(app.unresolved, 0);
        assert_eq!(index.links_in(target).len(), 1, "and its backlink");

        // A link from a new batch to a span still missing counts as unresolved.
        ingest!(app, index, batch(&[(C, 3, 0, "retry", 0, Some((B, 7)))]));
        assert_eq!(app.unresolved, 1);
    }

    /// What `tui` does when the explorer holds more than `--max-spans`: drop the oldest traces.
    macro_rules! drop_oldest {
        ($app:ident, $index:ident, $keep:expr) => {{
            let (gone, evicted) = $index.oldest_beyond($keep);
            let rebuilt = $index.without(&gone);
            let parked = $app.park_by_id();
            $index = rebuilt;
            $app = parked.resume(&$index, evicted);
            evicted
        }};
    }

    #[test]
    fn dropping_the_oldest_traces_keeps_the_open_trace_and_finds_the_history_again() {
        let mut index = Index::build(batch(&[
            (A, 1, 0, "a", 0, None),
            (A, 2, 1, "a child", 1, None),
            (B, 3, 0, "b", 5, None),
            (B, 4, 3, "b child", 6, None),
            (B, 5, 4, "b grandchild", 7, None),
            (B, 6, 3, "b second", 8, None),
            (C, 7, 0, "c", 10, Some((B, 6))),
        ]));
        let mut app = App::new(&index, OpenAt::default());
        app.resize(100, 30);
        // List → A (recorded) → B's second child by a jump (A recorded), then collapse and select.
        app.list.select(index.find_trace(id(A)).expect("A"));
        press(&mut app, Context::TraceList, Action::OpenTrace);
        app.jump_to_span(index.find_span(id(B), SpanId(6)).expect("b second"));
        press(&mut app, Context::Move, Action::SelectPrev);
        press(&mut app, Context::Move, Action::SelectPrev);
        press(&mut app, Context::Waterfall, Action::Collapse);
        press(&mut app, Context::Trace, Action::ShowLinks);
        let tv = app.trace_view().expect("B open");
        assert_eq!(index.name(tv.selected_span(&index)), "b child");
        assert_eq!(tv.visible.len(), 3, "b grandchild hidden");

        // A (2 spans, the oldest) goes; B and C stay.
        let evicted = drop_oldest!(app, index, 5);
        assert_eq!((evicted.traces, evicted.spans), (1, 2));
        assert!(index.find_trace(id(A)).is_none());
        let tv = app.trace_view().expect("B still open");
        assert_eq!(index.trace(tv.trace).id, id(B));
        assert_eq!(index.name(tv.selected_span(&index)), "b child", "same span selected");
        assert_eq!(tv.visible.len(), 3, "still collapsed");
        assert_eq!(tv.tab, Tab::Links);
        assert_eq!(app.live.as_ref().map(|l| l.dropped), Some(evicted), "the header counts it");
        // Back skips A's place (forgotten) and lands on the list, whose row for A is gone.
        press(&mut app, Context::Global, Action::GoBack);
        assert!(app.trace_view().is_none(), "back on the list");
        let ids: Vec<TraceId> = app.list.rows.iter().map(|&t| index.trace(t).id).collect();
        assert_eq!(ids, [id(B), id(C)]);
        // C's link to B still resolves in the rebuilt index.
        let c = index.find_span(id(C), SpanId(7)).expect("c");
        let l = index.links_out(c).next().expect("c links");
        assert!(matches!(index.link_target(l), crate::index::LinkTarget::Span(_)));

        // Open B again and drop it too: the explorer falls back to the list and says why.
        app.jump_to_span(index.find_span(id(B), SpanId(3)).expect("b"));
        let evicted = drop_oldest!(app, index, 1);
        assert_eq!((evicted.traces, evicted.spans), (1, 4));
        assert!(app.trace_view().is_none());
        assert!(app.status.as_deref().is_some_and(|s| s.contains("--max-spans")), "{:?}", app.status);
        assert_eq!(app.list.rows.len(), 1);
        let dropped = app.live.as_ref().map(|l| l.dropped);
        assert_eq!(dropped, Some(Evicted { traces: 2, spans: 6 }), "counts add up");
    }

    #[test]
    fn a_search_in_a_trace_that_grows_keeps_its_matches_and_finds_the_new_spans() {
        let mut index = Index::build(batch(&[
            (A, 1, 0, "root", 0, None),
            (A, 2, 1, "kafka send", 2, None),
            (A, 3, 1, "db query", 3, None),
            (A, 4, 1, "kafka ack", 4, None),
        ]));
        let a = index.find_trace(id(A)).expect("A");
        let mut app = App::new(&index, OpenAt { trace: Some(a), span: None });
        app.resize(100, 30);
        press(&mut app, Context::Trace, Action::StartSearch);
        for c in "kafka".chars() {
            app.handle_key(crate::app::keymap::Key::ch(c));
        }
        press(&mut app, Context::Input, Action::ConfirmInput);
        press(&mut app, Context::Trace, Action::NextMatch);
        let current = |app: &App<'_>, index: &Index| {
            let tv = app.trace_view().expect("open");
            let m = tv.search.current.and_then(|i| tv.search.matches.get(i)).expect("a current match");
            index.name(tv.span_at(index, *m)).to_owned()
        };
        assert_eq!(current(&app, &index), "kafka ack");

        // One new match that starts first (every position moves) and one new span that does not match.
        ingest!(app, index, batch(&[(A, 5, 1, "kafka poll", 1, None), (A, 6, 1, "db commit", 5, None)]));
        let tv = app.trace_view().expect("still open");
        assert_eq!(tv.search.query, "kafka", "the query stays");
        let names: Vec<&str> = tv.search.matches.iter().map(|&p| index.name(tv.span_at(&index, p))).collect();
        assert_eq!(names, ["kafka poll", "kafka send", "kafka ack"], "old matches moved, the new one found");
        assert_eq!(current(&app, &index), "kafka ack", "the current match is the same span");
        assert_eq!(tv.search.counter(), "3/3");
    }
}
