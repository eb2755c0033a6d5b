//! Writes the bundled sample traces into `sample-traces/`: `cargo run --example gen_samples`.
//!
//! Four span-link patterns from Datadog's span-links guide (scatter-gather, message aggregation,
//! transactional messaging, event sourcing), each as OTLP JSON and as Datadog v0.4 msgpack, plus a
//! JSON Lines copy of scatter-gather. Everything is deterministic: ids are FNV-1a hashes of names,
//! times are fixed offsets from 2026-11-20T02:00:00Z, so the committed files can be regenerated
//! byte for byte (`tests/samples.rs` checks that).
//!
//! The three copies (OTLP, Datadog, JSON Lines) hash their ids with different salts and run at
//! different times, so loading the whole folder never sees one id twice. Spans are first built in a
//! small format-neutral model (`Sp`) and then written out by `otlp_*` and `dd_*`.

use serde::Serialize;
use std::collections::HashMap;

/// 2026-11-20T02:00:00Z in seconds since the Unix epoch.
const T0_SECS: u64 = 1_795_140_000;
const NS_PER_US: u64 = 1_000;
const NS_PER_SEC: u64 = 1_000_000_000;

/// Spans per line in the JSON Lines copy: roughly what a Collector batch processor flushes at once
/// under light load, and small enough that one trace is spread over many lines.
const JSONL_BATCH: usize = 7;

/// (file name, contents) of every generated sample, in a fixed order.
pub fn generate() -> Vec<(&'static str, Vec<u8>)> {
    let otlp = Variant { salt: "otlp", offset_secs: 0, dd: false, order: 1042 };
    let dd = Variant { salt: "datadog", offset_secs: 40 * 60, dd: true, order: 2087 };
    let jsonl = Variant { salt: "jsonl", offset_secs: 80 * 60, dd: false, order: 3311 };

    let sg = scatter_gather(&otlp);
    let ma = message_aggregation(&otlp);
    let tm = transactional_messaging(&otlp);
    let es = event_sourcing(&otlp, &ES_OTLP, None);
    // The Datadog event-sourcing copy continues the same entity an hour later: its rebuild starts
    // from the snapshot the OTLP copy saved, which is the cross-file link.
    let snapshot = es.find("save snapshot Order order-1042");
    let dd_sg = scatter_gather(&dd);
    let dd_ma = message_aggregation(&dd);
    let dd_tm = transactional_messaging(&dd);
    let dd_es = event_sourcing(&dd, &ES_DD, Some(snapshot));
    let jl_sg = scatter_gather(&jsonl);

    for b in [&sg, &ma, &tm, &es, &dd_sg, &dd_ma, &dd_tm, &dd_es, &jl_sg] {
        b.check();
    }
    vec![
        ("scatter-gather.otlp.json", otlp_json(&sg)),
        ("scatter-gather.dd.msgpack", dd_msgpack(&dd_sg)),
        ("scatter-gather.otlp.jsonl", otlp_jsonl(&jl_sg)),
        ("message-aggregation.otlp.json", otlp_json(&ma)),
        ("message-aggregation.dd.msgpack", dd_msgpack(&dd_ma)),
        ("transactional-messaging.otlp.json", otlp_json(&tm)),
        ("transactional-messaging.dd.msgpack", dd_msgpack(&dd_tm)),
        ("event-sourcing.otlp.json", otlp_json(&es)),
        ("event-sourcing.dd.msgpack", dd_msgpack(&dd_es)),
    ]
}

#[allow(dead_code, reason = "tests/samples.rs includes this file as a module and calls only generate()")]
fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in generate() {
        std::fs::write(dir.join(name), &bytes)?;
        println!("{name}: {} bytes", bytes.len());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The format-neutral model
// ---------------------------------------------------------------------------------------------

/// One copy of the samples: its id salt, its start time and the format it is written in.
struct Variant {
    salt: &'static str,
    offset_secs: u64,
    /// Datadog trace ids: high half = start second << 32, as Datadog tracers make them.
    dd: bool,
    /// First order number used in this copy, so the copies read as different business data.
    order: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

/// What instrumented the span; decides the scope name and the Datadog name/type/component.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cat {
    HttpServer,
    HttpClient,
    Db,
    Redis,
    Kafka,
    Internal,
}

#[derive(Clone, Debug)]
enum V {
    S(String),
    I(i64),
    F(f64),
    B(bool),
    A(Vec<V>),
}

impl From<&str> for V {
    fn from(s: &str) -> Self {
        V::S(s.to_owned())
    }
}
impl From<String> for V {
    fn from(s: String) -> Self {
        V::S(s)
    }
}
impl From<i64> for V {
    fn from(n: i64) -> Self {
        V::I(n)
    }
}
impl From<f64> for V {
    fn from(n: f64) -> Self {
        V::F(n)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> Self {
        V::B(b)
    }
}

/// A span as seen from outside: enough to link to it or parent under it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Ref {
    trace: u128,
    span: u64,
}

struct Ev {
    /// ns since epoch
    time: u64,
    name: String,
    attrs: Vec<(String, V)>,
}

struct Lk {
    to: Ref,
    attrs: Vec<(String, V)>,
    /// W3C flags plus OTLP's "is remote" bits (0x100 known, 0x200 remote).
    flags: u32,
}

struct Sp {
    trace: u128,
    id: u64,
    parent: u64,
    svc: &'static str,
    name: String,
    kind: Kind,
    cat: Cat,
    start: u64,
    end: u64,
    attrs: Vec<(String, V)>,
    events: Vec<Ev>,
    links: Vec<Lk>,
    /// Status message of an error span.
    error: Option<String>,
    remote_parent: bool,
    /// Datadog `resource` when it is not the span name (SQL text, `Produce Topic x`).
    resource: Option<String>,
    /// False for spans that were built only so something can link to them (a dangling target).
    keep: bool,
}

impl Sp {
    fn r(&self) -> Ref {
        Ref { trace: self.trace, span: self.id }
    }

    fn a(&mut self, key: &str, v: impl Into<V>) -> &mut Self {
        self.attrs.push((key.to_owned(), v.into()));
        self
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// An event `dt_us` after the span started.
    fn ev(&mut self, name: &str, dt_us: u64, attrs: Vec<(&str, V)>) -> &mut Self {
        let time = self.start + dt_us * NS_PER_US;
        let attrs = attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        self.events.push(Ev { time, name: name.to_owned(), attrs });
        self
    }

    /// Marks the span failed with an exception event, as OTel SDKs record it.
    fn exception(&mut self, dt_us: u64, ty: &str, msg: &str, stack: &str) -> &mut Self {
        self.error = Some(msg.to_owned());
        self.ev(
            "exception",
            dt_us,
            vec![
                ("exception.type", ty.into()),
                ("exception.message", msg.into()),
                ("exception.stacktrace", stack.into()),
            ],
        )
    }

    fn fail(&mut self, msg: &str) -> &mut Self {
        self.error = Some(msg.to_owned());
        self
    }
}

/// FNV-1a over the parts (separated, so ("ab","c") and ("a","bc") differ), then MurmurHash3's
/// 64-bit finalizer so that names differing in one character give unrelated-looking ids.
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0x1f]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Builds the spans of one pattern in one variant.
struct B {
    salt: &'static str,
    pattern: &'static str,
    dd: bool,
    /// ns since epoch of offset 0; every `(t, d)` below is in µs from here.
    base: u64,
    spans: Vec<Sp>,
    by_id: HashMap<u64, usize>,
    count: u64,
}

impl B {
    fn new(v: &Variant, pattern: &'static str, offset_secs: u64) -> Self {
        Self {
            salt: v.salt,
            pattern,
            dd: v.dd,
            base: (T0_SECS + v.offset_secs + offset_secs) * NS_PER_SEC,
            spans: Vec::new(),
            by_id: HashMap::new(),
            count: 0,
        }
    }

    fn hash(&self, parts: &[&str]) -> u64 {
        let mut all = vec![self.salt, self.pattern];
        all.extend_from_slice(parts);
        fnv(&all)
    }

    /// Sub-microsecond noise so times do not all end in 000, derived from the span id.
    fn at(&self, t_us: u64, noise: u64) -> u64 {
        self.base + t_us * NS_PER_US + noise % 997
    }

    /// `parent` is (span id, service) of the parent, if any.
    fn push(
        &mut self,
        trace: u128,
        parent: Option<(u64, &'static str)>,
        svc: &'static str,
        spec: Spec,
    ) -> &mut Sp {
        self.count += 1;
        let n = self.count.to_string();
        let id = self.hash(&[&format!("{trace:032x}"), spec.name, &n]).max(1);
        let (t, d) = spec.w;
        let start = self.at(t, id);
        let end = self.at(t + d, id >> 17).max(start);
        let sp = Sp {
            trace,
            id,
            parent: parent.map_or(0, |p| p.0),
            svc,
            name: spec.name.to_owned(),
            kind: spec.kind,
            cat: spec.cat,
            start,
            end,
            attrs: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            error: None,
            remote_parent: parent.is_some_and(|p| p.1 != svc),
            resource: None,
            keep: true,
        };
        self.by_id.insert(id, self.spans.len());
        self.spans.push(sp);
        self.spans.last_mut().expect("just pushed")
    }

    /// Starts a new trace; `key` names it for the id hash.
    fn root(&mut self, key: &str, svc: &'static str, spec: Spec) -> &mut Sp {
        let start_secs = (self.base + spec.w.0 * NS_PER_US) / NS_PER_SEC;
        let low = self.hash(&["trace", key]);
        let high = if self.dd { start_secs << 32 } else { self.hash(&["trace-high", key]) };
        let trace = (u128::from(high) << 64) | u128::from(low);
        self.push(trace, None, svc, spec)
    }

    /// A child in the parent's service.
    fn child(&mut self, p: Ref, spec: Spec) -> &mut Sp {
        let svc = self.sp(p).svc;
        self.remote(p, svc, spec)
    }

    /// A child in another service (the parent context came over the wire).
    fn remote(&mut self, p: Ref, svc: &'static str, spec: Spec) -> &mut Sp {
        let parent_svc = self.sp(p).svc;
        self.push(p.trace, Some((p.span, parent_svc)), svc, spec)
    }

    fn sp(&mut self, r: Ref) -> &mut Sp {
        let i = self.by_id[&r.span];
        &mut self.spans[i]
    }

    /// Moves the end of `r` to `t_us`, for parents whose length depends on their children.
    fn finish(&mut self, r: Ref, t_us: u64) {
        let end = self.at(t_us, r.span >> 17);
        self.sp(r).end = end;
    }

    fn link(&mut self, from: Ref, to: Ref, attrs: Vec<(&str, V)>) {
        let from_svc = self.sp(from).svc;
        let remote = self.spans.iter().find(|s| s.id == to.span).is_none_or(|t| t.svc != from_svc);
        let attrs = attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let flags = if remote { 0x301 } else { 0x101 };
        self.sp(from).links.push(Lk { to, attrs, flags });
    }

    /// Leaves `r` and everything under it out of the output; links to it stay (a missing span).
    fn drop_subtree(&mut self, r: Ref) {
        let mut gone = vec![r.span];
        while let Some(id) = gone.pop() {
            for s in &mut self.spans {
                if s.id == id {
                    s.keep = false;
                } else if s.parent == id && s.trace == r.trace {
                    gone.push(s.id);
                }
            }
        }
    }

    /// Leaves a whole trace out of the output (a dangling link target).
    fn drop_trace(&mut self, trace: u128) {
        for s in self.spans.iter_mut().filter(|s| s.trace == trace) {
            s.keep = false;
        }
    }

    fn find(&self, name: &str) -> Ref {
        self.spans.iter().find(|s| s.name == name).map(Sp::r).expect("span looked up by name exists")
    }

    fn kept(&self) -> impl Iterator<Item = &Sp> {
        self.spans.iter().filter(|s| s.keep)
    }

    /// A deterministic id-like string (UUID layout) for message and event ids.
    fn uuid(&self, key: &str) -> String {
        let a = self.hash(&["uuid", key]);
        let b = self.hash(&["uuid2", key]);
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48 & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// Sanity of the generated data: every kept child lies inside its kept parent in time, ids
    /// are unique, and no kept span hangs under a dropped one.
    fn check(&self) {
        let mut seen = std::collections::HashSet::new();
        for s in self.kept() {
            assert!(seen.insert(s.id), "{}: duplicate span id for {}", self.pattern, s.name);
            assert!(s.start <= s.end, "{}: {} ends before it starts", self.pattern, s.name);
            if s.parent != 0 {
                let p = &self.spans[self.by_id[&s.parent]];
                assert!(p.keep, "{}: {} hangs under dropped {}", self.pattern, s.name, p.name);
                assert!(
                    p.start <= s.start && s.end <= p.end,
                    "{}: {} [{}, {}] is not inside its parent {} [{}, {}]",
                    self.pattern,
                    s.name,
                    s.start - self.base,
                    s.end - self.base,
                    p.name,
                    p.start - self.base,
                    p.end - self.base
                );
            }
        }
    }
}

/// What a new span is: kind, instrumentation, name and `(start, duration)` in µs.
struct Spec<'a> {
    kind: Kind,
    cat: Cat,
    name: &'a str,
    w: (u64, u64),
}

fn internal(name: &str, w: (u64, u64)) -> Spec<'_> {
    Spec { kind: Kind::Internal, cat: Cat::Internal, name, w }
}

// ---------------------------------------------------------------------------------------------
// Services and the spans every pattern uses (HTTP calls, SQL, Redis, Kafka)
// ---------------------------------------------------------------------------------------------

/// (service, version, language)
const SERVICES: &[(&str, &str, &str)] = &[
    ("checkout", "1.14.2", "java"),
    ("orders", "3.8.0", "java"),
    ("pricing", "2.4.0", "java"),
    ("payments", "4.11.0", "java"),
    ("orders-outbox-relay", "1.2.0", "java"),
    ("inventory", "2.3.1", "go"),
    ("inventory-shard-0", "2.3.1", "go"),
    ("inventory-shard-1", "2.3.1", "go"),
    ("inventory-shard-2", "2.3.1", "go"),
    ("inventory-shard-3", "2.3.1", "go"),
    ("fulfillment", "1.7.1", "go"),
    ("customers", "5.2.0", "python"),
    ("billing-worker", "0.19.4", "python"),
    ("address-validation", "0.9.2", "python"),
    ("notifications", "2.0.3", "nodejs"),
];

fn service(name: &str) -> (&'static str, &'static str) {
    SERVICES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|&(_, v, l)| (v, l))
        .unwrap_or_else(|| panic!("service {name} is missing from SERVICES"))
}

/// The Kubernetes pod a service's spans come from, e.g. `checkout-7d9f8c6b5-x2kqp`.
fn pod(svc: &str) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let h = fnv(&["pod", svc]);
    let suffix: String =
        (0..5).map(|i| char::from(ALPHA[usize::from((h >> (i * 8)) as u8) % ALPHA.len()])).collect();
    format!("{svc}-{:09x}-{suffix}", (h >> 28) & 0xf_ffff_ffff)
}

/// Instrumentation scope (name, version) per language and kind of span.
fn scope(lang: &str, cat: Cat, svc: &'static str) -> (String, &'static str) {
    let (name, version) = match (lang, cat) {
        ("java", Cat::HttpServer) => ("io.opentelemetry.tomcat-10.0", "2.18.0-alpha"),
        ("java", Cat::HttpClient) => ("io.opentelemetry.java-http-client", "2.18.0-alpha"),
        ("java", Cat::Db) => ("io.opentelemetry.jdbc", "2.18.0-alpha"),
        ("java", Cat::Redis) => ("io.opentelemetry.lettuce-5.1", "2.18.0-alpha"),
        ("java", Cat::Kafka) => ("io.opentelemetry.kafka-clients-2.6", "2.18.0-alpha"),
        ("go", Cat::HttpServer | Cat::HttpClient) => {
            ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "0.61.0")
        }
        ("go", Cat::Db) => ("github.com/exaring/otelpgx", "0.9.3"),
        ("go", Cat::Redis) => ("github.com/redis/go-redis/extra/redisotel", "9.7.0"),
        ("go", Cat::Kafka) => ("github.com/twmb/franz-go/plugin/kotel", "1.6.0"),
        ("python", Cat::HttpServer) => ("opentelemetry.instrumentation.flask", "0.56b0"),
        ("python", Cat::HttpClient) => ("opentelemetry.instrumentation.requests", "0.56b0"),
        ("python", Cat::Db) => ("opentelemetry.instrumentation.psycopg", "0.56b0"),
        ("python", Cat::Redis) => ("opentelemetry.instrumentation.redis", "0.56b0"),
        ("python", Cat::Kafka) => ("opentelemetry.instrumentation.confluent_kafka", "0.56b0"),
        ("nodejs", Cat::HttpServer) => ("@opentelemetry/instrumentation-http", "0.203.0"),
        ("nodejs", Cat::HttpClient) => ("@opentelemetry/instrumentation-undici", "0.14.0"),
        ("nodejs", Cat::Db) => ("@opentelemetry/instrumentation-pg", "0.55.0"),
        ("nodejs", Cat::Kafka) => ("@opentelemetry/instrumentation-kafkajs", "0.12.0"),
        (_, _) => return (format!("shop.{}", svc.replace('-', "_")), "1.0.0"),
    };
    (name.to_owned(), version)
}

/// One HTTP request from the parent's service to `to`: the CLIENT span and the SERVER span inside
/// it. `req` is `"POST /v1/orders"` (method and route); returns the server span.
fn call(b: &mut B, p: Ref, to: &'static str, req: &str, path: &str, status: i64, w: (u64, u64)) -> Ref {
    let (method, route) = req.split_once(' ').expect("request is 'METHOD /route'");
    let host = format!("{to}.shop.svc.cluster.local");
    let client = b
        .child(p, Spec { kind: Kind::Client, cat: Cat::HttpClient, name: req, w })
        .a("http.request.method", method)
        .a("url.full", format!("http://{host}:8080{path}"))
        .a("server.address", host.as_str())
        .a("server.port", 8080)
        .a("network.protocol.version", "1.1")
        .a("http.response.status_code", status)
        .r();
    // Network latency each way: a tenth of the call, at most 0.9 ms (0.65 ms when the caller
    // will only know the call's length later, see `B::finish`).
    let lat = if w.1 == 0 { 650 } else { (w.1 / 10).clamp(40, 900) };
    let caller = b.sp(p).svc;
    let server = b
        .remote(
            client,
            to,
            Spec {
                kind: Kind::Server,
                cat: Cat::HttpServer,
                name: req,
                w: (w.0 + lat, w.1.saturating_sub(2 * lat)),
            },
        )
        .a("http.request.method", method)
        .a("http.route", route)
        .a("url.path", path)
        .a("url.scheme", "http")
        .a("server.address", host.as_str())
        .a("server.port", 8080)
        .a("client.address", format!("10.42.{}.{}", fnv(&[caller]) % 16, fnv(&[caller, "ip"]) % 250 + 2))
        .a("user_agent.original", user_agent(service(caller).1))
        .a("network.protocol.version", "1.1")
        .a("http.response.status_code", status)
        .r();
    if status >= 500 {
        b.sp(client).fail("");
        b.sp(server).fail("");
    }
    server
}

fn user_agent(lang: &str) -> &'static str {
    match lang {
        "java" => "Java-http-client/21.0.5",
        "go" => "Go-http-client/1.1",
        "python" => "python-requests/2.32.3",
        _ => "undici",
    }
}

/// A public HTTP request arriving at `svc`: the root SERVER span of a trace.
fn web_root(
    b: &mut B,
    key: &str,
    svc: &'static str,
    req: &str,
    path: &str,
    status: i64,
    w: (u64, u64),
) -> Ref {
    let (method, route) = req.split_once(' ').expect("request is 'METHOD /route'");
    let client_ip = format!("203.0.113.{}", fnv(&[key, "client"]) % 250 + 2);
    b.root(key, svc, Spec { kind: Kind::Server, cat: Cat::HttpServer, name: req, w })
        .a("http.request.method", method)
        .a("http.route", route)
        .a("url.path", path)
        .a("url.scheme", "https")
        .a("server.address", "shop.example.com")
        .a("client.address", client_ip)
        .a(
            "user_agent.original",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/18.6 Mobile/15E148 Safari/604.1",
        )
        .a("network.protocol.version", "2")
        .a("http.response.status_code", status)
        .r()
}

/// One SQL statement (CLIENT span named `"<OP> <table>"`, as OTel database semconv does).
fn db(b: &mut B, p: Ref, op: &str, table: &str, sql: &str, rows: i64, w: (u64, u64)) -> Ref {
    let svc = b.sp(p).svc;
    let dbname = svc.replace('-', "_");
    let name = if table.is_empty() { op.to_owned() } else { format!("{op} {table}") };
    let sp = b
        .child(p, Spec { kind: Kind::Client, cat: Cat::Db, name: &name, w })
        .a("db.system.name", "postgresql")
        .a("db.namespace", dbname.as_str())
        .a("db.operation.name", op)
        .a("db.query.text", sql)
        .a("server.address", format!("pg-{svc}.shop.svc.cluster.local"))
        .a("server.port", 5432);
    if !table.is_empty() {
        sp.a("db.collection.name", table);
    }
    if rows >= 0 {
        sp.a("db.response.returned_rows", rows);
    }
    sp.resource = Some(sql.to_owned());
    sp.r()
}

fn redis(b: &mut B, p: Ref, cmd: &str, key: &str, w: (u64, u64)) -> Ref {
    let sp = b
        .child(p, Spec { kind: Kind::Client, cat: Cat::Redis, name: cmd, w })
        .a("db.system.name", "redis")
        .a("db.operation.name", cmd)
        .a("db.query.text", format!("{cmd} {key}"))
        .a("db.namespace", "0")
        .a("server.address", "redis-master.shop.svc.cluster.local")
        .a("server.port", 6379);
    sp.resource = Some(cmd.to_owned());
    sp.r()
}

const KAFKA: &str = "kafka-0.kafka-headless.shop.svc.cluster.local";

/// A Kafka send (PRODUCER span `kafka.produce <topic>`) of one message.
fn produce(b: &mut B, p: Ref, topic: &str, key: &str, partition: u32, offset: i64, w: (u64, u64)) -> Ref {
    let svc = b.sp(p).svc;
    let msg_id = b.uuid(&format!("{topic}/{key}/{offset}"));
    let name = format!("kafka.produce {topic}");
    let sp = b
        .child(p, Spec { kind: Kind::Producer, cat: Cat::Kafka, name: &name, w })
        .a("messaging.system", "kafka")
        .a("messaging.operation.type", "send")
        .a("messaging.operation.name", "send")
        .a("messaging.destination.name", topic)
        .a("messaging.destination.partition.id", partition.to_string())
        .a("messaging.kafka.message.key", key)
        .a("messaging.kafka.offset", offset)
        .a("messaging.message.id", msg_id)
        .a("messaging.client.id", format!("{}-producer-1", pod(svc)))
        .a("server.address", KAFKA)
        .a("server.port", 9092);
    sp.resource = Some(format!("Produce Topic {topic}"));
    sp.r()
}

/// The root CONSUMER span of a trace that processes messages from `topic`.
fn consume_root(
    b: &mut B,
    key: &str,
    svc: &'static str,
    topic: &str,
    group: &str,
    batch: i64,
    w: (u64, u64),
) -> Ref {
    let name = format!("kafka.consume {topic}");
    let sp = b
        .root(key, svc, Spec { kind: Kind::Consumer, cat: Cat::Kafka, name: &name, w })
        .a("messaging.system", "kafka")
        .a("messaging.operation.type", "process")
        .a("messaging.operation.name", "process")
        .a("messaging.destination.name", topic)
        .a("messaging.consumer.group.name", group)
        .a("messaging.client.id", format!("{}-consumer-1", pod(svc)))
        .a("server.address", KAFKA)
        .a("server.port", 9092);
    if batch > 1 {
        sp.a("messaging.batch.message_count", batch);
    }
    sp.resource = Some(format!("Consume Topic {topic}"));
    sp.r()
}

/// Attributes a consumer puts on its link to a message's PRODUCER span (copied from that span).
fn message_link_attrs(b: &mut B, producer: Ref) -> Vec<(&'static str, V)> {
    let sp = b.sp(producer);
    let mut out = Vec::new();
    for key in ["messaging.message.id", "messaging.destination.partition.id", "messaging.kafka.offset"] {
        if let Some(v) = sp.get(key) {
            out.push((key, v.clone()));
        }
    }
    out
}

fn stack(lines: &[&str]) -> String {
    lines.join("\n")
}

// ---------------------------------------------------------------------------------------------
// Pattern 1: scatter-gather
// ---------------------------------------------------------------------------------------------

/// `checkout` asks `inventory` for stock; inventory scatters one request per shard over Kafka and
/// gathers the replies. Each shard's work is its own trace whose root links back to the scatter
/// span; the gather span links to every shard's reply (spans that start after the gather began:
/// forward in time). Shard 2 hits a statement timeout and retries; shard 3 is the slowest and
/// makes the gather wait.
fn scatter_gather(v: &Variant) -> B {
    let mut b = B::new(v, "scatter-gather", 0);
    let cart = format!("cart-{}", v.order * 7 + 13);
    let root = web_root(&mut b, "checkout", "checkout", "POST /checkout", "/checkout", 200, (0, 0));
    let user = format!("anon-{:08x}", b.hash(&["user"]) >> 32);
    b.sp(root).a("enduser.pseudo.id", user);
    let h = b
        .child(root, internal("CheckoutController.submit", (150, 0)))
        .a("code.function.name", "com.shop.checkout.CheckoutController.submit")
        .r();
    db(
        &mut b,
        h,
        "SELECT",
        "carts",
        "SELECT id, customer_id, currency FROM carts WHERE id = $1",
        1,
        (420, 2_600),
    );
    db(
        &mut b,
        h,
        "SELECT",
        "cart_items",
        "SELECT sku, qty, unit_price FROM cart_items WHERE cart_id = $1",
        7,
        (3_200, 3_900),
    );
    let pr = call(&mut b, h, "pricing", "POST /v1/quotes", "/v1/quotes", 200, (7_500, 19_800));
    let q = b
        .child(pr, internal("QuoteService.price", (9_000, 16_500)))
        .a("pricing.currency", "EUR")
        .a("pricing.rules_cached", true)
        .r();
    redis(&mut b, q, "GET", "price-rules:eu-west-1", (9_300, 700));
    db(
        &mut b,
        q,
        "SELECT",
        "price_rules",
        "SELECT rule_id, sku_pattern, pct FROM price_rules WHERE region = $1 AND active",
        23,
        (10_400, 6_100),
    );
    b.child(q, internal("apply promotions", (16_900, 7_900))).a("pricing.promotions.applied", 2);

    // inventory: the scatter and the gather
    let shards = 4u32;
    let lag = [1_800u64, 2_600, 2_200, 3_100];
    let inv_t = 28_000;
    let inv = call(&mut b, h, "inventory", "POST /v1/availability", "/v1/availability", 200, (inv_t, 0));
    let c = b
        .child(inv, internal("AvailabilityHandler.Check", (inv_t + 900, 0)))
        .a("inventory.sku_count", 7)
        .a("inventory.shards", V::A((0..shards).map(|s| V::S(format!("inventory-shard-{s}"))).collect()))
        .a("cart.id", cart.as_str())
        .r();
    redis(&mut b, c, "MGET", "sku-shard-map:{7 keys}", (inv_t + 1_100, 900));
    let scatter = b
        .child(c, internal("scatter availability", (inv_t + 2_200, 6_100)))
        .a("scatter.shard_count", i64::from(shards))
        .a("scatter.topic", "inventory.shard-requests")
        .r();
    let mut produced = Vec::new();
    for s in 0..shards {
        let t = inv_t + 2_500 + u64::from(s) * 1_400;
        let key = format!("{cart}/shard-{s}");
        let p = produce(
            &mut b,
            scatter,
            "inventory.shard-requests",
            &key,
            s,
            51_880 + i64::from(s) * 17,
            (t, 1_000),
        );
        produced.push((p, t + 1_000));
    }
    let gather_t = inv_t + 8_500;
    let gather = b
        .child(c, internal("gather availability", (gather_t, 0)))
        .a("gather.expected", i64::from(shards))
        .a("gather.timeout_ms", 2_000)
        .r();

    // one trace per shard
    let mut replies = Vec::new();
    let mut last_recv = 0;
    for s in 0..shards {
        let i = s as usize;
        let start = produced[i].1 + lag[i];
        let svc = ["inventory-shard-0", "inventory-shard-1", "inventory-shard-2", "inventory-shard-3"][i];
        let (reply, recv) = shard_trace(&mut b, svc, s, start, produced[i].0, scatter);
        replies.push((reply, s));
        b.sp(gather).ev(
            "shard reply received",
            recv - gather_t,
            vec![("shard.id", V::I(i64::from(s))), ("shard.available_skus", V::I(i64::from(7 - s % 2)))],
        );
        last_recv = last_recv.max(recv);
    }
    for (reply, s) in replies {
        let mut attrs = message_link_attrs(&mut b, reply);
        attrs.push(("shard.id", i64::from(s).into()));
        b.link(gather, reply, attrs);
    }
    b.sp(gather).a("gather.received", i64::from(shards)).a("gather.slowest_shard", "inventory-shard-3");
    b.child(gather, internal("merge shard results", (last_recv + 150, 1_800))).a("inventory.skus_short", 1);
    let gather_end = last_recv + 2_100;
    b.finish(gather, gather_end);
    db(
        &mut b,
        c,
        "INSERT",
        "reservations",
        "INSERT INTO reservations (cart_id, sku, qty, expires_at) VALUES ($1, $2, $3, $4)",
        -1,
        (gather_end + 300, 4_200),
    );
    let c_end = gather_end + 4_700;
    b.finish(c, c_end);
    b.finish(inv, c_end + 150);
    let inv_client = b.sp(inv).parent;
    b.finish(Ref { trace: inv.trace, span: inv_client }, c_end + 900);

    // back in checkout: create the order, authorize the payment
    let t = c_end + 1_500;
    let o = call(&mut b, h, "orders", "POST /v1/orders", "/v1/orders", 201, (t, 31_000));
    let oh = b.child(o, internal("OrderService.create", (t + 1_200, 28_400))).r();
    db(
        &mut b,
        oh,
        "INSERT",
        "orders",
        "INSERT INTO orders (id, customer_id, cart_id, total, currency) VALUES ($1, $2, $3, $4, $5)",
        -1,
        (t + 1_500, 5_200),
    );
    db(
        &mut b,
        oh,
        "INSERT",
        "order_lines",
        "INSERT INTO order_lines (order_id, sku, qty, unit_price) VALUES ($1, $2, $3, $4)",
        -1,
        (t + 7_000, 9_800),
    );
    db(&mut b, oh, "COMMIT", "", "COMMIT", -1, (t + 17_100, 2_300));
    let t = t + 32_000;
    let pay = call(
        &mut b,
        h,
        "payments",
        "POST /v1/payments/authorize",
        "/v1/payments/authorize",
        200,
        (t, 41_000),
    );
    let ph = b
        .child(pay, internal("AuthorizationService.authorize", (t + 1_200, 38_300)))
        .a("payment.method", "card")
        .r();
    db(
        &mut b,
        ph,
        "SELECT",
        "payment_methods",
        "SELECT token, brand FROM payment_methods WHERE customer_id = $1 AND is_default",
        1,
        (t + 1_500, 2_800),
    );
    let psp = b
        .child(
            ph,
            Spec {
                kind: Kind::Client,
                cat: Cat::HttpClient,
                name: "POST /v1/payment_intents",
                w: (t + 4_600, 31_700),
            },
        )
        .a("http.request.method", "POST")
        .a("url.full", "https://api.psp.example/v1/payment_intents")
        .a("server.address", "api.psp.example")
        .a("server.port", 443)
        .a("http.response.status_code", 200)
        .r();
    let _ = psp;
    db(
        &mut b,
        ph,
        "INSERT",
        "authorizations",
        "INSERT INTO authorizations (order_id, psp_ref, amount) VALUES ($1, $2, $3)",
        -1,
        (t + 36_600, 2_500),
    );
    let h_end = t + 41_600;
    b.finish(h, h_end);
    b.finish(root, h_end + 400);
    b
}

/// One shard's own trace: consume the request (linking back to the scatter span), query the
/// shard database, publish the reply. Returns the reply span and when the gather sees it.
fn shard_trace(b: &mut B, svc: &'static str, s: u32, start: u64, request: Ref, scatter: Ref) -> (Ref, u64) {
    let root = consume_root(b, &format!("shard-{s}"), svc, "inventory.shard-requests", svc, 1, (start, 0));
    let mut attrs = message_link_attrs(b, request);
    attrs.push(("scatter.shard", i64::from(s).into()));
    b.link(root, scatter, attrs);
    let h = b
        .child(root, internal("ShardAvailabilityHandler.Handle", (start + 120, 0)))
        .a("shard.id", i64::from(s))
        .r();
    redis(b, h, "GET", &format!("shard-lease:{s}"), (start + 300, 400));
    b.child(h, internal("decode shard request", (start + 800, 350))).a("inventory.sku_count", 7);
    db(
        b,
        h,
        "SELECT",
        "sku_aliases",
        "SELECT alias, sku FROM sku_aliases WHERE alias = ANY($1)",
        i64::from(s % 2),
        (start + 1_300, 2_100),
    );
    let sql =
        "SELECT sku, on_hand, reserved FROM inventory WHERE sku = ANY($1) ORDER BY sku LIMIT 500 OFFSET $2";
    let mut t = start + 3_600;
    match s {
        2 => {
            // First attempt hits the statement timeout; the retry succeeds.
            let bad = db(b, h, "SELECT", "inventory", sql, -1, (t, 30_000));
            b.sp(bad).exception(
                29_950,
                "*pgconn.PgError",
                "ERROR: canceling statement due to statement timeout (SQLSTATE 57014)",
                &stack(&[
                    "goroutine 1187 [running]:",
                    "github.com/jackc/pgx/v5/pgconn.(*PgConn).receiveMessage(...)",
                    "\t/go/pkg/mod/github.com/jackc/pgx/v5@v5.7.2/pgconn/pgconn.go:529",
                    "shop/inventory/shard.(*Store).Availability(...)",
                    "\t/src/inventory/shard/store.go:88",
                ]),
            );
            b.sp(bad).a("error.type", "57014");
            t += 30_400;
            b.sp(h).ev(
                "retry",
                t - start - 120,
                vec![("retry.attempt", V::I(2)), ("retry.reason", "statement timeout".into())],
            );
            db(b, h, "SELECT", "inventory", sql, 3, (t, 21_000));
            t += 21_400;
        }
        3 => {
            // The biggest partition: three pages, the second one slow.
            for (page, d) in [(0, 38_000), (1, 121_500), (2, 29_800)] {
                let q = db(b, h, "SELECT", "inventory", sql, if page == 2 { 112 } else { 500 }, (t, d));
                if page == 1 {
                    b.sp(q).ev(
                        "db.slow_query",
                        d - 10,
                        vec![
                            ("db.query.duration_ms", V::F(d as f64 / 1000.0)),
                            ("db.plan", "Seq Scan on inventory".into()),
                        ],
                    );
                }
                t += d + 300;
            }
        }
        _ => {
            db(b, h, "SELECT", "inventory", sql, 3 + i64::from(s), (t, 9_000 + u64::from(s) * 4_100));
            t += 9_400 + u64::from(s) * 4_100;
        }
    }
    db(
        b,
        h,
        "SELECT",
        "reservations",
        "SELECT sku, sum(qty) FROM reservations WHERE sku = ANY($1) AND expires_at > now() GROUP BY sku",
        2,
        (t, 4_800),
    );
    t += 5_100;
    let comp = b.child(h, internal("compute availability", (t, 2_600 + u64::from(s) * 350))).r();
    redis(b, comp, "GET", &format!("hot-sku:{s}:a"), (t + 200, 350));
    redis(b, comp, "GET", &format!("hot-sku:{s}:b"), (t + 700, 330));
    b.child(comp, internal("apply safety stock", (t + 1_200, 600 + u64::from(s) * 200)))
        .a("inventory.safety_stock_pct", 5);
    t += 2_900 + u64::from(s) * 350;
    let reply_t = t;
    let reply = produce(
        b,
        h,
        "inventory.shard-replies",
        &format!("shard-{s}"),
        s,
        90_112 + i64::from(s) * 9,
        (reply_t, 1_100),
    );
    t += 1_250;
    b.finish(h, t);
    b.finish(root, t + 130);
    (reply, reply_t + 1_100 + 1_300)
}

// ---------------------------------------------------------------------------------------------
// Pattern 2: message aggregation
// ---------------------------------------------------------------------------------------------

/// Twelve checkouts each publish an `orders` message from their own trace; `billing-worker`
/// consumes the twelve in one batch, and its consumer span links to each message's PRODUCER span.
/// The fifth producer trace is not in the dump (its checkout ran on a node whose exporter was
/// down), so one link dangles. One message fails validation and goes to the dead-letter topic.
fn message_aggregation(v: &Variant) -> B {
    let mut b = B::new(v, "message-aggregation", 120);
    const MESSAGES: u32 = 12;
    const DANGLING: u32 = 4;
    const BAD: u32 = 7;
    let mut producers = Vec::new();
    for i in 0..MESSAGES {
        let t = u64::from(i) * 4_100_000 + u64::from(i * i % 7) * 91_000;
        let order = format!("ord-{}", v.order + 100 + i);
        let (trace, p) = checkout_order(&mut b, i, &order, t);
        if i == DANGLING {
            b.drop_trace(trace);
        }
        producers.push((p, order));
    }
    let t0 = 50_200_000;
    let root = consume_root(
        &mut b,
        "billing-batch",
        "billing-worker",
        "orders",
        "billing",
        i64::from(MESSAGES),
        (t0, 0),
    );
    for (p, _) in &producers {
        let attrs = message_link_attrs(&mut b, *p);
        b.link(root, *p, attrs);
    }
    let h = b
        .child(root, internal("billing.handle_batch", (t0 + 200, 0)))
        .a("code.function.name", "billing_worker.handlers.handle_batch")
        .r();
    db(
        &mut b,
        h,
        "SELECT",
        "billing_accounts",
        "SELECT customer_id, tax_region, vat_id FROM billing_accounts WHERE customer_id = ANY(%s)",
        12,
        (t0 + 400, 6_200),
    );
    db(
        &mut b,
        h,
        "SELECT",
        "tax_rates",
        "SELECT region, rate FROM tax_rates WHERE valid_from <= now()",
        31,
        (t0 + 6_900, 2_400),
    );
    let mut t = t0 + 9_600;
    for (i, (p, order)) in producers.iter().enumerate() {
        let msg_id = match b.sp(*p).get("messaging.message.id") {
            Some(V::S(s)) => s.clone(),
            _ => String::new(),
        };
        let d = 2_300 + (i as u64 * 577) % 1_900;
        let m = b
            .child(h, internal("process order.created", (t, d)))
            .a("messaging.message.id", msg_id)
            .a("order.id", order.as_str())
            .r();
        if i == BAD as usize {
            b.sp(m).exception(
                d - 600,
                "billing_worker.errors.InvalidTaxRegion",
                &format!("no tax rate for region 'XK' (order {order})"),
                &stack(&[
                    "Traceback (most recent call last):",
                    "  File \"/app/billing_worker/handlers.py\", line 88, in process_order_created",
                    "    rate = rates.for_region(account.tax_region)",
                    "  File \"/app/billing_worker/tax.py\", line 41, in for_region",
                    "    raise InvalidTaxRegion(region)",
                    "billing_worker.errors.InvalidTaxRegion: no tax rate for region 'XK'",
                ]),
            );
            produce(&mut b, m, "orders.dlq", order, 0, 311, (t + d - 500, 420));
        } else {
            b.child(m, internal("compute invoice", (t + 150, d - 400)))
                .a("invoice.lines", 1 + (i as i64 * 3) % 4);
        }
        t += d + 180;
    }
    db(
        &mut b,
        h,
        "INSERT",
        "invoices",
        "INSERT INTO invoices (order_id, customer_id, net, tax, currency) VALUES %s",
        -1,
        (t, 7_400),
    );
    b.sp(h).a("billing.invoices_created", i64::from(MESSAGES - 1)).a("billing.dead_lettered", 1);
    t += 7_600;
    db(
        &mut b,
        h,
        "INSERT",
        "invoice_lines",
        "INSERT INTO invoice_lines (invoice_id, sku, qty, net) VALUES %s",
        -1,
        (t, 5_900),
    );
    t += 6_100;
    db(&mut b, h, "COMMIT", "", "COMMIT", -1, (t, 1_700));
    t += 1_900;
    for k in 0..3u32 {
        produce(
            &mut b,
            h,
            "invoices",
            &format!("batch-{}-{k}", v.order),
            k,
            20_410 + i64::from(k) * 4,
            (t, 900),
        );
        t += 1_000;
    }
    b.child(h, internal("commit offsets", (t, 1_300))).a("messaging.kafka.offsets_committed", 12);
    t += 1_500;
    b.finish(h, t);
    b.finish(root, t + 200);
    b
}

/// One checkout whose `orders` service publishes `order.created`. Returns (trace, producer span).
fn checkout_order(b: &mut B, i: u32, order: &str, t: u64) -> (u128, Ref) {
    let key = format!("checkout-{i}");
    let root = web_root(b, &key, "checkout", "POST /checkout", "/checkout", 201, (t, 0));
    let h = b.child(root, internal("CheckoutController.submit", (t + 140, 0))).r();
    db(
        b,
        h,
        "SELECT",
        "carts",
        "SELECT id, customer_id, currency FROM carts WHERE id = $1",
        1,
        (t + 300, 2_100 + u64::from(i) * 37),
    );
    let mut x = t + 2_900;
    let customer = format!("cus-{:05}", fnv(&[order]) % 100_000);
    let cs = call(
        b,
        h,
        "customers",
        "GET /v1/customers/{customer_id}",
        &format!("/v1/customers/{customer}"),
        200,
        (x, 9_400),
    );
    db(
        b,
        cs,
        "SELECT",
        "customers",
        "SELECT id, email, tier FROM customers WHERE id = %s",
        1,
        (x + 2_000, 4_600),
    );
    x += 9_800;
    if i.is_multiple_of(3) {
        let pr = call(b, h, "pricing", "POST /v1/coupons/validate", "/v1/coupons/validate", 200, (x, 7_200));
        db(
            b,
            pr,
            "SELECT",
            "coupons",
            "SELECT code, pct, max_uses, used FROM coupons WHERE code = $1",
            1,
            (x + 1_100, 3_900),
        );
        x += 7_600;
    }
    let lines = 1 + u64::from(i % 4 == 1);
    let od = 18_000 + lines * 6_000;
    let o = call(b, h, "orders", "POST /v1/orders", "/v1/orders", 201, (x, od));
    let oh = b.child(o, internal("OrderService.create", (x + 1_100, od - 2_200))).a("order.id", order).r();
    let mut y = x + 1_300;
    db(
        b,
        oh,
        "INSERT",
        "orders",
        "INSERT INTO orders (id, customer_id, cart_id, total, currency) VALUES ($1, $2, $3, $4, $5)",
        -1,
        (y, 4_200),
    );
    y += 4_400;
    for _ in 0..lines {
        db(
            b,
            oh,
            "INSERT",
            "order_lines",
            "INSERT INTO order_lines (order_id, sku, qty, unit_price) VALUES ($1, $2, $3, $4)",
            -1,
            (y, 5_600),
        );
        y += 5_800;
    }
    db(b, oh, "COMMIT", "", "COMMIT", -1, (y, 1_900));
    y += 2_100;
    let p = produce(b, oh, "orders", order, i % 6, 88_412 + i64::from(i) * 3, (y, 2_800));
    x += od + 400;
    b.finish(h, x);
    b.finish(root, x + 300);
    (root.trace, p)
}

// ---------------------------------------------------------------------------------------------
// Pattern 3: transactional messaging (outbox)
// ---------------------------------------------------------------------------------------------

/// `orders` writes the order and three outbox rows in one database transaction. The relay job
/// (its own trace) publishes each row; every publish links back to the transaction span. Two
/// consumers (`billing-worker`, `notifications`) start their own traces linking to the publish
/// they received. The mailer answers 503 once and the retry succeeds.
fn transactional_messaging(v: &Variant) -> B {
    let mut b = B::new(v, "transactional-messaging", 300);
    let order = format!("ord-{}", v.order + 500);
    let root = web_root(&mut b, "place-order", "orders", "POST /v1/orders", "/v1/orders", 201, (0, 0));
    let h = b.child(root, internal("OrderController.create", (130, 0))).r();
    let pr = call(&mut b, h, "pricing", "POST /v1/quotes", "/v1/quotes", 200, (300, 11_200));
    db(
        &mut b,
        pr,
        "SELECT",
        "price_rules",
        "SELECT rule_id, sku_pattern, pct FROM price_rules WHERE region = $1 AND active",
        23,
        (1_800, 6_900),
    );
    let svc = b.child(h, internal("OrderService.placeOrder", (11_800, 0))).a("order.id", order.as_str()).r();
    let tx = b
        .child(svc, internal("db.transaction orders", (12_000, 0)))
        .a("db.system.name", "postgresql")
        .a("db.namespace", "orders")
        .a("db.transaction.isolation", "READ_COMMITTED")
        .r();
    let mut t = 12_200;
    db(&mut b, tx, "BEGIN", "", "BEGIN", -1, (t, 600));
    t += 800;
    db(
        &mut b,
        tx,
        "INSERT",
        "orders",
        "INSERT INTO orders (id, customer_id, cart_id, total, currency) VALUES ($1, $2, $3, $4, $5)",
        -1,
        (t, 3_900),
    );
    t += 4_100;
    db(
        &mut b,
        tx,
        "INSERT",
        "order_lines",
        "INSERT INTO order_lines (order_id, sku, qty, unit_price) VALUES ($1, $2, $3, $4)",
        -1,
        (t, 5_300),
    );
    t += 5_500;
    let kinds = ["order.created", "order.payment_requested", "order.confirmation_email_requested"];
    let mut rows = Vec::new();
    for (k, kind) in kinds.iter().enumerate() {
        let row = 770_100 + v.order * 10 + k as u32;
        db(
            &mut b,
            tx,
            "INSERT",
            "outbox",
            "INSERT INTO outbox (id, aggregate_id, type, payload, created_at) VALUES ($1, $2, $3, $4, now())",
            -1,
            (t, 2_100),
        );
        t += 2_300;
        rows.push((row, *kind));
    }
    db(&mut b, tx, "COMMIT", "", "COMMIT", -1, (t, 2_700));
    t += 2_900;
    b.sp(tx).a("db.transaction.id", format!("{}", 48_211_907 + v.order)).a("outbox.rows", rows.len() as i64);
    b.finish(tx, t);
    b.finish(svc, t + 200);
    b.finish(h, t + 400);
    b.finish(root, t + 600);

    // The relay polls 1.4 s later and publishes the three rows.
    let r0 = 1_400_000;
    let relay = b
        .root("relay", "orders-outbox-relay", internal("outbox.poll", (r0, 0)))
        .a("job.name", "outbox-relay")
        .a("job.schedule", "fixedDelay=1000ms")
        .r();
    db(
        &mut b,
        relay,
        "SELECT",
        "relay_leases",
        "SELECT holder, expires_at FROM relay_leases WHERE name = 'outbox' FOR UPDATE",
        1,
        (r0 + 200, 1_300),
    );
    db(
        &mut b,
        relay,
        "SELECT",
        "outbox",
        "SELECT id, aggregate_id, type, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED",
        3,
        (r0 + 1_700, 3_600),
    );
    let mut t = r0 + 5_600;
    let mut publishes = Vec::new();
    for (row, kind) in &rows {
        let name = format!("relay {kind}");
        let one = b.child(relay, internal(&name, (t, 4_900))).a("outbox.id", i64::from(*row)).r();
        let p = produce(
            &mut b,
            one,
            "orders.events",
            &order,
            3,
            412_330 + i64::from(*row % 100),
            (t + 200, 4_400),
        );
        b.sp(p).a("messaging.kafka.message.header.event_type", *kind);
        b.link(p, tx, vec![("outbox.id", i64::from(*row).into()), ("outbox.event_type", (*kind).into())]);
        publishes.push(p);
        t += 5_100;
    }
    db(
        &mut b,
        relay,
        "UPDATE",
        "outbox",
        "UPDATE outbox SET sent_at = now() WHERE id = ANY($1)",
        -1,
        (t, 2_400),
    );
    t += 2_600;
    db(&mut b, relay, "COMMIT", "", "COMMIT", -1, (t, 1_500));
    t += 1_700;
    b.sp(relay).a("outbox.published", rows.len() as i64);
    b.finish(relay, t);

    // billing-worker: payment request
    let c0 = r0 + 210_000;
    let bw = consume_root(&mut b, "billing", "billing-worker", "orders.events", "billing", 1, (c0, 0));
    let attrs = message_link_attrs(&mut b, publishes[1]);
    b.link(bw, publishes[1], attrs);
    let bh = b
        .child(bw, internal("billing.on_payment_requested", (c0 + 150, 0)))
        .a("order.id", order.as_str())
        .r();
    db(
        &mut b,
        bh,
        "SELECT",
        "processed_messages",
        "SELECT 1 FROM processed_messages WHERE message_id = %s",
        0,
        (c0 + 300, 1_900),
    );
    b.child(bh, internal("deserialize PaymentRequested", (c0 + 2_220, 150))).a("schema.version", 3);
    let cs = call(
        &mut b,
        bh,
        "customers",
        "GET /v1/customers/{customer_id}",
        "/v1/customers/cus-40117",
        200,
        (c0 + 2_400, 8_800),
    );
    db(
        &mut b,
        cs,
        "SELECT",
        "customers",
        "SELECT id, email, tier FROM customers WHERE id = %s",
        1,
        (c0 + 4_100, 4_300),
    );
    db(
        &mut b,
        bh,
        "INSERT",
        "payment_requests",
        "INSERT INTO payment_requests (order_id, amount, currency, status) VALUES (%s, %s, %s, 'pending')",
        -1,
        (c0 + 11_500, 3_100),
    );
    db(
        &mut b,
        bh,
        "INSERT",
        "processed_messages",
        "INSERT INTO processed_messages (message_id, processed_at) VALUES (%s, now())",
        -1,
        (c0 + 14_800, 1_600),
    );
    produce(&mut b, bh, "payments.commands", &order, 1, 7_702, (c0 + 16_600, 2_300));
    b.finish(bh, c0 + 19_200);
    b.finish(bw, c0 + 19_500);

    // notifications: confirmation e-mail; the mail API answers 503 once
    let n0 = r0 + 95_000;
    let nt = consume_root(&mut b, "notify", "notifications", "orders.events", "notifications", 1, (n0, 0));
    let attrs = message_link_attrs(&mut b, publishes[2]);
    b.link(nt, publishes[2], attrs);
    let nh = b.child(nt, internal("sendOrderConfirmation", (n0 + 180, 0))).a("order.id", order.as_str()).r();
    db(
        &mut b,
        nh,
        "SELECT",
        "templates",
        "SELECT body, subject FROM templates WHERE name = $1 AND locale = $2",
        1,
        (n0 + 400, 2_200),
    );
    let cs = call(
        &mut b,
        nh,
        "customers",
        "GET /v1/customers/{customer_id}/preferences",
        "/v1/customers/cus-40117/preferences",
        200,
        (n0 + 2_900, 7_800),
    );
    db(
        &mut b,
        cs,
        "SELECT",
        "preferences",
        "SELECT locale, email_opt_in FROM preferences WHERE customer_id = %s",
        1,
        (n0 + 4_200, 3_600),
    );
    b.child(nh, internal("render template order-confirmation", (n0 + 11_000, 3_100)))
        .a("template.locale", "de-DE");
    redis(&mut b, nh, "INCR", "ratelimit:mailer:2026-11-20T02:05", (n0 + 14_300, 450));
    let mut t = n0 + 15_000;
    for (attempt, status, d) in [(1, 503, 212_000), (2, 202, 148_000)] {
        let m = b
            .child(
                nh,
                Spec { kind: Kind::Client, cat: Cat::HttpClient, name: "POST /v3/mail/send", w: (t, d) },
            )
            .a("http.request.method", "POST")
            .a("url.full", "https://api.mailer.example/v3/mail/send")
            .a("server.address", "api.mailer.example")
            .a("server.port", 443)
            .a("http.request.resend_count", attempt - 1)
            .a("http.response.status_code", status)
            .r();
        if status >= 500 {
            b.sp(m).a("error.type", "503").fail("Service Unavailable");
            t += d + 250_000; // back-off before the retry
        } else {
            t += d + 200;
        }
    }
    b.sp(nh).ev("retry", 476_700, vec![("retry.attempt", V::I(2)), ("retry.backoff_ms", V::I(250))]);
    db(
        &mut b,
        nh,
        "INSERT",
        "sent_emails",
        "INSERT INTO sent_emails (order_id, provider_id, sent_at) VALUES ($1, $2, now())",
        -1,
        (t, 2_600),
    );
    t += 2_800;
    b.finish(nh, t);
    b.finish(nt, t + 200);
    b
}

// ---------------------------------------------------------------------------------------------
// Pattern 4: event sourcing
// ---------------------------------------------------------------------------------------------

/// The life of one event-sourced order in a copy: who appended which events, and which command
/// finally rebuilds the entity.
struct EsStory {
    /// Stream position of the first event.
    first_pos: i64,
    /// Change traces: (entry point, events appended there). The last trace's append span is
    /// missing from the dump (dropped by the SDK's full export queue).
    changes: [(Entry, &'static [&'static str]); 4],
    /// The command whose handler rebuilds the order, and the events it appends.
    command: (&'static str, &'static str),
    command_events: &'static [&'static str],
}

#[derive(Clone, Copy)]
enum Entry {
    /// The customer checks out: checkout calls orders.
    Checkout,
    /// A public request straight to orders.
    Http(&'static str, &'static str),
    /// A Kafka consumer in another service calls orders' internal API.
    Consumer(&'static str, &'static str),
}

const ES_OTLP: EsStory = EsStory {
    first_pos: 0,
    changes: [
        (Entry::Checkout, &["OrderPlaced"]),
        (Entry::Http("POST /v1/orders/{order_id}/items", "/items"), &["ItemAdded", "ItemAdded"]),
        (Entry::Consumer("payments", "payments.events"), &["PaymentAuthorized"]),
        (Entry::Http("DELETE /v1/orders/{order_id}/items/{item_id}", "/items/li-3"), &["ItemRemoved"]),
    ],
    command: ("PATCH /v1/orders/{order_id}/shipping-address", "/shipping-address"),
    command_events: &["ShippingAddressChanged", "ShippingQuoteUpdated"],
};

const ES_DD: EsStory = EsStory {
    first_pos: 7,
    changes: [
        (Entry::Consumer("payments", "payments.events"), &["PaymentCaptured"]),
        (Entry::Consumer("fulfillment", "fulfillment.events"), &["PackingStarted", "ItemPicked"]),
        (Entry::Consumer("fulfillment", "fulfillment.events"), &["OrderPacked"]),
        (Entry::Http("POST /v1/orders/{order_id}/shipment", "/shipment"), &["ShipmentBooked"]),
    ],
    command: ("PATCH /v1/orders/{order_id}/delivery-window", "/delivery-window"),
    command_events: &["DeliveryWindowChanged", "ShippingQuoteUpdated"],
};

/// Order `order-1042` changes over several traces; each change appends events to its stream.
/// A later command rebuilds the order from its events: the rebuild span links to every earlier
/// event span (across traces, one of them missing), and the projection that runs after the
/// command links to the two events appended in its own trace. `snapshot` is the snapshot a
/// previous copy saved; the rebuild links to it too (the cross-file link).
fn event_sourcing(v: &Variant, story: &EsStory, snapshot: Option<Ref>) -> B {
    let mut b = B::new(v, "event-sourcing", 360);
    let entity = "order-1042";
    let mut pos = story.first_pos;
    let mut events = Vec::new();
    let starts = [0u64, 41_300_000, 95_800_000, 143_100_000];
    for (k, (entry, names)) in story.changes.iter().enumerate() {
        let t = starts[k];
        let appended = change_trace(&mut b, k, *entry, names, entity, &mut pos, t);
        if k == story.changes.len() - 1 {
            b.drop_subtree(appended[0].0);
        }
        events.extend(appended);
    }

    // The command that rebuilds the order.
    let t0 = 188_400_000;
    let (req, suffix) = story.command;
    let root =
        web_root(&mut b, "command", "orders", req, &format!("/v1/orders/{entity}{suffix}"), 200, (t0, 0));
    let cmd_name = req.rsplit('/').next().unwrap_or_default().replace('-', " ");
    let h = b
        .child(root, internal("ChangeOrderHandler.handle", (t0 + 160, 0)))
        .a("command.name", cmd_name)
        .a("order.id", entity)
        .r();
    let load = b.child(h, internal(&format!("OrderRepository.load {entity}"), (t0 + 300, 0))).r();
    let n = events.len() as i64;
    db(
        &mut b,
        load,
        "SELECT",
        "events",
        "SELECT position, type, payload FROM events WHERE stream_id = $1 AND position >= $2 ORDER BY position",
        n,
        (t0 + 450, 3_800),
    );
    let rebuild = b
        .child(load, internal(&format!("rebuild Order {entity}"), (t0 + 4_450, 1_700)))
        .a("eventsourcing.entity.id", entity)
        .a("eventsourcing.entity.type", "Order")
        .a("eventsourcing.events.replayed", n)
        .r();
    if let Some(snap) = snapshot {
        b.sp(rebuild).a("eventsourcing.snapshot.position", story.first_pos - 1);
        b.link(
            rebuild,
            snap,
            vec![
                ("link.reason", "snapshot".into()),
                ("eventsourcing.snapshot.position", V::I(story.first_pos - 1)),
            ],
        );
    }
    for (ev, (ty, p, id)) in &events {
        b.link(
            rebuild,
            *ev,
            vec![
                ("eventsourcing.event.id", id.as_str().into()),
                ("eventsourcing.event.type", (*ty).into()),
                ("eventsourcing.stream.position", V::I(*p)),
            ],
        );
    }
    b.finish(load, t0 + 6_400);
    let mut t = t0 + 6_700;
    if story.command.1 == "/shipping-address" {
        let av = call(
            &mut b,
            h,
            "address-validation",
            "POST /v1/addresses/validate",
            "/v1/addresses/validate",
            200,
            (t, 38_000),
        );
        let a = b.child(av, internal("validate_address", (t + 2_000, 34_000))).a("address.country", "DE").r();
        let geo = b
            .child(
                a,
                Spec {
                    kind: Kind::Client,
                    cat: Cat::HttpClient,
                    name: "GET /geocode/v1/json",
                    w: (t + 2_300, 31_000),
                },
            )
            .a("http.request.method", "GET")
            .a("url.full", "https://geo.example/geocode/v1/json?q=REDACTED")
            .a("server.address", "geo.example")
            .a("server.port", 443)
            .a("http.response.status_code", 200)
            .r();
        let _ = geo;
        t += 38_400;
    } else {
        let f = call(&mut b, h, "fulfillment", "GET /v1/slots", "/v1/slots?postcode=10115", 200, (t, 12_000));
        redis(&mut b, f, "GET", "slots:10115:2026-11-23", (t + 1_500, 600));
        db(
            &mut b,
            f,
            "SELECT",
            "delivery_slots",
            "SELECT slot_id, starts_at, capacity FROM delivery_slots WHERE postcode = $1 AND day = $2",
            6,
            (t + 2_400, 6_800),
        );
        t += 12_400;
    }
    let mut own = Vec::new();
    for ty in story.command_events {
        own.push(append(&mut b, h, ty, entity, pos, t));
        pos += 1;
        t += 7_000;
    }
    db(&mut b, h, "COMMIT", "", "COMMIT", -1, (t, 2_100));
    t += 2_300;
    let proj = b
        .child(h, internal(&format!("project OrderSummary {entity}"), (t, 0)))
        .a("eventsourcing.projection", "OrderSummary")
        .a("eventsourcing.entity.id", entity)
        .r();
    for (ev, (ty, p, id)) in &own {
        b.link(
            proj,
            *ev,
            vec![
                ("eventsourcing.event.id", id.as_str().into()),
                ("eventsourcing.event.type", (*ty).into()),
                ("eventsourcing.stream.position", V::I(*p)),
            ],
        );
    }
    db(
        &mut b,
        proj,
        "INSERT",
        "order_summaries",
        "INSERT INTO order_summaries (order_id, status, total, lines, updated_at) VALUES ($1, $2, $3, $4, now()) ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, total = EXCLUDED.total",
        -1,
        (t + 200, 3_300),
    );
    let snap = b
        .child(proj, internal(&format!("save snapshot Order {entity}"), (t + 3_700, 3_000)))
        .a("eventsourcing.snapshot.position", pos - 1)
        .r();
    db(
        &mut b,
        snap,
        "INSERT",
        "snapshots",
        "INSERT INTO snapshots (stream_id, position, state) VALUES ($1, $2, $3)",
        -1,
        (t + 3_900, 2_500),
    );
    t += 6_900;
    b.finish(proj, t);
    b.finish(h, t + 200);
    b.finish(root, t + 400);
    b
}

/// (event span, (type, stream position, event id)) of one appended event.
type Appended = (Ref, (&'static str, i64, String));

/// Appends one event: `eventstore.append <Type>` with the INSERT under it.
fn append(b: &mut B, p: Ref, ty: &'static str, entity: &str, pos: i64, t: u64) -> Appended {
    let id = b.uuid(&format!("{entity}/{pos}"));
    let name = format!("eventstore.append {ty}");
    let a = b
        .child(p, internal(&name, (t, 6_400)))
        .a("eventsourcing.event.id", id.as_str())
        .a("eventsourcing.event.type", ty)
        .a("eventsourcing.stream.id", entity)
        .a("eventsourcing.stream.position", pos)
        .r();
    db(
        b,
        a,
        "INSERT",
        "events",
        "INSERT INTO events (stream_id, position, type, payload, event_id) VALUES ($1, $2, $3, $4, $5)",
        -1,
        (t + 300, 5_700),
    );
    (a, (ty, pos, id))
}

/// One trace that changes the order: comes in through `entry`, loads the stream head, appends
/// `names`. Returns the appended events.
fn change_trace(
    b: &mut B,
    k: usize,
    entry: Entry,
    names: &[&'static str],
    entity: &str,
    pos: &mut i64,
    t: u64,
) -> Vec<Appended> {
    let key = format!("change-{k}");
    let (orders_srv, mut x) = match entry {
        Entry::Checkout => {
            let root = web_root(b, &key, "checkout", "POST /checkout", "/checkout", 201, (t, 0));
            let h = b.child(root, internal("CheckoutController.submit", (t + 150, 0))).r();
            db(
                b,
                h,
                "SELECT",
                "carts",
                "SELECT id, customer_id, currency FROM carts WHERE id = $1",
                1,
                (t + 300, 2_400),
            );
            let o = call(b, h, "orders", "POST /v1/orders", "/v1/orders", 201, (t + 3_000, 0));
            (o, t + 4_000)
        }
        Entry::Http(req, suffix) => {
            let path = format!("/v1/orders/{entity}{suffix}");
            let root = web_root(b, &key, "orders", req, &path, 200, (t, 0));
            // orders checks that the caller owns the order before touching it.
            let customer = format!("/v1/customers/cus-{:05}/orders/{entity}", fnv(&[entity]) % 100_000);
            let cs = call(
                b,
                root,
                "customers",
                "GET /v1/customers/{customer_id}/orders/{order_id}",
                &customer,
                200,
                (t + 200, 6_500),
            );
            db(
                b,
                cs,
                "SELECT",
                "customer_orders",
                "SELECT 1 FROM customer_orders WHERE customer_id = %s AND order_id = %s",
                1,
                (t + 1_400, 3_900),
            );
            (root, t + 7_000)
        }
        Entry::Consumer(svc, topic) => {
            let root = consume_root(b, &key, svc, topic, svc, 1, (t, 0));
            let h = b.child(root, internal("EventListener.onMessage", (t + 150, 0))).r();
            redis(b, h, "SET", &format!("dedupe:{key}"), (t + 300, 500));
            let o = call(
                b,
                h,
                "orders",
                "POST /internal/orders/{order_id}/events",
                &format!("/internal/orders/{entity}/events"),
                200,
                (t + 1_000, 0),
            );
            (o, t + 2_000)
        }
    };
    let h = b.child(orders_srv, internal("OrderCommandHandler.handle", (x, 0))).a("order.id", entity).r();
    x += 200;
    redis(b, h, "GET", &format!("idempotency:{key}"), (x, 450));
    x += 650;
    b.child(h, internal("validate command", (x, 900))).a("command.valid", true);
    x += 1_100;
    db(
        b,
        h,
        "SELECT",
        "streams",
        "SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE",
        1,
        (x, 2_300),
    );
    x += 2_500;
    let mut out = Vec::new();
    for ty in names {
        out.push(append(b, h, ty, entity, *pos, x));
        *pos += 1;
        x += 6_600;
    }
    db(b, h, "UPDATE", "streams", "UPDATE streams SET version = $2 WHERE stream_id = $1", -1, (x, 1_800));
    x += 2_000;
    db(b, h, "COMMIT", "", "COMMIT", -1, (x, 2_000));
    x += 2_200;
    let last = names.last().copied().unwrap_or_default();
    let p = produce(b, h, "orders.changes", entity, 2, 61_020 + *pos, (x, 1_900));
    b.sp(p).a("messaging.kafka.message.header.event_type", last);
    x += 2_100;
    b.finish(h, x);
    // Close every open ancestor: each one ends a little after the span below it.
    let mut cur = h;
    let mut end = x;
    loop {
        let parent = b.sp(cur).parent;
        if parent == 0 {
            break;
        }
        end += 250;
        cur = Ref { trace: cur.trace, span: parent };
        b.finish(cur, end);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// OTLP JSON
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TracesData {
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    resource: Resource,
    scope_spans: Vec<ScopeSpans>,
    schema_url: &'static str,
}

#[derive(Serialize)]
struct Resource {
    attributes: Vec<KeyValue>,
}

#[derive(Serialize)]
struct ScopeSpans {
    scope: Scope,
    spans: Vec<OSpan>,
}

#[derive(Serialize)]
struct Scope {
    name: String,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OSpan {
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    parent_span_id: String,
    flags: u32,
    name: String,
    kind: i32,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    attributes: Vec<KeyValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<OEvent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<OLink>,
    status: Status,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OEvent {
    time_unix_nano: String,
    name: String,
    attributes: Vec<KeyValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OLink {
    trace_id: String,
    span_id: String,
    attributes: Vec<KeyValue>,
    flags: u32,
}

#[derive(Serialize)]
struct Status {
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<i32>,
}

#[derive(Serialize)]
struct KeyValue {
    key: String,
    value: AnyValue,
}

#[derive(Serialize)]
enum AnyValue {
    #[serde(rename = "stringValue")]
    S(String),
    /// int64 as a decimal string, the canonical protobuf-JSON form.
    #[serde(rename = "intValue")]
    I(String),
    #[serde(rename = "doubleValue")]
    F(f64),
    #[serde(rename = "boolValue")]
    B(bool),
    #[serde(rename = "arrayValue")]
    A { values: Vec<AnyValue> },
}

fn any(v: &V) -> AnyValue {
    match v {
        V::S(s) => AnyValue::S(s.clone()),
        V::I(n) => AnyValue::I(n.to_string()),
        V::F(f) => AnyValue::F(*f),
        V::B(b) => AnyValue::B(*b),
        V::A(items) => AnyValue::A { values: items.iter().map(any).collect() },
    }
}

fn kvs(attrs: &[(String, V)]) -> Vec<KeyValue> {
    attrs.iter().map(|(k, v)| KeyValue { key: k.clone(), value: any(v) }).collect()
}

fn resource_attrs(svc: &'static str) -> Vec<KeyValue> {
    let (version, lang) = service(svc);
    let sdk = match lang {
        "java" => "1.52.0",
        "go" => "1.37.0",
        "python" => "1.35.0",
        _ => "2.0.1",
    };
    let attrs: Vec<(String, V)> = vec![
        ("service.name".into(), svc.into()),
        ("service.namespace".into(), "shop".into()),
        ("service.version".into(), version.into()),
        ("deployment.environment".into(), "production".into()),
        ("host.name".into(), pod(svc).into()),
        ("k8s.namespace.name".into(), "shop".into()),
        ("k8s.pod.name".into(), pod(svc).into()),
        ("cloud.region".into(), "eu-west-1".into()),
        ("telemetry.sdk.name".into(), "opentelemetry".into()),
        ("telemetry.sdk.language".into(), lang.into()),
        ("telemetry.sdk.version".into(), sdk.into()),
    ];
    kvs(&attrs)
}

fn ospan(s: &Sp) -> OSpan {
    let flags = if s.remote_parent { 0x301 } else { 0x101 };
    OSpan {
        trace_id: format!("{:032x}", s.trace),
        span_id: format!("{:016x}", s.id),
        parent_span_id: if s.parent == 0 { String::new() } else { format!("{:016x}", s.parent) },
        flags,
        name: s.name.clone(),
        kind: s.kind as i32,
        start_time_unix_nano: s.start.to_string(),
        end_time_unix_nano: s.end.to_string(),
        attributes: kvs(&s.attrs),
        events: s
            .events
            .iter()
            .map(|e| OEvent {
                time_unix_nano: e.time.to_string(),
                name: e.name.clone(),
                attributes: kvs(&e.attrs),
            })
            .collect(),
        links: s
            .links
            .iter()
            .map(|l| OLink {
                trace_id: format!("{:032x}", l.to.trace),
                span_id: format!("{:016x}", l.to.span),
                attributes: kvs(&l.attrs),
                flags: l.flags,
            })
            .collect(),
        status: match &s.error {
            Some(m) if m.is_empty() => Status { message: None, code: Some(2) },
            Some(m) => Status { message: Some(m.clone()), code: Some(2) },
            None => Status { message: None, code: None },
        },
    }
}

/// Groups spans as an SDK exports them: one `resourceSpans` per service, one `scopeSpans` per
/// instrumentation library, in order of first appearance.
fn traces_data<'a>(spans: impl Iterator<Item = &'a Sp>) -> TracesData {
    type ByScope = Vec<(Scope, Vec<OSpan>)>;
    let mut out: Vec<(&'static str, ByScope)> = Vec::new();
    for s in spans {
        let (_, lang) = service(s.svc);
        let (name, version) = scope(lang, s.cat, s.svc);
        let i = match out.iter().position(|(svc, _)| *svc == s.svc) {
            Some(i) => i,
            None => {
                out.push((s.svc, Vec::new()));
                out.len() - 1
            }
        };
        let scopes = &mut out[i].1;
        match scopes.iter_mut().find(|(sc, _)| sc.name == name) {
            Some((_, v)) => v.push(ospan(s)),
            None => scopes.push((Scope { name, version }, vec![ospan(s)])),
        }
    }
    TracesData {
        resource_spans: out
            .into_iter()
            .map(|(svc, scopes)| ResourceSpans {
                resource: Resource { attributes: resource_attrs(svc) },
                scope_spans: scopes.into_iter().map(|(scope, spans)| ScopeSpans { scope, spans }).collect(),
                schema_url: "https://opentelemetry.io/schemas/1.34.0",
            })
            .collect(),
    }
}

/// One OTLP JSON document holding every kept span, laid out one span per line: still plain JSON,
/// but a person can read and grep it, at a third of the size of fully indented JSON.
fn otlp_json(b: &B) -> Vec<u8> {
    const FAIL: &str = "serializing plain structs cannot fail";
    let data = traces_data(b.kept());
    let mut out = String::from("{\"resourceSpans\": [\n");
    for (i, rs) in data.resource_spans.iter().enumerate() {
        let resource = serde_json::to_string(&rs.resource).expect(FAIL);
        let schema = serde_json::to_string(rs.schema_url).expect(FAIL);
        out += &format!("  {{\"resource\": {resource},\n   \"schemaUrl\": {schema},\n   \"scopeSpans\": [\n");
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            let scope = serde_json::to_string(&ss.scope).expect(FAIL);
            out += &format!("    {{\"scope\": {scope}, \"spans\": [\n");
            for (k, span) in ss.spans.iter().enumerate() {
                let sep = if k + 1 < ss.spans.len() { "," } else { "" };
                out += &format!("      {}{sep}\n", serde_json::to_string(span).expect(FAIL));
            }
            out += if j + 1 < rs.scope_spans.len() { "    ]},\n" } else { "    ]}\n" };
        }
        out += if i + 1 < data.resource_spans.len() { "  ]},\n" } else { "  ]}\n" };
    }
    out += "]}\n";
    out.into_bytes()
}

/// JSON Lines as the Collector file exporter writes it: spans are exported as they end, so
/// children come before their parents, a few spans per line.
fn otlp_jsonl(b: &B) -> Vec<u8> {
    let mut order: Vec<&Sp> = b.kept().collect();
    // Stable sort by end time; among equal ends, later-created (deeper) spans first.
    order.reverse();
    order.sort_by_key(|s| s.end);
    let mut out = Vec::new();
    for batch in order.chunks(JSONL_BATCH) {
        let line = serde_json::to_vec(&traces_data(batch.iter().copied()))
            .expect("serializing plain structs cannot fail");
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Datadog v0.4 msgpack
// ---------------------------------------------------------------------------------------------

/// A msgpack writer over a Vec, where writes cannot fail.
struct Mp(Vec<u8>);

impl Mp {
    const INFALLIBLE: &'static str = "writing msgpack to a Vec cannot fail";
    fn arr(&mut self, n: usize) {
        rmp::encode::write_array_len(&mut self.0, u32::try_from(n).expect("small array"))
            .expect(Self::INFALLIBLE);
    }
    fn map(&mut self, n: usize) {
        rmp::encode::write_map_len(&mut self.0, u32::try_from(n).expect("small map"))
            .expect(Self::INFALLIBLE);
    }
    fn str(&mut self, s: &str) {
        rmp::encode::write_str(&mut self.0, s).expect(Self::INFALLIBLE);
    }
    /// Ids: always the 9-byte uint64 form, as dd-trace-go and dd-trace-py write them.
    fn u64(&mut self, n: u64) {
        rmp::encode::write_u64(&mut self.0, n).expect(Self::INFALLIBLE);
    }
    fn uint(&mut self, n: u64) {
        rmp::encode::write_uint(&mut self.0, n).expect(Self::INFALLIBLE);
    }
    fn int(&mut self, n: i64) {
        rmp::encode::write_sint(&mut self.0, n).expect(Self::INFALLIBLE);
    }
    fn f64(&mut self, n: f64) {
        rmp::encode::write_f64(&mut self.0, n).expect(Self::INFALLIBLE);
    }
    fn bool(&mut self, b: bool) {
        rmp::encode::write_bool(&mut self.0, b).expect(Self::INFALLIBLE);
    }
}

/// Datadog's operation name, span type and component for a span, as its tracers set them.
fn dd_names(s: &Sp) -> (String, &'static str, &'static str) {
    let (_, lang) = service(s.svc);
    let op = |java: &str, go: &str, py: &str, node: &str| -> String {
        match lang {
            "java" => java,
            "go" => go,
            "python" => py,
            _ => node,
        }
        .to_owned()
    };
    match s.cat {
        Cat::HttpServer => (
            op("servlet.request", "http.request", "flask.request", "express.request"),
            "web",
            match lang {
                "java" => "tomcat-server",
                "go" => "net/http",
                "python" => "flask",
                _ => "express",
            },
        ),
        Cat::HttpClient => (
            op("http.request", "http.request", "requests.request", "http.request"),
            "http",
            match lang {
                "java" => "java-http-client",
                "go" => "net/http",
                "python" => "requests",
                _ => "undici",
            },
        ),
        Cat::Db => (
            op("postgresql.query", "pgx.query", "postgres.query", "pg.query"),
            "sql",
            match lang {
                "java" => "java-jdbc-prepared_statement",
                "go" => "jackc/pgx.v5",
                "python" => "psycopg",
                _ => "pg",
            },
        ),
        Cat::Redis => (
            "redis.command".to_owned(),
            "redis",
            match lang {
                "java" => "lettuce",
                "go" => "redis/go-redis.v9",
                _ => "redis",
            },
        ),
        Cat::Kafka => {
            let name = if s.kind == Kind::Producer { "kafka.produce" } else { "kafka.consume" };
            (
                name.to_owned(),
                "queue",
                match lang {
                    "java" => "java-kafka",
                    "go" => "twmb/franz-go",
                    "python" => "confluent-kafka",
                    _ => "kafkajs",
                },
            )
        }
        // @Trace-annotated Java methods become `trace.annotation`; the others name their spans.
        Cat::Internal if lang == "java" => ("trace.annotation".to_owned(), "", "trace"),
        Cat::Internal => (s.name.clone(), "custom", "manual"),
    }
}

/// The chunk a span belongs to: its trace and its service (each tracer flushes its own part).
fn chunks(b: &B) -> Vec<Vec<&Sp>> {
    let mut out: Vec<((u128, &str), Vec<&Sp>)> = Vec::new();
    for s in b.kept() {
        match out.iter_mut().find(|(k, _)| *k == (s.trace, s.svc)) {
            Some((_, v)) => v.push(s),
            None => out.push(((s.trace, s.svc), vec![s])),
        }
    }
    out.into_iter().map(|(_, v)| v).collect()
}

/// Datadog v0.4 payload: an array of chunks, each an array of span maps.
fn dd_msgpack(b: &B) -> Vec<u8> {
    let mut w = Mp(Vec::new());
    let chunks = chunks(b);
    w.arr(chunks.len());
    for chunk in &chunks {
        w.arr(chunk.len());
        for (i, s) in chunk.iter().enumerate() {
            dd_span(&mut w, s, i == 0);
        }
    }
    w.0
}

fn dd_span(w: &mut Mp, s: &Sp, chunk_root: bool) {
    let (version, lang) = service(s.svc);
    let (name, ty, component) = dd_names(s);
    let high = (s.trace >> 64) as u64;
    let low = s.trace as u64;

    let mut meta: Vec<(String, String)> = Vec::new();
    let mut metrics: Vec<(String, f64)> = Vec::new();
    if chunk_root {
        meta.push(("_dd.p.tid".into(), format!("{high:016x}")));
        meta.push(("_dd.p.dm".into(), "-0".into()));
    }
    meta.push(("env".into(), "production".into()));
    meta.push(("version".into(), version.into()));
    meta.push(("language".into(), if lang == "nodejs" { "javascript".into() } else { lang.into() }));
    meta.push((
        "runtime-id".into(),
        format!("{:016x}{:016x}", fnv(&["runtime", s.svc]), fnv(&["runtime2", s.svc])),
    ));
    meta.push(("_dd.hostname".into(), pod(s.svc)));
    meta.push(("component".into(), component.into()));
    meta.push((
        "span.kind".into(),
        match s.kind {
            Kind::Internal => "internal",
            Kind::Server => "server",
            Kind::Client => "client",
            Kind::Producer => "producer",
            Kind::Consumer => "consumer",
        }
        .into(),
    ));
    for (k, v) in &s.attrs {
        match v {
            // Datadog keeps HTTP status codes as strings in meta.
            V::I(n) if k == "http.response.status_code" => {
                meta.push(("http.status_code".into(), n.to_string()))
            }
            V::I(n) => metrics.push((k.clone(), *n as f64)),
            V::F(f) => metrics.push((k.clone(), *f)),
            V::S(t) => meta.push((k.clone(), t.clone())),
            V::B(b) => meta.push((k.clone(), b.to_string())),
            V::A(_) => {}
        }
    }
    if let Some(msg) = &s.error {
        let ex = s.events.iter().find(|e| e.name == "exception");
        let field = |key: &str| {
            ex.and_then(|e| e.attrs.iter().find(|(k, _)| k == key)).and_then(|(_, v)| match v {
                V::S(t) => Some(t.clone()),
                _ => None,
            })
        };
        let message = field("exception.message")
            .unwrap_or_else(|| if msg.is_empty() { format!("{} {}", s.name, "failed") } else { msg.clone() });
        meta.push(("error.message".into(), message));
        if let Some(t) = field("exception.type") {
            meta.push(("error.type".into(), t));
        }
        if let Some(st) = field("exception.stacktrace") {
            meta.push(("error.stack".into(), st));
        }
    }
    // A span is top-level when it starts its service's part of the trace.
    if chunk_root || s.remote_parent || s.parent == 0 {
        metrics.push(("_dd.top_level".into(), 1.0));
    }
    if chunk_root {
        metrics.push(("_sampling_priority_v1".into(), 1.0));
        metrics.push(("process_id".into(), (fnv(&["pid", s.svc]) % 30_000 + 1) as f64));
    }
    // Exceptions travel as error.* tags; other events as native span events.
    let events: Vec<&Ev> = s.events.iter().filter(|e| e.name != "exception").collect();

    let mut n = 12;
    n += usize::from(!s.links.is_empty()) + usize::from(!events.is_empty());
    w.map(n);
    w.str("service");
    w.str(s.svc);
    w.str("name");
    w.str(&name);
    w.str("resource");
    w.str(s.resource.as_deref().unwrap_or(&s.name));
    w.str("trace_id");
    w.u64(low);
    w.str("span_id");
    w.u64(s.id);
    w.str("parent_id");
    w.u64(s.parent);
    w.str("start");
    w.int(i64::try_from(s.start).expect("2026 fits in i64 ns"));
    w.str("duration");
    w.int(i64::try_from(s.end - s.start).expect("short span"));
    w.str("error");
    w.int(i64::from(s.error.is_some()));
    w.str("type");
    w.str(ty);
    w.str("meta");
    w.map(meta.len());
    for (k, v) in &meta {
        w.str(k);
        w.str(v);
    }
    w.str("metrics");
    w.map(metrics.len());
    for (k, v) in &metrics {
        w.str(k);
        w.f64(*v);
    }
    if !s.links.is_empty() {
        w.str("span_links");
        w.arr(s.links.len());
        for l in &s.links {
            let high = (l.to.trace >> 64) as u64;
            // Links between Datadog traces carry Datadog's tracestate; a link to an OTel span
            // (the cross-file link) has none.
            let dd_target = high & 0xffff_ffff == 0;
            w.map(if dd_target { 6 } else { 5 });
            w.str("trace_id");
            w.u64(l.to.trace as u64);
            w.str("trace_id_high");
            w.u64(high);
            w.str("span_id");
            w.u64(l.to.span);
            w.str("attributes");
            w.map(l.attrs.len());
            for (k, v) in &l.attrs {
                w.str(k);
                w.str(&dd_string(v));
            }
            if dd_target {
                w.str("tracestate");
                w.str(&format!("dd=s:1;t.dm:-0;t.tid:{high:016x}"));
            }
            w.str("flags");
            // Bit 31 says "flags are set"; bit 0 is sampled.
            w.uint(u64::from(0x8000_0000u32 | (l.flags & 0xff)));
        }
    }
    if !events.is_empty() {
        w.str("span_events");
        w.arr(events.len());
        for e in events {
            w.map(3);
            w.str("name");
            w.str(&e.name);
            w.str("time_unix_nano");
            w.uint(e.time);
            w.str("attributes");
            w.map(e.attrs.len());
            for (k, v) in &e.attrs {
                w.str(k);
                dd_event_value(w, v);
            }
        }
    }
}

/// Link attributes are strings in Datadog; tracers stringify numbers and bools.
fn dd_string(v: &V) -> String {
    match v {
        V::S(s) => s.clone(),
        V::I(n) => n.to_string(),
        V::F(f) => f.to_string(),
        V::B(b) => b.to_string(),
        V::A(items) => items.iter().map(dd_string).collect::<Vec<_>>().join(","),
    }
}

/// Native span-event attribute: `{type: 0..4, <type>_value: ...}`.
fn dd_event_value(w: &mut Mp, v: &V) {
    w.map(2);
    w.str("type");
    match v {
        V::S(s) => {
            w.uint(0);
            w.str("string_value");
            w.str(s);
        }
        V::B(b) => {
            w.uint(1);
            w.str("bool_value");
            w.bool(*b);
        }
        V::I(n) => {
            w.uint(2);
            w.str("int_value");
            w.int(*n);
        }
        V::F(f) => {
            w.uint(3);
            w.str("double_value");
            w.f64(*f);
        }
        V::A(items) => {
            w.uint(4);
            w.str("array_value");
            w.map(1);
            w.str("values");
            w.arr(items.len());
            for item in items {
                dd_event_value(w, item);
            }
        }
    }
}
