//! Deterministic synthetic inputs for the benchmarks, in every format weft reads: traces of about
//! 100 spans (or one giant trace) with a dozen attributes each, events, and links across traces,
//! shaped like `/work/shared/tools/gentrace.py` output so the numbers compare. Generated in
//! memory, so the benchmarks need nothing outside the repository.

#![allow(dead_code, reason = "each benchmark binary uses a different part")]

use std::fmt::Write as _;

/// A small deterministic PRNG (splitmix64), so every run benchmarks the same bytes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const SERVICES: [&str; 8] =
    ["frontend", "checkout", "payment", "cart", "fraud", "shipping", "email", "ledger"];
const OPS: [&str; 10] = [
    "GET /api/cart",
    "POST /api/checkout",
    "SELECT orders",
    "publish order.created",
    "consume order.created",
    "charge card",
    "render template",
    "cache get",
    "grpc Ledger/Append",
    "compute totals",
];
const WORDS: [&str; 8] = ["lorem", "ipsum", "dolor", "sit", "amet", "ユーザー", "ünïcödé", "consectetur"];

/// One span in format-neutral form.
pub struct Span {
    pub trace: (u64, u64),
    pub id: u64,
    pub parent: u64,
    pub start_ns: u64,
    pub dur_ns: u64,
    pub service: usize,
    pub op: usize,
    pub kind: u64,
    pub error: bool,
    /// (key, string value): some repeat across spans, some are unique.
    pub attrs: Vec<(String, String)>,
    pub events: usize,
    /// (trace, span) targets.
    pub links: Vec<((u64, u64), u64)>,
}

/// `spans` spans in traces of about `per_trace` spans; about 2% of spans link to spans of other
/// traces (some backwards, some forwards, a few to spans that are not in the data).
pub fn spans(total: usize, per_trace: usize, seed: u64) -> Vec<Span> {
    let mut rng = Rng::new(seed);
    let per_trace = per_trace.max(1);
    let traces = total.div_ceil(per_trace);
    let trace_id = |t: u64| (0x5eed_0000_0000_0000 | t, 0x1000_0000_0000_0000 | t.wrapping_mul(7919));
    let span_id = |t: u64, i: u64| 0x2000_0000_0000_0000 | (t << 24) | i;
    let mut out = Vec::with_capacity(total);
    let base = 1_700_000_000_000_000_000u64;
    for t in 0..traces as u64 {
        let n = per_trace.min(total - out.len()) as u64;
        let start = base + t * 1_000_000_000;
        for i in 0..n {
            // A tree: each span's parent is an earlier span of the trace (fan-out and depth).
            let parent = if i == 0 { 0 } else { span_id(t, rng.below(i)) };
            let service = rng.below(SERVICES.len() as u64) as usize;
            let op = rng.below(OPS.len() as u64) as usize;
            let mut attrs = vec![
                ("http.request.method".to_owned(), ["GET", "POST", "PUT"][rng.below(3) as usize].to_owned()),
                ("http.route".to_owned(), format!("/api/v1/{}", OPS[op].len())),
                (
                    "http.response.status_code".to_owned(),
                    ["200", "200", "404", "500"][rng.below(4) as usize].to_owned(),
                ),
                ("net.peer.name".to_owned(), format!("{}.svc.cluster.local", SERVICES[service])),
                ("thread.name".to_owned(), format!("worker-{}", rng.below(64))),
                ("client.address".to_owned(), format!("10.0.{}.{}", rng.below(256), rng.below(256))),
            ];
            for a in 0..rng.below(6) {
                let w1 = WORDS[rng.below(WORDS.len() as u64) as usize];
                let w2 = WORDS[rng.below(WORDS.len() as u64) as usize];
                attrs.push((format!("app.attr_{a}"), format!("{w1} {w2} {}", rng.next() % 100_000)));
            }
            let mut links = Vec::new();
            if rng.below(50) == 0 {
                for _ in 0..1 + rng.below(3) {
                    let other = rng.below(traces as u64);
                    let target = if rng.below(20) == 0 {
                        (trace_id(u64::MAX - other), 1)
                    } else {
                        (trace_id(other), span_id(other, rng.below(per_trace as u64)))
                    };
                    links.push(target);
                }
            }
            out.push(Span {
                trace: trace_id(t),
                id: span_id(t, i),
                parent,
                start_ns: start + i * 1_000 + rng.below(500),
                dur_ns: 1_000 + rng.below(1_000_000),
                service,
                op,
                kind: 1 + rng.below(5),
                error: rng.below(40) == 0,
                attrs,
                events: if rng.below(4) == 0 { 1 } else { 0 },
                links,
            });
        }
    }
    out
}

fn hex128((hi, lo): (u64, u64)) -> String {
    format!("{hi:016x}{lo:016x}")
}

/// OTLP JSON: one document with one resourceSpans element per (trace, service) run of spans,
/// elements one per line (as gentrace writes them). With `lines`, one document per 512 spans
/// per line instead (the Collector file exporter's JSON Lines).
pub fn otlp_json(spans: &[Span], lines: bool) -> Vec<u8> {
    let mut out = String::with_capacity(spans.len() * 1300);
    let mut elements: Vec<String> = Vec::new();
    let flush = |out: &mut String, elements: &mut Vec<String>| {
        if elements.is_empty() {
            return;
        }
        out.push_str("{\"resourceSpans\":[");
        out.push_str(&elements.join(",\n"));
        out.push_str("]}\n");
        elements.clear();
    };
    let mut i = 0;
    let mut in_doc = 0;
    while i < spans.len() {
        let (trace, service) = (spans[i].trace, spans[i].service);
        let mut j = i;
        let mut body = String::new();
        while j < spans.len()
            && spans[j].trace == trace
            && spans[j].service == service
            && (!lines || in_doc < 512)
        {
            if j > i {
                body.push(',');
            }
            otlp_span(&mut body, &spans[j]);
            j += 1;
            in_doc += 1;
        }
        elements.push(format!(
            "{{\"resource\":{{\"attributes\":[{{\"key\":\"service.name\",\"value\":{{\"stringValue\":\"{}\"}}}},\
             {{\"key\":\"host.name\",\"value\":{{\"stringValue\":\"ip-10-0-0-{}.internal\"}}}}]}},\
             \"scopeSpans\":[{{\"scope\":{{\"name\":\"io.opentelemetry.bench\",\"version\":\"1.0\"}},\"spans\":[{body}]}}]}}",
            SERVICES[service],
            service
        ));
        i = j;
        if lines && in_doc >= 512 {
            flush(&mut out, &mut elements);
            in_doc = 0;
        }
    }
    if lines {
        flush(&mut out, &mut elements);
    } else {
        out.push_str("{\"resourceSpans\":[");
        out.push_str(&elements.join(",\n"));
        out.push_str("]}\n");
    }
    out.into_bytes()
}

fn otlp_span(out: &mut String, s: &Span) {
    let _ = write!(
        out,
        "{{\"traceId\":\"{}\",\"spanId\":\"{:016x}\",\"parentSpanId\":\"{}\",\"flags\":257,\"name\":\"{}\",\"kind\":{},\
         \"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":[",
        hex128(s.trace),
        s.id,
        if s.parent == 0 { String::new() } else { format!("{:016x}", s.parent) },
        OPS[s.op],
        s.kind,
        s.start_ns,
        s.start_ns + s.dur_ns
    );
    for (n, (k, v)) in s.attrs.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"key\":\"{k}\",\"value\":{{\"stringValue\":\"{v}\"}}}}");
    }
    out.push(']');
    if s.events > 0 {
        let _ = write!(
            out,
            ",\"events\":[{{\"timeUnixNano\":\"{}\",\"name\":\"retry\",\"attributes\":[{{\"key\":\"log.message\",\"value\":{{\"stringValue\":\"retrying {}\"}}}}]}}]",
            s.start_ns + 10,
            s.id % 1000
        );
    }
    if !s.links.is_empty() {
        out.push_str(",\"links\":[");
        for (n, (t, sp)) in s.links.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"traceId\":\"{}\",\"spanId\":\"{:016x}\"}}", hex128(*t), sp);
        }
        out.push(']');
    }
    let _ = write!(out, ",\"status\":{{{}}}}}", if s.error { "\"code\":2,\"message\":\"boom\"" } else { "" });
}

/// Jaeger query-API JSON: `{"data": [trace, …]}` with processes.
pub fn jaeger_json(spans: &[Span]) -> Vec<u8> {
    let mut out = String::with_capacity(spans.len() * 1300);
    out.push_str("{\"data\":[");
    let mut i = 0;
    let mut first_trace = true;
    while i < spans.len() {
        let trace = spans[i].trace;
        if !first_trace {
            out.push_str(",\n");
        }
        first_trace = false;
        let _ = write!(out, "{{\"traceID\":\"{}\",\"spans\":[", hex128(trace));
        let mut j = i;
        while j < spans.len() && spans[j].trace == trace {
            let s = &spans[j];
            if j > i {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"traceID\":\"{}\",\"spanID\":\"{:016x}\",\"operationName\":\"{}\",\"references\":[",
                hex128(trace),
                s.id,
                OPS[s.op]
            );
            let mut refs = Vec::new();
            if s.parent != 0 {
                refs.push(format!(
                    "{{\"refType\":\"CHILD_OF\",\"traceID\":\"{}\",\"spanID\":\"{:016x}\"}}",
                    hex128(trace),
                    s.parent
                ));
            }
            for (t, sp) in &s.links {
                refs.push(format!(
                    "{{\"refType\":\"FOLLOWS_FROM\",\"traceID\":\"{}\",\"spanID\":\"{sp:016x}\"}}",
                    hex128(*t)
                ));
            }
            out.push_str(&refs.join(","));
            let _ = write!(
                out,
                "],\"startTime\":{},\"duration\":{},\"tags\":[",
                s.start_ns / 1000,
                s.dur_ns / 1000
            );
            let tags: Vec<String> = s
                .attrs
                .iter()
                .map(|(k, v)| format!("{{\"key\":\"{k}\",\"type\":\"string\",\"value\":\"{v}\"}}"))
                .collect();
            out.push_str(&tags.join(","));
            let _ = write!(out, "],\"logs\":[],\"processID\":\"p{}\"}}", s.service);
            j += 1;
        }
        out.push_str("],\"processes\":{");
        let procs: Vec<String> = (0..SERVICES.len())
            .map(|p| format!("\"p{p}\":{{\"serviceName\":\"{}\",\"tags\":[]}}", SERVICES[p]))
            .collect();
        out.push_str(&procs.join(","));
        out.push_str("}}");
        i = j;
    }
    out.push_str("]}\n");
    out.into_bytes()
}

/// Zipkin v2 JSON: one array of spans (Zipkin has no links; they are left out).
pub fn zipkin_json(spans: &[Span]) -> Vec<u8> {
    let mut out = String::with_capacity(spans.len() * 900);
    out.push('[');
    for (n, s) in spans.iter().enumerate() {
        if n > 0 {
            out.push_str(",\n");
        }
        let _ = write!(out, "{{\"traceId\":\"{}\",\"id\":\"{:016x}\",", hex128(s.trace), s.id);
        if s.parent != 0 {
            let _ = write!(out, "\"parentId\":\"{:016x}\",", s.parent);
        }
        let kind = ["CLIENT", "SERVER", "PRODUCER", "CONSUMER"][(s.kind % 4) as usize];
        let _ = write!(
            out,
            "\"name\":\"{}\",\"kind\":\"{kind}\",\"timestamp\":{},\"duration\":{},\"localEndpoint\":{{\"serviceName\":\"{}\"}},\"tags\":{{",
            OPS[s.op],
            s.start_ns / 1000,
            s.dur_ns / 1000,
            SERVICES[s.service]
        );
        let tags: Vec<String> = s.attrs.iter().map(|(k, v)| format!("\"{k}\":\"{v}\"")).collect();
        out.push_str(&tags.join(","));
        out.push_str("}}");
    }
    out.push_str("]\n");
    out.into_bytes()
}

/// Datadog trace-agent v0.4 msgpack: an array of trace chunks, each an array of span maps.
pub fn datadog_msgpack(spans: &[Span]) -> Vec<u8> {
    use rmp::encode as e;
    let mut out = Vec::with_capacity(spans.len() * 800);
    let chunks: Vec<&[Span]> = spans.chunk_by(|a, b| a.trace == b.trace).collect();
    let len = |n: usize| u32::try_from(n).expect("benchmark sizes fit in u32");
    e::write_array_len(&mut out, len(chunks.len())).expect("writing to a Vec");
    for chunk in chunks {
        e::write_array_len(&mut out, len(chunk.len())).expect("writing to a Vec");
        for (n, s) in chunk.iter().enumerate() {
            let links = !s.links.is_empty();
            e::write_map_len(&mut out, 12 + u32::from(links)).expect("writing to a Vec");
            let mut kv_str = |k: &str, v: &str| {
                e::write_str(&mut out, k).expect("writing to a Vec");
                e::write_str(&mut out, v).expect("writing to a Vec");
            };
            kv_str("service", SERVICES[s.service]);
            kv_str("name", OPS[s.op]);
            kv_str("resource", &format!("{} {}", OPS[s.op], s.id % 97));
            kv_str("type", "web");
            let kv_u = |out: &mut Vec<u8>, k: &str, v: u64| {
                e::write_str(out, k).expect("writing to a Vec");
                e::write_uint(out, v).expect("writing to a Vec");
            };
            kv_u(&mut out, "trace_id", s.trace.1);
            kv_u(&mut out, "span_id", s.id);
            kv_u(&mut out, "parent_id", s.parent);
            kv_u(&mut out, "start", s.start_ns);
            kv_u(&mut out, "duration", s.dur_ns);
            kv_u(&mut out, "error", u64::from(s.error));
            e::write_str(&mut out, "meta").expect("writing to a Vec");
            let tid = n == 0;
            e::write_map_len(&mut out, len(s.attrs.len() + 2 + usize::from(tid))).expect("writing to a Vec");
            for (k, v) in &s.attrs {
                e::write_str(&mut out, k).expect("writing to a Vec");
                e::write_str(&mut out, v).expect("writing to a Vec");
            }
            for (k, v) in [("env", "prod"), ("span.kind", "server")] {
                e::write_str(&mut out, k).expect("writing to a Vec");
                e::write_str(&mut out, v).expect("writing to a Vec");
            }
            if tid {
                e::write_str(&mut out, "_dd.p.tid").expect("writing to a Vec");
                e::write_str(&mut out, &format!("{:016x}", s.trace.0)).expect("writing to a Vec");
            }
            e::write_str(&mut out, "metrics").expect("writing to a Vec");
            e::write_map_len(&mut out, 1).expect("writing to a Vec");
            e::write_str(&mut out, "_sampling_priority_v1").expect("writing to a Vec");
            e::write_f64(&mut out, 1.0).expect("writing to a Vec");
            if links {
                e::write_str(&mut out, "span_links").expect("writing to a Vec");
                e::write_array_len(&mut out, len(s.links.len())).expect("writing to a Vec");
                for ((hi, lo), sp) in &s.links {
                    e::write_map_len(&mut out, 3).expect("writing to a Vec");
                    kv_u(&mut out, "trace_id", *lo);
                    kv_u(&mut out, "trace_id_high", *hi);
                    kv_u(&mut out, "span_id", *sp);
                }
            }
        }
    }
    out
}
