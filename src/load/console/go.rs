//! The OpenTelemetry Go SDK's `stdouttrace` schema (`tracetest.SpanStub`, FORMATS.md §10.2) →
//! spans, for `console::Reader`.
//!
//! Mapping: `SpanContext.TraceID`/`SpanID` → ids; `Parent` with zero ids → root; `SpanKind` is
//! OTLP's number; `StartTime`/`EndTime` are RFC 3339 (Go's zero time, written by
//! `WithoutTimestamps`, is no time); `TraceFlags` (hex) → the span's W3C flags, with OTLP's
//! "remote is known" bit and `Parent.Remote` as its "parent is remote" bit, and the same for each
//! link from its own `Remote`; `Status.Code` `Error`/`Ok` → status; typed attributes
//! `{Key, Value: {Type, Value}}` → typed values; `Events` and `Links` (with their attributes) kept;
//! `Resource` (a bare attribute array) → the resource; `InstrumentationScope` (else the older
//! `InstrumentationLibrary`) name and version → the scope. Dropped counts and `ChildSpanCount` are
//! not kept (the model has no field for them).

use super::{MAX_VALUE_DEPTH, Reader};
use crate::load::json::{Scalar, Str, number, scalar};
use crate::model::{Attr, Event, Link, LinkKind, Slice, SpanId, SpanKind, Sym, TraceId, Value};
use serde::Deserialize;
use serde_json::value::RawValue;

/// OTLP span flags: the "is remote" bits are known, and the parent (or link target) is remote.
const HAS_IS_REMOTE: u32 = 0x100;
const IS_REMOTE: u32 = 0x200;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoSpan<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    span_context: Option<Context<'a>>,
    #[serde(borrow)]
    parent: Option<Context<'a>>,
    span_kind: Option<i64>,
    #[serde(borrow)]
    start_time: Option<Str<'a>>,
    #[serde(borrow)]
    end_time: Option<Str<'a>>,
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
    #[serde(borrow)]
    events: Option<Vec<GoEvent<'a>>>,
    #[serde(borrow)]
    links: Option<Vec<GoLink<'a>>>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
    #[serde(borrow)]
    instrumentation_scope: Option<Scope<'a>>,
    #[serde(borrow)]
    instrumentation_library: Option<Scope<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Context<'a> {
    #[serde(rename = "TraceID", borrow)]
    trace_id: Option<Str<'a>>,
    #[serde(rename = "SpanID", borrow)]
    span_id: Option<Str<'a>>,
    #[serde(borrow)]
    trace_flags: Option<Str<'a>>,
    #[serde(borrow)]
    trace_state: Option<Str<'a>>,
    remote: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyValue<'a> {
    #[serde(borrow)]
    key: Option<Str<'a>>,
    #[serde(borrow)]
    value: Option<Typed<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Typed<'a> {
    #[serde(rename = "Type", borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoEvent<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    time: Option<Str<'a>>,
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GoLink<'a> {
    #[serde(borrow)]
    span_context: Option<Context<'a>>,
    #[serde(borrow)]
    attributes: Option<Vec<KeyValue<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Status<'a> {
    #[serde(borrow)]
    code: Option<Str<'a>>,
    #[serde(borrow)]
    description: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Scope<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    version: Option<Str<'a>>,
}

/// One printed span (see the module comment).
pub(super) fn add_span<'a>(r: &mut Reader<'a>, raw: &'a RawValue) {
    let Some(gs) = r.span::<GoSpan<'a>>(raw, "a span object as stdouttrace prints it") else { return };
    let span_at = raw.get();
    let Some(ctx) = gs.span_context.as_ref() else {
        let at = r.cx.text_offset(span_at);
        r.cx.skip_at(at, |_| "skipped: an object without `SpanContext` is not a span");
        return;
    };
    let Some(trace_id) = r.cx.trace_id(ctx.trace_id.as_ref(), "SpanContext.TraceID", span_at) else { return };
    let Some(span_id) = r.cx.span_id(ctx.span_id.as_ref(), "SpanContext.SpanID", span_at) else { return };
    let parent = gs.parent.as_ref();
    let parent_id = match parent.and_then(|p| p.span_id.as_ref()) {
        None => SpanId(0),
        Some(p) => SpanId::from_hex(p).unwrap_or_else(|e| {
            let at = r.cx.str_offset(p, span_at);
            r.cx.warn_at(at, |_| format!("Parent.SpanID ignored, span shown as a root: {e}"));
            SpanId(0)
        }),
    };
    let start = r.time(gs.start_time.as_ref(), "StartTime", span_at);
    let end = r.time(gs.end_time.as_ref(), "EndTime", span_at);
    let (start, end, flags) = r.times(start, end, span_at);
    let (resource, service) =
        r.resource(gs.resource, |r, raw| match serde_json::from_str::<Vec<KeyValue<'_>>>(raw.get()) {
            Ok(kvs) => typed_attrs(r, &kvs),
            Err(_) => Vec::new(),
        });
    let scope = gs.instrumentation_scope.as_ref().or(gs.instrumentation_library.as_ref());
    let scope_name = scope.and_then(|s| s.name.as_ref()).filter(|n| !n.is_empty()).map(|n| r.cx.sym(n));
    let scope_version = scope.and_then(|s| s.version.as_ref()).filter(|v| !v.is_empty()).map(|v| r.cx.sym(v));
    let scope = r.cx.scope(scope_name, scope_version);
    let name = match &gs.name {
        Some(n) => r.cx.sym(n),
        None => r.cx.intern(""),
    };
    let attrs = typed_attrs(r, gs.attributes.as_deref().unwrap_or_default());
    let events = events(r, gs.events.as_deref().unwrap_or_default(), span_at);
    let links = links(r, gs.links.as_deref().unwrap_or_default());

    let mut out = crate::model::Span::new(trace_id, span_id, parent_id, start, end, name, service);
    out.flags = flags;
    out.kind = SpanKind::from_otlp(gs.span_kind.unwrap_or(0));
    if let Some(status) = &gs.status {
        out.status = status.code.as_deref().and_then(crate::model::StatusCode::from_name).unwrap_or_default();
        out.status_message = status.description.as_ref().filter(|d| !d.is_empty()).map(|d| r.cx.sym(d));
    }
    out.trace_state = trace_state(r, ctx);
    out.w3c_flags = w3c_flags(ctx.trace_flags.as_ref(), parent.and_then(|p| p.remote));
    out.resource = resource;
    out.scope = scope;
    out.attrs = r.cx.ds.add_attrs(&attrs);
    out.events = events;
    out.links = links;
    r.cx.ds.spans.push(out);
}

/// `TraceFlags` (two hex digits) with OTLP's remote bits from `remote`.
fn w3c_flags(trace_flags: Option<&Str<'_>>, remote: Option<bool>) -> u32 {
    let flags = trace_flags.and_then(|f| u8::from_str_radix(f, 16).ok()).map_or(0, u32::from);
    match remote {
        Some(true) => flags | HAS_IS_REMOTE | IS_REMOTE,
        Some(false) => flags | HAS_IS_REMOTE,
        None => flags,
    }
}

fn trace_state(r: &mut Reader<'_>, ctx: &Context<'_>) -> Option<Sym> {
    ctx.trace_state.as_ref().filter(|t| !t.is_empty()).map(|t| r.cx.intern(t))
}

fn events<'a>(r: &mut Reader<'a>, events: &[GoEvent<'a>], span_at: &str) -> Slice {
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let time = r.time(e.time.as_ref(), "event Time", span_at).unwrap_or(0);
        let name = match &e.name {
            Some(n) => r.cx.sym(n),
            None => r.cx.intern(""),
        };
        let attrs = typed_attrs(r, e.attributes.as_deref().unwrap_or_default());
        let attrs = r.cx.ds.add_attrs(&attrs);
        out.push(Event { time, name, attrs });
    }
    r.cx.ds.add_events(&out)
}

/// Links whose ids read; a link with a bad id is dropped with a warning.
fn links<'a>(r: &mut Reader<'a>, links: &[GoLink<'a>]) -> Slice {
    let mut out = Vec::with_capacity(links.len());
    for l in links {
        let ctx = l.span_context.as_ref();
        let ids = ctx.and_then(|c| {
            let t = TraceId::from_hex(c.trace_id.as_deref()?).ok().filter(|t| !t.is_zero())?;
            let s = SpanId::from_hex(c.span_id.as_deref()?).ok().filter(|s| !s.is_zero())?;
            Some((t, s, c))
        });
        let Some((trace_id, span_id, ctx)) = ids else {
            let at = ctx
                .and_then(|c| c.trace_id.as_ref())
                .map_or(crate::model::Location::Unknown, |t| r.cx.locate(r.cx.str_offset(t, "")));
            r.cx.file.warn(at, "link dropped: its SpanContext has no valid TraceID and SpanID");
            continue;
        };
        let attrs = typed_attrs(r, l.attributes.as_deref().unwrap_or_default());
        let attrs = r.cx.ds.add_attrs(&attrs);
        let trace_state = trace_state(r, ctx);
        let flags = w3c_flags(ctx.trace_flags.as_ref(), ctx.remote);
        out.push(Link { trace_id, span_id, trace_state, flags, kind: LinkKind::Link, attrs });
    }
    r.cx.ds.add_links(&out)
}

/// `[{Key, Value: {Type, Value}}]` → attributes; entries without a key are left out.
fn typed_attrs<'a>(r: &mut Reader<'a>, kvs: &[KeyValue<'a>]) -> Vec<Attr> {
    let mut attrs = Vec::with_capacity(kvs.len());
    for kv in kvs {
        let Some(key) = &kv.key else { continue };
        let key = r.cx.sym(key);
        let value = kv.value.as_ref().map_or(Value::Empty, |v| typed_value(r, v, 0));
        attrs.push(Attr { key, value });
    }
    attrs
}

/// One `{Type, Value}` (`attribute.Value`'s JSON form) → a model value.
fn typed_value<'a>(r: &mut Reader<'a>, v: &Typed<'a>, depth: u8) -> Value {
    let Some(raw) = v.value else { return Value::Empty };
    let kind = v.kind.as_deref().unwrap_or("");
    match kind {
        "BOOL" | "INT64" | "FLOAT64" | "STRING" => scalar_of(r, raw, kind),
        "BYTESLICE" => match scalar(raw) {
            Scalar::Str(s) => Value::Bytes(r.cx.sym(&s)),
            other => r.cx.plain_value(other, false),
        },
        "EMPTY" => Value::Empty,
        _ if depth >= MAX_VALUE_DEPTH => Value::Str(r.cx.intern(raw.get())),
        "BOOLSLICE" | "INT64SLICE" | "FLOAT64SLICE" | "STRINGSLICE" => {
            let element = kind.trim_end_matches("SLICE");
            let items = serde_json::from_str::<Vec<&'a RawValue>>(raw.get()).unwrap_or_default();
            let values: Vec<Value> = items.into_iter().map(|i| scalar_of(r, i, element)).collect();
            r.cx.ds.add_array(&values)
        }
        "SLICE" => {
            let items = serde_json::from_str::<Vec<Typed<'a>>>(raw.get()).unwrap_or_default();
            let values: Vec<Value> = items.iter().map(|i| typed_value(r, i, depth + 1)).collect();
            r.cx.ds.add_array(&values)
        }
        "MAP" => {
            let kvs = serde_json::from_str::<Vec<KeyValue<'a>>>(raw.get()).unwrap_or_default();
            let attrs = typed_attrs(r, &kvs);
            Value::Map(r.cx.ds.add_attrs(&attrs))
        }
        _ => r.plain_value(raw, depth),
    }
}

/// A scalar of a known type; `FLOAT64` numbers stay doubles even when integral (`1` is 1.0).
fn scalar_of<'a>(r: &mut Reader<'a>, raw: &'a RawValue, kind: &str) -> Value {
    match scalar(raw) {
        Scalar::Num(t) if kind == "FLOAT64" => number(t, true).unwrap_or_else(|| Value::Str(r.cx.intern(t))),
        other => r.cx.plain_value(other, false),
    }
}
