//! Selected traces of an `Index` → one OTLP JSON document (`{"resourceSpans":[…]}`), the
//! protobuf JSON mapping the OpenTelemetry Collector and SDK exporters write: lowerCamelCase
//! fields, ids as lowercase hex, 64-bit integers and times as decimal strings, `kind` and
//! `status.code` as numbers, doubles that JSON cannot spell as `"NaN"`/`"Infinity"`.
//!
//! Everything is streamed through serde `Serialize` impls that borrow from the `Index`; the only
//! allocation per span is its place in a resource/scope group.
//!
//! What OTLP has no field for is carried the way other tools do: a span's service is its
//! resource's `service.name` (set or added), and a Jaeger CHILD_OF/FOLLOWS_FROM reference
//! becomes a link with the `opentracing.ref_type` attribute (`child_of`/`follows_from`), as the
//! Collector's Jaeger translator writes it. Zipkin's `shared` flag is not kept.

use crate::index::{Index, SpanIdx, TraceIdx};
use crate::model::{
    AttrIter, Dataset, Link, ResourceIdx, ScopeIdx, Slice, Span, SpanKind, StatusCode, Sym, Value,
};
use rustc_hash::FxHashMap;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt::Display;
use std::io::Write;

/// The attribute that carries an OpenTracing reference type on a link.
pub use crate::model::REF_TYPE_KEY;

/// Nested values deeper than this are written as an empty value, so recursion is bounded even if
/// a loader let a deeper one through.
pub(crate) const MAX_VALUE_DEPTH: u32 = 256;

/// Writes `traces` (in that order of first appearance) as one OTLP JSON document.
pub fn write(w: impl Write, index: &Index, traces: &[TraceIdx]) -> serde_json::Result<()> {
    write_spans(w, &index.data, &group(&index.data, trace_spans(index, traces)))
}

/// Writes every span of `ds`, in its order, as one OTLP JSON document: what `weft listen`
/// saves of each received batch, which needs no index to be written.
pub fn write_dataset(w: impl Write, ds: &Dataset) -> serde_json::Result<()> {
    let spans = (0..ds.spans.len()).map(|s| SpanIdx(u32::try_from(s).unwrap_or(u32::MAX)));
    write_spans(w, ds, &group(ds, spans))
}

fn write_spans(w: impl Write, ds: &Dataset, groups: &[ResourceGroup]) -> serde_json::Result<()> {
    serde_json::to_writer(w, &Document { ds, groups })
}

/// The spans of `traces`, trace after trace (out-of-range traces have none).
pub(crate) fn trace_spans<'a>(
    index: &'a Index,
    traces: &'a [TraceIdx],
) -> impl Iterator<Item = SpanIdx> + 'a {
    traces
        .iter()
        .filter(|t| t.get() < index.traces().len())
        .flat_map(|&t| index.trace_spans(t).iter().copied())
}

/// Spans of one resource (and service), split by scope, in first-seen order. Index 0 is "no
/// scope": a writer leaves the scope out for it (an empty one would read back as a scope).
pub(crate) struct ResourceGroup {
    pub resource: ResourceIdx,
    pub service: Sym,
    pub scopes: Vec<(ScopeIdx, Vec<SpanIdx>)>,
}

/// `spans` of `ds` grouped as OTLP nests them: by resource and service, then by scope.
pub(crate) fn group(ds: &Dataset, spans: impl Iterator<Item = SpanIdx>) -> Vec<ResourceGroup> {
    let mut groups: Vec<ResourceGroup> = Vec::new();
    let mut by_resource: FxHashMap<(u32, Sym), usize> = FxHashMap::default();
    let mut by_scope: FxHashMap<(usize, u32), usize> = FxHashMap::default();
    for s in spans {
        let Some(span) = ds.spans.get(s.get()) else { continue };
        let g = *by_resource.entry((span.resource.0, span.service)).or_insert_with(|| {
            groups.push(ResourceGroup { resource: span.resource, service: span.service, scopes: Vec::new() });
            groups.len() - 1
        });
        let scopes = &mut groups[g].scopes;
        let i = *by_scope.entry((g, span.scope.0)).or_insert_with(|| {
            scopes.push((span.scope, Vec::new()));
            scopes.len() - 1
        });
        scopes[i].1.push(s);
    }
    groups
}

/// Serializes through `Display` (hex ids, decimal times) without an intermediate `String`.
struct Text<T>(T);

impl<T: Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct Document<'a> {
    ds: &'a Dataset,
    groups: &'a [ResourceGroup],
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        let list: Vec<ResourceSpansOut<'_>> =
            self.groups.iter().map(|group| ResourceSpansOut { ds: self.ds, group }).collect();
        m.serialize_entry("resourceSpans", &list)?;
        m.end()
    }
}

struct ResourceSpansOut<'a> {
    ds: &'a Dataset,
    group: &'a ResourceGroup,
}

impl Serialize for ResourceSpansOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ds = self.ds;
        let mut m = s.serialize_map(Some(2))?;
        let attrs =
            ResourceAttrs { ds, attrs: ds.resource(self.group.resource).attrs, service: self.group.service };
        m.serialize_entry("resource", &Single("attributes", &attrs))?;
        let scopes: Vec<ScopeSpansOut<'_>> = self
            .group
            .scopes
            .iter()
            .map(|(scope, spans)| ScopeSpansOut { ds, scope: *scope, spans })
            .collect();
        m.serialize_entry("scopeSpans", &scopes)?;
        m.end()
    }
}

/// `{"key": value}`.
struct Single<'a, T>(&'static str, &'a T);

impl<T: Serialize> Serialize for Single<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0, self.1)?;
        m.end()
    }
}

/// A resource's attributes with `service.name` set to the spans' service: replaced in place
/// when present (the first one, which is the one readers use), otherwise added first.
struct ResourceAttrs<'a> {
    ds: &'a Dataset,
    attrs: Slice,
    service: Sym,
}

impl Serialize for ResourceAttrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ds = self.ds;
        s.collect_seq(resource_attrs(ds, self.attrs, self.service).map(|(key, value)| KeyValueOut {
            ds,
            key,
            value,
            depth: 0,
        }))
    }
}

/// A resource's attributes with `service.name` set to `service`: replaced in place when present
/// (the first one, which is the one readers use), otherwise added first.
pub(crate) fn resource_attrs<'a>(
    ds: &'a Dataset,
    attrs: Slice,
    service: Sym,
) -> impl Iterator<Item = (&'a str, Value)> + 'a {
    let attrs = ds.attrs_of(attrs);
    let key = ds.strings.get("service.name");
    let first = key.and_then(|k| attrs.clone().position(|a| a.key == k));
    let service = Value::Str(service);
    let added = first.is_none().then_some(("service.name", service));
    added.into_iter().chain(attrs.enumerate().map(move |(i, a)| {
        let value = if Some(i) == first { service } else { a.value };
        (ds.str(a.key), value)
    }))
}

struct ScopeSpansOut<'a> {
    ds: &'a Dataset,
    scope: ScopeIdx,
    spans: &'a [SpanIdx],
}

impl Serialize for ScopeSpansOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ds = self.ds;
        let mut m = s.serialize_map(None)?;
        // Index 0 is "no scope": writing `{}` would read back as a scope of its own.
        if self.scope != ScopeIdx::default() {
            m.serialize_entry("scope", &ScopeOut { ds, scope: self.scope })?;
        }
        let spans =
            self.spans.iter().filter_map(|&sp| ds.spans.get(sp.get())).map(|span| SpanOut { ds, span });
        m.serialize_entry("spans", &Seq(std::cell::Cell::new(Some(spans))))?;
        m.end()
    }
}

/// Serializes an iterator once as a JSON array (serde's `collect_seq` needs it by value).
struct Seq<I>(std::cell::Cell<Option<I>>);

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Seq<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(items) => s.collect_seq(items),
            None => s.collect_seq(std::iter::empty::<T>()),
        }
    }
}

struct ScopeOut<'a> {
    ds: &'a Dataset,
    scope: ScopeIdx,
}

impl Serialize for ScopeOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let scope = self.ds.scope(self.scope);
        let mut m = s.serialize_map(None)?;
        if let Some(name) = scope.name {
            m.serialize_entry("name", self.ds.str(name))?;
        }
        if let Some(version) = scope.version {
            m.serialize_entry("version", self.ds.str(version))?;
        }
        if !scope.attrs.is_empty() {
            m.serialize_entry(
                "attributes",
                &AttrsOut { ds: self.ds, attrs: self.ds.attrs_of(scope.attrs), depth: 0 },
            )?;
        }
        m.end()
    }
}

/// OTLP's `SpanKind` number.
pub(crate) fn kind_number(kind: SpanKind) -> u8 {
    match kind {
        SpanKind::Unspecified => 0,
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

/// OTLP's `Status.code` number.
pub(crate) fn status_number(code: StatusCode) -> u8 {
    match code {
        StatusCode::Unset => 0,
        StatusCode::Ok => 1,
        StatusCode::Error => 2,
    }
}

struct SpanOut<'a> {
    ds: &'a Dataset,
    span: &'a Span,
}

impl Serialize for SpanOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (ds, span) = (self.ds, self.span);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("traceId", &Text(span.trace_id))?;
        m.serialize_entry("spanId", &Text(span.span_id))?;
        if !span.parent_id.is_zero() {
            m.serialize_entry("parentSpanId", &Text(span.parent_id))?;
        }
        if let Some(ts) = span.trace_state {
            m.serialize_entry("traceState", ds.str(ts))?;
        }
        if span.w3c_flags != 0 {
            m.serialize_entry("flags", &span.w3c_flags)?;
        }
        m.serialize_entry("name", ds.str(span.name))?;
        m.serialize_entry("kind", &kind_number(span.kind))?;
        m.serialize_entry("startTimeUnixNano", &Text(span.start))?;
        m.serialize_entry("endTimeUnixNano", &Text(span.end))?;
        if !span.attrs.is_empty() {
            m.serialize_entry("attributes", &AttrsOut { ds, attrs: ds.attrs_of(span.attrs), depth: 0 })?;
        }
        if !span.events.is_empty() {
            let events = ds.events_of(span.events).iter().map(|e| EventOut {
                ds,
                time: e.time,
                name: e.name,
                attrs: e.attrs,
            });
            m.serialize_entry("events", &Seq(std::cell::Cell::new(Some(events))))?;
        }
        if !span.links.is_empty() {
            let links = ds.links_of(span.links).iter().map(|link| LinkOut { ds, link });
            m.serialize_entry("links", &Seq(std::cell::Cell::new(Some(links))))?;
        }
        if span.status != StatusCode::Unset || span.status_message.is_some() {
            m.serialize_entry("status", &StatusOut { ds, code: span.status, message: span.status_message })?;
        }
        m.end()
    }
}

struct StatusOut<'a> {
    ds: &'a Dataset,
    code: StatusCode,
    message: Option<Sym>,
}

impl Serialize for StatusOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(msg) = self.message {
            m.serialize_entry("message", self.ds.str(msg))?;
        }
        m.serialize_entry("code", &status_number(self.code))?;
        m.end()
    }
}

struct EventOut<'a> {
    ds: &'a Dataset,
    time: u64,
    name: Sym,
    attrs: Slice,
}

impl Serialize for EventOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("timeUnixNano", &Text(self.time))?;
        m.serialize_entry("name", self.ds.str(self.name))?;
        if !self.attrs.is_empty() {
            m.serialize_entry(
                "attributes",
                &AttrsOut { ds: self.ds, attrs: self.ds.attrs_of(self.attrs), depth: 0 },
            )?;
        }
        m.end()
    }
}

struct LinkOut<'a> {
    ds: &'a Dataset,
    link: &'a Link,
}

impl Serialize for LinkOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (ds, link) = (self.ds, self.link);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("traceId", &Text(link.trace_id))?;
        m.serialize_entry("spanId", &Text(link.span_id))?;
        if let Some(ts) = link.trace_state {
            m.serialize_entry("traceState", ds.str(ts))?;
        }
        if link.flags != 0 {
            m.serialize_entry("flags", &link.flags)?;
        }
        let attrs = ds.attrs_of(link.attrs);
        let extra = added_ref_type(ds, link);
        if !attrs.is_empty() || extra.is_some() {
            m.serialize_entry("attributes", &LinkAttrs { ds, attrs, ref_type: extra })?;
        }
        m.end()
    }
}

/// The `opentracing.ref_type` a Jaeger reference's link gets written with, unless its
/// attributes have one already.
pub(crate) fn added_ref_type(ds: &Dataset, link: &Link) -> Option<&'static str> {
    let has_ref_type = ds.attrs_of(link.attrs).any(|a| ds.str(a.key) == REF_TYPE_KEY);
    link.kind.ref_type().filter(|_| !has_ref_type)
}

/// A link's attributes plus, for a Jaeger reference, its `opentracing.ref_type`.
struct LinkAttrs<'a> {
    ds: &'a Dataset,
    attrs: AttrIter<'a>,
    ref_type: Option<&'static str>,
}

impl Serialize for LinkAttrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for a in self.attrs.clone() {
            seq.serialize_element(&KeyValueOut {
                ds: self.ds,
                key: self.ds.str(a.key),
                value: a.value,
                depth: 0,
            })?;
        }
        if let Some(rt) = self.ref_type {
            seq.serialize_element(&RefType(rt))?;
        }
        seq.end()
    }
}

/// `{"key":"opentracing.ref_type","value":{"stringValue":…}}` for a value that is not interned.
struct RefType(&'static str);

impl Serialize for RefType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("key", REF_TYPE_KEY)?;
        m.serialize_entry("value", &Single("stringValue", &self.0))?;
        m.end()
    }
}

/// A block of attributes as an OTLP `KeyValue` list, in file order (duplicates kept).
struct AttrsOut<'a> {
    ds: &'a Dataset,
    attrs: AttrIter<'a>,
    depth: u32,
}

impl Serialize for AttrsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.attrs.clone().map(|a| KeyValueOut {
            ds: self.ds,
            key: self.ds.str(a.key),
            value: a.value,
            depth: self.depth,
        }))
    }
}

struct KeyValueOut<'a> {
    ds: &'a Dataset,
    key: &'a str,
    value: Value,
    depth: u32,
}

impl Serialize for KeyValueOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("key", self.key)?;
        m.serialize_entry("value", &AnyValueOut { ds: self.ds, value: self.value, depth: self.depth })?;
        m.end()
    }
}

/// One OTLP `AnyValue`: `{}` when empty, else exactly one typed field.
struct AnyValueOut<'a> {
    ds: &'a Dataset,
    value: Value,
    depth: u32,
}

impl Serialize for AnyValueOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ds = self.ds;
        if self.depth > MAX_VALUE_DEPTH {
            return s.serialize_map(Some(0))?.end();
        }
        let mut m = s.serialize_map(None)?;
        match self.value {
            Value::Empty => {}
            Value::Str(sym) => m.serialize_entry("stringValue", ds.str(sym))?,
            Value::Bool(b) => m.serialize_entry("boolValue", &b)?,
            // int64 is a decimal string in the protobuf JSON mapping (JavaScript readers lose
            // precision past 2^53 otherwise).
            Value::Int(i) => m.serialize_entry("intValue", &Text(i))?,
            Value::Double(d) if d.is_nan() => m.serialize_entry("doubleValue", "NaN")?,
            Value::Double(d) if d == f64::INFINITY => m.serialize_entry("doubleValue", "Infinity")?,
            Value::Double(d) if d == f64::NEG_INFINITY => m.serialize_entry("doubleValue", "-Infinity")?,
            Value::Double(d) => m.serialize_entry("doubleValue", &d)?,
            Value::Bytes(sym) => m.serialize_entry("bytesValue", ds.str(sym))?,
            Value::Array(slice) => {
                let depth = self.depth + 1;
                let values = ds.values_of(slice).map(move |value| AnyValueOut { ds, value, depth });
                m.serialize_entry("arrayValue", &Single("values", &Seq(std::cell::Cell::new(Some(values)))))?;
            }
            Value::Map(slice) => {
                let attrs = AttrsOut { ds, attrs: ds.attrs_of(slice), depth: self.depth + 1 };
                m.serialize_entry("kvlistValue", &Single("values", &attrs))?;
            }
        }
        m.end()
    }
}
