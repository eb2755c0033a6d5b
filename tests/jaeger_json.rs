//! Jaeger JSON loader, through `load::jaeger_json::parse` (and `load::load_bytes` for sniffing)
//! and `Index::build`: the three Jaeger fixtures plus synthetic files for the envelope shapes,
//! wrong-typed and badly-identified spans, missing processes, time overflow and truncation.

use proptest::prelude::*;

mod common {
    pub mod mutation;
}
use common::mutation::{check_parse, mutation};
use weft::index::{Index, LinkTarget, SpanIdx, index_flags};
use weft::load::{self, jaeger_json};
use weft::model::{
    Dataset, Format, LinkKind, Location, SpanId, SpanKind, StatusCode, TraceId, Value, span_flags,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jaeger-json");
const UI_01: &str = "jaeger_ui_01.json";
const OTLP_OUT: &str = "jaeger-ui_oltp2jaeger-multi-out.json";
const ANONYMIZER: &str = "jaeger_anonymizer_trace_success.json";
const DATA_OBJECT: &str = "synthetic_data_object.json";
const EMBEDDED: &str = "synthetic_embedded_missing_process.json";
const BARE_ARRAY: &str = "synthetic_bare_array.json";
const TRUNCATED: &str = "synthetic_truncated.json";

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap()
}

fn parse(name: &str) -> Dataset {
    jaeger_json::parse(&read(name), name).unwrap()
}

fn index(name: &str) -> Index {
    Index::build(parse(name))
}

fn tid(s: &str) -> TraceId {
    TraceId::from_hex(s).unwrap()
}

fn sid(s: &str) -> SpanId {
    SpanId::from_hex(s).unwrap()
}

/// The (first) span with this id in this trace.
fn span(ix: &Index, trace: &str, span: &str) -> SpanIdx {
    ix.find_span(tid(trace), sid(span)).unwrap_or_else(|| panic!("span {trace}/{span} not loaded"))
}

fn by_name(ix: &Index, name: &str) -> SpanIdx {
    let all: Vec<SpanIdx> =
        (0..ix.span_count() as u32).map(SpanIdx).filter(|&s| ix.name(s) == name).collect();
    assert_eq!(all.len(), 1, "expected one span named {name}");
    all[0]
}

fn attr(ix: &Index, s: SpanIdx, key: &str) -> Option<Value> {
    ix.data.find_attr(ix.span(s).attrs, key)
}

fn str_attr(ix: &Index, s: SpanIdx, key: &str) -> Option<String> {
    match attr(ix, s, key)? {
        Value::Str(sym) => Some(ix.str(sym).to_owned()),
        other => panic!("{key} is {other:?}, not a string"),
    }
}

fn string_array(ix: &Index, v: Value) -> Vec<String> {
    let Value::Array(slice) = v else { panic!("{v:?} is not an array") };
    ix.data
        .values_of(slice)
        .map(|v| match v {
            Value::Str(s) => ix.str(s).to_owned(),
            other => panic!("{other:?} is not a string"),
        })
        .collect()
}

fn resource_attr(ix: &Index, s: SpanIdx, key: &str) -> Option<Value> {
    ix.data.find_attr(ix.data.resource(ix.span(s).resource).attrs, key)
}

fn line_of(loc: Location) -> usize {
    match loc {
        Location::Line { line, .. } => line,
        other => panic!("{other:?} has no line"),
    }
}

/// Line and 1-based column of the first occurrence of `needle` in the file.
fn position_of(name: &str, needle: &str) -> (usize, usize) {
    let text = String::from_utf8(read(name)).unwrap();
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle} not in {name}"));
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

// ---- jaeger_ui_01.json: bare trace object ----

#[test]
fn ui_01_bare_trace_counts_services_and_duplicate_id() {
    let ds = parse(UI_01);
    assert_eq!(ds.files.len(), 1);
    assert_eq!(ds.files[0].format, Format::JaegerJson);
    assert_eq!(ds.files[0].skipped, 0);
    assert_eq!(ds.spans.len(), 5, "both spans with id 0000000000000002 are kept");
    let ix = Index::build(ds);
    assert_eq!(ix.traces().len(), 1);
    assert_eq!(ix.traces()[0].id, tid("1"));
    assert_eq!(ix.link_count(), 2);

    // The duplicate: the first one answers to the id, the second is flagged.
    let dups: Vec<SpanIdx> =
        (0..5).map(SpanIdx).filter(|&s| ix.span(s).span_id == sid("0000000000000002")).collect();
    assert_eq!(dups.len(), 2);
    assert_eq!(ix.find_span(tid("1"), sid("2")), Some(dups[0]));
    assert_eq!(ix.name(dups[0]), "test-general-conversion");
    assert_eq!(ix.name(dups[1]), "some-operation");
    assert_ne!(ix.index_flags(dups[1]) & index_flags::DUPLICATE_ID, 0);

    let services: Vec<&str> = (0..5).map(|i| ix.service(SpanIdx(i))).collect();
    assert_eq!(services, ["service-x", "service-x", "service-y", "service-y", "service-y"]);
    assert_eq!(
        resource_attr(&ix, dups[0], "service.name"),
        Some(Value::Str(ix.data.strings.get("service-x").unwrap()))
    );
    // One resource per process: spans of p2 share theirs.
    let s3 = span(&ix, "1", "3");
    let s4 = span(&ix, "1", "4");
    assert_eq!(ix.span(s3).resource, ix.span(s4).resource);
    assert_ne!(ix.span(s3).resource, ix.span(dups[0]).resource);

    let first = ix.span(dups[0]);
    assert_eq!(first.start, 1_485_467_191_639_875_000);
    assert_eq!(first.end, 1_485_467_191_639_880_000);
}

#[test]
fn ui_01_typed_tags_and_error() {
    let ix = index(UI_01);
    let s = (0..5)
        .map(SpanIdx)
        .find(|&s| ix.name(s) == "some-operation" && ix.span(s).span_id == sid("2"))
        .unwrap();
    assert_eq!(str_attr(&ix, s, "peer.service").as_deref(), Some("service-y"));
    assert_eq!(attr(&ix, s, "peer.ipv4"), Some(Value::Int(23456)));
    assert_eq!(attr(&ix, s, "temperature"), Some(Value::Double(72.5)));
    // int64 outside the JS-safe range, written as a string.
    assert_eq!(attr(&ix, s, "javascript_limit"), Some(Value::Int(9_223_372_036_854_775_222)));
    let Some(Value::Bytes(b)) = attr(&ix, s, "blob") else { panic!("blob is not bytes") };
    assert_eq!(ix.str(b), "AAAwOQ==");
    // `error=true` is the status, not an attribute.
    assert_eq!(ix.span(s).status, StatusCode::Error);
    assert_eq!(attr(&ix, s, "error"), None);
    // The five tags above plus the trace's warnings.
    assert_eq!(ix.data.attrs_of(ix.span(s).attrs).len(), 6);
}

#[test]
fn ui_01_references_become_parent_and_links_seen_from_both_ends() {
    let ix = index(UI_01);
    let s2 = span(&ix, "1", "2");
    let s3 = span(&ix, "1", "3");
    let s4 = span(&ix, "1", "4");
    let s5 = span(&ix, "1", "5");
    assert_eq!(ix.parent(s3), Some(s2));
    assert_eq!(ix.parent(s5), Some(s4));
    // Span 4: CHILD_OF another trace, CHILD_OF 2 (the parent: first same-trace CHILD_OF), FOLLOWS_FROM 2.
    assert_eq!(ix.span(s4).parent_id, sid("2"));
    assert_eq!(ix.parent(s4), Some(s2));
    let out: Vec<_> = ix.links_out(s4).collect();
    assert_eq!(out.len(), 2);
    let cross = ix.link(out[0]);
    assert_eq!((cross.trace_id, cross.span_id, cross.kind), (tid("ff"), sid("ff"), LinkKind::ChildOf));
    assert_eq!(ix.link_target(out[0]), LinkTarget::Missing { trace: None });
    assert!(ix.unresolved_links().any(|l| l == out[0]));
    // The second reference to span 2, with another type, is a link into span 2.
    let same = ix.link(out[1]);
    assert_eq!((same.trace_id, same.span_id, same.kind), (tid("1"), sid("2"), LinkKind::FollowsFrom));
    assert_eq!(ix.link_target(out[1]), LinkTarget::Span(s2));
    assert_eq!(ix.links_in(s2), &[out[1]]);
    assert_eq!(ix.link_source(out[1]), s4);
    for s in [s2, s3, s5] {
        assert_eq!(ix.links_out(s).len(), 0);
    }
}

#[test]
fn ui_01_logs_become_events_and_warnings_an_attribute() {
    let ix = index(UI_01);
    let s = span(&ix, "1", "2");
    let events = ix.data.events_of(ix.span(s).events);
    assert_eq!(events.len(), 2);
    assert_eq!(ix.str(events[0].name), "some-event");
    assert_eq!(events[0].time, 1_485_467_191_639_875_000);
    assert!(events[0].attrs.is_empty(), "the `event` field is the name, not an attribute");
    assert_eq!(ix.str(events[1].name), "log", "no `event` or `message` field");
    let attrs: Vec<_> = ix.data.attrs_of(events[1].attrs).collect();
    assert_eq!(attrs.len(), 1);
    assert_eq!(ix.str(attrs[0].key), "x");
    assert_eq!(attrs[0].value, Value::Str(ix.data.strings.get("y").unwrap()));

    let w4 = attr(&ix, span(&ix, "1", "4"), jaeger_json::WARNINGS_KEY).unwrap();
    assert_eq!(string_array(&ix, w4), ["some span warning", "some trace warning"]);
    let w2 = attr(&ix, s, jaeger_json::WARNINGS_KEY).unwrap();
    assert_eq!(string_array(&ix, w2), ["some trace warning"]);
}

// ---- oltp2jaeger-multi-out.json: {"data":[…]} ----

#[test]
fn data_envelope_with_otel_tags() {
    let ds = load::load_bytes(read(OTLP_OUT), OTLP_OUT, None).unwrap();
    assert_eq!(ds.files[0].format, Format::JaegerJson, "sniffed");
    assert_eq!(ds.files[0].skipped, 0);
    assert!(ds.files[0].warnings.is_empty(), "{:?}", ds.files[0].warnings);
    let ix = Index::build(ds);
    let t = "c620759e5d60fafb8ee0922b30e06bc6";
    assert_eq!(ix.traces().len(), 1);
    assert_eq!(ix.traces()[0].id, tid(t));
    assert_eq!(ix.span_count(), 4);
    assert_eq!(ix.link_count(), 0, "the 3 references are all parents");
    let main = span(&ix, t, "eff3153be6b1fb93");
    let info = span(&ix, t, "49b8e9efa1e8a3b1");
    assert_eq!(ix.traces()[0].root, main);
    assert_eq!(ix.parent(info), Some(main));
    for child in ["26f5ef9dbb885479", "e76628f4e6dde174"] {
        assert_eq!(ix.parent(span(&ix, t, child)), Some(info));
        assert_eq!(ix.depth(span(&ix, t, child)), 2);
    }
    for s in 0..4 {
        let s = SpanIdx(s);
        assert_eq!(ix.service(s), "example-trace");
        assert_eq!(ix.span(s).kind, SpanKind::Internal);
        assert_eq!(attr(&ix, s, "span.kind"), None, "span.kind is the kind, not an attribute");
    }
    // otel.library.* → scope.
    let scope = *ix.data.scope(ix.span(info).scope);
    assert_eq!(scope.name.map(|n| ix.str(n)), Some("widgets"));
    assert_eq!(scope.version.map(|n| ix.str(n)), Some("1.2.3"));
    assert_eq!(attr(&ix, info, "otel.library.name"), None);
    let ohboy = *ix.data.scope(ix.span(span(&ix, t, "26f5ef9dbb885479")).scope);
    assert_eq!(ohboy.name.map(|n| ix.str(n)), Some("ohboy"));
    assert_eq!(ohboy.version, None);
    // Process tags → resource.
    let lang = resource_attr(&ix, main, "telemetry.sdk.language").unwrap();
    assert_eq!(lang, Value::Str(ix.data.strings.get("nodejs").unwrap()));
    assert_eq!(ix.span(main).start, 1_711_138_246_940_000_000);
    assert_eq!(ix.span(main).duration(), 176_321_000);
}

// ---- anonymizer output: bare span array with embedded processes ----

#[test]
fn anonymizer_span_array_with_embedded_process() {
    let ds = parse(ANONYMIZER);
    assert_eq!(ds.files[0].skipped, 0);
    let ix = Index::build(ds);
    let t = "2be38093ead7a083";
    assert_eq!(ix.span_count(), 2);
    assert_eq!(ix.traces().len(), 1);
    let server = span(&ix, t, "7606ddfe69932d34");
    let client = span(&ix, t, "7bd66f09ba90ea3d");
    assert_eq!(ix.span(server).parent_id, sid("492770a15935810f"));
    assert!(ix.is_orphan(server), "its parent is not in the file");
    assert_eq!(ix.parent(client), Some(server));
    assert_eq!(ix.service(server), "16af988c443cff37");
    assert_eq!(ix.service(client), "3c220036602f839e");
    assert_ne!(ix.span(server).resource, ix.span(client).resource);
    assert_eq!(ix.span(server).kind, SpanKind::Server);
    assert_eq!(ix.span(client).kind, SpanKind::Client);
    // `"type": "bool", "value": "true"`: a string where a bool was declared.
    assert_eq!(ix.span(client).status, StatusCode::Error);
    assert_eq!(ix.span(server).status, StatusCode::Unset);
    assert_eq!(ix.span(client).w3c_flags, 1);
    assert_eq!(ix.link_count(), 0);
}

#[test]
fn embedded_form_missing_process_parent_span_id_and_shared_resource() {
    let ds = parse(EMBEDDED);
    assert_eq!(ds.files[0].skipped, 0);
    let warnings: Vec<String> = ds.files[0].warnings.iter().map(|w| w.message.clone()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("unknown_service"), "{warnings:?}");
    assert!(warnings[1].contains("parentSpanID \"zz\""), "{warnings:?}");
    assert_eq!(line_of(ds.files[0].warnings[0].at), 3);
    assert_eq!(line_of(ds.files[0].warnings[1].at), 5);
    let ix = Index::build(ds);
    let t = "5b8efff798038103d269b633813fc60c";
    let root = span(&ix, t, "eee19b7ec3c1b174");
    let lost = span(&ix, t, "eee19b7ec3c1b175");
    let same = span(&ix, t, "eee19b7ec3c1b176");
    let bad_parent = span(&ix, t, "eee19b7ec3c1b177");
    assert_eq!(ix.service(lost), "unknown_service");
    assert_eq!(ix.parent(lost), Some(root), "parentSpanID when there are no references");
    assert_eq!(ix.parent(same), Some(root));
    assert_eq!(ix.parent(root), None);
    assert_eq!(ix.span(bad_parent).parent_id, SpanId(0));
    assert_eq!(ix.parent(bad_parent), None);
    assert_eq!(ix.service(bad_parent), "worker");
    // Identical embedded processes in one trace share one resource.
    assert_eq!(ix.span(root).resource, ix.span(same).resource);
    assert_ne!(ix.span(root).resource, ix.span(bad_parent).resource);
    assert_eq!(resource_attr(&ix, same, "version"), Some(Value::Str(ix.data.strings.get("1.0").unwrap())));
    let w = attr(&ix, root, jaeger_json::WARNINGS_KEY).unwrap();
    assert_eq!(string_array(&ix, w), ["clock skew adjusted"]);
    assert_eq!(attr(&ix, lost, jaeger_json::WARNINGS_KEY), None);
}

// ---- synthetic: {"data": {…}} with bad spans ----

#[test]
fn data_object_skips_bad_spans_with_their_position_and_keeps_the_rest() {
    let ds = parse(DATA_OBJECT);
    let file = &ds.files[0];
    assert_eq!(ds.spans.len(), 5);
    assert_eq!(file.skipped, 2);
    let skips: Vec<_> = file.warnings.iter().filter(|w| w.skipped).collect();
    assert_eq!(skips.len(), 2);
    // The wrong-typed span: located at its `startTime` value.
    let (line, col) = position_of(DATA_OBJECT, "\"yesterday\"");
    let Location::Line { line: l, column: c } = skips[0].at else { panic!("{:?}", skips[0].at) };
    assert_eq!(l, line);
    assert!((col..=col + "\"yesterday\"".len()).contains(&c), "column {c}, value at {col}");
    assert!(skips[0].message.contains("invalid type: string \"yesterday\""), "{}", skips[0].message);
    // The bad id: located at the id.
    assert_eq!(skips[1].at, {
        let (line, column) = position_of(DATA_OBJECT, "\"xyz!\"");
        Location::Line { line, column }
    });
    assert!(skips[1].message.contains("bad spanID \"xyz!\""), "{}", skips[1].message);
    let names: Vec<&str> = ds.spans.iter().map(|s| ds.str(s.name)).collect();
    assert_eq!(names, ["checkout", "charge", "audit", "lost-process", "far-future"]);
}

#[test]
fn data_object_tags_status_scope_and_padded_ids() {
    let ix = index(DATA_OBJECT);
    let t = "8448eb211c80319c";
    let checkout = by_name(&ix, "checkout");
    let s = ix.span(checkout);
    assert_eq!(s.trace_id, tid(t), "a 32-char id with a zero high half equals its 16-char form");
    assert_eq!(s.kind, SpanKind::Server);
    assert_eq!(s.status, StatusCode::Error);
    assert_eq!(s.status_message.map(|m| ix.str(m)), Some("card declined"));
    assert_eq!(s.trace_state.map(|m| ix.str(m)), Some("rojo=00f067aa0ba902b7"));
    assert_eq!(s.w3c_flags, 1);
    let scope = *ix.data.scope(s.scope);
    assert_eq!(
        (scope.name.map(|n| ix.str(n)), scope.version.map(|n| ix.str(n))),
        (Some("io.shop"), Some("2.1"))
    );
    for consumed in
        ["span.kind", "otel.status_code", "otel.status_description", "otel.scope.name", "w3c.tracestate"]
    {
        assert_eq!(attr(&ix, checkout, consumed), None, "{consumed} should be consumed");
    }
    // Lenient typing: values that do not match their declared type keep their own type.
    assert_eq!(str_attr(&ix, checkout, "retries").as_deref(), Some("not a number"));
    assert_eq!(attr(&ix, checkout, "ratio"), Some(Value::Double(0.25)));
    assert_eq!(attr(&ix, checkout, "cached"), Some(Value::Bool(false)));
    assert_eq!(str_attr(&ix, checkout, "quoted").as_deref(), Some("say \"hi\"\tthere"));
    assert_eq!(str_attr(&ix, checkout, "huge").as_deref(), Some("18446744073709551615"), "exact digits kept");
    assert_eq!(attr(&ix, checkout, "untyped"), Some(Value::Int(7)));
    // A log with `message` and no `event`.
    let ev = ix.data.events_of(s.events);
    assert_eq!(ev.len(), 1);
    assert_eq!(ix.str(ev[0].name), "retrying");
    assert_eq!(ix.data.find_attr(ev[0].attrs, "attempt"), Some(Value::Int(2)));
    assert_eq!(ix.data.find_attr(ev[0].attrs, "message"), None);

    let charge = by_name(&ix, "charge");
    assert_eq!(ix.parent(charge), Some(checkout));
    assert_eq!(ix.service(charge), "payments");
    assert_eq!(resource_attr(&ix, charge, "pid"), Some(Value::Int(4242)));
}

#[test]
fn data_object_reference_rules_and_repairs() {
    let ds = parse(DATA_OBJECT);
    let warnings: Vec<&str> =
        ds.files[0].warnings.iter().filter(|w| !w.skipped).map(|w| w.message.as_str()).collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].contains("not-hex") && warnings[0].contains("dropped"), "{warnings:?}");
    assert!(warnings[1].contains("process \"p9\" not found"), "{warnings:?}");
    assert!(warnings[2].contains("overflow"), "{warnings:?}");
    let ix = Index::build(ds);
    // audit: CHILD_OF another trace, FOLLOWS_FROM charge (same trace), CHILD_OF with a bad id
    // (dropped). No usable same-trace CHILD_OF, so the FOLLOWS_FROM is the parent.
    let audit = by_name(&ix, "audit");
    assert_eq!(ix.parent(audit), Some(by_name(&ix, "charge")));
    let out: Vec<_> = ix.links_out(audit).collect();
    assert_eq!(out.len(), 1);
    assert_eq!(ix.link(out[0]).kind, LinkKind::ChildOf);
    assert_eq!(ix.link(out[0]).trace_id, tid("abcd"));
    assert_eq!(ix.link_target(out[0]), LinkTarget::Missing { trace: None });

    let lost = by_name(&ix, "lost-process");
    assert_eq!(ix.service(lost), "unknown_service");
    assert_eq!(ix.parent(lost), Some(by_name(&ix, "checkout")));

    let far = ix.span(by_name(&ix, "far-future"));
    assert_eq!((far.start, far.end), (u64::MAX, u64::MAX), "clamped, not wrapped");
    assert_eq!(far.flags & span_flags::CLAMPED_END, 0);
}

// ---- synthetic: bare array of traces, cross-trace link ----

#[test]
fn bare_array_of_traces_with_cross_trace_link() {
    let ds = parse(BARE_ARRAY);
    assert_eq!(ds.files[0].skipped, 0);
    let ix = Index::build(ds);
    assert_eq!(ix.traces().len(), 2);
    let produce = span(&ix, "1000000000000000000000000000000a", "a001");
    let consume = span(&ix, "2000000000000000000000000000000b", "b001");
    let store = span(&ix, "2000000000000000000000000000000b", "b002");
    assert_eq!(ix.service(produce), "producer-svc");
    assert_eq!(ix.service(consume), "consumer-svc");
    // consume's only reference is into another trace: a link, and consume is a root.
    assert_eq!(ix.parent(consume), None);
    assert!(!ix.is_orphan(consume));
    let out: Vec<_> = ix.links_out(consume).collect();
    assert_eq!(out.len(), 1);
    assert_eq!(ix.link(out[0]).kind, LinkKind::FollowsFrom);
    assert_eq!(ix.link_target(out[0]), LinkTarget::Span(produce));
    assert_eq!(ix.links_in(produce), &[out[0]]);
    let (ta, tb) = (ix.trace_of(produce), ix.trace_of(consume));
    let linked: Vec<_> = ix.linked_traces(tb).collect();
    assert_eq!(linked.len(), 1);
    assert_eq!((linked[0].other, linked[0].out, linked[0].r#in), (ta, 1, 0));
    // store: FOLLOWS_FROM then CHILD_OF to the same span: CHILD_OF wins the parent, the other is a link.
    assert_eq!(ix.parent(store), Some(consume));
    let out: Vec<_> = ix.links_out(store).collect();
    assert_eq!(out.len(), 1);
    assert_eq!(ix.link(out[0]).kind, LinkKind::FollowsFrom);
    assert_eq!(ix.link_target(out[0]), LinkTarget::Span(consume));
    // Trace warnings reach that trace's spans only.
    let w = attr(&ix, produce, jaeger_json::WARNINGS_KEY).unwrap();
    assert_eq!(string_array(&ix, w), ["trace A warning"]);
    assert_eq!(attr(&ix, consume, jaeger_json::WARNINGS_KEY), None);
    assert_eq!(ix.span(produce).kind, SpanKind::Producer);
    assert_eq!(ix.span(store).kind, SpanKind::Unspecified);
}

// ---- gentrace output ----

#[test]
fn gentrace_file_matches_the_generator_summary() {
    // Written by `gentrace.py --format jaeger --spans 120 --seed 5 --link-rate 0.15
    // --dangling-rate 0.1`, which reported: traces=2 links=191 dangling=11 errors=2 events=23.
    // Its parents are CHILD_OF references and its links FOLLOWS_FROM references.
    let name = "gentrace_seed5_120spans.json";
    let ds = load::load_bytes(read(name), name, None).unwrap();
    assert_eq!(ds.files[0].format, Format::JaegerJson);
    assert_eq!((ds.files[0].skipped, ds.files[0].warnings.len()), (0, 0));
    let ix = Index::build(ds);
    assert_eq!(ix.span_count(), 120);
    assert_eq!(ix.traces().len(), 2);
    assert_eq!(ix.link_count(), 191);
    assert!(ix.links().all(|l| ix.link(l).kind == LinkKind::FollowsFrom));
    assert_eq!(ix.unresolved_links().count(), 11);
    assert_eq!(ix.traces().iter().map(|t| t.errors).sum::<u32>(), 2);
    assert_eq!(ix.data.events.len(), 23);
    assert_eq!((0..120).map(SpanIdx).filter(|&s| ix.parent(s).is_none()).count(), 2, "one root per trace");
    // Every resolved link is seen from its target.
    let resolved = ix.links().filter(|&l| matches!(ix.link_target(l), LinkTarget::Span(_))).count();
    assert_eq!(resolved, 191 - 11);
    assert_eq!((0..120).map(|s| ix.links_in(SpanIdx(s)).len()).sum::<usize>(), resolved);
}

// ---- whole-file errors ----

#[test]
fn truncated_file_is_an_error_with_path_line_and_column() {
    let err = jaeger_json::parse(&read(TRUNCATED), "dir/synthetic_truncated.json").unwrap_err();
    let text = err.to_string();
    let lines = String::from_utf8(read(TRUNCATED)).unwrap().lines().count();
    assert!(text.starts_with(&format!("dir/synthetic_truncated.json:{lines}:")), "{text}");
    assert!(text.contains("EOF while parsing"), "{text}");
    assert_eq!(err.format, Some(Format::JaegerJson));
}

#[test]
fn unusable_documents_are_errors() {
    let cases: [(&[u8], &str); 5] = [
        (b" \n", "file is empty"),
        (b"{\"data\": 5}", "`data` must be"),
        (b"{\"total\": 0}", "expected a Jaeger trace"),
        (b"\"spans\"", "expected a JSON object or array"),
        (b"[{\"traceID\":\"1\"} {]", "expected"),
    ];
    for (input, expect) in cases {
        let err = jaeger_json::parse(input, "x.json").unwrap_err();
        assert!(err.to_string().starts_with("x.json"), "{err}");
        assert!(err.to_string().contains(expect), "{err} should contain {expect}");
    }
    let err = jaeger_json::parse(b"{\"data\":[]}\xff", "bad.json").unwrap_err();
    assert_eq!(err.to_string(), "bad.json:1:12: invalid UTF-8");
}

#[test]
fn odd_but_readable_envelopes_load() {
    // `data: null`, an empty array, a non-object trace and a trace whose spans are not an array.
    let ds = jaeger_json::parse(b"{\"data\": null}", "n.json").unwrap();
    assert_eq!((ds.spans.len(), ds.files[0].skipped), (0, 0));
    let ds = jaeger_json::parse(b"\xEF\xBB\xBF[]", "e.json").unwrap();
    assert_eq!(ds.spans.len(), 0);
    let input = br#"{"data": [7, {"traceID": "1", "spans": {"x": 1}},
        {"traceID": "1", "spans": [{"traceID": "1", "spanID": "2", "operationName": "ok", "startTime": 1, "duration": 1}],
         "processes": 5}]}"#;
    let ds = jaeger_json::parse(input, "odd.json").unwrap();
    assert_eq!(ds.spans.len(), 1);
    assert_eq!(ds.files[0].skipped, 2);
    let msgs: Vec<&str> = ds.files[0].warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(msgs[0].starts_with("data[0]:"), "{msgs:?}");
    assert!(msgs[1].contains("data[1]") && msgs[1].contains("not an array"), "{msgs:?}");
    assert!(msgs[2].contains("processes ignored"), "{msgs:?}");
    assert_eq!(ds.str(ds.spans[0].service), "unknown_service");
    assert_eq!((ds.spans[0].start, ds.spans[0].end), (1000, 2000));
}

// ---- hostile input: mutated fixtures ----

const FIXTURES: [&str; 6] = [UI_01, OTLP_OUT, ANONYMIZER, DATA_OBJECT, EMBEDDED, BARE_ARRAY];

/// The errors about a document's shape, which have no position.
const WHOLE_FILE_ERRORS: &[&str] =
    &["file is empty", "`data` must be", "expected a Jaeger trace", "expected a JSON object or array"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn mutated_fixtures_are_an_error_or_a_sound_dataset(which in 0..FIXTURES.len(), m in mutation()) {
        let bytes = m.apply(read(FIXTURES[which]));
        check_parse(jaeger_json::parse(&bytes, "m.json"), WHOLE_FILE_ERRORS)?;
    }
}

// ---- storage documents (Elasticsearch / OpenSearch) ----

/// Jaeger's own expected ES document (`es_01.json`, copied from its test fixtures): one span,
/// `process` embedded, `startTimeMillis` beside `startTime`; sniffed and loaded whole.
#[test]
fn a_single_storage_document_loads_as_a_span() {
    let ds =
        load::load_bytes(read("jaeger_es_01.json"), "es_01.json", None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ds.files[0].format, Format::JaegerJson);
    assert!(ds.files[0].warnings.is_empty(), "{:?}", ds.files[0].warnings);
    let ix = Index::build(ds);
    let s = span(&ix, "00000000000000010000000000000000", "0000000000000002");
    assert_eq!(ix.name(s), "test-general-conversion");
    assert_eq!(ix.service(s), "service-x");
    assert_eq!(
        resource_attr(&ix, s, "sdk.version").map(|v| ix.str(v_str(v)).to_owned()).as_deref(),
        Some("1.2.1")
    );
    assert_eq!(ix.span(s).parent_id, sid("0000000000000003"));
    assert_eq!(ix.span(s).start, 1_485_467_191_639_875_000);
    assert_eq!(ix.span(s).status, StatusCode::Error);
    assert_eq!(attr(&ix, s, "temperature"), Some(Value::Double(72.5)));
    let kinds: Vec<LinkKind> = ix.links_out(s).map(|l| ix.link(l).kind).collect();
    assert_eq!(kinds, [LinkKind::FollowsFrom, LinkKind::ChildOf], "the other references are links");
    assert_eq!(ix.data.events_of(ix.span(s).events).len(), 2);
}

fn v_str(v: Value) -> weft::model::Sym {
    match v {
        Value::Str(s) => s,
        other => panic!("not a string: {other:?}"),
    }
}

/// The three spans of one trace as storage documents: the elevated `tag` maps (`@` for `.`)
/// become typed attributes and span fields, `process.tag` resource attributes.
fn assert_storage_trace(ix: &Index, what: &str) {
    let t = "4bf92f3577b34da6a3ce929d0e0e4736";
    assert_eq!(ix.span_count(), 3, "{what}");
    let root = span(ix, t, "00f067aa0ba902b7");
    let child = span(ix, t, "53995c3f42cd8ad8");
    let later = span(ix, t, "7ae1d7c8c1c2a9b3");
    assert_eq!(ix.parent(child), Some(root), "{what}");
    assert_eq!(ix.parent(later), Some(child), "{what}: FOLLOWS_FROM alone is the parent");
    assert_eq!(ix.span(root).kind, SpanKind::Server);
    assert_eq!(str_attr(ix, root, "http.method").as_deref(), Some("GET"), "{what}");
    assert_eq!(attr(ix, root, "http.status_code"), Some(Value::Int(200)), "{what}");
    assert_eq!(attr(ix, root, "sampler.param"), Some(Value::Bool(true)), "{what}");
    assert_eq!(attr(ix, child, "db.rows"), Some(Value::Int(7)), "{what}: int64 given as text");
    assert_eq!(ix.service(child), "cart-db");
    let pod = resource_attr(ix, child, "k8s.pod.name").map(|v| ix.str(v_str(v)).to_owned());
    assert_eq!(pod.as_deref(), Some("cart-db-0"), "{what}");
    assert_eq!(ix.span(root).start, 1_700_000_000_000_000_000);
}

#[test]
fn an_elasticsearch_search_response_loads_its_hits() {
    let name = "synthetic_es_search_response.json";
    let ds = load::load_bytes(read(name), name, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ds.files[0].format, Format::JaegerJson);
    assert_eq!(ds.files[0].skipped, 0, "the service document among the hits is not a span");
    assert!(ds.files[0].warnings.is_empty(), "{:?}", ds.files[0].warnings);
    assert_storage_trace(&Index::build(ds), "search response");
}

#[test]
fn an_ndjson_dump_of_hits_bulk_pairs_and_bare_documents_loads() {
    let name = "synthetic_es_dump.ndjson";
    let ds = load::load_bytes(read(name), name, None).unwrap_or_else(|e| panic!("{e}"));
    let file = &ds.files[0];
    assert_eq!(file.format, Format::JaegerJson);
    // The cut line is skipped with its place; the bulk action and the service document are not spans.
    assert_eq!(file.skipped, 1, "{:?}", file.warnings);
    assert!(file.warnings[0].message.starts_with("line skipped:"), "{:?}", file.warnings[0]);
    assert!(matches!(file.warnings[0].at, Location::Line { .. }));
    assert_storage_trace(&Index::build(ds), "dump");
}
