//! The explorer on a 100,000-span trace, through its public `App`/`ui` API into a ratatui
//! `TestBackend` (120×40): one frame of the waterfall and of the Links tab, a key press that
//! follows a link into another 100,000-span trace (update + frame), a search keystroke (update +
//! frame; also the first one while the search text is built in the background, and without
//! that), the background build of that text, and a 100,000-span file to its first frame (load,
//! index, `compact_if_large` as the explorer does, `App::new`, frame). The browsed index is
//! compacted (`Index::compact_strings`), as the explorer's is at scale: the slower case for
//! search and drawing, which then decompress.
//!
//! `cargo bench --bench tui`; smoke run: `cargo bench --bench tui -- --sample-count 1 --sample-size 1`.

mod common;

use divan::Bencher;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::LazyLock;
use weft::app::App;
use weft::app::OpenAt;
use weft::app::action::Action;
use weft::app::keymap::Key;
use weft::app::search::Haystack;
use weft::index::{Index, LinkTarget, SpanIdx};
use weft::load::{Options, load_slice};

fn main() {
    divan::main();
}

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;
const TRACE_SPANS: usize = 100_000;

/// Two traces of 100,000 spans each, with links within and between them (OTLP JSON).
static INPUT: LazyLock<Vec<u8>> =
    LazyLock::new(|| common::otlp_json(&common::spans(2 * TRACE_SPANS, TRACE_SPANS, 7), false));

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut index =
        Index::build(load_slice(&INPUT, "tui.json", &Options::default()).expect("generated input loads"));
    index.compact_strings();
    index
});

/// A span of the first trace with exactly one outgoing link, to a span of the other trace.
fn linking_span(index: &Index) -> SpanIdx {
    let first = index.trace_of(SpanIdx(0));
    (0..index.span_count())
        .map(|i| SpanIdx(u32::try_from(i).expect("benchmark sizes fit in u32")))
        .find(|&s| {
            index.trace_of(s) == first
                && index.links_out(s).len() == 1
                && index.links_out(s).all(
                    |l| matches!(index.link_target(l), LinkTarget::Span(t) if index.trace_of(t) != first),
                )
        })
        .expect("the generated data links across traces")
}

fn app_at(span: SpanIdx) -> App<'static> {
    let mut app = App::new(&INDEX, OpenAt { trace: None, span: Some(span) });
    app.resize(WIDTH, HEIGHT);
    app
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test backend never fails")
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &App<'_>) {
    terminal.draw(|f| weft::ui::render(f, app)).expect("a test backend never fails");
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn waterfall_frame(bencher: Bencher) {
    let app = app_at(linking_span(&INDEX));
    assert!(app.trace_view().is_some_and(|tv| tv.visible.len() >= TRACE_SPANS / 2));
    let mut term = terminal();
    bencher.bench_local(|| draw(&mut term, &app));
}

#[divan::bench(sample_count = 50, sample_size = 1)]
fn links_tab_frame(bencher: Bencher) {
    let mut app = app_at(linking_span(&INDEX));
    app.update(Action::ShowLinks);
    let mut term = terminal();
    bencher.bench_local(|| draw(&mut term, &app));
}

/// `Enter` on a span with one link: jump into the other 100,000-span trace, and draw it.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn link_jump(bencher: Bencher) {
    let from = linking_span(&INDEX);
    let mut term = terminal();
    bencher.with_inputs(|| app_at(from)).bench_local_values(|mut app| {
        app.update(Action::FollowLink);
        draw(&mut term, &app);
        app
    });
}

/// The heaviest other keys on a 100,000-span trace linked to another one (key press + frame):
/// `T` (the stitched timeline over both traces), `c` and `C` (critical path, within the trace
/// and across links), `S` (the per-operation summary: self times and percentiles of every span),
/// `e` (the next error span, counting the errors in view).
#[divan::bench(args = [Action::ShowStitchedTimeline, Action::ToggleCriticalPath, Action::ToggleCrossCriticalPath, Action::ShowSummary, Action::NextError], sample_count = 30, sample_size = 1)]
fn heavy_key(bencher: Bencher, action: Action) {
    let from = linking_span(&INDEX);
    let mut term = terminal();
    bencher.with_inputs(|| app_at(from)).bench_local_values(|mut app| {
        app.update(action);
        draw(&mut term, &app);
        app
    });
}

/// A search keystroke over the trace's 100,000 spans, and the frame. `next_char`: one more
/// character once the search text exists (the common case). `first_char_async`: the first
/// character of a search in a freshly opened trace while its text is still being built on the
/// explorer's worker (`build_haystacks_in_background`; here it never arrives), which must not
/// wait for the build. `first_char_sync`: the same without a worker, the build in the key press
/// (what the explorer did before, and what small traces still do).
#[divan::bench(sample_count = 30, sample_size = 1, args = ["next_char", "first_char_async", "first_char_sync"])]
fn search_keystroke(bencher: Bencher, case: &str) {
    let from = linking_span(&INDEX);
    let mut term = terminal();
    bencher
        .with_inputs(|| {
            let mut app = app_at(from);
            if case == "first_char_async" {
                app.build_haystacks_in_background(20_000);
                assert_eq!(app.effects.len(), 1, "opening the trace asked for its text");
                app.effects.clear();
            }
            app.update(Action::StartSearch);
            if case == "next_char" {
                for c in "pay".chars() {
                    app.handle_key(Key::ch(c));
                }
            }
            app
        })
        .bench_local_values(|mut app| {
            app.handle_key(Key::ch('m'));
            draw(&mut term, &app);
            app
        });
}

/// The worker's job: the lowercase search text of one 100,000-span trace (compacted strings,
/// so cold attribute values are decompressed on the way).
#[divan::bench(sample_count = 20, sample_size = 1)]
fn haystack_build_100k(bencher: Bencher) {
    let t = INDEX.trace_of(linking_span(&INDEX));
    assert!(INDEX.trace_spans(t).len() >= TRACE_SPANS);
    bencher.bench_local(|| Haystack::build(&INDEX, t));
}

/// A 100,000-span OTLP file (in memory) to the first frame: load, index, compact (if large, as
/// the explorer does: not at this size), open, draw.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn first_frame_100k(bencher: Bencher) {
    let input = common::otlp_json(&common::spans(TRACE_SPANS, 100, 3), false);
    let mut term = terminal();
    bencher.bench_local(|| {
        let mut index = Index::build(
            load_slice(&input, "first.json", &Options::default()).expect("generated input loads"),
        );
        index.compact_if_large();
        let mut app = App::new(&index, OpenAt::default());
        app.resize(WIDTH, HEIGHT);
        draw(&mut term, &app);
    });
}
