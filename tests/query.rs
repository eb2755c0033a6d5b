//! `weft spans --where` and `weft stats` checked against an independent reading of the same
//! files: this test parses the OTLP JSON itself (serde_json values, not weft's loader), builds
//! parent → children from the ids, and computes self time by a sweep over interval endpoints
//! (not weft's merge over start-ordered children), groups and percentiles by sorting.
//!
//! Files: the Python SDK's spans (`tests/fixtures/console/python_otlp.json`, base64 ids), the
//! Node.js SDK's JSON Lines that jaeger-ui keeps as a fixture, and the bundled samples (weft's
//! own generators: the SDK files are small; these have children, and the gentrace file has
//! siblings that overlap in time, where a sum of children would differ from their union).

use assert_cmd::Command;
use base64::Engine as _;
use serde_json::Value as J;
use std::collections::{BTreeMap, HashMap};

const FILES: &[&str] = &[
    "tests/fixtures/console/python_otlp.json",
    "/work/shared/fixtures/otlp-json/jaeger-ui_otlp2jaeger-multi-in.jsonl",
    "sample-traces/scatter-gather.otlp.json",
    "sample-traces/message-aggregation.otlp.json",
    "sample-traces/event-sourcing.otlp.json",
    "sample-traces/transactional-messaging.otlp.json",
    "tests/fixtures/otlp-json/gentrace_seed3_80spans.json",
];

fn weft() -> Command {
    Command::cargo_bin("weft").expect("the weft binary is built for integration tests")
}

/// A span as this test reads it.
#[derive(Clone, Debug)]
struct Ref {
    trace: String,
    id: String,
    parent: Option<String>,
    service: String,
    name: String,
    kind: String,
    start: u64,
    end: u64,
    error: bool,
    links: Vec<(String, String)>,
}

/// Hex (any case) or base64 (protobuf's canonical JSON for bytes), as lowercase hex.
fn id(v: &J) -> String {
    let s = v.as_str().unwrap_or("");
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()) {
        return s.to_lowercase();
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).expect("id is hex or base64");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn nanos(v: &J) -> u64 {
    match v {
        J::String(s) => s.parse().expect("time as a decimal string"),
        J::Number(n) => n.as_u64().expect("time as an integer"),
        _ => panic!("time missing: {v}"),
    }
}

fn kind(v: Option<&J>) -> String {
    let names = ["unspecified", "internal", "server", "client", "producer", "consumer"];
    match v {
        Some(J::Number(n)) => names[n.as_u64().unwrap() as usize].to_owned(),
        Some(J::String(s)) => s.trim_start_matches("SPAN_KIND_").to_lowercase(),
        _ => "unspecified".to_owned(),
    }
}

fn read(path: &str) -> Vec<Ref> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let docs: Vec<J> = if path.ends_with(".jsonl") {
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
    } else {
        vec![serde_json::from_str(&text).unwrap()]
    };
    let mut out = Vec::new();
    for doc in docs {
        for rs in doc["resourceSpans"].as_array().unwrap() {
            let service = rs["resource"]["attributes"]
                .as_array()
                .and_then(|a| a.iter().find(|kv| kv["key"] == "service.name"))
                .and_then(|kv| kv["value"]["stringValue"].as_str())
                .unwrap_or("unknown_service")
                .to_owned();
            for ss in rs["scopeSpans"].as_array().unwrap() {
                for sp in ss["spans"].as_array().unwrap() {
                    let parent = sp.get("parentSpanId").map(id).filter(|p| !p.is_empty());
                    let code = &sp["status"]["code"];
                    out.push(Ref {
                        trace: id(&sp["traceId"]),
                        id: id(&sp["spanId"]),
                        parent,
                        service: service.clone(),
                        name: sp["name"].as_str().unwrap().to_owned(),
                        kind: kind(sp.get("kind")),
                        start: nanos(&sp["startTimeUnixNano"]),
                        end: nanos(&sp["endTimeUnixNano"]),
                        error: code == 2 || code == "STATUS_CODE_ERROR",
                        links: sp["links"]
                            .as_array()
                            .map(|ls| ls.iter().map(|l| (id(&l["traceId"]), id(&l["spanId"]))).collect())
                            .unwrap_or_default(),
                    });
                }
            }
        }
    }
    out
}

/// Self time by sweeping the children's clipped endpoints: +1 at a start, -1 at an end; time
/// with a positive count is covered.
fn self_times(spans: &[Ref]) -> HashMap<(String, String), u64> {
    let mut kids: HashMap<(String, String), Vec<&Ref>> = HashMap::new();
    for s in spans {
        if let Some(p) = &s.parent {
            kids.entry((s.trace.clone(), p.clone())).or_default().push(s);
        }
    }
    let mut out = HashMap::new();
    for s in spans {
        let key = (s.trace.clone(), s.id.clone());
        let mut events: Vec<(u64, i32)> = Vec::new();
        for c in kids.get(&key).into_iter().flatten() {
            let (a, b) = (c.start.max(s.start), c.end.min(s.end));
            if a < b {
                events.push((a, 1));
                events.push((b, -1));
            }
        }
        events.sort();
        let (mut depth, mut covered, mut last) = (0i32, 0u64, 0u64);
        for (t, d) in events {
            if depth > 0 {
                covered += t - last;
            }
            depth += d;
            last = t;
        }
        out.insert(key, (s.end - s.start) - covered);
    }
    out
}

fn spans_json(args: &[&str]) -> Vec<J> {
    let out = weft().arg("spans").args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn every_span_and_its_self_time_match_an_independent_reading() {
    for path in FILES {
        let spans = read(path);
        assert!(!spans.is_empty(), "{path}");
        let own = self_times(&spans);
        let mut links_in: HashMap<(String, String), usize> = HashMap::new();
        for s in &spans {
            for l in &s.links {
                *links_in.entry(l.clone()).or_default() += 1;
            }
        }
        let got = spans_json(&[path, "--where", "duration>=0ns"]);
        assert_eq!(got.len(), spans.len(), "{path}: every span matches duration>=0ns");
        let by_id: HashMap<(String, String), &J> = got
            .iter()
            .map(|j| {
                ((j["trace_id"].as_str().unwrap().to_owned(), j["span_id"].as_str().unwrap().to_owned()), j)
            })
            .collect();
        let mut differs_from_duration = 0;
        for s in &spans {
            let key = (format!("{:0>32}", s.trace), s.id.clone());
            let j = by_id.get(&key).unwrap_or_else(|| panic!("{path}: span {key:?} missing"));
            let want_self = own[&(s.trace.clone(), s.id.clone())];
            assert_eq!(j["self_ns"], want_self, "{path}: self time of {} {}", s.name, s.id);
            differs_from_duration += usize::from(want_self != s.end - s.start);
            assert_eq!(j["duration_ns"], s.end - s.start, "{path} {}", s.id);
            assert_eq!(j["start_unix_nano"], s.start);
            assert_eq!(j["parent_span_id"].as_str(), s.parent.as_deref(), "{path} {}", s.id);
            assert_eq!(j["service"], s.service.as_str());
            assert_eq!(j["name"], s.name.as_str());
            assert_eq!(j["kind"], s.kind.as_str(), "{path} {}", s.id);
            assert_eq!(j["error"], s.error, "{path} {}", s.id);
            assert_eq!(j["links_out"], s.links.len());
            let incoming = links_in.get(&(s.trace.clone(), s.id.clone())).copied().unwrap_or(0);
            assert_eq!(j["links_in"], incoming, "{path} {}", s.id);
        }
        if path.starts_with("sample-traces") || path.contains("gentrace") {
            assert!(differs_from_duration > 3, "{path}: parents with children were checked");
        }
    }
}

#[test]
fn a_query_selects_exactly_the_spans_the_reference_predicate_selects() {
    let path = "sample-traces/scatter-gather.otlp.json";
    let spans = read(path);
    let own = self_times(&spans);
    let ms = 1_000_000;
    type Predicate<'a> = Box<dyn Fn(&Ref) -> bool + 'a>;
    let cases: Vec<(&str, Predicate)> = vec![
        ("duration>20ms", Box::new(|s: &Ref| s.end - s.start > 20 * ms)),
        (
            "self>=5ms not kind=server",
            Box::new(|s: &Ref| own[&(s.trace.clone(), s.id.clone())] >= 5 * ms && s.kind != "server"),
        ),
        ("error or service~SHARD-3", Box::new(|s: &Ref| s.error || s.service.contains("shard-3"))),
        ("root", Box::new(|s: &Ref| s.parent.is_none())),
        (
            "links>0 -(kind=producer|consumer)",
            Box::new(|s: &Ref| !s.links.is_empty() && !["producer", "consumer"].contains(&s.kind.as_str())),
        ),
        ("name=\"SELECT inventory\"", Box::new(|s: &Ref| s.name == "SELECT inventory")),
    ];
    for (q, want) in cases {
        let mut expected: Vec<String> = spans.iter().filter(|s| want(s)).map(|s| s.id.clone()).collect();
        let mut got: Vec<String> = spans_json(&[path, "--where", q])
            .iter()
            .map(|j| j["span_id"].as_str().unwrap().to_owned())
            .collect();
        expected.sort();
        got.sort();
        assert!(!expected.is_empty() || q == "error or service~SHARD-3", "{q}: the case selects something");
        assert_eq!(got, expected, "{q}");
    }
}

/// Nearest rank, as the README defines it: the value at rank ⌈p·n/100⌉ of the sorted list.
fn nearest_rank(sorted: &[u64], p: usize) -> u64 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[test]
fn stats_equal_an_independent_grouping() {
    let path = "sample-traces/scatter-gather.otlp.json";
    let spans = read(path);
    let own = self_times(&spans);
    let out = weft().args(["stats", path, "--json"]).output().unwrap();
    assert!(out.status.success());
    let got: J = serde_json::from_slice(&out.stdout).unwrap();
    let mut groups: BTreeMap<(String, String), Vec<&Ref>> = BTreeMap::new();
    for s in &spans {
        groups.entry((s.service.clone(), s.name.clone())).or_default().push(s);
    }
    let ops = got["operations"].as_array().unwrap();
    assert_eq!(ops.len(), groups.len());
    for ((service, name), members) in &groups {
        let j = ops.iter().find(|o| o["service"] == service.as_str() && o["name"] == name.as_str()).unwrap();
        let mut durations: Vec<u64> = members.iter().map(|s| s.end - s.start).collect();
        durations.sort();
        assert_eq!(j["spans"], members.len());
        assert_eq!(j["errors"], members.iter().filter(|s| s.error).count());
        assert_eq!(j["total_ns"], durations.iter().sum::<u64>());
        assert_eq!(j["self_ns"], members.iter().map(|s| own[&(s.trace.clone(), s.id.clone())]).sum::<u64>());
        assert_eq!(j["max_ns"], *durations.last().unwrap());
        assert_eq!(j["p50_ns"], nearest_rank(&durations, 50), "{service} {name}");
        assert_eq!(j["p99_ns"], nearest_rank(&durations, 99), "{service} {name}");
    }
    let selfs: Vec<u64> = ops.iter().map(|o| o["self_ns"].as_u64().unwrap()).collect();
    assert!(selfs.windows(2).all(|w| w[0] >= w[1]), "operations by self_ns descending");
    let services = got["services"].as_array().unwrap();
    let mut by_service: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for s in &spans {
        let e = by_service.entry(&s.service).or_default();
        e.0 += 1;
        e.1 += own[&(s.trace.clone(), s.id.clone())];
    }
    assert_eq!(services.len(), by_service.len());
    for (svc, (n, self_ns)) in by_service {
        let j = services.iter().find(|s| s["service"] == svc).unwrap();
        assert_eq!(
            (j["spans"].as_u64().unwrap() as usize, j["self_ns"].as_u64().unwrap()),
            (n, self_ns),
            "{svc}"
        );
    }
    let selfs: Vec<u64> = services.iter().map(|o| o["self_ns"].as_u64().unwrap()).collect();
    assert!(selfs.windows(2).all(|w| w[0] >= w[1]), "services by self_ns descending");
    let keys: Vec<&str> = ops[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 9, "exactly the documented fields: {keys:?}");
}

#[test]
fn stats_with_where_and_trace_count_only_what_they_select() {
    let path = "sample-traces/scatter-gather.otlp.json";
    let spans = read(path);
    let trace = &spans[0].trace;
    let out = weft()
        .args(["stats", path, "--trace", &trace[..8], "--where", "kind=client", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: J = serde_json::from_slice(&out.stdout).unwrap();
    let want = spans.iter().filter(|s| &s.trace == trace && s.kind == "client").count();
    let total: u64 = got["operations"].as_array().unwrap().iter().map(|o| o["spans"].as_u64().unwrap()).sum();
    assert!(want > 0);
    assert_eq!(total as usize, want);
}

#[test]
fn a_bad_query_exits_2_naming_its_column_before_loading() {
    // The file does not exist: the query is checked first.
    let out = weft().args(["spans", "no-such-file.json", "--where", "duration>5xs"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown unit `xs` at column 10"), "{err}");
    let out = weft().args(["stats", "sample-traces", "--where", "(root"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`(` is never closed at column 1"));
    // Control characters typed into a query are not echoed raw.
    let out = weft().args(["spans", "sample-traces", "--where", "name=\"\x1b[2J"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.contains(&0x1b));
}

#[test]
fn text_output_is_one_line_per_span_and_stats_tables_are_aligned() {
    let out = weft()
        .args(["spans", "sample-traces/scatter-gather.otlp.json", "--where", "error"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let want = read("sample-traces/scatter-gather.otlp.json").iter().filter(|s| s.error).count();
    assert_eq!(text.lines().count(), want);
    assert!(text.lines().all(|l| l.contains("[error]") && l.contains(" self ")), "{text}");
    let out = weft().args(["stats", "sample-traces/scatter-gather.otlp.json"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let head = text.lines().next().unwrap();
    assert!(head.starts_with("service") && head.ends_with("p99"), "{head}");
    let width = head.chars().count();
    let table: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    assert!(table.iter().all(|l| l.chars().count() == width), "right-aligned columns end together:\n{text}");
    assert!(text.contains("\nservice") && text.contains("share"), "{text}");
}
