//! One Jaeger span: its wire structs, and the `Parser` that maps a trace's spans, processes,
//! tags, references and logs into the dataset, in two passes or (`read_trace`) one.

use super::*;

#[derive(Deserialize)]
pub(super) struct WireSpan<'a> {
    #[serde(rename = "traceID", default, borrow)]
    pub(super) trace_id: Option<Str<'a>>,
    #[serde(rename = "spanID", default, borrow)]
    pub(super) span_id: Option<Str<'a>>,
    /// Only in the embedded-process form; references take priority.
    #[serde(rename = "parentSpanID", default, borrow)]
    pub(super) parent_span_id: Option<Str<'a>>,
    #[serde(default)]
    pub(super) flags: Option<u32>,
    #[serde(rename = "operationName", default, borrow)]
    pub(super) operation_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub(super) references: Option<Vec<WireRef<'a>>>,
    /// µs since the epoch.
    #[serde(rename = "startTime", default)]
    pub(super) start_time: Option<u64>,
    /// µs.
    #[serde(default)]
    pub(super) duration: Option<u64>,
    #[serde(default, borrow)]
    pub(super) tags: Option<Vec<WireKv<'a>>>,
    /// Elevated tags of an Elasticsearch/OpenSearch document (`tags_as_fields`): `{key: value}`
    /// with `.` in keys written as `@`.
    #[serde(default, borrow)]
    pub(super) tag: Option<Entries<'a, &'a RawValue>>,
    #[serde(default, borrow)]
    pub(super) logs: Option<Vec<WireLog<'a>>>,
    #[serde(rename = "processID", default, borrow)]
    pub(super) process_id: Option<Str<'a>>,
    /// Kept raw: identical embedded processes share one resource, keyed by their text.
    #[serde(default, borrow)]
    pub(super) process: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub(super) warnings: Option<Vec<Str<'a>>>,
}

#[derive(Deserialize)]
pub(super) struct WireRef<'a> {
    #[serde(rename = "refType", default, borrow)]
    pub(super) ref_type: Option<Str<'a>>,
    #[serde(rename = "traceID", default, borrow)]
    pub(super) trace_id: Option<Str<'a>>,
    #[serde(rename = "spanID", default, borrow)]
    pub(super) span_id: Option<Str<'a>>,
}

/// A typed tag. `value` stays raw so that writers who disagree with `type` are read leniently.
#[derive(Deserialize)]
pub(super) struct WireKv<'a> {
    #[serde(borrow)]
    pub(super) key: Str<'a>,
    #[serde(rename = "type", default, borrow)]
    pub(super) ty: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub(super) value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct WireLog<'a> {
    #[serde(default)]
    pub(super) timestamp: Option<u64>,
    #[serde(default, borrow)]
    pub(super) fields: Option<Vec<WireKv<'a>>>,
}

#[derive(Deserialize)]
pub(super) struct WireProcess<'a> {
    #[serde(rename = "serviceName", default, borrow)]
    pub(super) service_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    pub(super) tags: Option<Vec<WireKv<'a>>>,
    /// Elevated process tags, as the span's `tag`.
    #[serde(default, borrow)]
    pub(super) tag: Option<Entries<'a, &'a RawValue>>,
}

/// A resolved process: the service name and the resource it became.
#[derive(Clone, Copy)]
pub(super) struct Proc {
    pub(super) service: Sym,
    pub(super) resource: ResourceIdx,
}

/// What a span's tags say besides its attributes.
#[derive(Default)]
pub(super) struct SpanTags {
    pub(super) kind: SpanKind,
    pub(super) error: bool,
    pub(super) otel: OtelTags,
    pub(super) attrs: Slice,
}

/// What spans of one trace share: its processes and its `warnings`.
#[derive(Default)]
pub(super) struct TraceCtx<'a> {
    pub(super) procs: FxHashMap<&'a str, Proc>,
    /// Owned process ids (ids that contained JSON escapes), rare.
    pub(super) owned_procs: FxHashMap<String, Proc>,
    pub(super) warnings: Vec<Sym>,
}

pub(super) struct Parser<'a> {
    pub(super) cx: Sink<'a>,
    /// Embedded processes already turned into resources, per trace, keyed by their JSON text.
    pub(super) procs: FxHashMap<(TraceId, &'a str), Proc>,
}

impl<'a> Parser<'a> {
    /// A parser for `share` bytes of `input` (all of it, or one part of a parallel parse).
    pub(super) fn new(input: &'a [u8], path: &str, share: usize) -> Self {
        Self { cx: Sink::with_share(input, path, FORMAT, share), procs: FxHashMap::default() }
    }

    /// The traces of one part of `data`, with their indices there, reporting each to `ticker`
    /// and, once done, everything up to `until`.
    pub(super) fn add_traces<'t>(
        &mut self,
        traces: impl IntoIterator<Item = &'t (usize, Option<TraceProbe<'a>>)>,
        ticker: &mut Ticker<'_>,
        until: usize,
    ) where
        'a: 't,
    {
        for (i, t) in traces {
            match t {
                Some(probe) => {
                    let end = trace_end(self.cx.input, probe);
                    self.add_trace(probe, &format!("data[{i}]"));
                    if let Some(end) = end
                        && !ticker.step(end, self.cx.ds.spans.len())
                    {
                        return;
                    }
                }
                None => self
                    .cx
                    .file
                    .skip(Location::Unknown, format!("data[{i}]: skipped: a trace must be a JSON object")),
            }
        }
        ticker.step(until, self.cx.ds.spans.len());
    }

    pub(super) fn add_trace(&mut self, probe: &TraceProbe<'a>, label: &str) {
        let tcx = self.trace_ctx(probe.processes, probe.warnings, label);
        match &probe.spans {
            Some(RawList::Items(spans)) => {
                for &raw in spans {
                    self.add_span(raw, &tcx);
                }
            }
            Some(RawList::NotArray) => self
                .cx
                .file
                .skip(Location::Unknown, format!("{label}: trace skipped: `spans` is not an array")),
            None => {}
        }
    }

    /// What the spans of a trace share: its `processes` and `warnings` (raw), read and noted.
    pub(super) fn trace_ctx(
        &mut self,
        processes: Option<&'a RawValue>,
        warnings: Option<&'a RawValue>,
        label: &str,
    ) -> TraceCtx<'a> {
        let mut tcx = TraceCtx::default();
        if let Some(raw) = processes {
            match serde_json::from_str::<Option<Entries<'a, &'a RawValue>>>(raw.get()) {
                Ok(entries) => {
                    for (id, praw) in entries.map(|e| e.0).unwrap_or_default() {
                        let Some(proc) = self.process(praw) else { continue };
                        match id.0 {
                            std::borrow::Cow::Borrowed(b) => tcx.procs.insert(b, proc),
                            std::borrow::Cow::Owned(o) => tcx.owned_procs.insert(o, proc),
                        };
                    }
                }
                Err(e) => {
                    let at = self.cx.error_offset(raw.get(), &e);
                    self.cx.warn_at(at, |_| {
                        format!("{label}.processes ignored: {}", crate::load::error::json_message(&e))
                    });
                }
            }
        }
        if let Some(raw) = warnings {
            match serde_json::from_str::<Option<Vec<Str<'a>>>>(raw.get()) {
                Ok(list) => {
                    for w in list.unwrap_or_default() {
                        let sym = self.cx.sym(&w);
                        tcx.warnings.push(sym);
                    }
                }
                Err(e) => {
                    let at = self.cx.error_offset(raw.get(), &e);
                    self.cx.warn_at(at, |_| {
                        format!("{label}.warnings ignored: {}", crate::load::error::json_message(&e))
                    });
                }
            }
        }
        tcx
    }

    /// Turns a process object into a service and a resource; `None` (with a warning) if malformed.
    pub(super) fn process(&mut self, raw: &'a RawValue) -> Option<Proc> {
        let wp: WireProcess<'a> = match serde_json::from_str(raw.get()) {
            Ok(p) => p,
            Err(e) => {
                let at = self.cx.error_offset(raw.get(), &e);
                self.cx.warn_at(at, |_| format!("process ignored: {}", crate::load::error::json_message(&e)));
                return None;
            }
        };
        let service = match &wp.service_name {
            Some(s) if !s.is_empty() => self.cx.sym(s),
            _ => self.cx.intern(UNKNOWN_SERVICE),
        };
        let key = self.cx.intern(SERVICE_NAME_KEY);
        let mut attrs = vec![Attr { key, value: Value::Str(service) }];
        for kv in wp.tags.iter().flatten() {
            let key = self.cx.sym(&kv.key);
            let value = self.tag_value(kv);
            attrs.push(Attr { key, value });
        }
        for (key, value) in self.elevated(wp.tag.as_ref()) {
            let key = self.cx.intern(&key);
            attrs.push(Attr { key, value });
        }
        let slice = self.cx.ds.add_attrs(&attrs);
        Some(Proc { service, resource: self.cx.ds.add_resource(slice) })
    }

    /// Converts a tag's raw value by its declared `type`, leniently (FORMATS.md §2.2).
    pub(super) fn tag_value(&mut self, kv: &WireKv<'a>) -> Value {
        let sc = kv.value.map_or(Scalar::Null, scalar);
        let ty = kv.ty.as_deref().unwrap_or("");
        match sc {
            Scalar::Str(s) => {
                if ty.eq_ignore_ascii_case("binary") {
                    return Value::Bytes(self.cx.sym(&s));
                }
                if ty.eq_ignore_ascii_case("int64") {
                    if let Ok(n) = s.trim().parse::<i64>() {
                        return Value::Int(n);
                    }
                } else if ty.eq_ignore_ascii_case("float64") {
                    if let Ok(x) = s.trim().parse::<f64>() {
                        return Value::Double(x);
                    }
                } else if ty.eq_ignore_ascii_case("bool") {
                    if s.eq_ignore_ascii_case("true") {
                        return Value::Bool(true);
                    } else if s.eq_ignore_ascii_case("false") {
                        return Value::Bool(false);
                    }
                }
                Value::Str(self.cx.sym(&s))
            }
            other => self.cx.plain_value(other, ty.eq_ignore_ascii_case("float64")),
        }
    }

    pub(super) fn add_span(&mut self, raw: &'a RawValue, tcx: &TraceCtx<'a>) {
        self.add_span_text(raw.get(), tcx);
    }

    /// Loads the span whose JSON text (borrowed from the input) is `span_at`.
    pub(super) fn add_span_text(&mut self, span_at: &'a str, tcx: &TraceCtx<'a>) {
        let ws: WireSpan<'a> = match serde_json::from_str(span_at) {
            Ok(s) => s,
            Err(e) => {
                let at = self.cx.error_offset(span_at, &e);
                self.cx.skip_at(at, |_| format!("span skipped: {}", crate::load::error::json_message(&e)));
                return;
            }
        };
        self.add_wire_span(ws, span_at, tcx);
    }

    /// Loads a span read from `span_at`, its text (for locating warnings: a line:col is
    /// computed only when reported).
    pub(super) fn add_wire_span(&mut self, ws: WireSpan<'a>, span_at: &'a str, tcx: &TraceCtx<'a>) {
        let Some(trace_id) = self.cx.trace_id(ws.trace_id.as_ref(), "traceID", span_at) else { return };
        let Some(span_id) = self.cx.span_id(ws.span_id.as_ref(), "spanID", span_at) else { return };

        let (mut parent_id, links) =
            self.references(ws.references.as_deref().unwrap_or(&[]), trace_id, span_at);
        if parent_id.is_zero()
            && let Some(p) = &ws.parent_span_id
        {
            match SpanId::from_hex(p) {
                Ok(id) => parent_id = id,
                Err(e) => {
                    let at = self.cx.str_offset(p, span_at);
                    self.cx.warn_at(at, |_| format!("parentSpanID \"{}\" ignored: {e}", preview(p)));
                }
            }
        }
        let (start, end) = self.cx.times_us(ws.start_time, ws.duration, span_at);
        let (service, resource) = self.service(&ws, tcx, trace_id, span_at);
        let tags = self.tags(&ws, tcx);
        let events = self.events(ws.logs.as_deref().unwrap_or(&[]), span_at);
        let scope = tags.otel.scope(&mut self.cx);
        let name = self.cx.sym_or_empty(ws.operation_name.as_ref());

        let mut span = Span::new(trace_id, span_id, parent_id, start, end, name, service);
        span.kind = tags.kind;
        // `error=true` wins over `otel.status_code` (FORMATS.md §2.5).
        span.status =
            if tags.error { StatusCode::Error } else { tags.otel.status.unwrap_or(StatusCode::Unset) };
        span.status_message = tags.otel.status_message;
        span.trace_state = tags.otel.trace_state;
        span.w3c_flags = ws.flags.unwrap_or(0);
        span.resource = resource;
        span.scope = scope;
        span.attrs = tags.attrs;
        span.events = events;
        span.links = self.cx.ds.add_links(&links);
        self.cx.ds.spans.push(span);
    }

    /// The parent from the references (the first same-trace CHILD_OF, else the first same-trace
    /// reference; `SpanId(0)` if none) and every other reference as a link, including a second
    /// reference to the parent. References with unusable ids are dropped with a warning.
    pub(super) fn references(
        &mut self,
        refs: &[WireRef<'a>],
        trace_id: TraceId,
        span_at: &str,
    ) -> (SpanId, Vec<Link>) {
        let mut links: Vec<Link> = Vec::with_capacity(refs.len());
        for r in refs {
            let rt = r.trace_id.as_ref().map_or(Ok(trace_id), |t| TraceId::from_hex(t));
            let rs = r.span_id.as_ref().map_or(Err(IdError::Empty), |s| SpanId::from_hex(s));
            let (Ok(rt), Ok(rs)) = (rt, rs) else {
                self.bad_reference(r, span_at);
                continue;
            };
            if rt.is_zero() || rs.is_zero() {
                self.bad_reference(r, span_at);
                continue;
            }
            let ty = r.ref_type.as_deref().unwrap_or("");
            let kind = if ty.eq_ignore_ascii_case("CHILD_OF") {
                LinkKind::ChildOf
            } else if ty.eq_ignore_ascii_case("FOLLOWS_FROM") {
                LinkKind::FollowsFrom
            } else {
                LinkKind::Link
            };
            links.push(Link {
                trace_id: rt,
                span_id: rs,
                trace_state: None,
                flags: 0,
                kind,
                attrs: Slice::default(),
            });
        }
        let same_trace = |i: &usize| links[*i].trace_id == trace_id;
        let parent = (0..links.len())
            .filter(same_trace)
            .find(|&i| links[i].kind == LinkKind::ChildOf)
            .or_else(|| (0..links.len()).find(same_trace));
        match parent {
            Some(i) => (links.remove(i).span_id, links),
            None => (SpanId(0), links),
        }
    }

    pub(super) fn bad_reference(&mut self, r: &WireRef<'a>, span_at: &str) {
        let at = match &r.span_id {
            Some(s) => self.cx.str_offset(s, span_at),
            None => self.cx.text_offset(span_at),
        };
        let shown = format!(
            "{}/{}",
            preview(r.trace_id.as_deref().unwrap_or("")),
            preview(r.span_id.as_deref().unwrap_or(""))
        );
        self.cx.warn_at(at, |_| format!("reference to {shown} dropped: bad trace or span id"));
    }

    /// The span's service and resource: its `processID` in the trace's `processes`, else its
    /// embedded `process`, else `unknown_service` with a warning.
    pub(super) fn service(
        &mut self,
        ws: &WireSpan<'a>,
        tcx: &TraceCtx<'a>,
        trace_id: TraceId,
        span_at: &str,
    ) -> (Sym, ResourceIdx) {
        let proc = match ws.process_id.as_ref().and_then(|id| tcx.get(id)) {
            Some(p) => Some(p),
            None => ws.process.and_then(|praw| self.embedded_process(trace_id, praw)),
        };
        if let Some(p) = proc {
            return (p.service, p.resource);
        }
        let why = match &ws.process_id {
            Some(id) => format!("process \"{}\" not found", preview(id)),
            None => "span has no process".to_owned(),
        };
        let at = self.cx.text_offset(span_at);
        self.cx.warn_at(at, |_| format!("{why}; service set to {UNKNOWN_SERVICE}"));
        (self.cx.intern(UNKNOWN_SERVICE), ResourceIdx::default())
    }

    /// Tags → attributes, minus those that map to span fields; plus the `warnings`.
    pub(super) fn tags(&mut self, ws: &WireSpan<'a>, tcx: &TraceCtx<'a>) -> SpanTags {
        let mut out = SpanTags::default();
        let mut attrs = std::mem::take(&mut self.cx.attrs);
        attrs.clear();
        for kv in ws.tags.iter().flatten() {
            let value = self.tag_value(kv);
            if !self.take_tag(&mut out, &kv.key, value) {
                let key = self.cx.sym(&kv.key);
                attrs.push(Attr { key, value });
            }
        }
        for (key, value) in self.elevated(ws.tag.as_ref()) {
            if !self.take_tag(&mut out, &key, value) {
                let key = self.cx.intern(&key);
                attrs.push(Attr { key, value });
            }
        }
        // Span warnings first, then the trace's.
        let own = ws.warnings.as_deref().unwrap_or(&[]);
        if !own.is_empty() || !tcx.warnings.is_empty() {
            let mut values: Vec<Value> = Vec::with_capacity(own.len() + tcx.warnings.len());
            for w in own {
                values.push(Value::Str(self.cx.sym(w)));
            }
            values.extend(tcx.warnings.iter().map(|&s| Value::Str(s)));
            let key = self.cx.intern(WARNINGS_KEY);
            let value = self.cx.ds.add_array(&values);
            attrs.push(Attr { key, value });
        }
        out.attrs = self.cx.ds.add_attrs(&attrs);
        self.cx.attrs = attrs;
        out
    }

    /// Whether a tag is one that maps to a span field (kind, error, OTel status, scope, trace
    /// state), which it then sets; otherwise it is an attribute.
    fn take_tag(&mut self, out: &mut SpanTags, key: &str, value: Value) -> bool {
        match (key, value) {
            ("span.kind", Value::Str(s)) => match SpanKind::from_name(self.cx.ds.str(s)) {
                Some(k) => {
                    out.kind = k;
                    true
                }
                None => false,
            },
            // A bool, or the string "true"/"false" that older writers use.
            ("error", Value::Bool(b)) => {
                out.error |= b;
                true
            }
            ("error", Value::Str(s)) => match self.cx.ds.str(s).parse::<bool>() {
                Ok(b) => {
                    out.error |= b;
                    true
                }
                Err(_) => false,
            },
            // `take` keeps the tag when it is one of OTel's.
            (key, Value::Str(s)) => out.otel.take(key, s, self.cx.ds.str(s)),
            _ => false,
        }
    }

    /// The elevated tags of a storage document (`tag` / `process.tag`): keys with Elasticsearch's
    /// `@` back to `.` (a key that held a real `@` cannot be told apart), values typed by their
    /// JSON type, as Jaeger's reader does.
    fn elevated(&mut self, tag: Option<&Entries<'a, &'a RawValue>>) -> Vec<(String, Value)> {
        let Some(tag) = tag else { return Vec::new() };
        tag.0.iter().map(|(k, raw)| (k.replace('@', "."), self.cx.plain_value(scalar(raw), false))).collect()
    }

    pub(super) fn embedded_process(&mut self, trace_id: TraceId, raw: &'a RawValue) -> Option<Proc> {
        let key = (trace_id, raw.get());
        if let Some(&p) = self.procs.get(&key) {
            return Some(p);
        }
        let p = self.process(raw)?;
        self.procs.insert(key, p);
        Some(p)
    }

    /// Logs → events: name from the field `event`, else `message`, else "log"; other fields are
    /// the event's attributes.
    pub(super) fn events(&mut self, logs: &[WireLog<'a>], span_at: &str) -> Slice {
        if logs.is_empty() {
            return Default::default();
        }
        let mut events = Vec::with_capacity(logs.len());
        for log in logs {
            let fields = log.fields.as_deref().unwrap_or(&[]);
            let is_text = |kv: &WireKv| kv.value.is_some_and(|v| v.get().starts_with('"'));
            let name_at = fields
                .iter()
                .position(|kv| &*kv.key == "event" && is_text(kv))
                .or_else(|| fields.iter().position(|kv| &*kv.key == "message" && is_text(kv)));
            let mut name = None;
            let mut attrs = Vec::with_capacity(fields.len());
            for (i, kv) in fields.iter().enumerate() {
                let value = self.tag_value(kv);
                if Some(i) == name_at
                    && let Value::Str(s) = value
                {
                    name = Some(s);
                    continue;
                }
                let key = self.cx.sym(&kv.key);
                attrs.push(Attr { key, value });
            }
            let name = name.unwrap_or_else(|| self.cx.intern("log"));
            let time = self.cx.time_us(log.timestamp, span_at);
            events.push(Event { time, name, attrs: self.cx.ds.add_attrs(&attrs) });
        }
        self.cx.ds.add_events(&events)
    }
}

/// How reading a trace in one pass (`Parser::read_trace`) went.
pub(super) enum OnePass {
    /// Loaded; the trace ends here.
    Done(usize),
    /// Nothing loaded: read the trace the two-pass way (it is not a plain trace object).
    Declined,
    /// Not well-formed JSON, or an oddity met after spans were loaded: the run cannot go on.
    Broken,
}

/// A span of a trace read in one pass, waiting for the trace's `processes` and `warnings`
/// (at most `MAX_PENDING` per trace).
// Kept unboxed: one `Vec` per trace holds them, where a box would cost an allocation per span.
#[allow(clippy::large_enum_variant)]
pub(super) enum Pending<'a> {
    Typed(WireSpan<'a>, &'a str),
    /// Text only: a span with wrong-typed fields (it is read again, and skipped with its reason).
    Text(&'a str),
}

/// Typed spans kept per trace until its processes are known (Jaeger writes `spans` before
/// `processes`); further ones keep only their text and are read again, so memory stays bounded
/// in a giant trace.
pub(super) const MAX_PENDING: usize = 4096;

impl<'a> Parser<'a> {
    /// Reads the trace object at `text[pos..until]` in one pass: each span goes straight into its
    /// wire struct instead of being cut out raw first, and is loaded exactly as `add_trace`
    /// would load it (same order of strings, notes and spans).
    pub(super) fn read_trace(&mut self, text: &'a str, pos: usize, until: usize, label: &str) -> OnePass {
        let b = text.as_bytes();
        if b.get(pos) != Some(&b'{') {
            return OnePass::Declined;
        }
        // `None` until the key is met.
        let (mut processes, mut warnings): (Option<&'a RawValue>, Option<&'a RawValue>) = (None, None);
        let mut spans_seen = false;
        let mut pending: Vec<Pending<'a>> = Vec::new();
        // The spans past `MAX_PENDING`, as text (16 bytes each, where a `Pending` is ~300).
        let mut later: Vec<&'a str> = Vec::new();
        // Set once spans are loaded as they come (`processes` and `warnings` came first); after
        // that nothing can be undone, so an oddity breaks the run instead of declining.
        let mut tcx: Option<TraceCtx<'a>> = None;
        let mut at = json::skip_whitespace(b, pos + 1);
        if b.get(at) == Some(&b'}') {
            return OnePass::Declined;
        }
        loop {
            let stop = |loaded: bool| if loaded { OnePass::Broken } else { OnePass::Declined };
            let Some((key, end)) = json::value_at::<Str<'a>>(text, at, until) else {
                return stop(tcx.is_some());
            };
            at = json::skip_whitespace(b, end);
            if b.get(at) != Some(&b':') {
                return stop(tcx.is_some());
            }
            at = json::skip_whitespace(b, at + 1);
            match &*key {
                "spans" => {
                    if spans_seen || b.get(at) != Some(&b'[') {
                        return stop(tcx.is_some());
                    }
                    spans_seen = true;
                    if let (Some(p), Some(w)) = (processes, warnings) {
                        tcx = Some(self.trace_ctx(Some(p), Some(w), label));
                    }
                    at = json::skip_whitespace(b, at + 1);
                    if b.get(at) == Some(&b']') {
                        at += 1;
                    } else {
                        loop {
                            // Only objects: serde would also read a struct from an array.
                            let typed = match b.get(at) {
                                Some(b'{') => json::value_at::<WireSpan<'a>>(text, at, until),
                                _ => None,
                            };
                            let (item, end) = match typed {
                                Some((ws, end)) => {
                                    (Pending::Typed(ws, text.get(at..end).unwrap_or_default()), end)
                                }
                                None => match json::value_at::<&'a RawValue>(text, at, until) {
                                    Some((raw, end)) => (Pending::Text(raw.get()), end),
                                    None => return OnePass::Broken,
                                },
                            };
                            match &tcx {
                                Some(t) => self.add_pending(item, t),
                                None if pending.len() < MAX_PENDING => pending.push(item),
                                None => later.push(text.get(at..end).unwrap_or_default()),
                            }
                            at = json::skip_whitespace(b, end);
                            match b.get(at) {
                                Some(b',') => at = json::skip_whitespace(b, at + 1),
                                Some(b']') => {
                                    at += 1;
                                    break;
                                }
                                _ => return OnePass::Broken,
                            }
                        }
                    }
                }
                "processes" | "warnings" => {
                    let slot = if &*key == "processes" { &mut processes } else { &mut warnings };
                    if slot.is_some() {
                        return stop(tcx.is_some());
                    }
                    let Some((raw, end)) = json::value_at::<&'a RawValue>(text, at, until) else {
                        return OnePass::Broken;
                    };
                    *slot = Some(raw);
                    at = end;
                }
                _ => {
                    let Some((IgnoredAny, end)) = json::value_at::<IgnoredAny>(text, at, until) else {
                        return OnePass::Broken;
                    };
                    at = end;
                }
            }
            at = json::skip_whitespace(b, at);
            match b.get(at) {
                Some(b',') => at = json::skip_whitespace(b, at + 1),
                Some(b'}') => break,
                _ => return stop(tcx.is_some()),
            }
        }
        let tcx = match tcx {
            Some(t) => t,
            None => self.trace_ctx(processes, warnings, label),
        };
        for item in pending {
            self.add_pending(item, &tcx);
        }
        for span_at in later {
            self.add_span_text(span_at, &tcx);
        }
        OnePass::Done(at + 1)
    }

    pub(super) fn add_pending(&mut self, item: Pending<'a>, tcx: &TraceCtx<'a>) {
        match item {
            Pending::Typed(ws, span_at) => self.add_wire_span(ws, span_at, tcx),
            Pending::Text(span_at) => self.add_span_text(span_at, tcx),
        }
    }
}

impl TraceCtx<'_> {
    pub(super) fn get(&self, id: &Str<'_>) -> Option<Proc> {
        self.procs.get(&**id).or_else(|| self.owned_procs.get(&**id)).copied()
    }
}
