//! OTLP protobuf messages → `Dataset` (FORMATS.md §8): `TracesData` / `ExportTraceServiceRequest`
//! down to spans, events, links and `AnyValue`s, read in place by `wire::Fields` and written
//! straight into the dataset arenas, mapped exactly as the OTLP JSON reader maps the same fields
//! (the shared parts are `otlp_json::{store_span, link_kind, service_of}`).
//!
//! A problem inside a span skips that span (its bytes are bounded by its record, so its siblings
//! are unaffected); a problem between spans ends the enclosing record, keeping every span read
//! before it; a record cut by the end of the input is read as far as it goes.

use super::wire::{Fields, Payload, Truncated, WireError};
use crate::load::otlp_json::{
    MAX_VALUE_NESTING, SpanParts, Syms, link_kind, service_of, status_from_number, store_span,
};
use crate::model::{
    Attr, AttrMark, Dataset, Event, FileInfo, Format, Link, Location, Scope, SpanId, SpanKind, StatusCode,
    Sym, TraceId, Value,
};
use base64::Engine as _;

mod logs;

/// What a record cut short (or a corrupt one between records) says.
pub(super) fn cut_message(what: &str, e: &WireError) -> String {
    format!("{what}: {e}; kept what came before it")
}

/// A problem inside one span (or resource, scope): where, and what was expected.
#[derive(Debug)]
pub(super) struct Fault {
    at: usize,
    message: String,
}

impl From<WireError> for Fault {
    fn from(e: WireError) -> Self {
        Fault { at: e.at, message: e.to_string() }
    }
}

type Faulty<T> = Result<T, Fault>;

/// The next field of `fields` and the offset of its tag, with a truncated record as a fault
/// (inside a span nothing of a cut record is kept).
#[inline(always)]
fn next<'a>(fields: &mut Fields<'a>) -> Faulty<Option<(u32, Payload<'a>, usize)>> {
    let at = fields.offset();
    match fields.next_field() {
        Ok(field) => Ok(field.map(|(n, p)| (n, p, at))),
        Err((e, _)) => Err(Fault::from(e)),
    }
}

fn wrong(name: &str, expected: &str, found: &Payload<'_>, at: usize) -> Fault {
    Fault { at, message: format!("{name}: expected {expected}, found {}", found.wire_name()) }
}

fn len<'a>(name: &str, p: Payload<'a>, at: usize) -> Faulty<(&'a [u8], usize)> {
    match p {
        Payload::Len(bytes, base) => Ok((bytes, base)),
        other => Err(wrong(name, "a length-delimited record", &other, at)),
    }
}

fn varint(name: &str, p: Payload<'_>, at: usize) -> Faulty<u64> {
    match p {
        Payload::Varint(v) => Ok(v),
        other => Err(wrong(name, "a varint", &other, at)),
    }
}

fn fixed64(name: &str, p: Payload<'_>, at: usize) -> Faulty<u64> {
    match p {
        Payload::I64(v) => Ok(v),
        other => Err(wrong(name, "a fixed64", &other, at)),
    }
}

fn fixed32(name: &str, p: Payload<'_>, at: usize) -> Faulty<u32> {
    match p {
        Payload::I32(v) => Ok(v),
        other => Err(wrong(name, "a fixed32", &other, at)),
    }
}

/// Why an id's bytes were rejected.
fn check_id(bytes: &[u8], want: usize) -> Result<u128, String> {
    if bytes.len() != want {
        return Err(format!("id has {} bytes, expected {want}", bytes.len()));
    }
    let value = bytes.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    if value == 0 { Err("all-zero id (invalid)".to_owned()) } else { Ok(value) }
}

fn span_ids(raw: &RawSpan<'_>) -> Result<(TraceId, SpanId), String> {
    let trace = raw.trace_id.ok_or("no traceId")?;
    let span = raw.span_id.ok_or("no spanId")?;
    let trace = check_id(trace, 16).map_err(|e| format!("traceId: {e}"))?;
    let span = check_id(span, 8).map_err(|e| format!("spanId: {e}"))?;
    Ok((TraceId(trace), SpanId(span as u64)))
}

/// `Status`: `code`, `message`, and the pre-v0.12 `deprecated_code` (field 1), which counts
/// only when `code` is absent: then any non-zero value is an error.
#[derive(Default)]
struct StatusOut {
    code: Option<StatusCode>,
    deprecated_error: bool,
    message: Option<Sym>,
}

impl StatusOut {
    fn code(&self) -> StatusCode {
        match self.code {
            Some(c) => c,
            None if self.deprecated_error => StatusCode::Error,
            None => StatusCode::Unset,
        }
    }
}

/// A span's fields as read, before validation.
#[derive(Default)]
struct RawSpan<'a> {
    trace_id: Option<&'a [u8]>,
    span_id: Option<&'a [u8]>,
    parent_id: Option<&'a [u8]>,
    trace_state: Option<Sym>,
    name: Option<Sym>,
    kind: SpanKind,
    start: u64,
    end: u64,
    w3c_flags: u32,
    status: StatusOut,
}

/// Fills one dataset from OTLP protobuf messages, keeping the file's warnings.
pub(super) struct Decoder {
    pub ds: Dataset,
    pub file: FileInfo,
    syms: Syms,
    /// Byte offset of each span in `ds.spans`, for duplicate warnings.
    pub offsets: Vec<usize>,
    attr_pool: Vec<Vec<Attr>>,
    value_pool: Vec<Vec<Value>>,
    event_pool: Vec<Vec<Event>>,
    link_pool: Vec<Vec<Link>>,
    /// `arrayValue`/`kvlistValue` levels around the value being read.
    depth: usize,
    /// Messages read as protobuf and as OTLP JSON (framed by the Collector).
    pub proto_messages: usize,
    pub json_messages: usize,
}

/// Input bytes per span and per distinct string on the low side of what SDK exports take; used
/// only to pre-size.
const BYTES_PER_SPAN: usize = 512;
const BYTES_PER_DISTINCT_STRING: usize = 256;

impl Decoder {
    /// A decoder for about `share` bytes of input.
    pub fn new(path: &str, share: usize) -> Self {
        let mut ds = Dataset::new();
        ds.spans.reserve(share / BYTES_PER_SPAN);
        ds.strings = crate::model::Interner::with_capacity(share / BYTES_PER_DISTINCT_STRING, share / 16);
        let syms = Syms::new(&mut ds);
        Self {
            ds,
            file: FileInfo::new(path, Format::OtlpProto),
            syms,
            offsets: Vec::new(),
            attr_pool: Vec::new(),
            value_pool: Vec::new(),
            event_pool: Vec::new(),
            link_pool: Vec::new(),
            depth: 0,
            proto_messages: 0,
            json_messages: 0,
        }
    }

    pub fn skip(&mut self, at: usize, message: impl FnOnce() -> String) {
        if self.file.keeps(true) {
            self.file.skip(Location::Offset(at as u64), message());
        } else {
            self.file.skipped += 1;
        }
    }

    pub fn warn(&mut self, at: usize, message: impl FnOnce() -> String) {
        if self.file.keeps(false) {
            self.file.warn(Location::Offset(at as u64), message());
        }
    }

    /// A record cut by the end of the input (or by a corrupt length): one skipped record,
    /// after what it held was kept.
    fn cut(&mut self, what: &str, e: &WireError) {
        self.skip(e.at, || cut_message(what, e));
    }

    /// A `TracesData` / `ExportTraceServiceRequest` message (`buf` starts at `base`). `cut`: the
    /// message is the part of a record the input ended in (a problem at its end is that cut,
    /// which the caller reports).
    pub fn traces_data(&mut self, buf: &[u8], base: usize, cut: bool) {
        self.proto_messages += 1;
        let (records, problem) = super::split(buf, base);
        for (bytes, at) in records {
            self.resource_spans(bytes, at, false);
        }
        if let Some((e, partial)) = problem {
            if let Some((bytes, at)) = partial {
                self.resource_spans(bytes, at, true);
            }
            if !cut {
                self.cut("TracesData", &e);
            }
        }
    }

    /// One `ResourceSpans`: its resource, then every scope's spans.
    pub fn resource_spans(&mut self, buf: &[u8], base: usize, cut: bool) {
        let first_span = self.ds.spans.len();
        let mut attrs = self.attr_pool.pop().unwrap_or_default();
        let mut fields = Fields::new(buf, base);
        loop {
            let at = fields.offset();
            match fields.next_field() {
                Ok(None) => break,
                Ok(Some((1, p))) => {
                    if let Err(f) = len("resource", p, at).and_then(|(b, o)| self.resource(b, o, &mut attrs))
                    {
                        self.warn(f.at, || format!("resource: {}; kept the rest of it", f.message));
                    }
                }
                // 1000: `instrumentation_library_spans` before proto v0.19, the same shape.
                Ok(Some((2 | 1000, p))) => match len("scopeSpans", p, at) {
                    Ok((b, o)) => self.scope_spans(b, o, false),
                    Err(f) => self.skip(f.at, || f.message),
                },
                Ok(Some(_)) => {}
                Err((e, partial)) => {
                    if let Some(Truncated { field: 2 | 1000, partial, at }) = partial {
                        self.scope_spans(partial, at, true);
                    }
                    if !cut {
                        self.cut("resourceSpans", &e);
                    }
                    break;
                }
            }
        }
        // The resource can come after its spans, so spans learn it only now.
        let slice = self.ds.add_attrs(&attrs);
        attrs.clear();
        self.attr_pool.push(attrs);
        let resource = self.ds.add_resource(slice);
        let service = service_of(&self.ds, &self.syms, slice);
        for span in self.ds.spans.get_mut(first_span..).unwrap_or_default() {
            span.resource = resource;
            span.service = service;
        }
    }

    /// `Resource`: its attributes (field 1) go to `attrs`; the rest is not kept.
    fn resource(&mut self, buf: &[u8], base: usize, attrs: &mut Vec<Attr>) -> Faulty<()> {
        let mut fields = Fields::new(buf, base);
        while let Some((n, p, at)) = next(&mut fields)? {
            if n == 1 {
                let (b, o) = len("resource.attributes", p, at)?;
                attrs.push(self.key_value(b, o)?);
            }
        }
        Ok(())
    }

    /// One `ScopeSpans`: its scope and spans.
    fn scope_spans(&mut self, buf: &[u8], base: usize, cut: bool) {
        let first_span = self.ds.spans.len();
        let mut scope = None;
        let mut fields = Fields::new(buf, base);
        loop {
            let at = fields.offset();
            match fields.next_field() {
                Ok(None) => break,
                Ok(Some((1, p))) => match len("scope", p, at).and_then(|(b, o)| self.scope(b, o)) {
                    Ok(s) => scope = Some(s),
                    Err(f) => {
                        scope = Some(Scope::default());
                        self.warn(f.at, || format!("scope: {}; kept the rest of it", f.message));
                    }
                },
                Ok(Some((2, p))) => match len("span", p, at) {
                    Ok((b, o)) => self.span(b, o, at),
                    Err(f) => self.skip(f.at, || format!("span skipped: {}", f.message)),
                },
                Ok(Some(_)) => {}
                Err((e, partial)) => {
                    if !cut {
                        let what = if partial.is_some_and(|t| t.field == 2) { "span" } else { "scopeSpans" };
                        self.cut(what, &e);
                    }
                    break;
                }
            }
        }
        if let Some(scope) = scope {
            let idx = self.ds.add_scope(scope);
            for span in self.ds.spans.get_mut(first_span..).unwrap_or_default() {
                span.scope = idx;
            }
        }
    }

    /// `InstrumentationScope`: name, version, attributes (several `scope` records merge).
    fn scope(&mut self, buf: &[u8], base: usize) -> Faulty<Scope> {
        let mut scope = Scope::default();
        let mut attrs = self.attr_pool.pop().unwrap_or_default();
        let mut fields = Fields::new(buf, base);
        let read = (|| -> Faulty<()> {
            while let Some((n, p, at)) = next(&mut fields)? {
                match n {
                    1 => scope.name = Some(self.text_field("scope.name", p, at)?),
                    2 => scope.version = Some(self.text_field("scope.version", p, at)?),
                    3 => {
                        let (b, o) = len("scope.attributes", p, at)?;
                        attrs.push(self.key_value(b, o)?);
                    }
                    _ => {}
                }
            }
            Ok(())
        })();
        scope.attrs = self.ds.add_attrs(&attrs);
        attrs.clear();
        self.attr_pool.push(attrs);
        let empty = self.syms.empty;
        scope.name = scope.name.filter(|&n| n != empty);
        scope.version = scope.version.filter(|&v| v != empty);
        read.map(|()| scope)
    }

    /// One `Span` record at `tag` (the offset its warnings point at); skipped as a whole if
    /// anything in it is wrong.
    fn span(&mut self, buf: &[u8], base: usize, tag: usize) {
        let marks = (self.ds.attr_mark(), self.ds.events.len(), self.ds.links.len());
        let mut attrs = self.attr_pool.pop().unwrap_or_default();
        let mut events = self.event_pool.pop().unwrap_or_default();
        let mut links = self.link_pool.pop().unwrap_or_default();
        let mut raw = RawSpan::default();
        let read = self.span_fields(buf, base, &mut raw, &mut attrs, &mut events, &mut links);
        let ids = read.and_then(|()| span_ids(&raw).map_err(|message| Fault { at: tag, message }));
        let stored = ids.map(|ids| {
            (ids, self.ds.add_attrs(&attrs), self.ds.add_events(&events), self.ds.add_links(&links))
        });
        attrs.clear();
        events.clear();
        links.clear();
        self.attr_pool.push(attrs);
        self.event_pool.push(events);
        self.link_pool.push(links);
        let name = raw.name.unwrap_or(self.syms.empty);
        let ((trace_id, span_id), attrs, events, links) = match stored {
            Ok(stored) => stored,
            Err(f) => {
                self.ds.rollback_attrs(marks.0);
                self.ds.events.truncate(marks.1);
                self.ds.links.truncate(marks.2);
                let text = self.ds.str(name).to_owned();
                // `{:?}` quotes the name and escapes any control characters in it.
                self.skip(f.at, || format!("span {text:?} skipped: {}", f.message));
                return;
            }
        };
        let parent_id = match raw.parent_id {
            None | Some([]) => SpanId(0),
            Some(bytes) => match check_id(bytes, 8) {
                Ok(p) => SpanId(p as u64),
                Err(e) => {
                    self.warn(tag, || format!("parentSpanId: {e}; the span is shown as a root"));
                    SpanId(0)
                }
            },
        };
        let parts = SpanParts {
            trace_id,
            span_id,
            parent_id,
            start: raw.start,
            end: raw.end,
            name,
            kind: raw.kind,
            status: raw.status.code(),
            status_message: raw.status.message,
            trace_state: raw.trace_state,
            w3c_flags: raw.w3c_flags,
            attrs,
            events,
            links,
        };
        if let Some(repair) = store_span(&mut self.ds, &self.syms, parts) {
            self.warn(tag, || repair);
        }
        self.offsets.push(tag);
    }

    fn span_fields<'a>(
        &mut self,
        buf: &'a [u8],
        base: usize,
        raw: &mut RawSpan<'a>,
        attrs: &mut Vec<Attr>,
        events: &mut Vec<Event>,
        links: &mut Vec<Link>,
    ) -> Faulty<()> {
        let mut fields = Fields::new(buf, base);
        while let Some((n, p, at)) = next(&mut fields)? {
            match n {
                1 => raw.trace_id = Some(len("traceId", p, at)?.0),
                2 => raw.span_id = Some(len("spanId", p, at)?.0),
                3 => raw.trace_state = Some(self.text_field("traceState", p, at)?),
                4 => raw.parent_id = Some(len("parentSpanId", p, at)?.0),
                5 => raw.name = Some(self.text_field("name", p, at)?),
                6 => raw.kind = SpanKind::from_otlp(varint("kind", p, at)? as i64),
                7 => raw.start = fixed64("startTimeUnixNano", p, at)?,
                8 => raw.end = fixed64("endTimeUnixNano", p, at)?,
                9 => {
                    let (b, o) = len("attributes", p, at)?;
                    attrs.push(self.key_value(b, o)?);
                }
                11 => {
                    let (b, o) = len("events", p, at)?;
                    events.push(self.event(b, o)?);
                }
                13 => {
                    let (b, o) = len("links", p, at)?;
                    if let Some(link) = self.link(b, o, at)? {
                        links.push(link);
                    }
                }
                15 => {
                    let (b, o) = len("status", p, at)?;
                    self.status(b, o, &mut raw.status)?;
                }
                16 => raw.w3c_flags = fixed32("flags", p, at)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn status(&mut self, buf: &[u8], base: usize, out: &mut StatusOut) -> Faulty<()> {
        let mut fields = Fields::new(buf, base);
        while let Some((n, p, at)) = next(&mut fields)? {
            match n {
                1 => out.deprecated_error = varint("status.deprecatedCode", p, at)? != 0,
                2 => out.message = Some(self.text_field("status.message", p, at)?),
                // An enum is an int32 varint: a negative one is sign-extended to 64 bits.
                3 => out.code = Some(status_from_number(i128::from(varint("status.code", p, at)? as i64))),
                _ => {}
            }
        }
        Ok(())
    }

    fn event(&mut self, buf: &[u8], base: usize) -> Faulty<Event> {
        let (mut time, mut name) = (0, self.syms.empty);
        let mut attrs = self.attr_pool.pop().unwrap_or_default();
        let mut fields = Fields::new(buf, base);
        let read = (|| -> Faulty<()> {
            while let Some((n, p, at)) = next(&mut fields)? {
                match n {
                    1 => time = fixed64("events[].timeUnixNano", p, at)?,
                    2 => name = self.text_field("events[].name", p, at)?,
                    3 => {
                        let (b, o) = len("events[].attributes", p, at)?;
                        attrs.push(self.key_value(b, o)?);
                    }
                    _ => {}
                }
            }
            Ok(())
        })();
        let slice = self.ds.add_attrs(&attrs);
        attrs.clear();
        self.attr_pool.push(attrs);
        read.map(|()| Event { time, name, attrs: slice })
    }

    /// One `Span.Link`; `None` (with a warning) when its ids are invalid, as in OTLP JSON.
    fn link(&mut self, buf: &[u8], base: usize, tag: usize) -> Faulty<Option<Link>> {
        let mark = self.ds.attr_mark();
        let (mut trace, mut span, mut trace_state, mut flags) = (None, None, None, 0);
        let mut attrs = self.attr_pool.pop().unwrap_or_default();
        let mut fields = Fields::new(buf, base);
        let read = (|| -> Faulty<()> {
            while let Some((n, p, at)) = next(&mut fields)? {
                match n {
                    1 => trace = Some(len("links[].traceId", p, at)?.0),
                    2 => span = Some(len("links[].spanId", p, at)?.0),
                    3 => trace_state = Some(self.text_field("links[].traceState", p, at)?),
                    4 => {
                        let (b, o) = len("links[].attributes", p, at)?;
                        attrs.push(self.key_value(b, o)?);
                    }
                    6 => flags = fixed32("links[].flags", p, at)?,
                    _ => {}
                }
            }
            Ok(())
        })();
        let slice = self.ds.add_attrs(&attrs);
        attrs.clear();
        self.attr_pool.push(attrs);
        read?;
        let kind = link_kind(&self.ds, &self.syms, slice);
        let id = |bytes: Option<&[u8]>, want: usize| check_id(bytes.unwrap_or_default(), want);
        let (trace, span) = match (id(trace, 16), id(span, 8)) {
            (Ok(t), Ok(s)) => (t, s),
            // Span pointers name a resource, and their ids are often zero or made up.
            (t, s) if kind == crate::model::LinkKind::Pointer => (t.unwrap_or(0), s.unwrap_or(0)),
            (Err(e), _) => return Ok(self.drop_link(mark, tag, "traceId", &e)),
            (_, Err(e)) => return Ok(self.drop_link(mark, tag, "spanId", &e)),
        };
        Ok(Some(Link {
            trace_id: TraceId(trace),
            span_id: SpanId(span as u64),
            trace_state: trace_state.filter(|&s| s != self.syms.empty),
            flags,
            kind,
            attrs: slice,
        }))
    }

    fn drop_link(&mut self, mark: AttrMark, tag: usize, which: &str, e: &str) -> Option<Link> {
        self.ds.rollback_attrs(mark);
        self.warn(tag, || format!("link dropped: {which}: {e}"));
        None
    }

    /// `KeyValue`: key and `AnyValue` (absent = empty).
    fn key_value(&mut self, buf: &[u8], base: usize) -> Faulty<Attr> {
        let (mut key, mut value) = (self.syms.empty, Value::Empty);
        let mut fields = Fields::new(buf, base);
        while let Some((n, p, at)) = next(&mut fields)? {
            match n {
                1 => key = self.text_field("key", p, at)?,
                2 => {
                    let (b, o) = len("value", p, at)?;
                    value = self.any_value(b, o)?;
                }
                _ => {}
            }
        }
        Ok(Attr { key, value })
    }

    /// `AnyValue`; arrays and maps are added to the arenas before the value that holds them.
    /// Bytes are kept as their base64 text, as OTLP JSON carries them.
    fn any_value(&mut self, buf: &[u8], base: usize) -> Faulty<Value> {
        let mut value = Value::Empty;
        let mut fields = Fields::new(buf, base);
        while let Some((n, p, at)) = next(&mut fields)? {
            value = match n {
                1 => Value::Str(self.text_field("stringValue", p, at)?),
                2 => Value::Bool(varint("boolValue", p, at)? != 0),
                3 => Value::Int(varint("intValue", p, at)? as i64),
                4 => Value::Double(f64::from_bits(fixed64("doubleValue", p, at)?)),
                5 | 6 if self.depth >= MAX_VALUE_NESTING => {
                    return Err(Fault {
                        at,
                        message: format!(
                            "value: arrayValue/kvlistValue nested more than {MAX_VALUE_NESTING} levels deep"
                        ),
                    });
                }
                5 | 6 => {
                    let (b, o) = len(if n == 5 { "arrayValue" } else { "kvlistValue" }, p, at)?;
                    self.depth += 1;
                    let v = if n == 5 { self.array(b, o) } else { self.kvlist(b, o) };
                    self.depth -= 1;
                    v?
                }
                7 => {
                    let (b, _) = len("bytesValue", p, at)?;
                    let text = base64::engine::general_purpose::STANDARD.encode(b);
                    Value::Bytes(self.ds.intern(&text))
                }
                // 8 is profiles' `string_value_strindex`: empty in traces, as in OTLP JSON.
                8 => Value::Empty,
                _ => continue,
            };
        }
        Ok(value)
    }

    /// `ArrayValue`: `values` (field 1), each an `AnyValue`.
    fn array(&mut self, buf: &[u8], base: usize) -> Faulty<Value> {
        let mut values = self.value_pool.pop().unwrap_or_default();
        let mut fields = Fields::new(buf, base);
        let read = (|| -> Faulty<()> {
            while let Some((n, p, at)) = next(&mut fields)? {
                if n == 1 {
                    let (b, o) = len("arrayValue.values", p, at)?;
                    values.push(self.any_value(b, o)?);
                }
            }
            Ok(())
        })();
        let value = self.ds.add_array(&values);
        values.clear();
        self.value_pool.push(values);
        read.map(|()| value)
    }

    /// `KeyValueList`: `values` (field 1), each a `KeyValue`.
    fn kvlist(&mut self, buf: &[u8], base: usize) -> Faulty<Value> {
        let mut attrs = self.attr_pool.pop().unwrap_or_default();
        let mut fields = Fields::new(buf, base);
        let read = (|| -> Faulty<()> {
            while let Some((n, p, at)) = next(&mut fields)? {
                if n == 1 {
                    let (b, o) = len("kvlistValue.values", p, at)?;
                    attrs.push(self.key_value(b, o)?);
                }
            }
            Ok(())
        })();
        let slice = self.ds.add_attrs(&attrs);
        attrs.clear();
        self.attr_pool.push(attrs);
        read.map(|()| Value::Map(slice))
    }

    /// A `string` field, interned. Go producers do not check UTF-8 (FORMATS.md §8.4), so a
    /// string that is not valid UTF-8 is kept with U+FFFD in place of the bad bytes, and noted.
    /// Only bytes the interner has not seen are checked: a repeated key or value (most of them)
    /// was valid the first time.
    fn text_field(&mut self, name: &str, p: Payload<'_>, at: usize) -> Faulty<Sym> {
        let (bytes, base) = len(name, p, at)?;
        Ok(match self.ds.strings.get_or_intern_checked(bytes) {
            Some(sym) => sym,
            None => {
                self.warn(base, || format!("{name}: not valid UTF-8; shown with U+FFFD for the bad bytes"));
                let s = String::from_utf8_lossy(bytes);
                self.ds.intern(&s)
            }
        })
    }
}
