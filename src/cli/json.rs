//! `Index` → the stable JSON contract of `weft info --json` and `weft links --json`. Everything is
//! streamed through serde (no `serde_json::Value` trees): ids as lowercase hex (trace ids 32
//! digits, span ids 16), attribute values with their own JSON types.

use crate::index::{Index, LinkIdx, LinkTarget, SpanIdx, TraceIdx};
use crate::load::LoadError;
use crate::model::{Dataset, Location, Slice, Value};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use std::fmt::Display;

/// Nested attribute values deeper than this are written as `null`. Loaders already bound depth;
/// this keeps the writer's recursion bounded even if one did not.
const MAX_VALUE_DEPTH: u32 = 256;

/// Serializes through `Display` without an intermediate `String` (ids are `{:032x}`/`{:016x}`).
pub struct Hex<T>(pub T);

impl<T: Display> Serialize for Hex<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// One attribute value with its JSON type: string, integer, double, bool, arrays and maps
/// nested, bytes as their base64 text, empty as `null`. Strings longer than `max_text` bytes are
/// cut, ending `… (showing S of N bytes)` as the details pane does.
pub struct JsonValue<'a> {
    ds: &'a Dataset,
    value: Value,
    depth: u32,
    max_text: usize,
}

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.depth > MAX_VALUE_DEPTH {
            return s.serialize_none();
        }
        let child = |value| JsonValue { ds: self.ds, value, depth: self.depth + 1, max_text: self.max_text };
        match self.value {
            Value::Empty => s.serialize_none(),
            Value::Str(sym) | Value::Bytes(sym) => {
                let text = self.ds.str(sym);
                match crate::text::truncate_display(text, self.max_text) {
                    (whole, _) if whole.len() == text.len() => s.serialize_str(text),
                    (shown, total) => {
                        s.collect_str(&format_args!("{shown}… (showing {} of {total} bytes)", shown.len()))
                    }
                }
            }
            Value::Bool(b) => s.serialize_bool(b),
            Value::Int(i) => s.serialize_i64(i),
            // serde_json writes NaN and infinities as `null`: JSON has no spelling for them.
            Value::Double(d) => s.serialize_f64(d),
            Value::Array(slice) => s.collect_seq(self.ds.values_of(slice).map(child)),
            Value::Map(slice) => {
                JsonAttrs { ds: self.ds, slice, depth: self.depth + 1, max_text: self.max_text }.serialize(s)
            }
        }
    }
}

/// A block of attributes as a JSON object, in file order.
pub struct JsonAttrs<'a> {
    ds: &'a Dataset,
    slice: Slice,
    depth: u32,
    max_text: usize,
}

impl<'a> JsonValue<'a> {
    pub fn new(ds: &'a Dataset, value: Value) -> Self {
        Self { ds, value, depth: 0, max_text: usize::MAX }
    }
}

impl<'a> JsonAttrs<'a> {
    pub fn new(ds: &'a Dataset, slice: Slice) -> Self {
        Self::capped(ds, slice, usize::MAX)
    }

    /// String values cut after `max_text` bytes.
    pub fn capped(ds: &'a Dataset, slice: Slice, max_text: usize) -> Self {
        Self { ds, slice, depth: 0, max_text }
    }
}

impl Serialize for JsonAttrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let attrs = self.ds.attrs_of(self.slice);
        let mut map = s.serialize_map(Some(attrs.len()))?;
        for a in attrs {
            let value = JsonValue { ds: self.ds, value: a.value, depth: self.depth, max_text: self.max_text };
            map.serialize_entry(self.ds.str(a.key), &value)?;
        }
        map.end()
    }
}

/// Which side of the `--span` a link is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The span holds the link: it points elsewhere.
    Out,
    /// Another span's link resolves to this span (a backlink).
    In,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Out => "out",
            Self::In => "in",
        }
    }
}

/// One link record: `{"source":{…},"target":{…},"resolved":…,"kind":…,["direction":…,]
/// ["trace_state":…,]"attributes":{…}}`.
pub struct JsonLink<'a> {
    pub index: &'a Index,
    pub link: LinkIdx,
    pub direction: Option<Direction>,
}

struct Ends<T, S> {
    trace_id: T,
    span_id: S,
}

impl<T: Display, S: Display> Serialize for Ends<T, S> {
    fn serialize<Ser: Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        let mut st = s.serialize_struct("Ends", 2)?;
        st.serialize_field("trace_id", &Hex(&self.trace_id))?;
        st.serialize_field("span_id", &Hex(&self.span_id))?;
        st.end()
    }
}

impl Serialize for JsonLink<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = self.index;
        let link = index.link(self.link);
        let source = index.span(index.link_source(self.link));
        let resolved = matches!(index.link_target(self.link), LinkTarget::Span(_));
        let mut st = s.serialize_struct("Link", 7)?;
        st.serialize_field("source", &Ends { trace_id: source.trace_id, span_id: source.span_id })?;
        st.serialize_field("target", &Ends { trace_id: link.trace_id, span_id: link.span_id })?;
        st.serialize_field("resolved", &resolved)?;
        st.serialize_field("kind", link.kind.name())?;
        if let Some(d) = self.direction {
            st.serialize_field("direction", d.as_str())?;
        }
        if let Some(ts) = link.trace_state {
            st.serialize_field("trace_state", index.str(ts))?;
        }
        st.serialize_field("attributes", &JsonAttrs::new(&index.data, link.attrs))?;
        st.end()
    }
}

/// One span as one object, what a person pastes into a ticket (`Y` in the explorer): its ids,
/// service, name, kind, status, times, attributes, resource, scope, events, and its links both
/// ways as `JsonLink`s (`direction` out, then in). String values are cut after `max_text` bytes.
///
/// `{"trace_id","span_id","parent_span_id"|null,"service","name","kind","status",
/// "status_message"|null,"start_unix_nano","end_unix_nano","duration_ns","attributes":{…},
/// "resource":{…},"scope":{"name","version","attributes"},"events":[{"time_unix_nano","name",
/// "attributes"}],"links":[…]}`
pub struct JsonSpan<'a> {
    pub index: &'a Index,
    pub span: SpanIdx,
    pub max_text: usize,
}

impl Serialize for JsonSpan<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (index, ds, max_text) = (self.index, &self.index.data, self.max_text);
        let span = index.span(self.span);
        let scope = ds.scope(span.scope);
        let mut st = s.serialize_struct("Span", 16)?;
        st.serialize_field("trace_id", &Hex(span.trace_id))?;
        st.serialize_field("span_id", &Hex(span.span_id))?;
        st.serialize_field("parent_span_id", &(!span.parent_id.is_zero()).then_some(Hex(span.parent_id)))?;
        st.serialize_field("service", index.service(self.span))?;
        st.serialize_field("name", index.name(self.span))?;
        st.serialize_field("kind", span.kind.as_str())?;
        st.serialize_field("status", span.status.as_str())?;
        st.serialize_field("status_message", &span.status_message.map(|m| ds.str(m)))?;
        st.serialize_field("start_unix_nano", &span.start)?;
        st.serialize_field("end_unix_nano", &span.end)?;
        st.serialize_field("duration_ns", &span.duration())?;
        st.serialize_field("attributes", &JsonAttrs::capped(ds, span.attrs, max_text))?;
        st.serialize_field("resource", &JsonAttrs::capped(ds, ds.resource(span.resource).attrs, max_text))?;
        let scope = ScopeJson { ds, name: scope.name, version: scope.version, attrs: scope.attrs, max_text };
        st.serialize_field("scope", &scope)?;
        let events: Vec<EventJson<'_>> =
            ds.events_of(span.events).iter().map(|event| EventJson { ds, event, max_text }).collect();
        st.serialize_field("events", &events)?;
        let links = super::links::select(index, super::ids::Selection { trace: None, span: Some(self.span) });
        let links: Vec<JsonLink<'_>> =
            links.into_iter().map(|(link, direction)| JsonLink { index, link, direction }).collect();
        st.serialize_field("links", &links)?;
        st.end()
    }
}

struct ScopeJson<'a> {
    ds: &'a Dataset,
    name: Option<crate::model::Sym>,
    version: Option<crate::model::Sym>,
    attrs: Slice,
    max_text: usize,
}

impl Serialize for ScopeJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Scope", 3)?;
        st.serialize_field("name", &self.name.map(|n| self.ds.str(n)))?;
        st.serialize_field("version", &self.version.map(|v| self.ds.str(v)))?;
        st.serialize_field("attributes", &JsonAttrs::capped(self.ds, self.attrs, self.max_text))?;
        st.end()
    }
}

struct EventJson<'a> {
    ds: &'a Dataset,
    event: &'a crate::model::Event,
    max_text: usize,
}

impl Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Event", 3)?;
        st.serialize_field("time_unix_nano", &self.event.time)?;
        st.serialize_field("name", self.ds.str(self.event.name))?;
        st.serialize_field("attributes", &JsonAttrs::capped(self.ds, self.event.attrs, self.max_text))?;
        st.end()
    }
}

/// The single object `weft info --json` prints.
pub struct JsonInfo<'a> {
    pub index: &'a Index,
    /// Files inside folders that were not traces (not fatal).
    pub skipped_files: &'a [LoadError],
}

impl Serialize for JsonInfo<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = self.index;
        let mut st = s.serialize_struct("Info", 8)?;
        st.serialize_field("traces", &index.traces().len())?;
        st.serialize_field("spans", &index.span_count())?;
        st.serialize_field("logs", &index.data.logs.len())?;
        st.serialize_field("links", &Links(index))?;
        st.serialize_field("unresolved_links", &index.unresolved_links().count())?;
        st.serialize_field("files", &Files(&index.data))?;
        st.serialize_field("skipped_files", &SkippedFiles(self.skipped_files))?;
        st.serialize_field("trace_list", &TraceList(index))?;
        st.end()
    }
}

struct Files<'a>(&'a Dataset);

impl Serialize for Files<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.files.len()))?;
        for f in &self.0.files {
            seq.serialize_element(&FileJson(f))?;
        }
        seq.end()
    }
}

struct FileJson<'a>(&'a crate::model::FileInfo);

impl Serialize for FileJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut st = s.serialize_struct("File", 7)?;
        st.serialize_field("path", &f.path)?;
        st.serialize_field("format", f.format.name())?;
        st.serialize_field("spans", &f.spans)?;
        st.serialize_field("logs", &f.logs)?;
        st.serialize_field("skipped", &f.skipped)?;
        st.serialize_field("warnings", &Warnings(&f.warnings))?;
        let other = f.other_signals;
        st.serialize_field(
            "other_signals",
            &serde_json::json!({"metrics": other.metrics, "log_records": other.log_records}),
        )?;
        st.end()
    }
}

struct Warnings<'a>(&'a [crate::model::Warning]);

impl Serialize for Warnings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(WarningJson))
    }
}

/// `{"skipped":bool, "line":L, "column":C | "offset":N, "message":…}`: where a record was
/// dropped (`skipped: true`) or repaired.
struct WarningJson<'a>(&'a crate::model::Warning);

impl Serialize for WarningJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let w = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("skipped", &w.skipped)?;
        match w.at {
            Location::Line { line, column } => {
                map.serialize_entry("line", &line)?;
                map.serialize_entry("column", &column)?;
            }
            Location::Offset(o) => map.serialize_entry("offset", &o)?,
            Location::Unknown => {}
        }
        map.serialize_entry("message", &w.message)?;
        map.end()
    }
}

struct SkippedFiles<'a>(&'a [LoadError]);

impl Serialize for SkippedFiles<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for e in self.0 {
            seq.serialize_element(&SkippedFile(e))?;
        }
        seq.end()
    }
}

struct SkippedFile<'a>(&'a LoadError);

impl Serialize for SkippedFile<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("SkippedFile", 2)?;
        st.serialize_field("path", &self.0.path)?;
        st.serialize_field("reason", &self.0.message)?;
        st.end()
    }
}

struct TraceList<'a>(&'a Index);

impl Serialize for TraceList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = self.0;
        let mut seq = s.serialize_seq(Some(index.traces().len()))?;
        for t in trace_indices(index) {
            seq.serialize_element(&TraceJson { index, trace: t })?;
        }
        seq.end()
    }
}

/// Every trace index, in the index's (chronological) order.
pub fn trace_indices(index: &Index) -> impl Iterator<Item = TraceIdx> + '_ {
    (0..index.traces().len()).filter_map(|i| u32::try_from(i).ok().map(TraceIdx))
}

/// The trace's root span, when it has one (every non-empty trace does; the check keeps a bad
/// index from turning into a panic here).
pub fn root_of(index: &Index, t: TraceIdx) -> Option<SpanIdx> {
    let root = index.trace(t).root;
    (root.get() < index.span_count()).then_some(root)
}

struct TraceJson<'a> {
    index: &'a Index,
    trace: TraceIdx,
}

impl Serialize for TraceJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = self.index;
        let info = index.trace(self.trace);
        let root = root_of(index, self.trace);
        let mut st = s.serialize_struct("Trace", 9)?;
        st.serialize_field("trace_id", &Hex(info.id))?;
        st.serialize_field("spans", &info.spans)?;
        st.serialize_field("root_service", &root.map(|r| index.service(r)))?;
        st.serialize_field("root_name", &root.map(|r| index.name(r)))?;
        st.serialize_field("root_span_id", &root.map(|r| Hex(index.span(r).span_id)))?;
        st.serialize_field("start_unix_nano", &info.start)?;
        st.serialize_field("duration_ns", &info.duration())?;
        st.serialize_field("errors", &info.errors)?;
        st.serialize_field("links_out", &info.links_out)?;
        st.serialize_field("links_in", &info.links_in)?;
        st.end()
    }
}

struct Links<'a>(&'a Index);

impl Serialize for Links<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = self.0;
        s.collect_seq(index.links().map(|link| JsonLink { index, link, direction: None }))
    }
}
