//! OTLP JSON loader, end to end: fixture files through `load::load_file` (sniffing included) and
//! `Index::build`, asserting what a user would see: traces, parents, services, kinds, statuses,
//! typed attributes, links from both ends, and the warnings and errors for broken input.

use std::path::{Path, PathBuf};
use weft::index::{Index, LinkTarget, SpanIdx};
use weft::load::{load_bytes, load_file, load_paths};
use weft::model::{
    Dataset, Format, LinkKind, Location, Slice, SpanId, SpanKind, StatusCode, TraceId, Value, span_flags,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/otlp-json").join(name)
}

fn load(name: &str) -> Index {
    Index::build(load_file(&fixture(name), None).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn tid(hex: &str) -> TraceId {
    TraceId::from_hex(hex).unwrap()
}

fn sid(hex: &str) -> SpanId {
    SpanId::from_hex(hex).unwrap()
}

fn span(ix: &Index, trace: &str, span: &str) -> SpanIdx {
    ix.find_span(tid(trace), sid(span)).unwrap_or_else(|| panic!("span {trace}/{span} not loaded"))
}

fn attr(ds: &Dataset, slice: Slice, key: &str) -> Value {
    ds.find_attr(slice, key).unwrap_or_else(|| panic!("no attribute {key}"))
}

fn text(ds: &Dataset, v: Value) -> &str {
    match v {
        Value::Str(s) | Value::Bytes(s) => ds.str(s),
        other => panic!("not a string: {other:?}"),
    }
}

fn file_format(ix: &Index) -> Format {
    ix.data.files[0].format
}

// ---- fixtures written by other tools ----

#[test]
fn otel_proto_example_is_an_orphan_server_span_with_resource_and_scope() {
    let ix = load("otel-proto_examples_trace.json");
    assert_eq!(file_format(&ix), Format::OtlpJson);
    assert_eq!((ix.traces().len(), ix.span_count(), ix.link_count()), (1, 1, 0));
    // Uppercase hex in the file; ids compare as numbers.
    let s = span(&ix, "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174");
    let sp = *ix.span(s);
    assert_eq!(sp.parent_id, sid("eee19b7ec3c1b173"));
    assert_eq!(ix.parent(s), None);
    assert!(ix.is_orphan(s), "its parent is not in the file");
    assert_eq!(ix.name(s), "I'm a server span");
    assert_eq!(ix.service(s), "my.service");
    assert_eq!(sp.kind, SpanKind::Server);
    assert_eq!(sp.status, StatusCode::Unset);
    assert_eq!((sp.start, sp.end), (1_544_712_660_000_000_000, 1_544_712_661_000_000_000));
    let ds = &ix.data;
    assert_eq!(text(ds, attr(ds, sp.attrs, "my.span.attr")), "some value");
    let scope = ds.scope(sp.scope);
    assert_eq!(scope.name.map(|s| ds.str(s)), Some("my.library"));
    assert_eq!(scope.version.map(|s| ds.str(s)), Some("1.0.0"));
    assert_eq!(text(ds, attr(ds, scope.attrs, "my.scope.attribute")), "some scope attribute");
    let resource = ds.resource(sp.resource);
    assert_eq!(text(ds, attr(ds, resource.attrs, "service.name")), "my.service");
    assert_eq!(ds.files[0].skipped, 0);
    assert!(ds.files[0].warnings.is_empty(), "{:?}", ds.files[0].warnings);
}

#[test]
fn jaeger_link_attributes_keep_their_types_and_point_at_unloaded_spans() {
    let ix = load("jaeger_link_attributes_trace.json");
    assert_eq!((ix.traces().len(), ix.span_count(), ix.link_count()), (1, 1, 3));
    let s = span(&ix, "00000000000000000000000000000226", "0000000000000004");
    assert_eq!(ix.service(s), "query25-service");
    assert_eq!(ix.name(s), "query25-operation");
    assert_eq!(ix.span(s).kind, SpanKind::Unspecified);
    assert_eq!(ix.span(s).status, StatusCode::Unset);
    assert_eq!(ix.parent(s), None);
    let links: Vec<_> = ix.links_out(s).collect();
    assert_eq!(links.len(), 3);
    let ds = &ix.data;
    let first = ix.link(links[0]);
    assert_eq!((first.trace_id, first.span_id), (tid("ff"), sid("ff")));
    // The collector's Jaeger translator keeps the reference kind as this attribute: read back as it.
    assert_eq!(first.kind, LinkKind::ChildOf);
    assert_eq!(text(ds, attr(ds, first.attrs, "opentracing.ref_type")), "child_of");
    assert_eq!(text(ds, attr(ds, first.attrs, "sameplacelinkattribute1")), "sameplacevalue");
    assert_eq!(attr(ds, first.attrs, "sameplacelinkattribute2"), Value::Int(123));
    assert_eq!(attr(ds, first.attrs, "sameplacelinkattribute4"), Value::Bool(true));
    assert_eq!(attr(ds, first.attrs, "sameplacelinkattribute3"), Value::Double(72.5));
    assert!(matches!(attr(ds, first.attrs, "linkblob"), Value::Bytes(_)));
    assert_eq!(text(ds, attr(ds, first.attrs, "linkblob")), "AAAwOQ==");
    let third = ix.link(links[2]);
    assert_eq!((third.trace_id, third.span_id), (tid("1"), sid("2")));
    assert_eq!(text(ds, attr(ds, third.attrs, "opentracing.ref_type")), "follows_from");
    assert_eq!(third.kind, LinkKind::FollowsFrom);
    // Neither target trace is loaded: the links are unresolved, and nobody links in.
    for &l in &links {
        assert_eq!(ix.link_source(l), s);
        assert_eq!(ix.link_target(l), LinkTarget::Missing { trace: None });
    }
    assert_eq!(ix.unresolved_links().count(), 3);
    assert!(ix.links_in(s).is_empty());
    // `"scope": {}` is a scope without a name.
    assert_eq!(ds.scope(ix.span(s).scope).name, None);
}

#[test]
fn jaeger_tags_opname_span_attribute_types() {
    let ix = load("jaeger_tags_opname_trace.json");
    assert_eq!((ix.traces().len(), ix.span_count(), ix.link_count()), (1, 1, 3));
    let s = span(&ix, "00000000000000000000000000000012", "0000000000000004");
    assert_eq!(ix.service(s), "query12-service");
    assert_eq!(ix.name(s), "query12-operation");
    assert_eq!((ix.span(s).kind, ix.span(s).status), (SpanKind::Unspecified, StatusCode::Unset));
    assert_eq!(ix.parent(s), None);
    let ds = &ix.data;
    let attrs = ix.span(s).attrs;
    assert_eq!(attrs.len, 5);
    assert_eq!(text(ds, attr(ds, attrs, "sameplacetag1")), "sameplacevalue");
    assert_eq!(attr(ds, attrs, "sameplacetag2"), Value::Int(123));
    assert_eq!(attr(ds, attrs, "sameplacetag4"), Value::Bool(true));
    assert_eq!(attr(ds, attrs, "sameplacetag3"), Value::Double(72.5));
    assert_eq!(text(ds, attr(ds, attrs, "blob")), "AAAwOQ==");
    let links: Vec<_> = ix.links_out(s).map(|l| *ix.link(l)).collect();
    let targets: Vec<_> = links.iter().map(|l| (l.trace_id, l.span_id)).collect();
    assert_eq!(targets, vec![(tid("ff"), sid("ff")), (tid("1"), sid("2")), (tid("1"), sid("2"))]);
    assert!(links.iter().all(|l| l.attrs.len == 1));
}

#[test]
fn jaeger_api_v3_result_wrapper_error_span_without_times() {
    let ix = load("jaeger_apiv3_GetTrace.json");
    assert_eq!(file_format(&ix), Format::OtlpJson);
    assert_eq!((ix.traces().len(), ix.span_count(), ix.link_count()), (1, 1, 0));
    let s = span(&ix, "00000000000000000000000000000001", "0000000000000002");
    let sp = ix.span(s);
    assert_eq!(ix.name(s), "foobar");
    assert_eq!(sp.kind, SpanKind::Server);
    assert_eq!(sp.status, StatusCode::Error);
    assert_eq!((sp.start, sp.end), (0, 0));
    assert_eq!(ix.service(s), "unknown_service", "the resource is empty");
    assert_eq!(ix.parent(s), None);
    assert!(!ix.is_orphan(s));
}

#[test]
fn links_resolve_across_files_and_show_up_as_backlinks() {
    let loaded = load_paths(
        &[fixture("jaeger_link_attributes_trace.json"), fixture("jaeger_apiv3_GetTrace.json")],
        None,
    )
    .unwrap();
    let ix = Index::build(loaded.dataset);
    let source = span(&ix, "00000000000000000000000000000226", "0000000000000004");
    let target = span(&ix, "00000000000000000000000000000001", "0000000000000002");
    let out: Vec<_> = ix.links_out(source).collect();
    assert_eq!(ix.link_target(out[0]), LinkTarget::Missing { trace: None });
    assert_eq!(ix.link_target(out[1]), LinkTarget::Span(target));
    assert_eq!(ix.link_target(out[2]), LinkTarget::Span(target));
    assert_eq!(ix.links_in(target), &out[1..]);
    assert!(ix.links_in(target).iter().all(|&l| ix.link_source(l) == source));
}

#[test]
fn jsonl_parent_chain_resolves_across_lines() {
    let ix = load("jaeger-ui_otlp2jaeger-multi-in.jsonl");
    assert_eq!(file_format(&ix), Format::OtlpJsonLines);
    assert_eq!(file_format(&ix).name(), "otlp-jsonl");
    assert_eq!((ix.traces().len(), ix.span_count(), ix.link_count()), (1, 4, 0));
    let t = "c620759e5d60fafb8ee0922b30e06bc6";
    let root = span(&ix, t, "eff3153be6b1fb93");
    let info = span(&ix, t, "49b8e9efa1e8a3b1");
    let first = span(&ix, t, "26f5ef9dbb885479");
    let second = span(&ix, t, "e76628f4e6dde174");
    // Line 1's span is a child of line 3's, which is a child of line 4's.
    assert_eq!(ix.parent(first), Some(info));
    assert_eq!(ix.parent(second), Some(info));
    assert_eq!(ix.parent(info), Some(root));
    assert_eq!(ix.parent(root), None);
    assert_eq!((ix.depth(root), ix.depth(info), ix.depth(first)), (0, 1, 2));
    assert_eq!(ix.trace_spans(ix.trace_of(root)), &[root, info, first, second]);
    assert_eq!(ix.service(first), "example-trace");
    assert_eq!(ix.span(first).kind, SpanKind::Internal);
    assert_eq!(ix.span(root).status, StatusCode::Unset);
    let ds = &ix.data;
    assert_eq!(ds.scope(ix.span(root).scope).version.map(|v| ds.str(v)), Some("1.2.3"));
    assert_eq!(ds.scope(ix.span(first).scope).name.map(|v| ds.str(v)), Some("ohboy"));
    assert_eq!(ds.files[0].skipped, 0);
}

// ---- synthetic files for cases no public fixture covers ----

#[test]
fn instrumentation_library_spans_and_deprecated_status_code() {
    let ix = load("synthetic_instrumentation_library.json");
    assert_eq!(ix.span_count(), 2);
    let t = "0af7651916cd43dd8448eb211c80319c";
    let server = span(&ix, t, "b7ad6b7169203331");
    let client = span(&ix, t, "00f067aa0ba902b7");
    assert_eq!(ix.parent(client), Some(server));
    assert_eq!(ix.service(server), "legacy-orders");
    assert_eq!(ix.span(server).kind, SpanKind::Server);
    assert_eq!(ix.span(client).kind, SpanKind::Client);
    // Times above 2^53 written as JSON numbers are exact (never parsed through f64).
    assert_eq!(
        (ix.span(server).start, ix.span(server).end),
        (1_581_452_772_000_000_321, 1_581_452_773_000_000_789)
    );
    // Only `deprecatedCode`: a non-OK value is an error, OK (0) is unset.
    assert_eq!(ix.span(server).status, StatusCode::Error);
    assert_eq!(ix.span(server).status_message.map(|m| ix.str(m)), Some("connection reset"));
    assert_eq!(ix.span(client).status, StatusCode::Unset);
    let ds = &ix.data;
    let scope = ds.scope(ix.span(client).scope);
    assert_eq!(scope.name.map(|s| ds.str(s)), Some("io.opentelemetry.jdbc"));
    assert_eq!(scope.version.map(|s| ds.str(s)), Some("0.9.0"));
}

#[test]
fn snake_case_keys_and_enum_names() {
    let ix = load("synthetic_snake_case_enum_names.json");
    assert_eq!(ix.span_count(), 2);
    let t = "4bf92f3577b34da6a3ce929d0e0e4736";
    let root = span(&ix, t, "53995c3f42cd8ad8");
    let child = span(&ix, t, "5fb397be34d26b51");
    assert_eq!(ix.parent(child), Some(root));
    let (r, c) = (*ix.span(root), *ix.span(child));
    assert_eq!(ix.service(root), "snake-svc");
    assert_eq!((r.kind, c.kind), (SpanKind::Server, SpanKind::Producer));
    assert_eq!((r.status, c.status), (StatusCode::Error, StatusCode::Ok));
    assert_eq!(r.status_message.map(|m| ix.str(m)), Some("card declined"));
    assert_eq!(r.trace_state.map(|m| ix.str(m)), Some("congo=t61rcWkgMzE"));
    assert_eq!(r.w3c_flags, 769);
    assert_eq!((r.start, r.end), (1_700_000_000_000_000_000, 1_700_000_000_250_000_000));
    let ds = &ix.data;
    assert_eq!(attr(ds, r.attrs, "retries"), Value::Int(3));
    assert_eq!(attr(ds, r.attrs, "ratio"), Value::Double(0.25));
    assert_eq!(attr(ds, r.attrs, "cached"), Value::Bool(false));
    let events = ds.events_of(c.events);
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].time, ds.str(events[0].name)), (1_700_000_000_150_000_000, "sent"));
    assert_eq!(attr(ds, events[0].attrs, "bytes"), Value::Int(512));
}

#[test]
fn tempo_batches_with_base64_ids_are_decoded_with_one_warning() {
    let ix = load("synthetic_tempo_batches_base64.json");
    assert_eq!(ix.span_count(), 2);
    let t = "4bf92f3577b34da6a3ce929d0e0e4736";
    let root = span(&ix, t, "53995c3f42cd8ad8");
    let child = span(&ix, t, "5fb397be34d26b51");
    assert_eq!(ix.parent(child), Some(root));
    assert_eq!(ix.service(root), "tempo-frontend");
    let l = ix.links_out(child).next().unwrap();
    let link = ix.link(l);
    assert_eq!((link.trace_id, link.span_id), (tid("a1b2c3d4e5f60718"), sid("00f067aa0ba902b7")));
    assert_eq!(ix.link_target(l), LinkTarget::Missing { trace: None });
    let file = &ix.data.files[0];
    assert_eq!(file.skipped, 0);
    assert_eq!(file.warnings.len(), 1, "{:?}", file.warnings);
    assert!(file.warnings[0].message.contains("base64"), "{:?}", file.warnings[0]);
    assert!(!file.warnings[0].skipped);
}

#[test]
fn tempo_v2_trace_wrapper_and_its_link_target() {
    // The batches file links to the span in the v2 file: resolve it from both ends.
    let loaded = load_paths(
        &[fixture("synthetic_tempo_batches_base64.json"), fixture("synthetic_tempo_v2_trace.json")],
        None,
    )
    .unwrap();
    let ix = Index::build(loaded.dataset);
    assert_eq!(ix.data.files[1].format, Format::OtlpJson);
    let target = span(&ix, "a1b2c3d4e5f60718", "00f067aa0ba902b7");
    assert_eq!(ix.service(target), "tempo-v2");
    assert_eq!(ix.span(target).kind, SpanKind::Consumer);
    let source = span(&ix, "4bf92f3577b34da6a3ce929d0e0e4736", "5fb397be34d26b51");
    let l = ix.links_out(source).next().unwrap();
    assert_eq!(ix.link_target(l), LinkTarget::Span(target));
    assert_eq!(ix.links_in(target), &[l]);
}

#[test]
fn every_any_value_kind() {
    let ix = load("synthetic_anyvalue_kinds.json");
    let s = span(&ix, "cccccccccccccccccccccccccccccccc", "cccccccccccccccc");
    let ds = &ix.data;
    let a = ix.span(s).attrs;
    assert_eq!(text(ds, attr(ds, a, "s")), "tab\there \"quoted\" é");
    assert_eq!(attr(ds, a, "b"), Value::Bool(true));
    assert_eq!(attr(ds, a, "i_str"), Value::Int(i64::MIN));
    assert_eq!(attr(ds, a, "i_num"), Value::Int(i64::MAX));
    assert_eq!(attr(ds, a, "d"), Value::Double(1.5));
    assert_eq!(attr(ds, a, "d_int"), Value::Double(3.0));
    assert!(matches!(attr(ds, a, "d_nan"), Value::Double(d) if d.is_nan()));
    assert_eq!(attr(ds, a, "d_inf"), Value::Double(f64::INFINITY));
    assert_eq!(attr(ds, a, "d_ninf"), Value::Double(f64::NEG_INFINITY));
    assert!(matches!(attr(ds, a, "bytes"), Value::Bytes(_)));
    assert_eq!(text(ds, attr(ds, a, "bytes")), "3q2+7w==");
    assert_eq!(attr(ds, a, "empty"), Value::Empty);
    assert_eq!(attr(ds, a, "null_value"), Value::Empty);
    assert_eq!(attr(ds, a, "future_kind"), Value::Empty);
    let Value::Array(arr) = attr(ds, a, "arr") else { panic!("arr is not an array") };
    let items: Vec<Value> = ds.values_of(arr).collect();
    assert_eq!(items.len(), 3);
    assert_eq!(text(ds, items[0]), "x");
    assert_eq!(items[1], Value::Int(7));
    let Value::Array(nested) = items[2] else { panic!("nested array expected") };
    assert_eq!(ds.values_of(nested).collect::<Vec<_>>(), [Value::Bool(false)]);
    let Value::Array(empty) = attr(ds, a, "empty_arr") else { panic!("empty_arr is not an array") };
    assert!(empty.is_empty());
    let Value::Map(map) = attr(ds, a, "map") else { panic!("map is not a map") };
    assert_eq!(attr(ds, map, "n"), Value::Int(1));
    let Value::Map(inner) = attr(ds, map, "inner") else { panic!("inner is not a map") };
    assert_eq!(attr(ds, inner, "deep"), Value::Double(2.5));
    assert_eq!(ix.span(s).kind, SpanKind::Client);
    assert_eq!(ix.span(s).status, StatusCode::Ok);
    let events = ds.events_of(ix.span(s).events);
    assert_eq!(events.len(), 1);
    assert_eq!(text(ds, attr(ds, events[0].attrs, "k")), "v");
    // Resource and scope attributes are typed too.
    assert_eq!(attr(ds, ds.resource(ix.span(s).resource).attrs, "host.cores"), Value::Int(8));
    assert_eq!(attr(ds, ds.scope(ix.span(s).scope).attrs, "scope.flag"), Value::Bool(true));
}

#[test]
fn links_in_the_same_file_resolve_both_ways_and_span_pointers_do_not() {
    let ix = load("synthetic_links_pointer.json");
    assert_eq!((ix.traces().len(), ix.span_count(), ix.link_count()), (2, 2, 3));
    let producer = span(&ix, "dddddddddddddddddddddddddddddddd", "d000000000000001");
    let consumer = span(&ix, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "e000000000000001");
    assert_eq!(ix.service(producer), "producer");
    assert_eq!(ix.service(consumer), "consumer");
    assert_ne!(ix.span(producer).resource, ix.span(consumer).resource);
    let out: Vec<_> = ix.links_out(consumer).collect();
    assert_eq!(ix.link_target(out[0]), LinkTarget::Span(producer));
    assert_eq!(ix.links_in(producer), &[out[0]]);
    let first = ix.link(out[0]);
    assert_eq!(first.trace_state.map(|s| ix.str(s)), Some("vendor=abc"));
    assert_eq!(first.flags, 257);
    assert_eq!(first.kind, LinkKind::Link);
    assert_eq!(attr(&ix.data, first.attrs, "messaging.batch.index"), Value::Int(0));
    assert_eq!(ix.link_target(out[1]), LinkTarget::Missing { trace: None });
    // A span pointer keeps its all-zero ids and is never resolved.
    assert_eq!(ix.link(out[2]).kind, LinkKind::Pointer);
    assert_eq!(ix.link_target(out[2]), LinkTarget::Pointer);
    assert!(ix.data.files[0].warnings.is_empty(), "{:?}", ix.data.files[0].warnings);
}

#[test]
fn bad_spans_are_skipped_with_their_position_and_the_rest_load() {
    let ix = load("synthetic_bad_spans.json");
    let file = &ix.data.files[0];
    let t = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let names: Vec<_> =
        ix.trace_spans(ix.trace_of(span(&ix, t, "1000000000000001"))).iter().map(|&s| ix.name(s)).collect();
    assert_eq!(names, ["clamped-root", "child", "zero-parent"]);
    assert_eq!(ix.span_count(), 3);
    assert_eq!(file.spans, 3);
    assert_eq!(file.skipped, 5, "{:#?}", file.warnings);
    let skipped: Vec<_> =
        file.warnings.iter().filter(|w| w.skipped).map(|w| (w.at, w.message.as_str())).collect();
    let line = |n| Location::Line { line: n, column: 5 };
    assert_eq!(
        skipped,
        [
            (line(5), "span \"bad-span-id\" skipped: spanId: id is neither hex nor base64"),
            (line(6), "span \"zero-trace\" skipped: traceId: all-zero id (invalid)"),
            (line(7), "span \"\" skipped: name: expected a string, found 5"),
            (
                line(8),
                "span \"attrs-not-a-list\" skipped: attributes: expected an array of {key, value}, found string \"x\""
            ),
            (line(10), "span \"short-trace-id\" skipped: traceId: id has 16 hex digits, expected 32"),
        ]
    );
    // Repaired, not dropped: end before start, an all-zero parent and a link with a bad id.
    let root = span(&ix, t, "1000000000000001");
    let sp = *ix.span(root);
    assert_eq!((sp.start, sp.end), (5000, 5000));
    assert!(sp.has_flag(span_flags::CLAMPED_END));
    let warned: Vec<_> = file.warnings.iter().filter(|w| !w.skipped).map(|w| w.message.as_str()).collect();
    assert!(warned.contains(&"end 4000 ns is before start 5000 ns; duration set to 0"), "{warned:?}");
    assert!(warned.iter().any(|m| m.starts_with("link dropped: spanId")), "{warned:?}");
    assert!(warned.iter().any(|m| m.starts_with("parentSpanId: all-zero")), "{warned:?}");
    let zero_parent = span(&ix, t, "1000000000000006");
    assert_eq!(ix.span(zero_parent).parent_id, SpanId(0));
    assert!(!ix.is_orphan(zero_parent));
    // The good link survives; it points at `child`, which sees it as a backlink.
    let child = span(&ix, t, "1000000000000008");
    assert_eq!(ix.parent(child), Some(root));
    let out: Vec<_> = ix.links_out(root).collect();
    assert_eq!(out.len(), 1);
    assert_eq!(ix.link_target(out[0]), LinkTarget::Span(child));
    assert_eq!(ix.links_in(child), &out[..]);
    // A skipped span leaves nothing behind in the arenas.
    assert_eq!(ix.data.links.len(), 1);
}

#[test]
fn jsonl_with_a_broken_line_keeps_the_good_lines() {
    let ix = load("synthetic_broken_line.jsonl");
    let file = &ix.data.files[0];
    assert_eq!(file.format, Format::OtlpJsonLines);
    assert_eq!(file.skipped, 1);
    assert_eq!(file.warnings.len(), 1);
    let w = &file.warnings[0];
    assert!(w.skipped);
    assert!(matches!(w.at, Location::Line { line: 2, column } if column > 100), "{w:?}");
    assert!(w.message.starts_with("expected `,` or `}`"), "{w:?}");
    assert_eq!(ix.span_count(), 2);
    let t = "11111111111111111111111111111111";
    let root = span(&ix, t, "1111111111111111");
    assert_eq!(ix.parent(span(&ix, t, "2222222222222222")), Some(root));
    assert_eq!(ix.find_span(tid(t), sid("3333333333333333")), None);
}

#[test]
fn a_broken_first_line_is_skipped_when_later_lines_are_good() {
    let good = std::fs::read(fixture("synthetic_broken_line.jsonl")).unwrap();
    let mut bytes = b"{\"resourceSpans\": [\n".to_vec();
    bytes.extend_from_slice(&good);
    let ds = load_bytes(bytes, "first-broken.jsonl", None).unwrap();
    assert_eq!(ds.spans.len(), 2);
    // The unclosed array swallows line 2 and fails at the start of line 3; parsing resumes at
    // line 2 (the next line that starts a document), so only the broken line 3 is lost with it.
    assert_eq!(ds.files[0].skipped, 2);
    assert_eq!(ds.files[0].warnings[0].at, Location::Line { line: 3, column: 1 });
    assert!(ds.files[0].warnings[0].message.ends_with("skipped the document that starts on line 1"));
}

#[test]
fn truncated_json_is_an_error_with_path_line_and_column() {
    let path = fixture("synthetic_truncated.json");
    let err = load_file(&path, None).unwrap_err();
    assert_eq!(err.format, Some(Format::OtlpJson));
    assert_eq!(err.at, Location::Line { line: 28, column: 18 });
    assert_eq!(err.to_string(), format!("{}:28:18: EOF while parsing a value", path.display()));
}

#[test]
fn a_broken_single_line_is_an_error_too() {
    let err = load_bytes(b"{\"resourceSpans\":[}".to_vec(), "x.json", None).unwrap_err();
    assert_eq!(err.to_string(), "x.json:1:19: expected value");
    let err = load_bytes(b"\n\n  {\"resourceSpans\": 1,,}".to_vec(), "y.json", None).unwrap_err();
    assert_eq!(err.to_string(), "y.json:3:23: key must be a string");
}

#[test]
fn empty_resource_spans_load_as_an_empty_file() {
    let ds = load_file(&fixture("synthetic_empty_resource_spans.json"), None).unwrap();
    assert!(ds.spans.is_empty());
    assert_eq!(ds.files.len(), 1);
    assert_eq!(ds.files[0].format, Format::OtlpJson);
    assert_eq!(ds.files[0].skipped, 0);
    assert!(ds.files[0].warnings.is_empty());
    let ds = load_bytes(b"{\"resourceSpans\":[]}".to_vec(), "e.json", None).unwrap();
    assert!(ds.spans.is_empty());
}

#[test]
fn retried_spans_across_lines_are_kept_once_preferring_the_richest_copy() {
    let ix = load("synthetic_retry_duplicates.jsonl");
    assert_eq!(ix.span_count(), 2);
    let t = "abababababababababababababababab";
    let send = span(&ix, t, "ab00000000000001");
    assert_eq!(attr(&ix.data, ix.span(send).attrs, "attempt"), Value::Int(2));
    assert_eq!(ix.parent(span(&ix, t, "ab00000000000002")), Some(send));
    let file = &ix.data.files[0];
    assert_eq!(file.skipped, 0);
    let dups: Vec<_> =
        file.warnings.iter().filter(|w| w.message.contains("appears more than once")).collect();
    assert_eq!(dups.len(), 2, "{:?}", file.warnings);
    assert_eq!(dups[0].at, Location::Line { line: 2, column: 127 });
    assert_eq!(dups[1].at, Location::Line { line: 3, column: 127 });
}

#[test]
fn a_file_that_is_not_otlp_is_an_error_when_forced() {
    let err = load_bytes(b"{\"data\":[]}".to_vec(), "j.json", Some(Format::OtlpJson)).unwrap_err();
    assert!(err.to_string().starts_with("j.json: no `resourceSpans` found"), "{err}");
    let err = load_bytes(b"[1, 2]".to_vec(), "a.json", Some(Format::OtlpJson)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a.json:1:1: document: expected an object with resourceSpans, found an array"
    );
    let err = load_bytes(
        b"{\"error\":{\"httpCode\":404,\"message\":\"No traces found\"}}".to_vec(),
        "e.json",
        Some(Format::OtlpJson),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "e.json: the file is an error response, not traces: No traces found");
}

// ---- robustness: damaged input never panics and never yields a dataset with dangling slices ----

/// Every slice a dataset hands out must point inside its arenas, and every span must end after it
/// starts; otherwise the index or the UI would index out of bounds later.
fn assert_consistent(ds: &Dataset) {
    let within = |s: Slice, len: usize| s.range().end <= len;
    assert_eq!(ds.files.len(), 1);
    assert_eq!(ds.files[0].spans, ds.spans.len());
    for sp in &ds.spans {
        assert!(sp.end >= sp.start);
        assert!(within(sp.attrs, ds.attrs.len()) && within(sp.events, ds.events.len()));
        assert!(within(sp.links, ds.links.len()));
        assert!((sp.resource.0 as usize) < ds.resources.len() && (sp.scope.0 as usize) < ds.scopes.len());
    }
    for e in &ds.events {
        assert!(within(e.attrs, ds.attrs.len()));
    }
    for l in &ds.links {
        assert!(within(l.attrs, ds.attrs.len()));
    }
    for v in ds.all_attrs().map(|a| a.value).chain(ds.all_values()) {
        match v {
            Value::Array(s) => assert!(within(s, ds.values.len())),
            Value::Map(s) => assert!(within(s, ds.attrs.len())),
            _ => {}
        }
    }
}

fn check_damaged(bytes: Vec<u8>, path: &str) {
    match load_bytes(bytes, path, Some(Format::OtlpJson)) {
        Ok(ds) => assert_consistent(&ds),
        Err(e) => assert!(e.to_string().starts_with(path), "{e}"),
    }
}

#[test]
fn every_truncation_of_a_fixture_loads_consistently_or_fails_with_a_position() {
    for name in
        ["synthetic_bad_spans.json", "synthetic_anyvalue_kinds.json", "jaeger-ui_otlp2jaeger-multi-in.jsonl"]
    {
        let bytes = std::fs::read(fixture(name)).unwrap();
        for cut in 0..bytes.len() {
            check_damaged(bytes[..cut].to_vec(), name);
        }
    }
    // A JSON Lines file cut mid-line keeps every complete line before the cut.
    let bytes = std::fs::read(fixture("jaeger-ui_otlp2jaeger-multi-in.jsonl")).unwrap();
    let third_line = bytes.iter().enumerate().filter(|&(_, &b)| b == b'\n').nth(2).unwrap().0;
    let ds = load_bytes(bytes[..third_line + 40].to_vec(), "cut.jsonl", None).unwrap();
    assert_eq!((ds.spans.len(), ds.files[0].skipped), (3, 1));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    #[test]
    fn mutated_fixtures_load_consistently_or_fail_with_a_position(
        flips in proptest::collection::vec((0usize..4000, proptest::prelude::any::<u8>()), 1..6)
    ) {
        let mut bytes = std::fs::read(fixture("synthetic_anyvalue_kinds.json")).unwrap();
        for (at, byte) in flips {
            let i = at % bytes.len();
            bytes[i] = byte;
        }
        check_damaged(bytes, "mutated.json");
    }
}

/// OTLP from Jaeger (the OpenTelemetry translator, or `weft export`) keeps a reference's kind as
/// the `opentracing.ref_type` link attribute: it is read back as that kind, the attribute kept.
#[test]
fn opentracing_ref_type_links_read_back_as_jaeger_reference_kinds() {
    let link = |ref_type: &str| {
        format!(
            r#"{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","attributes":[{{"key":"opentracing.ref_type","value":{{"stringValue":"{ref_type}"}}}}]}}"#
        )
    };
    let doc = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"53995c3f42cd8ad8","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2","links":[{},{},{}]}}]}}]}}]}}"#,
        link("follows_from"),
        link("child_of"),
        link("something_else")
    );
    let ds = load_bytes(doc.into_bytes(), "refs.json", None).unwrap();
    let kinds: Vec<LinkKind> = ds.links.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, [LinkKind::FollowsFrom, LinkKind::ChildOf, LinkKind::Link]);
    for l in &ds.links {
        let attrs: Vec<_> = ds.attrs_of(l.attrs).map(|a| ds.str(a.key).to_owned()).collect();
        assert_eq!(attrs, ["opentracing.ref_type"], "the attribute stays");
    }
}

// ---- other signals in the same file (one Collector file exporter for three pipelines) ----

/// `synthetic_mixed_signals.jsonl`: a 90 KB metrics line first, then logs, traces, logs, traces,
/// metrics. The trace and log lines load; the metrics are counted and said, not dropped in silence.
#[test]
fn mixed_signal_json_lines_load_the_traces_and_count_the_rest() {
    let name = "synthetic_mixed_signals.jsonl";
    let ds = load_file(&fixture(name), None).unwrap_or_else(|e| panic!("{e}"));
    let file = &ds.files[0];
    assert_eq!(file.format, Format::OtlpJsonLines);
    assert_eq!(file.skipped, 0);
    assert_eq!(
        file.other_signals,
        weft::model::OtherSignals { metrics: 602, log_records: 0 },
        "600 + 2 metrics; the log records are read"
    );
    assert_eq!((file.logs, ds.logs.len()), (3, 3), "2 + 1 log records");
    // Counted, not a problem with a record: no warning (stderr and `weft info` say it).
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let ix = Index::build(ds);
    let t = "5b8efff798038103d269b633813fc60c";
    assert_eq!(ix.span_count(), 3);
    let sign = span(&ix, t, "eee19b7ec3c1b176");
    let charge = span(&ix, t, "eee19b7ec3c1b175");
    assert_eq!(ix.parent(sign), Some(charge));
    assert_eq!(ix.parent(charge), Some(span(&ix, t, "eee19b7ec3c1b174")));
}

/// In a folder, a file holding metrics and logs but no traces loads its logs (unattached: their
/// traces are not there), and a file holding only metrics is listed as skipped with that reason.
#[test]
fn a_file_without_traces_in_a_folder_loads_its_logs_and_one_with_only_metrics_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["synthetic_mixed_signals.jsonl", "synthetic_metrics_and_logs_only.jsonl"] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    let both = std::fs::read_to_string(fixture("synthetic_metrics_and_logs_only.jsonl")).unwrap();
    let metrics = both.lines().find(|l| l.contains("resourceMetrics")).unwrap();
    std::fs::write(dir.path().join("metrics_only.jsonl"), format!("{metrics}\n")).unwrap();
    let loaded = load_paths(&[dir.path().to_path_buf()], None).unwrap();
    assert_eq!(loaded.dataset.files.len(), 2);
    assert_eq!(loaded.dataset.spans.len(), 3);
    assert_eq!(loaded.dataset.logs.len(), 3 + 4);
    let logs_only = loaded.dataset.files.iter().find(|f| f.path.ends_with("logs_only.jsonl")).unwrap();
    assert_eq!((logs_only.spans, logs_only.logs), (0, 4));
    assert_eq!(loaded.skipped_paths.len(), 1);
    let why = loaded.skipped_paths[0].to_string();
    assert!(why.contains("metrics_only.jsonl"), "{why}");
    assert!(why.contains("holds OpenTelemetry 2 metrics but no traces or logs"), "{why}");
}
