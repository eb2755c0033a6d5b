use super::*;
use crate::load::{Progress, sniff};

const PYTHON: &str = include_str!("../../../tests/fixtures/console/python_console.txt");
const GO_PRETTY: &str = include_str!("../../../tests/fixtures/console/go_stdouttrace_pretty.json");
const GO_COMPACT: &str = include_str!("../../../tests/fixtures/console/go_stdouttrace_compact.json");

#[test]
fn sniffs_console_streams_by_the_first_objects_keys() {
    assert_eq!(sniff(PYTHON.as_bytes()), Some(Format::PythonConsole));
    assert_eq!(sniff(GO_PRETTY.as_bytes()), Some(Format::GoStdouttrace));
    assert_eq!(sniff(GO_COMPACT.as_bytes()), Some(Format::GoStdouttrace));
    // However long the name before the deciding key.
    let long = format!("{{\"name\": \"{}\", \"context\": {{}}}}", "x".repeat(200_000));
    assert_eq!(sniff(long.as_bytes()), Some(Format::PythonConsole));
    // Python's span has `trace_id`/`span_id` inside, but it is not Datadog JSON.
    assert_ne!(sniff(b"[[{\"trace_id\":1,\"span_id\":2}]]"), Some(Format::PythonConsole));
    // Other formats are decided by their first key, without reading the rest.
    assert_eq!(sniff_object(b"{\"resourceSpans\": [ this is never read"), None);
    assert_eq!(sniff_object(b"{\"name\": \"x\"}"), None);
    assert_eq!(sniff_object(b"{\"name\": \"x\", "), None);
}

#[test]
fn large_inputs_are_read_in_chunks_cut_at_objects() {
    let progress = Progress::new();
    let job = Job { workers: 3, min_chunk: 1, progress: &progress, release: None };
    for (text, format, schema) in [
        (PYTHON, Format::PythonConsole, python::add_span as Schema),
        (GO_PRETTY, Format::GoStdouttrace, go::add_span as Schema),
        (GO_COMPACT, Format::GoStdouttrace, go::add_span as Schema),
    ] {
        let bytes = text.as_bytes();
        let cuts = parallel::cuts(0, text.len(), 3, |at| {
            memchr::memmem::find(bytes.get(at..)?, OBJECT_START).map(|i| at + i + 1)
        });
        assert_eq!(cuts.len(), 4, "{format}: {cuts:?}");
        match parse_chunks(bytes, text, "t", format, schema, &job, &cuts) {
            Chunked::Done(run) => assert_eq!(run.reader.finish().spans.len(), 4),
            _ => panic!("{format}: the chunks did not meet at their cuts"),
        }
    }
}

#[test]
fn python_trace_state_repr_becomes_w3c_text() {
    let input = br#"{"name": "s", "context": {"trace_id": "0x0af7651916cd43dd8448eb211c80319c", "span_id": "0xb7ad6b7169203331", "trace_state": "['{key=congo, value=t61rcWkgMzE}', '{key=rojo, value=00f067aa0ba902b7}']"}, "kind": "SpanKind.INTERNAL", "parent_id": null, "start_time": null, "end_time": null, "status": {"status_code": "UNSET"}, "attributes": {}, "events": [], "links": [], "resource": {"attributes": {}, "schema_url": ""}}"#;
    let ds = crate::load::load_bytes(input.to_vec(), "t", None).unwrap();
    let span = ds.spans[0];
    assert_eq!(ds.str(span.trace_state.unwrap()), "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    assert_eq!(ds.str(span.service), UNKNOWN_SERVICE);
    assert_eq!((span.start, span.end), (0, 0));
}

#[test]
fn go_zero_times_are_no_time_and_bad_times_are_warned() {
    let input = br#"{"Name":"s","SpanContext":{"TraceID":"0af7651916cd43dd8448eb211c80319c","SpanID":"b7ad6b7169203331","TraceFlags":"01","Remote":false},"Parent":{"TraceID":"00000000000000000000000000000000","SpanID":"0000000000000000","Remote":true},"SpanKind":2,"StartTime":"0001-01-01T00:00:00Z","EndTime":"yesterday","Attributes":[{"Key":"big","Value":{"Type":"INT64","Value":9223372036854775807}},{"Key":"one","Value":{"Type":"FLOAT64","Value":1}},{"Key":"m","Value":{"Type":"MAP","Value":[{"Key":"k","Value":{"Type":"STRING","Value":"v"}}]}}]}"#;
    let ds = crate::load::load_bytes(input.to_vec(), "t", None).unwrap();
    let span = ds.spans[0];
    assert_eq!((span.start, span.end), (0, 0));
    assert_eq!(span.parent_id.0, 0);
    assert_eq!(span.w3c_flags, 0x301, "sampled, with a remote parent");
    assert_eq!(ds.find_attr(span.attrs, "big"), Some(Value::Int(i64::MAX)));
    assert_eq!(ds.find_attr(span.attrs, "one"), Some(Value::Double(1.0)));
    assert!(matches!(ds.find_attr(span.attrs, "m"), Some(Value::Map(_))));
    let w = &ds.files[0].warnings[0];
    assert!(w.message.starts_with("EndTime \"yesterday\" is not an RFC 3339 time"), "{}", w.message);
}

#[test]
fn objects_that_are_not_spans_are_skipped_with_a_note() {
    // A log record from the console log exporter on the same stream, then a span.
    let input = format!("{{\"body\": \"hello\", \"severity_text\": \"INFO\"}}\n{PYTHON}");
    let ds = crate::load::load_bytes(input.into_bytes(), "t", Some(Format::PythonConsole)).unwrap();
    assert_eq!(ds.spans.len(), 4);
    assert_eq!(ds.files[0].skipped, 1);
    assert!(ds.files[0].warnings[0].message.contains("without `context`"), "{:?}", ds.files[0].warnings);
}
