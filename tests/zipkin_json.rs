//! Zipkin v2 loader, through `load::zipkin_json::parse` (and `load::load_bytes` for sniffing) and
//! `Index::build`: the six zipkin fixtures (shared client/server pairs, clock skew, 128-bit ids,
//! a single span object) plus synthetic files for link tags, bad spans and truncation.

use proptest::prelude::*;

mod common {
    pub mod mutation;
}
use common::mutation::{check_parse, mutation};
use weft::index::{Index, LinkTarget, SpanIdx, index_flags};
use weft::load::{self, zipkin_json};
use weft::model::{
    Dataset, Format, LinkKind, Location, SpanId, SpanKind, StatusCode, TraceId, Value, span_flags,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zipkin-v2");
const YELP: &str = "zipkin-lens_yelp.json";
const SKEW: &str = "zipkin-lens_skew.json";
const MESSAGING: &str = "zipkin-lens_messaging.json";
const KAFKA: &str = "zipkin-lens_messaging-kafka.json";
const SMARTTHINGS: &str = "zipkin-lens_smartthings-oauth-authorization.json";
const CLIENT: &str = "zipkin_benchmarks_zipkin2-client.json";
const LINKS: &str = "synthetic_links.json";
const BAD: &str = "synthetic_bad_spans.json";
const TRUNCATED: &str = "synthetic_truncated.json";
const FRAGMENTS: &str = "synthetic_fragments.json";
const MIXED_IDS: &str = "synthetic_mixed_trace_ids.json";

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap()
}

fn parse(name: &str) -> Dataset {
    zipkin_json::parse(&read(name), name).unwrap()
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

fn all(ix: &Index) -> impl Iterator<Item = SpanIdx> + '_ {
    (0..ix.span_count() as u32).map(SpanIdx)
}

/// Every span with this id (both halves of a shared pair).
fn with_id(ix: &Index, id: &str) -> Vec<SpanIdx> {
    all(ix).filter(|&s| ix.span(s).span_id == sid(id)).collect()
}

/// The one span with this id and the SHARED flag set (or not).
fn half(ix: &Index, id: &str, shared: bool) -> SpanIdx {
    let v: Vec<SpanIdx> =
        with_id(ix, id).into_iter().filter(|&s| ix.span(s).has_flag(span_flags::SHARED) == shared).collect();
    assert_eq!(v.len(), 1, "{id} shared={shared}");
    v[0]
}

fn by_name(ix: &Index, name: &str) -> SpanIdx {
    let v: Vec<SpanIdx> = all(ix).filter(|&s| ix.name(s) == name).collect();
    assert_eq!(v.len(), 1, "expected one span named {name}");
    v[0]
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

/// Line and 1-based column of the first occurrence of `needle` in the file.
fn position_of(name: &str, needle: &str) -> (usize, usize) {
    let text = String::from_utf8(read(name)).unwrap();
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle} not in {name}"));
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

/// Checks the index nests the shared (server) half of each pair under its client twin, and that
/// the spans whose parent id is the pair's id hang under the server half. Only ids held by exactly
/// one client and one shared server count as pairs. Returns the number of pairs.
fn assert_shared_pairs_nested(ix: &Index) -> usize {
    let mut pairs = 0;
    for server in all(ix).filter(|&s| ix.span(s).has_flag(span_flags::SHARED)) {
        let (trace, id) = (ix.span(server).trace_id, ix.span(server).span_id);
        let same: Vec<SpanIdx> =
            all(ix).filter(|&s| ix.span(s).trace_id == trace && ix.span(s).span_id == id).collect();
        let [a, b] = same[..] else { continue };
        let client = if a == server { b } else { a };
        assert!(!ix.span(client).has_flag(span_flags::SHARED));
        pairs += 1;
        assert_eq!(ix.parent(server), Some(client), "server half of {id:?} under its client");
        assert_eq!(ix.find_span(trace, id), Some(server), "the id resolves to the server half");
        assert_eq!(ix.depth(server), ix.depth(client) + 1);
        let children = all(ix).filter(|&s| {
            let sp = ix.span(s);
            // A shared span with its own twin hangs under that twin instead.
            let twinned = sp.has_flag(span_flags::SHARED)
                && ix.parent(s).is_some_and(|p| ix.span(p).span_id == sp.span_id);
            sp.trace_id == trace && sp.parent_id == id && sp.span_id != id && !twinned
        });
        for child in children {
            assert_eq!(ix.parent(child), Some(server), "{:?} under the server half", ix.span(child).span_id);
        }
    }
    pairs
}

// ---- yelp.json: shared client/server pairs ----

#[test]
fn yelp_keeps_both_halves_and_nests_client_server_children() {
    let ds = load::load_bytes(read(YELP), YELP, None).unwrap();
    assert_eq!(ds.files[0].format, Format::ZipkinJson, "sniffed");
    assert_eq!(ds.files[0].skipped, 0);
    assert!(ds.files[0].warnings.is_empty(), "{:?}", ds.files[0].warnings);
    assert_eq!(ds.spans.len(), 16);
    let ix = Index::build(ds);
    let t = "a03ee8fff1dcd9b9";
    assert_eq!(ix.traces().len(), 1);
    assert_eq!(ix.traces()[0].id, tid(t));
    assert_eq!(all(&ix).filter(|&s| ix.span(s).has_flag(span_flags::SHARED)).count(), 4);
    assert_eq!(assert_shared_pairs_nested(&ix), 3);

    // The root is a shared SERVER span without a client twin in the file.
    let root = half(&ix, "2e8cfb154b59a41f", true);
    assert_eq!(ix.traces()[0].root, root);
    assert_eq!(ix.parent(root), None);
    assert_eq!(ix.service(root), "routing");
    // client (yelp-main, child of root) → server (mobile_api) → mobile_api's own client calls.
    let client = half(&ix, "f5f268651b2a2b34", false);
    let server = half(&ix, "f5f268651b2a2b34", true);
    assert_eq!(ix.parent(client), Some(root));
    assert_eq!(ix.parent(server), Some(client));
    assert_eq!((ix.service(client), ix.service(server)), ("yelp-main", "mobile_api"));
    assert_eq!((ix.span(client).kind, ix.span(server).kind), (SpanKind::Client, SpanKind::Server));
    let post = ix.find_span(tid(t), sid("15fc03927f0f68df")).unwrap();
    assert_eq!(ix.name(post), "post");
    assert_eq!(ix.parent(post), Some(server));
    assert_eq!(ix.depth(post), 3);
    // post, get (client; its server half hangs under it), set and get_multi.
    assert_eq!(ix.children(server).len(), 4);
    // The span without `kind` is internal.
    let txn = by_name(&ix, "txn: user_get_basic_and_scout_info");
    assert_eq!(ix.span(txn).kind, SpanKind::Internal);
    assert_eq!(ix.parent(txn), Some(half(&ix, "668ed78ad94b35a1", true)));
    // Endpoints → attributes; tags are strings.
    assert_eq!(str_attr(&ix, post, "peer.service").as_deref(), Some("blt"));
    assert_eq!(attr(&ix, post, "net.peer.port"), Some(Value::Int(31882)));
    assert_eq!(str_attr(&ix, post, "request_budget").as_deref(), Some("9980"));
    let api_proxy = half(&ix, "668ed78ad94b35a1", true);
    assert_eq!(ix.data.events_of(ix.span(api_proxy).events).len(), 1);
    let services: std::collections::BTreeSet<&str> = all(&ix).map(|s| ix.service(s)).collect();
    assert_eq!(
        services.into_iter().collect::<Vec<_>>(),
        ["mobile_api", "routing", "spectre", "unknown", "yelp-main", "yelp_main/api_proxy"]
    );
}

// ---- skew.json: shared pair listed server first, child before parent ----

#[test]
fn skew_nests_child_under_server_half() {
    let ix = index(SKEW);
    assert_eq!(ix.span_count(), 4);
    let root = by_name(&ix, "get");
    let client = half(&ix, "74280ae0c10d8062", false);
    let server = half(&ix, "74280ae0c10d8062", true);
    let child = by_name(&ix, "async");
    assert_eq!(ix.parent(root), None);
    assert_eq!(ix.parent(client), Some(root));
    assert_eq!(ix.parent(server), Some(client));
    assert_eq!(ix.parent(child), Some(server));
    assert_eq!(ix.trace_spans(ix.trace_of(root)), &[root, client, server, child]);
    assert_eq!(assert_shared_pairs_nested(&ix), 1);
    assert_eq!((ix.service(server), ix.service(client)), ("serviceb", "servicea"));
    assert_eq!(str_attr(&ix, server, "net.host.ip").as_deref(), Some("192.0.0.0"));
    // Clock skew is kept as written: the child starts before its parent.
    assert!(ix.span(child).start < ix.span(root).start);
    assert_eq!(ix.span(child).start, 1_470_150_004_008_762_000);
    assert_eq!(ix.span(child).duration(), 65_000_000);
}

// ---- messaging.json: 128-bit trace id ----

#[test]
fn messaging_128_bit_trace_is_connected() {
    let ix = index(MESSAGING);
    let t = "5aab74dbb904746bb33447baae403ed6";
    assert_eq!(ix.traces().len(), 1);
    assert_eq!(ix.traces()[0].id, tid(t));
    assert_eq!(ix.traces()[0].id.0 >> 64, 0x5aab74dbb904746b, "high half kept");
    let get = ix.find_span(tid(t), sid("b33447baae403ed6")).unwrap();
    let publish = by_name(&ix, "publish");
    let next = by_name(&ix, "next-message");
    let on_message = by_name(&ix, "on-message");
    assert_eq!(ix.traces()[0].root, get);
    assert_eq!(ix.parent(publish), Some(get));
    assert_eq!(ix.parent(next), Some(publish));
    assert_eq!(ix.parent(on_message), Some(next));
    assert!(all(&ix).all(|s| !ix.is_orphan(s)));
    let kinds: Vec<SpanKind> = [get, publish, next, on_message].iter().map(|&s| ix.span(s).kind).collect();
    assert_eq!(kinds, [SpanKind::Server, SpanKind::Producer, SpanKind::Consumer, SpanKind::Internal]);
    assert_eq!(str_attr(&ix, publish, "peer.service").as_deref(), Some("rabbitmq"));
    assert_eq!(str_attr(&ix, get, "net.peer.ip").as_deref(), Some("::1"));
    assert_eq!(attr(&ix, get, "net.peer.port"), Some(Value::Int(54602)));
    assert_eq!(str_attr(&ix, get, "net.host.ip").as_deref(), Some("192.168.0.10"));
    assert_eq!(str_attr(&ix, next, "rabbit.exchange").as_deref(), Some(""));
    assert_eq!(ix.service(get), "frontend");
    assert_eq!(ix.service(next), "backend");
    assert_eq!(ix.data.find_attr(ix.data.resource(ix.span(next).resource).attrs, "service.name"), {
        Some(Value::Str(ix.data.strings.get("backend").unwrap()))
    });
    assert_eq!(ix.span(get).resource, ix.span(publish).resource, "one resource per service");
}

// ---- messaging-kafka.json and smartthings ----

#[test]
fn kafka_fan_out_kinds_and_error_tags() {
    let ix = index(KAFKA);
    assert_eq!(ix.span_count(), 28);
    assert_eq!(ix.traces().len(), 1);
    let count = |k: SpanKind| all(&ix).filter(|&s| ix.span(s).kind == k).count();
    assert_eq!(
        (
            count(SpanKind::Producer),
            count(SpanKind::Consumer),
            count(SpanKind::Internal),
            count(SpanKind::Server)
        ),
        (9, 7, 12, 0)
    );
    assert_eq!(ix.traces()[0].root, ix.find_span(tid("0562809467078eab"), sid("0562809467078eab")).unwrap());
    // `error` is the status; its value the message (none when empty); it is not kept as a tag.
    let errors: Vec<SpanIdx> = all(&ix).filter(|&s| ix.span(s).is_error()).collect();
    assert_eq!(errors.len(), 3);
    let e = ix.find_span(ix.traces()[0].id, sid("2f77d5b0b8e0de35")).unwrap();
    assert_eq!(ix.span(e).status_message.map(|m| ix.str(m)), Some("some error"));
    let quiet = ix.find_span(ix.traces()[0].id, sid("568b33e6af8a225a")).unwrap();
    assert_eq!(ix.span(quiet).status, StatusCode::Error);
    assert_eq!(ix.span(quiet).status_message, None);
    assert!(errors.iter().all(|&s| attr(&ix, s, "error").is_none()));
    assert_eq!(ix.traces()[0].errors, 3);
}

#[test]
fn smartthings_real_world_trace() {
    let ds = parse(SMARTTHINGS);
    assert_eq!(ds.files[0].skipped, 0);
    let ix = Index::build(ds);
    assert_eq!(ix.span_count(), 175);
    assert_eq!(ix.traces().len(), 1);
    assert_eq!(all(&ix).filter(|&s| ix.span(s).has_flag(span_flags::SHARED)).count(), 45);
    assert_eq!(assert_shared_pairs_nested(&ix), 40);
    assert_eq!(all(&ix).map(|s| ix.span(s).events.len as usize).sum::<usize>(), 9);
    assert_eq!(ix.traces()[0].root, half(&ix, "8ce82b2e9ed820ba", false));
    assert_eq!(ix.trace_spans(ix.trace_of(SpanIdx(0))).len(), 175, "every span reached from a root");
    assert_eq!(ix.traces()[0].errors, 2);
    // One id is shared by a CLIENT and five SERVER halves (a fan-out). All six are kept and every
    // server half nests under the client; none is a duplicate.
    let six = with_id(&ix, "9d2d35b746db84f3");
    assert_eq!(six.len(), 6);
    let client = half(&ix, "9d2d35b746db84f3", false);
    assert_eq!(ix.service(client), "bouncer");
    for &server in six.iter().filter(|&&s| s != client) {
        assert_eq!(ix.parent(server), Some(client));
    }
    assert_eq!(six.iter().filter(|&&s| ix.index_flags(s) & index_flags::DUPLICATE_ID != 0).count(), 0);
}

// ---- zipkin2-client.json: a single span object ----

#[test]
fn single_span_object_with_endpoints_and_annotations() {
    let ix = index(CLIENT);
    assert_eq!(ix.span_count(), 1);
    let s = SpanIdx(0);
    let span = ix.span(s);
    assert_eq!(span.trace_id, tid("4d1e00c0db9010db86154a4ba6e91385"));
    assert_eq!(span.span_id, sid("4d1e00c0db9010db"));
    assert_eq!(span.parent_id, sid("86154a4ba6e91385"));
    assert!(ix.is_orphan(s));
    assert_eq!(span.kind, SpanKind::Client);
    assert_eq!(ix.name(s), "get");
    assert_eq!(ix.service(s), "frontend");
    assert_eq!((span.start, span.end), (1_472_470_996_199_000_000, 1_472_470_996_406_000_000));
    assert_eq!(str_attr(&ix, s, "net.host.ip").as_deref(), Some("2001:db8::c001"));
    assert_eq!(str_attr(&ix, s, "peer.service").as_deref(), Some("backend"));
    assert_eq!(str_attr(&ix, s, "net.peer.ip").as_deref(), Some("192.168.99.101"));
    assert_eq!(attr(&ix, s, "net.peer.port"), Some(Value::Int(9000)));
    assert_eq!(attr(&ix, s, "net.host.port"), None);
    assert_eq!(str_attr(&ix, s, "clnt/finagle.version").as_deref(), Some("6.45.0"));
    let events = ix.data.events_of(span.events);
    let ev: Vec<(&str, u64)> = events.iter().map(|e| (ix.str(e.name), e.time)).collect();
    assert_eq!(ev, [("foo", 1_472_470_996_238_000_000), ("bar", 1_472_470_996_403_000_000)]);
}

// ---- synthetic: links as tags, list of traces ----

#[test]
fn link_tags_become_links_checked_from_both_ends() {
    let ds = parse(LINKS);
    let warnings: Vec<&str> = ds.files[0].warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("otlp.link.2"), "{warnings:?}");
    assert_eq!(ds.files[0].warnings[0].at, {
        let (line, column) = position_of(LINKS, "\"otlp.link.2\"");
        Location::Line { line, column }
    });
    let ix = Index::build(ds);
    assert_eq!(ix.traces().len(), 2);
    let consumer = by_name(&ix, "batch-consume");
    let producer = by_name(&ix, "publish");
    let out: Vec<_> = ix.links_out(consumer).collect();
    assert_eq!(out.len(), 3);
    // otlp.link.0, otlp.link.1 (in index order, whatever the tag order), then link.0.
    let l0 = ix.link(out[0]);
    assert_eq!((l0.trace_id, l0.span_id), (tid("5b8efff798038103d269b633813fc60c"), sid("eee19b7ec3c1b173")));
    assert_eq!(l0.trace_state, None);
    assert!(l0.attrs.is_empty());
    assert_eq!(ix.link_target(out[0]), LinkTarget::Missing { trace: Some(ix.trace_of(producer)) });
    let l1 = *ix.link(out[1]);
    assert_eq!(l1.span_id, sid("eee19b7ec3c1b174"));
    assert_eq!(l1.kind, LinkKind::Link);
    assert_eq!(l1.trace_state.map(|t| ix.str(t)), Some("rojo=00f067aa0ba902b7"));
    let note = ix.data.find_attr(l1.attrs, "note");
    assert_eq!(note, Some(Value::Str(ix.data.strings.get("a|b").unwrap())), "`|` inside the JSON");
    assert_eq!(ix.data.find_attr(l1.attrs, "n"), Some(Value::Int(3)));
    assert_eq!(ix.data.find_attr(l1.attrs, "ratio"), Some(Value::Double(1.5)));
    assert_eq!(ix.data.find_attr(l1.attrs, "ok"), Some(Value::Bool(true)));
    assert_eq!(ix.link_target(out[1]), LinkTarget::Span(producer));
    let l2 = ix.link(out[2]);
    assert_eq!((l2.span_id, l2.kind), (sid("eee19b7ec3c1b174"), LinkKind::Link));
    assert_eq!(ix.link_target(out[2]), LinkTarget::Span(producer));
    assert_eq!(ix.links_in(producer), &[out[1], out[2]]);
    assert_eq!(ix.link_source(out[2]), consumer);
    assert_eq!(ix.unresolved_links().collect::<Vec<_>>(), [out[0]]);
    // Consumed tags are gone; the malformed one and the non-link `link.x` stay.
    for gone in ["otlp.link.0", "otlp.link.1", "link.0"] {
        assert_eq!(attr(&ix, consumer, gone), None, "{gone}");
    }
    assert_eq!(str_attr(&ix, consumer, "otlp.link.2").as_deref(), Some("not a link"));
    assert_eq!(str_attr(&ix, consumer, "link.x").as_deref(), Some("hello"));
    assert_eq!(str_attr(&ix, consumer, "net.host.ip").as_deref(), Some("10.0.0.5"));
    assert_eq!(attr(&ix, consumer, "net.host.port"), Some(Value::Int(8080)));
    assert_eq!(str_attr(&ix, producer, "net.peer.ip").as_deref(), Some("2001:db8::1"));
    let linked: Vec<_> = ix.linked_traces(ix.trace_of(consumer)).collect();
    assert_eq!(linked.len(), 1);
    assert_eq!((linked[0].other, linked[0].out, linked[0].r#in), (ix.trace_of(producer), 3, 0));
}

#[test]
fn gentrace_link_tags_round_trip() {
    // gentrace's zipkin writer with --zipkin-link-tags: `link.N` = `<traceId>-<spanId>`.
    let input = br#"[
      {"traceId":"00000000000000010000000000000002","id":"00000000000000a1","name":"a","timestamp":1,"duration":1,
       "localEndpoint":{"serviceName":"s"},"tags":{"link.1":"00000000000000030000000000000004-00000000000000b2","link.0":"00000000000000030000000000000004-00000000000000b1"}},
      {"traceId":"00000000000000030000000000000004","id":"00000000000000b1","name":"b","timestamp":2,"duration":1,"localEndpoint":{"serviceName":"s"},"tags":{}}
    ]"#;
    let ix = Index::build(zipkin_json::parse(input, "g.json").unwrap());
    let a = by_name(&ix, "a");
    let b = by_name(&ix, "b");
    let out: Vec<_> = ix.links_out(a).collect();
    assert_eq!(out.len(), 2);
    assert_eq!(ix.link(out[0]).span_id, sid("b1"));
    assert_eq!(ix.link(out[0]).trace_id, TraceId::from_halves(3, 4));
    assert_eq!(ix.link_target(out[0]), LinkTarget::Span(b));
    assert_eq!(ix.link_target(out[1]), LinkTarget::Missing { trace: Some(ix.trace_of(b)) });
    assert_eq!(ix.links_in(b), &[out[0]]);
    assert!(ix.data.attrs_of(ix.span(a).attrs).is_empty());
}

#[test]
fn error_tag_values() {
    let input = br#"[
      {"traceId":"1","id":"1","name":"t","tags":{"error":"true","otel.status_description":"why"}},
      {"traceId":"1","id":"2","name":"f","tags":{"error":"false"}},
      {"traceId":"1","id":"3","name":"ok","tags":{"otel.status_code":"OK"}},
      {"traceId":"1","id":"4","name":"n","tags":{"otel.status_code":"ERROR"}}
    ]"#;
    let ds = zipkin_json::parse(input, "e.json").unwrap();
    let got: Vec<(StatusCode, Option<&str>)> =
        ds.spans.iter().map(|s| (s.status, s.status_message.map(|m| ds.str(m)))).collect();
    assert_eq!(
        got,
        [
            (StatusCode::Error, Some("why")),
            // Zipkin: the tag's presence is the error, whatever its value.
            (StatusCode::Error, Some("false")),
            (StatusCode::Ok, None),
            (StatusCode::Error, None),
        ]
    );
}

#[test]
fn gentrace_file_matches_the_generator_summary() {
    // Written by `gentrace.py --format zipkin --zipkin-link-tags --spans 120 --seed 5
    // --link-rate 0.15 --dangling-rate 0.1`, which reported: traces=2 links=191 dangling=11
    // errors=2 events=23.
    let name = "gentrace_seed5_120spans.json";
    let ds = load::load_bytes(read(name), name, None).unwrap();
    assert_eq!(ds.files[0].format, Format::ZipkinJson);
    assert_eq!((ds.files[0].skipped, ds.files[0].warnings.len()), (0, 0));
    let ix = Index::build(ds);
    assert_eq!(ix.span_count(), 120);
    assert_eq!(ix.traces().len(), 2);
    assert_eq!(ix.link_count(), 191);
    assert_eq!(ix.unresolved_links().count(), 11);
    assert_eq!(ix.traces().iter().map(|t| t.errors).sum::<u32>(), 2);
    assert_eq!(ix.data.events.len(), 23);
    let resolved = ix.links().filter(|&l| matches!(ix.link_target(l), LinkTarget::Span(_))).count();
    assert_eq!(resolved, 180);
    assert_eq!(all(&ix).map(|s| ix.links_in(s).len()).sum::<usize>(), resolved);
    // The link tags were consumed.
    let link_keys = ix.data.all_attrs().filter(|a| ix.str(a.key).starts_with("link.")).count();
    assert_eq!(link_keys, 0);
}

// ---- synthetic: bad spans ----

#[test]
fn bad_spans_are_skipped_with_position_and_good_ones_load() {
    let ds = parse(BAD);
    let file = &ds.files[0];
    assert_eq!(ds.spans.len(), 3);
    assert_eq!(file.skipped, 4);
    let skips: Vec<_> = file.warnings.iter().filter(|w| w.skipped).collect();
    // Wrong type: at the value.
    let (line, col) = position_of(BAD, "\"soon\"");
    let Location::Line { line: l, column: c } = skips[0].at else { panic!("{:?}", skips[0].at) };
    assert_eq!(l, line);
    assert!((col..=col + "\"soon\"".len()).contains(&c), "column {c}, value at {col}");
    assert!(skips[0].message.contains("invalid type: string \"soon\""), "{}", skips[0].message);
    // Bad id: at the id string.
    let (line, column) = position_of(BAD, "\"xyz\"");
    assert_eq!(skips[1].at, Location::Line { line, column });
    assert!(skips[1].message.contains("bad id \"xyz\""), "{}", skips[1].message);
    assert!(skips[2].message.contains("missing traceId"), "{}", skips[2].message);
    assert_eq!(skips[2].at, Location::Line { line: 6, column: 1 });
    assert!(skips[3].message.contains("id is zero"), "{}", skips[3].message);
    // Bad parent id: kept as a root, with a warning at the parent id.
    let warns: Vec<_> = file.warnings.iter().filter(|w| !w.skipped).collect();
    assert_eq!(warns.len(), 1);
    assert!(warns[0].message.contains("parentId \"nothex!\""), "{}", warns[0].message);
    let (line, column) = position_of(BAD, "\"nothex!\"");
    assert_eq!(warns[0].at, Location::Line { line, column });

    let ix = Index::build(ds);
    let first = by_name(&ix, "good-first");
    let bad_parent = by_name(&ix, "bad-parent");
    let last = by_name(&ix, "good-last");
    // Upper-case hex ids are read as the same ids.
    assert_eq!(ix.span(first).trace_id, tid("a03ee8fff1dcd9b9"));
    assert_eq!(ix.span(first).span_id, sid("15fc03927f0f68df"));
    assert_eq!(ix.parent(last), Some(first));
    assert_eq!(ix.parent(bad_parent), None);
    assert!(!ix.is_orphan(bad_parent));
    // `error` = "boom": error status with that message.
    assert_eq!(ix.span(first).status, StatusCode::Error);
    assert_eq!(ix.span(first).status_message.map(|m| ix.str(m)), Some("boom"));
    assert_eq!(str_attr(&ix, first, "http.status_code").as_deref(), Some("500"));
    // Annotations: `name|json|dropped` is split; any other value is the name.
    let ev = ix.data.events_of(ix.span(first).events);
    assert_eq!(ev.len(), 2);
    assert_eq!(ix.str(ev[0].name), "retry");
    assert_eq!(ix.data.find_attr(ev[0].attrs, "attempt"), Some(Value::Int(2)));
    assert_eq!(
        ix.data.find_attr(ev[0].attrs, "why"),
        Some(Value::Str(ix.data.strings.get("timeout").unwrap()))
    );
    assert_eq!(ix.str(ev[1].name), "plain|text");
    assert!(ev[1].attrs.is_empty());
    // No timestamp, no endpoint, kind only as a tag; otel.status_* as status. Untimed: drawn at
    // its parent's start, with its (absent) duration.
    let l = ix.span(last);
    assert!(l.has_flag(span_flags::UNTIMED));
    assert_eq!((l.start, l.end), (ix.span(first).start, ix.span(first).start));
    assert_eq!(ix.service(last), "unknown_service");
    assert_eq!(l.kind, SpanKind::Client);
    assert_eq!(l.status, StatusCode::Error);
    assert_eq!(l.status_message.map(|m| ix.str(m)), Some("quota"));
    assert!(ix.data.attrs_of(l.attrs).is_empty(), "all of its tags were consumed");
    assert_eq!(ix.span(bad_parent).kind, SpanKind::Internal);
}

// ---- pieces of one span, untimed spans, mixed 64/128-bit trace ids (Zipkin's Trace.merge) ----

#[test]
fn untimed_spans_do_not_stretch_the_trace_to_1970() {
    let ix = index(FRAGMENTS);
    assert_eq!(ix.traces().len(), 1);
    let trace = &ix.traces()[0];
    // The root's 50 ms, not 1970 → 2023.
    assert_eq!(trace.start, 1_700_000_000_000_000_000);
    assert_eq!(trace.end, 1_700_000_000_050_000_000);
    // The span without timestamp keeps its 2 ms, drawn from its parent's start.
    let cache = by_name(&ix, "cache lookup");
    let c = ix.span(cache);
    assert!(c.has_flag(span_flags::UNTIMED));
    assert_eq!(ix.parent(cache), Some(half(&ix, "0000000000000002", true)));
    assert_eq!(c.start, ix.span(half(&ix, "0000000000000002", true)).start);
    assert_eq!(c.duration(), 2_000_000);
    assert!(!ix.span(by_name(&ix, "get /")).has_flag(span_flags::UNTIMED));
}

#[test]
fn kindless_fragments_merge_into_their_half_as_zipkin_does() {
    let ds = parse(FRAGMENTS);
    assert!(ds.files[0].warnings.is_empty(), "{:?}", ds.files[0].warnings);
    // 8 records: two fragments merged into their halves.
    assert_eq!(ds.spans.len(), 6);
    let ix = Index::build(ds);
    let id = "0000000000000002";
    assert_eq!(with_id(&ix, id).len(), 2, "one client half and one server half");
    let client = half(&ix, id, false);
    let server = half(&ix, id, true);
    assert_eq!(ix.parent(server), Some(client));
    for s in [client, server] {
        assert_eq!(ix.index_flags(s) & index_flags::DUPLICATE_ID, 0);
    }
    // The client piece (same endpoint, unshared) brought its tag and late annotation.
    assert_eq!(ix.span(client).kind, SpanKind::Client);
    assert_eq!(ix.span(client).start, 1_700_000_000_010_000_000);
    assert_eq!(str_attr(&ix, client, "http.status_code").as_deref(), Some("200"));
    let events: Vec<&str> =
        ix.data.events_of(ix.span(client).events).iter().map(|e| ix.str(e.name)).collect();
    assert_eq!(events, ["cs", "ws"]);
    assert!(!ix.span(client).has_flag(span_flags::UNTIMED));
    // The shared piece went to the server half: its error, not the client's.
    assert_eq!(ix.span(server).status, StatusCode::Error);
    assert_eq!(ix.span(server).status_message.map(|m| ix.str(m)), Some("db timeout"));
    assert_eq!(ix.span(client).status, StatusCode::Unset);
    assert_eq!(ix.service(server), "backend");
    // A SERVER half without `shared` beside its CLIENT half is marked shared, as Zipkin does.
    let auth = half(&ix, "0000000000000004", true);
    assert_eq!(ix.service(auth), "auth");
    assert_eq!(ix.parent(auth), Some(half(&ix, "0000000000000004", false)));
    assert_eq!(assert_shared_pairs_nested(&ix), 2);
}

#[test]
fn one_trace_with_64_and_128_bit_ids_is_one_trace_with_the_long_id() {
    let ix = index(MIXED_IDS);
    let long = tid("80f198ee56343ba864fe8b2a57d3eff7");
    assert_eq!(ix.traces().len(), 2, "the order trace and the unrelated cron trace");
    let root = by_name(&ix, "post /order");
    let charge = by_name(&ix, "charge");
    let sign = by_name(&ix, "sign");
    for s in [root, charge, sign] {
        assert_eq!(ix.span(s).trace_id, long);
    }
    assert_eq!(ix.parent(charge), Some(root));
    assert_eq!(ix.parent(sign), Some(charge));
    assert_eq!(ix.trace_spans(ix.trace_of(root)).len(), 3);
    // A 64-bit id with no long form in the file stays as it is.
    let cron = by_name(&ix, "cron");
    assert_eq!(ix.span(cron).trace_id, tid("0000000000000abc"));
    // A link naming the short form reaches the span under the long one.
    let link = ix.links_out(cron).next().unwrap();
    assert_eq!(ix.link_target(link), LinkTarget::Span(sign));
}

// ---- whole-file errors ----

#[test]
fn truncated_file_is_an_error_with_path_line_and_column() {
    let err = zipkin_json::parse(&read(TRUNCATED), "t/synthetic_truncated.json").unwrap_err();
    let text = err.to_string();
    let lines = String::from_utf8(read(TRUNCATED)).unwrap().lines().count();
    assert!(text.starts_with(&format!("t/synthetic_truncated.json:{lines}:")), "{text}");
    assert!(text.contains("EOF while parsing"), "{text}");
    assert_eq!(err.format, Some(Format::ZipkinJson));
}

#[test]
fn unusable_documents_are_errors_and_odd_items_are_skipped() {
    for (input, expect) in
        [(&b"  "[..], "file is empty"), (b"42", "expected a JSON array"), (b"[{]", "key must be a string")]
    {
        let err = zipkin_json::parse(input, "z.json").unwrap_err();
        assert!(err.to_string().starts_with("z.json"), "{err}");
        assert!(err.to_string().contains(expect), "{err} should contain {expect}");
    }
    let ds = zipkin_json::parse(b"[7, [\"x\"], {\"traceId\":\"1\",\"id\":\"2\"}]", "odd.json").unwrap();
    assert_eq!(ds.spans.len(), 1);
    assert_eq!(ds.files[0].skipped, 2);
    assert_eq!(ds.files[0].warnings[0].at, Location::Line { line: 1, column: 2 });
}

// ---- hostile input: mutated fixtures ----

const FIXTURES: [&str; 6] = [YELP, SKEW, MESSAGING, CLIENT, LINKS, BAD];

/// The errors about a document's shape, which have no position.
const WHOLE_FILE_ERRORS: &[&str] = &["file is empty", "expected a JSON array of Zipkin spans"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn mutated_fixtures_are_an_error_or_a_sound_dataset(which in 0..FIXTURES.len(), m in mutation()) {
        let bytes = m.apply(read(FIXTURES[which]));
        check_parse(zipkin_json::parse(&bytes, "m.json"), WHOLE_FILE_ERRORS)?;
    }
}

/// Many pieces of one span (hostile, or a long stream of late annotations) merge at once: the
/// arenas hold each tag and annotation once, not once per merge step.
#[test]
fn many_pieces_of_one_span_merge_in_linear_space() {
    let pieces = 20_000;
    let mut doc = String::from(
        r#"[{"traceId":"463ac35c9f6413ad","id":"00000000000000aa","kind":"SERVER","name":"busy","timestamp":1700000000000000,"duration":5,"localEndpoint":{"serviceName":"svc"}}"#,
    );
    for i in 0..pieces {
        doc.push_str(&format!(
            r#",{{"traceId":"463ac35c9f6413ad","id":"00000000000000aa","localEndpoint":{{"serviceName":"svc"}},"tags":{{"t{i}":"v"}},"annotations":[{{"timestamp":{},"value":"a{i}"}}]}}"#,
            1_700_000_000_000_000u64 + i
        ));
    }
    doc.push(']');
    let started = std::time::Instant::now();
    let ds = zipkin_json::parse(doc.as_bytes(), "pieces.json").unwrap();
    assert_eq!(ds.spans.len(), 1);
    let s = ds.spans[0];
    assert_eq!((s.attrs.len as usize, s.events.len as usize), (pieces as usize, pieces as usize));
    assert!(ds.attrs.len() < 3 * pieces as usize, "{} attributes in the arena", ds.attrs.len());
    assert!(ds.events.len() < 3 * pieces as usize, "{} events in the arena", ds.events.len());
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
}
