//! Shared driver for the fuzz targets: load bytes through one entry point, then check everything
//! that must hold for any input (see `invariants.rs`). A panic anywhere is a finding.

pub mod invariants;

use weft::index::{Index, TraceIdx};
use weft::model::{Dataset, Format};
use weft::app::OpenAt;

/// The path loaders put in messages; contains an escape so message escaping is exercised too.
pub const PATH: &str = "fuzz\x1b[31m.input";

/// No byte of `s` may be a control character or bidi override once it is meant for a terminal.
pub fn assert_terminal_safe(s: &str) {
    if let Some(c) =
        s.chars().find(|&c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        panic!("control character {c:?} would reach the terminal in {s:?}");
    }
}

/// Checks a loader's result: an error must name the path and print safely; a dataset must be sound
/// and hold exactly one file.
pub fn check_result(result: Result<Dataset, weft::load::LoadError>) -> Option<Dataset> {
    match result {
        Ok(ds) => {
            invariants::check_dataset(&ds);
            assert_eq!(ds.files.len(), 1, "one file per parse");
            for w in &ds.files[0].warnings {
                assert_terminal_safe(&weft::text::escape_control(&w.message));
            }
            Some(ds)
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(shown.starts_with(&*weft::text::escape_control(PATH)), "error without path: {shown}");
            assert_terminal_safe(&shown);
            None
        }
    }
}

/// Parses with one forced format.
pub fn parse_as(data: &[u8], format: Format) {
    if let Some(ds) = check_result(weft::load::load_bytes(data.to_vec(), PATH, Some(format))) {
        // OTLP JSON finds out itself whether it read lines; framed OTLP JSON messages are
        // reported as JSON Lines.
        let json_lines = format == Format::OtlpProto && ds.files[0].format == Format::OtlpJsonLines;
        assert!(
            ds.files[0].format == format
                || json_lines
                || matches!(format, Format::OtlpJson | Format::OtlpJsonLines)
        );
    }
}

/// Sniffs, loads, builds the index, walks it, renders every attribute value as text and draws a
/// few frames of the explorer on the first and last traces.
pub fn load_index_walk(data: &[u8], draw: bool) {
    let Some(ds) = check_result(weft::load::load_bytes(data.to_vec(), PATH, None)) else { return };
    let spans = ds.spans.len();
    let index = Index::build(ds);
    assert_eq!(invariants::check_index(&index), spans);
    for a in index.data.all_attrs() {
        assert_terminal_safe(&weft::text::value(&index.data, a.value));
    }
    if draw && !index.traces().is_empty() {
        use ratatui::{Terminal, backend::TestBackend};
        let last = TraceIdx(u32::try_from(index.traces().len() - 1).unwrap_or(0));
        for trace in [TraceIdx(0), last] {
            let mut app = weft::app::App::new(&index, OpenAt { trace: Some(trace), span: None });
            let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
            app.resize(80, 24);
            use weft::app::action::Action;
            for action in [
                Action::SelectLast,
                Action::ShowAttributes,
                Action::ShowEvents,
                Action::ShowLinks,
                Action::ShowAttributes,
                Action::FocusNext,
                Action::ShowValue,
                Action::GoBack,
                Action::CopyIds,
                Action::CopySpanJson,
                Action::ShowLinkedTraces,
            ] {
                app.update(action);
                // The clipboard text goes out inside an OSC 52 sequence: it must be plain text.
                for effect in std::mem::take(&mut app.effects) {
                    if let weft::app::Effect::Copy(clip) = effect {
                        assert_terminal_safe(&clip);
                    }
                }
                terminal.draw(|f| weft::ui::render(f, &app)).expect("draw");
                for cell in terminal.backend().buffer().content() {
                    assert_terminal_safe(cell.symbol());
                }
            }
        }
    }
}

/// Everything a person could see of a dataset, as lines: each span with its attributes, events,
/// links, resource and scope rendered, then the file's counts and warnings.
pub fn fingerprint(ds: &Dataset) -> Vec<String> {
    use weft::text::value;
    let attrs = |sl: weft::model::Slice| -> String {
        ds.attrs_of(sl)
            .map(|a| format!("{}={}", ds.str(a.key), value(ds, a.value)))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = Vec::new();
    for s in &ds.spans {
        let text = |o: Option<weft::model::Sym>| o.map(|x| ds.str(x).to_owned());
        let scope = ds.scope(s.scope);
        out.push(format!(
            "{} {} {} {}..{} {:?}/{:?} {:?} {:?} flags={} w3c={} msg={:?} ts={:?} [{}] res[{}] scope={:?}/{:?}[{}]",
            s.trace_id,
            s.span_id,
            s.parent_id,
            s.start,
            s.end,
            ds.str(s.service),
            ds.str(s.name),
            s.kind,
            s.status,
            s.flags,
            s.w3c_flags,
            text(s.status_message),
            text(s.trace_state),
            attrs(s.attrs),
            attrs(ds.resource(s.resource).attrs),
            text(scope.name),
            text(scope.version),
            attrs(scope.attrs),
        ));
        for e in ds.events_of(s.events) {
            out.push(format!("  event {} {:?} [{}]", e.time, ds.str(e.name), attrs(e.attrs)));
        }
        for l in ds.links_of(s.links) {
            let ts = l.trace_state.map(|x| ds.str(x).to_owned());
            out.push(format!(
                "  link {} {} {:?} {} {ts:?} [{}]",
                l.trace_id,
                l.span_id,
                l.kind,
                l.flags,
                attrs(l.attrs)
            ));
        }
    }
    for f in &ds.files {
        out.push(format!("file {} spans={} skipped={}", f.format, f.spans, f.skipped));
        out.extend(f.warnings.iter().map(|w| format!("  {} {} {}", w.at, w.skipped, w.message)));
    }
    out
}
