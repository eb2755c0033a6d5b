//! Zipkin v2 JSON → `Dataset` (FORMATS.md §3). One of the `load` parsers.
//!
//! Accepted shapes: a span list `[span…]`, a list of traces `[[span…]…]` and a single span object.
//! Like the Jaeger loader it reads in two passes (syntax and raw spans first, then each span on
//! its own), so a syntax error is a `LoadError` with `path:line:col` and a wrong-typed span is
//! skipped with its own line:col while the rest load.
//!
//! A top-level array is first read in one pass, in runs cut for the threads (`parse_job`); the two
//! passes above are the fallback that decides errors, and the tests' reference.
//!
//! Mapping (beyond the obvious):
//! - `kind` absent → internal; `localEndpoint.serviceName` absent → `unknown_service`.
//! - `shared: true` → `span_flags::SHARED`. Both halves of a shared client/server pair are kept;
//!   the index nests the server half under its client twin. Pieces of one half are merged, mixed
//!   64/128-bit trace ids joined and spans without `timestamp` flagged `UNTIMED` (`merge`).
//! - Endpoints → span attributes, with the keys the OpenTelemetry Collector's Zipkin receiver uses:
//!   local `net.host.ip` (ipv4, else ipv6) and `net.host.port`; remote `peer.service`,
//!   `net.peer.ip` and `net.peer.port`. Port 0 (unknown) is left out.
//! - Tags are string attributes, except these, which are consumed: `error` (error status; its
//!   value is the status message), `otel.status_code` / `otel.status_description`,
//!   `otel.scope.*` / `otel.library.*` (scope), `w3c.tracestate`, `span.kind` (only when `kind`
//!   is absent), `otlp.link.N` = `tid|sid|tracestate|attrsJSON|dropped` (the Collector's link
//!   encoding) and `link.N` = `<traceId>-<spanId>` (gentrace's), which become links.
//! - Annotations → events; a value `name|attrsJSON|dropped` becomes a named event with attributes.

mod merge;

use super::json::{
    Entries, OtelTags, Run, RunParser, Scalar, Str, first_byte, number, preview, read_runs, scalar,
    skip_whitespace, text_of, value_at,
};
use super::parallel::{self, Chunked};
use super::progress::Ticker;
use super::sink::Sink;
use super::{Job, LoadError};
use crate::model::{
    Attr, Dataset, Event, Format, Link, LinkKind, Location, ResourceIdx, SERVICE_NAME_KEY, Slice, Span,
    SpanId, SpanKind, StatusCode, Sym, TraceId, UNKNOWN_SERVICE, Value, span_flags,
};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

const FORMAT: Format = Format::ZipkinJson;
/// The Collector reads `otlp.link.0` … `otlp.link.127`.
const MAX_OTLP_LINKS: u32 = 128;

/// Parses a Zipkin v2 JSON document; see the module comment for shapes and mapping.
pub fn parse(input: &[u8], path: &str) -> Result<Dataset, LoadError> {
    super::on_one_thread(|job| parse_job(input, path, job))
}

/// `parse` with up to `job.workers` threads, reporting progress span by span and releasing the
/// input pages it has passed.
///
/// A top-level array is cut into runs of elements that parse independently (see `plan`; one run
/// for one thread), each into its own context, each span object read in one pass straight into
/// its wire struct; the runs are merged in file order, which numbers strings, spans, resources,
/// warnings and skips exactly as the two-pass parse would. Every cut is checked: the run before
/// it must end exactly there, and the last run exactly at the closing `]`. If one does not (the
/// cut was inside a span, or the file has a syntax error, which must be reported for the whole
/// file), the input is parsed again the two-pass way, so the result never depends on the threads.
pub(crate) fn parse_job(input: &[u8], path: &str, job: &Job<'_>) -> Result<Dataset, LoadError> {
    let text = text_of(input, path, FORMAT)?;
    if let Some(merged) = parse_runs(input, text, path, job).and_then(|runs| runs.finished(path)) {
        return merged.map(|run| {
            let mut ds = run.parser.cx.finish();
            merge::finish(&mut ds);
            ds
        });
    }
    two_pass(input, text, path, job)
}

/// The two-pass parse (syntax first, then each record) of `text`, the input without its BOM: the
/// fallback of the runs, which decides errors, and the reference the runs are tested against.
pub(crate) fn two_pass(input: &[u8], text: &str, path: &str, job: &Job<'_>) -> Result<Dataset, LoadError> {
    let mut p = Parser::new(input, path, input.len());
    let mut ticker = Ticker::for_job(job, 0);
    match first_byte(text) {
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| LoadError::json(path, FORMAT, &e))?;
            let mut done = 0;
            for item in items {
                // Everything before this item is read: report it (and let its pages go).
                if !ticker.step(done, p.cx.ds.spans.len()) {
                    return Err(LoadError::cancelled(path));
                }
                done = super::offset_of(input, item.get()) + item.get().len();
                p.add_item(item);
            }
        }
        Some(b'{') => {
            let one: &RawValue = serde_json::from_str(text).map_err(|e| LoadError::json(path, FORMAT, &e))?;
            p.add_span(one);
        }
        Some(_) => {
            return Err(LoadError::new(
                path,
                Some(FORMAT),
                Location::Unknown,
                "expected a JSON array of Zipkin spans or one span object",
            ));
        }
        None => {
            return Err(LoadError::new(path, Some(FORMAT), Location::Unknown, "file is empty"));
        }
    }
    ticker.step(input.len(), p.cx.ds.spans.len());
    let mut ds = p.cx.finish();
    merge::finish(&mut ds);
    Ok(ds)
}

/// Decides where to cut a top-level array for `workers` threads, or `None` when it cannot be cut
/// cheaply (then one thread reads it all). Only the shapes `[span, …]` and `[[span, …], …]`
/// with nothing but whitespace after the closing `]` are cut. Run `k` reads the elements
/// starting in `cuts[k]..cuts[k + 1]` (offsets in the text); the last cut is the closing `]`.
fn plan(text: &[u8], workers: usize) -> Option<Vec<usize>> {
    let open = skip_whitespace(text, 0);
    if text.get(open) != Some(&b'[') {
        return None;
    }
    let first = skip_whitespace(text, open + 1);
    let nested = match text.get(first)? {
        b'{' => false,
        b'[' => true,
        _ => return None,
    };
    let array_end = text.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if text.get(array_end) != Some(&b']') || first >= array_end {
        return None;
    }
    // One run is worth it too: it reads records in one pass.
    Some(parallel::cuts(first, array_end, workers, |at| element_start_after(text, at, array_end, nested)))
}

/// Keys that start a span object but not an endpoint or an annotation (whose `{` can also follow
/// `},`): a cut before `{"traceId"` is almost always a span boundary.
const SPAN_FIRST_KEYS: &[&[u8]] = &[
    b"traceId",
    b"id",
    b"parentId",
    b"name",
    b"kind",
    b"duration",
    b"shared",
    b"debug",
    b"localEndpoint",
    b"remoteEndpoint",
    b"annotations",
    b"tags",
];

/// The start of the first element at or after `from` (before `limit`) that most likely begins
/// a top-level element: a span `{` after `} ,` whose first key is a span key, or (`nested`) a
/// trace `[` after `] ,`. Only a guess (the text could sit inside a string or a nested value);
/// `parse_runs` checks it.
fn element_start_after(text: &[u8], from: usize, limit: usize, nested: bool) -> Option<usize> {
    let (open, close) = if nested { (b'[', b']') } else { (b'{', b'}') };
    let before = |p: usize| text.get(..p)?.iter().rposition(|b| !b.is_ascii_whitespace());
    let mut at = from;
    loop {
        let hit = at + memchr::memchr(open, text.get(at..limit)?)?;
        at = hit + 1;
        let Some(comma) = before(hit).filter(|&c| text.get(c) == Some(&b',')) else { continue };
        if before(comma).and_then(|c| text.get(c)) != Some(&close) {
            continue;
        }
        let next = skip_whitespace(text, hit + 1);
        let fits = if nested {
            text.get(next) == Some(&b'{')
        } else {
            text.get(next) == Some(&b'"')
                && text.get(next + 1..).is_some_and(|rest| {
                    SPAN_FIRST_KEYS.iter().any(|k| rest.starts_with(k) && rest.get(k.len()) == Some(&b'"'))
                })
        };
        if fits {
            return Some(hit);
        }
    }
}

/// Whether `parse_job` with `workers` threads parses `input` in runs (no fallback).
#[cfg(test)]
pub(crate) fn runs_are_used(input: &[u8], workers: usize) -> bool {
    let progress = super::Progress::new();
    let job = Job { workers, min_chunk: 1, progress: &progress, release: None };
    let Ok(text) = text_of(input, "t", FORMAT) else { return false };
    matches!(parse_runs(input, text, "t", &job), Some(Chunked::Done(..)))
}

/// The top-level array read in runs cut for `job`'s threads, or `None` when it cannot be cut.
fn parse_runs<'a, 'p>(
    input: &'a [u8],
    text: &'a str,
    path: &str,
    job: &Job<'p>,
) -> Option<Chunked<Run<'p, Parser<'a>>>> {
    let cuts = plan(text.as_bytes(), job.workers_for(input.len()))?;
    let new = |share| Parser::new(input, path, share);
    Some(read_runs(input, text, job, &cuts, new, |p, pos, until| {
        // Most elements are well-typed spans: read them in one pass, straight into the wire
        // struct. Others (wrong types, a list of traces) are cut out raw first and read as the
        // sequential parse reads them.
        // (Only objects: serde would also read a struct from an array, by position.)
        let typed = match text.as_bytes().get(pos) {
            Some(b'{') => value_at::<WireSpan<'a>>(text, pos, until),
            _ => None,
        };
        Some(match typed {
            Some((ws, end)) => {
                p.add_wire_span(ws, text.get(pos..end).unwrap_or_default());
                end
            }
            None => {
                let (item, end) = value_at::<&'a RawValue>(text, pos, until)?;
                p.add_item(item);
                end
            }
        })
    }))
}

#[derive(Deserialize)]
struct WireSpan<'a> {
    #[serde(rename = "traceId", default, borrow)]
    trace_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(rename = "parentId", default, borrow)]
    parent_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
    #[serde(default, borrow)]
    kind: Option<Str<'a>>,
    /// µs since the epoch; absent in incomplete spans.
    #[serde(default)]
    timestamp: Option<u64>,
    /// µs.
    #[serde(default)]
    duration: Option<u64>,
    #[serde(default)]
    shared: Option<bool>,
    #[serde(rename = "localEndpoint", default, borrow)]
    local: Option<Endpoint<'a>>,
    #[serde(rename = "remoteEndpoint", default, borrow)]
    remote: Option<Endpoint<'a>>,
    #[serde(default, borrow)]
    annotations: Option<Vec<Annotation<'a>>>,
    /// Values are strings by the spec; other scalars are read as their text.
    #[serde(default, borrow)]
    tags: Option<Entries<'a, &'a RawValue>>,
}

#[derive(Deserialize)]
struct Endpoint<'a> {
    #[serde(rename = "serviceName", default, borrow)]
    service_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    ipv4: Option<Str<'a>>,
    #[serde(default, borrow)]
    ipv6: Option<Str<'a>>,
    #[serde(default)]
    port: Option<i64>,
}

#[derive(Deserialize)]
struct Annotation<'a> {
    #[serde(default)]
    timestamp: Option<u64>,
    #[serde(default, borrow)]
    value: Option<Str<'a>>,
}

/// What a span's tags say besides its attributes.
#[derive(Default)]
struct SpanTags {
    /// From the `span.kind` tag, for spans without `kind`.
    kind: Option<SpanKind>,
    /// The `error` tag's value.
    error: Option<Sym>,
    otel: OtelTags,
    attrs: Slice,
    links: Vec<Link>,
}

struct Parser<'a> {
    cx: Sink<'a>,
    /// One resource (`service.name`) per service.
    resources: FxHashMap<Sym, ResourceIdx>,
}

impl RunParser for Parser<'_> {
    fn spans(&self) -> usize {
        self.cx.ds.spans.len()
    }

    /// Its resources for services already seen here become the existing ones, and its new ones
    /// keep their order, so there is one resource per service, numbered as in a sequential parse.
    fn absorb(&mut self, next: Self) {
        let Parser { cx, resources } = next;
        let appended = self.cx.absorb(cx);
        appended.share(&mut self.cx.ds, &mut self.resources, resources);
    }
}

impl<'a> Parser<'a> {
    /// A parser for `share` bytes of `input` (all of it, or one run of a parallel parse).
    fn new(input: &'a [u8], path: &str, share: usize) -> Self {
        Self { cx: Sink::with_share(input, path, FORMAT, share), resources: FxHashMap::default() }
    }

    /// One element of the top-level array: a span, or a trace (an array of spans).
    fn add_item(&mut self, item: &'a RawValue) {
        if first_byte(item.get()) == Some(b'[') {
            // A list of traces: each item is an array of spans. Its syntax is already checked,
            // so this only splits it.
            match serde_json::from_str::<Vec<&RawValue>>(item.get()) {
                Ok(spans) => spans.into_iter().for_each(|s| self.add_span(s)),
                Err(e) => {
                    let at = self.cx.error_offset(item.get(), &e);
                    self.cx.skip_at(at, |_| format!("trace skipped: {}", super::error::json_message(&e)));
                }
            }
        } else {
            self.add_span(item);
        }
    }

    fn add_span(&mut self, raw: &'a RawValue) {
        let ws: WireSpan<'a> = match serde_json::from_str(raw.get()) {
            Ok(s) => s,
            Err(e) => {
                let at = self.cx.error_offset(raw.get(), &e);
                self.cx.skip_at(at, |_| format!("span skipped: {}", super::error::json_message(&e)));
                return;
            }
        };
        self.add_wire_span(ws, raw.get());
    }

    /// Loads a span read from `span_at`, its text (for locating warnings: a line:col is
    /// computed only when reported).
    fn add_wire_span(&mut self, ws: WireSpan<'a>, span_at: &'a str) {
        let Some(trace_id) = self.cx.trace_id(ws.trace_id.as_ref(), "traceId", span_at) else { return };
        let Some(span_id) = self.cx.span_id(ws.id.as_ref(), "id", span_at) else { return };
        let parent_id = match &ws.parent_id {
            None => SpanId(0),
            Some(p) => SpanId::from_hex(p).unwrap_or_else(|e| {
                let at = self.cx.str_offset(p, span_at);
                let msg = format!("parentId \"{}\" ignored, span shown as a root: {e}", preview(p));
                self.cx.warn_at(at, |_| msg);
                SpanId(0)
            }),
        };
        let (start, end) = self.cx.times_us(ws.timestamp, ws.duration, span_at);
        let service = match ws.local.as_ref().and_then(|l| l.service_name.as_ref()) {
            Some(s) if !s.is_empty() => self.cx.sym(s),
            _ => self.cx.intern(UNKNOWN_SERVICE),
        };
        let resource = self.resource(service);
        let kind = ws.kind.as_ref().map(|k| {
            SpanKind::from_name(k).unwrap_or_else(|| {
                let at = self.cx.str_offset(k, span_at);
                self.cx.warn_at(at, |_| format!("unknown kind \"{}\" read as internal", preview(k)));
                SpanKind::Internal
            })
        });
        let tags = self.tags(&ws, kind.is_none(), span_at);
        let events = self.events(ws.annotations.as_deref().unwrap_or(&[]), span_at);
        let scope = tags.otel.scope(&mut self.cx);
        let name = self.cx.sym_or_empty(ws.name.as_ref());

        let mut span = Span::new(trace_id, span_id, parent_id, start, end, name, service);
        // Left unspecified until `merge::finish`, which fills it from another piece of the span
        // or makes it internal.
        span.kind = kind.or(tags.kind).unwrap_or(SpanKind::Unspecified);
        // Zipkin treats the mere presence of `error` as failure; its value says why, unless it is
        // empty or just "true" (OTel's exporters write that), which say nothing.
        (span.status, span.status_message) = match tags.error {
            Some(msg) => {
                let text = self.cx.ds.str(msg);
                let says_nothing = text.is_empty() || text.eq_ignore_ascii_case("true");
                (StatusCode::Error, if says_nothing { tags.otel.status_message } else { Some(msg) })
            }
            None => (tags.otel.status.unwrap_or(StatusCode::Unset), tags.otel.status_message),
        };
        span.trace_state = tags.otel.trace_state;
        span.resource = resource;
        span.scope = scope;
        span.attrs = tags.attrs;
        span.events = events;
        span.links = self.cx.ds.add_links(&tags.links);
        if ws.shared == Some(true) {
            span.flags |= span_flags::SHARED;
        }
        // Zipkin reads a zero timestamp as none.
        if ws.timestamp.is_none_or(|t| t == 0) {
            span.flags |= span_flags::UNTIMED;
        }
        self.cx.ds.spans.push(span);
    }

    /// Tags → attributes (plus the endpoint attributes), minus those that map to span fields or
    /// links. `span.kind` is read only when `kind_from_tag` (the span has no `kind`).
    fn tags(&mut self, ws: &WireSpan<'a>, kind_from_tag: bool, span_at: &str) -> SpanTags {
        let mut out = SpanTags::default();
        let mut otlp_links: Vec<(u32, Link)> = Vec::new();
        let mut plain_links: Vec<(u32, Link)> = Vec::new();
        let mut attrs = std::mem::take(&mut self.cx.attrs);
        attrs.clear();
        for (key, raw_value) in ws.tags.as_ref().map_or(&[][..], |t| &t.0[..]) {
            let value = match scalar(raw_value) {
                Scalar::Str(s) => s,
                // Not a string (against the spec): keep the literal text.
                Scalar::Null => Str(Cow::Borrowed("")),
                Scalar::Bool(_) | Scalar::Num(_) | Scalar::Json(_) => {
                    Str(Cow::Borrowed(raw_value.get().trim()))
                }
            };
            match &**key {
                "error" => {
                    out.error = Some(self.cx.sym(&value));
                    continue;
                }
                "span.kind" if kind_from_tag => {
                    if let Some(k) = SpanKind::from_name(&value) {
                        out.kind = Some(k);
                        continue;
                    }
                }
                k => {
                    if let Some(n) = link_index(k, "otlp.link.").filter(|&n| n < MAX_OTLP_LINKS) {
                        match self.otlp_link(&value) {
                            Ok(link) => {
                                otlp_links.push((n, link));
                                continue;
                            }
                            Err(why) => {
                                let at = self.cx.str_offset(key, span_at);
                                self.cx.warn_at(at, |_| format!("tag {k} kept as an attribute: {why}"));
                            }
                        }
                    } else if let Some(n) = link_index(k, "link.")
                        && let Some(link) = plain_link(&value)
                    {
                        // Anything else under `link.N` is an ordinary tag.
                        plain_links.push((n, link));
                        continue;
                    }
                }
            }
            let value_sym = self.cx.sym(&value);
            if out.otel.take(key, value_sym, &value) {
                continue;
            }
            let key = self.cx.sym(key);
            attrs.push(Attr { key, value: Value::Str(value_sym) });
        }
        self.endpoint_attrs(&mut attrs, ws.local.as_ref(), ws.remote.as_ref());
        out.attrs = self.cx.ds.add_attrs(&attrs);
        self.cx.attrs = attrs;
        // By index, whatever the order of the tags in the file.
        otlp_links.sort_by_key(|l| l.0);
        plain_links.sort_by_key(|l| l.0);
        out.links = otlp_links.into_iter().chain(plain_links).map(|l| l.1).collect();
        out
    }

    fn resource(&mut self, service: Sym) -> ResourceIdx {
        if let Some(&r) = self.resources.get(&service) {
            return r;
        }
        let key = self.cx.intern(SERVICE_NAME_KEY);
        let attrs = self.cx.ds.add_attrs(&[Attr { key, value: Value::Str(service) }]);
        let r = self.cx.ds.add_resource(attrs);
        self.resources.insert(service, r);
        r
    }

    fn endpoint_attrs(
        &mut self,
        attrs: &mut Vec<Attr>,
        local: Option<&Endpoint<'a>>,
        remote: Option<&Endpoint<'a>>,
    ) {
        if let Some(l) = local {
            if let Some(ip) = l.ipv4.as_ref().or(l.ipv6.as_ref()) {
                let key = self.cx.intern("net.host.ip");
                attrs.push(Attr { key, value: Value::Str(self.cx.sym(ip)) });
            }
            if let Some(port) = l.port.filter(|&p| p > 0) {
                let key = self.cx.intern("net.host.port");
                attrs.push(Attr { key, value: Value::Int(port) });
            }
        }
        if let Some(r) = remote {
            if let Some(svc) = r.service_name.as_ref().filter(|s| !s.is_empty()) {
                let key = self.cx.intern("peer.service");
                attrs.push(Attr { key, value: Value::Str(self.cx.sym(svc)) });
            }
            if let Some(ip) = r.ipv4.as_ref().or(r.ipv6.as_ref()) {
                let key = self.cx.intern("net.peer.ip");
                attrs.push(Attr { key, value: Value::Str(self.cx.sym(ip)) });
            }
            if let Some(port) = r.port.filter(|&p| p > 0) {
                let key = self.cx.intern("net.peer.port");
                attrs.push(Attr { key, value: Value::Int(port) });
            }
        }
    }

    /// Decodes `tid|sid|tracestate|attrsJSON|dropped`; `|` may also occur inside the JSON.
    fn otlp_link(&mut self, value: &str) -> Result<Link, String> {
        let parts: Vec<&str> = value.split('|').collect();
        let n = parts.len();
        if n < 5 {
            return Err(format!("expected 5 '|'-separated parts, found {n}"));
        }
        let trace_id = TraceId::from_hex(parts[0]).map_err(|e| format!("bad trace id: {e}"))?;
        let span_id = SpanId::from_hex(parts[1]).map_err(|e| format!("bad span id: {e}"))?;
        if trace_id.is_zero() || span_id.is_zero() {
            return Err("zero trace or span id".to_owned());
        }
        let json = value
            .splitn(4, '|')
            .nth(3)
            .and_then(|rest| rest.rsplit_once('|'))
            .map_or("", |(json, _dropped)| json);
        let attrs = if json.is_empty() { Slice::default() } else { self.json_attrs(json)? };
        let trace_state = if parts[2].is_empty() { None } else { Some(self.cx.intern(parts[2])) };
        Ok(Link { trace_id, span_id, trace_state, flags: 0, kind: LinkKind::Link, attrs })
    }

    /// A flat JSON object of attributes (as the Collector writes for links and events).
    fn json_attrs(&mut self, json: &str) -> Result<Slice, String> {
        let entries: Entries<'_, &RawValue> =
            serde_json::from_str(json).map_err(|e| format!("attributes are not a JSON object: {e}"))?;
        let mut attrs = Vec::with_capacity(entries.0.len());
        for (key, raw) in &entries.0 {
            let value = match scalar(raw) {
                Scalar::Null => Value::Empty,
                Scalar::Bool(b) => Value::Bool(b),
                Scalar::Num(t) => number(t, false).unwrap_or_else(|| Value::Str(self.cx.intern(t))),
                Scalar::Str(s) => Value::Str(self.cx.intern(&s)),
                Scalar::Json(t) => Value::Str(self.cx.intern(t)),
            };
            attrs.push(Attr { key: self.cx.intern(key), value });
        }
        Ok(self.cx.ds.add_attrs(&attrs))
    }

    /// Annotations → events. `name|attrsJSON|dropped` (OTel's event encoding) is split; any other
    /// value, `|` or not, is the event name.
    fn events(&mut self, annotations: &[Annotation<'a>], span_at: &str) -> Slice {
        if annotations.is_empty() {
            return Slice::default();
        }
        let mut events = Vec::with_capacity(annotations.len());
        for a in annotations {
            let time = self.cx.time_us(a.timestamp, span_at);
            let value = a.value.as_ref();
            let structured = value.and_then(|v| {
                let (name, rest) = v.split_once('|')?;
                let (json, dropped) = rest.rsplit_once('|')?;
                (json.starts_with('{') && dropped.parse::<u32>().is_ok()).then_some((name, json))
            });
            let event = match structured.map(|(name, json)| (name, self.json_attrs(json))) {
                Some((name, Ok(attrs))) => Event { time, name: self.cx.intern(name), attrs },
                _ => {
                    let name = match value {
                        Some(v) => self.cx.sym(v),
                        None => self.cx.intern(""),
                    };
                    Event { time, name, attrs: Slice::default() }
                }
            };
            events.push(event);
        }
        self.cx.ds.add_events(&events)
    }
}

/// `N` from `<prefix>N` when N is all digits.
fn link_index(key: &str, prefix: &str) -> Option<u32> {
    let n = key.strip_prefix(prefix)?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// gentrace's `link.N` value: `<traceId>-<spanId>` in hex.
fn plain_link(value: &str) -> Option<Link> {
    let (t, s) = value.split_once('-')?;
    let trace_id = TraceId::from_hex(t).ok().filter(|t| !t.is_zero())?;
    let span_id = SpanId::from_hex(s).ok().filter(|s| !s.is_zero())?;
    Some(Link {
        trace_id,
        span_id,
        trace_state: None,
        flags: 0,
        kind: LinkKind::Link,
        attrs: Slice::default(),
    })
}
