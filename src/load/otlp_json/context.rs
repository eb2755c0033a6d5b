//! The state the OTLP JSON visitors share (`Ctx`): the sink being filled, marks to roll a broken
//! document back, span validation.

use super::*;

/// Interned strings the loader compares against, looked up once per file. Shared with the
/// OTLP protobuf reader, which maps the same messages the same way.
pub(crate) struct Syms {
    pub(crate) empty: Sym,
    pub(super) service_name: Sym,
    pub(crate) unknown_service: Sym,
    pub(super) link_kind: Sym,
    pub(super) dd_kind: Sym,
    pub(super) span_pointer: Sym,
}

impl Syms {
    pub(crate) fn new(ds: &mut Dataset) -> Self {
        Self {
            empty: ds.intern(""),
            service_name: ds.intern(crate::model::SERVICE_NAME_KEY),
            unknown_service: ds.intern(crate::model::UNKNOWN_SERVICE),
            link_kind: ds.intern("link.kind"),
            dd_kind: ds.intern("dd.kind"),
            span_pointer: ds.intern("span-pointer"),
        }
    }
}

/// Everything the visitors share: the dataset being filled, the file's warnings and scratch space.
pub(super) struct Ctx<'a> {
    pub(super) sink: Sink<'a>,
    pub(super) syms: Syms,
    /// Byte offset of the most recent object key borrowed from the input: records are located by
    /// their first key, which costs one store per key instead of tracking positions.
    pub(super) last_key: usize,
    /// The first structural problem met inside the record being read; its owner takes it.
    pub(super) fault: Option<String>,
    /// Byte offset (first key) of each span in `ds.spans`, for duplicate warnings.
    pub(super) offsets: Vec<usize>,
    pub(super) attr_pool: Vec<Vec<Attr>>,
    pub(super) value_pool: Vec<Vec<Value>>,
    pub(super) events: Vec<Event>,
    pub(super) links: Vec<Link>,
    pub(super) base64_warned: bool,
    /// A document had `resourceSpans` (or a wrapper of it): the file is OTLP even if empty.
    pub(super) recognised: bool,
    /// Metrics and log records in the file's other documents.
    pub(super) signals: OtherSignals,
    /// The message of a Jaeger api_v3 `{"error": …}` response, if one was read.
    pub(super) api_error: Option<String>,
    pub(super) ticker: Ticker<'a>,
    /// `input[text.0..]` as text, as far as it was checked to be UTF-8 (see `check_text`).
    pub(super) text: Option<(usize, &'a str)>,
    /// How many `arrayValue`/`kvlistValue` levels enclose the value being read (see `AnyValue`).
    pub(super) value_depth: usize,
}

/// Input bytes per span, per attribute and per distinct string, on the low side of what
/// OTLP JSON exports take (gentrace: about 1200, 110 and 630); used only to pre-size.
const SIZING: Sizing = Sizing { per_span: 2048, per_attr: 160, per_distinct_string: 512, per_string_byte: 8 };

pub(super) const BASE64_NOTE: &str =
    "ids are base64, not hex (Tempo or pre-2021 OTLP JSON); decoded them as base64";

/// Lengths to cut everything back to when a document turns out to be broken.
#[derive(Clone, Copy)]
pub(super) struct Marks {
    pub(super) arena: ArenaMarks,
    pub(super) spans: usize,
    pub(super) resources: usize,
    pub(super) scopes: usize,
    pub(super) skipped: usize,
    pub(super) warnings: usize,
    pub(super) base64_warned: bool,
}

/// Lengths of the per-span arenas, to drop a skipped span's attributes, events and links.
#[derive(Clone, Copy)]
pub(super) struct ArenaMarks {
    pub(super) attrs: AttrMark,
    pub(super) events: usize,
    pub(super) links: usize,
}

impl<'a> Ctx<'a> {
    /// A context for parsing about `share` bytes of `input` (all of it, or one chunk).
    pub(super) fn new(input: &'a [u8], path: &str, job: &Job<'a>, share: usize) -> Self {
        let mut sink = Sink::new(input, path, Format::OtlpJson, Positions::Lines, share, &SIZING);
        let syms = Syms::new(&mut sink.ds);
        Self {
            sink,
            syms,
            last_key: 0,
            fault: None,
            offsets: Vec::new(),
            attr_pool: Vec::new(),
            value_pool: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            base64_warned: false,
            recognised: false,
            signals: OtherSignals::default(),
            api_error: None,
            ticker: Ticker::for_job(job, 0),
            text: None,
            value_depth: 0,
        }
    }

    /// Checks `input[from..until]` for UTF-8 in one SIMD pass; if it is, strings in it are read
    /// without serde_json checking each one again.
    pub(super) fn check_text(&mut self, from: usize, until: usize) {
        self.text = self
            .sink
            .input
            .get(from..until)
            .and_then(|bytes| simdutf8::basic::from_utf8(bytes).ok())
            .map(|text| (from, text));
    }

    /// `input[pos..end]` as text, when that range was checked.
    pub(super) fn text_range(&self, pos: usize, end: usize) -> Option<&'a str> {
        let (base, text) = self.text?;
        text.get(pos.checked_sub(base)?..end.checked_sub(base)?)
    }

    /// Takes in the next chunk's context (chunks are absorbed in file order).
    pub(super) fn absorb(&mut self, next: Ctx<'a>) {
        let Ctx {
            sink: Sink { ds, file, .. }, offsets, base64_warned, recognised, api_error, signals, ..
        } = next;
        self.sink.ds.append(ds);
        self.offsets.extend(offsets);
        self.sink.file.skipped += file.skipped;
        // A sequential pass notes base64 ids once per file, at the first.
        let repeat = self.base64_warned && base64_warned;
        for w in file.warnings {
            if repeat && w.message == BASE64_NOTE {
                continue;
            }
            self.sink.file.extend_warnings([w]);
        }
        self.base64_warned |= base64_warned;
        self.recognised |= recognised;
        self.signals.add(signals);
        if api_error.is_some() {
            self.api_error = api_error;
        }
    }

    pub(super) fn arena_marks(&self) -> ArenaMarks {
        ArenaMarks {
            attrs: self.sink.ds.attr_mark(),
            events: self.sink.ds.events.len(),
            links: self.sink.ds.links.len(),
        }
    }

    pub(super) fn truncate_arenas(&mut self, m: ArenaMarks) {
        self.sink.ds.rollback_attrs(m.attrs);
        self.sink.ds.events.truncate(m.events);
        self.sink.ds.links.truncate(m.links);
    }

    pub(super) fn marks(&self) -> Marks {
        Marks {
            arena: self.arena_marks(),
            spans: self.sink.ds.spans.len(),
            resources: self.sink.ds.resources.len(),
            scopes: self.sink.ds.scopes.len(),
            skipped: self.sink.file.skipped,
            warnings: self.sink.file.warnings.len(),
            base64_warned: self.base64_warned,
        }
    }

    /// Forgets everything a broken document added, so it counts as one skipped record.
    pub(super) fn rollback(&mut self, m: Marks) {
        self.truncate_arenas(m.arena);
        self.sink.ds.spans.truncate(m.spans);
        self.offsets.truncate(m.spans);
        self.sink.ds.resources.truncate(m.resources);
        self.sink.ds.scopes.truncate(m.scopes);
        self.sink.file.skipped = m.skipped;
        self.sink.file.warnings.truncate(m.warnings);
        self.base64_warned = m.base64_warned;
        self.fault = None;
    }

    pub(super) fn fault(&mut self, field: &str, expected: &str, found: Found<'_>) {
        if self.fault.is_none() {
            self.fault = Some(format!("{field}: expected {expected}, found {found}"));
        }
    }

    pub(super) fn skip_at(&mut self, offset: usize, message: impl FnOnce(&Sink<'a>) -> String) {
        self.sink.skip_at(offset, message);
    }

    pub(super) fn warn_at(&mut self, offset: usize, message: impl FnOnce(&Sink<'a>) -> String) {
        self.sink.warn_at(offset, message);
    }

    pub(super) fn note_base64(&mut self, offset: usize) {
        if !self.base64_warned {
            self.base64_warned = true;
            self.warn_at(offset, |_| BASE64_NOTE.to_owned());
        }
    }

    /// serde_json's line:col is relative to the document's slice; make it relative to the file.
    pub(super) fn json_error_location(&self, doc_start: usize, err: &serde_json::Error) -> Location {
        // serde_json says column 0 for an error met at a newline; columns here count from 1.
        let (line, column) = (err.line(), err.column().max(1));
        if line == 0 {
            return Location::Unknown;
        }
        match self.sink.locate(doc_start) {
            Location::Line { line: base_line, column: base_column } if line == 1 => Location::Line {
                line: base_line,
                column: base_column.saturating_add(column).saturating_sub(1),
            },
            Location::Line { line: base_line, .. } => {
                Location::Line { line: base_line.saturating_add(line - 1), column }
            }
            other => other,
        }
    }

    /// Interns a string borrowed from the input.
    #[inline]
    pub(super) fn intern(&mut self, s: &'a str) -> Sym {
        self.sink.ds.intern(s)
    }

    /// `service.name` from a resource's attributes (see `service_of`).
    pub(super) fn service_of(&self, attrs: Slice) -> Sym {
        service_of(&self.sink.ds, &self.syms, attrs)
    }

    /// Validates and stores one span read by `SpanBody`, or skips it with its location.
    pub(super) fn finish_span(&mut self, raw: RawSpan, at: usize, marks: ArenaMarks) {
        let start = object_start(self.sink.input, at);
        let name = raw.name.unwrap_or(self.syms.empty);
        let problem = if let Some(fault) = self.fault.take() {
            Some(fault)
        } else {
            match (raw.trace_id, raw.span_id) {
                (IdOut::Bad(e), _) => Some(format!("traceId: {e}")),
                (IdOut::Missing, _) => Some("no traceId".to_owned()),
                (_, IdOut::Bad(e)) => Some(format!("spanId: {e}")),
                (_, IdOut::Missing) => Some("no spanId".to_owned()),
                _ => None,
            }
        };
        if let Some(problem) = problem {
            self.truncate_arenas(marks);
            self.skip_at(start, |cx| {
                // `{:?}` quotes the name and escapes any control characters in it.
                format!("span {:?} skipped: {problem}", cx.ds.str(name))
            });
            return;
        }
        let (IdOut::Ok(trace_id, trace_b64), IdOut::Ok(span_id, span_b64)) = (raw.trace_id, raw.span_id)
        else {
            return;
        };
        let parent_id = match raw.parent_id {
            IdOut::Ok(p, b64) => {
                if b64 {
                    self.note_base64(start);
                }
                SpanId(u64::try_from(p).unwrap_or(0))
            }
            IdOut::Missing => SpanId(0),
            IdOut::Bad(e) => {
                if e != IdError::Empty {
                    self.warn_at(start, |_| format!("parentSpanId: {e}; the span is shown as a root"));
                }
                SpanId(0)
            }
        };
        if trace_b64 || span_b64 {
            self.note_base64(start);
        }
        let span = SpanParts {
            trace_id: TraceId(trace_id),
            span_id: SpanId(u64::try_from(span_id).unwrap_or(0)),
            parent_id,
            start: raw.start.unwrap_or(0),
            end: raw.end.unwrap_or(0),
            name,
            kind: raw.kind,
            status: raw.status.code,
            status_message: raw.status.message,
            trace_state: raw.trace_state,
            w3c_flags: raw.flags,
            attrs: raw.attrs,
            events: raw.events,
            links: raw.links,
        };
        if let Some(repair) = store_span(&mut self.sink.ds, &self.syms, span) {
            self.warn_at(start, |_| repair);
        }
        self.offsets.push(start);
    }

    /// Drops repeated copies of one span (see `load::dedupe`), warning at each dropped copy.
    pub(super) fn dedupe(&mut self) {
        for dropped in crate::load::dedupe::dedupe(&mut self.sink.ds) {
            self.warn_at(self.offsets.get(dropped.index).copied().unwrap_or(0), |_| dropped.to_string());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What OTLP JSON and OTLP protobuf share: the same messages, mapped the same way

/// `service.name` from a resource's attributes, or `unknown_service` as SDKs do.
pub(crate) fn service_of(ds: &Dataset, syms: &Syms, attrs: Slice) -> Sym {
    ds.attrs_of(attrs)
        .find(|a| a.key == syms.service_name)
        .and_then(|a| match a.value {
            Value::Str(s) if s != syms.empty => Some(s),
            _ => None,
        })
        .unwrap_or(syms.unknown_service)
}

/// What a link means: a Datadog span pointer when `link.kind` or `dd.kind` is `span-pointer`;
/// a Jaeger reference kind kept as the `opentracing.ref_type` attribute (by the OpenTelemetry
/// Jaeger translator, or `weft export`); a plain link otherwise.
pub(crate) fn link_kind(ds: &Dataset, syms: &Syms, attrs: Slice) -> LinkKind {
    let pointer = ds.attrs_of(attrs).any(|a| {
        (a.key == syms.link_kind || a.key == syms.dd_kind) && a.value == Value::Str(syms.span_pointer)
    });
    if pointer {
        return LinkKind::Pointer;
    }
    ds.attrs_of(attrs)
        .find(|a| ds.str(a.key) == crate::model::REF_TYPE_KEY)
        .and_then(|a| match a.value {
            Value::Str(v) => LinkKind::from_ref_type(ds.str(v)),
            _ => None,
        })
        .unwrap_or(LinkKind::Link)
}

/// A span's fields once its ids are valid; `store_span` makes it a `Span`.
pub(crate) struct SpanParts {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_id: SpanId,
    pub start: u64,
    pub end: u64,
    pub name: Sym,
    pub kind: SpanKind,
    pub status: StatusCode,
    pub status_message: Option<Sym>,
    pub trace_state: Option<Sym>,
    pub w3c_flags: u32,
    pub attrs: Slice,
    pub events: Slice,
    pub links: Slice,
}

/// Pushes the span (service `unknown_service` until its resource is known; empty texts as
/// absent) and returns the repair to warn about, if its end had to be clamped to its start.
pub(crate) fn store_span(ds: &mut Dataset, syms: &Syms, p: SpanParts) -> Option<String> {
    let (mut end, mut flags, mut repair) = (p.end, 0, None);
    if end < p.start {
        repair = Some(crate::load::sink::end_before_start(p.start, end));
        end = p.start;
        flags |= span_flags::CLAMPED_END;
    }
    let mut span = Span::new(p.trace_id, p.span_id, p.parent_id, p.start, end, p.name, syms.unknown_service);
    span.flags = flags;
    span.kind = p.kind;
    span.status = p.status;
    span.status_message = p.status_message.filter(|&m| m != syms.empty);
    span.trace_state = p.trace_state.filter(|&s| s != syms.empty);
    span.w3c_flags = p.w3c_flags;
    span.attrs = p.attrs;
    span.events = p.events;
    span.links = p.links;
    ds.spans.push(span);
    repair
}

/// The `{` that opens the object whose first key starts at `key`, or the key itself.
pub(super) fn object_start(input: &[u8], key: usize) -> usize {
    let quote = key.saturating_sub(1);
    let before = input.get(..quote).unwrap_or_default();
    match before.iter().rposition(|b| !b.is_ascii_whitespace()) {
        Some(p) if before.get(p) == Some(&b'{') => p,
        _ => quote,
    }
}
