//! The `F` query filter (the language of `crate::query`): the prompt being typed, and what an
//! applied query keeps — in a trace, the matching spans and their ancestors; in the trace list,
//! the traces with a matching span. Queries run as `Job`s: on `tui`'s worker for large inputs
//! (the result comes back through `App::deliver_query`), synchronously otherwise.

use super::{App, Effect, Screen};
use crate::index::{Index, TraceIdx};
use crate::query::Query;
use crate::ui::loading::grouped;

/// The query prompt of a trace or of the trace list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    pub editing: bool,
    /// Why the text cannot be applied (it does not parse, or matches nothing); the view stays
    /// as it was.
    pub error: Option<String>,
    /// The job running for the text, whose result is the one to apply.
    pub pending: Option<u64>,
}

/// What a query runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The spans of one trace.
    Trace(TraceIdx),
    /// Every loaded span, to find the traces holding a match.
    List,
}

/// A query to run, tagged so only the newest result is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: u64,
    pub text: String,
    pub scope: Scope,
}

/// What a job found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// Positions (waterfall order) of the matching spans, ascending.
    Spans(Vec<u32>),
    /// Per trace: whether it holds a matching span.
    Traces(Vec<bool>),
    /// The text does not parse (the prompt checks first, so only a race gets here).
    Error(String),
}

impl Job {
    /// Runs the query over its scope: one pass over the spans, no allocation per span.
    pub fn run(&self, index: &Index) -> Found {
        let query = match Query::new(&self.text, index) {
            Ok(q) => q,
            Err(e) => return Found::Error(e.to_string()),
        };
        match self.scope {
            Scope::Trace(t) if t.get() < index.traces().len() => Found::Spans(
                (index.trace_spans(t).iter().enumerate())
                    .filter(|(_, s)| query.matches(index, **s))
                    .map(|(p, _)| u32::try_from(p).unwrap_or(u32::MAX))
                    .collect(),
            ),
            Scope::Trace(_) => Found::Spans(Vec::new()),
            Scope::List => Found::Traces(
                (0..index.traces().len())
                    .map(|t| {
                        let t = TraceIdx(u32::try_from(t).unwrap_or(u32::MAX));
                        index.trace_spans(t).iter().any(|&s| query.matches(index, s))
                    })
                    .collect(),
            ),
        }
    }
}

/// A query applied to the open trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFilter {
    pub text: String,
    /// Positions of the matching spans, ascending (never empty: a query matching nothing is
    /// not applied).
    pub matches: Vec<u32>,
    /// Per position: a match or an ancestor of one (what the waterfall keeps).
    pub kept: Vec<bool>,
    /// Index into `matches` of the one `n`/`N` last selected.
    pub current: Option<usize>,
}

impl TraceFilter {
    /// Marks every match and its ancestors; `parent_pos(p)` is the position of `p`'s parent.
    pub fn new(text: String, matches: Vec<u32>, len: usize, parent_pos: impl Fn(u32) -> Option<u32>) -> Self {
        let mut kept = vec![false; len];
        for &m in &matches {
            let mut p = Some(m);
            while let Some(at) = p {
                match kept.get_mut(at as usize) {
                    // An ancestor already kept was reached from an earlier match: so were its own.
                    Some(k) if !*k => *k = true,
                    _ => break,
                }
                p = parent_pos(at);
            }
        }
        Self { text, matches, kept, current: None }
    }

    pub fn is_match(&self, pos: u32) -> bool {
        self.matches.binary_search(&pos).is_ok()
    }

    pub fn keeps(&self, pos: u32) -> bool {
        self.kept.get(pos as usize).copied().unwrap_or(false)
    }
}

/// A query applied to the trace list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListFilter {
    pub text: String,
    /// Per trace: whether it holds a matching span.
    pub traces: Vec<bool>,
}

impl ListFilter {
    pub fn keeps(&self, t: TraceIdx) -> bool {
        self.traces.get(t.get()).copied().unwrap_or(false)
    }
    pub fn count(&self) -> usize {
        self.traces.iter().filter(|&&k| k).count()
    }
}

impl App<'_> {
    /// `F`: starts typing a query, from the one applied (if any) so it can be edited.
    pub(super) fn start_query(&mut self) {
        match &mut self.screen {
            Screen::List => {
                let prompt = &mut self.list.prompt;
                prompt.editing = true;
                prompt.text = self.list.query.as_ref().map(|q| q.text.clone()).unwrap_or_default();
            }
            Screen::Trace(tv) => {
                tv.search = super::search::Search::default();
                tv.prompt.editing = true;
                tv.prompt.text = tv.filter.as_ref().map(|f| f.text.clone()).unwrap_or_default();
            }
        }
    }

    /// The prompt being typed into, if one is.
    pub(super) fn editing_prompt(&mut self) -> Option<&mut Prompt> {
        let prompt = match &mut self.screen {
            Screen::List => &mut self.list.prompt,
            Screen::Trace(tv) => &mut tv.prompt,
        };
        prompt.editing.then_some(prompt)
    }

    /// Applies `text` as the open trace's query at once (the summary's `Enter`).
    pub(super) fn set_query(&mut self, text: String) {
        if let Screen::Trace(tv) = &mut self.screen {
            tv.search = super::search::Search::default();
            tv.prompt = Prompt { text, ..Prompt::default() };
            self.run_prompt();
        }
    }

    /// After the prompt's text changed: a text that does not parse shows its error and the view
    /// stays; an empty one clears the query; any other runs (on the worker when the input is
    /// large, so typing never waits).
    pub(super) fn run_prompt(&mut self) {
        let index = self.index;
        let (prompt, scope, spans) = match &mut self.screen {
            Screen::List => (&mut self.list.prompt, Scope::List, index.span_count()),
            Screen::Trace(tv) => (&mut tv.prompt, Scope::Trace(tv.trace), index.trace_spans(tv.trace).len()),
        };
        prompt.pending = None;
        prompt.error = None;
        if prompt.text.trim().is_empty() {
            return self.clear_query(false);
        }
        if let Err(e) = crate::query::parse::parse(&prompt.text) {
            prompt.error = Some(e.to_string());
            return;
        }
        self.jobs += 1;
        let job = Job { id: self.jobs, text: prompt.text.clone(), scope };
        prompt.pending = Some(job.id);
        if self.background_min_spans.is_some_and(|min| spans >= min) {
            self.effects.push(Effect::RunQuery(job));
        } else {
            let found = job.run(index);
            self.deliver_query(job.id, found);
        }
    }

    /// After the index grew (live): the open trace's query is put back; if the trace gained
    /// spans (`touched`, its positions moved) it runs again over the new layout. The prompt is
    /// then put back as it was (text being typed, error).
    pub(super) fn restore_query_after_growth(
        &mut self,
        prompt: Prompt,
        applied: Option<TraceFilter>,
        touched: bool,
    ) {
        let index = self.index;
        let Screen::Trace(tv) = &mut self.screen else { return };
        match applied {
            Some(f) if touched => {
                tv.prompt = Prompt { text: f.text, ..Prompt::default() };
                self.run_prompt();
            }
            Some(f) => {
                tv.filter = Some(f);
                tv.rebuild();
                tv.keep_selection_visible(index);
            }
            None => {}
        }
        if let Screen::Trace(tv) = &mut self.screen {
            tv.prompt = Prompt { pending: None, ..prompt };
        }
    }

    /// After the index grew (live): the traces that gained spans (new ones included) are tested
    /// against the list's query; the others keep their answer, so a batch costs what it touched.
    pub(super) fn rerun_list_query(&mut self, touched: &[TraceIdx]) {
        let index = self.index;
        let Some(q) = self.list.query.as_mut() else { return };
        let Ok(query) = Query::new(&q.text, index) else { return };
        q.traces.resize(index.traces().len(), false);
        for &t in touched {
            if let Some(slot) = q.traces.get_mut(t.get()) {
                *slot = index.trace_spans(t).iter().any(|&s| query.matches(index, s));
            }
        }
        self.refresh_list();
    }

    /// Whether a query job is running on the worker.
    pub fn queries_pending(&self) -> bool {
        self.list.prompt.pending.is_some() || self.trace_view().is_some_and(|tv| tv.prompt.pending.is_some())
    }

    /// The worker is gone: the query it was running runs here.
    pub(super) fn rerun_pending_query(&mut self) {
        self.effects.retain(|e| !matches!(e, Effect::RunQuery(_)));
        if self.queries_pending() {
            self.run_prompt();
        }
    }

    /// A query's result; applied only if it is for the prompt's current text.
    pub fn deliver_query(&mut self, id: u64, found: Found) {
        let index = self.index;
        let pos_of = &self.pos_of;
        let h = usize::from(self.areas().waterfall_rows.height);
        match &mut self.screen {
            Screen::List if self.list.prompt.pending == Some(id) => {
                let prompt = &mut self.list.prompt;
                prompt.pending = None;
                match found {
                    Found::Traces(traces) if traces.contains(&true) => {
                        self.list.query = Some(ListFilter { text: prompt.text.clone(), traces });
                        self.refresh_list();
                    }
                    Found::Traces(_) | Found::Spans(_) => {
                        prompt.error = Some("no trace has a matching span".into())
                    }
                    Found::Error(e) => prompt.error = Some(e),
                }
            }
            Screen::Trace(tv) if tv.prompt.pending == Some(id) => {
                tv.prompt.pending = None;
                let range = tv.zoom_range();
                let matches = match found {
                    Found::Spans(m) => m.into_iter().filter(|p| range.contains(p)).collect::<Vec<u32>>(),
                    Found::Traces(_) => Vec::new(),
                    Found::Error(e) => {
                        tv.prompt.error = Some(e);
                        return;
                    }
                };
                if matches.is_empty() {
                    let where_ = if tv.zoom.is_some() { " in the focused span" } else { "" };
                    tv.prompt.error = Some(format!("no span matches{where_}"));
                    return;
                }
                let parent_pos =
                    |p: u32| index.parent(tv.span_at(index, p)).and_then(|s| pos_of.get(s.get()).copied());
                let filter = TraceFilter::new(tv.prompt.text.clone(), matches, tv.shape.len(), parent_pos);
                tv.expand_to(index, &filter.matches, pos_of);
                // The selection stays on a match; otherwise it moves to the next one.
                let pos = if filter.is_match(tv.selected) {
                    tv.selected
                } else {
                    filter.matches
                        [filter.matches.partition_point(|&m| m < tv.selected).min(filter.matches.len() - 1)]
                };
                let mut filter = filter;
                filter.current = filter.matches.binary_search(&pos).ok();
                tv.filter = Some(filter);
                tv.rebuild();
                tv.set_selected(index, pos);
                tv.center_selection(h);
            }
            _ => {}
        }
    }

    /// Esc on a query: stops typing and shows everything again.
    pub(super) fn clear_query(&mut self, stop_typing: bool) {
        let index = self.index;
        let h = self.waterfall_height();
        match &mut self.screen {
            Screen::List => {
                if stop_typing {
                    self.list.prompt = Prompt::default();
                }
                if self.list.query.take().is_some() {
                    self.refresh_list();
                }
            }
            Screen::Trace(tv) => {
                if stop_typing {
                    tv.prompt = Prompt::default();
                }
                if tv.filter.take().is_some() {
                    tv.rebuild();
                    tv.keep_selection_visible(index);
                    tv.center_selection(h);
                }
            }
        }
    }

    /// `n`/`N` with a query applied and no search: the next (previous) match, wrapping.
    pub(super) fn step_query_match(&mut self, forward: bool) {
        let Some(tv) = self.tv_mut() else { return };
        let Some(f) = &mut tv.filter else { return };
        let n = f.matches.len();
        let i = match f.current {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None if forward => f.matches.partition_point(|&m| m <= tv.selected) % n,
            None => (f.matches.partition_point(|&m| m < tv.selected) + n - 1) % n,
        };
        f.current = Some(i);
        let pos = f.matches[i];
        self.select_pos(pos);
    }

    /// `e`/`E`: the next (previous) error span the view can show, wrapping; expands what hides it.
    pub(super) fn step_error(&mut self, forward: bool) {
        let index = self.index;
        let Some(tv) = self.trace_view() else { return };
        let spans = index.trace_spans(tv.trace);
        let n = u32::try_from(spans.len()).unwrap_or(u32::MAX);
        let error_at =
            |p: u32| tv.can_show(p) && spans.get(p as usize).is_some_and(|&s| index.span(s).is_error());
        let from = tv.selected;
        let next = (1..=n)
            .map(|k| if forward { (from + k) % n } else { (from + n - k % n) % n })
            .find(|&p| error_at(p));
        let Some(pos) = next else {
            let scope = if tv.zoom.is_some() || tv.filter.is_some() { "in view" } else { "in this trace" };
            self.status = Some(format!("no error span {scope}"));
            return;
        };
        let total = (0..n).filter(|&p| error_at(p)).count();
        let ordinal = (0..=pos).filter(|&p| error_at(p)).count();
        self.select_pos(pos);
        self.status = Some(format!("error {ordinal} of {total}"));
    }

    /// `z`: the selected span's subtree becomes the view, on its own time axis; again, back to
    /// the whole trace.
    pub(super) fn toggle_span_focus(&mut self) {
        let index = self.index;
        let h = self.waterfall_height();
        let Screen::Trace(tv) = &mut self.screen else { return };
        if tv.zoom.take().is_none() {
            if !tv.shape.has_children(tv.selected) {
                self.status = Some("this span has no children to focus on".into());
                return;
            }
            tv.zoom = Some(tv.selected);
            tv.set_collapsed(tv.selected, false);
        }
        tv.rebuild();
        tv.keep_selection_visible(index);
        tv.center_selection(h);
    }

    /// The footer's count for a prompt: `12 of 3,402 spans`, `3 of 40 traces`, or that the query
    /// is running.
    pub fn query_counter(&self) -> Option<String> {
        let index = self.index;
        match &self.screen {
            Screen::List => {
                let q = self.list.query.as_ref()?;
                Some(format!(
                    "{} of {} traces",
                    grouped(q.count() as u64),
                    grouped(index.traces().len() as u64)
                ))
            }
            Screen::Trace(tv) => {
                let f = tv.filter.as_ref()?;
                let total = index.trace_spans(tv.trace).len() as u64;
                Some(format!("{} of {} spans", grouped(f.matches.len() as u64), grouped(total)))
            }
        }
    }
}

/// `"text"` quoted for a query value: backslashes and quotes escaped.
pub fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Effect;
    use crate::app::testdata::{self, CONSUMER, SCATTER};
    use crate::query::parse::{Expr, Term, parse};

    #[test]
    fn a_trace_job_finds_positions_and_a_list_job_finds_traces() {
        let index = testdata::links_index();
        let t = testdata::trace(&index, CONSUMER);
        let job = Job { id: 1, text: "service=postgres or name~注文".into(), scope: Scope::Trace(t) };
        // consume batch(0) > process item(1) > db query(2); 注文(3); evil(4)
        assert_eq!(job.run(&index), Found::Spans(vec![2, 3]));
        let job = Job { id: 2, text: "name~shard".into(), scope: Scope::List };
        let Found::Traces(traces) = job.run(&index) else { panic!("traces") };
        let scatter = testdata::trace(&index, SCATTER);
        assert_eq!(traces.iter().filter(|&&k| k).count(), 1);
        assert!(traces[scatter.get()]);
        let bad = Job { id: 3, text: "duration>".into(), scope: Scope::List };
        assert!(matches!(bad.run(&index), Found::Error(e) if e.contains("column 10")));
    }

    #[test]
    fn a_filter_keeps_matches_and_their_ancestors() {
        // 0 > 1 > 2, 0 > 3, 4 (another root)
        let parents = [None, Some(0), Some(1), Some(0), None];
        let f = TraceFilter::new("q".into(), vec![2, 4], 5, |p| parents[p as usize]);
        assert_eq!(f.kept, vec![true, true, true, false, true]);
        assert!(f.is_match(2) && !f.is_match(1) && f.keeps(1) && !f.keeps(3) && !f.keeps(9));
    }

    use crate::app::action::Action;
    use crate::app::keymap::{Context, Key};
    use crate::app::tests::{press, selected, type_text};
    use crate::app::{OpenAt, Overlay};
    use crate::model::SpanId;
    use ratatui::crossterm::event::KeyCode;

    fn tv<'a>(app: &'a App<'_>) -> &'a crate::app::trace_view::TraceView {
        app.trace_view().expect("a trace is open")
    }

    fn open(index: &Index, trace: crate::model::TraceId) -> App<'_> {
        let mut app = App::new(index, OpenAt { trace: Some(testdata::trace(index, trace)), span: None });
        app.resize(80, 24);
        app
    }

    #[test]
    fn a_query_keeps_matches_and_ancestors_and_esc_shows_everything_again() {
        let index = testdata::links_index();
        let mut app = open(&index, CONSUMER);
        press(&mut app, Context::Trace, Action::StartQuery);
        assert!(app.is_typing());
        type_text(&mut app, "service=postgres");
        // consume batch(0) > process item(1) > db query(2): the match and its two ancestors.
        assert_eq!(tv(&app).visible, vec![0, 1, 2]);
        assert_eq!(tv(&app).filter.as_ref().map(|f| f.matches.clone()), Some(vec![2]));
        assert_eq!(tv(&app).selected, 2, "the selection moves to the first match");
        assert_eq!(app.query_counter().as_deref(), Some("1 of 5 spans"));
        press(&mut app, Context::Input, Action::ConfirmInput);
        assert!(!app.is_typing());
        press(&mut app, Context::Move, Action::SelectFirst);
        press(&mut app, Context::Trace, Action::NextMatch);
        assert_eq!(selected(&app), testdata::span(&index, CONSUMER, crate::app::testdata::DB));
        press(&mut app, Context::Global, Action::GoUp);
        assert!(tv(&app).filter.is_none());
        assert_eq!(tv(&app).visible, vec![0, 1, 2, 3, 4]);
        assert_eq!(tv(&app).selected, 2, "the selection stays where the query left it");
    }

    #[test]
    fn a_bad_query_shows_its_column_and_the_view_stays() {
        let index = testdata::links_index();
        let mut app = open(&index, CONSUMER);
        press(&mut app, Context::Trace, Action::StartQuery);
        type_text(&mut app, "name~item");
        assert_eq!(tv(&app).visible, vec![0, 1]);
        type_text(&mut app, " duration>5xs");
        let err = tv(&app).prompt.error.clone().expect("an error");
        assert!(err.contains("unknown unit `xs` at column 20"), "{err}");
        assert_eq!(tv(&app).visible, vec![0, 1], "the last good query still applies");
        // Enter does not close a prompt holding an error.
        press(&mut app, Context::Input, Action::ConfirmInput);
        assert!(app.is_typing());
        for _ in 0.."xs".len() {
            press(&mut app, Context::Input, Action::DeleteChar);
        }
        type_text(&mut app, "ms");
        assert!(tv(&app).prompt.error.is_none());
        assert_eq!(tv(&app).visible, vec![0, 1], "process item lasts 15 ms");
        for _ in 0.."5ms".len() {
            press(&mut app, Context::Input, Action::DeleteChar);
        }
        type_text(&mut app, "50ms");
        assert_eq!(tv(&app).prompt.error.as_deref(), Some("no span matches"));
        assert_eq!(tv(&app).visible, vec![0, 1]);
        // Deleting everything shows the whole trace again.
        for _ in 0..40 {
            press(&mut app, Context::Input, Action::DeleteChar);
        }
        assert!(tv(&app).filter.is_none() && tv(&app).prompt.error.is_none());
        assert_eq!(tv(&app).visible.len(), 5);
    }

    #[test]
    fn n_and_n_step_query_matches_when_no_search_is_active() {
        let index = testdata::links_index();
        let mut app = open(&index, SCATTER);
        press(&mut app, Context::Trace, Action::StartQuery);
        type_text(&mut app, "name~shard");
        press(&mut app, Context::Input, Action::ConfirmInput);
        let shard = |i: u64| testdata::span(&index, SCATTER, SpanId(0x50 + i));
        assert_eq!(selected(&app), shard(1), "the first match is selected");
        press(&mut app, Context::Trace, Action::NextMatch);
        assert_eq!(selected(&app), shard(2));
        press(&mut app, Context::Trace, Action::NextMatch);
        press(&mut app, Context::Trace, Action::NextMatch);
        assert_eq!(selected(&app), shard(1), "wraps");
        press(&mut app, Context::Trace, Action::PrevMatch);
        assert_eq!(selected(&app), shard(3), "wraps backwards");
        // A search, once active, is what n steps.
        press(&mut app, Context::Trace, Action::StartSearch);
        type_text(&mut app, "gather");
        press(&mut app, Context::Input, Action::ConfirmInput);
        assert!(tv(&app).search.matches.is_empty(), "gather is not among what the query shows");
    }

    #[test]
    fn the_trace_list_keeps_traces_with_a_matching_span() {
        let index = testdata::links_index();
        let mut app = App::new(&index, OpenAt::default());
        press(&mut app, Context::TraceList, Action::StartQuery);
        type_text(&mut app, "kind=producer");
        assert_eq!(app.list.rows.len(), 2, "the two producer traces");
        assert_eq!(app.query_counter().as_deref(), Some("2 of 4 traces"));
        type_text(&mut app, " error");
        assert_eq!(app.list.prompt.error.as_deref(), Some("no trace has a matching span"));
        assert_eq!(app.list.rows.len(), 2);
        // Opened from the narrowed list, a trace shows what matched.
        for _ in 0.." error".len() {
            press(&mut app, Context::Input, Action::DeleteChar);
        }
        assert!(app.list.prompt.error.is_none());
        press(&mut app, Context::Input, Action::ConfirmInput);
        press(&mut app, Context::TraceList, Action::OpenTrace);
        assert_eq!(tv(&app).filter.as_ref().map(|f| f.text.as_str()), Some("kind=producer"));
        assert_eq!(app.index.span(selected(&app)).kind, crate::model::SpanKind::Producer);
        press(&mut app, Context::Global, Action::GoUp);
        press(&mut app, Context::Global, Action::GoUp);
        assert!(matches!(app.screen, Screen::List));
        app.handle_key(Key::new(KeyCode::Esc));
        assert_eq!(app.list.rows.len(), 4);
        assert!(app.list.query.is_none() && !app.is_typing());
    }

    #[test]
    fn a_large_input_runs_the_query_on_the_worker_and_applies_only_the_newest() {
        let index = testdata::links_index();
        let mut app = open(&index, CONSUMER);
        app.build_haystacks_in_background(1);
        app.effects.clear();
        press(&mut app, Context::Trace, Action::StartQuery);
        type_text(&mut app, "error");
        let jobs: Vec<Job> = app
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::RunQuery(j) => Some(j.clone()),
                _ => None,
            })
            .collect();
        // `e`, `er`, … parse as attribute keys: one job per keystroke, nothing applied yet.
        assert_eq!(jobs.len(), 5);
        assert!(tv(&app).filter.is_none() && app.queries_pending());
        let stale = jobs[3].run(&index);
        app.deliver_query(jobs[3].id, stale);
        assert!(tv(&app).filter.is_none(), "a result for older text is dropped");
        let newest = jobs[4].run(&index);
        app.deliver_query(jobs[4].id, newest);
        assert_eq!(tv(&app).filter.as_ref().map(|f| f.matches.clone()), Some(vec![2]));
        assert!(!app.queries_pending());
        // The worker gone, a pending query runs here.
        type_text(&mut app, " or root");
        assert!(app.queries_pending());
        app.stop_building_in_background();
        assert!(!app.queries_pending());
        assert_eq!(tv(&app).filter.as_ref().map(|f| f.matches.clone()), Some(vec![0, 2]));
    }

    #[test]
    fn e_and_shift_e_step_through_errors_expanding_what_hides_them() {
        let index = testdata::errors_index();
        let mut app = App::new(&index, OpenAt::default());
        app.resize(80, 24);
        press(&mut app, Context::Waterfall, Action::CollapseAll);
        assert_eq!(tv(&app).visible, vec![0]);
        let id = |app: &App<'_>| app.index.span(selected(app)).span_id.0;
        press(&mut app, Context::Trace, Action::NextError);
        assert_eq!(id(&app), 0x12, "a1, under collapsed root and a");
        assert_eq!(app.status.as_deref(), Some("error 1 of 3"));
        assert!(tv(&app).visible.contains(&tv(&app).selected));
        press(&mut app, Context::Trace, Action::NextError);
        assert_eq!(id(&app), 0x21);
        press(&mut app, Context::Trace, Action::NextError);
        assert_eq!((id(&app), app.status.as_deref()), (0x32, Some("error 3 of 3")));
        press(&mut app, Context::Trace, Action::NextError);
        assert_eq!(id(&app), 0x12, "wraps");
        press(&mut app, Context::Trace, Action::PrevError);
        assert_eq!(id(&app), 0x32, "backwards wraps too");
        // Focused on b, only b is an error in view.
        press(&mut app, Context::Trace, Action::PrevError);
        press(&mut app, Context::Trace, Action::ToggleSpanFocus);
        press(&mut app, Context::Trace, Action::NextError);
        assert_eq!((id(&app), app.status.as_deref()), (0x21, Some("error 1 of 1")));
    }

    #[test]
    fn focus_shows_a_subtree_and_history_keeps_it() {
        let index = testdata::links_index();
        let item = testdata::span(&index, CONSUMER, crate::app::testdata::ITEM);
        let mut app = App::new(&index, OpenAt { trace: None, span: Some(item) });
        app.resize(80, 24);
        // A leaf cannot be focused on.
        press(&mut app, Context::Move, Action::SelectNext);
        press(&mut app, Context::Trace, Action::ToggleSpanFocus);
        assert_eq!(app.status.as_deref(), Some("this span has no children to focus on"));
        assert_eq!(tv(&app).zoom, None);
        press(&mut app, Context::Move, Action::SelectPrev);
        press(&mut app, Context::Trace, Action::ToggleSpanFocus);
        assert_eq!(tv(&app).visible, vec![1, 2]);
        assert_eq!(tv(&app).zoom_range(), 1..3);
        // Leave by a link and come back: the focus is restored.
        press(&mut app, Context::Trace, Action::FollowLink);
        assert_ne!(app.trace_view().map(|tv| tv.trace), Some(testdata::trace(&index, CONSUMER)));
        press(&mut app, Context::Global, Action::GoBack);
        assert_eq!(tv(&app).zoom, Some(1));
        assert_eq!(tv(&app).visible, vec![1, 2]);
        // Esc leaves the focus first, then the trace.
        press(&mut app, Context::Global, Action::GoUp);
        assert_eq!(tv(&app).zoom, None);
        assert_eq!(tv(&app).visible.len(), 5);
        press(&mut app, Context::Trace, Action::ToggleSpanFocus);
        press(&mut app, Context::Trace, Action::ToggleSpanFocus);
        assert_eq!(tv(&app).zoom, None, "z again leaves");
    }

    #[test]
    fn the_summary_filters_the_waterfall_to_an_operation() {
        let index = testdata::links_index();
        let mut app = open(&index, SCATTER);
        press(&mut app, Context::Trace, Action::ShowSummary);
        let Overlay::Summary(sv) = &app.overlay else { panic!("summary open") };
        assert_eq!(sv.rows.len(), 5);
        press(&mut app, Context::Summary, Action::CycleSort);
        let Overlay::Summary(sv) = &app.overlay else { panic!("summary open") };
        assert_eq!(sv.sort, crate::app::summary::SummarySort::Total);
        // By total: search (40 ms) first, then shard-3, shard-2, shard-1, gather.
        press(&mut app, Context::Move, Action::SelectLast);
        press(&mut app, Context::Summary, Action::FilterOperation);
        assert_eq!(app.overlay, Overlay::None);
        let f = tv(&app).filter.as_ref().expect("filtered");
        assert_eq!(f.text, "service=\"gateway\" name=\"gather\"");
        assert_eq!(f.matches.len(), 1);
        assert_eq!(selected(&app), testdata::span(&index, SCATTER, crate::app::testdata::GATHER));
    }

    #[test]
    fn moving_never_leaves_what_the_focus_and_the_query_show() {
        let index = testdata::errors_index();
        let mut app = App::new(&index, OpenAt::default());
        app.resize(80, 24);
        let id = |app: &App<'_>| app.index.span(selected(app)).span_id.0;
        // Focus on b: h on b stays on b (its parent is outside), collapse-all keeps b.
        press(&mut app, Context::Move, Action::SelectNext);
        press(&mut app, Context::Move, Action::SelectNext);
        press(&mut app, Context::Move, Action::SelectNext);
        assert_eq!(id(&app), 0x21);
        press(&mut app, Context::Trace, Action::ToggleSpanFocus);
        press(&mut app, Context::Waterfall, Action::Collapse);
        press(&mut app, Context::Waterfall, Action::Collapse);
        assert_eq!(id(&app), 0x21);
        press(&mut app, Context::Waterfall, Action::CollapseAll);
        assert_eq!((id(&app), tv(&app).visible.clone()), (0x21, vec![3]));
        press(&mut app, Context::Global, Action::GoUp);
        press(&mut app, Context::Waterfall, Action::ExpandAll);
        // With a query keeping root > c > c1 only, l on the root goes to c, not to the hidden a.
        press(&mut app, Context::Move, Action::SelectFirst);
        press(&mut app, Context::Trace, Action::StartQuery);
        type_text(&mut app, "name=c1");
        press(&mut app, Context::Input, Action::ConfirmInput);
        press(&mut app, Context::Move, Action::SelectFirst);
        press(&mut app, Context::Waterfall, Action::Expand);
        assert_eq!(id(&app), 0x31);
    }

    #[test]
    fn a_jump_to_a_span_the_query_hides_shows_the_whole_trace() {
        let index = testdata::links_index();
        let mut app = open(&index, SCATTER);
        press(&mut app, Context::Trace, Action::StartQuery);
        type_text(&mut app, "name=gather");
        press(&mut app, Context::Input, Action::ConfirmInput);
        assert_eq!(tv(&app).visible, vec![0, 4]);
        // gather links to the three shards in the same trace: a picker, then a jump.
        press(&mut app, Context::Trace, Action::FollowLink);
        press(&mut app, Context::Picker, Action::JumpToLink);
        assert_eq!(selected(&app), testdata::span(&index, SCATTER, SpanId(0x51)));
        assert!(tv(&app).filter.is_none());
        assert!(tv(&app).visible.contains(&tv(&app).selected));
    }

    #[test]
    fn quoted_values_parse_back_to_themselves() {
        for text in ["plain", "with space", "quote \" and \\ slash", ""] {
            let q = format!("name={}", quote(text));
            assert_eq!(parse(&q), Ok(Expr::Term(Term::Name { contains: false, text: text.into() })), "{q}");
        }
    }
}
