//! Datadog trace-agent payloads → `Dataset` (FORMATS.md §4): v0.4 msgpack (`msgpack.rs`), v0.5
//! msgpack with a string table (`msgpack.rs`) and the v0.4 JSON form that dd-apm-test-agent
//! snapshots use (`json.rs`). Links and events that travel as JSON inside meta are in `links.rs`.
//!
//! Every decoder feeds the same `Builder`, which owns the Datadog → model mapping:
//! - `trace_id` is the low 64 bits; `meta["_dd.p.tid"]` (16 hex) gives the high 64 bits for
//!   every span of its chunk with the same low id, wherever in the chunk it sits.
//! - `name` is the span name, `resource` the attribute `dd.span.Resource`, `type` the attribute
//!   `dd.span.type`; `meta` are string attributes, `metrics` doubles, `meta_struct` opaque bytes
//!   (base64), or a map or array attribute when given decoded (test-agent snapshots).
//! - `meta["span.kind"]` is the kind; `error != 0` is an error status whose message is
//!   `error.message` (else `error.type`).
//! - Native `span_links` and the JSON in `meta["_dd.span_links"]` become links, de-duplicated on
//!   (128-bit trace id, span id); span pointers (`dd.kind`/`link.kind` = `span-pointer`) become
//!   `LinkKind::Pointer`. Native `span_events` and the JSON in `meta["events"]` become events.
//! - A synthetic resource is shared by all spans with the same (service, `env`, `version`,
//!   `_dd.hostname`, `language`, `runtime-id`); those meta keys live on the resource, not the span.

mod json;
mod links;
mod msgpack;
mod reader;
mod ui_json;

pub use ui_json::sniff as sniff_ui_json;

use super::progress::Ticker;
use super::sink::{Positions, Sink, Sizing};
use super::{Job, LoadError};
use crate::model::{
    Attr, AttrMark, Dataset, Event, Format, Link, LinkKind, Location, ResourceIdx, Span, SpanId, SpanKind,
    StatusCode, Sym, TraceId, Value, span_flags,
};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// Parses one Datadog payload in the given form. Spans of the wrong shape are skipped with a note
/// on the file; a payload that cannot be read at all is a `LoadError` naming the byte (msgpack)
/// or line and column (JSON).
pub fn parse(input: &[u8], path: &str, format: Format) -> Result<Dataset, LoadError> {
    super::on_one_thread(|job| parse_job(input, path, format, job))
}

/// `parse` with up to `job.workers` threads for msgpack payloads, reporting progress as it goes.
pub(crate) fn parse_job(
    input: &[u8],
    path: &str,
    format: Format,
    job: &Job<'_>,
) -> Result<Dataset, LoadError> {
    if matches!(format, Format::DatadogMsgpackV04 | Format::DatadogMsgpackV05)
        && let Some(result) = msgpack::parse_parallel(input, path, format, job)
    {
        return result;
    }
    let mut b = Builder::new(input, path, format, job, input.len());
    let result = match format {
        Format::DatadogMsgpackV04 => msgpack::parse_v04(&mut b, input).map_err(|e| b.mp_error(&e)),
        Format::DatadogMsgpackV05 => msgpack::parse_v05(&mut b, input).map_err(|e| b.mp_error(&e)),
        Format::DatadogJson => json::parse(&mut b, input, path),
        Format::DatadogUiJson => ui_json::parse(&mut b, input, path),
        other => Err(LoadError::new(path, Some(other), Location::Unknown, "not a Datadog format")),
    };
    result?;
    if job.progress.is_cancelled() {
        return Err(LoadError::cancelled(path));
    }
    Ok(b.finish())
}

/// Whether `parse_job` parses `input` in parallel (no fallback to one thread).
#[cfg(test)]
pub(crate) fn parallel_is_used(input: &[u8], format: Format, job: &Job<'_>) -> bool {
    matches!(msgpack::parse_parallel(input, "t", format, job), Some(Ok(_)))
}

/// Tells Datadog v0.5 from v0.4 msgpack by the shape of the outer array: v0.5 is an array of
/// exactly 2 whose first element is an array of strings (the string table); v0.4 is an array of
/// arrays of maps. An empty outer array is v0.4 with no spans. A payload cut off right after the
/// headers is taken as v0.4 so that the parser can say where it ends.
pub fn sniff_msgpack(bytes: &[u8]) -> Option<Format> {
    use rmp::Marker as M;
    let mut r = msgpack::Reader::new(bytes);
    let outer = r.array_len().ok()?;
    if outer == 0 {
        return Some(Format::DatadogMsgpackV04);
    }
    match r.peek() {
        Err(_) => return Some(Format::DatadogMsgpackV04),
        Ok(M::FixArray(_) | M::Array16 | M::Array32) => {}
        Ok(_) => return None,
    }
    let inner = match r.array_len() {
        Ok(n) => n,
        Err(_) => return Some(Format::DatadogMsgpackV04),
    };
    if inner == 0 {
        // A v0.5 string table is never empty (index 0 is ""), so this is an empty v0.4 chunk.
        return Some(Format::DatadogMsgpackV04);
    }
    match r.peek() {
        Err(_) => Some(Format::DatadogMsgpackV04),
        Ok(M::FixStr(_) | M::Str8 | M::Str16 | M::Str32 | M::Bin8 | M::Bin16 | M::Bin32) if outer == 2 => {
            Some(Format::DatadogMsgpackV05)
        }
        Ok(M::FixMap(_) | M::Map16 | M::Map32) => Some(Format::DatadogMsgpackV04),
        Ok(_) => None,
    }
}

/// The 8 W3C trace flags of a link. Native links set bit 31 as a "flags were set" marker (so
/// 0x80000001 is sampled); `_dd.span_links` carries the bare 8 bits. Either way, keep those.
pub(crate) fn w3c_flags(flags: u64) -> u32 {
    (flags & 0xFF) as u32
}

/// Bytes as standard base64, the text form `Value::Bytes` holds.
pub(crate) fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Strings the mapping uses, interned once.
struct Keys {
    empty: Sym,
    resource: Sym,
    span_type: Sym,
    service_name: Sym,
    link_kind: Sym,
    dd_kind: Sym,
    span_pointer: Sym,
    /// Keys of `RES_META`, in that order.
    res: [Sym; RES_META.len()],
}

/// Meta keys that describe the process rather than the span; with the service they make up the
/// synthetic resource.
const RES_META: [&str; 5] = ["env", "version", "_dd.hostname", "language", "runtime-id"];

/// What one span has told the builder so far. Decoders set the public fields directly.
#[derive(Default)]
pub(crate) struct SpanState<'a> {
    pub trace_id: u64,
    pub span_id: u64,
    pub parent_id: u64,
    pub start: i64,
    pub duration: i64,
    pub error: i64,
    pub name: Option<Sym>,
    pub service: Option<Sym>,
    /// High 64 bits from this span's own `_dd.p.tid`.
    tid: Option<u64>,
    kind: Option<SpanKind>,
    error_message: Option<Sym>,
    error_type: Option<Sym>,
    /// Values for `RES_META`, in that order.
    res: [Option<Sym>; RES_META.len()],
    /// `_dd.span_links` and `events` JSON (with their offsets), read when the span is complete so
    /// native links are known for de-duplication whatever the key order.
    meta_links: Option<(Cow<'a, str>, usize)>,
    meta_events: Option<(Cow<'a, str>, usize)>,
    attrs: Vec<Attr>,
    links: Vec<Link>,
    events: Vec<Event>,
}

impl SpanState<'_> {
    /// Back to empty, keeping the vectors' capacity for the next span.
    fn reset(&mut self) {
        let mut attrs = std::mem::take(&mut self.attrs);
        let mut links = std::mem::take(&mut self.links);
        let mut events = std::mem::take(&mut self.events);
        attrs.clear();
        links.clear();
        events.clear();
        *self = Self { attrs, links, events, ..Self::default() };
    }
}

/// Msgpack bytes per span, per attribute and per distinct string, on the low side of what
/// gentrace's payloads show (about 800, 66 and 360), so the first guess is rarely too small;
/// used only to pre-size.
const SIZING: Sizing = Sizing { per_span: 512, per_attr: 48, per_distinct_string: 256, per_string_byte: 16 };

/// Resource identity: service then `RES_META` values.
type ResKey = [Option<Sym>; RES_META.len() + 1];

/// Collects spans from any of the three decoders into a `Dataset`.
pub(crate) struct Builder<'a> {
    pub sink: Sink<'a>,
    pub s: SpanState<'a>,
    k: Keys,
    resources: FxHashMap<ResKey, ResourceIdx>,
    /// Spare attribute vectors for nested blocks (link and event attributes).
    tmp: Vec<Vec<Attr>>,
    chunk_first: usize,
    /// (low trace id, high bits) from the `_dd.p.tid`s seen in the current chunk.
    chunk_tids: Vec<(u64, u64)>,
    /// Arena lengths when the current span began, to drop its nested blocks if it is skipped.
    marks: AttrMark,
    pub ticker: Ticker<'a>,
}

#[expect(
    clippy::ptr_arg,
    reason = "a `&Cow<'a, str>` says whether text is borrowed from the input (and may be cached for \
              the whole parse) or owned; `&str` would lose that"
)]
impl<'a> Builder<'a> {
    /// A builder for a parse of about `share` bytes of `input` (the whole input, or one range
    /// of its chunks when parsing in parallel).
    fn new(input: &'a [u8], path: &str, format: Format, job: &Job<'a>, share: usize) -> Self {
        // The arenas are sized from the input only for msgpack: JSON spends several times more
        // bytes per record, and its guesses would be far too large. Notes in JSON are placed by
        // line:col, in msgpack by byte offset.
        let json = matches!(format, Format::DatadogJson | Format::DatadogUiJson);
        let (positions, share) = if json { (Positions::Lines, 0) } else { (Positions::Offsets, share) };
        let mut sink = Sink::new(input, path, format, positions, share, &SIZING);
        let ds = &mut sink.ds;
        let k = Keys {
            empty: ds.intern(""),
            resource: ds.intern("dd.span.Resource"),
            span_type: ds.intern("dd.span.type"),
            service_name: ds.intern(crate::model::SERVICE_NAME_KEY),
            link_kind: ds.intern("link.kind"),
            dd_kind: ds.intern("dd.kind"),
            span_pointer: ds.intern("span-pointer"),
            res: RES_META.map(|key| ds.intern(key)),
        };
        Self {
            sink,
            s: SpanState::default(),
            k,
            resources: FxHashMap::default(),
            tmp: Vec::new(),
            chunk_first: 0,
            chunk_tids: Vec::new(),
            marks: AttrMark::default(),
            ticker: Ticker::for_job(job, 0),
        }
    }

    /// Takes in the builder of the next range of chunks (ranges are absorbed in file order):
    /// its spans and arenas, its notes, and its synthetic resources, which become the same
    /// resource as an equal one already here, as in a sequential parse.
    fn absorb(&mut self, other: Builder<'a>) {
        let Builder { sink, resources, .. } = other;
        let appended = self.sink.absorb(sink);
        appended.share(&mut self.sink.ds, &mut self.resources, resources);
    }

    fn finish(self) -> Dataset {
        self.sink.finish()
    }

    pub fn span_count(&self) -> usize {
        self.sink.ds.spans.len()
    }

    // ---- locations and notes ----

    /// A record that was dropped.
    pub fn skip(&mut self, at: usize, msg: impl Into<String>) {
        self.sink.skip_at(at, |_| msg.into());
    }

    /// Something kept but repaired or partly dropped.
    pub fn warn(&mut self, at: usize, msg: impl Into<String>) {
        self.sink.warn_at(at, |_| msg.into());
    }

    fn mp_error(&self, e: &msgpack::Error) -> LoadError {
        let file = &self.sink.file;
        LoadError::new(&file.path, Some(file.format), Location::Offset(e.at as u64), e.to_string())
    }

    // ---- strings ----

    /// Interns text from the decoder.
    #[inline]
    pub fn sym(&mut self, s: &Cow<'a, str>) -> Sym {
        match s {
            Cow::Borrowed(b) => self.sym_bytes(b.as_bytes()),
            Cow::Owned(o) => self.sink.intern(o),
        }
    }

    /// Interns a msgpack string straight from the input. Only bytes not seen before are checked
    /// as UTF-8 (and repaired, as the agent does, when they are not).
    #[inline]
    pub fn sym_bytes(&mut self, bytes: &'a [u8]) -> Sym {
        self.sink.ds.strings.get_or_intern_utf8(bytes)
    }

    /// A spare attribute vector for a nested block; give it back with `put_tmp`.
    pub fn take_tmp(&mut self) -> Vec<Attr> {
        self.tmp.pop().unwrap_or_default()
    }
    pub fn put_tmp(&mut self, mut v: Vec<Attr>) {
        v.clear();
        self.tmp.push(v);
    }

    // ---- chunks and spans ----

    pub fn begin_chunk(&mut self) {
        self.chunk_first = self.sink.ds.spans.len();
        self.chunk_tids.clear();
    }

    /// Gives every span of the chunk that has no `_dd.p.tid` of its own the high bits another
    /// span of the chunk carries for the same low trace id.
    pub fn end_chunk(&mut self) {
        if self.chunk_tids.is_empty() {
            return;
        }
        for span in &mut self.sink.ds.spans[self.chunk_first..] {
            if span.trace_id.0 >> 64 != 0 {
                continue;
            }
            // The low half of a span without high bits is its whole id.
            let low = span.trace_id.0 as u64;
            if let Some(&(_, high)) = self.chunk_tids.iter().find(|&&(l, _)| l == low) {
                span.trace_id = TraceId::from_halves(high, low);
            }
        }
    }

    pub fn begin_span(&mut self) {
        self.marks = self.sink.ds.attr_mark();
    }

    /// Forgets a span that turned out to be bad, including nested blocks already stored.
    pub fn abort_span(&mut self) {
        self.sink.ds.rollback_attrs(self.marks);
        self.s.reset();
    }

    /// `resource` → attribute `dd.span.Resource` (when not empty).
    pub fn set_resource(&mut self, v: Sym) {
        if v != self.k.empty {
            self.s.attrs.push(Attr { key: self.k.resource, value: Value::Str(v) });
        }
    }

    /// `type` → attribute `dd.span.type` (when not empty).
    pub fn set_type(&mut self, v: Sym) {
        if v != self.k.empty {
            self.s.attrs.push(Attr { key: self.k.span_type, value: Value::Str(v) });
        }
    }

    /// One `meta` entry as raw msgpack strings: ordinary keys go straight to attributes without
    /// being turned into text; the few keys the mapping reads take the general path.
    #[inline]
    pub fn meta_bytes(&mut self, key: &'a [u8], value: &'a [u8], at: usize) {
        if is_mapped_meta(key) {
            return self.meta(&msgpack::text(key), &msgpack::text(value), at);
        }
        let key = self.sym_bytes(key);
        let value = Value::Str(self.sym_bytes(value));
        self.s.attrs.push(Attr { key, value });
    }

    /// One `meta` entry (`at` = offset of the value, for notes).
    pub fn meta(&mut self, key: &Cow<'a, str>, value: &Cow<'a, str>, at: usize) {
        match key.as_ref() {
            "_dd.span_links" => {
                self.s.meta_links = Some((value.clone(), at));
                return;
            }
            "events" => {
                self.s.meta_events = Some((value.clone(), at));
                return;
            }
            "span.kind" => {
                if let Some(kind) = SpanKind::from_name(value) {
                    self.s.kind = Some(kind);
                    return;
                }
            }
            "_dd.p.tid" => match parse_tid(value) {
                Some(high) => self.s.tid = Some(high),
                None => self.warn(at, format!("`_dd.p.tid` {value:?} is not 16 hex digits; ignored")),
            },
            k => {
                if let Some(i) = RES_META.iter().position(|&r| r == k) {
                    self.s.res[i] = Some(self.sym(value));
                    return;
                }
            }
        }
        let v = self.sym(value);
        match key.as_ref() {
            "error.message" | "error.msg" => self.s.error_message = Some(v),
            "error.type" => self.s.error_type = Some(v),
            _ => {}
        }
        let k = self.sym(key);
        self.s.attrs.push(Attr { key: k, value: Value::Str(v) });
    }

    /// An attribute of the current span, as it is.
    pub fn push_attr(&mut self, attr: Attr) {
        self.s.attrs.push(attr);
    }

    /// A meta or metrics entry whose value is not of the usual type, kept as it is.
    pub fn meta_value(&mut self, key: &Cow<'a, str>, value: Value) {
        let key = self.sym(key);
        self.s.attrs.push(Attr { key, value });
    }

    pub fn metric(&mut self, key: &Cow<'a, str>, value: f64) {
        let key = self.sym(key);
        self.s.attrs.push(Attr { key, value: Value::Double(value) });
    }

    pub fn metric_bytes(&mut self, key: &'a [u8], value: f64) {
        let key = self.sym_bytes(key);
        self.s.attrs.push(Attr { key, value: Value::Double(value) });
    }

    /// A `meta_struct` entry: msgpack-encoded bytes, kept opaque as base64.
    pub fn meta_struct(&mut self, key: &str, bytes: &[u8]) {
        let value = Value::Bytes(self.sink.intern(&base64(bytes)));
        self.meta_struct_value(key, value);
    }

    /// A `meta_struct` entry given decoded (the test agent's snapshots hold objects, not bytes),
    /// kept as the structured value it is (`json_tree`, `msgpack::tree_value`).
    pub fn meta_struct_value(&mut self, key: &str, value: Value) {
        let key = self.sink.intern(&format!("meta_struct.{key}"));
        self.s.attrs.push(Attr { key, value });
    }

    /// A JSON value as a model value, objects as maps and arrays as arrays, to
    /// `MAX_VALUE_NESTING` levels (deeper values are kept as their JSON text).
    pub fn json_tree(&mut self, v: &serde_json::Value, depth: usize) -> Value {
        use serde_json::Value as J;
        match v {
            J::Null => Value::Empty,
            J::Bool(x) => Value::Bool(*x),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                // Past i64 the exact digits are kept as text, as everywhere.
                None if n.is_u64() => Value::Str(self.sink.intern(&n.to_string())),
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Value::Str(self.sink.intern(s)),
            _ if depth >= crate::load::otlp_json::MAX_VALUE_NESTING => {
                Value::Str(self.sink.intern(&v.to_string()))
            }
            J::Array(items) => {
                let values: Vec<Value> = items.iter().map(|x| self.json_tree(x, depth + 1)).collect();
                self.sink.ds.add_array(&values)
            }
            J::Object(map) => {
                // Nested maps go into the arena before the map that holds them.
                let attrs: Vec<Attr> = map
                    .iter()
                    .map(|(k, x)| {
                        let value = self.json_tree(x, depth + 1);
                        Attr { key: self.sink.intern(k), value }
                    })
                    .collect();
                Value::Map(self.sink.ds.add_attrs(&attrs))
            }
        }
    }

    /// A link from the current span. With `dedupe`, a link to a (trace, span) the span already
    /// links to is dropped (the same link sent natively and in `_dd.span_links`).
    pub fn add_link(
        &mut self,
        trace_id: TraceId,
        span_id: SpanId,
        trace_state: Option<Sym>,
        flags: u32,
        attrs: &[Attr],
        dedupe: bool,
    ) {
        if dedupe && self.s.links.iter().any(|l| l.trace_id == trace_id && l.span_id == span_id) {
            return;
        }
        let pointer = attrs.iter().any(|a| {
            (a.key == self.k.link_kind || a.key == self.k.dd_kind)
                && a.value == Value::Str(self.k.span_pointer)
        });
        let kind = if pointer { LinkKind::Pointer } else { LinkKind::Link };
        let attrs = self.sink.ds.add_attrs(attrs);
        self.s.links.push(Link { trace_id, span_id, trace_state, flags, kind, attrs });
    }

    pub fn add_event(&mut self, time: u64, name: Sym, attrs: &[Attr]) {
        let attrs = self.sink.ds.add_attrs(attrs);
        self.s.events.push(Event { time, name, attrs });
    }

    /// Turns the current span into a `Span` (`at` = its first byte, for notes).
    pub fn finish_span(&mut self, at: usize) {
        if let Some((raw, raw_at)) = self.s.meta_links.take() {
            links::meta_links(self, &raw, raw_at);
        }
        if let Some((raw, raw_at)) = self.s.meta_events.take() {
            links::meta_events(self, &raw, raw_at);
        }
        let low = self.s.trace_id;
        if let Some(high) = self.s.tid
            && !self.chunk_tids.iter().any(|&(l, _)| l == low)
        {
            self.chunk_tids.push((low, high));
        }
        let trace_id = TraceId::from_halves(self.s.tid.unwrap_or(0), low);

        // Times must stay within int64 ns (up to the year 2262), as the agent's are.
        let mut flags = 0u8;
        let start = if self.s.start < 0 {
            self.warn(at, format!("negative start {} ns read as 0", self.s.start));
            0
        } else {
            self.s.start
        };
        // A negative duration is an end before the start: the one repair. One past int64 is not.
        let end = match start.checked_add(self.s.duration) {
            Some(end) => {
                let (end, repaired) = self.sink.repair_end(at, start, end);
                flags |= repaired;
                end
            }
            None => {
                flags |= span_flags::CLAMPED_END;
                let d = self.s.duration;
                self.warn(at, format!("duration {d} ns overflows int64 from the start; read as 0"));
                start
            }
        };
        // Both are non-negative here.
        let (start, end) = (start.unsigned_abs(), end.unsigned_abs());

        let service = self.s.service.unwrap_or(self.k.empty);
        let resource = self.resource_for(service);
        let mut span = Span::new(
            trace_id,
            SpanId(self.s.span_id),
            SpanId(self.s.parent_id),
            start,
            end,
            self.s.name.unwrap_or(self.k.empty),
            service,
        );
        span.flags = flags;
        span.kind = self.s.kind.unwrap_or_default();
        if self.s.error != 0 {
            span.status = StatusCode::Error;
            span.status_message = self.s.error_message.or(self.s.error_type);
        }
        span.resource = resource;
        span.attrs = self.sink.ds.add_attrs(&self.s.attrs);
        span.events = self.sink.ds.add_events(&self.s.events);
        span.links = self.sink.ds.add_links(&self.s.links);
        self.sink.ds.spans.push(span);
        self.s.reset();
    }

    /// The shared synthetic resource for this service and the current span's process meta.
    fn resource_for(&mut self, service: Sym) -> ResourceIdx {
        let mut key: ResKey = [None; RES_META.len() + 1];
        key[0] = Some(service);
        key[1..].copy_from_slice(&self.s.res);
        if let Some(&idx) = self.resources.get(&key) {
            return idx;
        }
        let mut attrs = vec![Attr { key: self.k.service_name, value: Value::Str(service) }];
        for (i, v) in self.s.res.iter().enumerate() {
            if let Some(v) = *v {
                attrs.push(Attr { key: self.k.res[i], value: Value::Str(v) });
            }
        }
        let slice = self.sink.ds.add_attrs(&attrs);
        let idx = self.sink.ds.add_resource(slice);
        self.resources.insert(key, idx);
        idx
    }
}

/// Meta keys `Builder::meta` gives a meaning beyond "string attribute".
fn is_mapped_meta(key: &[u8]) -> bool {
    matches!(
        key,
        b"_dd.span_links"
            | b"events"
            | b"span.kind"
            | b"_dd.p.tid"
            | b"env"
            | b"version"
            | b"_dd.hostname"
            | b"language"
            | b"runtime-id"
            | b"error.message"
            | b"error.msg"
            | b"error.type"
    )
}

/// `_dd.p.tid`: the high 64 bits as (up to) 16 hex digits.
fn parse_tid(s: &str) -> Option<u64> {
    SpanId::from_hex(s).ok().map(|id| id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_tells_v05_from_v04_by_shape() {
        // [ ["", "svc"], [] ]
        assert_eq!(
            sniff_msgpack(&[0x92, 0x92, 0xa0, 0xa3, b's', b'v', b'c', 0x90]),
            Some(Format::DatadogMsgpackV05)
        );
        // [ [ {} ] ]
        assert_eq!(sniff_msgpack(&[0x91, 0x91, 0x80]), Some(Format::DatadogMsgpackV04));
        // Two chunks of maps is v0.4 even though the outer length is 2.
        assert_eq!(sniff_msgpack(&[0x92, 0x91, 0x80, 0x91, 0x80]), Some(Format::DatadogMsgpackV04));
        // [] and array16/array32 headers.
        assert_eq!(sniff_msgpack(&[0x90]), Some(Format::DatadogMsgpackV04));
        assert_eq!(sniff_msgpack(&[0xdc, 0, 1, 0x91, 0x80]), Some(Format::DatadogMsgpackV04));
        assert_eq!(sniff_msgpack(&[0xdd, 0, 0, 0, 2, 0x91, 0xa0, 0x90]), Some(Format::DatadogMsgpackV05));
        // A string table with three traces after it is not v0.5.
        assert_eq!(sniff_msgpack(&[0x93, 0x91, 0xa0, 0x90, 0x90]), None);
        // Not arrays of arrays.
        assert_eq!(sniff_msgpack(&[0x91, 0x01]), None);
        assert_eq!(sniff_msgpack(&[0x91, 0x91, 0x01]), None);
        assert_eq!(sniff_msgpack(&[0x81, 0xa0, 0xa0]), None);
        assert_eq!(sniff_msgpack(b"[[{}]]"), None);
        assert_eq!(sniff_msgpack(&[]), None);
        // Cut off after the headers: v0.4, so the parser can report where it ends.
        assert_eq!(sniff_msgpack(&[0xdd, 0xff, 0xff, 0xff, 0xff]), Some(Format::DatadogMsgpackV04));
    }

    #[test]
    fn tid_is_sixteen_hex_digits_at_most() {
        assert_eq!(parse_tid("69e929f100000000"), Some(0x69e9_29f1_0000_0000));
        assert_eq!(parse_tid("69E929F1"), Some(0x69e9_29f1));
        assert_eq!(parse_tid("69e929f1000000001"), None);
        assert_eq!(parse_tid("xyz"), None);
        assert_eq!(parse_tid(""), None);
    }
}
