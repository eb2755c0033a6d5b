//! The SDK console exporters' output, end to end through `load::load_bytes` and `Index::build`,
//! on files the real SDKs wrote (`tests/fixtures/console/README.md`): the Python SDK's
//! `ConsoleSpanExporter` against the same spans as OTLP JSON from the same SDK, and Go's
//! `stdouttrace` pretty and compact (and against Python, by structure); then hostile input.

use weft::index::{Index, LinkTarget, SpanIdx};
use weft::load;
use weft::model::{Dataset, Format, Slice, StatusCode};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/console");

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap()
}

fn index(name: &str) -> Index {
    let ds = load::load_bytes(bytes(name), name, None).unwrap_or_else(|e| panic!("{e}"));
    Index::build(ds)
}

fn attrs(ds: &Dataset, slice: Slice) -> String {
    let mut out: Vec<String> =
        ds.attrs_of(slice).map(|a| format!("{}={}", ds.str(a.key), weft::text::value(ds, a.value))).collect();
    out.sort();
    out.join(" ")
}

/// Each span by name: parent, kind, status, times, and its links out and in by the names of the
/// spans at their other end (so files with different ids compare), with the link attributes.
/// `full` adds the span's attributes, events and resource.
fn summary(ix: &Index, full: bool) -> Vec<String> {
    let ds = &ix.data;
    let name = |s: SpanIdx| ix.name(s).to_owned();
    let mut out: Vec<String> = (0..ix.span_count())
        .map(|i| {
            let s = SpanIdx(u32::try_from(i).unwrap());
            let span = ix.span(s);
            let parent = ix.parent(s).map(name);
            let links_out: Vec<String> = ix
                .links_out(s)
                .map(|l| {
                    let target = match ix.link_target(l) {
                        LinkTarget::Span(t) => name(t),
                        other => format!("{other:?}"),
                    };
                    format!("→{target}{{{}}}", attrs(ds, ix.link(l).attrs))
                })
                .collect();
            let links_in: Vec<String> =
                ix.links_in(s).iter().map(|&l| format!("←{}", name(ix.link_source(l)))).collect();
            let mut line = format!(
                "{} parent={parent:?} kind={:?} status={:?}/{:?} start={} end={} {links_out:?} {links_in:?}",
                name(s),
                span.kind,
                span.status,
                span.status_message.map(|m| ds.str(m)),
                span.start,
                span.end,
            );
            if full {
                let events: Vec<String> = ds
                    .events_of(span.events)
                    .iter()
                    .map(|e| format!("{}@{}{{{}}}", ds.str(e.name), e.time, attrs(ds, e.attrs)))
                    .collect();
                let resource = ds.resources[span.resource.0 as usize].attrs;
                line += &format!(
                    " service={} attrs={{{}}} events={events:?} resource={{{}}}",
                    ix.service(s),
                    attrs(ds, span.attrs),
                    attrs(ds, resource)
                );
            }
            line
        })
        .collect();
    out.sort();
    out
}

#[test]
fn python_console_output_loads_the_same_spans_as_the_same_sdks_otlp_json() {
    let console = index("python_console.txt");
    let otlp = index("python_otlp.json");
    assert_eq!(console.data.files[0].format, Format::PythonConsole);
    assert_eq!(console.span_count(), 4);
    assert_eq!(summary(&console, true), summary(&otlp, true));
    // The same ids too, and the same trace state (none).
    let ids = |ix: &Index| {
        let mut v: Vec<_> =
            ix.data.spans.iter().map(|s| (s.trace_id, s.span_id, s.parent_id, s.trace_state)).collect();
        v.sort_by_key(|x| (x.0.0, x.1.0));
        v
    };
    assert_eq!(ids(&console), ids(&otlp));
    assert_eq!(console.traces().len(), 2);
    assert_eq!(console.data.files[0].warnings.len(), 0, "{:?}", console.data.files[0].warnings);
}

#[test]
fn python_console_keeps_link_attributes_across_traces_events_status_and_resource() {
    let ix = index("python_console.txt");
    let find = |n: &str| (0..ix.span_count()).map(|i| SpanIdx(i as u32)).find(|&s| ix.name(s) == n).unwrap();
    let (producer, consumer, server) = (find("publish order"), find("consume order"), find("GET /checkout"));
    let link = ix.links_out(consumer).next().unwrap();
    assert_eq!(ix.link_target(link), LinkTarget::Span(producer));
    assert_eq!(ix.links_in(producer), &[link]);
    assert_ne!(ix.trace_of(producer), ix.trace_of(consumer), "the link crosses traces");
    assert_eq!(attrs(&ix.data, ix.link(link).attrs), "batch.index=2 messaging.operation=receive");
    assert_eq!(ix.parent(consumer), Some(server));
    let s = ix.span(server);
    assert_eq!(s.status, StatusCode::Error);
    assert_eq!(ix.str(s.status_message.unwrap()), "payment failed");
    assert_eq!(ix.service(server), "checkout");
    assert!(attrs(&ix.data, s.attrs).contains("http.status_code=500"));
    let events = ix.data.events_of(ix.span(consumer).events);
    assert_eq!(ix.str(events[0].name), "message received");
    assert_eq!(events[0].time, 1_714_564_800_012_000_000);
}

#[test]
fn go_stdouttrace_pretty_and_compact_load_alike_and_like_python_by_structure() {
    let pretty = index("go_stdouttrace_pretty.json");
    let compact = index("go_stdouttrace_compact.json");
    assert_eq!(pretty.data.files[0].format, Format::GoStdouttrace);
    assert_eq!(compact.data.files[0].format, Format::GoStdouttrace);
    assert_eq!(summary(&pretty, true), summary(&compact, true));
    assert_eq!(summary(&pretty, false), summary(&index("python_console.txt"), false));
    // Scope, flags and typed attributes are Go's own.
    let ds = &pretty.data;
    let span = &ds.spans[0];
    let scope = ds.scopes[span.scope.0 as usize];
    assert_eq!(ds.str(scope.name.unwrap()), "weft/fixtures");
    assert_eq!(span.w3c_flags, 0x101, "sampled, parent not remote");
    let consumer = ds.spans.iter().find(|s| ds.str(s.name) == "consume order").unwrap();
    assert_eq!(attrs(ds, consumer.attrs), "ratio=0.25 retry=false tags=[a, b]");
}

#[test]
fn a_truncated_console_file_keeps_every_whole_span_and_says_where_it_stopped() {
    for name in ["python_console.txt", "go_stdouttrace_pretty.json", "go_stdouttrace_compact.json"] {
        let whole = bytes(name);
        let cut = &whole[..whole.len() * 2 / 3];
        let ds = load::load_bytes(cut.to_vec(), "cut.txt", None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = &ds.files[0];
        assert!(ds.spans.len() >= 2 && ds.spans.len() < 4, "{name}: {} spans", ds.spans.len());
        assert_eq!(file.skipped, 1, "{name}");
        let w = &file.warnings[0];
        assert!(matches!(w.at, weft::model::Location::Line { .. }), "{name}: {:?}", w.at);
        assert!(w.message.contains("EOF while parsing"), "{name}: {}", w.message);
    }
}

#[test]
fn a_bad_object_is_skipped_and_the_next_one_still_loads() {
    // Python's json.dumps writes NaN, which is not JSON; the span after it still loads.
    let text = String::from_utf8(bytes("python_console.txt")).unwrap();
    let bad = text.replacen("\"ratio\": 0.25", "\"ratio\": NaN", 1);
    let ds = load::load_bytes(bad.into_bytes(), "nan.txt", None).unwrap();
    assert_eq!(ds.spans.len(), 3);
    let w = &ds.files[0].warnings[0];
    assert!(w.skipped);
    let line = text.lines().position(|l| l.contains("\"ratio\"")).unwrap() + 1;
    assert_eq!(w.at, weft::model::Location::Line { line, column: 18 }, "{}", w.message);
}

#[test]
fn a_file_of_only_bad_objects_is_an_error_naming_the_place() {
    let err = load::load_bytes(
        b"{\"name\": \"x\", \"context\": {\"trace_id\": \"0x0\"}}\n".to_vec(),
        "p.txt",
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("p.txt:1:41: no valid otel-python-console records"), "{err}");
    let err =
        load::load_bytes(b"{\"Name\":\"x\",\"SpanContext\":{\"TraceID\":\"zz\"".to_vec(), "g.json", None)
            .unwrap_err()
            .to_string();
    assert!(err.starts_with("g.json:1:"), "{err}");
    assert!(err.contains("EOF while parsing"), "{err}");
}

#[test]
fn a_console_stream_cut_for_threads_loads_as_one_thread_does() {
    for name in ["python_console.txt", "go_stdouttrace_pretty.json", "go_stdouttrace_compact.json"] {
        let b = bytes(name);
        let one = load::load_bytes_split(&b, name, None, 1, usize::MAX).unwrap();
        let one_summary =
            summary(&Index::build(load::load_bytes_split(&b, name, None, 1, usize::MAX).unwrap()), true);
        for workers in [2, 3, 4] {
            let many = load::load_bytes_split(&b, name, None, workers, 1).unwrap();
            assert_eq!(many.spans.len(), one.spans.len(), "{name} with {workers} workers");
            assert_eq!(summary(&Index::build(many), true), one_summary);
        }
    }
}
