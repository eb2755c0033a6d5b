//! The OpenTelemetry Python SDK's `ConsoleSpanExporter` schema (`ReadableSpan.to_json`,
//! FORMATS.md §10.1) → spans, for `console::Reader`.
//!
//! Mapping: ids lose their `0x`; `kind` `SpanKind.X` → X; `parent_id` null → root;
//! `start_time`/`end_time` (µs precision) → ns; `status.status_code`/`description` → status;
//! attributes are plain JSON values (an integer stays an int, a number with a fraction is a
//! double); `events[{name, timestamp, attributes}]` → events; `links[{context, attributes}]` →
//! links with their attributes; `resource.attributes` → the resource. `trace_state` is the repr of
//! a Python list (`['{key=k, value=v}']`), turned back into W3C text (`k=v`). The SDK prints no
//! scope, flags or dropped counts.

use super::{Reader, without_0x};
use crate::load::json::{Entries, Str};
use crate::model::{Event, Link, LinkKind, SpanId, SpanKind, Sym};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct PySpan<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    context: Option<Context<'a>>,
    #[serde(borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    parent_id: Option<Str<'a>>,
    #[serde(borrow)]
    start_time: Option<Str<'a>>,
    #[serde(borrow)]
    end_time: Option<Str<'a>>,
    #[serde(borrow)]
    status: Option<Status<'a>>,
    #[serde(borrow)]
    attributes: Option<Entries<'a, &'a RawValue>>,
    #[serde(borrow)]
    events: Option<Vec<PyEvent<'a>>>,
    #[serde(borrow)]
    links: Option<Vec<PyLink<'a>>>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Context<'a> {
    #[serde(borrow)]
    trace_id: Option<Str<'a>>,
    #[serde(borrow)]
    span_id: Option<Str<'a>>,
    #[serde(borrow)]
    trace_state: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow)]
    status_code: Option<Str<'a>>,
    #[serde(borrow)]
    description: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct PyEvent<'a> {
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    timestamp: Option<Str<'a>>,
    #[serde(borrow)]
    attributes: Option<Entries<'a, &'a RawValue>>,
}

#[derive(Deserialize)]
struct PyLink<'a> {
    #[serde(borrow)]
    context: Option<Context<'a>>,
    #[serde(borrow)]
    attributes: Option<Entries<'a, &'a RawValue>>,
}

#[derive(Deserialize)]
struct PyResource<'a> {
    #[serde(borrow)]
    attributes: Option<Entries<'a, &'a RawValue>>,
}

/// One printed span (see the module comment).
pub(super) fn add_span<'a>(r: &mut Reader<'a>, raw: &'a RawValue) {
    let Some(ps) = r.span::<PySpan<'a>>(raw, "a span object as ConsoleSpanExporter prints it") else {
        return;
    };
    let span_at = raw.get();
    let Some(ctx) = ps.context.as_ref() else {
        let at = r.cx.text_offset(span_at);
        r.cx.skip_at(at, |_| "skipped: an object without `context` is not a span");
        return;
    };
    let trace = ctx.trace_id.as_ref().map(without_0x);
    let Some(trace_id) = r.cx.trace_id(trace.as_ref(), "context.trace_id", span_at) else { return };
    let span = ctx.span_id.as_ref().map(without_0x);
    let Some(span_id) = r.cx.span_id(span.as_ref(), "context.span_id", span_at) else { return };
    let parent_id = match ps.parent_id.as_ref().map(without_0x) {
        None => SpanId(0),
        Some(p) => SpanId::from_hex(&p).unwrap_or_else(|e| {
            let at = r.cx.str_offset(&p, span_at);
            r.cx.warn_at(at, |_| format!("parent_id ignored, span shown as a root: {e}"));
            SpanId(0)
        }),
    };
    let start = r.time(ps.start_time.as_ref(), "start_time", span_at);
    let end = r.time(ps.end_time.as_ref(), "end_time", span_at);
    let (start, end, flags) = r.times(start, end, span_at);
    let (resource, service) =
        r.resource(ps.resource, |r, raw| match serde_json::from_str::<PyResource<'_>>(raw.get()) {
            Ok(res) => r.plain_attrs(res.attributes.as_ref()),
            Err(_) => Vec::new(),
        });
    let name = match &ps.name {
        Some(n) => r.cx.sym(n),
        None => r.cx.intern(""),
    };
    let kind = ps.kind.as_ref().map_or(SpanKind::Unspecified, |k| {
        let short = k.strip_prefix("SpanKind.").unwrap_or(k);
        SpanKind::from_name(short).unwrap_or_else(|| {
            let at = r.cx.str_offset(k, span_at);
            r.cx.warn_at(at, |_| {
                format!("unknown kind \"{}\" read as internal", crate::load::json::preview(k))
            });
            SpanKind::Internal
        })
    });
    let attrs = r.plain_attrs(ps.attributes.as_ref());
    let events = events(r, ps.events.as_deref().unwrap_or_default(), span_at);
    let links = links(r, ps.links.as_deref().unwrap_or_default());

    let mut out = crate::model::Span::new(trace_id, span_id, parent_id, start, end, name, service);
    out.flags = flags;
    out.kind = kind;
    if let Some(status) = &ps.status {
        out.status =
            status.status_code.as_deref().and_then(crate::model::StatusCode::from_name).unwrap_or_default();
        out.status_message = status.description.as_ref().filter(|d| !d.is_empty()).map(|d| r.cx.sym(d));
    }
    out.trace_state = trace_state(r, ctx.trace_state.as_ref());
    out.resource = resource;
    out.attrs = r.cx.ds.add_attrs(&attrs);
    out.events = events;
    out.links = links;
    r.cx.ds.spans.push(out);
}

fn events<'a>(r: &mut Reader<'a>, events: &[PyEvent<'a>], span_at: &str) -> crate::model::Slice {
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let time = r.time(e.timestamp.as_ref(), "event timestamp", span_at).unwrap_or(0);
        let name = match &e.name {
            Some(n) => r.cx.sym(n),
            None => r.cx.intern(""),
        };
        let attrs = r.plain_attrs(e.attributes.as_ref());
        let attrs = r.cx.ds.add_attrs(&attrs);
        out.push(Event { time, name, attrs });
    }
    r.cx.ds.add_events(&out)
}

/// Links whose ids read; a link with a bad id is dropped with a warning.
fn links<'a>(r: &mut Reader<'a>, links: &[PyLink<'a>]) -> crate::model::Slice {
    let mut out = Vec::with_capacity(links.len());
    for l in links {
        let ctx = l.context.as_ref();
        let trace = ctx.and_then(|c| c.trace_id.as_ref()).map(without_0x);
        let span = ctx.and_then(|c| c.span_id.as_ref()).map(without_0x);
        let ids = trace.as_deref().zip(span.as_deref()).and_then(|(t, s)| {
            let t = crate::model::TraceId::from_hex(t).ok().filter(|t| !t.is_zero())?;
            let s = SpanId::from_hex(s).ok().filter(|s| !s.is_zero())?;
            Some((t, s))
        });
        let Some((trace_id, span_id)) = ids else {
            let at = trace
                .as_ref()
                .map_or(crate::model::Location::Unknown, |t| r.cx.locate(r.cx.str_offset(t, "")));
            r.cx.file.warn(at, "link dropped: its context has no valid trace_id and span_id");
            continue;
        };
        let attrs = r.plain_attrs(l.attributes.as_ref());
        let attrs = r.cx.ds.add_attrs(&attrs);
        let trace_state = trace_state(r, ctx.and_then(|c| c.trace_state.as_ref()));
        out.push(Link { trace_id, span_id, trace_state, flags: 0, kind: LinkKind::Link, attrs });
    }
    r.cx.ds.add_links(&out)
}

/// `['{key=k, value=v}', …]` (the repr of the SDK's `TraceState`) → `k=v,…`; `None` when empty.
fn trace_state(r: &mut Reader<'_>, repr: Option<&Str<'_>>) -> Option<Sym> {
    let repr = repr?;
    let pairs: Vec<String> = repr
        .split("{key=")
        .skip(1)
        .filter_map(|part| {
            let (key, rest) = part.split_once(", value=")?;
            let value = rest.split_once('}').map_or(rest, |(v, _)| v);
            Some(format!("{key}={value}"))
        })
        .collect();
    (!pairs.is_empty()).then(|| r.cx.intern(&pairs.join(",")))
}
