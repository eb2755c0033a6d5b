//! Datadog loader, end to end through `load::load_bytes` and `Index::build`: the dd-trace-py
//! test-agent snapshots as JSON and converted to msgpack v0.4 (uint64, compact and negative
//! int64 ids), hand-made v0.5 payloads, gentrace output, and hostile input (truncation, length
//! prefixes claiming gigabytes, random and mutated bytes).

use proptest::prelude::*;
use serde_json::{Value as J, json};
use weft::index::{Index, LinkTarget, SpanIdx};
use weft::load::{self, LoadError};
use weft::model::{
    Dataset, Format, LinkKind, Location, Slice, SpanId, SpanKind, StatusCode, TraceId, Value, span_flags,
};

#[path = "common/alloc.rs"]
mod common_alloc;
use common_alloc::largest_allocation;

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/datadog");
const AZURE: &str = "dd-trace-py_snapshot_azure_servicebus_consume_many_native_span_links.json";
const PUBSUB: &str = "dd-trace-py_snapshot_pubsub_dd_span_links_meta.json";
const FASTAPI: &str = "dd-trace-py_snapshot_fastapi_websocket_span_pointers.json";
const GENTRACE: &str = "gentrace_seed7_300spans.msgpack";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{name}")).unwrap()
}

fn fixture_json(name: &str) -> J {
    serde_json::from_slice(&fixture(name)).unwrap()
}

fn load_ok(bytes: Vec<u8>, path: &str, forced: Option<Format>) -> Dataset {
    load::load_bytes(bytes, path, forced).unwrap_or_else(|e| panic!("{e}"))
}

fn attr(ds: &Dataset, slice: Slice, key: &str) -> Option<Value> {
    ds.find_attr(slice, key)
}

fn attr_str(ds: &Dataset, slice: Slice, key: &str) -> Option<String> {
    match ds.find_attr(slice, key)? {
        Value::Str(s) => Some(ds.str(s).to_owned()),
        other => panic!("{key} is {other:?}, not a string"),
    }
}

fn span_at(ix: &Index, trace: TraceId, span: u64) -> SpanIdx {
    ix.find_span(trace, SpanId(span)).unwrap_or_else(|| panic!("no span {span:x} in trace {trace}"))
}

/// How the test-side converter writes ids.
#[derive(Clone, Copy, Debug)]
enum Ids {
    /// Always the 9-byte uint64 form, as tracers do.
    U64,
    /// The smallest integer encoding.
    Compact,
    /// Every id XOR `NEG_MASK` (so its top bit is set), written as int64: negative on the wire,
    /// the Java habit. Parent 0 (root) and `trace_id_high` stay as they are.
    NegI64,
}

const NEG_MASK: u64 = 0xF00D_0000_0000_0000;

impl Ids {
    /// What a file id becomes in the converted payload (and so in the loaded model).
    fn map(self, key: &str, id: u64) -> u64 {
        match self {
            Ids::NegI64 if key == "trace_id_high" || (key == "parent_id" && id == 0) => id,
            Ids::NegI64 => id ^ NEG_MASK,
            _ => id,
        }
    }
}

const ID_KEYS: [&str; 4] = ["trace_id", "span_id", "parent_id", "trace_id_high"];

/// serde_json value → msgpack (v0.4 shape), ids as `ids` says, other integers compact, floats as
/// float64. String values under `meta_struct` are written as bin; decoded ones (maps) as maps.
fn to_msgpack(v: &J, ids: Ids) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v, None, ids);
    out
}

fn write_value(out: &mut Vec<u8>, v: &J, key: Option<&str>, ids: Ids) {
    use rmp::encode as e;
    match v {
        J::Null => e::write_nil(out).unwrap(),
        J::Bool(b) => e::write_bool(out, *b).unwrap(),
        J::Number(n) => match (key, n.as_u64(), n.as_i64()) {
            (Some(k), Some(u), _) if ID_KEYS.contains(&k) => {
                let id = ids.map(k, u);
                match ids {
                    Ids::U64 => e::write_u64(out, id).unwrap(),
                    Ids::Compact => {
                        e::write_uint(out, id).unwrap();
                    }
                    Ids::NegI64 => e::write_i64(out, id as i64).unwrap(),
                }
            }
            (_, Some(u), _) => {
                e::write_uint(out, u).unwrap();
            }
            (_, _, Some(i)) => {
                e::write_sint(out, i).unwrap();
            }
            _ => e::write_f64(out, n.as_f64().unwrap()).unwrap(),
        },
        J::String(s) => e::write_str(out, s).unwrap(),
        J::Array(items) => {
            e::write_array_len(out, items.len() as u32).unwrap();
            for x in items {
                write_value(out, x, None, ids);
            }
        }
        J::Object(map) => {
            e::write_map_len(out, map.len() as u32).unwrap();
            for (k, x) in map {
                e::write_str(out, k).unwrap();
                if k == "meta_struct" {
                    let entries = x.as_object().unwrap();
                    e::write_map_len(out, entries.len() as u32).unwrap();
                    for (mk, mv) in entries {
                        e::write_str(out, mk).unwrap();
                        match mv.as_str() {
                            Some(s) => e::write_bin(out, s.as_bytes()).unwrap(),
                            None => write_value(out, mv, None, ids),
                        }
                    }
                } else {
                    write_value(out, x, Some(k), ids);
                }
            }
        }
    }
}

/// The spans of a snapshot, chunk by chunk.
fn spans_mut(doc: &mut J) -> impl Iterator<Item = &mut J> {
    doc.as_array_mut().unwrap().iter_mut().flat_map(|c| c.as_array_mut().unwrap().iter_mut())
}

/// Loads a snapshot in every form: as JSON, and as msgpack v0.4 with each id encoding. Returns
/// (form name, dataset, id mapping).
fn all_forms(doc: &J) -> Vec<(String, Dataset, Ids)> {
    let mut out = Vec::new();
    let json = serde_json::to_vec(doc).unwrap();
    let ds = load_ok(json, "snap.json", None);
    assert_eq!(ds.files[0].format, Format::DatadogJson);
    out.push(("json".to_owned(), ds, Ids::U64));
    for ids in [Ids::U64, Ids::Compact, Ids::NegI64] {
        let ds = load_ok(to_msgpack(doc, ids), "snap.msgpack", None);
        assert_eq!(ds.files[0].format, Format::DatadogMsgpackV04, "{ids:?}");
        out.push((format!("msgpack {ids:?}"), ds, ids));
    }
    out
}

fn assert_clean(ds: &Dataset, form: &str) {
    let f = &ds.files[0];
    assert_eq!((f.skipped, f.warnings.len()), (0, 0), "{form}: {:?}", f.warnings);
    assert_eq!(f.spans, ds.spans.len(), "{form}");
}

// ---------------------------------------------------------------------------------------------
// Snapshots: JSON and converted msgpack

/// `_dd.p.tid` of the first chunk of the azure snapshot, and of the second.
const AZURE_TID_A: u64 = 0x69e9_29f1_0000_0000;
const AZURE_TID_B: u64 = 0x69e9_29f2_0000_0000;

fn check_azure(ds: Dataset, ids: Ids, form: &str) {
    assert_clean(&ds, form);
    assert_eq!(ds.spans.len(), 5, "{form}");
    let ix = Index::build(ds);
    let m = |key: &str, id: u64| ids.map(key, id);
    assert_eq!(ix.traces().len(), 2, "{form}");
    let trace_a = TraceId::from_halves(AZURE_TID_A, m("trace_id", 0));
    let trace_b = TraceId::from_halves(AZURE_TID_B, m("trace_id", 1));
    let ta = ix.find_trace(trace_a).unwrap_or_else(|| panic!("{form}: no trace {trace_a}"));
    let tb = ix.find_trace(trace_b).unwrap_or_else(|| panic!("{form}: no trace {trace_b}"));
    assert_eq!(ix.trace(ta).spans, 4, "{form}");
    assert_eq!(ix.trace(tb).spans, 1, "{form}");

    let root = span_at(&ix, trace_a, m("span_id", 1));
    let create2 = span_at(&ix, trace_a, m("span_id", 2));
    let create3 = span_at(&ix, trace_a, m("span_id", 3));
    let send = span_at(&ix, trace_a, m("span_id", 4));
    let consumer = span_at(&ix, trace_b, m("span_id", 1));
    // Span 2 has no `_dd.p.tid` of its own: the chunk's tid reached it.
    assert_eq!(attr(&ix.data, ix.span(create2).attrs, "_dd.p.tid"), None, "{form}");
    assert_eq!(ix.span(create2).trace_id, trace_a, "{form}");
    for child in [create2, create3, send] {
        assert_eq!(ix.parent(child), Some(root), "{form}");
        assert_eq!(ix.depth(child), 1, "{form}");
    }
    assert_eq!(ix.trace_spans(ta)[0], root, "{form}");

    // Mapping of the root span's fields.
    let r = *ix.span(root);
    assert_eq!(ix.name(root), "azure.functions.invoke");
    assert_eq!(ix.service(root), "test-func");
    assert_eq!(r.kind, SpanKind::Server, "{form}");
    assert_eq!(r.start, 1_776_888_305_751_655_000, "{form}");
    assert_eq!(r.duration(), 1_029_364_000, "{form}");
    assert_eq!(r.status, StatusCode::Unset, "{form}");
    assert_eq!(
        attr_str(&ix.data, r.attrs, "dd.span.Resource").as_deref(),
        Some("POST /api/queuesendmessagebatch")
    );
    assert_eq!(attr_str(&ix.data, r.attrs, "dd.span.type").as_deref(), Some("serverless"));
    assert_eq!(attr(&ix.data, r.attrs, "process_id"), Some(Value::Double(22537.0)), "{form}");
    assert_eq!(attr_str(&ix.data, r.attrs, "component").as_deref(), Some("azure_functions"));
    // Kind and process meta live on the span kind and the resource, not in the attributes.
    assert_eq!(attr(&ix.data, r.attrs, "span.kind"), None);
    assert_eq!(attr(&ix.data, r.attrs, "language"), None);
    let res = ix.data.resource(r.resource).attrs;
    assert_eq!(attr_str(&ix.data, res, "service.name").as_deref(), Some("test-func"));
    assert_eq!(attr_str(&ix.data, res, "language").as_deref(), Some("python"));
    assert_eq!(attr_str(&ix.data, res, "runtime-id").as_deref(), Some("5cb9f4e5d6464a23a41bf08a02d90193"));
    assert_eq!(ix.span(create2).kind, SpanKind::Producer);
    assert_eq!(ix.span(consumer).kind, SpanKind::Consumer);

    // Native links: trace_id_high (7631677158619873280) is the chunk's tid, so all four links
    // resolve to spans 2 and 3, seen from both ends.
    assert_eq!(7_631_677_158_619_873_280u64, AZURE_TID_A);
    assert_eq!(ix.link_count(), 4, "{form}");
    assert_eq!(ix.unresolved_links().count(), 0, "{form}");
    for source in [send, consumer] {
        let targets: Vec<LinkTarget> = ix.links_out(source).map(|l| ix.link_target(l)).collect();
        assert_eq!(targets, [LinkTarget::Span(create2), LinkTarget::Span(create3)], "{form}");
        for l in ix.links_out(source) {
            let link = ix.link(l);
            assert_eq!(link.trace_id, TraceId::from_halves(7_631_677_158_619_873_280, m("trace_id", 0)));
            assert_eq!(link.flags, 1, "{form}: 0x80000001 is the 'set' marker plus sampled");
            assert_eq!(link.kind, LinkKind::Link);
            let ts = link.trace_state.map(|s| ix.str(s));
            assert_eq!(ts, Some("dd=s:1;t.dm:-0;t.tid:69e929f100000000"));
        }
    }
    for target in [create2, create3] {
        let sources: Vec<SpanIdx> = ix.links_in(target).iter().map(|&l| ix.link_source(l)).collect();
        assert_eq!(sources, [send, consumer], "{form}");
    }
    let b_to_a: Vec<_> = ix.linked_traces(tb).collect();
    assert_eq!(b_to_a.len(), 1);
    assert_eq!((b_to_a[0].other, b_to_a[0].out, b_to_a[0].r#in), (ta, 2, 0), "{form}");
    let a_to_b: Vec<_> = ix.linked_traces(ta).collect();
    assert_eq!((a_to_b[0].other, a_to_b[0].out, a_to_b[0].r#in), (tb, 0, 2), "{form}");
}

#[test]
fn azure_native_links_in_every_form() {
    for (form, ds, ids) in all_forms(&fixture_json(AZURE)) {
        check_azure(ds, ids, &form);
    }
}

#[test]
fn azure_fixture_file_loads_by_path() {
    let ds = load::load_file(std::path::Path::new(&format!("{DIR}/{AZURE}")), None).unwrap();
    check_azure(ds, Ids::U64, "file");
}

#[test]
fn pubsub_meta_span_link_in_every_form() {
    for (form, ds, ids) in all_forms(&fixture_json(PUBSUB)) {
        assert_clean(&ds, &form);
        assert_eq!(ds.spans.len(), 6, "{form}");
        let ix = Index::build(ds);
        // Six chunks with the same tid but six low ids: six traces.
        assert_eq!(ix.traces().len(), 6, "{form}");
        let receive = span_at(
            &ix,
            TraceId::from_halves(0x69f3_9b4e_0000_0000, ids.map("trace_id", 5)),
            ids.map("span_id", 1),
        );
        assert_eq!(ix.name(receive), "gcp.pubsub.receive");
        let links: Vec<_> = ix.links_out(receive).collect();
        assert_eq!(links.len(), 1, "{form}");
        let link = ix.link(links[0]);
        assert_eq!(link.trace_id, TraceId::from_hex("69f39b4e0000000080162b7b525a710f").unwrap());
        assert_eq!(link.span_id, SpanId(0x544e_a1c2_60b6_092f));
        assert_eq!((link.kind, link.flags), (LinkKind::Link, 0));
        assert_eq!(link.trace_state.map(|s| ix.str(s)), Some("dd=t.tid:69f39b4e00000000"));
        // Ids inside `_dd.span_links` are not renumbered by the test agent: the target is absent.
        assert_eq!(ix.link_target(links[0]), LinkTarget::Missing { trace: None }, "{form}");
        assert_eq!(ix.unresolved_links().count(), 1);
        assert_eq!(ix.link_count(), 1);
        // The JSON was read into a link, so it is not also kept as an attribute.
        assert_eq!(attr(&ix.data, ix.span(receive).attrs, "_dd.span_links"), None, "{form}");
        assert!(ix.data.spans.iter().all(|s| s.status == StatusCode::Unset));
    }
}

#[test]
fn fastapi_span_pointers_and_orphan_in_every_form() {
    let doc = fixture_json(FASTAPI);
    // Distinct (service, env, version, _dd.hostname, language, runtime-id), from the JSON itself.
    let mut tuples = std::collections::BTreeSet::new();
    for chunk in doc.as_array().unwrap() {
        for s in chunk.as_array().unwrap() {
            let meta = |k: &str| s["meta"].get(k).and_then(J::as_str).map(str::to_owned);
            tuples.insert((
                s["service"].as_str().map(str::to_owned),
                meta("env"),
                meta("version"),
                meta("_dd.hostname"),
                meta("language"),
                meta("runtime-id"),
            ));
        }
    }
    for (form, ds, ids) in all_forms(&doc) {
        assert_clean(&ds, &form);
        assert_eq!(ds.spans.len(), 12, "{form}");
        // One shared synthetic resource per distinct tuple (index 0 is the "none" placeholder).
        assert_eq!(ds.resources.len() - 1, tuples.len(), "{form}");
        assert!(tuples.len() < 12);
        let ix = Index::build(ds);
        assert_eq!(ix.traces().len(), 6, "{form}");
        assert_eq!(ix.link_count(), 10, "{form}");
        for l in ix.links() {
            assert_eq!(ix.link(l).kind, LinkKind::Pointer, "{form}");
            assert_eq!(ix.link_target(l), LinkTarget::Pointer, "{form}");
            let attrs = ix.link(l).attrs;
            assert_eq!(attr_str(&ix.data, attrs, "dd.kind").as_deref(), Some("span-pointer"));
            assert_eq!(attr_str(&ix.data, attrs, "ptr.kind").as_deref(), Some("websocket"));
            assert!(attr_str(&ix.data, attrs, "ptr.hash").is_some());
        }
        assert_eq!(ix.unresolved_links().count(), 0, "{form}: pointers are never unresolved spans");
        // The chunk of trace 1 has no `_dd.p.tid` at all: high bits stay zero.
        let trace1 = TraceId::from_halves(0, ids.map("trace_id", 1));
        let request = span_at(&ix, trace1, ids.map("span_id", 1));
        assert_eq!(ix.name(request), "fastapi.request");
        assert_eq!(ix.span(request).parent_id, SpanId(ids.map("parent_id", 987_654_321)));
        assert!(ix.is_orphan(request), "{form}: parent 987654321 is not in the file");
        assert_eq!(ix.parent(request), None);
        let send = span_at(&ix, trace1, ids.map("span_id", 2));
        assert_eq!(ix.parent(send), Some(request), "{form}");
        assert!(!ix.is_orphan(send));
        let pointer = ix.link(ix.links_out(send).next().unwrap());
        assert_eq!(pointer.trace_id, TraceId(0x075b_cd15));
        assert_eq!(pointer.span_id, SpanId(0x21c2_c9bf_3322_48b0));
        assert_eq!(
            attr_str(&ix.data, pointer.attrs, "ptr.hash").as_deref(),
            Some("S000000000000000000000000075bcd1521c2c9bf332248b000000001")
        );
        assert_eq!(
            attr_str(&ix.data, pointer.attrs, "ptr.dir").as_deref(),
            Some("_SpanPointerDirection.DOWNSTREAM")
        );
        assert_eq!(pointer.flags, 1);
        assert_eq!(attr_str(&ix.data, ix.span(send).attrs, "_dd.origin").as_deref(), Some("rum"));
    }
}

#[test]
fn tid_on_the_last_span_of_a_chunk_reaches_all_of_them() {
    let mut doc = fixture_json(AZURE);
    let chunk = doc[0].as_array_mut().unwrap();
    let n = chunk.len();
    for s in &mut chunk[..n - 1] {
        s["meta"].as_object_mut().unwrap().remove("_dd.p.tid");
    }
    assert!(chunk[n - 1]["meta"].get("_dd.p.tid").is_some());
    for (form, ds, ids) in all_forms(&doc) {
        let want = TraceId::from_halves(AZURE_TID_A, ids.map("trace_id", 0));
        let in_chunk: Vec<_> =
            ds.spans.iter().filter(|s| s.trace_id.0 as u64 == ids.map("trace_id", 0)).collect();
        assert_eq!(in_chunk.len(), 4, "{form}");
        assert!(in_chunk.iter().all(|s| s.trace_id == want), "{form}");
        // And the native links resolve again.
        assert_eq!(Index::build(ds).unresolved_links().count(), 0, "{form}");
    }
}

#[test]
fn links_in_both_places_are_deduplicated_and_extra_fields_map() {
    let mut doc = fixture_json(AZURE);
    let meta_links = json!([
        // Same as the first native link of span 4: dropped.
        {"trace_id": "69e929f1000000000000000000000000", "span_id": "0000000000000002", "flags": 1},
        // New, unpadded span id (Java): kept, and unresolved.
        {"trace_id": "69e929f1000000000000000000000000", "span_id": "9", "attributes": {"k": "v"}},
        // Bad id: dropped with a warning.
        {"trace_id": "zz", "span_id": "1"}
    ]);
    let spans: Vec<&mut J> = spans_mut(&mut doc).collect();
    let [root, _, create3, send, _] = <[&mut J; 5]>::try_from(spans).unwrap();
    send["meta"]["_dd.span_links"] = J::String(meta_links.to_string());
    // An error with only `error.type`, and native events with typed attribute values.
    create3["error"] = json!(1);
    create3["meta"]["error.type"] = json!("QuotaExceeded");
    root["span_events"] = json!([{
        "name": "exception", "time_unix_nano": 1_776_888_305_751_700_000u64,
        "attributes": {
            "exception.message": {"type": 0, "string_value": "boom"},
            "count": {"type": 2, "int_value": 3},
            "ratio": {"type": 3, "double_value": 0.5},
            "flag": {"type": 1, "bool_value": true},
            "tags": {"type": 4, "array_value": {"values": [{"type": 0, "string_value": "a"}, {"type": 2, "int_value": 1}]}}
        }
    }]);
    for (form, ds, _) in all_forms(&doc).into_iter().filter(|(_, _, ids)| matches!(ids, Ids::U64)) {
        let f = &ds.files[0];
        assert_eq!(f.skipped, 0, "{form}");
        assert_eq!(f.warnings.len(), 1, "{form}: {:?}", f.warnings);
        assert!(f.warnings[0].message.contains("link 3 dropped: trace_id"), "{}", f.warnings[0].message);
        let ix = Index::build(ds);
        let trace_a = TraceId::from_halves(AZURE_TID_A, 0);
        let send = span_at(&ix, trace_a, 4);
        let links: Vec<_> = ix.links_out(send).map(|l| *ix.link(l)).collect();
        assert_eq!(links.len(), 3, "{form}: 2 native + 1 new from meta");
        assert_eq!(links[2].span_id, SpanId(9));
        assert_eq!(attr_str(&ix.data, links[2].attrs, "k").as_deref(), Some("v"));
        let third = ix.links_out(send).nth(2).unwrap();
        assert!(matches!(ix.link_target(third), LinkTarget::Missing { trace: Some(_) }));

        let create3 = ix.span(span_at(&ix, trace_a, 3));
        assert_eq!(create3.status, StatusCode::Error, "{form}");
        assert_eq!(create3.status_message.map(|s| ix.str(s)), Some("QuotaExceeded"));

        let root = ix.span(span_at(&ix, trace_a, 1));
        let events = ix.data.events_of(root.events);
        assert_eq!(events.len(), 1, "{form}");
        assert_eq!(ix.str(events[0].name), "exception");
        assert_eq!(events[0].time, 1_776_888_305_751_700_000);
        let ea = events[0].attrs;
        assert_eq!(attr_str(&ix.data, ea, "exception.message").as_deref(), Some("boom"));
        assert_eq!(attr(&ix.data, ea, "count"), Some(Value::Int(3)), "{form}");
        assert_eq!(attr(&ix.data, ea, "ratio"), Some(Value::Double(0.5)), "{form}");
        assert_eq!(attr(&ix.data, ea, "flag"), Some(Value::Bool(true)), "{form}");
        let Some(Value::Array(tags)) = attr(&ix.data, ea, "tags") else {
            panic!("{form}: tags not an array")
        };
        let tags: Vec<Value> = ix.data.values_of(tags).collect();
        assert_eq!(tags.len(), 2);
        assert!(matches!(tags[0], Value::Str(s) if ix.str(s) == "a"));
        assert_eq!(tags[1], Value::Int(1));
    }
}

#[test]
fn meta_struct_is_kept_as_base64_bytes() {
    let mut doc = fixture_json(PUBSUB);
    doc[0][0]["meta_struct"] = json!({"appsec": "\u{1}\u{2}hi"});
    let ds = load_ok(to_msgpack(&doc, Ids::U64), "ms.msgpack", None);
    let s = ds.spans.iter().find(|s| s.trace_id.0 as u64 == 0).unwrap();
    let Some(Value::Bytes(b)) = attr(&ds, s.attrs, "meta_struct.appsec") else { panic!("no meta_struct") };
    assert_eq!(ds.str(b), "AQJoaQ==");
}

/// `synthetic_meta_struct_decoded.json`: a span whose `meta_struct` is an object, as the test
/// agent's snapshots hold it (an AppSec `_dd.stack` of frames), in JSON and in msgpack: kept as
/// a map attribute, nothing dropped, no warning.
#[test]
fn decoded_meta_struct_is_kept_as_a_structured_attribute() {
    let doc = fixture_json("synthetic_meta_struct_decoded.json");
    for (form, ds, _) in all_forms(&doc) {
        assert_clean(&ds, &form);
        let s = &ds.spans[0];
        let Some(Value::Map(stack)) = attr(&ds, s.attrs, "meta_struct._dd.stack") else {
            panic!("{form}: no _dd.stack map: {:?}", attr(&ds, s.attrs, "meta_struct._dd.stack"))
        };
        let Some(Value::Array(exploits)) = ds.find_attr(stack, "exploit") else { panic!("{form}: exploit") };
        let exploit: Vec<Value> = ds.values_of(exploits).collect();
        assert_eq!(exploit.len(), 1, "{form}");
        let Value::Map(first) = exploit[0] else { panic!("{form}: {:?}", exploit[0]) };
        let Some(Value::Str(lang)) = ds.find_attr(first, "language") else { panic!("{form}: language") };
        assert_eq!(ds.str(lang), "python");
        let Some(Value::Array(frames)) = ds.find_attr(first, "frames") else { panic!("{form}: frames") };
        let frames: Vec<Value> = ds.values_of(frames).collect();
        let Value::Map(top) = frames[1] else { panic!("{form}") };
        assert_eq!(ds.find_attr(top, "line"), Some(Value::Int(880)), "{form}");
        assert!(matches!(attr(&ds, s.attrs, "meta_struct.appsec"), Some(Value::Map(_))), "{form}");
    }
}

#[test]
fn truncated_meta_span_links_keep_the_complete_links_and_warn() {
    let mut doc = fixture_json(PUBSUB);
    let full = json!([
        {"trace_id": "69f39b4e0000000080162b7b525a710f", "span_id": "544ea1c260b6092f"},
        {"trace_id": "69f39b4e0000000080162b7b525a7110", "span_id": "544ea1c260b60930"}
    ])
    .to_string();
    // Python's cut: part of the value, then a marker.
    let cut = format!("{}<truncated>...", &full[..full.len() - 30]);
    doc[5][0]["meta"]["_dd.span_links"] = J::String(cut.clone());
    for (form, ds, _) in all_forms(&doc) {
        let f = &ds.files[0];
        assert_eq!(f.skipped, 0);
        assert_eq!(f.warnings.len(), 1, "{form}");
        assert!(
            f.warnings[0].message.contains("`_dd.span_links` is not valid JSON"),
            "{}",
            f.warnings[0].message
        );
        assert!(
            f.warnings[0].message.contains("1 link(s) before that were read"),
            "{}",
            f.warnings[0].message
        );
        let s = ds.spans.iter().find(|s| !s.links.is_empty()).unwrap();
        assert_eq!(ds.links_of(s.links).len(), 1, "{form}");
        assert_eq!(ds.links_of(s.links)[0].span_id, SpanId(0x544e_a1c2_60b6_092f));
        assert_eq!(attr_str(&ds, s.attrs, "_dd.span_links").as_deref(), Some(cut.as_str()));
    }
}

#[test]
fn msgpack_meta_integers_past_i64_keep_their_digits() {
    let doc = json!([[{
        "trace_id": 1, "span_id": 2, "parent_id": 0, "name": "a", "service": "s",
        "meta": {"big": 18_446_744_073_709_551_615_u64, "small": 7}
    }]]);
    let ds = load_ok(to_msgpack(&doc, Ids::U64), "big.msgpack", None);
    let attrs = ds.spans[0].attrs;
    assert_eq!(attr_str(&ds, attrs, "big").as_deref(), Some("18446744073709551615"));
    assert_eq!(attr(&ds, attrs, "small"), Some(Value::Int(7)));
}

// ---------------------------------------------------------------------------------------------
// JSON specifics

#[test]
fn json_that_is_not_utf8_is_an_error_worded_as_in_the_other_json_loaders() {
    let options = load::Options { forced: Some(Format::DatadogJson), ..load::Options::default() };
    let err = load::load_slice(b"[[{\"name\": \"\xff\"}]]", "bad.json", &options).unwrap_err();
    assert_eq!(err.to_string(), "bad.json:1:13: invalid UTF-8");
    assert_eq!(err.kind, load::LoadErrorKind::Syntax);
}

#[test]
fn json_ids_are_exact_to_two_to_the_64_and_negative_ids_reinterpret() {
    let text = r#"[[
        {"trace_id": 18446744073709551615, "span_id": 9223372036854775809, "parent_id": 0, "name": "a"},
        {"trace_id": -1, "span_id": -9223372036854775806, "parent_id": -9223372036854775807, "name": "b"}
    ]]"#;
    let ds = load_ok(text.as_bytes().to_vec(), "ids.json", None);
    assert_clean(&ds, "ids");
    assert_eq!(ds.spans[0].trace_id, TraceId(u128::from(u64::MAX)));
    assert_eq!(ds.spans[0].span_id, SpanId(9_223_372_036_854_775_809));
    assert_eq!(ds.spans[1].trace_id, TraceId(u128::from(u64::MAX)));
    // -9223372036854775806 as 64 bits is 0x8000000000000002; -9223372036854775807 is
    // 0x8000000000000001 = 9223372036854775809, the first span's id.
    assert_eq!(ds.spans[1].span_id, SpanId(9_223_372_036_854_775_810));
    assert_eq!(ds.spans[1].parent_id, SpanId(9_223_372_036_854_775_809));
    let ix = Index::build(ds);
    assert_eq!(ix.traces().len(), 1);
    assert_eq!(ix.parent(SpanIdx(1)), Some(SpanIdx(0)));
}

#[test]
fn json_bad_span_is_skipped_with_its_line_and_column() {
    let text = "[[\n  {\"trace_id\": 1, \"span_id\": 1, \"name\": \"ok\"},\n  {\"trace_id\": 18446744073709551616, \"span_id\": 2},\n  {\"trace_id\": 1, \"span_id\": 3, \"parent_id\": 1, \"name\": \"after\"}\n], 5]";
    let ds = load_ok(text.as_bytes().to_vec(), "bad.json", None);
    assert_eq!(ds.spans.len(), 2);
    assert_eq!(ds.str(ds.spans[1].name), "after");
    let f = &ds.files[0];
    assert_eq!(f.skipped, 2, "{:?}", f.warnings);
    assert!(f.warnings[0].message.contains("never read through floating point"), "{}", f.warnings[0].message);
    assert!(matches!(f.warnings[0].at, Location::Line { line: 3, .. }), "{:?}", f.warnings[0].at);
    assert!(f.warnings[1].message.starts_with("trace chunk 2 skipped"), "{}", f.warnings[1].message);
    assert_eq!(f.warnings[1].at, Location::Line { line: 5, column: 4 });
}

#[test]
fn many_bad_spans_are_all_counted_and_the_first_notes_located() {
    // 20,000 spans with a float id, one good span at the end. Were each note located by a scan
    // from the start of the file, this would take quadratic time.
    let bad = 20_000;
    let mut text = String::from("[[\n");
    for i in 0..bad {
        text.push_str(&format!("{{\"trace_id\": 1.5, \"span_id\": {i}, \"name\": \"bad\"}},\n"));
    }
    text.push_str("{\"trace_id\": 1, \"span_id\": 1, \"name\": \"good\"}]]");
    let ds = load_ok(text.into_bytes(), "many.json", None);
    assert_eq!(ds.spans.len(), 1);
    let f = &ds.files[0];
    assert_eq!(f.skipped, bad);
    assert_eq!(f.warnings.len(), weft::model::MAX_WARNINGS_PER_FILE);
    assert!(matches!(f.warnings[0].at, Location::Line { line: 2, .. }), "{:?}", f.warnings[0].at);
    assert!(matches!(f.warnings[49].at, Location::Line { line: 51, .. }), "{:?}", f.warnings[49].at);
}

#[test]
fn json_that_is_not_a_payload_is_an_error_with_line_and_column() {
    let err =
        load::load_bytes(b"[[{\"trace_id\": 1, \"span_id\": 2}\n".to_vec(), "cut.json", None).unwrap_err();
    assert!(err.to_string().starts_with("cut.json:2:"), "{err}");
    let err = load::load_bytes(
        b"{\"trace_id\": 1, \"span_id\": 2}".to_vec(),
        "obj.json",
        Some(Format::DatadogJson),
    )
    .unwrap_err();
    assert_eq!(err.at, Location::Line { line: 1, column: 1 });
    assert!(err.to_string().contains("array of trace chunks"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// v0.5

const V05_TID: u64 = 0x6a1b_2c3d_0000_0000;
const T0: u64 = 1_700_000_000_000_000_000;

#[test]
fn v05_string_table_with_a_meta_span_link() {
    let ds = load_ok(fixture("v05_links.msgpack"), "v05.msgpack", None);
    assert_eq!(ds.files[0].format, Format::DatadogMsgpackV05);
    assert_clean(&ds, "v05");
    assert_eq!(ds.spans.len(), 3);
    let ix = Index::build(ds);
    assert_eq!(ix.traces().len(), 2);
    let trace_a = TraceId::from_halves(V05_TID, 0x1111);
    let trace_b = TraceId::from_halves(V05_TID, 0x2222);
    // The tid sits on a2 only; a1 (the root, first in the chunk) gets it too.
    let a1 = span_at(&ix, trace_a, 0xa1);
    let a2 = span_at(&ix, trace_a, 0xa2);
    let b1 = span_at(&ix, trace_b, 0xb1);
    assert_eq!(ix.parent(a2), Some(a1));
    assert_eq!((ix.name(a1), ix.service(a1)), ("http.request", "checkout"));
    assert_eq!(attr_str(&ix.data, ix.span(a1).attrs, "dd.span.Resource").as_deref(), Some("POST /cart"));
    assert_eq!(attr_str(&ix.data, ix.span(a1).attrs, "dd.span.type").as_deref(), Some("web"));
    assert_eq!(attr(&ix.data, ix.span(a1).attrs, "_sampling_priority_v1"), Some(Value::Double(1.0)));
    assert_eq!((ix.span(a1).start, ix.span(a1).end), (T0, T0 + 5_000_000));
    assert_eq!(ix.span(a1).kind, SpanKind::Server);
    assert_eq!(ix.span(a2).kind, SpanKind::Client);
    assert_eq!(ix.span(a2).status, StatusCode::Error);
    assert_eq!(ix.span(a2).status_message.map(|s| ix.str(s)), Some("card declined"));
    assert_eq!(attr_str(&ix.data, ix.span(a2).attrs, "error.type").as_deref(), Some("PaymentError"));

    // The link in `_dd.span_links` (span id "a2", unpadded) resolves, seen from both ends.
    let out: Vec<_> = ix.links_out(b1).collect();
    assert_eq!(out.len(), 1);
    assert_eq!(ix.link_target(out[0]), LinkTarget::Span(a2));
    assert_eq!(ix.links_in(a2), &out[..]);
    let link = ix.link(out[0]);
    assert_eq!((link.kind, link.flags), (LinkKind::Link, 1));
    assert_eq!(link.trace_state.map(|s| ix.str(s)), Some("dd=s:1"));
    assert_eq!(attr_str(&ix.data, link.attrs, "messaging.operation").as_deref(), Some("receive"));

    // `meta["events"]` became an event.
    let events = ix.data.events_of(ix.span(b1).events);
    assert_eq!(events.len(), 1);
    assert_eq!((ix.str(events[0].name), events[0].time), ("retry", T0 + 10_000_000));
    assert_eq!(attr(&ix.data, events[0].attrs, "attempt"), Some(Value::Int(2)));
    assert_eq!(attr(&ix.data, events[0].attrs, "ok"), Some(Value::Bool(true)));
    assert_eq!(attr(&ix.data, ix.span(b1).attrs, "events"), None);

    // Resources: a1 has env+language, a2 only env, b1 another service.
    assert_eq!(ix.data.resources.len() - 1, 3);
    let res = ix.data.resource(ix.span(a2).resource).attrs;
    assert_eq!(attr_str(&ix.data, res, "env").as_deref(), Some("prod"));
    assert_eq!(attr(&ix.data, res, "language"), None);
}

#[test]
fn v05_bad_spans_are_skipped_with_their_offsets() {
    let bytes = fixture("v05_bad_spans.msgpack");
    let ds = load_ok(bytes.clone(), "bad05.msgpack", None);
    assert_eq!(ds.spans.len(), 4, "a1, a2, b1 and the good span after the two bad ones");
    let f = &ds.files[0];
    assert_eq!(f.skipped, 2, "{:?}", f.warnings);
    let w = &f.warnings[0];
    assert!(
        w.message.contains("string index 99 is out of range (the string table has 28 entries)"),
        "{}",
        w.message
    );
    // The offset points at the bad index itself: a uint32 marker carrying 99.
    let Location::Offset(at) = w.at else { panic!("{:?}", w.at) };
    assert_eq!(&bytes[at as usize..at as usize + 5], &[0xce, 0, 0, 0, 99]);
    assert!(
        f.warnings[1].message.contains("a v0.5 span has 12 elements, this one has 11"),
        "{}",
        f.warnings[1].message
    );
    let Location::Offset(at) = f.warnings[1].at else { panic!() };
    assert_eq!(bytes[at as usize], 0x9b, "fixarray of 11");
    let ix = Index::build(ds);
    let trace_b = TraceId::from_halves(V05_TID, 0x2222);
    let b4 = span_at(&ix, trace_b, 0xb4);
    assert_eq!(ix.parent(b4), Some(span_at(&ix, trace_b, 0xb1)));
    assert!(ix.find_span(trace_b, SpanId(0xb2)).is_none());
    assert!(ix.find_span(trace_b, SpanId(0xb3)).is_none());
}

// ---------------------------------------------------------------------------------------------
// gentrace

#[test]
fn gentrace_output_matches_the_generator_summary() {
    // The summary gentrace printed when the fixture was made (see the fixture README):
    // spans=300 traces=3 links=64 (dangling=1) errors=13 events=86.
    let ds = load_ok(fixture(GENTRACE), GENTRACE, None);
    assert_eq!(ds.files[0].format, Format::DatadogMsgpackV04);
    assert_clean(&ds, "gentrace");
    assert_eq!(ds.spans.len(), 300);
    assert_eq!(ds.spans.iter().filter(|s| s.is_error()).count(), 13);
    assert_eq!(ds.events.len(), 86);
    assert!(ds.spans.iter().all(|s| s.trace_id.0 >> 64 != 0), "every chunk carries _dd.p.tid");
    assert!(ds.spans.iter().filter(|s| s.is_error()).all(|s| s.status_message.is_some()));
    // Resources are shared: far fewer than spans, and each names its span's service.
    assert!(ds.resources.len() < 40, "{} resources", ds.resources.len());
    for s in &ds.spans {
        let res = ds.resource(s.resource).attrs;
        assert_eq!(ds.find_attr(res, "service.name"), Some(Value::Str(s.service)));
    }
    let ix = Index::build(ds);
    assert_eq!(ix.traces().len(), 3);
    assert_eq!(ix.link_count(), 64);
    assert_eq!(ix.unresolved_links().count(), 1, "dangling=1");
    assert!((0..300).all(|i| !ix.is_orphan(SpanIdx(i))), "gentrace parents always resolve");
    assert_eq!(ix.traces().iter().map(|t| t.spans).sum::<u32>(), 300);
}

// ---------------------------------------------------------------------------------------------
// Hostile input

#[test]
fn truncated_msgpack_keeps_every_complete_span_before_the_cut() {
    let doc = fixture_json(AZURE);
    let bytes = to_msgpack(&doc, Ids::U64);
    // The first chunk ends after the outer header and its own encoding.
    let first_chunk_end = 1 + to_msgpack(&doc[0], Ids::U64).len();
    let mut kept_before = 0;
    for cut in 1..=bytes.len() {
        match load::load_bytes(bytes[..cut].to_vec(), "cut.msgpack", Some(Format::DatadogMsgpackV04)) {
            Ok(ds) => {
                let n = ds.spans.len();
                assert!(n >= kept_before, "cut {cut}: {n} spans, but {kept_before} at a shorter cut");
                kept_before = n;
                let f = &ds.files[0];
                if cut == bytes.len() {
                    assert_eq!((n, f.skipped), (5, 0));
                } else {
                    assert_eq!(f.skipped, 1, "cut {cut}");
                    let w = &f.warnings[0];
                    assert!(w.message.contains("spans after this point are lost"), "{}", w.message);
                    assert!(matches!(w.at, Location::Offset(o) if o as usize <= cut), "{:?}", w.at);
                }
                if cut == first_chunk_end {
                    assert_eq!(n, 4);
                    // The whole first chunk is there, tid propagated.
                    assert!(ds.spans.iter().all(|s| s.trace_id == TraceId::from_halves(AZURE_TID_A, 0)));
                }
            }
            Err(e) => {
                assert_eq!(kept_before, 0, "cut {cut}: an error after spans were readable at a shorter cut");
                let text = e.to_string();
                assert!(text.starts_with("cut.msgpack: byte "), "{text}");
                assert!(text.contains("no complete span"), "{text}");
            }
        }
    }
    assert_eq!(kept_before, 5);
}

/// Loads `bytes` as msgpack and returns the error, checking no allocation came near the size a
/// length prefix claimed.
fn huge_claim(bytes: &[u8], forced: Option<Format>) -> LoadError {
    let (result, largest) = largest_allocation(|| load::load_bytes(bytes.to_vec(), "huge.msgpack", forced));
    assert!(largest < 1 << 20, "an allocation of {largest} bytes");
    result.unwrap_err()
}

#[test]
fn length_prefixes_claiming_four_gigabytes_are_errors_without_allocating() {
    // Outer array of 4 G chunks, nothing after it.
    let e = huge_claim(&[0xdd, 0xff, 0xff, 0xff, 0xff], None);
    assert_eq!(
        e.to_string(),
        "huge.msgpack: byte 5: input ends inside a value (truncated file?); reading stopped in trace chunk 1 of \
         the 4294967295 the payload announces; no complete span before that point"
    );
    // A chunk of 4 G spans.
    let e = huge_claim(&[0x91, 0xdd, 0xff, 0xff, 0xff, 0xff], None);
    assert!(e.to_string().starts_with("huge.msgpack: byte 6: input ends inside a value"), "{e}");
    // A span map of 4 G entries.
    let e = huge_claim(&[0x91, 0x91, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'x'], None);
    assert!(e.to_string().starts_with("huge.msgpack: byte 9: input ends inside a value"), "{e}");
    // A key string of 4 GB.
    let e = huge_claim(&[0x91, 0x91, 0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, b'a'], None);
    assert!(
        e.to_string().starts_with(
            "huge.msgpack: byte 3: string length prefix claims 4294967295 bytes but only 1 are left"
        ),
        "{e}"
    );
    // A meta value of 4 GB of bin.
    let mut bytes = vec![0x91, 0x91, 0x81, 0xa4];
    bytes.extend_from_slice(b"meta");
    bytes.extend_from_slice(&[0x81, 0xa1, b'k', 0xc6, 0xff, 0xff, 0xff, 0xff, 0]);
    let e = huge_claim(&bytes, None);
    assert!(
        e.to_string().starts_with("huge.msgpack: byte 11: bin length prefix claims 4294967295 bytes"),
        "{e}"
    );
    // A v0.5 string table of 4 G entries.
    let e = huge_claim(&[0x92, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xa0], Some(Format::DatadogMsgpackV05));
    assert!(e.to_string().starts_with("huge.msgpack: byte 7: input ends inside a value"), "{e}");
}

#[test]
fn a_huge_outer_count_with_real_chunks_after_it_keeps_them() {
    let doc = fixture_json(AZURE);
    let mut bytes = vec![0xdd, 0xff, 0xff, 0xff, 0xff];
    bytes.extend(to_msgpack(&doc[0], Ids::U64));
    let (ds, largest) = largest_allocation(|| load_ok(bytes, "huge.msgpack", None));
    assert!(largest < 1 << 20, "an allocation of {largest} bytes");
    assert_eq!(ds.spans.len(), 4);
    assert_eq!(ds.files[0].skipped, 1);
    assert!(
        ds.files[0].warnings[0].message.contains("chunk 2 of the 4294967295"),
        "{:?}",
        ds.files[0].warnings
    );
}

#[test]
fn wrong_type_span_is_skipped_and_the_chunk_goes_on() {
    let mut doc = fixture_json(AZURE);
    // Span 2's trace_id becomes a string, span 3 becomes a plain integer.
    doc[0][1]["trace_id"] = json!("zero");
    doc[0][2] = json!(7);
    let bytes = to_msgpack(&doc, Ids::U64);
    let ds = load_ok(bytes.clone(), "types.msgpack", None);
    assert_eq!(ds.spans.len(), 3);
    let f = &ds.files[0];
    assert_eq!(f.skipped, 2, "{:?}", f.warnings);
    assert!(
        f.warnings[0].message.ends_with("skipped: expected an integer id, found a string"),
        "{}",
        f.warnings[0].message
    );
    let Location::Offset(at) = f.warnings[0].at else { panic!() };
    assert_eq!(&bytes[at as usize..at as usize + 5], &[0xa4, b'z', b'e', b'r', b'o']);
    assert!(f.warnings[1].message.contains("expected a map, found an integer"), "{}", f.warnings[1].message);
    let ix = Index::build(ds);
    // The span after the two bad ones still has its parent and its links.
    let send = span_at(&ix, TraceId::from_halves(AZURE_TID_A, 0), 4);
    assert_eq!(ix.name(send), "azure.servicebus.send");
    assert_eq!(ix.parent(send), Some(span_at(&ix, TraceId::from_halves(AZURE_TID_A, 0), 1)));
    assert_eq!(ix.links_out(send).len(), 2);
}

#[test]
fn negative_start_and_duration_are_repaired_with_warnings() {
    let mut doc = fixture_json(PUBSUB);
    doc[0][0]["duration"] = json!(-5);
    doc[1][0]["start"] = json!(9_223_372_036_854_775_000i64);
    doc[1][0]["duration"] = json!(9_223_372_036_854_775_000i64);
    for (form, ds, _) in all_forms(&doc) {
        assert_eq!(ds.spans.len(), 6);
        let messages: Vec<_> = ds.files[0].warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                // The one wording every loader uses for an end before its start.
                "end 1777572686409163708 ns is before start 1777572686409163713 ns; duration set to 0",
                "duration 9223372036854775000 ns overflows int64 from the start; read as 0",
            ],
            "{form}"
        );
        let clamped: Vec<_> = ds.spans.iter().filter(|s| s.has_flag(span_flags::CLAMPED_END)).collect();
        assert_eq!(clamped.len(), 2, "{form}");
        assert!(clamped.iter().all(|s| s.end == s.start));
    }
}

#[test]
fn bytes_after_the_payload_are_noted() {
    let mut bytes = to_msgpack(&fixture_json(PUBSUB), Ids::U64);
    bytes.extend_from_slice(&[0xc0, 0xc0]);
    let ds = load_ok(bytes, "tail.msgpack", None);
    assert_eq!(ds.spans.len(), 6);
    assert_eq!(ds.files[0].skipped, 0);
    assert!(ds.files[0].warnings[0].message.contains("2 bytes after the end of the payload"));
}

/// What must hold for any dataset a loader returns, however odd the input.
fn check_invariants(ds: &Dataset) {
    assert_eq!(ds.files.len(), 1);
    assert_eq!(ds.files[0].spans, ds.spans.len());
    for s in &ds.spans {
        assert!(s.end >= s.start);
        assert!(s.attrs.range().end <= ds.attrs.len());
        assert!(s.events.range().end <= ds.events.len());
        assert!(s.links.range().end <= ds.links.len());
        assert!((s.resource.0 as usize) < ds.resources.len());
    }
    for e in &ds.events {
        assert!(e.attrs.range().end <= ds.attrs.len());
    }
    for l in &ds.links {
        assert!(l.attrs.range().end <= ds.attrs.len());
        assert!(l.flags <= 0xFF);
    }
    for a in ds.all_attrs() {
        if let Value::Array(v) = a.value {
            assert!(v.range().end <= ds.values.len());
        }
    }
}

proptest! {
    #[test]
    fn random_bytes_are_an_error_or_a_sound_dataset(
        head in prop::sample::select(vec![0x90u8, 0x91, 0x92, 0x93, 0x9f, 0xdc, 0xdd, b'[']),
        body in prop::collection::vec(any::<u8>(), 0..400),
        forced in prop::sample::select(vec![None, Some(Format::DatadogMsgpackV04), Some(Format::DatadogMsgpackV05), Some(Format::DatadogJson)]),
    ) {
        let mut bytes = vec![head];
        bytes.extend(body);
        match load::load_bytes(bytes, "rand.bin", forced) {
            Ok(ds) => {
                check_invariants(&ds);
                Index::build(ds);
            }
            Err(e) => {
                let text = e.to_string();
                prop_assert!(text.starts_with("rand.bin:"), "{}", text);
                if matches!(forced, Some(Format::DatadogMsgpackV04 | Format::DatadogMsgpackV05)) {
                    prop_assert!(text.starts_with("rand.bin: byte "), "{}", text);
                }
            }
        }
    }

    #[test]
    fn mutated_payloads_never_panic_and_stay_sound(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        v05 in any::<bool>(),
    ) {
        let mut bytes = if v05 { fixture("v05_links.msgpack") } else { to_msgpack(&fixture_json(AZURE), Ids::U64) };
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let forced = if v05 { Format::DatadogMsgpackV05 } else { Format::DatadogMsgpackV04 };
        if let Ok(ds) = load::load_bytes(bytes, "mut.msgpack", Some(forced)) {
            check_invariants(&ds);
            Index::build(ds);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Performance comparison (release build, not part of the normal run):
//   python3 /work/shared/tools/gentrace.py --format datadog-msgpack --spans 100000 -o /tmp/dd100k.msgpack
//   DD_BENCH=/tmp/dd100k.msgpack cargo test --release --test datadog -- --ignored --nocapture

#[test]
#[ignore = "benchmark: needs DD_BENCH=<file> and a release build"]
fn bench_against_rmp_serde_ignored_any() {
    let path = std::env::var("DD_BENCH").expect("DD_BENCH=<datadog msgpack file>");
    let bytes = std::fs::read(&path).unwrap();
    let runs = 5;
    let best = |f: &mut dyn FnMut()| {
        (0..runs)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap()
    };
    // DD_BENCH_ONLY=weft runs only the loader (for profiling it alone).
    let only_weft = std::env::var("DD_BENCH_ONLY").is_ok_and(|v| v == "weft");
    let rmp = best(&mut || {
        if !only_weft {
            let _: serde::de::IgnoredAny = rmp_serde::from_slice(&bytes).unwrap();
        }
    });
    let mut spans = 0;
    let (mut strings, mut attrs) = (0, 0);
    let ours = best(&mut || {
        let ds = load::load_bytes(bytes.clone(), &path, Some(Format::DatadogMsgpackV04)).unwrap();
        spans = ds.spans.len();
        strings = ds.strings.len();
        attrs = ds.attrs.len();
    });
    let copy = best(&mut || {
        std::hint::black_box(bytes.clone());
    });
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "{path}: {mb:.1} MB, {spans} spans, {attrs} attributes, {strings} distinct strings\n  rmp-serde -> IgnoredAny: {rmp:?} ({:.0} MB/s)\n  weft datadog loader:     {ours:?} ({:.0} MB/s, {:.2}x IgnoredAny; includes a {copy:?} input copy)",
        mb / rmp.as_secs_f64(),
        mb / ours.as_secs_f64(),
        ours.as_secs_f64() / rmp.as_secs_f64(),
    );
    assert!(spans > 0);
}

// ---------------------------------------------------------------------------------------------
// The Datadog UI's trace JSON. No real file was found (FORMATS.md §11: the schema is doggo's Go
// struct and keep's reader); `tests/fixtures/datadog-ui/ui_trace.json` is built from that
// description.

const UI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/datadog-ui/ui_trace.json");

#[test]
fn datadog_ui_json_loads_with_its_tree_orphans_links_and_the_agent_mapping() {
    let ds = load_ok(std::fs::read(UI).unwrap(), "ui.json", None);
    assert_eq!(ds.files[0].format, Format::DatadogUiJson);
    // 1003 is listed in `trace` and again in `orphaned`: kept once, with a note.
    assert_eq!(ds.spans.len(), 4);
    assert!(ds.files[0].warnings[0].message.contains("listed twice"), "{:?}", ds.files[0].warnings);
    let ix = Index::build(ds);
    let trace = TraceId::from_halves(0x6630_f1a0_0000_0000, 6_420_185_306_441_399_295);
    let (root, consumer, client, orphan) = (
        span_at(&ix, trace, 1001),
        span_at(&ix, trace, 1002),
        span_at(&ix, trace, 1003),
        span_at(&ix, trace, 1010),
    );
    assert_eq!(ix.parent(consumer), Some(root));
    assert_eq!(ix.parent(client), Some(root));
    assert!(ix.is_orphan(orphan), "its parent 999 is not in the file");
    let ds = &ix.data;
    let r = ix.span(root);
    assert_eq!((r.start, r.end), (1_714_564_800_000_000_000, 1_714_564_800_020_000_000));
    assert_eq!(ix.span(consumer).start - r.start, 1_000_000, "seconds read to the microsecond");
    assert_eq!(r.status, StatusCode::Error);
    assert_eq!(ix.str(r.status_message.unwrap()), "payment failed");
    assert_eq!(r.kind, SpanKind::Server);
    assert_eq!(ix.service(root), "web");
    assert_eq!(attr_str(ds, r.attrs, "dd.span.Resource").as_deref(), Some("GET /checkout"));
    assert_eq!(attr(ds, r.attrs, "http.status_code"), Some(Value::Double(500.0)));
    let link = ix.links_out(consumer).next().unwrap();
    assert!(matches!(ix.link_target(link), LinkTarget::Missing { .. }));
    assert_eq!(attr_str(ds, ix.link(link).attrs, "messaging.operation").as_deref(), Some("receive"));
}

#[test]
fn datadog_ui_json_is_told_from_tempos_trace_by_structure() {
    assert_eq!(load::sniff(br#"{"trace":{"resourceSpans":[]}}"#), Some(Format::OtlpJson));
    assert_eq!(load::sniff(br#"{"trace":{"root_id":"1","spans":{}}}"#), Some(Format::DatadogUiJson));
    assert_eq!(load::sniff(br#"{"is_truncated":false,"trace":{}}"#), Some(Format::DatadogUiJson));
    // Hex and 128-bit ids read as hex, others as decimal.
    let doc = br#"{"trace":{"root_id":"a","spans":{"a":{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"a","parent_id":"0","start":1.5,"duration":0.25,"name":"n","service":"s"}}}}"#;
    let ds = load_ok(doc.to_vec(), "hex.json", None);
    let s = ds.spans[0];
    assert_eq!(s.trace_id, TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap());
    assert_eq!(s.span_id, SpanId(10));
    assert_eq!((s.start, s.end), (1_500_000_000, 1_750_000_000));
}

#[test]
fn a_truncated_datadog_ui_file_is_an_error_with_its_line_and_column() {
    let bytes = std::fs::read(UI).unwrap();
    let err = load::load_bytes(bytes[..bytes.len() / 2].to_vec(), "ui.json", None).unwrap_err();
    assert!(matches!(err.at, Location::Line { .. }), "{err}");
    assert!(err.to_string().starts_with("ui.json:"), "{err}");
    assert!(err.to_string().contains("EOF while parsing"), "{err}");
}

/// Sniffing reads keys, not a byte window: the FASTAPI snapshot (dd-trace-py's test agent) with
/// its first span's name made 165 KB long, so `trace_id` comes 165 KB into the file, is still
/// told as Datadog JSON, and loads as `--format datadog-json` loads it.
#[test]
fn a_165_kb_name_before_the_deciding_key_does_not_hide_the_format() {
    let mut doc = fixture_json(FASTAPI);
    doc[0][0]["name"] = J::String("n".repeat(165 * 1024));
    let bytes = serde_json::to_vec(&doc).unwrap();
    assert!(bytes.windows(10).position(|w| w == b"\"trace_id\"").unwrap() > 165 * 1024);
    assert_eq!(load::sniff(&bytes), Some(Format::DatadogJson));
    let sniffed = load_ok(bytes.clone(), "long-name.json", None);
    let forced = load_ok(bytes, "long-name.json", Some(Format::DatadogJson));
    assert_eq!(sniffed.files[0].format, Format::DatadogJson);
    assert_eq!(sniffed.spans, forced.spans);
    assert_eq!(sniffed.str(sniffed.spans[0].name).len(), 165 * 1024);
}
