//! `weft export` round trip: every sample trace and every fixture that loads is exported as
//! OTLP JSON, loaded back, and compared span by span (ids, parent, times, names, services,
//! kinds, status, attributes, events, links, resource and scope), order-independently.

#[path = "common/canon.rs"]
mod canon;

use canon::{canon, canon_span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use weft::cli::{ExportFormat, export};
use weft::index::Index;
use weft::load;
use weft::model::{Attr, Dataset, Format, LinkKind, REF_TYPE_KEY, Slice, Span, Value};

fn trace_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("sample-traces"), root.join("tests/fixtures")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if !matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "py")) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn round_trip(path: &Path, to: ExportFormat) -> Option<(Dataset, Dataset)> {
    let original = load::load_file(path, None).ok()?;
    if original.spans.is_empty() {
        return None;
    }
    let index = Index::build(original);
    let traces = export::select(&index, None, false);
    let mut out = Vec::new();
    export::write_as(&mut out, &index, &traces, to).unwrap();
    let back = load::load_bytes(out, "exported", None).unwrap();
    let format = match to {
        ExportFormat::OtlpJson => Format::OtlpJson,
        ExportFormat::OtlpProto => Format::OtlpProto,
    };
    assert_eq!(back.files[0].format, format, "{}", path.display());
    assert_eq!(back.files[0].skipped, 0, "{}: {:?}", path.display(), back.files[0].warnings);
    Some((index.data, back))
}

#[rstest::rstest]
fn every_sample_and_fixture_round_trips(
    #[values(ExportFormat::OtlpJson, ExportFormat::OtlpProto)] to: ExportFormat,
) {
    let mut checked = Vec::new();
    for path in trace_files() {
        let Some((original, back)) = round_trip(&path, to) else { continue };
        let (want, got) = (canon(&original, true), canon(&back, false));
        // weft's OTLP reader keeps one of several spans with the same trace id, span id, kind and
        // service (export retries; a Jaeger fixture has two such spans). Those are the only
        // spans allowed to go missing, and one of each group must come back.
        let retry_key =
            |ds: &Dataset, s: &Span| (s.trace_id, s.span_id, s.kind.as_str(), ds.str(s.service).to_owned());
        let groups: BTreeMap<_, usize> = original.spans.iter().fold(BTreeMap::new(), |mut m, s| {
            *m.entry(retry_key(&original, s)).or_insert(0) += 1;
            m
        });
        let n = back.spans.len();
        assert!(groups.len() <= n && n <= original.spans.len(), "{}: {n} spans back", path.display());
        let back_keys: std::collections::BTreeSet<_> =
            back.spans.iter().map(|s| retry_key(&back, s)).collect();
        let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
        let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).take(2).collect();
        assert!(
            extra.is_empty(),
            "{}: spans changed in the round trip: {extra:#?}\nmissing: {missing:#?}",
            path.display()
        );
        for s in &original.spans {
            if missing.contains(&&canon_span(&original, s, true)) {
                let key = retry_key(&original, s);
                assert!(groups[&key] > 1 && back_keys.contains(&key), "{}: lost {key:?}", path.display());
            }
        }
        checked.push(path);
    }
    // 4 formats × samples plus the fixtures: a loader change that breaks loading most of them
    // must not turn this test into a no-op.
    assert!(checked.len() >= 40, "only {} files round-tripped: {checked:?}", checked.len());
    for name in ["scatter-gather.otlp.json", "message-aggregation.dd.msgpack", "jaeger_ui_01.json"] {
        assert!(checked.iter().any(|p| p.ends_with(name)), "{name} was not checked");
    }
}

#[test]
fn linked_export_holds_exactly_the_linked_set() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ds = load::load_file(&root.join("sample-traces/scatter-gather.otlp.json"), None).unwrap();
    let index = Index::build(ds);
    // A shard trace: its set is reached only through the gather trace (two hops to the others).
    let shard = index
        .traces()
        .iter()
        .position(|t| index.service(t.root).starts_with("inventory-shard-0"))
        .map(|i| weft::index::TraceIdx(i as u32))
        .unwrap();
    let alone = export::select(&index, Some(shard), false);
    assert_eq!(alone, vec![shard]);
    let linked = export::select(&index, Some(shard), true);
    assert_eq!(linked.len(), index.traces().len());
    let mut out = Vec::new();
    export::write(&mut out, &index, &alone).unwrap();
    let back = load::load_bytes(out, "one.json", None).unwrap();
    let want = index.trace(shard);
    assert_eq!(back.spans.len(), want.spans as usize);
    assert!(back.spans.iter().all(|s| s.trace_id == want.id));
}

#[test]
fn writes_the_protobuf_json_mapping() {
    // One span with every value kind, built in code, checked field by field in the JSON text.
    let mut ds = Dataset::new();
    ds.files.push(weft::model::FileInfo::new("mem", Format::OtlpJson));
    let (n, svc, k) = (ds.intern("op"), ds.intern("svc"), ds.intern("k"));
    let inner = ds.add_array(&[Value::Int(i64::MIN), Value::Double(f64::NAN)]);
    let map = ds.add_attrs(&[Attr { key: k, value: inner }]);
    let b = ds.intern("AQID");
    let attrs = ds.add_attrs(&[
        Attr { key: k, value: Value::Map(map) },
        Attr { key: k, value: Value::Bytes(b) },
        Attr { key: k, value: Value::Double(f64::NEG_INFINITY) },
        Attr { key: k, value: Value::Empty },
    ]);
    let mut span = Span::new(
        weft::model::TraceId(0xab),
        weft::model::SpanId(0xcd),
        weft::model::SpanId(0),
        u64::MAX - 1,
        u64::MAX,
        n,
        svc,
    );
    span.attrs = attrs;
    span.kind = weft::model::SpanKind::Consumer;
    span.status = weft::model::StatusCode::Error;
    span.links = ds.add_links(&[weft::model::Link {
        trace_id: weft::model::TraceId(1),
        span_id: weft::model::SpanId(2),
        trace_state: None,
        flags: 0x101,
        kind: LinkKind::FollowsFrom,
        attrs: Slice::default(),
    }]);
    ds.spans.push(span);
    let index = Index::build(ds);
    let mut out = Vec::new();
    export::write(&mut out, &index, &export::select(&index, None, false)).unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rs = &j["resourceSpans"][0];
    assert_eq!(rs["resource"]["attributes"][0]["key"], "service.name");
    assert_eq!(rs["resource"]["attributes"][0]["value"]["stringValue"], "svc");
    assert!(rs["scopeSpans"][0].get("scope").is_none());
    let s = &rs["scopeSpans"][0]["spans"][0];
    assert_eq!(s["traceId"], "000000000000000000000000000000ab");
    assert_eq!(s["spanId"], "00000000000000cd");
    assert!(s.get("parentSpanId").is_none());
    assert_eq!(s["startTimeUnixNano"], (u64::MAX - 1).to_string());
    assert_eq!(s["endTimeUnixNano"], u64::MAX.to_string());
    assert_eq!(s["kind"], 5);
    assert_eq!(s["status"]["code"], 2);
    let a = &s["attributes"];
    let nested = &a[0]["value"]["kvlistValue"]["values"][0]["value"]["arrayValue"]["values"];
    assert_eq!(nested[0]["intValue"], i64::MIN.to_string());
    assert_eq!(nested[1]["doubleValue"], "NaN");
    assert_eq!(a[1]["value"]["bytesValue"], "AQID");
    assert_eq!(a[2]["value"]["doubleValue"], "-Infinity");
    assert_eq!(a[3]["value"], serde_json::json!({}));
    let l = &s["links"][0];
    assert_eq!(l["flags"], 0x101);
    assert_eq!(l["attributes"][0]["key"], REF_TYPE_KEY);
    assert_eq!(l["attributes"][0]["value"]["stringValue"], "follows_from");
}

// ---- the binary: exit codes, --linked, and `links --graph` ----

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces").join(name)
}

fn weft() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("weft").unwrap()
}

/// The gather trace of the scatter-gather sample (checkout) and one of its shard traces.
const GATHER: &str = "1f0fa39f9f2841a84136f647e65ae7a2";
const SHARD_0: &str = "1c584a6c84c271072739cdb772aae44e";

#[test]
fn export_command_writes_a_file_weft_reads_back_and_uses_the_cli_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("linked.json");
    let sg = sample("scatter-gather.otlp.json");
    weft().arg("export").arg(&sg).args(["--trace", "1c58", "--linked", "-o"]).arg(&out).assert().success();
    let back = load::load_file(&out, None).unwrap();
    let index = Index::build(back);
    assert_eq!(index.traces().len(), 5);
    assert_eq!(index.span_count(), 85);
    assert_eq!(index.unresolved_links().count(), 0);
    // `--to otlp-proto`: one protobuf message, the same spans.
    let pb = dir.path().join("linked.binpb");
    weft()
        .arg("export")
        .arg(&sg)
        .args(["--trace", "1c58", "--linked", "--to", "otlp-proto", "-o"])
        .arg(&pb)
        .assert()
        .success();
    let from_pb = load::load_file(&pb, None).unwrap();
    assert_eq!(from_pb.files[0].format, Format::OtlpProto);
    assert_eq!(canon(&from_pb, false), canon(&index.data, false));

    weft()
        .arg("export")
        .arg(&sg)
        .args(["--trace", "ffff", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("ffff"));
    weft().arg("export").arg(&sg).args(["--linked", "-o"]).arg(&out).assert().code(2);
    let bad = dir.path().join("no-such-dir").join("x.json");
    weft()
        .arg("export")
        .arg(&sg)
        .arg("-o")
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no-such-dir"));
}

#[test]
fn links_graph_json_lists_the_linked_set_with_depths_and_edges() {
    let out = weft()
        .arg("links")
        .arg(sample("scatter-gather.otlp.json"))
        .args(["--trace", SHARD_0, "--graph", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["root"], SHARD_0);
    let traces = j["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 5);
    assert_eq!(traces[0]["trace_id"], SHARD_0);
    assert_eq!(traces[0]["depth"], 0);
    assert_eq!(traces[1]["trace_id"], GATHER);
    assert_eq!((traces[1]["depth"].as_u64(), traces[1]["parent"].as_str()), (Some(1), Some(SHARD_0)));
    assert_eq!(traces[1]["root_service"], "checkout");
    assert!(traces[1]["start_offset_ns"].as_i64().unwrap() < 0, "the gather starts before its shard");
    for t in &traces[2..] {
        assert_eq!((t["depth"].as_u64(), t["parent"].as_str()), (Some(2), Some(GATHER)));
        assert_eq!((t["links_to_parent"].as_u64(), t["links_from_parent"].as_u64()), (Some(1), Some(1)));
    }
    // The gather links to each shard and each shard back: 8 directed edges of one link each.
    let edges = j["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 8);
    assert!(edges.iter().all(|e| e["links"] == 1));
    assert_eq!(edges.iter().filter(|e| e["from"] == GATHER).count(), 4);
}

#[test]
fn links_graph_text_is_an_indented_tree_and_needs_a_trace() {
    let sg = sample("scatter-gather.otlp.json");
    let out = weft().arg("links").arg(&sg).args(["--trace", GATHER, "--graph"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(GATHER), "{text}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("  ↗1 ↙1 ")).count(), 4, "{text}");
    assert!(text.contains("inventory-shard-2: kafka.consume inventory.shard-requests"), "{text}");
    assert!(text.contains("1 error"), "{text}");
    assert_eq!(lines.last(), Some(&"5 traces joined by 8 links between them"));
    weft().arg("links").arg(&sg).arg("--graph").assert().code(2);
}
