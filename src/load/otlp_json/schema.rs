//! The OTLP JSON schema as visitors: document → resourceSpans → scopeSpans → spans, and each
//! span's status, events and links, and the attributes (KeyValue lists, AnyValue) they all hold.

use super::*;

/// A top-level document or a wrapper around one (`result`, `trace`).
pub(super) struct Doc;

pub(super) enum DocField {
    ResourceSpans,
    ResourceLogs,
    ResourceMetrics,
    Wrapper(&'static str),
    Error,
    Other,
}

impl<'a> Body<'a> for Doc {
    type Out = ();
    const EXPECTED: &'static str = "an object with resourceSpans";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            // `batches`: Tempo's /api/traces (FORMATS.md §5.2).
            "resourceSpans" | "resource_spans" | "batches" => DocField::ResourceSpans,
            // The other signals one Collector file exporter may write beside traces: logs are
            // read, metrics counted.
            "resourceLogs" | "resource_logs" => DocField::ResourceLogs,
            "resourceMetrics" | "resource_metrics" => DocField::ResourceMetrics,
            // `result`: Jaeger api_v3; `trace`: Tempo /api/v2/traces.
            "result" => DocField::Wrapper("result"),
            "trace" => DocField::Wrapper("trace"),
            "error" => DocField::Error,
            _ => DocField::Other,
        })? {
            let at = cx.last_key;
            match f {
                DocField::ResourceSpans => {
                    cx.recognised = true;
                    read(&mut map, cx, "resourceSpans", ResourceSpansList)?;
                }
                DocField::ResourceLogs => {
                    cx.recognised = true;
                    read(&mut map, cx, "resourceLogs", logs::ResourceLogsList)?;
                }
                DocField::ResourceMetrics => {
                    let n = signals::count_metrics(&mut map)?;
                    cx.signals.add(OtherSignals { metrics: n, log_records: 0 });
                }
                DocField::Wrapper(name) => read(&mut map, cx, name, Doc)?,
                DocField::Error => {
                    let message = read(&mut map, cx, "error", ApiError)?;
                    cx.fault = None;
                    if let Some(m) = message {
                        let text = cx.sink.ds.str(m).to_owned();
                        cx.warn_at(at, |_| format!("error response: {text}"));
                        cx.api_error = Some(text);
                    }
                }
                DocField::Other => ignore(&mut map)?,
            }
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(at, |_| format!("{fault}; its spans were skipped"));
            }
        }
        Ok(())
    }
}

/// Jaeger api_v3's `{"error": {"httpCode": 404, "message": "…"}}`: keeps the message.
pub(super) struct ApiError;

impl<'a> Body<'a> for ApiError {
    type Out = Option<Sym>;
    const EXPECTED: &'static str = "an error object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Sym>, A::Error> {
        let mut message = None;
        while let Some(is_message) = next_key(&mut map, cx, |k| k == "message")? {
            if is_message {
                message = read(&mut map, cx, "message", Text)?;
            } else {
                ignore(&mut map)?;
            }
        }
        Ok(message)
    }
}

pub(super) struct ResourceSpansList;

impl<'a> Body<'a> for ResourceSpansList {
    type Out = ();
    const EXPECTED: &'static str = "an array";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Lenient { cx: &mut *cx, field: "resourceSpans[]", body: ResourceSpans })?
            .is_some()
        {
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| fault);
            }
            if !cx.ticker.step(cx.last_key, cx.sink.ds.spans.len()) {
                // Unwinds the parse; `read_documents` sees the cancellation and stops.
                return Err(de::Error::custom("loading cancelled"));
            }
        }
        Ok(())
    }
}

pub(super) struct ResourceSpans;

pub(super) enum ResourceSpansField {
    Resource,
    ScopeSpans,
    Other,
}

impl<'a> Body<'a> for ResourceSpans {
    type Out = ();
    const EXPECTED: &'static str = "a resourceSpans object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        let first_span = cx.sink.ds.spans.len();
        let mut attrs = Slice::default();
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "resource" => ResourceSpansField::Resource,
            // Before proto v0.15 spans were grouped by `instrumentationLibrary` (FORMATS.md §1.1);
            // the Collector also reads `deprecatedScopeSpans`.
            "scopeSpans"
            | "scope_spans"
            | "instrumentationLibrarySpans"
            | "instrumentation_library_spans"
            | "deprecatedScopeSpans"
            | "deprecated_scope_spans" => ResourceSpansField::ScopeSpans,
            _ => ResourceSpansField::Other,
        })? {
            let at = cx.last_key;
            match f {
                ResourceSpansField::Resource => {
                    attrs = read(&mut map, cx, "resource", Resource)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.warn_at(at, |_| format!("resource: {fault}; kept the rest of it"));
                    }
                }
                ResourceSpansField::ScopeSpans => {
                    read(&mut map, cx, "scopeSpans", ScopeSpansList)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.skip_at(at, |_| format!("{fault}; its spans were skipped"));
                    }
                }
                ResourceSpansField::Other => ignore(&mut map)?,
            }
        }
        // The resource can come after its spans in the object, so spans learn it only now.
        let resource = cx.sink.ds.add_resource(attrs);
        let service = cx.service_of(attrs);
        for span in cx.sink.ds.spans.get_mut(first_span..).unwrap_or_default() {
            span.resource = resource;
            span.service = service;
        }
        Ok(())
    }
}

/// `resource` → its attributes.
pub(super) struct Resource;

impl<'a> Body<'a> for Resource {
    type Out = Slice;
    const EXPECTED: &'static str = "an object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<Slice, A::Error> {
        let mut attrs = Slice::default();
        while let Some(is_attrs) = next_key(&mut map, cx, |k| k == "attributes")? {
            if is_attrs {
                attrs = read(&mut map, cx, "attributes", AttrList)?;
            } else {
                ignore(&mut map)?;
            }
        }
        Ok(attrs)
    }
}

pub(super) struct ScopeSpansList;

impl<'a> Body<'a> for ScopeSpansList {
    type Out = ();
    const EXPECTED: &'static str = "an array";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Lenient { cx: &mut *cx, field: "scopeSpans[]", body: ScopeSpans })?
            .is_some()
        {
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| fault);
            }
        }
        Ok(())
    }
}

pub(super) struct ScopeSpans;

pub(super) enum ScopeSpansField {
    Scope,
    Spans,
    Other,
}

impl<'a> Body<'a> for ScopeSpans {
    type Out = ();
    const EXPECTED: &'static str = "a scopeSpans object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        let first_span = cx.sink.ds.spans.len();
        let mut scope = None;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "scope" | "instrumentationLibrary" | "instrumentation_library" => ScopeSpansField::Scope,
            "spans" => ScopeSpansField::Spans,
            _ => ScopeSpansField::Other,
        })? {
            let at = cx.last_key;
            match f {
                ScopeSpansField::Scope => {
                    scope = read(&mut map, cx, "scope", ScopeBody)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.warn_at(at, |_| format!("scope: {fault}; kept the rest of it"));
                    }
                }
                ScopeSpansField::Spans => {
                    read(&mut map, cx, "spans", SpanList)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.skip_at(at, |_| format!("{fault}; its spans were skipped"));
                    }
                }
                ScopeSpansField::Other => ignore(&mut map)?,
            }
        }
        if let Some(scope) = scope {
            let idx: ScopeIdx = cx.sink.ds.add_scope(scope);
            for span in cx.sink.ds.spans.get_mut(first_span..).unwrap_or_default() {
                span.scope = idx;
            }
        }
        Ok(())
    }
}

/// `scope` (or the old `instrumentationLibrary`): name, version, attributes.
pub(super) struct ScopeBody;

impl<'a> Body<'a> for ScopeBody {
    type Out = Option<Scope>;
    const EXPECTED: &'static str = "an object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Scope>, A::Error> {
        let mut scope = Scope::default();
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "name" => 0u8,
            "version" => 1,
            "attributes" => 2,
            _ => 3,
        })? {
            match f {
                0 => scope.name = read(&mut map, cx, "scope.name", Text)?,
                1 => scope.version = read(&mut map, cx, "scope.version", Text)?,
                2 => scope.attrs = read(&mut map, cx, "scope.attributes", AttrList)?,
                _ => ignore(&mut map)?,
            }
        }
        let empty = cx.syms.empty;
        scope.name = scope.name.filter(|&n| n != empty);
        scope.version = scope.version.filter(|&v| v != empty);
        Ok(Some(scope))
    }
}

pub(super) struct SpanList;

impl<'a> Body<'a> for SpanList {
    type Out = ();
    const EXPECTED: &'static str = "an array of spans";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Lenient { cx: &mut *cx, field: "span", body: SpanBody })?.is_some() {
            // Only a span that is not an object gets here with a fault; others took theirs.
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| format!("span skipped: {fault}"));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Span and its parts

/// A span's fields as read, before validation.
#[derive(Default)]
pub(super) struct RawSpan {
    pub(super) trace_id: IdOut,
    pub(super) span_id: IdOut,
    pub(super) parent_id: IdOut,
    pub(super) trace_state: Option<Sym>,
    pub(super) flags: u32,
    pub(super) name: Option<Sym>,
    pub(super) kind: SpanKind,
    pub(super) start: Option<u64>,
    pub(super) end: Option<u64>,
    pub(super) attrs: Slice,
    pub(super) events: Slice,
    pub(super) links: Slice,
    pub(super) status: StatusOut,
}

#[derive(Clone, Copy, Default)]
pub(super) struct StatusOut {
    pub(super) code: StatusCode,
    pub(super) message: Option<Sym>,
}

pub(super) enum SpanField {
    TraceId,
    SpanId,
    ParentSpanId,
    TraceState,
    Flags,
    Name,
    Kind,
    Start,
    End,
    Attributes,
    Events,
    Links,
    Status,
    Other,
}

pub(super) fn span_field(k: &str) -> SpanField {
    match k {
        "traceId" | "trace_id" => SpanField::TraceId,
        "spanId" | "span_id" => SpanField::SpanId,
        "parentSpanId" | "parent_span_id" => SpanField::ParentSpanId,
        "traceState" | "trace_state" => SpanField::TraceState,
        "flags" => SpanField::Flags,
        "name" => SpanField::Name,
        "kind" => SpanField::Kind,
        "startTimeUnixNano" | "start_time_unix_nano" => SpanField::Start,
        "endTimeUnixNano" | "end_time_unix_nano" => SpanField::End,
        "attributes" => SpanField::Attributes,
        "events" => SpanField::Events,
        "links" => SpanField::Links,
        "status" => SpanField::Status,
        _ => SpanField::Other,
    }
}

pub(super) struct SpanBody;

impl<'a> Body<'a> for SpanBody {
    type Out = ();
    const EXPECTED: &'static str = "a span object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        let marks = cx.arena_marks();
        // Until the first key is read, the best known position is the key before the span.
        let mut at = cx.last_key;
        let mut first = true;
        let mut raw = RawSpan::default();
        while let Some(f) = next_key(&mut map, cx, span_field)? {
            if first {
                at = cx.last_key;
                first = false;
            }
            match f {
                SpanField::TraceId => raw.trace_id = read(&mut map, cx, "traceId", Id(16))?,
                SpanField::SpanId => raw.span_id = read(&mut map, cx, "spanId", Id(8))?,
                SpanField::ParentSpanId => raw.parent_id = read(&mut map, cx, "parentSpanId", Id(8))?,
                SpanField::TraceState => raw.trace_state = read(&mut map, cx, "traceState", Text)?,
                SpanField::Flags => raw.flags = read(&mut map, cx, "flags", Fixed32)?,
                SpanField::Name => raw.name = read(&mut map, cx, "name", Text)?,
                SpanField::Kind => raw.kind = read(&mut map, cx, "kind", Kind)?,
                SpanField::Start => raw.start = read(&mut map, cx, "startTimeUnixNano", Fixed64)?,
                SpanField::End => raw.end = read(&mut map, cx, "endTimeUnixNano", Fixed64)?,
                SpanField::Attributes => raw.attrs = read(&mut map, cx, "attributes", AttrList)?,
                SpanField::Events => raw.events = read(&mut map, cx, "events", EventList)?,
                SpanField::Links => raw.links = read(&mut map, cx, "links", LinkList)?,
                SpanField::Status => raw.status = read(&mut map, cx, "status", Status)?,
                SpanField::Other => ignore(&mut map)?,
            }
        }
        cx.finish_span(raw, at, marks);
        Ok(())
    }
}

/// `status`: `code` (number or `STATUS_CODE_*` name), `message`, and the pre-v0.12
/// `deprecatedCode`, which counts only when `code` is absent: then any non-zero value is an error.
pub(super) struct Status;

impl<'a> Body<'a> for Status {
    type Out = StatusOut;
    const EXPECTED: &'static str = "a status object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<StatusOut, A::Error> {
        let mut code = None;
        let mut deprecated = None;
        let mut message = None;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "code" => 0u8,
            "message" => 1,
            "deprecatedCode" | "deprecated_code" => 2,
            _ => 3,
        })? {
            match f {
                0 => code = read(&mut map, cx, "status.code", StatusCodeBody)?,
                1 => message = read(&mut map, cx, "status.message", Text)?,
                2 => deprecated = read(&mut map, cx, "status.deprecatedCode", DeprecatedCode)?,
                _ => ignore(&mut map)?,
            }
        }
        let code = match (code, deprecated) {
            (Some(c), _) => c,
            (None, Some(true)) => StatusCode::Error,
            (None, _) => StatusCode::Unset,
        };
        Ok(StatusOut { code, message })
    }
}

pub(super) struct EventList;

impl<'a> Body<'a> for EventList {
    type Out = Slice;
    const EXPECTED: &'static str = "an array of events";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<Slice, A::Error> {
        let mut events = std::mem::take(&mut cx.events);
        while let Some(e) =
            seq.next_element_seed(Lenient { cx: &mut *cx, field: "events[]", body: EventBody })?
        {
            events.extend(e);
        }
        let slice = cx.sink.ds.add_events(&events);
        events.clear();
        cx.events = events;
        Ok(slice)
    }
}

pub(super) struct EventBody;

impl<'a> Body<'a> for EventBody {
    type Out = Option<Event>;
    const EXPECTED: &'static str = "an event object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Event>, A::Error> {
        let (mut time, mut name, mut attrs) = (None, None, Slice::default());
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "timeUnixNano" | "time_unix_nano" => 0u8,
            "name" => 1,
            "attributes" => 2,
            _ => 3,
        })? {
            match f {
                0 => time = read(&mut map, cx, "events[].timeUnixNano", Fixed64)?,
                1 => name = read(&mut map, cx, "events[].name", Text)?,
                2 => attrs = read(&mut map, cx, "events[].attributes", AttrList)?,
                _ => ignore(&mut map)?,
            }
        }
        Ok(Some(Event { time: time.unwrap_or(0), name: name.unwrap_or(cx.syms.empty), attrs }))
    }
}

pub(super) struct LinkList;

impl<'a> Body<'a> for LinkList {
    type Out = Slice;
    const EXPECTED: &'static str = "an array of links";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<Slice, A::Error> {
        let mut links = std::mem::take(&mut cx.links);
        while let Some(l) =
            seq.next_element_seed(Lenient { cx: &mut *cx, field: "links[]", body: LinkBody })?
        {
            links.extend(l);
        }
        let slice = cx.sink.ds.add_links(&links);
        links.clear();
        cx.links = links;
        Ok(slice)
    }
}

pub(super) struct LinkBody;

impl<'a> Body<'a> for LinkBody {
    type Out = Option<Link>;
    const EXPECTED: &'static str = "a link object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Link>, A::Error> {
        let marks = cx.arena_marks();
        let (mut trace, mut span, mut trace_state, mut flags, mut attrs) =
            (IdOut::Missing, IdOut::Missing, None, 0u32, Slice::default());
        let mut at = cx.last_key;
        let mut first = true;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "traceId" | "trace_id" => 0u8,
            "spanId" | "span_id" => 1,
            "traceState" | "trace_state" => 2,
            "flags" => 3,
            "attributes" => 4,
            _ => 5,
        })? {
            if first {
                at = cx.last_key;
                first = false;
            }
            match f {
                0 => trace = read(&mut map, cx, "links[].traceId", Id(16))?,
                1 => span = read(&mut map, cx, "links[].spanId", Id(8))?,
                2 => trace_state = read(&mut map, cx, "links[].traceState", Text)?,
                3 => flags = read(&mut map, cx, "links[].flags", Fixed32)?,
                4 => attrs = read(&mut map, cx, "links[].attributes", AttrList)?,
                _ => ignore(&mut map)?,
            }
        }
        let start = object_start(cx.sink.input, at);
        let kind = link_kind(&cx.sink.ds, &cx.syms, attrs);
        let id = |out: IdOut| match out {
            IdOut::Ok(v, b64) => Ok((v, b64)),
            IdOut::Missing => Err(IdError::Empty),
            IdOut::Bad(e) => Err(e),
        };
        let (trace, span) = match (id(trace), id(span)) {
            (Ok(t), Ok(s)) => (t, s),
            // Span pointers name a resource, and their ids are often zero or made up.
            (t, s) if kind == LinkKind::Pointer => (t.unwrap_or((0, false)), s.unwrap_or((0, false))),
            (t, s) => {
                let which = if t.is_err() { "traceId" } else { "spanId" };
                let e = t.err().or(s.err()).unwrap_or(IdError::Empty);
                cx.truncate_arenas(marks);
                cx.warn_at(start, |_| format!("link dropped: {which}: {e}"));
                return Ok(None);
            }
        };
        if trace.1 || span.1 {
            cx.note_base64(start);
        }
        Ok(Some(Link {
            trace_id: TraceId(trace.0),
            span_id: SpanId(u64::try_from(span.0).unwrap_or(0)),
            trace_state: trace_state.filter(|&s| s != cx.syms.empty),
            flags,
            kind,
            attrs,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Attributes: KeyValue lists and AnyValue

pub(super) struct AttrList;

impl<'a> Body<'a> for AttrList {
    type Out = Slice;
    const EXPECTED: &'static str = "an array of {key, value}";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut seq: A,
    ) -> Result<Slice, A::Error> {
        // Nested kvlists need their own buffer while the outer one is being filled.
        let mut buf = cx.attr_pool.pop().unwrap_or_default();
        while let Some(kv) = seq.next_element_seed(Lenient { cx: &mut *cx, field, body: KeyValue })? {
            buf.extend(kv);
        }
        let slice = cx.sink.ds.add_attrs(&buf);
        buf.clear();
        cx.attr_pool.push(buf);
        Ok(slice)
    }
}

pub(super) struct KeyValue;

impl<'a> Body<'a> for KeyValue {
    type Out = Option<Attr>;
    const EXPECTED: &'static str = "a {key, value} object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Attr>, A::Error> {
        let (mut key, mut value) = (None, None);
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "key" => 0u8,
            "value" => 1,
            _ => 2,
        })? {
            match f {
                0 => key = read(&mut map, cx, "key", Text)?,
                1 => value = read(&mut map, cx, "value", AnyValue)?,
                _ => ignore(&mut map)?,
            }
        }
        Ok(Some(Attr { key: key.unwrap_or(cx.syms.empty), value: value.unwrap_or(Value::Empty) }))
    }
}

/// One `AnyValue` object; `{}` (and unknown kinds such as profiles' `stringValueStrindex`) are
/// `Value::Empty`. Arrays and maps are added to the arenas before the value that holds them.
pub(super) struct AnyValue;

/// Nested `arrayValue`/`kvlistValue` levels read before the rest is skipped as a fault. Each level
/// costs serde_json three or four of its 128 recursion levels, and hitting that limit would fail
/// the whole document; past this bound the value is skipped without recursion (`IgnoredAny`), so
/// only its span is lost.
pub(crate) const MAX_VALUE_NESTING: usize = 24;

pub(super) enum AnyField {
    Str,
    Bool,
    Int,
    Double,
    Bytes,
    Array,
    Kvlist,
    Other,
}

impl<'a> Body<'a> for AnyValue {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an AnyValue object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut value = Value::Empty;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "stringValue" | "string_value" => AnyField::Str,
            "boolValue" | "bool_value" => AnyField::Bool,
            "intValue" | "int_value" => AnyField::Int,
            "doubleValue" | "double_value" => AnyField::Double,
            "bytesValue" | "bytes_value" => AnyField::Bytes,
            "arrayValue" | "array_value" => AnyField::Array,
            "kvlistValue" | "kvlist_value" => AnyField::Kvlist,
            _ => AnyField::Other,
        })? {
            let v = match f {
                AnyField::Str => read(&mut map, cx, "stringValue", Text)?.map(Value::Str),
                AnyField::Bool => read(&mut map, cx, "boolValue", Bool)?.map(Value::Bool),
                AnyField::Int => read(&mut map, cx, "intValue", Int64)?.map(Value::Int),
                AnyField::Double => read(&mut map, cx, "doubleValue", Double)?.map(Value::Double),
                // Kept as its base64 text, which is how every format carries bytes.
                AnyField::Bytes => read(&mut map, cx, "bytesValue", Text)?.map(Value::Bytes),
                AnyField::Array | AnyField::Kvlist if cx.value_depth >= MAX_VALUE_NESTING => {
                    if cx.fault.is_none() {
                        cx.fault = Some(format!(
                            "value: arrayValue/kvlistValue nested more than {MAX_VALUE_NESTING} levels deep"
                        ));
                    }
                    ignore(&mut map)?;
                    continue;
                }
                AnyField::Array | AnyField::Kvlist => {
                    // Restored before `?`, so a broken document cannot leave the depth raised.
                    cx.value_depth += 1;
                    let v = if matches!(f, AnyField::Array) {
                        read(&mut map, cx, "arrayValue", ValuesOf(ArrayValues))
                    } else {
                        read(&mut map, cx, "kvlistValue", ValuesOf(KvlistValues))
                    };
                    cx.value_depth -= 1;
                    v?
                }
                AnyField::Other => {
                    ignore(&mut map)?;
                    continue;
                }
            };
            value = v.unwrap_or(Value::Empty);
        }
        Ok(Some(value))
    }
}

/// `arrayValue` and `kvlistValue` are both `{"values": [...]}`; `V` reads the list.
pub(super) struct ValuesOf<V>(V);
#[derive(Clone, Copy)]
pub(super) struct ArrayValues;
#[derive(Clone, Copy)]
pub(super) struct KvlistValues;

/// The value of a list kind when `values` is absent (`{}` is an empty list).
pub(super) trait EmptyList {
    fn empty(self, cx: &mut Ctx<'_>) -> Value;
}

impl EmptyList for ArrayValues {
    fn empty(self, cx: &mut Ctx<'_>) -> Value {
        cx.sink.ds.add_array(&[])
    }
}

impl EmptyList for KvlistValues {
    fn empty(self, cx: &mut Ctx<'_>) -> Value {
        Value::Map(cx.sink.ds.add_attrs(&[]))
    }
}

impl<'a, V: Body<'a, Out = Option<Value>> + EmptyList + Copy> Body<'a> for ValuesOf<V> {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "a {values: [...]} object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut map: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut value = None;
        while let Some(is_values) = next_key(&mut map, cx, |k| k == "values")? {
            if is_values {
                value = read(&mut map, cx, field, self.0)?;
            } else {
                ignore(&mut map)?;
            }
        }
        Ok(Some(value.unwrap_or_else(|| self.0.empty(cx))))
    }
}

impl<'a> Body<'a> for ArrayValues {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an array of AnyValue";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut seq: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut buf = cx.value_pool.pop().unwrap_or_default();
        while let Some(v) =
            seq.next_element_seed(Lenient { cx: &mut *cx, field: "arrayValue", body: AnyValue })?
        {
            buf.push(v.unwrap_or(Value::Empty));
        }
        let value = cx.sink.ds.add_array(&buf);
        buf.clear();
        cx.value_pool.push(buf);
        Ok(Some(value))
    }
}

impl<'a> Body<'a> for KvlistValues {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an array of {key, value}";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        seq: A,
    ) -> Result<Option<Value>, A::Error> {
        AttrList.seq(cx, "kvlistValue", seq).map(|s| Some(Value::Map(s)))
    }
}
