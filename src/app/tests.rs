//! App-level tests: feed keys (taken from the binding table) and assert on the state.

use super::keymap::{Context, key_for};
use super::testdata::{self, BATCH, CONSUMER, DANGLING, DB, EVIL, GATHER, ITEM, P1, P1_PUBLISH, P2, SCATTER};
use super::*;

/// The text of the last clipboard copy the app asked `tui` for.
pub(super) fn copied(app: &App<'_>) -> Option<String> {
    app.effects.iter().rev().find_map(|e| match e {
        Effect::Copy(text) => Some(text.clone()),
        Effect::BuildHaystack(_) | Effect::Fetch(_) | Effect::CancelFetch(_) | Effect::RunQuery(_) => None,
    })
}

/// The haystack builds the app asked `tui`'s worker for, in order.
fn haystack_requests(app: &App<'_>) -> Vec<TraceIdx> {
    app.effects
        .iter()
        .filter_map(|e| match e {
            Effect::BuildHaystack(t) => Some(*t),
            Effect::Copy(_) | Effect::Fetch(_) | Effect::CancelFetch(_) | Effect::RunQuery(_) => None,
        })
        .collect()
}

fn open_at(index: &Index, trace: crate::model::TraceId, span: crate::model::SpanId) -> App<'_> {
    let s = testdata::span(index, trace, span);
    let mut app = App::new(index, OpenAt { trace: None, span: Some(s) });
    app.resize(80, 24);
    app
}

/// Presses the key the table binds to `action` in `ctx`, through the real lookup.
pub(super) fn press(app: &mut App<'_>, ctx: Context, action: Action) {
    let key = key_for(ctx, action).unwrap_or_else(|| panic!("{action:?} is not bound in {ctx:?}"));
    app.handle_key(key);
}

pub(super) fn type_text(app: &mut App<'_>, text: &str) {
    for c in text.chars() {
        app.handle_key(Key::ch(c));
    }
}

pub(super) fn selected(app: &App<'_>) -> SpanIdx {
    app.trace_view().expect("a trace is open").selected_span(app.index)
}

fn current_trace(app: &App<'_>) -> Option<crate::model::TraceId> {
    app.trace_view().map(|tv| app.index.trace(tv.trace).id)
}

#[test]
fn several_traces_open_on_the_list_and_one_trace_opens_directly() {
    let index = testdata::links_index();
    let app = App::new(&index, OpenAt::default());
    assert!(matches!(app.screen, Screen::List));
    assert_eq!(app.list.rows.len(), 4);

    let big = testdata::big_index(50);
    let app = App::new(&big, OpenAt::default());
    assert!(app.trace_view().is_some(), "one trace opens directly");
}

#[test]
fn open_at_a_span_selects_it_with_its_ancestors_expanded() {
    let index = testdata::links_index();
    let app = open_at(&index, CONSUMER, DB);
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, DB));
    let tv = app.trace_view().expect("open");
    assert!(tv.visible.contains(&tv.selected));
    assert_eq!(app.skipped, 2);

    let t = testdata::trace(&index, SCATTER);
    let app = App::new(&index, OpenAt { trace: Some(t), span: None });
    assert_eq!(current_trace(&app), Some(SCATTER));
    assert_eq!(selected(&app), index.trace(t).root);
}

#[test]
fn links_tab_enter_follows_into_another_trace_and_back_and_forward_restore_state() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    // Collapse "process item" so there is collapsed state to restore.
    press(&mut app, Context::Move, Action::SelectNext);
    press(&mut app, Context::Waterfall, Action::Collapse);
    press(&mut app, Context::Move, Action::SelectPrev);
    let before = app.current_place();

    press(&mut app, Context::Trace, Action::ShowLinks);
    let tv = app.trace_view().expect("open");
    assert_eq!((tv.focus, tv.tab, tv.detail_sel), (Pane::Details, Tab::Links, 0));
    assert_eq!(app.contexts()[0], Context::Links);
    let before_jump = app.current_place();
    press(&mut app, Context::Links, Action::JumpToLink);
    assert_eq!(current_trace(&app), Some(P1));
    assert_eq!(selected(&app), testdata::span(&index, P1, P1_PUBLISH));
    assert_eq!(app.trace_view().map(|tv| tv.focus), Some(Pane::Waterfall));

    press(&mut app, Context::Global, Action::GoBack);
    assert_eq!(app.current_place(), before_jump, "trace, selection, collapsed spans, tab and focus restored");
    if let (Place::Trace(a), Place::Trace(b)) = (&before, &app.current_place()) {
        assert_eq!(a.collapsed, b.collapsed);
        assert_eq!(a.collapsed, vec![1]);
    } else {
        panic!("expected trace places");
    }

    press(&mut app, Context::Global, Action::GoForward);
    assert_eq!(current_trace(&app), Some(P1));
    assert_eq!(selected(&app), testdata::span(&index, P1, P1_PUBLISH));
    press(&mut app, Context::Global, Action::GoForward);
    assert_eq!(app.status.as_deref(), Some("nothing to go forward to"));
}

#[test]
fn back_restores_scroll_and_selection_in_a_big_trace() {
    let index = testdata::big_index(2_000);
    let mut app = App::new(&index, OpenAt::default());
    app.resize(80, 24);
    for _ in 0..30 {
        press(&mut app, Context::Move, Action::PageDown);
    }
    // Find a span with an outgoing link (every 7th links to the root).
    while crate::app::links::counts(&index, selected(&app)).0 == 0 {
        press(&mut app, Context::Move, Action::SelectNext);
    }
    let tv = app.trace_view().expect("open");
    let (sel, scroll) = (tv.selected, tv.scroll);
    assert!(scroll > 100, "scrolled far down: {scroll}");
    press(&mut app, Context::Trace, Action::FollowLink);
    let tv = app.trace_view().expect("open");
    assert_eq!(tv.selected, 0, "jumped to the root");
    assert_eq!(tv.scroll, 0);
    press(&mut app, Context::Global, Action::GoBack);
    let tv = app.trace_view().expect("open");
    assert_eq!((tv.selected, tv.scroll), (sel, scroll));
}

#[test]
fn picker_lists_several_links_and_enter_jumps() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::FollowLink);
    let Overlay::Picker { rows, dir, .. } = &app.overlay else { panic!("picker expected") };
    assert_eq!((rows.len(), *dir), (5, Dir::Out));
    assert_eq!(app.contexts()[0], Context::Picker);
    press(&mut app, Context::Move, Action::SelectNext);
    press(&mut app, Context::Picker, Action::JumpToLink);
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(current_trace(&app), Some(P2));

    // Esc closes the picker without jumping.
    press(&mut app, Context::Global, Action::GoBack);
    press(&mut app, Context::Trace, Action::FollowLink);
    press(&mut app, Context::Global, Action::GoUp);
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(current_trace(&app), Some(CONSUMER));

    // The dangling link says its trace is not loaded and stays put.
    press(&mut app, Context::Trace, Action::FollowLink);
    press(&mut app, Context::Move, Action::SelectNext);
    press(&mut app, Context::Move, Action::SelectNext);
    press(&mut app, Context::Picker, Action::JumpToLink);
    assert_eq!(current_trace(&app), Some(CONSUMER));
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("not loaded") && status.contains(&DANGLING.to_string()), "{status}");
}

#[test]
fn missing_span_in_a_loaded_trace_opens_that_trace() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::ShowLinks);
    for _ in 0..3 {
        press(&mut app, Context::Move, Action::SelectNext);
    }
    press(&mut app, Context::Links, Action::JumpToLink);
    assert_eq!(current_trace(&app), Some(P1));
    assert!(app.status.as_deref().unwrap_or("").contains("0000000000000099 is not loaded"));
}

#[test]
fn backlinks_jump_directly_when_there_is_one_and_pick_when_several() {
    let index = testdata::links_index();
    let mut app = open_at(&index, SCATTER, crate::model::SpanId(0x51));
    press(&mut app, Context::Trace, Action::FollowBacklink);
    assert_eq!(selected(&app), testdata::span(&index, SCATTER, GATHER), "one backlink: no picker");

    let mut app = open_at(&index, P1, P1_PUBLISH);
    press(&mut app, Context::Trace, Action::FollowBacklink);
    assert!(matches!(&app.overlay, Overlay::Picker { rows, dir: Dir::In, .. } if rows.len() == 2));
    press(&mut app, Context::Move, Action::SelectLast);
    press(&mut app, Context::Picker, Action::JumpToLink);
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, ITEM));

    let mut app = open_at(&index, CONSUMER, DB);
    press(&mut app, Context::Trace, Action::FollowLink);
    assert_eq!(app.status.as_deref(), Some("this span has no outgoing links"));
}

#[test]
fn jumping_into_a_collapsed_subtree_expands_its_ancestors() {
    let index = testdata::links_index();
    let mut app = open_at(&index, P1, P1_PUBLISH);
    // Leave the consumer trace with everything collapsed, then come back by a link.
    let mut other = open_at(&index, CONSUMER, BATCH);
    press(&mut other, Context::Waterfall, Action::CollapseAll);
    assert_eq!(other.trace_view().map(|tv| tv.visible.len()), Some(1));
    drop(other);

    press(&mut app, Context::Trace, Action::FollowBacklink);
    press(&mut app, Context::Move, Action::SelectLast);
    press(&mut app, Context::Picker, Action::JumpToLink);
    let tv = app.trace_view().expect("open");
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, ITEM));
    assert!(tv.visible.contains(&tv.selected));
}

#[test]
fn search_counts_matches_and_n_and_shift_n_wrap() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::StartSearch);
    assert_eq!(app.contexts(), vec![Context::Input]);
    type_text(&mut app, "worker");
    let counter = |app: &App<'_>| app.trace_view().map(|tv| tv.search.counter());
    assert_eq!(counter(&app).as_deref(), Some("1/4"));
    press(&mut app, Context::Input, Action::ConfirmInput);
    press(&mut app, Context::Trace, Action::NextMatch);
    assert_eq!(counter(&app).as_deref(), Some("2/4"));
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, ITEM));
    press(&mut app, Context::Trace, Action::PrevMatch);
    press(&mut app, Context::Trace, Action::PrevMatch);
    assert_eq!(counter(&app).as_deref(), Some("4/4"), "wraps to the last");
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, EVIL));
    press(&mut app, Context::Global, Action::GoUp);
    assert!(!app.trace_view().is_some_and(|tv| tv.search.is_active()), "Esc clears the search");
    assert!(app.trace_view().is_some(), "and stays in the trace");
}

#[test]
fn typing_a_search_reveals_the_match_and_enter_reveals_all() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Waterfall, Action::CollapseAll);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "postgres");
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, DB));
    let tv = app.trace_view().expect("open");
    assert!(tv.visible.contains(&tv.selected), "the match's ancestors were expanded");

    press(&mut app, Context::Input, Action::GoUp);
    press(&mut app, Context::Waterfall, Action::CollapseAll);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "q");
    press(&mut app, Context::Input, Action::DeleteChar);
    type_text(&mut app, "w");
    press(&mut app, Context::Input, Action::ConfirmInput);
    let tv = app.trace_view().expect("open");
    assert_eq!(tv.search.query, "w");
    for &m in &tv.search.matches {
        assert!(tv.visible.contains(&m), "match {m} revealed");
    }
}

#[test]
fn escape_goes_up_one_level_at_a_time() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Global, Action::ToggleHelp);
    press(&mut app, Context::Trace, Action::ShowLinks);
    assert!(matches!(app.overlay, Overlay::Help { .. }), "help takes the keys first");
    press(&mut app, Context::Global, Action::GoUp);
    assert_eq!(app.overlay, Overlay::None);
    press(&mut app, Context::Trace, Action::ShowLinks);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "x");
    press(&mut app, Context::Input, Action::GoUp);
    assert_eq!(app.trace_view().map(|tv| (tv.search.is_active(), tv.focus)), Some((false, Pane::Details)));
    press(&mut app, Context::Global, Action::GoUp);
    assert_eq!(app.trace_view().map(|tv| tv.focus), Some(Pane::Waterfall));
    press(&mut app, Context::Global, Action::GoUp);
    assert!(matches!(app.screen, Screen::List));
    assert_eq!(app.list.selected(), Some(testdata::trace(&index, CONSUMER)));
    press(&mut app, Context::TraceList, Action::StartSearch);
    type_text(&mut app, "orders");
    assert_eq!(app.list.rows.len(), 2);
    press(&mut app, Context::Input, Action::ConfirmInput);
    press(&mut app, Context::Global, Action::GoUp);
    assert_eq!(app.list.rows.len(), 4, "Esc clears the filter");
    press(&mut app, Context::Global, Action::GoUp);
    assert!(!app.quit);
    // Back from the list returns to the trace we left.
    press(&mut app, Context::Global, Action::GoBack);
    assert_eq!(current_trace(&app), Some(CONSUMER));
}

#[test]
fn trace_list_sorts_filters_and_opens() {
    let index = testdata::links_index();
    let mut app = App::new(&index, OpenAt::default());
    app.resize(80, 24);
    press(&mut app, Context::TraceList, Action::CycleSort);
    assert_eq!(app.list.sort, list::SortKey::Trace);
    press(&mut app, Context::TraceList, Action::ReverseSort);
    let first = app.list.rows[0];
    assert_eq!(index.trace(first).id, CONSUMER, "largest id first when reversed");
    press(&mut app, Context::TraceList, Action::StartSearch);
    type_text(&mut app, "gateway");
    press(&mut app, Context::Input, Action::ConfirmInput);
    assert_eq!(app.list.rows, vec![testdata::trace(&index, SCATTER)]);
    press(&mut app, Context::TraceList, Action::OpenTrace);
    assert_eq!(current_trace(&app), Some(SCATTER));
    press(&mut app, Context::Global, Action::GoBack);
    assert!(matches!(app.screen, Screen::List));
    assert_eq!(app.list.filter, "gateway", "the list keeps its filter");
}

#[test]
fn ctrl_c_quits_even_while_typing_and_q_is_typed() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "q");
    assert!(!app.quit);
    assert_eq!(app.trace_view().map(|tv| tv.search.query.clone()), Some("q".into()));
    app.handle_key(Key::ctrl('c'));
    assert!(app.quit);
}

#[test]
fn collapse_then_left_goes_to_parent_and_right_to_first_child() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, DB);
    press(&mut app, Context::Waterfall, Action::Collapse);
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, ITEM), "leaf: go to parent");
    press(&mut app, Context::Waterfall, Action::Collapse);
    assert!(app.trace_view().is_some_and(|tv| tv.is_collapsed(tv.selected)));
    press(&mut app, Context::Waterfall, Action::Expand);
    press(&mut app, Context::Waterfall, Action::Expand);
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, DB), "expanded: go to first child");
    press(&mut app, Context::Waterfall, Action::ToggleCollapse);
    assert!(app.trace_view().is_some_and(|tv| !tv.shape.has_children(tv.selected)));
}

#[test]
fn mouse_click_selects_and_a_click_on_a_link_row_jumps() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    let a = app.areas();
    app.click(10, a.waterfall_rows.y + 2);
    assert_eq!(selected(&app), testdata::span(&index, CONSUMER, DB));
    app.click(10, a.waterfall_rows.y);
    press(&mut app, Context::Trace, Action::ShowLinks);
    app.click(10, a.detail_rows.y + 1);
    assert_eq!(current_trace(&app), Some(P2), "second link row leads to the second producer");
    app.wheel(10, a.waterfall_rows.y, true);
    assert_eq!(app.trace_view().map(|tv| tv.focus), Some(Pane::Waterfall));
}

#[test]
fn clicking_a_tab_shows_it() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    let a = app.areas();
    let span = selected(&app);
    let x = a.detail_tabs.x
        + crate::ui::layout::tab_width(&detail::tab_title(&index, span, Tab::Attributes))
        + crate::ui::layout::tab_width(&detail::tab_title(&index, span, Tab::Events))
        + 1;
    app.click(x, a.detail_tabs.y);
    assert_eq!(app.trace_view().map(|tv| (tv.tab, tv.focus)), Some((Tab::Links, Pane::Details)));
}

#[test]
fn resize_keeps_the_selection_on_screen() {
    let index = testdata::big_index(500);
    let mut app = App::new(&index, OpenAt::default());
    app.resize(200, 50);
    press(&mut app, Context::Move, Action::SelectLast);
    app.resize(80, 24);
    let tv = app.trace_view().expect("open");
    let h = usize::from(app.areas().waterfall_rows.height);
    assert!(tv.sel_row() >= tv.scroll && tv.sel_row() < tv.scroll + h);
    app.resize(0, 0);
    app.resize(1, 1);
    press(&mut app, Context::Move, Action::PageUp);
}

#[test]
fn search_over_a_hundred_thousand_spans_finds_every_match() {
    let index = testdata::big_index(100_000);
    let mut app = App::new(&index, OpenAt::default());
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "op 9999");
    let tv = app.trace_view().expect("open");
    // "op 9999" and "op 99990".."op 99999".
    assert_eq!(tv.search.matches.len(), 11);
}

#[test]
fn y_copies_the_selected_span_or_the_selected_links_far_end() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::CopyIds);
    assert_eq!(copied(&app).as_deref(), Some(format!("{CONSUMER} {BATCH}").as_str()));
    let status = app.status.clone().expect("a confirmation");
    assert!(status.contains("c0ffee00") && status.contains("may not support"), "{status}");

    // In the Links tab, the first row is the batch's link to P1's publish span, the next to P2's.
    app.effects.clear();
    press(&mut app, Context::Trace, Action::ShowLinks);
    press(&mut app, Context::Trace, Action::CopyIds);
    assert_eq!(copied(&app).as_deref(), Some(format!("{P1} {P1_PUBLISH}").as_str()));
    press(&mut app, Context::Move, Action::SelectNext);
    press(&mut app, Context::Trace, Action::CopyIds);
    assert_eq!(copied(&app).as_deref(), Some(format!("{P2} {}", testdata::P2_PUBLISH).as_str()));

    // An incoming row copies the span the link comes from.
    let mut app = open_at(&index, P1, P1_PUBLISH);
    press(&mut app, Context::Trace, Action::ShowLinks);
    press(&mut app, Context::Trace, Action::CopyIds);
    let copied = copied(&app).expect("copied");
    assert!(copied.starts_with(&CONSUMER.to_string()), "{copied}");
    assert!(copied.ends_with(&BATCH.to_string()) || copied.ends_with(&ITEM.to_string()), "{copied}");
}

// ---- search text built off the UI thread (as `tui` does with its worker) ----

/// The footer line as drawn.
fn footer_line(app: &App<'_>) -> String {
    let (w, h) = (app.viewport.width, app.viewport.height);
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("test backend");
    terminal.draw(|f| crate::ui::render(f, app)).expect("draw");
    let buf = terminal.backend().buffer();
    (0..w).map(|x| buf[(x, h - 1)].symbol()).collect::<String>().trim_end().to_owned()
}

/// An app over `index` with a worker standing in, traces of `min` spans or more built by it.
fn with_worker<'a>(index: &'a Index, open: OpenAt, min: usize) -> App<'a> {
    let mut app = App::new(index, open);
    app.resize(100, 24);
    app.build_haystacks_in_background(min);
    app
}

/// What the worker would send for trace `t`.
fn deliver(app: &mut App<'_>, t: TraceIdx) {
    let hay = Haystack::build(app.index, t);
    app.deliver_haystack(t, hay);
}

#[test]
fn opening_a_large_trace_asks_for_its_haystack_at_once_and_small_ones_do_not() {
    let index = testdata::big_index(500);
    let mut app = App::new(&index, OpenAt::default());
    let t = app.trace_view().expect("one trace opens directly").trace;
    assert!(haystack_requests(&app).is_empty(), "no worker: nothing requested");
    app.build_haystacks_in_background(100);
    assert_eq!(haystack_requests(&app), vec![t], "the trace already open (--trace at start)");
    app.build_haystacks_in_background(100);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "op");
    assert_eq!(haystack_requests(&app), vec![t], "asked for once");

    let small = with_worker(&index, OpenAt::default(), 501);
    assert!(haystack_requests(&small).is_empty(), "below the threshold: built synchronously");

    // Every way into a trace asks: list Enter, a link jump, and back/forward after a reset.
    let index = testdata::links_index();
    let mut app = with_worker(&index, OpenAt::default(), 1);
    assert!(haystack_requests(&app).is_empty(), "the list is open");
    let consumer = testdata::trace(&index, CONSUMER);
    app.list.select(consumer);
    press(&mut app, Context::TraceList, Action::OpenTrace);
    app.select_span(testdata::span(&index, CONSUMER, BATCH));
    press(&mut app, Context::Trace, Action::ShowLinks);
    press(&mut app, Context::Links, Action::JumpToLink);
    assert_eq!(current_trace(&app), Some(P1));
    assert_eq!(haystack_requests(&app), vec![consumer, testdata::trace(&index, P1)]);
    // The worker went away: its requests are dropped; a new worker asks again.
    app.stop_building_in_background();
    assert!(haystack_requests(&app).is_empty() && !app.haystacks_pending());
    let p1 = testdata::trace(&index, P1);
    app.effects.clear();
    app.build_haystacks_in_background(1);
    assert_eq!(haystack_requests(&app), vec![p1], "the open trace");
    press(&mut app, Context::Global, Action::GoBack);
    assert_eq!(current_trace(&app), Some(CONSUMER));
    assert_eq!(haystack_requests(&app), vec![p1, consumer]);
    press(&mut app, Context::Global, Action::GoForward);
    assert_eq!(current_trace(&app), Some(P1));
    assert_eq!(haystack_requests(&app), vec![p1, consumer], "P1's is still being built");
}

#[test]
fn a_search_typed_while_the_haystack_is_built_runs_for_the_query_typed_by_then() {
    let index = testdata::big_index(500);
    let mut sync = App::new(&index, OpenAt::default());
    sync.resize(100, 24);
    let mut app = with_worker(&index, OpenAt::default(), 100);
    let t = app.trace_view().expect("open").trace;
    let start = selected(&app);

    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "op 4x");
    press(&mut app, Context::Input, Action::DeleteChar);
    type_text(&mut app, "9");
    let tv = app.trace_view().expect("open");
    assert_eq!(tv.search.query, "op 49", "the query is kept while pending");
    assert!(tv.search.matches.is_empty() && tv.search.current.is_none());
    assert_eq!(selected(&app), start, "nothing selected before the text is there");
    assert_eq!(app.search_preparing(), Some(500));
    let footer = footer_line(&app);
    assert!(footer.starts_with("/op 49█  searching 500 spans…"), "{footer}");

    deliver(&mut app, t);
    press(&mut sync, Context::Trace, Action::StartSearch);
    type_text(&mut sync, "op 49");
    let (got, want) = (app.trace_view().expect("open"), sync.trace_view().expect("open"));
    assert_eq!(got.search, want.search, "as if the text had been there all along");
    assert_eq!(got.search.matches.len(), 11, "op 49 and op 490..op 499");
    assert_eq!(selected(&app), selected(&sync));
    assert_ne!(selected(&app), start);
    assert_eq!(app.search_preparing(), None);
    assert!(!app.haystacks_pending());
    assert!(footer_line(&app).starts_with("/op 49█  1/11"));
}

#[test]
fn enter_and_n_while_pending_then_the_haystack_reveals_every_match() {
    let index = testdata::big_index(500);
    let mut sync = App::new(&index, OpenAt::default());
    sync.resize(100, 24);
    press(&mut sync, Context::Waterfall, Action::CollapseAll);
    press(&mut sync, Context::Trace, Action::StartSearch);
    type_text(&mut sync, "op 7");
    press(&mut sync, Context::Input, Action::ConfirmInput);

    let mut app = with_worker(&index, OpenAt::default(), 100);
    let t = app.trace_view().expect("open").trace;
    press(&mut app, Context::Waterfall, Action::CollapseAll);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "op 7");
    press(&mut app, Context::Input, Action::ConfirmInput);
    press(&mut app, Context::Trace, Action::NextMatch);
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("still preparing"), "{status}");
    let footer = footer_line(&app);
    assert!(footer.starts_with("/op 7  searching 500 spans…"), "{footer}");

    deliver(&mut app, t);
    let (got, want) = (app.trace_view().expect("open"), sync.trace_view().expect("open"));
    assert_eq!(got.search, want.search);
    assert_eq!(got.visible, want.visible, "Enter's reveal of every match happens on arrival");
    assert_eq!(selected(&app), selected(&sync));
    press(&mut app, Context::Trace, Action::NextMatch);
    assert_eq!(app.trace_view().and_then(|tv| tv.search.current), Some(1));
}

#[test]
fn a_haystack_for_another_trace_does_not_touch_the_open_search() {
    let index = testdata::links_index();
    let mut app =
        with_worker(&index, OpenAt { trace: None, span: Some(testdata::span(&index, P1, P1_PUBLISH)) }, 1);
    let p1 = testdata::trace(&index, P1);
    let consumer = testdata::trace(&index, CONSUMER);
    app.jump_to_span(testdata::span(&index, CONSUMER, BATCH));
    assert_eq!(haystack_requests(&app), vec![p1, consumer]);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "worker");
    let before = app.trace_view().expect("open").search.clone();
    let sel = selected(&app);

    deliver(&mut app, p1);
    assert_eq!(app.trace_view().expect("open").search, before, "P1's text is not searched here");
    assert_eq!(selected(&app), sel);
    assert_eq!(app.search_preparing(), Some(5));
    // A haystack nobody asked for (or for a trace that does not exist) is ignored.
    deliver(&mut app, p1);
    app.deliver_haystack(TraceIdx(999), Haystack::default());
    assert!(app.haystacks_pending());

    deliver(&mut app, consumer);
    assert_eq!(app.trace_view().expect("open").search.matches, vec![0, 1, 3, 4]);
    // P1's delivered haystack is used when searching there: no new request.
    press(&mut app, Context::Global, Action::GoUp);
    press(&mut app, Context::Global, Action::GoBack);
    assert_eq!(current_trace(&app), Some(P1));
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "publish");
    assert!(!app.trace_view().expect("open").search.matches.is_empty());
    assert_eq!(haystack_requests(&app), vec![p1, consumer]);
}

#[test]
fn esc_while_pending_clears_the_search_and_the_late_haystack_changes_nothing() {
    let index = testdata::big_index(500);
    let mut app = with_worker(&index, OpenAt::default(), 100);
    let t = app.trace_view().expect("open").trace;
    let start = selected(&app);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "op 3");
    press(&mut app, Context::Input, Action::GoUp);
    assert!(!app.trace_view().expect("open").search.is_active());
    assert_eq!(app.search_preparing(), None);
    assert!(!footer_line(&app).contains("searching"));
    deliver(&mut app, t);
    assert_eq!(app.trace_view().expect("open").search, search::Search::default());
    assert_eq!(selected(&app), start);
    // The next search is synchronous: the text is there now.
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "op 3");
    assert!(!app.trace_view().expect("open").search.matches.is_empty());
}

#[test]
fn a_search_waiting_when_the_worker_stops_runs_synchronously() {
    let index = testdata::big_index(500);
    let mut app = with_worker(&index, OpenAt::default(), 100);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "op 49");
    assert_eq!(app.search_preparing(), Some(500));
    app.stop_building_in_background();
    assert!(!app.haystacks_pending());
    assert_eq!(app.trace_view().expect("open").search.matches.len(), 11);
}

#[test]
fn an_unbound_alt_key_is_esc_then_the_key_in_every_context() {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    let alt = |c| Key { code: KeyCode::Char(c), mods: KeyModifiers::ALT };
    let index = testdata::links_index();
    // Help open: Esc closes it, T opens the stitched timeline.
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Global, Action::ToggleHelp);
    app.handle_key(alt('T'));
    assert!(matches!(app.overlay, Overlay::Stitch(_)), "{:?}", app.overlay);
    // Typing a search: Esc clears it, n then has no search to go to.
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::StartSearch);
    type_text(&mut app, "batch");
    app.handle_key(alt('n'));
    let tv = app.trace_view().expect("a trace");
    assert!(!tv.search.is_active(), "the search was cleared");
    assert_eq!(app.status.as_deref(), Some("no search; press / to search"));
    // Details pane: Esc returns to the waterfall, j moves down it.
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::ShowLinks);
    let before = app.trace_view().expect("a trace").selected;
    app.handle_key(alt('j'));
    let tv = app.trace_view().expect("a trace");
    assert_eq!(tv.focus, Pane::Waterfall);
    assert_eq!(tv.selected, before + 1);
    // A bound Alt key is itself: Alt-← goes back, not up.
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::ShowLinks);
    press(&mut app, Context::Links, Action::JumpToLink);
    assert_eq!(current_trace(&app), Some(P1));
    app.handle_key(Key::alt(KeyCode::Left));
    assert_eq!(current_trace(&app), Some(CONSUMER));
}

#[test]
fn shift_y_copies_the_selected_span_as_json_and_says_when_it_was_cut() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH);
    press(&mut app, Context::Trace, Action::CopySpanJson);
    let text = copied(&app).expect("copied");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["span_id"], BATCH.to_string());
    assert_eq!(v["trace_id"], CONSUMER.to_string());
    let status = app.status.clone().expect("a confirmation");
    assert!(status.contains(&format!("as JSON ({} bytes;", text.len())), "{status}");
    // The Links tab does not change what Y copies: the span, not a link's far end.
    press(&mut app, Context::Trace, Action::ShowLinks);
    press(&mut app, Context::Trace, Action::CopySpanJson);
    assert_eq!(copied(&app), Some(text));

    let index = testdata::long_value_index(200_000);
    let mut app = open_at(&index, P1, testdata::P1_ROOT);
    press(&mut app, Context::Trace, Action::CopySpanJson);
    assert!(copied(&app).expect("copied").len() <= copy::CLIPBOARD_MAX);
    let status = app.status.clone().expect("a confirmation");
    assert!(status.contains("values cut to 1024 bytes to fit 64 KiB"), "{status}");
}
