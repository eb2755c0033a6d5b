//! The state the OTLP JSON visitors share (`Ctx`): the dataset being filled, warnings located
//! by line:col, marks to roll a broken document back, span validation.

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
    pub(super) input: &'a [u8],
    pub(super) ds: Dataset,
    pub(super) file: FileInfo,
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
    pub(super) locator: Locator,
    pub(super) base64_warned: bool,
    /// A document had `resourceSpans` (or a wrapper of it): the file is OTLP even if empty.
    pub(super) recognised: bool,
    /// Metrics and log records in the file's other documents, and where the first one starts.
    pub(super) signals: OtherSignals,
    pub(super) signals_at: Option<usize>,
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
pub(super) const BYTES_PER_SPAN: usize = 2048;
pub(super) const BYTES_PER_ATTR: usize = 160;
pub(super) const BYTES_PER_DISTINCT_STRING: usize = 512;

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
        let mut ds = Dataset::new();
        // Size the arenas and the interner from the bytes present (estimates on the low side
        // of what OTLP JSON spends per record), so a large file does not keep regrowing them;
        // growing the interner's table would hash every string again.
        let n = share.min(input.len());
        ds.spans.reserve(n / BYTES_PER_SPAN);
        ds.attrs.reserve(n / BYTES_PER_ATTR);
        ds.strings = crate::model::Interner::with_capacity(n / BYTES_PER_DISTINCT_STRING, n / 8);
        let syms = Syms::new(&mut ds);
        Self {
            input,
            ds,
            file: FileInfo::new(path, Format::OtlpJson),
            syms,
            last_key: 0,
            fault: None,
            offsets: Vec::new(),
            attr_pool: Vec::new(),
            value_pool: Vec::new(),
            events: Vec::new(),
            links: Vec::new(),
            locator: Locator::default(),
            base64_warned: false,
            recognised: false,
            signals: OtherSignals::default(),
            signals_at: None,
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
        let Ctx { ds, file, offsets, base64_warned, recognised, api_error, signals, signals_at, .. } = next;
        self.ds.append(ds);
        self.offsets.extend(offsets);
        self.file.skipped += file.skipped;
        // A sequential pass notes base64 ids once per file, at the first.
        let repeat = self.base64_warned && base64_warned;
        for w in file.warnings {
            if repeat && w.message == BASE64_NOTE {
                continue;
            }
            self.file.extend_warnings([w]);
        }
        self.base64_warned |= base64_warned;
        self.recognised |= recognised;
        self.signals.add(signals);
        self.signals_at = self.signals_at.or(signals_at);
        if api_error.is_some() {
            self.api_error = api_error;
        }
    }

    pub(super) fn arena_marks(&self) -> ArenaMarks {
        ArenaMarks { attrs: self.ds.attr_mark(), events: self.ds.events.len(), links: self.ds.links.len() }
    }

    pub(super) fn truncate_arenas(&mut self, m: ArenaMarks) {
        self.ds.rollback_attrs(m.attrs);
        self.ds.events.truncate(m.events);
        self.ds.links.truncate(m.links);
    }

    pub(super) fn marks(&self) -> Marks {
        Marks {
            arena: self.arena_marks(),
            spans: self.ds.spans.len(),
            resources: self.ds.resources.len(),
            scopes: self.ds.scopes.len(),
            skipped: self.file.skipped,
            warnings: self.file.warnings.len(),
            base64_warned: self.base64_warned,
        }
    }

    /// Forgets everything a broken document added, so it counts as one skipped record.
    pub(super) fn rollback(&mut self, m: Marks) {
        self.truncate_arenas(m.arena);
        self.ds.spans.truncate(m.spans);
        self.offsets.truncate(m.spans);
        self.ds.resources.truncate(m.resources);
        self.ds.scopes.truncate(m.scopes);
        self.file.skipped = m.skipped;
        self.file.warnings.truncate(m.warnings);
        self.base64_warned = m.base64_warned;
        self.fault = None;
    }

    pub(super) fn fault(&mut self, field: &str, expected: &str, found: Found<'_>) {
        if self.fault.is_none() {
            self.fault = Some(format!("{field}: expected {expected}, found {found}"));
        }
    }

    /// Whether another warning would be kept; locations and messages are only built if so,
    /// so a file with a million bad spans still loads in linear time.
    pub(super) fn keeps_warnings(&self, skipped: bool) -> bool {
        self.file.keeps(skipped)
    }

    pub(super) fn skip_at(&mut self, offset: usize, message: impl FnOnce(&Self) -> String) {
        if self.keeps_warnings(true) {
            let at = self.locator.at(self.input, offset);
            let message = message(self);
            self.file.skip(at, message);
        } else {
            self.file.skipped += 1;
        }
    }

    pub(super) fn warn_at(&mut self, offset: usize, message: impl FnOnce(&Self) -> String) {
        if self.keeps_warnings(false) {
            let at = self.locator.at(self.input, offset);
            let message = message(self);
            self.file.warn(at, message);
        }
    }

    pub(super) fn note_base64(&mut self, offset: usize) {
        if !self.base64_warned {
            self.base64_warned = true;
            self.warn_at(offset, |_| BASE64_NOTE.to_owned());
        }
    }

    /// serde_json's line:col is relative to the document's slice; make it relative to the file.
    pub(super) fn json_error_location(&mut self, doc_start: usize, err: &serde_json::Error) -> Location {
        // serde_json says column 0 for an error met at a newline; columns here count from 1.
        let (line, column) = (err.line(), err.column().max(1));
        if line == 0 {
            return Location::Unknown;
        }
        match self.locator.at(self.input, doc_start) {
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
        self.ds.intern(s)
    }

    /// `service.name` from a resource's attributes (see `service_of`).
    pub(super) fn service_of(&self, attrs: Slice) -> Sym {
        service_of(&self.ds, &self.syms, attrs)
    }

    /// Validates and stores one span read by `SpanBody`, or skips it with its location.
    pub(super) fn finish_span(&mut self, raw: RawSpan, at: usize, marks: ArenaMarks) {
        let start = object_start(self.input, at);
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
        if let Some(repair) = store_span(&mut self.ds, &self.syms, span) {
            self.warn_at(start, |_| repair);
        }
        self.offsets.push(start);
    }

    /// Counts another signal's records, read from the document key at `at`.
    pub(super) fn other_signals(&mut self, at: usize, found: OtherSignals) {
        self.signals.add(found);
        self.signals_at.get_or_insert(at);
    }

    /// Drops repeated copies of one span (see `load::dedupe`), warning at each dropped copy.
    pub(super) fn dedupe(&mut self) {
        for dropped in crate::load::dedupe::dedupe(&mut self.ds) {
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
    let mut end = p.end;
    let mut flags = 0;
    let mut repair = None;
    if end < p.start {
        repair =
            Some(format!("endTimeUnixNano {end} is before startTimeUnixNano {}; duration set to 0", p.start));
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

/// Turns byte offsets into line:col, resuming from the previous answer: warnings come in file
/// order, so locating all of them costs one pass over the input, not one per warning.
pub(super) struct Locator {
    pub(super) offset: usize,
    pub(super) line: usize,
    pub(super) line_start: usize,
}

impl Default for Locator {
    fn default() -> Self {
        Self { offset: 0, line: 1, line_start: 0 }
    }
}

impl Locator {
    pub(super) fn at(&mut self, input: &[u8], offset: usize) -> Location {
        let offset = offset.min(input.len());
        if offset < self.offset {
            *self = Self::default();
        }
        let chunk = input.get(self.offset..offset).unwrap_or_default();
        self.line += memchr::memchr_iter(b'\n', chunk).count();
        if let Some(p) = memchr::memrchr(b'\n', chunk) {
            self.line_start = self.offset + p + 1;
        }
        self.offset = offset;
        Location::Line { line: self.line, column: offset - self.line_start + 1 }
    }
}
