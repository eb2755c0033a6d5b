//! Datasets built in code for the explorer's tests: a batch consumer linking to producers in
//! other traces, a scatter-gather with same-trace links, a dangling link, a link to a loaded
//! trace whose span is missing, a span pointer, an error span, nested spans, a CJK/emoji name
//! and a name carrying an escape sequence.

use crate::index::{Index, SpanIdx, TraceIdx};
use crate::model::{
    Attr, Dataset, Event, FileInfo, Format, Link, LinkKind, Scope, Span, SpanId, SpanKind, StatusCode,
    TraceId, Value,
};

pub const BASE: u64 = 1_700_000_000_000_000_000;
const MS: u64 = 1_000_000;

pub const P1: TraceId = TraceId(0x1111_2222_3333_4444_5555_6666_7777_8888);
pub const P2: TraceId = TraceId(0x2222_3333_4444_5555_6666_7777_8888_9999);
pub const CONSUMER: TraceId = TraceId(0xc0ff_ee00_0000_0000_0000_0000_0000_0001);
pub const SCATTER: TraceId = TraceId(0x5ca7_7e00_0000_0000_0000_0000_0000_0002);
pub const DANGLING: TraceId = TraceId(0xdead_0000_0000_0000_0000_0000_0000_0003);

pub const P1_ROOT: SpanId = SpanId(0xa1);
pub const P1_PUBLISH: SpanId = SpanId(0xa2);
pub const P2_PUBLISH: SpanId = SpanId(0xb2);
pub const BATCH: SpanId = SpanId(0xc1);
pub const ITEM: SpanId = SpanId(0xc2);
pub const DB: SpanId = SpanId(0xc3);
pub const CJK: SpanId = SpanId(0xc4);
pub const EVIL: SpanId = SpanId(0xc5);
pub const GATHER: SpanId = SpanId(0x5e);

struct Builder {
    ds: Dataset,
}

impl Builder {
    #[expect(clippy::too_many_arguments, reason = "test helper mirroring Span::new")]
    fn span(
        &mut self,
        trace: TraceId,
        id: u64,
        parent: u64,
        start_ms: u64,
        end_ms: u64,
        service: &str,
        name: &str,
        resource: crate::model::ResourceIdx,
    ) -> usize {
        let name = self.ds.intern(name);
        let service = self.ds.intern(service);
        let mut s = Span::new(
            trace,
            SpanId(id),
            SpanId(parent),
            BASE + start_ms * MS,
            BASE + end_ms * MS,
            name,
            service,
        );
        s.resource = resource;
        self.ds.spans.push(s);
        self.ds.spans.len() - 1
    }

    fn attrs(&mut self, kv: &[(&str, Value)]) -> crate::model::Slice {
        let attrs: Vec<Attr> = kv.iter().map(|(k, v)| Attr { key: self.ds.intern(k), value: *v }).collect();
        self.ds.add_attrs(&attrs)
    }

    fn str(&mut self, s: &str) -> Value {
        Value::Str(self.ds.intern(s))
    }

    fn link(&mut self, trace: TraceId, span: SpanId, kind: LinkKind, attrs: &[(&str, Value)]) -> Link {
        Link { trace_id: trace, span_id: span, trace_state: None, flags: 0, kind, attrs: self.attrs(attrs) }
    }
}

/// Four traces: two producers, a batch consumer linking to both (plus a dangling link, a missing
/// span in a loaded trace and a span pointer), and a scatter-gather.
pub fn links_index() -> Index {
    let mut b = Builder { ds: Dataset::new() };
    let web_attrs = b.str("web");
    let r = b.attrs(&[("service.name", web_attrs)]);
    let web = b.ds.add_resource(r);

    // Producer traces.
    b.span(P1, 0xa1, 0, 0, 12, "web", "POST /orders", web);
    let p1 = b.span(P1, 0xa2, 0xa1, 2, 5, "orders", "publish", web);
    b.ds.spans[p1].kind = SpanKind::Producer;
    b.span(P2, 0xb1, 0, 1000, 1012, "web", "POST /orders", web);
    let p2 = b.span(P2, 0xb2, 0xb1, 1003, 1006, "orders", "publish", web);
    b.ds.spans[p2].kind = SpanKind::Producer;

    // The batch consumer.
    let host = b.str("node-1");
    let worker_name = b.str("worker");
    let r = b.attrs(&[("service.name", worker_name), ("host.name", host)]);
    let worker = b.ds.add_resource(r);
    let scope_name = b.ds.intern("io.opentelemetry.kafka");
    let scope_version = b.ds.intern("1.2.3");
    let scope =
        b.ds.add_scope(Scope { name: Some(scope_name), version: Some(scope_version), ..Scope::default() });
    let batch = b.span(CONSUMER, 0xc1, 0, 2000, 2050, "worker", "consume batch", worker);
    let kafka = b.str("kafka");
    let attrs = b.attrs(&[("messaging.system", kafka), ("messaging.batch.message_count", Value::Int(2))]);
    let ev_attrs = b.attrs(&[("size", Value::Int(2))]);
    let ev_name = b.ds.intern("batch received");
    let events = b.ds.add_events(&[Event { time: BASE + 2001 * MS, name: ev_name, attrs: ev_attrs }]);
    let s3 = b.str("s3");
    let hash = b.str("abc123");
    let links = [
        b.link(P1, P1_PUBLISH, LinkKind::Link, &[("messaging.batch.index", Value::Int(0))]),
        b.link(P2, P2_PUBLISH, LinkKind::FollowsFrom, &[("messaging.batch.index", Value::Int(1))]),
        b.link(DANGLING, SpanId(0xbeef), LinkKind::Link, &[]),
        b.link(P1, SpanId(0x99), LinkKind::ChildOf, &[]),
        b.link(TraceId(0), SpanId(0), LinkKind::Pointer, &[("ptr.kind", s3), ("ptr.hash", hash)]),
    ];
    let links = b.ds.add_links(&links);
    let s = &mut b.ds.spans[batch];
    s.kind = SpanKind::Consumer;
    s.attrs = attrs;
    s.events = events;
    s.links = links;
    s.scope = scope;

    let item = b.span(CONSUMER, 0xc2, 0xc1, 2005, 2020, "worker", "process item", worker);
    let l = [b.link(P1, P1_PUBLISH, LinkKind::Link, &[])];
    b.ds.spans[item].links = b.ds.add_links(&l);
    let db = b.span(CONSUMER, 0xc3, 0xc2, 2006, 2010, "postgres", "db query", worker);
    b.ds.spans[db].status = StatusCode::Error;
    b.ds.spans[db].status_message = Some(b.ds.intern("timeout"));
    b.span(CONSUMER, 0xc4, 0xc1, 2020, 2030, "worker", "注文処理 🧵", worker);
    b.span(CONSUMER, 0xc5, 0xc1, 2030, 2035, "worker", "evil\x1b[2Jname", worker);

    // Scatter-gather inside one trace: the gather span links to each shard.
    b.span(SCATTER, 0x50, 0, 3000, 3040, "gateway", "search", web);
    for i in 1..=3u64 {
        b.span(SCATTER, 0x50 + i, 0x50, 3001, 3010 + i * 3, "search", &format!("shard-{i}"), web);
    }
    let gather = b.span(SCATTER, 0x5e, 0x50, 3021, 3030, "gateway", "gather", web);
    let links: Vec<Link> =
        (1..=3u64).map(|i| b.link(SCATTER, SpanId(0x50 + i), LinkKind::FollowsFrom, &[])).collect();
    b.ds.spans[gather].links = b.ds.add_links(&links);

    let mut file = FileInfo::new("test.json", Format::OtlpJson);
    file.spans = b.ds.spans.len();
    file.skip(crate::model::Location::Unknown, "bad span");
    file.skip(crate::model::Location::Unknown, "another bad span");
    b.ds.files.push(file);
    Index::build(b.ds)
}

/// One trace of `n` spans: a root with chains of children ten deep, every 7th span linking to
/// the root, so there are links deep inside collapsible subtrees.
pub fn big_index(n: u64) -> Index {
    let mut b = Builder { ds: Dataset::new() };
    let t = TraceId(0xb16);
    let res = crate::model::ResourceIdx::default();
    b.span(t, 1, 0, 0, n, "root-svc", "root", res);
    for i in 2..=n {
        // Groups of ten: the first hangs off the root, the rest nest under the previous one.
        let parent = if (i - 2) % 10 == 0 { 1 } else { i - 1 };
        let idx =
            b.span(t, i, parent, i / 10, i / 10 + 10, &format!("svc-{}", i % 5), &format!("op {i}"), res);
        if i % 7 == 0 {
            let l = [b.link(t, SpanId(1), LinkKind::Link, &[])];
            b.ds.spans[idx].links = b.ds.add_links(&l);
        }
    }
    let mut file = FileInfo::new("big.json", Format::OtlpJson);
    file.spans = b.ds.spans.len();
    b.ds.files.push(file);
    Index::build(b.ds)
}

/// One trace, `root` (0..100 ms) with three children `a`, `b`, `c` (at 10, 40, 70 ms, 20 ms
/// each), each with a grandchild `a1`, `b1`, `c1`; `a1` and `c1` and `b` are errors. Span ids are
/// 1 (root), then 0x10 * k + 1 for the children and 0x10 * k + 2 for the grandchildren.
pub fn errors_index() -> Index {
    let mut b = Builder { ds: Dataset::new() };
    let t = P1;
    let res = crate::model::ResourceIdx::default();
    b.span(t, 1, 0, 0, 100, "api", "root", res);
    for (k, name) in [(1u64, "a"), (2, "b"), (3, "c")] {
        let start = 10 + (k - 1) * 30;
        let child = b.span(t, 0x10 * k + 1, 1, start, start + 20, "api", name, res);
        let grandchild =
            b.span(t, 0x10 * k + 2, 0x10 * k + 1, start + 5, start + 15, "db", &format!("{name}1"), res);
        if k == 2 {
            b.ds.spans[child].status = StatusCode::Error;
        } else {
            b.ds.spans[grandchild].status = StatusCode::Error;
        }
    }
    let mut file = FileInfo::new("errors.json", Format::OtlpJson);
    file.spans = b.ds.spans.len();
    b.ds.files.push(file);
    Index::build(b.ds)
}

/// One span (trace `P1`, span `P1_ROOT`) with a short attribute and a `bytes`-long one.
pub fn long_value_index(bytes: usize) -> Index {
    let mut b = Builder { ds: Dataset::new() };
    let idx = b.span(P1, P1_ROOT.0, 0, 0, 10, "svc", "op", crate::model::ResourceIdx::default());
    let (short, long) = (b.str("ok"), b.str(&"é".repeat(bytes / 2)));
    b.ds.spans[idx].attrs = b.attrs(&[("short", short), ("db.statement", long)]);
    let mut file = FileInfo::new("long.json", Format::OtlpJson);
    file.spans = 1;
    b.ds.files.push(file);
    Index::build(b.ds)
}

pub fn span(index: &Index, trace: TraceId, id: SpanId) -> SpanIdx {
    index.find_span(trace, id).expect("test span exists")
}

pub fn trace(index: &Index, id: TraceId) -> TraceIdx {
    index.find_trace(id).expect("test trace exists")
}
