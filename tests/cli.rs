//! The command line: rendering functions on a `Dataset` built in code, and the built binary on
//! tiny OTLP JSON files written to a temp dir (exit codes, stderr, JSON contract).

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value as J;
use weft::cli::ids::{self, Selection};
use weft::cli::{info, links, tree};
use weft::index::Index;
use weft::model::{
    Attr, Dataset, FileInfo, Format, Link, LinkKind, Location, Span, SpanId, StatusCode, TraceId, Value,
};

// ---- a small dataset built in code ----

/// 2024-05-01 12:00:00 UTC.
const T0: u64 = 1_714_564_800_000_000_000;
const US: u64 = 1_000;
const MS: u64 = 1_000_000;

const TRACE_A: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;
const TRACE_B: u128 = 0x5b8efff798038103d269b633813fc60c;
/// Shares the prefix `4bf9` with A.
const TRACE_C: u128 = 0x4bf9aaaa000000000000000000000001;
/// Named by a link but not loaded.
const TRACE_MISSING: u128 = 0xabcdef00000000000000000000000001;

const ROOT: u64 = 0x00f067aa0ba902b7;
const CHILD: u64 = 0xb7ad6b7169203331;
const GRANDCHILD: u64 = 0x0102030405060708;
const ORPHAN: u64 = 0x1111111111111111;
const CONSUMER: u64 = 0x2222222222222222;
const LONER: u64 = 0x3333333333333333;

/// Trace A: root `frontend: GET /` (linking to B's consumer), its child `backend: SELECT` (an
/// error), a grandchild whose name holds an escape sequence and which ends after the root, and
/// an orphan listed FIRST in the file but starting later than the root.
/// Trace B: one consumer span with a resolved link into A (typed attributes) and an unresolved
/// one. Trace C: one span, sharing A's id prefix.
fn dataset() -> Dataset {
    let mut ds = Dataset::new();
    let mut file = FileInfo::new("mem.json", Format::OtlpJson);
    file.skip(Location::Line { line: 7, column: 3 }, "span has no traceId");
    ds.files.push(file);
    let mut sym = |s: &str| ds.intern(s);
    let (frontend, backend, cache, worker, other) =
        (sym("frontend"), sym("backend"), sym("cache"), sym("worker"), sym("other"));
    let (get, select, fetch, refresh, consume, x) =
        (sym("GET /"), sym("SELECT"), sym("fetch\x1b[31m"), sym("refresh"), sym("consume"), sym("x"));

    let (a, b) = (TraceId(TRACE_A), TraceId(TRACE_B));
    let no_parent = SpanId(0);

    let orphan = Span::new(a, SpanId(ORPHAN), SpanId(0xdead), T0 + 200 * US, T0 + 300 * US, refresh, cache);
    let mut root = Span::new(a, SpanId(ROOT), no_parent, T0, T0 + 1500 * US, get, frontend);
    root.links = ds.add_links(&[Link {
        trace_id: b,
        span_id: SpanId(CONSUMER),
        trace_state: None,
        flags: 0,
        kind: LinkKind::Link,
        attrs: Default::default(),
    }]);
    let mut child = Span::new(a, SpanId(CHILD), SpanId(ROOT), T0 + 100 * US, T0 + 900 * US, select, backend);
    child.status = StatusCode::Error;
    let grandchild =
        Span::new(a, SpanId(GRANDCHILD), SpanId(CHILD), T0 + 150 * US, T0 + 2 * MS, fetch, backend);

    // Typed link attributes, nested values built first (arena order).
    let (k_op, k_n, k_ok, k_ratio, k_arr, k_map, k_bytes, k_inner) = (
        ds.intern("op"),
        ds.intern("n"),
        ds.intern("ok"),
        ds.intern("ratio"),
        ds.intern("arr"),
        ds.intern("m"),
        ds.intern("raw"),
        ds.intern("k"),
    );
    let (receive, s_x, v, b64, ts) =
        (ds.intern("receive"), ds.intern("x"), ds.intern("v"), ds.intern("AAE="), ds.intern("vendor=1"));
    let arr = ds.add_array(&[Value::Int(1), Value::Str(s_x)]);
    let inner = ds.add_attrs(&[Attr { key: k_inner, value: Value::Str(v) }]);
    let attrs = ds.add_attrs(&[
        Attr { key: k_op, value: Value::Str(receive) },
        Attr { key: k_n, value: Value::Int(3) },
        Attr { key: k_ok, value: Value::Bool(true) },
        Attr { key: k_ratio, value: Value::Double(0.5) },
        Attr { key: k_arr, value: arr },
        Attr { key: k_map, value: Value::Map(inner) },
        Attr { key: k_bytes, value: Value::Bytes(b64) },
    ]);
    let mut consumer = Span::new(b, SpanId(CONSUMER), no_parent, T0 + 5 * MS, T0 + 6 * MS, consume, worker);
    consumer.links = ds.add_links(&[
        Link {
            trace_id: a,
            span_id: SpanId(CHILD),
            trace_state: Some(ts),
            flags: 0,
            kind: LinkKind::FollowsFrom,
            attrs,
        },
        Link {
            trace_id: TraceId(TRACE_MISSING),
            span_id: SpanId(0x1234),
            trace_state: None,
            flags: 0,
            kind: LinkKind::Link,
            attrs: Default::default(),
        },
    ]);
    let loner = Span::new(TraceId(TRACE_C), SpanId(LONER), no_parent, T0 + 10 * MS, T0 + 11 * MS, x, other);

    ds.spans.extend([orphan, root, child, grandchild, consumer, loner]);
    ds.files[0].spans = ds.spans.len();
    ds
}

fn index() -> Index {
    Index::build(dataset())
}

fn text(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn sel(index: &Index, trace: Option<&str>, span: Option<&str>) -> Selection {
    ids::resolve(index, trace, span).unwrap()
}

// ---- id resolution ----

#[test]
fn trace_ids_resolve_in_full_any_case_or_by_unique_prefix() {
    let index = index();
    let a = index.find_trace(TraceId(TRACE_A)).unwrap();
    assert_eq!(sel(&index, Some("4BF92F3577B34DA6A3CE929D0E0E4736"), None).trace, Some(a));
    assert_eq!(sel(&index, Some("4bf92"), None).trace, Some(a));
    let b = index.find_trace(TraceId(TRACE_B)).unwrap();
    assert_eq!(sel(&index, Some("5B8E"), None).trace, Some(b));
}

#[test]
fn ambiguous_short_and_unknown_trace_ids_are_usage_errors_naming_candidates() {
    let index = index();
    let err = ids::resolve(&index, Some("4bf9"), None).unwrap_err().0;
    assert!(err.contains("matches 2 traces"), "{err}");
    assert!(err.contains(&format!("{TRACE_A:032x}")) && err.contains(&format!("{TRACE_C:032x}")), "{err}");
    let err = ids::resolve(&index, Some("4bf"), None).unwrap_err().0;
    assert!(err.contains("at least 4"), "{err}");
    let err = ids::resolve(&index, Some("ffff"), None).unwrap_err().0;
    assert!(err.contains("no loaded trace id starts with 'ffff'"), "{err}");
    let err = ids::resolve(&index, Some(&format!("{TRACE_MISSING:032x}")), None).unwrap_err().0;
    assert!(err.contains("no loaded trace has id"), "{err}");
    let err = ids::resolve(&index, Some("xyz\x1b"), None).unwrap_err().0;
    assert!(err.contains("'xyz\\x1b' is not a hex trace id"), "{err}");
}

#[test]
fn sixty_four_bit_trace_ids_match_without_their_leading_zeros() {
    let mut ds = Dataset::new();
    let n = ds.intern("n");
    ds.spans.push(Span::new(TraceId(0x1234_5678_9abc_def0), SpanId(1), SpanId(0), 0, 1, n, n));
    let index = Index::build(ds);
    assert_eq!(
        sel(&index, Some("123456789ABCDEF0"), None).trace,
        index.find_trace(TraceId(0x1234_5678_9abc_def0))
    );
    assert!(sel(&index, Some("12345"), None).trace.is_some());
    assert!(sel(&index, Some("0000000000000000123"), None).trace.is_some());
}

#[test]
fn span_ids_resolve_alone_or_within_the_trace_and_select_their_trace() {
    let index = index();
    let s = sel(&index, None, Some("B7AD6B7169203331"));
    let child = index.find_span(TraceId(TRACE_A), SpanId(CHILD)).unwrap();
    assert_eq!(s.span, Some(child));
    assert_eq!(s.trace, Some(index.trace_of(child)));
    let err = ids::resolve(&index, Some("5b8e"), Some("b7ad6b7169203331")).unwrap_err().0;
    assert!(err.contains(&format!("trace {TRACE_B:032x} has no span b7ad6b7169203331")), "{err}");
    let err = ids::resolve(&index, None, Some("42")).unwrap_err().0;
    assert!(err.contains("no loaded span has id 0000000000000042"), "{err}");
}

#[test]
fn a_span_id_in_several_traces_asks_for_the_trace() {
    let mut ds = Dataset::new();
    let n = ds.intern("n");
    ds.spans.push(Span::new(TraceId(1), SpanId(7), SpanId(0), 0, 1, n, n));
    ds.spans.push(Span::new(TraceId(2), SpanId(7), SpanId(0), 0, 1, n, n));
    let index = Index::build(ds);
    let err = ids::resolve(&index, None, Some("7")).unwrap_err().0;
    assert!(err.contains("span 0000000000000007 is in 2 traces"), "{err}");
    assert!(err.contains("--trace 00000000000000000000000000000002 --span 0000000000000007"), "{err}");
}

// ---- tree ----

#[test]
fn tree_indents_by_depth_with_offsets_durations_and_markers() {
    let index = index();
    let a = sel(&index, Some("4bf92"), None).trace;
    let out = text(|w| tree::write(w, &index, a));
    let expected = "\
trace 4bf92f3577b34da6a3ce929d0e0e4736 · 4 spans · 2.00ms · 1 error · links ↗1 ↙1
00f067aa0ba902b7       +0ns    1.50ms  frontend: GET /  ↗1
b7ad6b7169203331     +100µs     800µs    backend: SELECT  [error] ↙1
0102030405060708     +150µs    1.85ms      backend: fetch\\x1b[31m
1111111111111111     +200µs     100µs  cache: refresh  [orphan: parent 000000000000dead not loaded]
";
    assert_eq!(out, expected);
}

#[test]
fn tree_without_trace_prints_every_trace_in_start_order() {
    let index = index();
    let out = text(|w| tree::write(w, &index, None));
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("trace ")).map(|l| &l[6..38]).collect();
    assert_eq!(headers, [format!("{TRACE_A:032x}"), format!("{TRACE_B:032x}"), format!("{TRACE_C:032x}")]);
    assert!(out.contains("2222222222222222       +0ns    1.00ms  worker: consume  ↗2 ↙1\n"), "{out}");
    assert_eq!(out.matches("\n\ntrace ").count(), 2, "traces are separated by one blank line");
}

// ---- info ----

#[test]
fn info_text_lists_totals_files_skips_and_traces_escaped() {
    let index = index();
    let out = text(|w| info::write_text(w, &index, &[]));
    assert!(out.starts_with("1 file · 3 traces · 6 spans · 3 links (1 unresolved)\n"), "{out}");
    assert!(out.contains("otlp-json                      6        1  mem.json\n"), "{out}");
    assert!(out.contains("mem.json: skipped 1 record"), "{out}");
    assert!(out.contains("mem.json:7:3: span has no traceId"), "{out}");
    let row_a = out.lines().find(|l| l.starts_with(&format!("{TRACE_A:032x}"))).unwrap();
    assert!(row_a.contains("2024-05-01 12:00:00.000Z"), "{row_a}");
    assert!(row_a.contains("       4    2.00ms       1  ↗1 ↙1"), "{row_a}");
    assert!(row_a.ends_with("frontend: GET /"), "{row_a}");
    assert!(!out.contains('\x1b'));
}

#[test]
fn info_human_output_escapes_control_characters_in_names() {
    let mut ds = Dataset::new();
    let (name, service) = (ds.intern("evil\x1b]52;c;aGk=\x07"), ds.intern("svc\u{202e}"));
    ds.files.push(FileInfo::new("x.json", Format::OtlpJson));
    ds.spans.push(Span::new(TraceId(9), SpanId(9), SpanId(0), 0, 1, name, service));
    let index = Index::build(ds);
    let out = text(|w| info::write_text(w, &index, &[]));
    assert!(out.contains("svc\\u{202e}: evil\\x1b]52;c;aGk=\\x07"), "{out}");
    assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\u{202e}'));
    let out = text(|w| tree::write(w, &index, None));
    assert!(out.contains("svc\\u{202e}: evil\\x1b]52;c;aGk=\\x07"), "{out}");
    assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\u{202e}'));
}

fn info_json(index: &Index) -> J {
    let out = text(|w| info::write_json(w, index, &[]));
    assert_eq!(out.lines().count(), 1, "one object on one line");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn info_json_has_the_contract_keys_and_values() {
    let index = index();
    let j = info_json(&index);
    assert_eq!(j["traces"], 3);
    assert_eq!(j["spans"], 6);
    assert_eq!(j["unresolved_links"], 1);
    assert_eq!(j["links"].as_array().unwrap().len(), 3);
    assert_eq!(
        j["files"],
        serde_json::json!([{
            "path": "mem.json", "format": "otlp-json", "spans": 6, "logs": 0, "skipped": 1,
            "warnings": [{"skipped": true, "line": 7, "column": 3, "message": "span has no traceId"}],
            "other_signals": {"metrics": 0, "log_records": 0},
        }])
    );
    let list = j["trace_list"].as_array().unwrap();
    let ids: Vec<&str> = list.iter().map(|t| t["trace_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [format!("{TRACE_A:032x}"), format!("{TRACE_B:032x}"), format!("{TRACE_C:032x}")]);
    let a = &list[0];
    // The orphan is parentless and first in the file, but the root is the EARLIEST parentless span.
    assert_eq!(a["root_service"], "frontend");
    assert_eq!(a["root_name"], "GET /");
    assert_eq!(a["spans"], 4);
    assert_eq!(a["start_unix_nano"], T0);
    // Latest end (the grandchild, after the root ends) minus earliest start.
    assert_eq!(a["duration_ns"], 2 * MS);
    assert_eq!(a["errors"], 1);
    assert_eq!(a["links_out"], 1);
    assert_eq!(a["links_in"], 1);
    let b = &list[1];
    assert_eq!(
        (b["links_out"].as_u64(), b["links_in"].as_u64(), b["errors"].as_u64()),
        (Some(2), Some(1), Some(0))
    );
}

#[test]
fn json_ids_are_lowercase_and_full_length_even_when_small() {
    let mut ds = Dataset::new();
    let n = ds.intern("n");
    let mut span = Span::new(TraceId(0xAB), SpanId(0xC), SpanId(0), 0, 1, n, n);
    span.links = ds.add_links(&[Link {
        trace_id: TraceId(0xD),
        span_id: SpanId(0xE),
        trace_state: None,
        flags: 0,
        kind: LinkKind::ChildOf,
        attrs: Default::default(),
    }]);
    ds.spans.push(span);
    let index = Index::build(ds);
    let j = info_json(&index);
    assert_eq!(j["trace_list"][0]["trace_id"], "000000000000000000000000000000ab");
    let link = &j["links"][0];
    assert_eq!(link["source"]["trace_id"], "000000000000000000000000000000ab");
    assert_eq!(link["source"]["span_id"], "000000000000000c");
    assert_eq!(link["target"]["trace_id"], "0000000000000000000000000000000d");
    assert_eq!(link["target"]["span_id"], "000000000000000e");
    assert_eq!(link["kind"], "child_of");
}

// ---- links ----

fn json_lines(index: &Index, s: Selection) -> Vec<J> {
    let chosen = links::select(index, s);
    let out = text(|w| links::write_json(w, index, &chosen));
    out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn links_json_lines_keep_attribute_types_and_mark_unresolved() {
    let index = index();
    let lines = json_lines(&index, Selection::default());
    assert_eq!(lines.len(), 3);
    let typed = lines.iter().find(|l| l["kind"] == "follows_from").unwrap();
    assert_eq!(
        typed["source"],
        serde_json::json!({"trace_id": format!("{TRACE_B:032x}"), "span_id": format!("{CONSUMER:016x}")})
    );
    assert_eq!(
        typed["target"],
        serde_json::json!({"trace_id": format!("{TRACE_A:032x}"), "span_id": format!("{CHILD:016x}")})
    );
    assert_eq!(typed["resolved"], true);
    assert_eq!(typed["trace_state"], "vendor=1");
    assert_eq!(
        typed["attributes"],
        serde_json::json!({"op": "receive", "n": 3, "ok": true, "ratio": 0.5, "arr": [1, "x"], "m": {"k": "v"}, "raw": "AAE="})
    );
    assert!(typed.get("direction").is_none(), "direction only with --span");
    let missing: Vec<&J> = lines.iter().filter(|l| l["resolved"] == false).collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["target"]["trace_id"], format!("{TRACE_MISSING:032x}"));
    assert_eq!(missing[0]["target"]["span_id"], "0000000000001234");
    assert_eq!(missing[0]["attributes"], serde_json::json!({}));
}

#[test]
fn links_of_a_span_come_with_their_direction_both_ways() {
    let index = index();
    // The child span: no outgoing links, one incoming (from B's consumer).
    let lines = json_lines(&index, sel(&index, None, Some(&format!("{CHILD:x}"))));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["direction"], "in");
    assert_eq!(lines[0]["source"]["span_id"], format!("{CONSUMER:016x}"));
    // The consumer: two outgoing, one incoming (from A's root).
    let lines = json_lines(&index, sel(&index, None, Some(&format!("{CONSUMER:x}"))));
    let dirs: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["direction"].as_str().unwrap(), l["target"]["span_id"].as_str().unwrap()))
        .collect();
    assert_eq!(dirs, [("out", "b7ad6b7169203331"), ("out", "0000000000001234"), ("in", "2222222222222222")]);
}

#[test]
fn links_of_a_trace_include_those_pointing_into_it() {
    let index = index();
    let lines = json_lines(&index, sel(&index, Some("4bf92f"), None));
    let pairs: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["source"]["span_id"].as_str().unwrap(), l["target"]["span_id"].as_str().unwrap()))
        .collect();
    assert_eq!(pairs, [("00f067aa0ba902b7", "2222222222222222"), ("2222222222222222", "b7ad6b7169203331")]);
    assert!(json_lines(&index, sel(&index, Some("4bf9aa"), None)).is_empty());
}

#[test]
fn links_text_shows_ids_labels_attributes_and_direction() {
    let index = index();
    let chosen = links::select(&index, sel(&index, None, Some(&format!("{CHILD:x}"))));
    let out = text(|w| links::write_text(w, &index, &chosen));
    let expected = format!(
        "in  {TRACE_B:032x}/{CONSUMER:016x} → {TRACE_A:032x}/{CHILD:016x}  follows_from\n        worker: consume → backend: SELECT\n        op=receive  n=3  ok=true  ratio=0.5  arr=[1, x]  m={{k: v}}  raw=base64:AAE=\n        tracestate=vendor=1\n1 link (0 unresolved)\n"
    );
    assert_eq!(out, expected);
}

// ---- the binary ----

fn weft() -> Command {
    Command::cargo_bin("weft").unwrap()
}

#[test]
fn help_of_every_command_documents_the_exit_codes() {
    for args in [
        &["--help"][..],
        &["info", "--help"],
        &["links", "--help"],
        &["tree", "--help"],
        &["diff", "--help"],
        &["help", "tree"],
    ] {
        weft()
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Exit codes:"))
            .stdout(predicate::str::contains("0  success"))
            .stdout(predicate::str::contains("1  an input could not be loaded"))
            .stdout(predicate::str::contains("2  usage error"));
    }
}

#[test]
fn a_missing_file_exits_1_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.json");
    weft()
        .arg("info")
        .arg(&path)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(format!("error: {}: ", path.display())));
}

#[test]
fn bad_options_are_usage_errors() {
    weft().args(["tree", "x.json", "--trace"]).assert().code(2);
    weft().args(["info"]).assert().code(2).stderr(predicate::str::contains("<PATH>"));
    weft().args(["info", "x.json", "--format", "yaml"]).assert().code(2);
}

#[test]
fn a_folder_without_traces_lists_its_files_as_skipped_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello\n").unwrap();
    weft()
        .arg("info")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("skipped file {}", dir.path().join("notes.txt").display())))
        .stderr(predicate::str::contains("no trace files found"));
}

// ---- the binary on OTLP JSON files ----

/// One OTLP span as JSON; times are offsets from `T0` in µs; `extra` adds fields (`,"k":v`).
fn otlp_span(
    trace: u128,
    span: u64,
    parent: Option<u64>,
    name: &str,
    start_us: u64,
    end_us: u64,
    extra: &str,
) -> String {
    let parent = parent.map_or(String::new(), |p| format!(r#""parentSpanId":"{p:016x}","#));
    let name = serde_json::to_string(name).unwrap();
    let (start, end) = (T0 + start_us * US, T0 + end_us * US);
    format!(
        r#"{{"traceId":"{trace:032X}","spanId":"{span:016x}",{parent}"name":{name},"kind":2,"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}"{extra}}}"#
    )
}

/// A document with one resource per (service, spans) group.
fn otlp_doc(groups: &[(&str, Vec<String>)]) -> String {
    let resources: Vec<String> = groups
        .iter()
        .map(|(service, spans)| {
            format!(
                r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"scope":{{"name":"t"}},"spans":[{}]}}]}}"#,
                spans.join(",\n")
            )
        })
        .collect();
    format!("{{\"resourceSpans\":[\n{}\n]}}\n", resources.join(",\n"))
}

/// The in-code `dataset()` as an OTLP JSON file (the orphan first, as there).
fn fixture_json() -> String {
    let link_to_consumer = format!(r#","links":[{{"traceId":"{TRACE_B:032x}","spanId":"{CONSUMER:016x}"}}]"#);
    let typed_attrs = r#"[{"key":"op","value":{"stringValue":"receive"}},{"key":"n","value":{"intValue":"3"}},{"key":"ok","value":{"boolValue":true}},{"key":"ratio","value":{"doubleValue":0.5}},{"key":"arr","value":{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"x"}]}}},{"key":"m","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},{"key":"raw","value":{"bytesValue":"AAE="}}]"#;
    let consumer_links = format!(
        r#","links":[{{"traceId":"{TRACE_A:032x}","spanId":"{CHILD:016x}","traceState":"vendor=1","attributes":{typed_attrs}}},{{"traceId":"{TRACE_MISSING:032x}","spanId":"{:016x}"}}]"#,
        0x1234
    );
    let error = r#","status":{"code":2}"#;
    otlp_doc(&[
        ("cache", vec![otlp_span(TRACE_A, ORPHAN, Some(0xdead), "refresh", 200, 300, "")]),
        ("frontend", vec![otlp_span(TRACE_A, ROOT, None, "GET /", 0, 1500, &link_to_consumer)]),
        (
            "backend",
            vec![
                otlp_span(TRACE_A, CHILD, Some(ROOT), "SELECT", 100, 900, error),
                otlp_span(TRACE_A, GRANDCHILD, Some(CHILD), "fetch\x1b[31m", 150, 2000, ""),
            ],
        ),
        ("worker", vec![otlp_span(TRACE_B, CONSUMER, None, "consume", 5000, 6000, &consumer_links)]),
        ("other", vec![otlp_span(TRACE_C, LONER, None, "x", 10_000, 11_000, "")]),
    ])
}

fn write(dir: &tempfile::TempDir, name: &str, content: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn stdout_of(assert: assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

#[test]
fn binary_info_json_matches_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "t.json", &fixture_json());
    let out = stdout_of(weft().arg("info").arg(&path).arg("--json").assert().success().stderr(""));
    assert_eq!(out.lines().count(), 1);
    let j: J = serde_json::from_str(&out).unwrap();
    for key in ["traces", "spans", "links", "unresolved_links", "files", "trace_list"] {
        assert!(j.get(key).is_some(), "missing {key}");
    }
    assert_eq!(
        (j["traces"].as_u64(), j["spans"].as_u64(), j["unresolved_links"].as_u64()),
        (Some(3), Some(6), Some(1))
    );
    assert_eq!(j["files"][0]["path"], path.display().to_string());
    assert_eq!(j["files"][0]["format"], "otlp-json");
    assert_eq!((j["files"][0]["spans"].as_u64(), j["files"][0]["skipped"].as_u64()), (Some(6), Some(0)));
    assert_eq!(j["files"][0]["other_signals"], serde_json::json!({"metrics": 0, "log_records": 0}));
    let a = &j["trace_list"][0];
    // The file's trace id was upper case; JSON ids are lower case, 32 digits.
    assert_eq!(a["trace_id"], format!("{TRACE_A:032x}"));
    assert_eq!((a["root_service"].as_str(), a["root_name"].as_str()), (Some("frontend"), Some("GET /")));
    assert_eq!((a["start_unix_nano"].as_u64(), a["duration_ns"].as_u64()), (Some(T0), Some(2 * MS)));
    assert_eq!((a["spans"].as_u64(), a["errors"].as_u64()), (Some(4), Some(1)));
    assert_eq!((a["links_out"].as_u64(), a["links_in"].as_u64()), (Some(1), Some(1)));
    for link in j["links"].as_array().unwrap() {
        for end in ["source", "target"] {
            assert_eq!(link[end]["trace_id"].as_str().unwrap().len(), 32);
            assert_eq!(link[end]["span_id"].as_str().unwrap().len(), 16);
        }
    }
}

#[test]
fn binary_links_json_lines_with_unresolved_and_span_directions() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "t.json", &fixture_json());
    let out = stdout_of(weft().arg("links").arg(&path).arg("--json").assert().success());
    let lines: Vec<J> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    let unresolved: Vec<&J> = lines.iter().filter(|l| l["resolved"] == false).collect();
    assert_eq!(unresolved.len(), 1);
    assert_eq!(unresolved[0]["target"]["trace_id"], format!("{TRACE_MISSING:032x}"));
    let typed = lines.iter().find(|l| l["target"]["span_id"] == format!("{CHILD:016x}")).unwrap();
    assert_eq!(typed["resolved"], true);
    assert_eq!(
        typed["attributes"],
        serde_json::json!({"op": "receive", "n": 3, "ok": true, "ratio": 0.5, "arr": [1, "x"], "m": {"k": "v"}, "raw": "AAE="})
    );

    let out = stdout_of(
        weft()
            .arg("links")
            .arg(&path)
            .args(["--json", "--span", &format!("{CONSUMER:X}")])
            .assert()
            .success(),
    );
    let dirs: Vec<(String, String, String)> = out
        .lines()
        .map(|l| serde_json::from_str::<J>(l).unwrap())
        .map(|l| {
            let s = |v: &J| v.as_str().unwrap().to_owned();
            (s(&l["direction"]), s(&l["source"]["span_id"]), s(&l["target"]["span_id"]))
        })
        .collect();
    let (consumer, child, root) =
        (format!("{CONSUMER:016x}"), format!("{CHILD:016x}"), format!("{ROOT:016x}"));
    assert_eq!(
        dirs,
        [
            ("out".into(), consumer.clone(), child),
            ("out".into(), consumer.clone(), "0000000000001234".into()),
            ("in".into(), root, consumer),
        ]
    );
}

#[test]
fn binary_tree_selects_a_trace_by_prefix_and_escapes_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "t.json", &fixture_json());
    let out = stdout_of(weft().arg("tree").arg(&path).args(["--trace", "4BF92"]).assert().success());
    assert!(out.starts_with(&format!("trace {TRACE_A:032x} · 4 spans")), "{out}");
    assert_eq!(out.lines().count(), 5, "{out}");
    assert!(out.contains("    backend: fetch\\x1b[31m\n"), "{out}");
    assert!(!out.contains('\x1b'));
}

#[test]
fn binary_info_text_escapes_names() {
    let dir = tempfile::tempdir().unwrap();
    let doc = otlp_doc(&[("svc\u{9b}", vec![otlp_span(1, 1, None, "a\x1b]0;pwned\x07", 0, 1, "")])]);
    let path = write(&dir, "t.json", &doc);
    let out = stdout_of(weft().arg("info").arg(&path).assert().success());
    assert!(out.contains("svc\\x9b: a\\x1b]0;pwned\\x07"), "{out}");
    assert!(!out.contains('\x1b') && !out.contains('\x07') && !out.contains('\u{9b}'));
    // Without a command and with stdout not a terminal, the same summary is printed.
    let out2 = stdout_of(weft().arg(&path).assert().success());
    assert_eq!(out, out2);
}

#[test]
fn binary_unknown_or_ambiguous_trace_ids_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "t.json", &fixture_json());
    weft()
        .arg("tree")
        .arg(&path)
        .args(["--trace", "ffffffff"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("no loaded trace id starts with 'ffffffff'"));
    weft()
        .arg("links")
        .arg(&path)
        .args(["--trace", "4bf9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{TRACE_A:032x}")))
        .stderr(predicate::str::contains(format!("{TRACE_C:032x}")));
    weft().arg(&path).args(["--span", "abcdef"]).assert().code(2);
}

#[test]
fn binary_malformed_file_exits_1_with_path_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "bad.json", "{\"resourceSpans\": [\n  {\"scopeSpans\": [}\n]}\n");
    weft().arg("info").arg(&path).assert().code(1).stdout("").stderr(
        predicate::str::is_match(format!(r"error: {}:2:\d+: ", regex_escape(&path.display().to_string())))
            .unwrap(),
    );
}

fn regex_escape(s: &str) -> String {
    s.chars().flat_map(|c| if c.is_ascii_alphanumeric() { vec![c] } else { vec!['\\', c] }).collect()
}

#[test]
fn binary_partial_load_exits_0_and_reports_skips_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let good = otlp_span(1, 1, None, "ok", 0, 1, "");
    let bad = r#"{"traceId":"00000000000000000000000000000001","spanId":"0000000000000002","name":"bad","startTimeUnixNano":{"not":"a time"},"endTimeUnixNano":"1"}"#;
    let path = write(&dir, "partial.json", &otlp_doc(&[("svc", vec![good, bad.to_owned()])]));
    let assert = weft().arg("tree").arg(&path).assert().success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.starts_with(&format!("{}: skipped 1 record\n", path.display())), "{stderr}");
    // The bad span starts on line 3 (spans are joined with ",\n").
    assert!(stderr.contains(&format!("  {}:3:", path.display())), "first reason with its position: {stderr}");
    let out = stdout_of(assert);
    assert!(out.contains("svc: ok") && !out.contains("bad"), "{out}");
}

#[test]
fn binary_reads_stdin_and_lists_non_trace_files_in_folders() {
    let out = stdout_of(weft().args(["info", "--json", "-"]).write_stdin(fixture_json()).assert().success());
    let j: J = serde_json::from_str(&out).unwrap();
    assert_eq!(j["spans"], 6);

    let dir = tempfile::tempdir().unwrap();
    write(&dir, "t.json", &fixture_json());
    write(&dir, "README.txt", "not a trace");
    weft()
        .arg("info")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("skipped file {}", dir.path().join("README.txt").display())))
        .stdout(predicate::str::contains("skipped files (not traces):"));
}

#[test]
fn binary_forced_format_reads_what_detection_cannot() {
    let dir = tempfile::tempdir().unwrap();
    // The key that identifies OTLP comes after more keys than the sniffer reads (4,096).
    let padding: Vec<String> = (0..5000).map(|i| format!(r#""k{i}":0"#)).collect();
    let doc = fixture_json().replacen('{', &format!(r#"{{"padding":{{{}}},"#, padding.join(",")), 1);
    let path = write(&dir, "t.json", &doc);
    weft().arg("info").arg(&path).assert().code(1).stderr(predicate::str::contains("--format"));
    let out =
        stdout_of(weft().arg("info").arg(&path).args(["--json", "--format", "otlp-json"]).assert().success());
    let j: J = serde_json::from_str(&out).unwrap();
    assert_eq!((j["spans"].as_u64(), j["files"][0]["format"].as_str()), (Some(6), Some("otlp-json")));
}

#[test]
fn binary_closed_stdout_pipe_exits_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    // Enough links that the output is far larger than a pipe buffer.
    let spans: Vec<String> = (1..=3000u64)
        .map(|i| {
            let links = format!(r#","links":[{{"traceId":"{:032x}","spanId":"{:016x}"}}]"#, 7, i + 1);
            otlp_span(7, i, None, "s", 0, 1, &links)
        })
        .collect();
    let path = write(&dir, "many.json", &otlp_doc(&[("svc", spans)]));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("weft"))
        .arg("links")
        .arg(&path)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"source\""), "{first}");
    // The reader is dropped here: the rest of weft's output goes to a closed pipe.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn tree_indentation_is_capped_for_very_deep_chains() {
    let mut ds = Dataset::new();
    let n = ds.intern("n");
    for i in 1..=100u64 {
        ds.spans.push(Span::new(TraceId(5), SpanId(i), SpanId(i - 1), i, 200, n, n));
    }
    let index = Index::build(ds);
    let out = text(|w| tree::write(w, &index, None));
    let cap = tree::MAX_INDENT_DEPTH * tree::INDENT;
    let last = out.lines().last().unwrap();
    assert!(last.ends_with(&format!("{}[depth 99] n: n", " ".repeat(cap))), "{last}");
    assert!(!last.contains(&" ".repeat(cap + 3)), "{last}");
    let shallow = out.lines().nth(11).unwrap();
    assert!(shallow.ends_with(&format!("{}n: n", " ".repeat(10 * tree::INDENT))), "{shallow}");
}

#[test]
fn binary_without_paths_summarises_the_bundled_samples_when_not_a_terminal() {
    let samples = weft::samples::embedded().len();
    let files = if samples == 1 { "1 file ·".to_owned() } else { format!("{samples} files ·") };
    weft().assert().success().stdout(predicate::str::starts_with(files));
}

// ---- completions and man pages ----

/// What `weft ARGS…` prints, checking it succeeded.
fn printed(args: &[&str]) -> String {
    stdout_of(weft().args(args).assert().success().stderr(""))
}

#[test]
fn bash_completions_parse_and_complete_subcommands_and_flags() {
    let script = printed(&["completions", "bash"]);
    for word in ["info", "links", "tree", "export", "completions", "man", "--trace", "--json", "--graph"] {
        assert!(script.contains(word), "bash script lacks {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weft.bash");
    std::fs::write(&path, &script).unwrap();
    let Ok(check) = std::process::Command::new("bash").arg("-n").arg(&path).output() else {
        eprintln!("no bash here: only the script's text was checked");
        return;
    };
    assert!(check.status.success(), "bash -n: {}", String::from_utf8_lossy(&check.stderr));
    // What bash does on `weft in<Tab>`: the completion function fills COMPREPLY.
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT={}; \
             _weft weft '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display(),
            words.join(" "),
            words.len() - 1,
            line.len(),
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = std::process::Command::new("bash").arg("-c").arg(program).output().unwrap();
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("weft in").trim(), "info");
    let flags = complete("weft links x.json --");
    assert!(flags.lines().any(|l| l == "--trace") && flags.lines().any(|l| l == "--graph"), "{flags}");
}

#[test]
fn completions_for_every_shell_name_the_commands_and_flags() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = printed(&["completions", shell]);
        for word in ["info", "links", "export", "trace", "json"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    weft().args(["completions", "tcsh"]).assert().code(2).stderr(predicate::str::contains("bash"));
}

#[test]
fn man_prints_roff_pages_for_weft_and_each_command() {
    let page = printed(&["man"]);
    assert!(page.contains("\n.TH WEFT 1 "), "{page}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "weft(1) lacks {section}");
    }
    for sub in ["info", "links", "tree", "diff", "logs", "export", "completions", "man"] {
        assert!(page.contains(&format!("weft\\-{sub}(1)")), "weft(1) lacks weft-{sub}(1)");
    }
    assert!(page.contains("\\-\\-trace"), "the options are listed");
    let links = printed(&["man", "links"]);
    assert!(links.contains("\n.TH WEFT-LINKS 1 ") && links.contains("\\-\\-graph"), "{links}");
    weft().args(["man", "nope"]).assert().code(2).stderr(predicate::str::contains("commands: info"));
}

#[test]
fn files_named_like_the_new_commands_still_open_when_written_as_paths() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/e2e/batch.dd.json");
    for name in ["completions", "man"] {
        std::fs::copy(fixture, dir.path().join(name)).unwrap();
        // stdout is not a terminal: plain `weft PATH` prints the info summary.
        weft()
            .current_dir(dir.path())
            .arg(format!("./{name}"))
            .assert()
            .success()
            .stdout(predicate::str::contains("3 traces"));
    }
}

/// A Collector file holding metrics and logs beside traces: the logs are read (`logs`), the
/// metrics counted; `info` says so in text (and on the explorer's stderr report) and in `--json`
/// (`other_signals`, an extension).
#[test]
fn info_reports_the_other_signals_a_file_holds() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/otlp-json/synthetic_mixed_signals.jsonl");
    let out = stdout_of(weft().arg("info").arg(&path).arg("--json").assert().success());
    let j: J = serde_json::from_str(&out).unwrap();
    assert_eq!(j["files"][0]["other_signals"], serde_json::json!({"metrics": 602, "log_records": 0}));
    assert_eq!((j["files"][0]["logs"].as_u64(), j["logs"].as_u64()), (Some(3), Some(3)));
    assert_eq!(j["spans"], 3);
    let note = "also holds 602 metrics (other OpenTelemetry signals; not loaded)";
    let out =
        stdout_of(weft().arg("info").arg(&path).assert().success().stderr(predicate::str::contains(note)));
    assert!(out.contains(note), "{out}");
}
