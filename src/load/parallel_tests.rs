//! Parallel loading gives what sequential loading gives: the same spans with the same strings,
//! attributes, events, links, resources and scopes, the same notes and skip counts at the same
//! positions, and even the same string numbering. Inputs are generated here (several hundred
//! spans with every kind of value, bad records, base64 ids, duplicates across chunks) and cut
//! into many small chunks, so every merge path runs.

use super::progress::Progress;
use super::{Job, LoadError, datadog, otlp_json};
use crate::model::{Dataset, Format, Value};
use serde_json::{Value as J, json};

fn job(workers: usize, progress: &Progress) -> Job<'_> {
    Job { workers, min_chunk: 1, progress, release: None }
}

/// A Jaeger or Zipkin parse the two-pass way only: the reference their runs are tested against.
fn two_pass(
    parse: fn(&[u8], &str, &str, &Job<'_>) -> Result<Dataset, LoadError>,
    input: &[u8],
    path: &str,
) -> Result<Dataset, LoadError> {
    let text = super::json::text_of(input, path, Format::JaegerJson)?;
    super::on_one_thread(|job| parse(input, text, path, job))
}

fn value(ds: &Dataset, v: Value) -> String {
    match v {
        Value::Empty => "∅".to_owned(),
        Value::Str(s) => format!("{:?}", ds.str(s)),
        Value::Bytes(s) => format!("b{:?}", ds.str(s)),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => format!("{d:?}"),
        Value::Array(sl) => {
            let items: Vec<String> = ds.values_of(sl).map(|v| value(ds, v)).collect();
            format!("[{}]", items.join(","))
        }
        Value::Map(sl) => format!("{{{}}}", attrs(ds, sl)),
    }
}

fn attrs(ds: &Dataset, sl: crate::model::Slice) -> String {
    let items: Vec<String> =
        ds.attrs_of(sl).map(|a| format!("{}={}", ds.str(a.key), value(ds, a.value))).collect();
    items.join(",")
}

/// Everything a dataset says, resolved to text, in order.
fn render(ds: &Dataset) -> Vec<String> {
    let opt = |s: Option<crate::model::Sym>| s.map(|s| ds.str(s).to_owned());
    let mut out: Vec<String> = ds
        .spans
        .iter()
        .map(|s| {
            let scope = ds.scope(s.scope);
            let events: Vec<String> = ds
                .events_of(s.events)
                .iter()
                .map(|e| format!("{}@{}({})", ds.str(e.name), e.time, attrs(ds, e.attrs)))
                .collect();
            let links: Vec<String> = ds
                .links_of(s.links)
                .iter()
                .map(|l| {
                    format!(
                        "{}/{} {:?} {:?} {} ({})",
                        l.trace_id,
                        l.span_id,
                        l.kind,
                        opt(l.trace_state),
                        l.flags,
                        attrs(ds, l.attrs)
                    )
                })
                .collect();
            format!(
                "{} {} {} {}..{} {:?} svc={:?} {:?} {:?} msg={:?} ts={:?} flags={} w3c={} file={} \
                 res#{}=({}) scope#{}={:?}/{:?}({}) attrs=({}) events={events:?} links={links:?}",
                s.trace_id,
                s.span_id,
                s.parent_id,
                s.start,
                s.end,
                ds.str(s.name),
                ds.str(s.service),
                s.kind,
                s.status,
                opt(s.status_message),
                opt(s.trace_state),
                s.flags,
                s.w3c_flags,
                s.file,
                s.resource.0,
                attrs(ds, ds.resource(s.resource).attrs),
                s.scope.0,
                opt(scope.name),
                opt(scope.version),
                attrs(ds, scope.attrs),
                attrs(ds, s.attrs),
            )
        })
        .collect();
    for f in &ds.files {
        out.push(format!("file {} {:?} spans={} skipped={}", f.path, f.format, f.spans, f.skipped));
        out.extend(f.warnings.iter().map(|w| format!("  {} {} {}", w.at, w.skipped, w.message)));
    }
    out.push(format!("resources={} scopes={}", ds.resources.len(), ds.scopes.len()));
    out
}

fn assert_same(seq: &Dataset, par: &Dataset) {
    let (a, b) = (render(seq), render(par));
    assert_eq!(a.len(), b.len(), "different number of lines");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert!(seq.strings.strings().eq(par.strings.strings()), "strings are numbered differently");
}

// ---------------------------------------------------------------------------------------------
// OTLP JSON

fn hex(n: u64, digits: usize) -> String {
    format!("{n:0digits$x}")
}

/// One resourceSpans element with `spans` spans, numbered from `first`.
fn resource_spans(r: u64, first: u64, spans: u64) -> J {
    let mut list = Vec::new();
    for i in first..first + spans {
        let trace = hex(1 + i / 7, 32);
        let mut span = json!({
            "traceId": trace,
            "spanId": hex(0x1000 + i, 16),
            "parentSpanId": if i % 7 == 0 { String::new() } else { hex(0x1000 + i - 1, 16) },
            "name": format!("op-{}", i % 13),
            "kind": i % 6,
            "startTimeUnixNano": (1_700_000_000_000_000_000u64 + i * 1000).to_string(),
            "endTimeUnixNano": (1_700_000_000_000_000_000u64 + i * 1000 + 500).to_string(),
            "attributes": [
                {"key": "http.method", "value": {"stringValue": (["GET", "POST"][(i % 2) as usize])}},
                {"key": "unique", "value": {"stringValue": format!("value {i} ünïcode")}},
                {"key": "n", "value": {"intValue": i.to_string()}},
                {"key": "ok", "value": {"boolValue": i % 3 == 0}},
                {"key": "d", "value": {"doubleValue": i as f64 / 4.0}},
                {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}},
                {"key": "map", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": format!("v{}", i % 5)}}]}}},
            ],
            "status": if i % 11 == 0 { json!({"code": 2, "message": "boom"}) } else { json!({}) },
        });
        if i % 5 == 0 {
            span["events"] = json!([{"timeUnixNano": "1700000000000000100", "name": "ev", "attributes": [{"key": "e", "value": {"intValue": "7"}}]}]);
        }
        if i % 4 == 0 {
            span["links"] = json!([
                {"traceId": hex(1 + (i + 50) / 7, 32), "spanId": hex(0x1000 + i + 50, 16), "attributes": [{"key": "why", "value": {"stringValue": "next"}}]},
                {"traceId": hex(9, 32), "spanId": hex(9, 16), "attributes": [{"key": "link.kind", "value": {"stringValue": "span-pointer"}}]},
            ]);
        }
        if i % 17 == 3 {
            // A wrong type inside one span: that span is skipped with its position.
            span["traceId"] = json!(12);
        }
        if i % 23 == 5 {
            // End before start: kept, clamped, warned.
            span["endTimeUnixNano"] = json!("1");
        }
        list.push(span);
    }
    if r % 9 == 4 {
        // Base64 ids (a Tempo export) in some elements: noted once per file.
        list.push(json!({"traceId": "AAAAAAAAAAAAAAAAAAAAAQ==", "spanId": "AAAAAAAAAAI=", "name": "b64"}));
    }
    if r % 10 == 7 {
        // A retry of an earlier span: de-duplicated across the whole file.
        let i = first.saturating_sub(40);
        list.push(json!({"traceId": hex(1 + i / 7, 32), "spanId": hex(0x1000 + i, 16), "name": "retry", "kind": i % 6}));
    }
    json!({
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": format!("svc-{}", r % 4)}},
            {"key": "host.name", "value": {"stringValue": format!("host-{r}")}},
        ]},
        "scopeSpans": [{"scope": {"name": "lib", "version": format!("1.{}", r % 3)}, "spans": list}],
    })
}

fn elements(count: u64) -> Vec<J> {
    (0..count).map(|r| resource_spans(r, r * 12, 12)).collect()
}

/// One document, elements separated by `sep` (`,` or `,\n`).
fn otlp_doc(count: u64, sep: &str) -> Vec<u8> {
    let items: Vec<String> = elements(count).iter().map(J::to_string).collect();
    format!("{{\"resourceSpans\":[{}]}}\n", items.join(sep)).into_bytes()
}

/// JSON Lines: a few elements per line, with a broken line in the middle.
fn otlp_lines(count: u64) -> Vec<u8> {
    let els = elements(count);
    let mut out = String::new();
    for (n, chunk) in els.chunks(3).enumerate() {
        let items: Vec<String> = chunk.iter().map(J::to_string).collect();
        if n == 7 {
            out.push_str("{\"resourceSpans\":[{\"resource\":{}, broken\n");
        }
        out.push_str(&format!("{{\"resourceSpans\":[{}]}}\n", items.join(",")));
    }
    out.into_bytes()
}

fn otlp(input: &[u8], workers: usize) -> Result<Dataset, LoadError> {
    let progress = Progress::new();
    otlp_json::parse_job(input, "t.json", &job(workers, &progress))
}

#[test]
fn otlp_document_in_parallel_is_the_sequential_result() {
    for sep in [",", ",\n  "] {
        let input = otlp_doc(60, sep);
        let seq = otlp(&input, 1).unwrap();
        assert!(seq.files[0].skipped > 10 && seq.files[0].warnings.len() > 10, "the input has bad records");
        assert!(seq.spans.len() > 600);
        for workers in [2, 3, 8] {
            assert!(otlp_json::plan_is_used(&input, workers), "{workers} workers, separator {sep:?}");
            assert_same(&seq, &otlp(&input, workers).unwrap());
        }
    }
}

#[test]
fn otlp_json_lines_in_parallel_is_the_sequential_result() {
    let input = otlp_lines(60);
    let seq = otlp(&input, 1).unwrap();
    assert_eq!(seq.files[0].format, Format::OtlpJsonLines);
    assert!(seq.files[0].warnings.iter().any(|w| w.message.contains("document skipped")));
    for workers in [2, 5] {
        assert!(otlp_json::plan_is_used(&input, workers), "{workers} workers");
        assert_same(&seq, &otlp(&input, workers).unwrap());
    }
}

#[test]
fn otlp_wrong_cut_falls_back_to_the_sequential_result() {
    // An unknown field whose value contains `,{"resource":` objects: a cut there is wrong, and
    // the chunk before it does not end at it.
    let mut els = elements(30);
    for e in els.iter_mut() {
        e["extra"] = json!([{"a": 1}, {"resource": 2}, {"resource": 3}]);
    }
    let items: Vec<String> = els.iter().map(J::to_string).collect();
    let input = format!("{{\"resourceSpans\":[{}]}}", items.join(",")).into_bytes();
    let seq = otlp(&input, 1).unwrap();
    for workers in [2, 4, 7] {
        assert_same(&seq, &otlp(&input, workers).unwrap());
    }
    // A syntax error in the middle of one document fails the file the same way either way.
    let mut broken = otlp_doc(30, ",");
    let mid = broken.len() / 2 + broken[broken.len() / 2..].iter().position(|&b| b == b':').unwrap();
    broken[mid] = b'#';
    let a = otlp(&broken, 1).unwrap_err();
    let b = otlp(&broken, 4).unwrap_err();
    assert_eq!(a, b);
}

#[test]
fn otlp_progress_counts_every_byte_once_and_cancel_stops() {
    for input in [otlp_doc(40, ","), otlp_lines(40)] {
        for workers in [1, 4] {
            let progress = Progress::new();
            let ds = otlp_json::parse_job(&input, "t.json", &job(workers, &progress)).unwrap();
            let snap = progress.snapshot();
            assert_eq!(snap.bytes_done, input.len() as u64, "{workers} workers");
            assert!(snap.spans >= ds.spans.len() as u64, "{} < {}", snap.spans, ds.spans.len());
            let cancelled = Progress::new();
            cancelled.cancel();
            let err = otlp_json::parse_job(&input, "t.json", &job(workers, &cancelled)).unwrap_err();
            assert!(err.is_cancelled(), "{err}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Datadog msgpack

fn write_msgpack(out: &mut Vec<u8>, v: &J) {
    use rmp::encode as e;
    match v {
        J::Null => e::write_nil(out).unwrap(),
        J::Bool(b) => e::write_bool(out, *b).unwrap(),
        J::Number(n) => {
            if let Some(u) = n.as_u64() {
                e::write_uint(out, u).unwrap();
            } else if let Some(i) = n.as_i64() {
                e::write_sint(out, i).unwrap();
            } else {
                e::write_f64(out, n.as_f64().unwrap()).unwrap();
            }
        }
        J::String(s) => e::write_str(out, s).unwrap(),
        J::Array(a) => {
            e::write_array_len(out, a.len() as u32).unwrap();
            a.iter().for_each(|x| write_msgpack(out, x));
        }
        J::Object(m) => {
            e::write_map_len(out, m.len() as u32).unwrap();
            for (k, x) in m {
                e::write_str(out, k).unwrap();
                write_msgpack(out, x);
            }
        }
    }
}

fn dd_chunks(count: u64) -> J {
    let chunks: Vec<J> = (0..count)
        .map(|c| {
            let spans: Vec<J> = (0..6 + c % 5)
                .map(|i| {
                    let n = c * 100 + i;
                    let mut span = json!({
                        "service": format!("svc-{}", c % 3),
                        "name": format!("op-{}", n % 7),
                        "resource": format!("GET /r/{n}"),
                        "type": "web",
                        "trace_id": 1000 + c,
                        "span_id": 5000 + n,
                        "parent_id": if i == 0 { 0 } else { 5000 + n - 1 },
                        "start": 1_700_000_000_000_000_000u64 + n,
                        "duration": 1000 + i,
                        "error": i64::from(n % 9 == 0),
                        "meta": {
                            "env": (["prod", "dev"][(c % 2) as usize]),
                            "version": "1.0",
                            "span.kind": "server",
                            "unique": format!("u{n}"),
                            "error.message": "bad",
                        },
                        "metrics": {"m": n as f64, "_sampling_priority_v1": 1},
                    });
                    if i == 2 {
                        span["meta"]["_dd.p.tid"] = json!(format!("{:016x}", 0xabc0 + c));
                    }
                    if n % 4 == 1 {
                        span["span_links"] = json!([{"trace_id": 1000 + c + 3, "span_id": 5000 + n + 300, "attributes": {"why": "later"}}]);
                    }
                    if n % 13 == 6 {
                        // Wrong type: the span is skipped by its length.
                        span["start"] = json!("soon");
                    }
                    span
                })
                .collect();
            J::Array(spans)
        })
        .collect();
    J::Array(chunks)
}

fn dd(input: &[u8], format: Format, workers: usize) -> Result<Dataset, LoadError> {
    let progress = Progress::new();
    datadog::parse_job(input, "t.msgpack", format, &job(workers, &progress))
}

#[test]
fn datadog_v04_in_parallel_is_the_sequential_result() {
    let mut input = Vec::new();
    write_msgpack(&mut input, &dd_chunks(50));
    let seq = dd(&input, Format::DatadogMsgpackV04, 1).unwrap();
    assert!(seq.files[0].skipped > 5 && seq.spans.len() > 300);
    let progress = Progress::new();
    for workers in [2, 3, 8] {
        let used = datadog::parallel_is_used(&input, Format::DatadogMsgpackV04, &job(workers, &progress));
        assert!(used, "{workers} workers");
        let par = dd(&input, Format::DatadogMsgpackV04, workers).unwrap();
        assert_same(&seq, &par);
    }
    // Cut off in the last chunk: the parallel parse defers to the sequential one's wording.
    let cut = &input[..input.len() - 20];
    let seq = dd(cut, Format::DatadogMsgpackV04, 1).unwrap();
    assert!(seq.files[0].warnings.iter().any(|w| w.message.contains("spans after this point are lost")));
    assert_same(&seq, &dd(cut, Format::DatadogMsgpackV04, 4).unwrap());
}

#[test]
fn datadog_v05_in_parallel_is_the_sequential_result() {
    // v0.5: [[strings], [[[12 fields]]]] with every string an index into the table.
    let mut table: Vec<String> = vec![String::new()];
    let mut idx = |s: String| -> u64 {
        if let Some(p) = table.iter().position(|t| *t == s) {
            return p as u64;
        }
        table.push(s);
        (table.len() - 1) as u64
    };
    let mut chunks = Vec::new();
    for c in 0..40u64 {
        let mut spans = Vec::new();
        for i in 0..5u64 {
            let n = c * 10 + i;
            let meta = json!({ idx("env".into()).to_string(): idx(format!("e{}", c % 2)), idx("k".into()).to_string(): idx(format!("v{n}")) });
            // Keys must be integers in v0.5; JSON object keys are strings, so encode by hand below.
            spans.push((
                [idx(format!("svc{}", c % 3)), idx(format!("op{}", n % 4)), idx(format!("/r/{n}"))],
                [1000 + c, 7000 + n, if i == 0 { 0 } else { 7000 + n - 1 }],
                meta,
                idx("web".into()),
            ));
        }
        chunks.push(spans);
    }
    use rmp::encode as e;
    let mut out = Vec::new();
    e::write_array_len(&mut out, 2).unwrap();
    e::write_array_len(&mut out, table.len() as u32).unwrap();
    for s in &table {
        e::write_str(&mut out, s).unwrap();
    }
    e::write_array_len(&mut out, chunks.len() as u32).unwrap();
    for spans in &chunks {
        e::write_array_len(&mut out, spans.len() as u32).unwrap();
        for (strings, ids, meta, kind) in spans {
            e::write_array_len(&mut out, 12).unwrap();
            strings.iter().for_each(|&s| e::write_uint(&mut out, s).map(drop).unwrap());
            ids.iter().for_each(|&s| e::write_uint(&mut out, s).map(drop).unwrap());
            for v in [1_700_000_000_000_000_000u64, 500, 0] {
                e::write_uint(&mut out, v).unwrap();
            }
            let meta = meta.as_object().unwrap();
            e::write_map_len(&mut out, meta.len() as u32).unwrap();
            for (k, v) in meta {
                e::write_uint(&mut out, k.parse().unwrap()).unwrap();
                e::write_uint(&mut out, v.as_u64().unwrap()).unwrap();
            }
            e::write_map_len(&mut out, 0).unwrap();
            e::write_uint(&mut out, *kind).unwrap();
        }
    }
    let seq = dd(&out, Format::DatadogMsgpackV05, 1).unwrap();
    assert_eq!(seq.spans.len(), 200);
    let progress = Progress::new();
    for workers in [2, 6] {
        assert!(datadog::parallel_is_used(&out, Format::DatadogMsgpackV05, &job(workers, &progress)));
        assert_same(&seq, &dd(&out, Format::DatadogMsgpackV05, workers).unwrap());
    }
}

#[test]
fn datadog_progress_and_cancel() {
    let mut input = Vec::new();
    write_msgpack(&mut input, &dd_chunks(30));
    for workers in [1, 4] {
        let progress = Progress::new();
        let ds =
            datadog::parse_job(&input, "t", Format::DatadogMsgpackV04, &job(workers, &progress)).unwrap();
        let snap = progress.snapshot();
        assert_eq!(snap.bytes_done, input.len() as u64, "{workers} workers");
        assert!(snap.spans >= ds.spans.len() as u64);
        let cancelled = Progress::new();
        cancelled.cancel();
        let err = datadog::parse_job(&input, "t", Format::DatadogMsgpackV04, &job(workers, &cancelled))
            .unwrap_err();
        assert!(err.is_cancelled());
    }
}

// ---------------------------------------------------------------------------------------------
// Jaeger JSON

fn jaeger_doc(traces: u64) -> Vec<u8> {
    let data: Vec<J> = (0..traces)
        .map(|t| {
            if t % 11 == 5 {
                return json!("not a trace");
            }
            let spans: Vec<J> = (0..8u64)
                .map(|i| {
                    let mut refs = Vec::new();
                    if i > 0 {
                        refs.push(json!({"refType": "CHILD_OF", "traceID": hex(t + 1, 32), "spanID": hex(t * 100 + i, 16)}));
                    }
                    if i == 3 {
                        refs.push(json!({"refType": "FOLLOWS_FROM", "traceID": hex(t + 2, 32), "spanID": hex(t * 100 + 101, 16)}));
                    }
                    let mut span = json!({
                        "traceID": hex(t + 1, 32),
                        "spanID": hex(t * 100 + i + 1, 16),
                        "operationName": format!("op-{}", i % 3),
                        "references": refs,
                        "startTime": 1_700_000_000_000_000u64 + t * 1000 + i,
                        "duration": 10 + i,
                        "tags": [
                            {"key": "otel.scope.name", "type": "string", "value": format!("lib-{}", t % 3)},
                            {"key": "otel.scope.version", "type": "string", "value": "1.0"},
                            {"key": "n", "type": "int64", "value": i},
                            {"key": "u", "type": "string", "value": format!("unique {t}/{i}")},
                        ],
                        "logs": [],
                        "processID": format!("p{}", i % 2),
                    });
                    if i == 6 && t % 7 == 2 {
                        span["spanID"] = json!("zz");
                    }
                    span
                })
                .collect();
            json!({
                "traceID": hex(t + 1, 32),
                "spans": spans,
                "processes": {
                    "p0": {"serviceName": format!("svc-{}", t % 4), "tags": [{"key": "host", "type": "string", "value": "h"}]},
                    "p1": {"serviceName": "db", "tags": []},
                },
            })
        })
        .collect();
    json!({ "data": data }).to_string().into_bytes()
}

#[test]
fn jaeger_traces_in_parallel_are_the_sequential_result() {
    let input = jaeger_doc(60);
    let progress = Progress::new();
    let seq = two_pass(super::jaeger_json::two_pass, &input, "t.json").unwrap();
    assert!(seq.files[0].skipped > 3, "the input has bad traces and spans");
    assert!(seq.scopes.len() > 2 && seq.spans.len() > 400);
    for workers in [2, 3, 7] {
        let par = super::jaeger_json::parse_job(&input, "t.json", &job(workers, &progress)).unwrap();
        assert_same(&seq, &par);
    }
}

#[test]
fn jaeger_progress_counts_every_byte_once_and_cancel_stops() {
    let input = jaeger_doc(40);
    for workers in [1, 3] {
        let progress = Progress::new();
        let ds = super::jaeger_json::parse_job(&input, "t.json", &job(workers, &progress)).unwrap();
        let snap = progress.snapshot();
        assert_eq!(snap.bytes_done, input.len() as u64, "{workers} workers");
        assert_eq!(snap.spans, ds.spans.len() as u64);
        let cancelled = Progress::new();
        cancelled.cancel();
        let err = super::jaeger_json::parse_job(&input, "t.json", &job(workers, &cancelled)).unwrap_err();
        assert!(err.is_cancelled(), "{err}");
    }
}

#[test]
fn zipkin_progress_counts_every_byte_once_and_cancel_stops() {
    let spans: Vec<J> = (0..300u64)
        .map(|i| json!({"traceId": hex(1 + i / 10, 32), "id": hex(100 + i, 16), "name": "op", "timestamp": 1_700_000_000_000_000u64 + i, "duration": 5, "localEndpoint": {"serviceName": "svc"}}))
        .collect();
    let input = J::Array(spans).to_string().into_bytes();
    let progress = Progress::new();
    let ds = super::zipkin_json::parse_job(&input, "z.json", &job(1, &progress)).unwrap();
    assert_eq!(progress.snapshot().bytes_done, input.len() as u64);
    assert_eq!(progress.snapshot().spans, ds.spans.len() as u64);
    let cancelled = Progress::new();
    cancelled.cancel();
    assert!(super::zipkin_json::parse_job(&input, "z.json", &job(1, &cancelled)).unwrap_err().is_cancelled());
}

// ---------------------------------------------------------------------------------------------
// Zipkin JSON

/// Zipkin spans, one per line: services that first appear late in the file, shared halves,
/// annotations (whose `},{` looks like a span boundary), tags whose text holds `]`, `,`, `},{`
/// and escaped quotes, and bad records (a wrong-typed field, a bad id).
fn zipkin_spans(count: u64) -> Vec<J> {
    (0..count)
        .map(|i| {
            let mut span = json!({
                "traceId": hex(1 + i / 9, 32),
                "id": hex(0x100 + i, 16),
                "name": format!("op-{}", i % 5),
                "timestamp": 1_700_000_000_000_000u64 + i,
                "duration": 5 + i % 7,
                "localEndpoint": {"serviceName": format!("svc-{}", i * i % (3 + i / 50)), "ipv4": "10.0.0.1", "port": 80},
                "tags": {
                    "u": format!("unique {i}"),
                    "tricky": "a],[b},{\"traceId\":\"x\"}, \"q\\\"",
                    "otel.scope.name": format!("lib-{}", i % 3),
                },
            });
            if i % 9 != 0 {
                span["parentId"] = json!(hex(0x100 + i - 1, 16));
            }
            if i % 4 == 1 {
                span["kind"] = json!("SERVER");
                span["shared"] = json!(true);
                span["remoteEndpoint"] = json!({"serviceName": "peer", "ipv6": "::1", "port": 443});
            }
            if i % 5 == 2 {
                span["annotations"] = json!([
                    {"timestamp": 1_700_000_000_000_001u64 + i, "value": "ws"},
                    {"timestamp": 1_700_000_000_000_002u64 + i, "value": "wr"},
                ]);
            }
            if i % 6 == 3 {
                span["tags"]["link.0"] = json!(format!("{}-{}", hex(1 + (i + 20) / 9, 32), hex(0x100 + i + 20, 16)));
                span["tags"]["error"] = json!("timeout");
            }
            if i % 37 == 11 {
                span["timestamp"] = json!("not a number");
            }
            if i % 41 == 20 {
                span["id"] = json!("zz");
            }
            span
        })
        .collect()
}

fn zipkin_doc(count: u64) -> Vec<u8> {
    let mut lines: Vec<String> = zipkin_spans(count).iter().map(J::to_string).collect();
    // Elements that are not span objects: serde could read an array of strings as a span
    // struct by position, which a sequential parse never does.
    for at in (25..lines.len()).step_by(60) {
        lines.insert(at, format!(r#"["{}","{}"]"#, hex(1, 32), hex(2, 16)));
        lines.insert(at, "7".to_owned());
    }
    format!("[{}]\n", lines.join(",\n")).into_bytes()
}

/// A Zipkin parse with `workers` threads in runs; 0 means the two-pass reference.
fn zipkin(input: &[u8], workers: usize) -> Result<Dataset, LoadError> {
    if workers == 0 {
        return two_pass(super::zipkin_json::two_pass, input, "z.json");
    }
    let progress = Progress::new();
    super::zipkin_json::parse_job(input, "z.json", &job(workers, &progress))
}

#[test]
fn zipkin_spans_in_parallel_are_the_sequential_result() {
    let input = zipkin_doc(400);
    let seq = zipkin(&input, 0).unwrap();
    assert!(seq.files[0].skipped > 10, "the input has bad spans");
    assert!(seq.resources.len() > 8 && seq.scopes.len() > 2 && seq.spans.len() > 350);
    for workers in [1, 2, 3, 7, 16] {
        assert!(super::zipkin_json::runs_are_used(&input, workers), "{workers} workers");
        assert_same(&seq, &zipkin(&input, workers).unwrap());
    }
    // Also with a BOM, CRLF line ends and spaces around the commas.
    let spaced = String::from_utf8(input).unwrap().replace(",\n", " ,\r\n  ");
    let spaced = format!("\u{feff}  {spaced}  ").into_bytes();
    let seq = zipkin(&spaced, 0).unwrap();
    assert!(super::zipkin_json::runs_are_used(&spaced, 4));
    assert_same(&seq, &zipkin(&spaced, 4).unwrap());
}

#[test]
fn zipkin_list_of_traces_in_parallel_is_the_sequential_result() {
    let spans = zipkin_spans(300);
    let traces: Vec<J> = spans.chunks(9).map(|c| J::Array(c.to_vec())).collect();
    let input = J::Array(traces).to_string().into_bytes();
    let seq = zipkin(&input, 0).unwrap();
    assert!(seq.spans.len() > 250);
    for workers in [1, 2, 5] {
        assert!(super::zipkin_json::runs_are_used(&input, workers), "{workers} workers");
        assert_same(&seq, &zipkin(&input, workers).unwrap());
    }
}

#[test]
fn zipkin_bad_span_in_a_later_run_keeps_its_reason_and_position() {
    let input = zipkin_doc(400);
    let text = std::str::from_utf8(&input).unwrap();
    // The last span with a string `timestamp` (i = 381) is in the last run with any workers.
    let line =
        text.lines().position(|l| l.contains(&format!("\"id\":\"{}\"", hex(0x100 + 381, 16)))).unwrap() + 1;
    let col = text.lines().nth(line - 1).unwrap().find("\"not a number\"").unwrap() + 1;
    let par = zipkin(&input, 4).unwrap();
    let skips: Vec<String> = par.files[0]
        .warnings
        .iter()
        .filter(|w| w.skipped)
        .map(|w| format!("{} {}", w.at, w.message))
        .collect();
    let want = format!("{line}:");
    let found = skips.iter().find(|w| w.starts_with(&want)).unwrap_or_else(|| panic!("{skips:#?}"));
    assert!(found.contains("span skipped: invalid type: string \"not a number\""), "{found}");
    // The column is somewhere in that span, at or after the field that is wrong.
    let at_col: usize = found[want.len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(at_col >= col, "{found} (field at column {col})");
}

#[test]
fn zipkin_wrong_cut_or_syntax_error_falls_back_to_the_sequential_result() {
    // A tag whose value is JSON with `},{"traceId"` objects (against the spec, read as its text):
    // a cut there is inside a span, and the run before it does not end at it.
    let mut spans = zipkin_spans(200);
    for s in spans.iter_mut() {
        s["tags"]["raw"] = json!([{"a": 1}, {"traceId": "1"}, {"traceId": "2"}]);
    }
    let lines: Vec<String> = spans.iter().map(J::to_string).collect();
    let input = format!("[{}]", lines.join(",")).into_bytes();
    let seq = zipkin(&input, 0).unwrap();
    assert!((2..8).any(|w| !super::zipkin_json::runs_are_used(&input, w)), "some cut falls inside a span");
    for workers in [2, 4, 7] {
        assert_same(&seq, &zipkin(&input, workers).unwrap());
    }
    // A syntax error late in the file fails it the same way either way, with its position.
    let mut broken = zipkin_doc(200);
    let mid = broken.len() * 3 / 4 + broken[broken.len() * 3 / 4..].iter().position(|&b| b == b':').unwrap();
    broken[mid] = b'#';
    let a = zipkin(&broken, 0).unwrap_err();
    assert_eq!(a, zipkin(&broken, 4).unwrap_err());
    assert!(!super::zipkin_json::runs_are_used(&broken, 4));
    // So does a comma before the closing bracket.
    let trailing =
        format!("{},]", std::str::from_utf8(&zipkin_doc(100)).unwrap().trim_end().trim_end_matches(']'));
    let a = zipkin(trailing.as_bytes(), 0).unwrap_err();
    assert_eq!(a, zipkin(trailing.as_bytes(), 3).unwrap_err());
    // And text after the array.
    let after = format!("{} x", std::str::from_utf8(&zipkin_doc(100)).unwrap());
    let a = zipkin(after.as_bytes(), 0).unwrap_err();
    assert_eq!(a, zipkin(after.as_bytes(), 3).unwrap_err());
}

#[test]
fn zipkin_progress_in_runs_counts_every_byte_once_and_cancel_stops() {
    for input in
        [zipkin_doc(300), format!("\u{feff}{}", std::str::from_utf8(&zipkin_doc(300)).unwrap()).into_bytes()]
    {
        for workers in [1, 3] {
            let progress = Progress::new();
            let ds = super::zipkin_json::parse_job(&input, "z.json", &job(workers, &progress)).unwrap();
            assert_eq!(progress.snapshot().bytes_done, input.len() as u64, "{workers} workers");
            assert_eq!(progress.snapshot().spans, ds.spans.len() as u64);
            let cancelled = Progress::new();
            cancelled.cancel();
            let err = super::zipkin_json::parse_job(&input, "z.json", &job(workers, &cancelled)).unwrap_err();
            assert!(err.is_cancelled(), "{err}");
        }
    }
}

/// `jaeger_doc`'s traces with their keys in the order Jaeger writes them (`traceID`, `spans`,
/// `processes`, `warnings`) and the query service's keys after `data`, one trace per line.
fn jaeger_doc_as_served(traces: u64) -> Vec<u8> {
    let doc: J = serde_json::from_slice(&jaeger_doc(traces)).unwrap();
    let lines: Vec<String> = doc["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| match t.get("spans") {
            Some(spans) => format!(
                "{{\"traceID\":{},\"spans\":{spans},\"processes\":{},\"warnings\":null}}",
                t["traceID"], t["processes"]
            ),
            None => t.to_string(),
        })
        .collect();
    let tail = r#""total":0,"limit":0,"offset":0,"errors":null"#;
    format!("{{\"data\":[{}],{tail}}}\n", lines.join(",\n")).into_bytes()
}

#[test]
fn jaeger_runs_of_traces_are_the_sequential_result() {
    let input = jaeger_doc_as_served(60);
    let seq = two_pass(super::jaeger_json::two_pass, &input, "t.json").unwrap();
    assert!(seq.files[0].skipped > 3 && seq.spans.len() > 400);
    // Trace-level notes name the trace by its index in the whole file, whichever run read it.
    assert!(
        seq.files[0].warnings.iter().any(|w| w.message == "data[49]: skipped: a trace must be a JSON object")
    );
    for workers in [1, 2, 3, 7] {
        assert!(super::jaeger_json::runs_are_used(&input, workers), "{workers} workers");
        let progress = Progress::new();
        let par = super::jaeger_json::parse_job(&input, "t.json", &job(workers, &progress)).unwrap();
        assert_same(&seq, &par);
        assert_eq!(progress.snapshot().bytes_done, input.len() as u64);
        assert_eq!(progress.snapshot().spans, par.spans.len() as u64);
    }
    // Also the plain envelope, keys sorted (`processes` first), with a BOM.
    let sorted = format!("\u{feff}{}", std::str::from_utf8(&jaeger_doc(60)).unwrap()).into_bytes();
    let seq = two_pass(super::jaeger_json::two_pass, &sorted, "t.json").unwrap();
    assert!(super::jaeger_json::runs_are_used(&sorted, 4));
    let progress = Progress::new();
    assert_same(&seq, &super::jaeger_json::parse_job(&sorted, "t.json", &job(4, &progress)).unwrap());
}

#[test]
fn jaeger_runs_fall_back_on_wrong_cuts_syntax_errors_and_odd_tails() {
    let par = |input: &[u8], workers| {
        let progress = Progress::new();
        let out = super::jaeger_json::parse_job(input, "t.json", &job(workers, &progress));
        if out.is_ok() {
            assert_eq!(progress.snapshot().bytes_done, input.len() as u64, "counted once");
        }
        out
    };
    // Span tags whose JSON value holds `},{"spans":…}` objects: a cut there is inside a trace.
    let doc = String::from_utf8(jaeger_doc_as_served(40)).unwrap();
    let tricky = doc.replace(
        r#""logs":[]"#,
        r#""logs":[{"timestamp":1,"fields":[{"key":"k","type":"string","value":[{"a":1},{"spans":[]},{"processes":{}}]}]}]"#,
    );
    let seq = two_pass(super::jaeger_json::two_pass, tricky.as_bytes(), "t.json").unwrap();
    assert!((2..8).any(|w| !super::jaeger_json::runs_are_used(tricky.as_bytes(), w)));
    for workers in [2, 4, 7] {
        assert_same(&seq, &par(tricky.as_bytes(), workers).unwrap());
    }
    // A syntax error late in `data` is the same error with its position.
    let mut broken = jaeger_doc_as_served(40);
    let at = broken.len() * 3 / 4 + broken[broken.len() * 3 / 4..].iter().position(|&b| b == b':').unwrap();
    broken[at] = b'#';
    let err = two_pass(super::jaeger_json::two_pass, &broken, "t.json").unwrap_err();
    assert!(matches!(err.at, crate::model::Location::Line { line, .. } if line > 20), "{err}");
    assert_eq!(err, par(&broken, 4).unwrap_err());
    // Tails: a bare trace's keys after `data`, a broken tail, a comma before `}`, and a second
    // `data`: each is read as the sequential parse reads it.
    let base =
        doc.trim_end().strip_suffix(r#","total":0,"limit":0,"offset":0,"errors":null}"#).unwrap().to_owned();
    for tail in [
        r#"}"#,
        r#","errors":[{"code":500,"msg":"x]"}]}"#,
        r#","spans":[]}"#,
        r#","total":}"#,
        r#",}"#,
        r#","data":[]}"#,
        r#"} x"#,
    ] {
        let input = format!("{base}{tail}");
        match two_pass(super::jaeger_json::two_pass, input.as_bytes(), "t.json") {
            Ok(seq) => assert_same(&seq, &par(input.as_bytes(), 3).unwrap()),
            Err(e) => assert_eq!(e, par(input.as_bytes(), 3).unwrap_err(), "{tail}"),
        }
    }
}

/// One trace object as text, its keys in the given order (`spans` is a list of span texts).
fn jaeger_trace(t: u64, order: &[&str], spans: &[String], warnings: &str) -> String {
    let processes = format!(
        r#"{{"p0":{{"serviceName":"svc-{}","tags":[{{"key":"host","type":"string","value":"h{t}"}}]}},"p1":{{"serviceName":"db"}}}}"#,
        t % 3
    );
    let fields: Vec<String> = order
        .iter()
        .map(|&k| match k {
            "traceID" => format!(r#""traceID":"{}""#, hex(t + 1, 32)),
            "spans" => format!(r#""spans":[{}]"#, spans.join(",")),
            "processes" => format!(r#""processes":{processes}"#),
            "warnings" => format!(r#""warnings":{warnings}"#),
            other => format!(r#""{other}":{{"x":[1,2,{{"y":null}}]}}"#),
        })
        .collect();
    format!("{{{}}}", fields.join(" , "))
}

fn jaeger_span(t: u64, i: u64) -> String {
    let mut span = json!({
        "traceID": hex(t + 1, 32),
        "spanID": hex(t * 10_000 + i + 1, 16),
        "operationName": format!("op-{}", i % 4),
        "references": if i == 0 { json!([]) } else { json!([{"refType": "CHILD_OF", "traceID": hex(t + 1, 32), "spanID": hex(t * 10_000 + i, 16)}]) },
        "startTime": 1_700_000_000_000_000u64 + t * 1000 + i,
        "duration": 3 + i % 5,
        "tags": [{"key": "u", "type": "string", "value": format!("v {t}/{i}")}, {"key": "error", "type": "bool", "value": i % 9 == 4}],
        "processID": format!("p{}", i % 3),
        "warnings": if i % 13 == 5 { json!(["own"]) } else { J::Null },
    });
    match i % 29 {
        // Wrong-typed: skipped with its position.
        7 => span["duration"] = json!("long"),
        // Overflowing time: kept, with a warning at the span.
        8 => span["startTime"] = json!(u64::MAX / 10),
        _ => {}
    }
    span.to_string()
}

#[test]
fn jaeger_one_pass_traces_are_read_as_the_two_pass_way() {
    let spans = |t: u64, n: u64| (0..n).map(|i| jaeger_span(t, i)).collect::<Vec<_>>();
    let orders: [&[&str]; 6] = [
        &["traceID", "spans", "processes", "warnings"],
        &["processes", "warnings", "traceID", "spans"],
        &["warnings", "processes", "spans"],
        &["spans", "extra", "processes"],
        &["traceID", "processes", "spans"],
        &["traceID"],
    ];
    let mut traces = Vec::new();
    for t in 0..48u64 {
        let order = orders[(t % 6) as usize];
        let warnings = if t % 4 == 1 { r#"["trace-level"]"# } else { "null" };
        traces.push(jaeger_trace(t, order, &spans(t, 5 + t % 11), warnings));
        match t {
            // A trace past the pending limit (its later spans are kept as text).
            20 => traces.push(jaeger_trace(900, orders[0], &spans(900, 4200), r#"["big"]"#)),
            // The same with its processes first, so its spans load as they come.
            30 => traces.push(jaeger_trace(901, orders[1], &spans(901, 4200), "[]")),
            // Oddities a one-pass read declines: `spans` not an array, a duplicate key, empty.
            33 => traces.push(r#"{"traceID":"1","spans":{"a":1},"processes":{}}"#.to_owned()),
            35 => traces.push(format!(r#"{{"spans":[{}],"spans":[]}}"#, jaeger_span(902, 0))),
            37 => traces.push("{}".to_owned()),
            // Spans that are not objects.
            39 => traces.push(format!(r#"{{"spans":[[1,2],"x",{}],"processes":null}}"#, jaeger_span(903, 1))),
            _ => {}
        }
    }
    let input = format!("{{\"data\":[{}],\"total\":0}}", traces.join(",\n")).into_bytes();
    let seq = two_pass(super::jaeger_json::two_pass, &input, "t.json");
    // A duplicate `spans` key fails the whole file, as serde does; without it the file loads.
    assert!(seq.is_err());
    let par = |input: &[u8], workers| {
        let progress = Progress::new();
        super::jaeger_json::parse_job(input, "t.json", &job(workers, &progress))
    };
    assert_eq!(seq.unwrap_err(), par(&input, 3).unwrap_err());
    let dup = format!(r#"{{"spans":[{}],"spans":[]}}"#, jaeger_span(902, 0));
    let input = String::from_utf8(input).unwrap().replace(&format!("{dup},\n"), "").into_bytes();
    let seq = two_pass(super::jaeger_json::two_pass, &input, "t.json").unwrap();
    let skipped_here = |ds: &Dataset| ds.files[0].warnings.iter().filter(|w| w.skipped).count();
    assert!(skipped_here(&seq) > 10 && seq.spans.len() > 8000, "{}", seq.spans.len());
    assert!(seq.files[0].warnings.iter().any(|w| w.message.contains("overflows")));
    for workers in [1, 2, 3, 5] {
        assert!(super::jaeger_json::runs_are_used(&input, workers), "{workers} workers");
        assert_same(&seq, &par(&input, workers).unwrap());
    }
}
