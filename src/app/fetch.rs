//! Fetch on demand (`--backend`): a link into a trace that is not loaded can be fetched from the
//! trace stores. The app only asks (`Effect::Fetch`, `Effect::CancelFetch`) and keeps what it
//! asked for; `tui` runs the fetches off the UI thread and hands each answer back between frames:
//! a trace goes through `Index::extend` (the live path, `App::park` / `Parked::resume`) and then
//! `App::fetch_arrived`, a failure to `App::fetch_failed`.

use super::links::{Dir, End, LinkRow};
use super::{App, Effect, Overlay};
use crate::index::{Index, LinkIdx, LinkTarget, TraceIdx};
use crate::model::TraceId;
use rustc_hash::{FxHashMap, FxHashSet};

/// What the app knows about the stores: their names, what is being fetched, and which traces they
/// do not have.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Remote {
    /// How the footer and the Links tab name the stores: `jaeger`, or `jaeger, tempo`.
    pub stores: String,
    /// Traces asked for and not answered yet, oldest first.
    pub fetching: Vec<TraceId>,
    /// How many were asked for since nothing was in flight (`fetching 7 traces …: 3 done`).
    pub asked: usize,
    /// The link followed into a trace being fetched: jumped to when that trace arrives.
    pub follow: Option<LinkIdx>,
    /// Traces no store has, with the store's answer: marked in the Links tab, not asked for again.
    pub absent: FxHashMap<TraceId, String>,
    /// Of the current round (`asked`): how many arrived and how many no store had.
    arrived: usize,
    not_found: usize,
    /// The last failure of the round other than "not found", for its summary.
    last_error: Option<String>,
    /// The traces the `f` key would fetch for the current view, and what they were computed for.
    missing: Vec<TraceId>,
    missing_for: Option<MissingKey>,
}

/// What `Remote::missing` depends on: the traces in view, and the index and marks' sizes (both
/// only grow, so a change in either means it may have changed).
#[derive(Clone, Debug, PartialEq, Eq)]
struct MissingKey {
    traces: Vec<TraceIdx>,
    links: usize,
    absent: usize,
    fetching: usize,
}

/// A trace that is not loaded, as the Links tab shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Enter fetches it.
    Fetchable,
    Fetching,
    /// No store has it.
    Absent,
}

impl Remote {
    /// The index was built again (`--max-spans` dropped old traces): link and trace indices were
    /// renumbered, so a link waiting for its trace is no longer followed on arrival, and what `f`
    /// would fetch is worked out again.
    pub fn index_rebuilt(&mut self) {
        self.follow = None;
        self.missing_for = None;
    }

    /// The app's view of stores named `stores` (e.g. `jaeger`), nothing asked yet.
    pub fn new(stores: impl Into<String>) -> Self {
        Self { stores: stores.into(), ..Self::default() }
    }

    pub fn availability(&self, trace: TraceId) -> Availability {
        if self.fetching.contains(&trace) {
            Availability::Fetching
        } else if self.absent.contains_key(&trace) {
            Availability::Absent
        } else {
            Availability::Fetchable
        }
    }

    /// The footer's progress text while something is in flight.
    pub fn progress(&self) -> Option<String> {
        match self.fetching.as_slice() {
            [] => None,
            [one] if self.asked <= 1 => Some(format!("fetching {}… from {}", one.short(8), self.stores)),
            _ => Some(format!(
                "fetching {} traces from {}: {} done",
                self.asked,
                self.stores,
                self.asked - self.fetching.len()
            )),
        }
    }

    /// How many traces the `f` key would fetch now.
    pub fn missing_count(&self) -> usize {
        self.missing.len()
    }

    /// Takes `trace` off the in-flight list; whether it was on it (a cancelled fetch's late
    /// answer is not).
    fn settle(&mut self, trace: TraceId) -> bool {
        let Some(i) = self.fetching.iter().position(|&t| t == trace) else { return false };
        self.fetching.remove(i);
        true
    }
}

/// The traces not loaded that `traces` link to (outgoing links; a trace that links here but is
/// not loaded cannot be known), each once, in link order, leaving out those no store has and
/// those being fetched.
fn missing_neighbours(index: &Index, traces: &[TraceIdx], remote: &Remote) -> Vec<TraceId> {
    let mut seen = FxHashSet::default();
    let mut out = Vec::new();
    for &t in traces {
        for &s in index.trace_spans(t) {
            for l in index.links_out(s) {
                if !matches!(index.link_target(l), LinkTarget::Missing { trace: None }) {
                    continue;
                }
                let id = index.link(l).trace_id;
                if remote.availability(id) == Availability::Fetchable && seen.insert(id) {
                    out.push(id);
                }
            }
        }
    }
    out
}

impl App<'_> {
    /// The traces whose missing neighbours `f` fetches here: those of the linked-traces view when
    /// it is open, else the open trace.
    fn traces_in_view(&self) -> Vec<TraceIdx> {
        match &self.overlay {
            Overlay::Flow(fv) => fv.rows.iter().map(|r| r.trace).collect(),
            _ => self.trace_view().map(|tv| vec![tv.trace]).unwrap_or_default(),
        }
    }

    /// Brings `Remote::missing` up to date with the view (after every key and every answer);
    /// recomputed only when what it depends on changed, so a key press does not walk a large
    /// trace's links each time.
    pub(super) fn refresh_missing(&mut self) {
        let traces = self.traces_in_view();
        let index = self.index;
        let Some(remote) = &mut self.remote else { return };
        let key = MissingKey {
            traces,
            links: index.link_count(),
            absent: remote.absent.len(),
            fetching: remote.fetching.len(),
        };
        if remote.missing_for.as_ref() == Some(&key) {
            return;
        }
        remote.missing = missing_neighbours(index, &key.traces, remote);
        remote.missing_for = Some(key);
    }

    /// `L`/`T` with no other trace loaded: says so, and how many `f` would fetch.
    pub(super) fn say_nothing_linked(&mut self) {
        self.refresh_missing();
        let text = "no other loaded trace is linked to this one";
        self.status = Some(match self.remote.as_ref().map_or(0, Remote::missing_count) {
            0 => text.to_owned(),
            n => format!(
                "{text}; {} fetches the {n} missing",
                super::keymap::keys_label_for(
                    super::keymap::Context::Trace,
                    super::action::Action::FetchMissing
                )
            ),
        });
    }

    /// Enter or `]` on a link whose trace is not loaded: fetch it (and jump when it arrives), or
    /// say why not.
    pub(super) fn fetch_link_target(&mut self, row: LinkRow) {
        let link = *row.link(self.index);
        let Some(remote) = &mut self.remote else {
            self.status =
                Some(format!("trace {} is not loaded (no span of it is in the files)", link.trace_id));
            return;
        };
        let short = link.trace_id.short(8);
        match remote.availability(link.trace_id) {
            Availability::Absent => {
                let why = remote.absent.get(&link.trace_id).cloned().unwrap_or_default();
                self.status = Some(format!("trace {short}… is not in {}: {why}", remote.stores));
            }
            Availability::Fetching => {
                remote.follow = Some(row.link);
                self.status = Some(format!("still fetching {short}… from {}", remote.stores));
            }
            Availability::Fetchable => {
                remote.follow = Some(row.link);
                self.request_fetch(&[link.trace_id]);
            }
        }
    }

    /// `f`: fetches every missing neighbour of the traces in view.
    pub(super) fn fetch_missing(&mut self) {
        self.refresh_missing();
        let Some(remote) = &self.remote else {
            self.status = Some("no trace store to fetch from: give one with --backend URL".into());
            return;
        };
        if remote.missing.is_empty() {
            self.status = Some(match remote.fetching.len() {
                0 => "no linked trace is missing here".into(),
                n => format!("the missing linked traces are being fetched ({n} left)"),
            });
            return;
        }
        let missing = remote.missing.clone();
        self.request_fetch(&missing);
    }

    fn request_fetch(&mut self, traces: &[TraceId]) {
        let Some(remote) = &mut self.remote else { return };
        if remote.fetching.is_empty() {
            remote.asked = 0;
            remote.arrived = 0;
            remote.not_found = 0;
            remote.last_error = None;
        }
        for &t in traces {
            remote.fetching.push(t);
            remote.asked += 1;
            self.effects.push(Effect::Fetch(t));
        }
    }

    /// Whether anything is being fetched (then `Esc` cancels it first).
    pub fn is_fetching(&self) -> bool {
        self.remote.as_ref().is_some_and(|r| !r.fetching.is_empty())
    }

    /// `Esc` while fetching: cancels every fetch in flight. What arrived stays.
    pub(super) fn cancel_fetch(&mut self) {
        let Some(remote) = &mut self.remote else { return };
        let cancelled = std::mem::take(&mut remote.fetching);
        remote.follow = None;
        self.status = Some(match cancelled.as_slice() {
            [one] => format!("cancelled fetching {}…", one.short(8)),
            many => format!("cancelled fetching {} traces", many.len()),
        });
        self.effects.extend(cancelled.into_iter().map(Effect::CancelFetch));
    }

    /// Trace `trace` arrived from `from` and the index holds it now (`tui` has run
    /// `Index::extend` and `Parked::resume`): the views that show links are laid out again, and
    /// a link followed into it is jumped to.
    pub fn fetch_arrived(&mut self, trace: TraceId, from: &str) {
        self.settle_arrived(trace, from);
        self.refresh_missing();
    }

    fn settle_arrived(&mut self, trace: TraceId, from: &str) {
        let Some(remote) = &mut self.remote else { return };
        if !remote.settle(trace) {
            return;
        }
        remote.arrived += 1;
        let follow = remote.follow.filter(|&l| self.index.link(l).trace_id == trace);
        if follow.is_some() {
            remote.follow = None;
        }
        self.refresh_overlay();
        let short = trace.short(8);
        let spans = self.index.find_trace(trace).map_or(0, |t| self.index.trace_spans(t).len());
        let from = crate::text::escape_control(from);
        match follow.map(|l| (l, LinkRow { dir: Dir::Out, link: l }.end(self.index))) {
            Some((_, End::Span(s))) => {
                self.jump_to_span(s);
                let s = if spans == 1 { "" } else { "s" };
                self.status = Some(format!("fetched {short}… ({spans} span{s}) from {from}"));
            }
            Some((l, End::Missing { trace: Some(t) })) => {
                self.jump_to_trace(t);
                let span = self.index.link(l).span_id;
                self.status = Some(format!("fetched {short}… from {from}; span {span} is not in it"));
            }
            _ => self.round_done(),
        }
    }

    /// Trace `trace` could not be fetched: `reason` is one line naming the URL; `not_found` marks
    /// it as not in any store (shown in the Links tab, not asked again).
    pub fn fetch_failed(&mut self, trace: TraceId, not_found: bool, reason: &str) {
        self.settle_failed(trace, not_found, reason);
        self.refresh_missing();
    }

    fn settle_failed(&mut self, trace: TraceId, not_found: bool, reason: &str) {
        let Some(remote) = &mut self.remote else { return };
        if !remote.settle(trace) {
            return;
        }
        let reason = crate::text::escape_control(reason).into_owned();
        if remote.follow.is_some_and(|l| self.index.link(l).trace_id == trace) {
            remote.follow = None;
        }
        if not_found {
            remote.not_found += 1;
            remote.absent.insert(trace, reason.clone());
        } else {
            remote.last_error = Some(reason.clone());
        }
        if remote.asked <= 1 {
            self.status = Some(if not_found {
                format!("trace {}… is not in {}: {reason}", trace.short(8), remote.stores)
            } else {
                reason
            });
        } else {
            self.round_done();
        }
    }

    /// When the last of several fetches ends: how it went, in the footer.
    fn round_done(&mut self) {
        let Some(remote) = &self.remote else { return };
        if !remote.fetching.is_empty() {
            return;
        }
        let failed = remote.asked - remote.arrived - remote.not_found;
        let mut text =
            format!("fetched {} of {} traces from {}", remote.arrived, remote.asked, remote.stores);
        if remote.not_found > 0 {
            text.push_str(&format!("; {} not there", remote.not_found));
        }
        if let Some(last) = remote.last_error.as_ref().filter(|_| failed > 0) {
            text.push_str(&format!("; {failed} failed, the last: {last}"));
        }
        self.status = Some(text);
    }

    /// The linked-traces view and the stitched timeline are built once when opened: after a
    /// fetch they are built again so the traces that arrived show, keeping the selection.
    fn refresh_overlay(&mut self) {
        let index = self.index;
        match &self.overlay {
            Overlay::Flow(fv) => {
                let selected = fv.selected();
                let mut fresh = super::flow::FlowView::build(index, fv.root);
                if let Some(i) = fresh.rows.iter().position(|r| Some(r.trace) == selected) {
                    fresh.sel = i;
                }
                self.overlay = Overlay::Flow(Box::new(fresh));
            }
            Overlay::Stitch(_) => {
                // Built again from the open trace and its selection, as `T` does.
                self.overlay = Overlay::None;
                self.update(super::action::Action::ShowStitchedTimeline);
            }
            _ => {}
        }
        self.clamp_scrolls();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::OpenAt;
    use crate::app::action::Action;
    use crate::app::keymap::{Context, key_for};
    use crate::app::testdata::{self, BATCH, CONSUMER, DANGLING};
    use crate::model::{Dataset, SpanId};

    fn press(app: &mut App<'_>, ctx: Context, action: Action) {
        app.handle_key(key_for(ctx, action).expect("bound"));
    }

    /// The consumer's batch span with a store named `jaeger`, its Links tab on the dangling link
    /// (the third row).
    fn on_dangling_link(index: &Index) -> App<'_> {
        let mut app =
            App::new(index, OpenAt { trace: None, span: Some(testdata::span(index, CONSUMER, BATCH)) });
        app.resize(120, 30);
        app.remote = Some(Remote::new("jaeger"));
        press(&mut app, Context::Trace, Action::ShowLinks);
        press(&mut app, Context::Move, Action::SelectNext);
        press(&mut app, Context::Move, Action::SelectNext);
        app
    }

    /// The trace a store would answer for `DANGLING`: the span the link names, as OTLP JSON.
    fn dangling_trace() -> Dataset {
        let json = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{DANGLING}","spanId":"000000000000beef","name":"produce","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000"}}]}}]}}]}}"#
        );
        crate::load::load_bytes(json.into_bytes(), "http://jaeger/api/v3/traces/x", None).expect("loads")
    }

    #[test]
    fn enter_on_a_link_into_a_missing_trace_fetches_it_and_jumps_when_it_arrives() {
        let mut index = testdata::links_index();
        let mut app = on_dangling_link(&index);
        press(&mut app, Context::Links, Action::JumpToLink);
        assert_eq!(app.effects, [Effect::Fetch(DANGLING)]);
        assert_eq!(
            app.remote.as_ref().and_then(Remote::progress).as_deref(),
            Some("fetching dead0000… from jaeger")
        );
        assert_eq!(app.contexts()[0], Context::Fetching, "Esc cancels first");
        app.effects.clear();

        // What `tui::take_fetched` does with the answer.
        let parked = app.park();
        let growth = index.extend(dangling_trace());
        let mut app = parked.resume(&index, &growth);
        app.fetch_arrived(DANGLING, "http://jaeger/api/v3/traces/x");
        let target = index.find_span(DANGLING, SpanId(0xbeef)).expect("fetched");
        let tv = app.trace_view().expect("a trace is open");
        assert_eq!(tv.selected_span(&index), target, "the view jumped to the link's target");
        assert!(!app.is_fetching());
        assert!(
            app.status
                .as_deref()
                .is_some_and(|s| s.starts_with("fetched dead0000… (1 span) from http://jaeger"))
        );
        assert_eq!(index.links_in(target).len(), 1, "its backlink resolved too");

        press(&mut app, Context::Global, Action::GoBack);
        let tv = app.trace_view().expect("back in the consumer");
        assert_eq!(tv.selected_span(&index), testdata::span(&index, CONSUMER, BATCH));
    }

    #[test]
    fn a_trace_no_store_has_stays_marked_and_is_not_asked_for_again() {
        let index = testdata::links_index();
        let mut app = on_dangling_link(&index);
        press(&mut app, Context::Links, Action::JumpToLink);
        app.effects.clear();
        app.fetch_failed(DANGLING, true, "http://j/api/traces/dead: trace dead not found");
        assert_eq!(
            app.status.as_deref(),
            Some("trace dead0000… is not in jaeger: http://j/api/traces/dead: trace dead not found")
        );
        assert_eq!(app.remote.as_ref().map(|r| r.availability(DANGLING)), Some(Availability::Absent));
        press(&mut app, Context::Links, Action::JumpToLink);
        assert!(app.effects.is_empty(), "not fetched again");
        assert!(app.status.as_deref().is_some_and(|s| s.starts_with("trace dead0000… is not in jaeger")));
        assert!(app.trace_view().is_some_and(|tv| tv.trace == testdata::trace(&index, CONSUMER)), "no jump");
    }

    #[test]
    fn esc_cancels_the_fetch_and_a_late_answer_is_ignored() {
        let mut index = testdata::links_index();
        let mut app = on_dangling_link(&index);
        press(&mut app, Context::Links, Action::JumpToLink);
        app.effects.clear();
        press(&mut app, Context::Fetching, Action::CancelFetch);
        assert_eq!(app.effects, [Effect::CancelFetch(DANGLING)]);
        assert_eq!(app.status.as_deref(), Some("cancelled fetching dead0000…"));
        assert!(!app.is_fetching());
        assert_ne!(app.contexts()[0], Context::Fetching, "Esc is itself again");
        // An answer already on its way is dropped by the service; had one come, it changes nothing
        // but the index.
        let parked = app.park();
        let growth = index.extend(dangling_trace());
        let mut app = parked.resume(&index, &growth);
        app.fetch_arrived(DANGLING, "u");
        assert_eq!(app.trace_view().map(|tv| tv.trace), Some(testdata::trace(&index, CONSUMER)));
    }

    #[test]
    fn f_in_the_linked_traces_view_fetches_and_the_view_is_built_again_with_what_arrived() {
        let mut index = testdata::links_index();
        let mut app = on_dangling_link(&index);
        press(&mut app, Context::Trace, Action::ShowLinkedTraces);
        let rows = |app: &App<'_>| match &app.overlay {
            Overlay::Flow(fv) => fv.rows.iter().map(|r| app.index.trace(r.trace).id).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert!(!rows(&app).contains(&DANGLING));
        press(&mut app, Context::Move, Action::SelectNext);
        let selected = match &app.overlay {
            Overlay::Flow(fv) => fv.selected(),
            _ => None,
        };
        press(&mut app, Context::Flow, Action::FetchMissing);
        assert_eq!(app.effects, [Effect::Fetch(DANGLING)]);
        app.effects.clear();
        let parked = app.park();
        let growth = index.extend(dangling_trace());
        let mut app = parked.resume(&index, &growth);
        app.fetch_arrived(DANGLING, "u");
        assert!(rows(&app).contains(&DANGLING), "the fetched trace joined the view");
        assert_eq!(
            match &app.overlay {
                Overlay::Flow(fv) => fv.selected(),
                _ => None,
            },
            selected,
            "the selection is kept"
        );
        assert_eq!(app.status.as_deref(), Some("fetched 1 of 1 traces from jaeger"));
    }

    #[test]
    fn f_fetches_every_missing_neighbour_once_and_sums_up() {
        let index = testdata::links_index();
        let mut app = on_dangling_link(&index);
        assert_eq!(app.remote.as_ref().map(Remote::missing_count), Some(1), "only DANGLING is missing");
        press(&mut app, Context::Trace, Action::FetchMissing);
        assert_eq!(app.effects, [Effect::Fetch(DANGLING)]);
        assert_eq!(app.remote.as_ref().map(Remote::missing_count), Some(0), "in flight, not offered again");
        app.fetch_failed(DANGLING, false, "http://j/api/v3/traces/dead: HTTP 503: busy");
        assert_eq!(app.status.as_deref(), Some("http://j/api/v3/traces/dead: HTTP 503: busy"));
        assert_eq!(app.remote.as_ref().map(Remote::missing_count), Some(1), "a failure can be retried");
        // Without a store, `f` says how to get one.
        let mut plain =
            App::new(&index, OpenAt { trace: Some(testdata::trace(&index, CONSUMER)), span: None });
        press(&mut plain, Context::Trace, Action::FetchMissing);
        assert!(plain.effects.is_empty());
        assert!(plain.status.as_deref().is_some_and(|s| s.contains("--backend URL")));
    }
}
