//! `App`: the explorer's view state over the immutable `Index`, and `App::update(Action)`, the
//! one place that changes it. Keys arrive as `Action`s through `keymap::lookup`; typed
//! characters, mouse events and resizes have their own small entry points that end in the same
//! state changes. `ui::render` only reads an `App`.

pub mod action;
pub mod copy;
pub mod critical;
pub mod detail;
pub mod diff;
pub mod fetch;
pub mod filter;
pub mod flow;
pub mod history;
pub mod keymap;
pub mod links;
pub mod list;
pub mod live;
pub mod search;
pub mod stitch;
pub mod summary;
pub mod trace_view;

#[cfg(test)]
pub mod testdata;
#[cfg(test)]
mod tests;

use crate::index::{Index, SpanIdx, TraceIdx};
use crate::text::escape_control;
use crate::ui::layout::{Areas, WaterfallCols};
use action::Action;
use flow::FlowView;
use history::{History, Place, TraceSnapshot};
use keymap::{Context, Key};
use links::{Dir, End, LinkRow};
use list::ListView;
use ratatui::layout::{Position, Rect};
use rustc_hash::{FxHashMap, FxHashSet};
use search::Haystack;
use trace_view::{Pane, Shape, Tab, TraceView};

/// Rows the mouse wheel moves per notch.
pub const WHEEL_STEP: usize = 3;

/// What fills the body.
#[derive(Debug)]
pub enum Screen {
    List,
    Trace(Box<TraceView>),
}

/// Where the explorer opens: the trace list, or a trace with (optionally) a span selected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenAt {
    pub trace: Option<TraceIdx>,
    pub span: Option<SpanIdx>,
}

/// Work the app asks for and cannot do itself: only `tui` touches the terminal and runs threads.
/// `tui` drains `App::effects` after every update, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Put this text on the clipboard (`tui` writes it as an OSC 52 sequence).
    Copy(String),
    /// Build trace `t`'s search text off the UI thread; the result comes back through
    /// `App::deliver_haystack` (or, if the worker is gone, `App::stop_building_in_background`).
    BuildHaystack(TraceIdx),
    /// Fetch this trace from the `--backend` stores; the answer comes back through
    /// `App::fetch_arrived` (after `Index::extend`) or `App::fetch_failed`.
    Fetch(crate::model::TraceId),
    /// Forget the fetch of this trace: its answer, if any, is dropped.
    CancelFetch(crate::model::TraceId),
    /// Run a query off the UI thread; the result comes back through `App::deliver_query`.
    RunQuery(filter::Job),
}

/// What is drawn over the body, if anything. Overlays take the keys first.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum Overlay {
    #[default]
    None,
    Help {
        scroll: usize,
    },
    /// One attribute or event shown in full: `lines` are already escaped and wrapped to
    /// the overlay's width when it opened (and again on resize).
    Value {
        title: String,
        text: String,
        lines: Vec<String>,
        scroll: usize,
    },
    /// Choosing one of several links to follow.
    Picker {
        dir: Dir,
        rows: Vec<LinkRow>,
        sel: usize,
        scroll: usize,
    },
    /// The traces linked to the open one, as a tree (`L`).
    Flow(Box<FlowView>),
    /// The open trace and its directly linked traces on one time axis (`T`).
    Stitch(Box<stitch::StitchView>),
    /// The open trace's per-operation summary (`S`).
    Summary(Box<summary::SummaryView>),
    /// The marked trace against the open one, span by span (`D`).
    Diff(Box<diff::DiffView>),
}

pub struct App<'a> {
    pub index: &'a Index,
    pub screen: Screen,
    pub list: ListView,
    pub overlay: Overlay,
    pub history: History,
    /// The terminal's size, for page sizes, scroll clamping and mouse hit-testing.
    pub viewport: Rect,
    /// A one-line message for the footer; cleared by the next key.
    pub status: Option<String>,
    /// The outbox: what `tui` should do for the app, oldest first. `tui` drains it.
    pub effects: Vec<Effect>,
    pub quit: bool,
    /// Spans skipped while loading (sum of `FileInfo::skipped`), shown in the header.
    pub skipped: usize,
    /// Files in opened folders that could not be loaded (listed on stderr before the explorer
    /// starts, where the alternate screen hides them), also counted in the header.
    pub skipped_files: usize,
    /// Links whose target is not loaded, counted once here rather than on every frame.
    pub unresolved: usize,
    /// Set while data arrives (`weft listen`, `--follow`): what the header counts.
    pub live: Option<live::Live>,
    /// Set when there are trace stores to fetch missing traces from (`--backend`).
    pub remote: Option<fetch::Remote>,
    /// The trace `m` marked for `D` to compare against; by id, so dropping old traces while
    /// live cannot leave it pointing at another trace.
    pub marked: Option<crate::model::TraceId>,
    /// Each span's position in its trace's waterfall order.
    pos_of: Vec<u32>,
    /// Shapes of traces that are not open, kept so reopening one is free.
    shapes: FxHashMap<TraceIdx, Shape>,
    haystacks: FxHashMap<TraceIdx, Haystack>,
    /// Traces with at least this many spans get their haystack built in the background, asked
    /// for as soon as they open. `None` (the default, for an App without a worker, as in tests
    /// and benches): every haystack is built synchronously by the first search keystroke.
    background_min_spans: Option<usize>,
    /// Traces whose haystack was requested and has not been delivered yet.
    pending: FxHashSet<TraceIdx>,
    /// How each trace looked when it was last left, so coming back by a link keeps its
    /// collapsed spans.
    remembered: FxHashMap<TraceIdx, TraceSnapshot>,
    /// Query jobs issued so far: the id of the next one.
    jobs: u64,
}

/// A selection move in any list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    Next,
    Prev,
    First,
    Last,
    PageDown,
    PageUp,
    By(isize),
}

/// Each span's position in its trace's waterfall order.
fn positions(index: &Index) -> Vec<u32> {
    let mut pos_of = vec![0u32; index.span_count()];
    for t in 0..index.traces().len() {
        let t = TraceIdx(u32::try_from(t).unwrap_or(u32::MAX));
        for (p, s) in index.trace_spans(t).iter().enumerate() {
            if let Some(slot) = pos_of.get_mut(s.get()) {
                *slot = u32::try_from(p).unwrap_or(u32::MAX);
            }
        }
    }
    pos_of
}

/// The new selection after `m` in a list of `len` rows showing `page` at a time.
fn step(sel: usize, len: usize, m: Move, page: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let page = page.max(1);
    let last = len - 1;
    match m {
        Move::Next => (sel + 1).min(last),
        Move::Prev => sel.saturating_sub(1),
        Move::First => 0,
        Move::Last => last,
        Move::PageDown => sel.saturating_add(page).min(last),
        Move::PageUp => sel.saturating_sub(page),
        Move::By(d) if d >= 0 => sel.saturating_add(d.unsigned_abs()).min(last),
        Move::By(d) => sel.saturating_sub(d.unsigned_abs()),
    }
}

impl<'a> App<'a> {
    pub fn new(index: &'a Index, open: OpenAt) -> Self {
        let pos_of = positions(index);
        let mut app = Self {
            index,
            screen: Screen::List,
            list: ListView::new(index),
            overlay: Overlay::None,
            history: History::default(),
            viewport: Rect::new(0, 0, 80, 24),
            status: None,
            effects: Vec::new(),
            quit: false,
            skipped: index.data.files.iter().map(|f| f.skipped).sum(),
            skipped_files: 0,
            unresolved: index.unresolved_links().count(),
            live: None,
            remote: None,
            marked: None,
            pos_of,
            shapes: FxHashMap::default(),
            haystacks: FxHashMap::default(),
            background_min_spans: None,
            pending: FxHashSet::default(),
            remembered: FxHashMap::default(),
            jobs: 0,
        };
        let traces = index.traces().len();
        let valid_span = open.span.filter(|s| s.get() < index.span_count());
        let valid_trace = open.trace.filter(|t| t.get() < traces);
        if let Some(s) = valid_span {
            app.enter_trace(index.trace_of(s));
            app.select_span(s);
        } else if let Some(t) = valid_trace {
            app.enter_trace(t);
        } else if traces == 1 {
            app.enter_trace(TraceIdx(0));
        }
        app
    }

    pub fn areas(&self) -> Areas {
        Areas::new(self.viewport)
    }

    pub fn trace_view(&self) -> Option<&TraceView> {
        match &self.screen {
            Screen::Trace(tv) => Some(tv),
            Screen::List => None,
        }
    }

    fn tv_mut(&mut self) -> Option<&mut TraceView> {
        match &mut self.screen {
            Screen::Trace(tv) => Some(tv),
            Screen::List => None,
        }
    }

    /// Position of a span in its trace's waterfall order.
    pub fn pos_of(&self, s: SpanIdx) -> u32 {
        self.pos_of.get(s.get()).copied().unwrap_or(0)
    }

    /// Whether a search or filter is being typed (then printable keys are text).
    pub fn is_typing(&self) -> bool {
        match &self.screen {
            Screen::List => self.list.editing || self.list.prompt.editing,
            Screen::Trace(tv) => tv.search.editing || tv.prompt.editing,
        }
    }

    /// Binding contexts in lookup order, most specific first. While a fetch is in flight its
    /// context comes first (`Esc` cancels it), except while typing.
    pub fn contexts(&self) -> Vec<Context> {
        let mut contexts = self.view_contexts();
        if self.is_fetching() && contexts.first() != Some(&Context::Input) {
            contexts.insert(0, Context::Fetching);
        }
        contexts
    }

    fn view_contexts(&self) -> Vec<Context> {
        match &self.overlay {
            Overlay::Help { .. } | Overlay::Value { .. } => return vec![Context::Move, Context::Global],
            Overlay::Picker { .. } => return vec![Context::Picker, Context::Move, Context::Global],
            Overlay::Flow(_) => return vec![Context::Flow, Context::Move, Context::Global],
            Overlay::Stitch(_) => return vec![Context::Stitch, Context::Move, Context::Global],
            Overlay::Summary(_) => return vec![Context::Summary, Context::Move, Context::Global],
            Overlay::Diff(_) => return vec![Context::Diff, Context::Move, Context::Global],
            Overlay::None => {}
        }
        if self.is_typing() {
            return vec![Context::Input];
        }
        match &self.screen {
            Screen::List => vec![Context::TraceList, Context::Move, Context::Global],
            Screen::Trace(tv) => match (tv.focus, tv.tab) {
                (Pane::Waterfall, _) => {
                    vec![Context::Waterfall, Context::Move, Context::Trace, Context::Global]
                }
                (Pane::Details, Tab::Links) => {
                    vec![Context::Links, Context::Details, Context::Move, Context::Trace, Context::Global]
                }
                (Pane::Details, _) => vec![Context::Details, Context::Move, Context::Trace, Context::Global],
            },
        }
    }

    /// A key press: looked up in the binding table, or typed into a search being edited. An Alt
    /// key bound nowhere here is taken as Esc and then the key (`keymap::as_typed`).
    pub fn handle_key(&mut self, key: Key) {
        for key in keymap::as_typed(&self.contexts(), key) {
            self.press(key);
        }
        self.refresh_missing();
    }

    /// One key, as `handle_key` hands it on.
    fn press(&mut self, key: Key) {
        self.status = None;
        let contexts = self.contexts();
        if let Some(action) = keymap::lookup(&contexts, key) {
            self.update(action);
        } else if contexts.first() == Some(&Context::Input) {
            if let Some(c) = key.typed_char() {
                self.type_char(c);
            } else if key.mods.contains(ratatui::crossterm::event::KeyModifiers::CONTROL)
                && let Some(action) = keymap::lookup(&[Context::Global], key)
            {
                // Ctrl-C still quits while typing.
                self.update(action);
            }
        }
    }

    /// The one mutator for bound actions.
    pub fn update(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::ToggleHelp => {
                self.overlay = match self.overlay {
                    Overlay::Help { .. } => Overlay::None,
                    _ => Overlay::Help { scroll: 0 },
                }
            }
            Action::GoBack => self.go_back(),
            Action::GoForward => self.go_forward(),
            Action::GoUp => self.go_up(),
            Action::FocusNext | Action::FocusPrev => self.toggle_focus(),
            Action::SelectNext => self.move_selection(Move::Next),
            Action::SelectPrev => self.move_selection(Move::Prev),
            Action::SelectFirst => self.move_selection(Move::First),
            Action::SelectLast => self.move_selection(Move::Last),
            Action::PageDown => self.move_selection(Move::PageDown),
            Action::PageUp => self.move_selection(Move::PageUp),
            Action::Collapse => self.collapse(),
            Action::Expand => self.expand(),
            Action::ToggleCollapse => self.toggle_collapse(),
            Action::CollapseAll => self.collapse_all(true),
            Action::ExpandAll => self.collapse_all(false),
            Action::FollowLink => self.follow(Dir::Out),
            Action::FollowBacklink => self.follow(Dir::In),
            Action::StartSearch => self.start_search(),
            Action::NextMatch => self.next_match(true),
            Action::PrevMatch => self.next_match(false),
            Action::ShowAttributes => self.show_tab(Tab::Attributes),
            Action::ShowEvents => self.show_tab(Tab::Events),
            Action::ShowLinks => self.show_tab(Tab::Links),
            Action::ShowLogs => self.show_tab(Tab::Logs),
            Action::PrevTab => self.cycle_tab(false),
            Action::NextTab => self.cycle_tab(true),
            Action::OpenTrace => match &self.overlay {
                Overlay::Flow(_) => self.open_flow_selection(),
                Overlay::Stitch(_) => self.open_stitch_selection(),
                Overlay::Diff(dv) => {
                    if let Some(s) = dv.selected_span() {
                        self.jump_to_span(s);
                    }
                }
                _ => self.open_selected_trace(),
            },
            Action::ShowLinkedTraces => self.show_linked_traces(),
            Action::ShowStitchedTimeline => self.show_stitched_timeline(),
            Action::CopyIds => self.copy_ids(),
            Action::CopySpanJson => self.copy_span_json(),
            Action::ToggleCriticalPath => self.toggle_critical(false),
            Action::ToggleCrossCriticalPath => self.toggle_critical(true),
            Action::CycleSort => {
                if let Overlay::Summary(sv) = &mut self.overlay {
                    sv.cycle_sort(self.index);
                    self.clamp_scrolls();
                } else {
                    self.list.sort = self.list.sort.next();
                    self.refresh_list();
                }
            }
            Action::ReverseSort => {
                self.list.reverse = !self.list.reverse;
                self.refresh_list();
            }
            Action::JumpToLink => self.jump_to_selected_link(),
            Action::ShowValue => self.show_value(),
            Action::ConfirmInput => self.confirm_input(),
            Action::DeleteChar => self.delete_char(),
            Action::FetchMissing => self.fetch_missing(),
            Action::CancelFetch => self.cancel_fetch(),
            Action::StartQuery => self.start_query(),
            Action::NextError => self.step_error(true),
            Action::PrevError => self.step_error(false),
            Action::ToggleSpanFocus => self.toggle_span_focus(),
            Action::ShowSummary => self.show_summary(),
            Action::FilterOperation => self.filter_operation(),
            Action::MarkTrace => self.mark_trace(),
            Action::ShowDiff => self.show_diff(),
        }
    }

    // ---- terminal events other than keys ----

    pub fn resize(&mut self, width: u16, height: u16) {
        self.viewport = Rect::new(0, 0, width, height);
        self.clamp_scrolls();
    }

    /// Mouse wheel at (x, y): moves the selection of the list under the pointer.
    pub fn wheel(&mut self, x: u16, y: u16, down: bool) {
        let by = if down { WHEEL_STEP as isize } else { -(WHEEL_STEP as isize) };
        let at = Position { x, y };
        let areas = self.areas();
        match &self.overlay {
            Overlay::None => {}
            _ => return self.move_selection(Move::By(by)),
        }
        if let Screen::Trace(tv) = &mut self.screen {
            if areas.detail_rows.contains(at) || areas.detail_tabs.contains(at) {
                tv.focus = Pane::Details;
            } else if areas.waterfall_rows.contains(at) || areas.waterfall_head.contains(at) {
                tv.focus = Pane::Waterfall;
            }
        }
        self.move_selection(Move::By(by));
    }

    /// Left click at (x, y): selects the row under it; a click on a link row jumps, a click on
    /// the selected trace opens it, a click on a tab shows it, a click on a span's ▸/▾ toggles it.
    pub fn click(&mut self, x: u16, y: u16) {
        self.click_at(x, y);
        self.refresh_missing();
    }

    fn click_at(&mut self, x: u16, y: u16) {
        self.status = None;
        let at = Position { x, y };
        let areas = self.areas();
        match &mut self.overlay {
            Overlay::None => {}
            Overlay::Help { .. } | Overlay::Value { .. } => {
                self.go_up();
                return;
            }
            Overlay::Picker { rows, sel, scroll, .. } => {
                let frame = areas.picker(rows.len());
                let inner = inner(frame);
                if inner.contains(at) {
                    let i = *scroll + usize::from(y - inner.y);
                    if i < rows.len() {
                        *sel = i;
                        self.jump_to_selected_link();
                    }
                } else {
                    self.go_up();
                }
                return;
            }
            Overlay::Flow(fv) => {
                let rows = areas.flow_rows(fv.rows.len());
                if rows.contains(at) {
                    let i = fv.scroll + usize::from(y - rows.y);
                    if i < fv.rows.len() {
                        if i == fv.sel {
                            self.open_flow_selection();
                        } else {
                            fv.sel = i;
                        }
                    }
                } else if !areas.flow(fv.rows.len()).contains(at) {
                    self.go_up();
                }
                return;
            }
            Overlay::Summary(sv) => {
                let rows = areas.summary_rows(sv.rows.len());
                if rows.contains(at) {
                    let i = sv.scroll + usize::from(y - rows.y);
                    if i < sv.rows.len() {
                        sv.sel = i;
                    }
                } else if !areas.summary(sv.rows.len()).contains(at) {
                    self.go_up();
                }
                return;
            }
            Overlay::Diff(dv) => {
                let rows = areas.diff_rows();
                if rows.contains(at) {
                    let i = dv.scroll + usize::from(y - rows.y);
                    if i < dv.diff.rows.len() {
                        if i == dv.sel {
                            self.update(Action::OpenTrace);
                        } else {
                            dv.sel = i;
                        }
                    }
                }
                return;
            }
            Overlay::Stitch(sv) => {
                let rows = areas.stitch_rows();
                if rows.contains(at) {
                    let i = sv.scroll + usize::from(y - rows.y);
                    if i < sv.rows.len() {
                        if i == sv.sel {
                            self.open_stitch_selection();
                        } else {
                            sv.set_sel(self.index, i, usize::from(rows.height));
                        }
                    }
                }
                return;
            }
        }
        let index = self.index;
        match &mut self.screen {
            Screen::List => {
                if areas.list_rows.contains(at) {
                    let i = self.list.scroll + usize::from(y - areas.list_rows.y);
                    if i < self.list.rows.len() {
                        if i == self.list.sel {
                            self.open_selected_trace();
                        } else {
                            self.list.sel = i;
                        }
                    }
                }
            }
            Screen::Trace(tv) => {
                if areas.waterfall_rows.contains(at) {
                    tv.focus = Pane::Waterfall;
                    let i = tv.scroll + usize::from(y - areas.waterfall_rows.y);
                    let Some(&pos) = tv.visible.get(i) else { return };
                    let cols = WaterfallCols::new(areas.waterfall_rows);
                    let depth = usize::from(index.depth(tv.span_at(index, pos)));
                    let toggle_x =
                        usize::from(cols.tree.0) + crate::ui::layout::tree_indent(depth, cols.tree.1);
                    let on_toggle = usize::from(x) == toggle_x && tv.shape.has_children(pos);
                    tv.set_selected(index, pos);
                    tv.follow_selection(usize::from(areas.waterfall_rows.height));
                    if on_toggle {
                        self.toggle_collapse();
                    }
                } else if areas.detail_tabs.contains(at) {
                    let span = tv.selected_span(index);
                    let mut left = areas.detail_tabs.x;
                    let hit = Tab::ALL.into_iter().find(|&tab| {
                        let w = crate::ui::layout::tab_width(&detail::tab_title(index, span, tab));
                        let hit = x >= left && x < left.saturating_add(w);
                        left = left.saturating_add(w);
                        hit
                    });
                    if let Some(tab) = hit {
                        self.show_tab(tab);
                    }
                } else if areas.detail_rows.contains(at) {
                    tv.focus = Pane::Details;
                    let i = tv.detail_scroll + usize::from(y - areas.detail_rows.y);
                    let span = tv.selected_span(index);
                    if i < detail::row_count(index, span, tv.tab, &tv.links) {
                        tv.detail_sel = i;
                        if tv.tab == Tab::Links {
                            self.jump_to_selected_link();
                        }
                    }
                }
            }
        }
    }

    // ---- moving ----

    fn page(&self) -> usize {
        let a = self.areas();
        let h = match (&self.overlay, &self.screen) {
            (Overlay::Help { .. } | Overlay::Value { .. }, _) => inner(a.help()).height,
            (Overlay::Picker { rows, .. }, _) => inner(a.picker(rows.len())).height,
            (Overlay::Flow(fv), _) => a.flow_rows(fv.rows.len()).height,
            (Overlay::Stitch(_), _) => a.stitch_rows().height,
            (Overlay::Summary(sv), _) => a.summary_rows(sv.rows.len()).height,
            (Overlay::Diff(_), _) => a.diff_rows().height,
            (Overlay::None, Screen::List) => a.list_rows.height,
            (Overlay::None, Screen::Trace(tv)) if tv.focus == Pane::Details => a.detail_rows.height,
            (Overlay::None, Screen::Trace(_)) => a.waterfall_rows.height,
        };
        usize::from(h)
    }

    fn move_selection(&mut self, m: Move) {
        let page = self.page();
        let index = self.index;
        match &mut self.overlay {
            Overlay::Help { scroll } => {
                let len = keymap::help_lines().len();
                let max = len.saturating_sub(page);
                *scroll = step(*scroll, max + 1, m, page);
                return;
            }
            Overlay::Value { lines, scroll, .. } => {
                let max = lines.len().saturating_sub(page);
                *scroll = step(*scroll, max + 1, m, page);
                return;
            }
            Overlay::Picker { rows, sel, scroll, .. } => {
                *sel = step(*sel, rows.len(), m, page);
                *scroll = trace_view::scroll_to_show(*sel, *scroll, page, rows.len());
                return;
            }
            Overlay::Flow(fv) => {
                fv.sel = step(fv.sel, fv.rows.len(), m, page);
                fv.scroll = trace_view::scroll_to_show(fv.sel, fv.scroll, page, fv.rows.len());
                return;
            }
            Overlay::Stitch(sv) => {
                let i = step(sv.sel, sv.rows.len(), m, page);
                sv.set_sel(index, i, page);
                return;
            }
            Overlay::Summary(sv) => {
                sv.sel = step(sv.sel, sv.rows.len(), m, page);
                sv.scroll = trace_view::scroll_to_show(sv.sel, sv.scroll, page, sv.rows.len());
                return;
            }
            Overlay::Diff(dv) => {
                dv.sel = step(dv.sel, dv.diff.rows.len(), m, page);
                dv.scroll = trace_view::scroll_to_show(dv.sel, dv.scroll, page, dv.diff.rows.len());
                return;
            }
            Overlay::None => {}
        }
        match &mut self.screen {
            Screen::List => {
                self.list.sel = step(self.list.sel, self.list.rows.len(), m, page);
                self.list.scroll =
                    trace_view::scroll_to_show(self.list.sel, self.list.scroll, page, self.list.rows.len());
            }
            Screen::Trace(tv) => match tv.focus {
                Pane::Waterfall => {
                    let row = step(tv.sel_row(), tv.visible.len(), m, page);
                    if let Some(&pos) = tv.visible.get(row) {
                        tv.set_selected(index, pos);
                    }
                    tv.follow_selection(page);
                }
                Pane::Details => {
                    let len = detail::row_count(index, tv.selected_span(index), tv.tab, &tv.links);
                    tv.detail_sel = step(tv.detail_sel, len, m, page);
                    tv.detail_scroll = trace_view::scroll_to_show(tv.detail_sel, tv.detail_scroll, page, len);
                }
            },
        }
    }

    fn clamp_scrolls(&mut self) {
        let a = self.areas();
        let index = self.index;
        self.list.scroll = trace_view::scroll_to_show(
            self.list.sel,
            self.list.scroll,
            usize::from(a.list_rows.height),
            self.list.rows.len(),
        );
        if let Screen::Trace(tv) = &mut self.screen {
            tv.follow_selection(usize::from(a.waterfall_rows.height));
            let len = detail::row_count(index, tv.selected_span(index), tv.tab, &tv.links);
            tv.detail_sel = tv.detail_sel.min(len.saturating_sub(1));
            tv.detail_scroll = trace_view::scroll_to_show(
                tv.detail_sel,
                tv.detail_scroll,
                usize::from(a.detail_rows.height),
                len,
            );
        }
        let help_page = usize::from(inner(a.help()).height);
        let value_width = usize::from(inner(a.help()).width.saturating_sub(2));
        match &mut self.overlay {
            Overlay::Help { scroll } => {
                *scroll = (*scroll).min(keymap::help_lines().len().saturating_sub(help_page));
            }
            Overlay::Value { text, lines, scroll, .. } => {
                *lines = detail::wrap(text, value_width);
                *scroll = (*scroll).min(lines.len().saturating_sub(help_page));
            }
            Overlay::Picker { rows, sel, scroll, .. } => {
                let page = usize::from(inner(a.picker(rows.len())).height);
                *scroll = trace_view::scroll_to_show(*sel, *scroll, page, rows.len());
            }
            Overlay::Flow(fv) => {
                let page = usize::from(a.flow_rows(fv.rows.len()).height);
                fv.scroll = trace_view::scroll_to_show(fv.sel, fv.scroll, page, fv.rows.len());
            }
            Overlay::Stitch(sv) => sv.follow(usize::from(a.stitch_rows().height)),
            Overlay::Summary(sv) => {
                let page = usize::from(a.summary_rows(sv.rows.len()).height);
                sv.scroll = trace_view::scroll_to_show(sv.sel, sv.scroll, page, sv.rows.len());
            }
            Overlay::Diff(dv) => {
                let page = usize::from(a.diff_rows().height);
                dv.scroll = trace_view::scroll_to_show(dv.sel, dv.scroll, page, dv.diff.rows.len());
            }
            Overlay::None => {}
        }
    }

    // ---- the waterfall tree ----

    fn waterfall_height(&self) -> usize {
        usize::from(self.areas().waterfall_rows.height)
    }

    fn collapse(&mut self) {
        if let Overlay::Stitch(sv) = &mut self.overlay {
            let h = usize::from(Areas::new(self.viewport).stitch_rows().height);
            sv.collapse(self.index, &self.pos_of, h);
            return;
        }
        let h = self.waterfall_height();
        let index = self.index;
        let pos_of = &self.pos_of;
        let Screen::Trace(tv) = &mut self.screen else { return };
        let pos = tv.selected;
        if tv.shape.has_children(pos) && !tv.is_collapsed(pos) {
            tv.set_collapsed(pos, true);
        } else if let Some(parent) = index.parent(tv.span_at(index, pos)) {
            let pp = pos_of.get(parent.get()).copied().unwrap_or(0);
            // Not above the focused span.
            if tv.can_show(pp) {
                tv.set_selected(index, pp);
            }
        }
        tv.follow_selection(h);
    }

    fn expand(&mut self) {
        if let Overlay::Stitch(sv) = &mut self.overlay {
            sv.expand(self.index, usize::from(Areas::new(self.viewport).stitch_rows().height));
            return;
        }
        let h = self.waterfall_height();
        let index = self.index;
        let Some(tv) = self.tv_mut() else { return };
        let pos = tv.selected;
        if tv.is_collapsed(pos) {
            tv.set_collapsed(pos, false);
        } else if tv.shape.has_children(pos) {
            // The first child shown (a query may hide the first child).
            let end = tv.shape.end.get(pos as usize).copied().unwrap_or(0);
            if let Some(&next) = tv.visible.get(tv.sel_row() + 1).filter(|&&n| n < end) {
                tv.set_selected(index, next);
            }
        }
        tv.follow_selection(h);
    }

    fn toggle_collapse(&mut self) {
        if let Overlay::Stitch(sv) = &mut self.overlay {
            sv.toggle(self.index, usize::from(Areas::new(self.viewport).stitch_rows().height));
            return;
        }
        let h = self.waterfall_height();
        let Some(tv) = self.tv_mut() else { return };
        let pos = tv.selected;
        let c = tv.is_collapsed(pos);
        tv.set_collapsed(pos, !c);
        tv.follow_selection(h);
    }

    /// Collapses (or expands) everything; after collapsing, the selection moves to its root.
    fn collapse_all(&mut self, collapsed: bool) {
        let h = self.waterfall_height();
        let index = self.index;
        let pos_of = &self.pos_of;
        let Screen::Trace(tv) = &mut self.screen else { return };
        for p in 0..tv.collapsed.len() {
            let pos = u32::try_from(p).unwrap_or(u32::MAX);
            tv.collapsed[p] = collapsed && tv.shape.has_children(pos);
        }
        tv.rebuild();
        if collapsed {
            // Up to the topmost ancestor the view shows (the focused span, when there is one).
            let mut s = tv.selected_span(index);
            while let Some(p) =
                index.parent(s).filter(|p| tv.can_show(pos_of.get(p.get()).copied().unwrap_or(0)))
            {
                s = p;
            }
            tv.set_selected(index, pos_of.get(s.get()).copied().unwrap_or(0));
        }
        tv.follow_selection(h);
    }

    // ---- panes and tabs ----

    fn toggle_focus(&mut self) {
        let Some(tv) = self.tv_mut() else { return };
        tv.focus = match tv.focus {
            Pane::Waterfall => Pane::Details,
            Pane::Details => Pane::Waterfall,
        };
    }

    fn show_tab(&mut self, tab: Tab) {
        let Some(tv) = self.tv_mut() else { return };
        tv.tab = tab;
        tv.focus = Pane::Details;
        tv.detail_sel = 0;
        tv.detail_scroll = 0;
    }

    fn cycle_tab(&mut self, forward: bool) {
        let Some(tv) = self.tv_mut() else { return };
        tv.tab = if forward { tv.tab.next() } else { tv.tab.prev() };
        tv.detail_sel = 0;
        tv.detail_scroll = 0;
    }

    /// Enter on an Attributes or Events row: the whole value, wrapped, in an overlay.
    fn show_value(&mut self) {
        let index = self.index;
        let Some(tv) = self.trace_view() else { return };
        let span = tv.selected_span(index);
        let rows = match tv.tab {
            Tab::Attributes => detail::attribute_rows(index, span),
            Tab::Events => detail::event_rows(index, span),
            Tab::Links => return,
            Tab::Logs => Vec::new(),
        };
        let shown = match tv.tab {
            Tab::Logs => detail::log_record_text(index, span, tv.detail_sel),
            _ => rows.get(tv.detail_sel).map(|row| (row.key.clone(), row.value.clone())),
        };
        let Some((title, text)) = shown else { return };
        let width = usize::from(inner(self.areas().help()).width.saturating_sub(2));
        let lines = detail::wrap(&text, width);
        self.overlay = Overlay::Value { title, text, lines, scroll: 0 };
    }

    // ---- going places ----

    /// Where we are now, as a history entry.
    pub fn current_place(&self) -> Place {
        match &self.screen {
            Screen::List => Place::List { selected: self.list.selected() },
            Screen::Trace(tv) => Place::Trace(tv.snapshot(self.index)),
        }
    }

    /// Leaves the current screen: remembers how the trace looked and keeps its shape.
    fn leave_screen(&mut self) {
        let screen = std::mem::replace(&mut self.screen, Screen::List);
        if let Screen::Trace(tv) = screen {
            self.remembered.insert(tv.trace, tv.snapshot(self.index));
            let TraceView { trace, shape, .. } = *tv;
            self.shapes.insert(trace, shape);
        }
        self.overlay = Overlay::None;
    }

    /// Shows trace `t` (not recorded in history), as it was last left.
    fn enter_trace(&mut self, t: TraceIdx) {
        self.leave_screen();
        let snap = self.remembered.get(&t).cloned();
        self.show_trace(t, snap.as_ref());
    }

    fn show_trace(&mut self, t: TraceIdx, snap: Option<&TraceSnapshot>) {
        let index = self.index;
        let shape = self.shapes.remove(&t).unwrap_or_else(|| Shape::build(index, t, &self.pos_of));
        let mut tv = TraceView::new(index, t, shape, snap, &self.pos_of);
        tv.follow_selection(self.waterfall_height());
        self.screen = Screen::Trace(Box::new(tv));
        self.clamp_scrolls();
        // Start the search text now, so it is usually ready by the time `/` is pressed.
        if self.builds_in_background(t) {
            self.request_haystack(t);
        }
    }

    fn restore(&mut self, place: Place) {
        self.leave_screen();
        match place {
            Place::List { selected } => {
                if let Some(t) = selected {
                    self.list.select(t);
                }
                self.clamp_scrolls();
            }
            Place::Trace(snap) => self.show_trace(snap.trace, Some(&snap)),
        }
    }

    /// Selects span `s` of the open trace: expands its ancestors and scrolls it into view.
    fn select_span(&mut self, s: SpanIdx) {
        let h = self.waterfall_height();
        let index = self.index;
        let pos = self.pos_of(s);
        let pos_of = &self.pos_of;
        let Screen::Trace(tv) = &mut self.screen else { return };
        if index.trace_of(s) != tv.trace {
            return;
        }
        if !tv.can_show(pos) {
            // A jump to a span the focus or the query hides: show the whole trace again.
            tv.zoom = None;
            tv.filter = None;
            tv.prompt = filter::Prompt::default();
            tv.rebuild();
        }
        tv.reveal(index, pos, pos_of);
        tv.set_selected(index, pos);
        tv.center_selection(h);
    }

    /// A recorded jump to span `s`, switching trace if needed.
    pub fn jump_to_span(&mut self, s: SpanIdx) {
        if s.get() >= self.index.span_count() {
            return;
        }
        let from = self.current_place();
        self.history.record(from);
        let t = self.index.trace_of(s);
        let tab = self.trace_view().map(|tv| tv.tab);
        if self.trace_view().map(|tv| tv.trace) != Some(t) {
            self.enter_trace(t);
        }
        self.overlay = Overlay::None;
        if let Some(tv) = self.tv_mut() {
            tv.focus = Pane::Waterfall;
            if let Some(tab) = tab {
                tv.tab = tab;
            }
        }
        self.select_span(s);
    }

    /// A recorded jump to trace `t` (its list entry, or the trace of a missing link target).
    fn jump_to_trace(&mut self, t: TraceIdx) {
        let from = self.current_place();
        self.history.record(from);
        self.enter_trace(t);
    }

    fn open_selected_trace(&mut self) {
        if let Some(t) = self.list.selected() {
            self.jump_to_trace(t);
            // The list was narrowed by a query: the trace opens showing what matched.
            if let Some(text) = self.list.query.as_ref().map(|q| q.text.clone())
                && self.trace_view().is_some_and(|tv| tv.filter.is_none())
            {
                self.set_query(text);
            }
        }
    }

    /// `L`: the tree of traces linked to the open one, built here so drawing only reads it.
    fn show_linked_traces(&mut self) {
        let Some(t) = self.trace_view().map(|tv| tv.trace) else { return };
        let fv = FlowView::build(self.index, t);
        if fv.rows.len() <= 1 {
            self.say_nothing_linked();
            return;
        }
        self.overlay = Overlay::Flow(Box::new(fv));
        self.clamp_scrolls();
    }

    /// `c`/`C`: computes the critical path (or across links) once, or hides it.
    fn toggle_critical(&mut self, cross: bool) {
        let index = self.index;
        let pos_of = &self.pos_of;
        let Screen::Trace(tv) = &mut self.screen else { return };
        if tv.critical.as_ref().is_some_and(|c| c.cross == cross) {
            tv.critical = None;
            self.status = Some("critical path hidden".into());
            return;
        }
        let cv = critical::CriticalView::build(index, tv.trace, cross, pos_of);
        if cross && cv.traces < 2 {
            self.status = Some("the critical path does not cross any link into a loaded trace".into());
        }
        tv.critical = Some(cv);
    }

    /// `y`: the selected linked trace (and its root span), the selected link row's far end (in
    /// the Links tab) or the selected span, as `TRACE_ID SPAN_ID`, handed to `tui` for the
    /// clipboard.
    fn copy_ids(&mut self) {
        let index = self.index;
        if let Overlay::Flow(fv) = &self.overlay {
            let Some(t) = fv.selected() else { return };
            let info = index.trace(t);
            let root = (info.root.get() < index.span_count()).then(|| index.span(info.root).span_id);
            let span_id = root.unwrap_or_default();
            self.effects.push(Effect::Copy(format!("{} {span_id}", info.id)));
            self.status = Some(format!(
                "copied trace {}… root span {span_id} (OSC 52: terminal may not support it)",
                info.id.short(8)
            ));
            return;
        }
        let Some(tv) = self.trace_view() else { return };
        let link_row = (tv.focus == Pane::Details && tv.tab == Tab::Links)
            .then(|| tv.links.get(tv.detail_sel).copied())
            .flatten();
        let (what, trace_id, span_id) = match link_row {
            Some(row) => match row.dir {
                Dir::Out => {
                    let link = row.link(index);
                    ("link target", link.trace_id, link.span_id)
                }
                Dir::In => {
                    let source = index.span(index.link_source(row.link));
                    ("link source", source.trace_id, source.span_id)
                }
            },
            None => {
                let span = index.span(tv.selected_span(index));
                ("span", span.trace_id, span.span_id)
            }
        };
        self.effects.push(Effect::Copy(format!("{trace_id} {span_id}")));
        self.status = Some(format!(
            "copied {what} ids {}… {span_id} (OSC 52: terminal may not support it)",
            trace_id.short(8)
        ));
    }

    /// `Y`: the selected span as one JSON object (`copy::span_json`), handed to `tui` for the
    /// clipboard; the footer says how long it is, and whether it had to be cut to fit.
    fn copy_span_json(&mut self) {
        let index = self.index;
        let Some(tv) = self.trace_view() else { return };
        let s = tv.selected_span(index);
        let (text, fit) = copy::span_json(index, s, copy::CLIPBOARD_MAX);
        let id = index.span(s).span_id;
        let kib = copy::CLIPBOARD_MAX / 1024;
        let how = match fit {
            copy::Fit::Whole => format!("{} bytes", text.len()),
            copy::Fit::ValuesCut => format!("values cut to {} bytes to fit {kib} KiB", copy::CUT_VALUES_AT),
            copy::Fit::TextCut => format!("cut at {kib} KiB: not valid JSON"),
        };
        self.status = Some(format!("copied span {id} as JSON ({how}; OSC 52: terminal may not support it)"));
        self.effects.push(Effect::Copy(text));
    }

    /// `T`: the open trace and its directly linked traces on one time axis, built here so
    /// drawing only reads it.
    fn show_stitched_timeline(&mut self) {
        let index = self.index;
        let Some(tv) = self.trace_view() else { return };
        let (t, selected) = (tv.trace, tv.selected_span(index));
        if !index.linked_traces(t).any(|tl| tl.other != t) {
            self.say_nothing_linked();
            return;
        }
        let known_shape = |x: TraceIdx| {
            let open = self.trace_view().filter(|tv| tv.trace == x).map(|tv| tv.shape.clone());
            open.or_else(|| self.shapes.get(&x).cloned())
        };
        let sv = stitch::StitchView::build(index, t, selected, &self.pos_of, known_shape);
        self.overlay = Overlay::Stitch(Box::new(sv));
        self.clamp_scrolls();
    }

    /// Enter in the stitched timeline: a recorded jump to the selected span, in its own trace.
    fn open_stitch_selection(&mut self) {
        let Overlay::Stitch(sv) = &self.overlay else { return };
        let Some(s) = sv.selected_span(self.index) else { return };
        self.jump_to_span(s);
    }

    /// `m`: the trace selected in the list, or the open one, becomes the one `D` compares with.
    fn mark_trace(&mut self) {
        let t = match &self.screen {
            Screen::List => self.list.selected(),
            Screen::Trace(tv) => Some(tv.trace),
        };
        let Some(t) = t else { return };
        let id = self.index.trace(t).id;
        self.marked = Some(id);
        self.status = Some(format!("marked trace {}: open another and press D to compare", id.short(8)));
    }

    /// `D`: the marked trace (A) against the open one (B).
    fn show_diff(&mut self) {
        let Some(b) = self.trace_view().map(|tv| tv.trace) else { return };
        let a = match self.marked {
            None => {
                self.status = Some("no trace is marked: press m on a trace first".into());
                return;
            }
            Some(id) => match self.index.find_trace(id) {
                Some(a) => a,
                None => {
                    self.status = Some(format!("the marked trace {} is no longer loaded", id.short(8)));
                    return;
                }
            },
        };
        if a == b {
            self.status = Some("this is the marked trace: open another one to compare".into());
            return;
        }
        self.overlay = Overlay::Diff(Box::new(diff::DiffView::build(self.index, a, b)));
        self.clamp_scrolls();
    }

    /// Enter in the linked-traces view: a recorded jump to the selected trace.
    fn open_flow_selection(&mut self) {
        let Overlay::Flow(fv) = &self.overlay else { return };
        let Some(t) = fv.selected() else { return };
        if self.trace_view().map(|tv| tv.trace) == Some(t) {
            self.overlay = Overlay::None;
            return;
        }
        self.jump_to_trace(t);
    }

    fn go_back(&mut self) {
        let current = self.current_place();
        match self.history.back(current) {
            Some(place) => self.restore(place),
            None => self.status = Some("nothing to go back to".into()),
        }
    }

    fn go_forward(&mut self) {
        let current = self.current_place();
        match self.history.forward(current) {
            Some(place) => self.restore(place),
            None => self.status = Some("nothing to go forward to".into()),
        }
    }

    /// Esc: closes the innermost thing that is open.
    fn go_up(&mut self) {
        if self.overlay != Overlay::None {
            self.overlay = Overlay::None;
            return;
        }
        match &mut self.screen {
            Screen::List => {
                if self.list.prompt.editing || self.list.query.is_some() {
                    self.clear_query(true);
                } else if self.list.editing || !self.list.filter.is_empty() {
                    self.list.editing = false;
                    self.list.filter.clear();
                    self.refresh_list();
                } else {
                    self.status = Some("press q to quit".into());
                }
            }
            Screen::Trace(tv) => {
                if tv.prompt.editing || (tv.filter.is_some() && !tv.search.is_active()) {
                    self.clear_query(true);
                } else if tv.search.is_active() {
                    tv.search = search::Search::default();
                } else if tv.zoom.is_some() {
                    self.toggle_span_focus();
                } else if tv.focus == Pane::Details {
                    tv.focus = Pane::Waterfall;
                } else {
                    let t = tv.trace;
                    let from = self.current_place();
                    self.history.record(from);
                    self.leave_screen();
                    self.list.select(t);
                    self.clamp_scrolls();
                }
            }
        }
    }

    // ---- links ----

    /// `]`/`[`: follows the only link in that direction, or opens a picker for several.
    fn follow(&mut self, dir: Dir) {
        let Some(tv) = self.trace_view() else { return };
        let rows: Vec<LinkRow> = tv.links.iter().copied().filter(|r| r.dir == dir).collect();
        match rows.len() {
            0 => {
                self.status = Some(match dir {
                    Dir::Out => "this span has no outgoing links".into(),
                    Dir::In => "no span links to this one".into(),
                })
            }
            1 => self.jump_link(rows[0]),
            _ => {
                self.overlay = Overlay::Picker { dir, rows, sel: 0, scroll: 0 };
            }
        }
    }

    fn jump_to_selected_link(&mut self) {
        let row = match &self.overlay {
            Overlay::Picker { rows, sel, .. } => rows.get(*sel).copied(),
            Overlay::Help { .. }
            | Overlay::Value { .. }
            | Overlay::Flow(_)
            | Overlay::Stitch(_)
            | Overlay::Summary(_)
            | Overlay::Diff(_) => None,
            Overlay::None => self
                .trace_view()
                .filter(|tv| tv.tab == Tab::Links)
                .and_then(|tv| tv.links.get(tv.detail_sel).copied()),
        };
        match row {
            Some(row) => self.jump_link(row),
            None => self.status = Some("no link selected".into()),
        }
    }

    /// Jumps to the far end of a link, or says why it cannot.
    fn jump_link(&mut self, row: LinkRow) {
        self.overlay = Overlay::None;
        let link = *row.link(self.index);
        match row.end(self.index) {
            End::Span(s) => self.jump_to_span(s),
            End::Missing { trace: Some(t) } => {
                self.jump_to_trace(t);
                self.status = Some(format!(
                    "span {} is not loaded; showing its trace {}",
                    link.span_id,
                    link.trace_id.short(8)
                ));
            }
            End::Missing { trace: None } => self.fetch_link_target(row),
            End::Pointer => {
                self.status = Some("a span pointer names a resource, not a span; nothing to jump to".into());
            }
        }
    }

    // ---- search and filter ----

    fn refresh_list(&mut self) {
        self.list.refresh(self.index);
        self.clamp_scrolls();
    }

    fn start_search(&mut self) {
        match &mut self.screen {
            Screen::List => self.list.editing = true,
            Screen::Trace(tv) => {
                let anchor = tv.selected;
                tv.search = search::Search { editing: true, anchor, ..search::Search::default() };
            }
        }
    }

    fn type_char(&mut self, c: char) {
        if let Some(prompt) = self.editing_prompt() {
            prompt.text.push(c);
            return self.run_prompt();
        }
        match &mut self.screen {
            Screen::List => {
                self.list.filter.push(c);
                self.refresh_list();
            }
            Screen::Trace(tv) => {
                tv.search.query.push(c);
                self.run_search();
            }
        }
    }

    fn delete_char(&mut self) {
        if let Some(prompt) = self.editing_prompt() {
            prompt.text.pop();
            return self.run_prompt();
        }
        match &mut self.screen {
            Screen::List => {
                self.list.filter.pop();
                self.refresh_list();
            }
            Screen::Trace(tv) => {
                tv.search.query.pop();
                self.run_search();
            }
        }
    }

    /// Whether trace `t`'s haystack is built off the UI thread (a worker is running and the
    /// trace is large enough for the build to be felt).
    fn builds_in_background(&self, t: TraceIdx) -> bool {
        self.background_min_spans.is_some_and(|min| self.index.trace_spans(t).len() >= min)
    }

    /// Asks `tui`'s worker for trace `t`'s haystack, once.
    fn request_haystack(&mut self, t: TraceIdx) {
        if !self.haystacks.contains_key(&t) && self.pending.insert(t) {
            self.effects.push(Effect::BuildHaystack(t));
        }
    }

    /// Called by `tui` once a worker builds haystacks: from now on traces with at least
    /// `min_spans` spans get theirs built in the background, starting with the open one.
    pub fn build_haystacks_in_background(&mut self, min_spans: usize) {
        self.background_min_spans = Some(min_spans);
        if let Some(t) = self.trace_view().map(|tv| tv.trace)
            && self.builds_in_background(t)
        {
            self.request_haystack(t);
        }
    }

    /// The worker is gone: back to synchronous builds, and a search that was waiting for one
    /// runs now.
    pub fn stop_building_in_background(&mut self) {
        self.background_min_spans = None;
        self.effects.retain(|e| !matches!(e, Effect::BuildHaystack(_)));
        let waiting = self.search_preparing().is_some();
        self.pending.clear();
        if waiting {
            self.search_arrived();
        }
        self.rerun_pending_query();
    }

    /// Whether some requested haystack has not been delivered yet.
    pub fn haystacks_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The spans of the open trace, while its search waits for its haystack.
    pub fn search_preparing(&self) -> Option<usize> {
        let tv = self.trace_view()?;
        (tv.search.is_active() && self.pending.contains(&tv.trace))
            .then(|| self.index.trace_spans(tv.trace).len())
    }

    /// A haystack built off the UI thread for trace `t`. If the open trace's search was waiting
    /// for it, the search runs now for the query as typed meanwhile (and, if Enter was already
    /// pressed, reveals every match). A haystack for any other trace is only kept.
    pub fn deliver_haystack(&mut self, t: TraceIdx, hay: Haystack) {
        if !self.pending.remove(&t) || t.get() >= self.index.traces().len() {
            // Not asked for (or asked for before a reset): nothing waits for it.
            return;
        }
        let waiting = self.trace_view().is_some_and(|tv| tv.trace == t && tv.search.is_active());
        self.haystacks.insert(t, hay);
        if waiting {
            self.search_arrived();
        }
    }

    /// Runs the open trace's search now that its haystack is there.
    fn search_arrived(&mut self) {
        self.run_search();
        let confirmed = self.trace_view().is_some_and(|tv| !tv.search.editing && !tv.search.query.is_empty());
        if confirmed {
            self.reveal_matches();
        }
    }

    /// Recomputes the matches and selects the first one at or after where typing started.
    fn run_search(&mut self) {
        let index = self.index;
        let Some(t) = self.trace_view().map(|tv| tv.trace) else { return };
        if !self.haystacks.contains_key(&t) && self.builds_in_background(t) {
            // The text is being built off this thread: keep the query, show no matches yet
            // (the footer says it is preparing) and search when `deliver_haystack` brings it.
            self.request_haystack(t);
            let Screen::Trace(tv) = &mut self.screen else { return };
            tv.search.matches.clear();
            tv.search.current = None;
            let anchor = tv.search.anchor;
            self.select_pos(anchor);
            return;
        }
        let Screen::Trace(tv) = &mut self.screen else { return };
        let hay = self.haystacks.entry(tv.trace).or_insert_with(|| Haystack::build(index, tv.trace));
        tv.search.matches = hay.find(&tv.search.query);
        // Only what the view can show (inside a focus, kept by a query) counts as a match.
        if tv.zoom.is_some() || tv.filter.is_some() {
            let matches = std::mem::take(&mut tv.search.matches);
            tv.search.matches = matches.into_iter().filter(|&m| tv.can_show(m)).collect();
        }
        tv.search.current = tv.search.first_from(tv.search.anchor);
        // No match (or an empty query): back to where typing started, as vim's incsearch does.
        let pos =
            tv.search.current.and_then(|i| tv.search.matches.get(i).copied()).unwrap_or(tv.search.anchor);
        self.select_pos(pos);
    }

    /// Selects a position in the open trace, revealing it.
    fn select_pos(&mut self, pos: u32) {
        if let Some(tv) = self.trace_view() {
            let s = tv.span_at(self.index, pos);
            self.select_span(s);
        }
    }

    fn confirm_input(&mut self) {
        if let Some(prompt) = self.editing_prompt() {
            // A query with an error stays open to be fixed; the view keeps the last good one.
            prompt.editing = prompt.error.is_some();
            return;
        }
        match &mut self.screen {
            Screen::List => self.list.editing = false,
            Screen::Trace(tv) => {
                tv.search.editing = false;
                if !tv.search.query.is_empty() {
                    self.reveal_matches();
                }
            }
        }
    }

    /// After Enter: expands the ancestors of every match, not just the current one, and
    /// centres the selection.
    fn reveal_matches(&mut self) {
        let index = self.index;
        let pos_of = &self.pos_of;
        match &mut self.screen {
            Screen::List => {}
            Screen::Trace(tv) => {
                let matches = std::mem::take(&mut tv.search.matches);
                tv.expand_to(index, &matches, pos_of);
                tv.search.matches = matches;
                let h = self.waterfall_height();
                if let Some(tv) = self.tv_mut() {
                    tv.center_selection(h);
                }
            }
        }
    }

    fn next_match(&mut self, forward: bool) {
        let Some(tv) = self.tv_mut() else {
            return self.move_selection(if forward { Move::Next } else { Move::Prev });
        };
        if !tv.search.is_active() && tv.filter.is_some() {
            return self.step_query_match(forward);
        }
        let n = tv.search.matches.len();
        let trace = tv.trace;
        if n == 0 && !tv.search.query.is_empty() && self.pending.contains(&trace) {
            let spans = u64::try_from(self.index.trace_spans(trace).len()).unwrap_or(u64::MAX);
            self.status =
                Some(format!("still preparing the search over {} spans", crate::ui::loading::grouped(spans)));
            return;
        }
        let Some(tv) = self.tv_mut() else { return };
        if n == 0 {
            let msg = if tv.search.query.is_empty() {
                "no search; press / to search".into()
            } else {
                format!("no match for {}", escape_control(&tv.search.query))
            };
            self.status = Some(msg);
            return;
        }
        let i = match tv.search.current {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => tv.search.first_from(tv.selected).unwrap_or(0),
        };
        tv.search.current = Some(i);
        if let Some(&pos) = tv.search.matches.get(i) {
            self.select_pos(pos);
        }
    }
}

/// The inside of a bordered frame.
pub fn inner(frame: Rect) -> Rect {
    Rect {
        x: frame.x.saturating_add(1),
        y: frame.y.saturating_add(1),
        width: frame.width.saturating_sub(2),
        height: frame.height.saturating_sub(2),
    }
}
