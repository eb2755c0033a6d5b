//! View tests: draw whole screens with ratatui's `TestBackend` and compare with committed
//! snapshots (`cargo insta review`), plus exact-line asserts where one line matters.

use crate::app::OpenAt;
use crate::app::action::Action;
use crate::app::keymap::{Context, key_for};
use crate::app::testdata::{self, BATCH, CONSUMER, EVIL, ITEM, P1, P1_PUBLISH};
use crate::app::{App, Overlay};
use crate::index::Index;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rstest::rstest;

fn press(app: &mut App<'_>, ctx: Context, action: Action) {
    app.handle_key(key_for(ctx, action).expect("bound"));
}

fn open_at<'a>(
    index: &'a Index,
    trace: crate::model::TraceId,
    span: crate::model::SpanId,
    w: u16,
    h: u16,
) -> App<'a> {
    let s = testdata::span(index, trace, span);
    let mut app = App::new(index, OpenAt { trace: None, span: Some(s) });
    app.resize(w, h);
    app
}

pub(super) fn draw(app: &App<'_>, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    terminal.draw(|f| super::render(f, app)).expect("draw");
    terminal
}

/// The screen's text, one string per row, as a terminal shows it: the cell after a wide
/// character (which ratatui blanks) is skipped.
/// A frame of `app` at `w`×`h`, and its lines.
pub(super) fn screen(app: &App<'_>, w: u16, h: u16) -> (Terminal<TestBackend>, Vec<String>) {
    let t = draw(app, w, h);
    let lines = lines(&t);
    (t, lines)
}

pub(super) fn lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buf = terminal.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < buf.area.width {
                let sym = buf[(x, y)].symbol();
                line.push_str(sym);
                x += u16::try_from(unicode_width::UnicodeWidthStr::width(sym)).unwrap_or(1).max(1);
            }
            line
        })
        .collect()
}

fn screen_contains(terminal: &Terminal<TestBackend>, needle: &str) -> bool {
    lines(terminal).iter().any(|l| l.contains(needle))
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn waterfall_with_link_markers_and_collapsed_aggregate(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, ITEM, w, h);
    press(&mut app, Context::Waterfall, Action::Collapse);
    let t = draw(&app, w, h);
    let rows = lines(&t);
    let batch = rows[2..].iter().find(|l| l.contains("consume batch")).expect("root row");
    assert!(batch.contains("↗5"), "own outgoing links: {batch}");
    let item = rows[2..].iter().find(|l| l.contains("process item")).expect("item row");
    assert!(item.contains("↗1"), "{item}");
    assert!(item.contains("▸"), "collapsed glyph: {item}");
    assert!(item.contains("(+1)") && item.contains("!1"), "hidden child and its error: {item}");
    assert!(!screen_contains(&t, "db query"), "collapsed child not drawn");
    // Header: trace id, selected span, skipped count.
    assert!(rows[0].contains("trace c0ffee00… › worker process item"), "{}", rows[0]);
    assert!(rows[0].contains("2 skipped"));
    insta::assert_snapshot!(format!("waterfall_{w}x{h}"), t.backend());
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn collapsed_root_shows_the_aggregate_of_everything_inside(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    press(&mut app, Context::Waterfall, Action::CollapseAll);
    let t = draw(&app, w, h);
    let batch = lines(&t).into_iter().skip(2).find(|l| l.contains("consume batch")).expect("root row");
    assert!(batch.contains("↗5 +↗1"), "own and dimmed aggregate markers: {batch}");
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn links_tab_outgoing_cross_trace_and_unresolved(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    press(&mut app, Context::Trace, Action::ShowLinks);
    let t = draw(&app, w, h);
    assert!(screen_contains(&t, "Links 5↗ 0↙"));
    assert!(screen_contains(&t, "↗ to   trace 11112222"), "cross-trace row");
    assert!(screen_contains(&t, "↗ to   not loaded"), "dangling row");
    assert!(screen_contains(&t, "↗ to   span not loaded"), "missing span in a loaded trace");
    assert!(screen_contains(&t, "↗ to   pointer"));
    insta::assert_snapshot!(format!("links_out_{w}x{h}"), t.backend());
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn links_tab_incoming_rows(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, P1, P1_PUBLISH, w, h);
    press(&mut app, Context::Trace, Action::ShowLinks);
    let t = draw(&app, w, h);
    assert!(screen_contains(&t, "Links 0↗ 2↙"));
    assert!(screen_contains(&t, "↙ from trace c0ffee00  worker consume batch"));
    assert!(screen_contains(&t, "↙ from trace c0ffee00  worker process item"));
    insta::assert_snapshot!(format!("links_in_{w}x{h}"), t.backend());
}

#[test]
fn same_trace_links_say_so() {
    let index = testdata::links_index();
    let mut app = open_at(&index, testdata::SCATTER, testdata::GATHER, 100, 30);
    press(&mut app, Context::Trace, Action::ShowLinks);
    let t = draw(&app, 100, 30);
    assert!(screen_contains(&t, "↗ to   same trace      search shard-1"));
    assert!(screen_contains(&t, "follows_from"));
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn trace_list(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = App::new(&index, OpenAt::default());
    app.resize(w, h);
    let t = draw(&app, w, h);
    assert!(screen_contains(&t, "start▲"));
    assert!(screen_contains(&t, "6↗"), "consumer trace's outgoing link count");
    insta::assert_snapshot!(format!("trace_list_{w}x{h}"), t.backend());
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn live_header_counts_spans_the_rate_and_what_max_spans_dropped(#[case] w: u16, #[case] h: u16) {
    use crate::app::live::Live;
    use crate::index::Evicted;
    let index = testdata::links_index();
    let mut app = App::new(&index, OpenAt::default());
    app.resize(w, h);
    app.live = Some(Live { received: 1234, rate: 56.4, ..Live::default() });
    let (_, lines) = screen(&app, w, h);
    assert!(lines[0].trim_end().ends_with("live · 1234 spans · 56/s · 2 skipped"), "{}", lines[0]);
    let dropped = Evicted { traces: 3, spans: 1200 };
    app.live = Some(Live { received: 1234, rate: 56.4, dropped, dropping: true });
    let (t, lines) = screen(&app, w, h);
    if w >= 120 {
        assert!(
            lines[0].contains("3 old traces (1200 spans) dropped · dropping old traces…"),
            "{}",
            lines[0]
        );
    } else {
        assert!(lines[0].contains("1200 dropped"), "{}", lines[0]);
    }
    insta::assert_snapshot!(format!("live_header_{w}x{h}"), t.backend());
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn help_overlay(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    press(&mut app, Context::Global, Action::ToggleHelp);
    let t = draw(&app, w, h);
    assert!(screen_contains(&t, "Everywhere"));
    assert!(screen_contains(&t, "q/Ctrl-C"));
    insta::assert_snapshot!(format!("help_{w}x{h}"), t.backend());
}

#[test]
fn help_scrolls_to_the_mouse_section() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, 80, 24);
    press(&mut app, Context::Global, Action::ToggleHelp);
    press(&mut app, Context::Move, Action::SelectLast);
    let t = draw(&app, 80, 24);
    assert!(screen_contains(&t, "click a link row"));
    assert!(matches!(app.overlay, Overlay::Help { scroll } if scroll > 0));
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn link_picker(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    press(&mut app, Context::Trace, Action::FollowLink);
    let t = draw(&app, w, h);
    assert!(screen_contains(&t, "follow ↗ · 5 outgoing links"));
    insta::assert_snapshot!(format!("picker_{w}x{h}"), t.backend());
}

#[rstest]
#[case::s30x8(30, 8)]
#[case::s39x24(39, 24)]
#[case::s80x9(80, 9)]
fn too_small_says_so(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let app = open_at(&index, CONSUMER, BATCH, w, h);
    let t = draw(&app, w, h);
    let text = lines(&t).join(" ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(&format!("terminal {w}×{h} is too small; need 40×10")), "{text}");
}

#[test]
fn too_small_snapshot() {
    let index = testdata::links_index();
    let app = open_at(&index, CONSUMER, BATCH, 30, 8);
    insta::assert_snapshot!(draw(&app, 30, 8).backend());
}

#[rstest]
#[case::zero(0, 0)]
#[case::one(1, 1)]
#[case::min(40, 10)]
fn degenerate_sizes_render(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    for screen in 0..4 {
        let mut app = open_at(&index, CONSUMER, BATCH, w, h);
        match screen {
            1 => press(&mut app, Context::Trace, Action::ShowLinks),
            2 => press(&mut app, Context::Global, Action::ToggleHelp),
            3 => press(&mut app, Context::Trace, Action::FollowLink),
            _ => {}
        }
        let t = draw(&app, w, h);
        let expected_cells = usize::from(w) * usize::from(h);
        assert_eq!(t.backend().buffer().content.len(), expected_cells);
        if (w, h) == (40, 10) {
            assert!(lines(&t)[0].contains("trace c0ffee00"), "the minimum size draws the explorer");
        }
    }
    // Widgets drawn straight into empty areas of a larger buffer stay inside them.
    let app = open_at(&index, CONSUMER, BATCH, 80, 24);
    let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 80, 24));
    super::draw(&app, ratatui::layout::Rect::new(5, 5, 0, 0), &mut buf);
    assert!(buf.content.iter().all(|c| c.symbol() == " "));
}

#[test]
fn escape_sequences_in_names_are_shown_escaped() {
    let index = testdata::links_index();
    let app = open_at(&index, CONSUMER, EVIL, 100, 30);
    let t = draw(&app, 100, 30);
    let buf = t.backend().buffer();
    assert!(buf.content.iter().all(|c| !c.symbol().contains('\x1b')), "no raw ESC reaches a cell");
    assert!(screen_contains(&t, "evil\\x1b[2Jname"));
    assert!(lines(&t)[0].contains("worker evil\\x1b[2Jname"), "header too: {}", lines(&t)[0]);
}

#[test]
fn wide_characters_keep_columns_aligned() {
    let index = testdata::links_index();
    let app = open_at(&index, CONSUMER, BATCH, 80, 24);
    let t = draw(&app, 80, 24);
    let rows = lines(&t);
    let cjk = rows.iter().find(|l| l.contains("注文処理")).expect("cjk row");
    let plain = rows[2..].iter().find(|l| l.contains("consume batch")).expect("plain row");
    // The duration column must start at the same display column in both rows.
    let col = |l: &str, pat: &str| l.find(pat).map(|i| unicode_width::UnicodeWidthStr::width(&l[..i]));
    let cjk_dur = col(cjk, "10.0ms").expect("cjk duration");
    let plain_dur = col(plain, "50.0ms").expect("plain duration");
    assert_eq!(cjk_dur, plain_dur);
}

#[test]
fn breadcrumb_shows_the_path_and_is_cut_from_the_left() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, 200, 50);
    press(&mut app, Context::Trace, Action::ShowLinks);
    press(&mut app, Context::Links, Action::JumpToLink);
    let t = draw(&app, 200, 50);
    let top = &lines(&t)[0];
    assert!(top.contains("trace c0ff… › worker consume batch → trace 11112222… › orders publish"), "{top}");
    app.resize(60, 24);
    let t = draw(&app, 60, 24);
    let top = &lines(&t)[0];
    assert!(top.starts_with('…'), "{top}");
    assert!(top.contains("trace 11112222… › orders publish"), "the current place always shows: {top}");
}

#[test]
fn footer_hints_come_from_the_keymap_and_always_end_with_help_and_quit() {
    let index = testdata::links_index();
    let app = open_at(&index, CONSUMER, BATCH, 80, 24);
    let t = draw(&app, 80, 24);
    let footer = lines(&t).pop().unwrap_or_default();
    assert!(footer.contains("] follow ↗"), "{footer}");
    assert!(footer.trim_end().ends_with("? help  q quit"), "{footer}");
    let narrow = super::footer::hints(&app, 20);
    assert_eq!(narrow, vec!["? help".to_owned(), "q quit".to_owned()]);
}

#[test]
fn search_shows_its_counter_in_the_footer() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, 80, 24);
    press(&mut app, Context::Trace, Action::StartSearch);
    for c in "worker".chars() {
        app.handle_key(crate::app::keymap::Key::ch(c));
    }
    let t = draw(&app, 80, 24);
    let footer = lines(&t).pop().unwrap_or_default();
    assert!(footer.starts_with("/worker█  1/4"), "{footer}");
}

#[test]
fn a_hundred_thousand_span_trace_draws_only_the_visible_rows() {
    let index = testdata::big_index(100_000);
    let mut app = App::new(&index, OpenAt::default());
    app.resize(200, 50);
    press(&mut app, Context::Move, Action::SelectLast);
    let t = draw(&app, 200, 50);
    assert!(screen_contains(&t, "op 100000"), "last span on screen after G");
    let tv = app.trace_view().expect("open");
    assert_eq!(tv.visible.len(), 100_000);
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn events_tab(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    press(&mut app, Context::Trace, Action::ShowEvents);
    let t = draw(&app, w, h);
    assert!(screen_contains(&t, " Events 1 "));
    assert!(screen_contains(&t, "+1.00ms batch received"));
    insta::assert_snapshot!(format!("events_{w}x{h}"), t.backend());
}

/// Every widget on its own, into 0×0 and 1×1 buffers (as ratatui-widgets'
/// `render_in_zero_size_buffer` does): nothing may panic or write outside.
#[rstest]
#[case::zero(0, 0)]
#[case::one(1, 1)]
fn every_widget_renders_in_tiny_buffers(#[case] w: u16, #[case] h: u16) {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    let area = Rect::new(0, 0, w, h);
    let a = super::layout::Areas::new(area);
    let mut buf = Buffer::empty(area);
    let tv = app.trace_view().expect("open");
    super::header::Header { app: &app }.render(area, &mut buf);
    super::footer::Footer { app: &app }.render(area, &mut buf);
    super::waterfall::Waterfall { app: &app, tv, head: a.waterfall_head, rows: a.waterfall_rows }
        .render(area, &mut buf);
    super::waterfall::Waterfall { app: &app, tv, head: area, rows: area }.render(area, &mut buf);
    super::detail::DetailPane { app: &app, tv, tabs: area, rows: area }.render(area, &mut buf);
    super::trace_list::TraceList { app: &app, head: area, rows: area }.render(area, &mut buf);
    super::help::HelpOverlay { app: &app, scroll: 3 }.render(area, &mut buf);
    super::too_small::TooSmall.render(area, &mut buf);
    let summary = crate::app::summary::SummaryView::build(&index, tv.trace);
    super::summary::Summary { app: &app, view: &summary }.render(area, &mut buf);
    press(&mut app, Context::Trace, Action::FollowLink);
    if let Overlay::Picker { dir, rows, sel, scroll } = &app.overlay {
        super::picker::Picker { app: &app, dir: *dir, rows, sel: *sel, scroll: *scroll }
            .render(area, &mut buf);
    }
    assert_eq!(buf.area, area);
    assert_eq!(buf.content.len(), usize::from(w) * usize::from(h));
}

#[test]
fn a_trace_list_filter_shows_in_the_header_and_footer() {
    let index = testdata::links_index();
    let mut app = App::new(&index, OpenAt::default());
    app.resize(80, 24);
    press(&mut app, Context::TraceList, Action::StartSearch);
    for c in "orders".chars() {
        app.handle_key(crate::app::keymap::Key::ch(c));
    }
    let t = draw(&app, 80, 24);
    let rows = lines(&t);
    assert!(rows[1].starts_with("filter “orders”: 2 of 4 · 14 spans"), "{}", rows[1]);
    assert!(rows[23].starts_with("/orders█  2/4"), "{}", rows[23]);
    assert!(!screen_contains(&t, "consume batch"));
}

#[test]
fn enter_on_an_attribute_shows_its_whole_value() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, 80, 24);
    press(&mut app, Context::Trace, Action::ShowAttributes);
    // Down to "messaging.system = kafka" (after the span's own fields).
    while crate::app::detail::attribute_rows(&index, app.trace_view().expect("open").selected_span(&index))
        .get(app.trace_view().expect("open").detail_sel)
        .is_some_and(|r| r.key != "messaging.system")
    {
        press(&mut app, Context::Move, Action::SelectNext);
    }
    press(&mut app, Context::Details, Action::ShowValue);
    assert!(
        matches!(&app.overlay, Overlay::Value { title, lines, .. } if title == "messaging.system" && lines == &["kafka".to_owned()])
    );
    let t = draw(&app, 80, 24);
    assert!(screen_contains(&t, "┌ messaging.system "));
    press(&mut app, Context::Global, Action::GoUp);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn footer_never_offers_a_key_that_a_more_specific_context_shadows() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, 250, 24);
    press(&mut app, Context::Trace, Action::ShowLinks);
    let hints = super::footer::hints(&app, 250);
    assert!(hints.contains(&"Enter jump".to_owned()), "{hints:?}");
    assert!(!hints.iter().any(|h| h == "Enter full value"), "Enter jumps on the Links tab: {hints:?}");
    press(&mut app, Context::Trace, Action::ShowAttributes);
    let hints = super::footer::hints(&app, 250);
    assert!(hints.contains(&"Enter full value".to_owned()), "{hints:?}");
}

#[test]
fn copying_ids_is_confirmed_in_the_footer() {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, 100, 24);
    press(&mut app, Context::Trace, Action::CopyIds);
    let t = draw(&app, 100, 24);
    let footer = lines(&t).pop().expect("rows");
    assert!(footer.starts_with("copied span ids c0ffee00… 00000000000000c1 (OSC 52"), "{footer}");
}

/// A span whose parent is not loaded is a root here, marked before its service; the others not.
#[test]
fn orphans_are_marked_in_the_waterfall() {
    use crate::model::{Dataset, FileInfo, Format, Span, SpanId, TraceId};
    let mut ds = Dataset::new();
    ds.files.push(FileInfo::new("orphans.json", Format::OtlpJson));
    let (svc, root, lost) = (ds.intern("svc"), ds.intern("the-root"), ds.intern("lost-child"));
    let t = TraceId(7);
    ds.spans.push(Span::new(t, SpanId(1), SpanId(0), 1_000, 9_000, root, svc));
    ds.spans.push(Span::new(t, SpanId(2), SpanId(0xdead), 2_000, 3_000, lost, svc));
    let index = Index::build(ds);
    let mut app = App::new(&index, OpenAt { trace: Some(crate::index::TraceIdx(0)), span: None });
    app.resize(100, 20);
    let rows = lines(&draw(&app, 100, 20));
    let row = |name: &str| {
        rows.iter().find(|r| r.contains(name)).unwrap_or_else(|| panic!("{name}: {rows:#?}")).clone()
    };
    assert!(row("lost-child").contains(&format!("{}svc lost-child", crate::ui::waterfall::ORPHAN_MARK)));
    assert!(!row("the-root").contains(crate::ui::waterfall::ORPHAN_MARK));
}

/// With a store (`--backend`), a link into a trace that is not loaded says where it can be
/// fetched from; while it is fetched the row and the footer say so (with `Esc` to cancel), and a
/// trace the store lacks stays marked.
#[rstest]
#[case::s80x24(80, 24)]
#[case::s160x48(160, 48)]
fn links_tab_marks_fetchable_fetching_and_absent_traces(#[case] w: u16, #[case] h: u16) {
    use crate::app::fetch::Remote;
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    app.remote = Some(Remote::new("jaeger"));
    press(&mut app, Context::Trace, Action::ShowLinks);
    press(&mut app, Context::Move, Action::SelectNext);
    press(&mut app, Context::Move, Action::SelectNext);
    let (t, shown) = screen(&app, w, h);
    let row =
        shown.iter().find(|l| l.contains("↗ to   fetch: jaeger")).expect("the dangling row is fetchable");
    assert!(row.contains("trace dead0000… span 000000000000beef (Enter f"), "{row}");
    if w >= 160 {
        let footer = shown.last().expect("a footer");
        assert!(footer.contains("f fetch 1 missing"), "the count of what f fetches: {footer}");
    }
    insta::assert_snapshot!(format!("links_fetchable_{w}x{h}"), t.backend());

    press(&mut app, Context::Links, Action::JumpToLink);
    let (_, shown) = screen(&app, w, h);
    assert!(shown.iter().any(|l| l.contains("↗ to   fetching…")), "{shown:#?}");
    let footer = shown.last().expect("a footer");
    assert!(footer.starts_with("fetching dead0000… from jaeger  Esc cancel fetch"), "{footer}");

    app.fetch_failed(testdata::DANGLING, true, "http://j/api/traces/dead: trace dead not found");
    let (_, shown) = screen(&app, w, h);
    assert!(shown.iter().any(|l| l.contains("↗ to   not in jaeger")), "{shown:#?}");
    assert!(shown.last().is_some_and(|f| f.starts_with("trace dead0000… is not in jaeger")));
}

fn type_text(app: &mut App<'_>, text: &str) {
    for c in text.chars() {
        app.handle_key(crate::app::keymap::Key::ch(c));
    }
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn a_query_shows_its_count_in_the_header_and_dims_the_ancestors(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    press(&mut app, Context::Trace, Action::StartQuery);
    type_text(&mut app, "service=postgres");
    let (t, rows) = screen(&app, w, h);
    assert!(rows[1].starts_with("F service=postgres · 1 of 5 spans · "), "{}", rows[1]);
    let footer = &rows[usize::from(h) - 1];
    assert!(footer.starts_with("F service=postgres█  1 of 5 spans"), "{footer}");
    // Only the match and its ancestors are drawn; the ancestors' names are dimmed.
    let body = &rows[3..];
    assert!(body.iter().any(|l| l.contains("db query")));
    assert!(!body.iter().any(|l| l.contains("注文") || l.contains("evil")), "{body:#?}");
    let buf = t.backend().buffer();
    let cell_of = |needle: &str| {
        let y = rows.iter().position(|l| l.contains(needle)).expect("row shown");
        let x = rows[y].find(needle).map(|b| rows[y][..b].chars().count()).expect("text");
        buf[(u16::try_from(x).unwrap(), u16::try_from(y).unwrap())].clone()
    };
    assert_eq!(cell_of("consume batch").style().add_modifier, crate::ui::theme::dim().add_modifier);
    assert_ne!(cell_of("db query").style(), cell_of("consume batch").style());
    if w == 80 {
        insta::assert_snapshot!(t.backend());
    }
}

#[test]
fn a_bad_query_shows_its_error_in_the_prompt() {
    let (w, h) = (80, 24);
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, BATCH, w, h);
    press(&mut app, Context::Trace, Action::StartQuery);
    type_text(&mut app, "duration>5xs");
    let (_, rows) = screen(&app, w, h);
    let footer = &rows[usize::from(h) - 1];
    assert!(footer.starts_with("F duration>5xs█  unknown unit `xs` at column 10"), "{footer}");
    assert!(!rows[1].starts_with('F'), "nothing applied: {}", rows[1]);
    for name in ["consume batch", "process item", "db query", "注文処理", "evil"] {
        assert!(rows[3..].iter().any(|l| l.contains(name)), "{name} still shown: {rows:#?}");
    }
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn focus_puts_the_subtree_on_its_own_time_axis_and_in_the_breadcrumb(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, CONSUMER, ITEM, w, h);
    press(&mut app, Context::Trace, Action::ToggleSpanFocus);
    press(&mut app, Context::Move, Action::SelectNext);
    let (_, rows) = screen(&app, w, h);
    assert!(
        rows[0].starts_with("trace c0ffee00… › focus worker process item › postgres db query"),
        "{}",
        rows[0]
    );
    // The ruler ends at the focused span's 15 ms, not the trace's 50 ms.
    assert!(rows[2].contains("15.0ms") && !rows[2].contains("50.0ms"), "{}", rows[2]);
    let shown: Vec<&String> =
        rows[3..].iter().filter(|l| l.contains("worker") || l.contains("postgres")).collect();
    assert!(shown.iter().any(|l| l.contains("process item")) && !shown.iter().any(|l| l.contains("consume")));
    // The focused span's bar starts in the ruler's first column and spans it.
    let bar_of = |needle: &str| rows[3..].iter().find(|l| l.contains(needle)).map(|l| l.matches('█').count());
    let cols = crate::ui::layout::WaterfallCols::new(app.areas().waterfall_rows);
    assert_eq!(bar_of("process item"), Some(usize::from(cols.bar.1)));
}

#[rstest]
#[case::s80x24(80, 24)]
#[case::s200x50(200, 50)]
fn summary_overlay_lists_operations_by_self_time(#[case] w: u16, #[case] h: u16) {
    let index = testdata::links_index();
    let mut app = open_at(&index, crate::app::testdata::SCATTER, crate::app::testdata::GATHER, w, h);
    press(&mut app, Context::Trace, Action::ShowSummary);
    let (t, rows) = screen(&app, w, h);
    let top = rows.iter().position(|l| l.contains("summary of 5ca77e00")).expect("title");
    assert!(rows[top].contains("5 operations · sorted by self"), "{}", rows[top]);
    let rows = rows[top..].to_vec();
    let order = ["search shard-3", "search shard-2", "gateway search", "search shard-1", "gateway gather"];
    let at: Vec<usize> = order.iter().map(|n| rows.iter().position(|l| l.contains(n)).expect(n)).collect();
    assert!(at.windows(2).all(|p| p[0] < p[1]), "by self time: {rows:#?}");
    let search = &rows[at[2]];
    assert!(search.contains("13.0ms") && search.contains("40.0ms"), "self and total: {search}");
    if w == 200 {
        assert!(rows.iter().any(|l| l.contains("share") && l.contains("p50")), "every column when wide");
    }
    press(&mut app, Context::Summary, Action::CycleSort);
    let (_, rows) = screen(&app, w, h);
    assert!(rows.iter().any(|l| l.contains("sorted by total")));
    if w == 80 {
        insta::assert_snapshot!(t.backend());
    }
}
