//! The common model every loader writes into: compact span records whose strings are interned
//! and whose attributes, events and links live in shared arenas (see `Dataset`).
//!
//! No format details and no UI here. Loaders fill a `Dataset`; `index::Index` reads it.

pub use crate::intern::{Interner, Sym};
use std::fmt;

/// 128-bit trace id. 64-bit ids from older tracers are zero-extended.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub u128);

/// 64-bit span id. Zero means "no id" (an invalid or missing id).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub u64);

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}
impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}
impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}
impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// Why a hex id was rejected; loaders turn this into a located error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("empty id")]
    Empty,
    #[error("id has {0} hex digits, at most {1} allowed")]
    TooLong(usize, usize),
    #[error("id is not hex")]
    NotHex,
}

fn parse_hex_u128(s: &str, max_digits: usize) -> Result<u128, IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > max_digits {
        return Err(IdError::TooLong(s.len(), max_digits));
    }
    // `from_str_radix` would also accept a leading '+'.
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(IdError::NotHex);
    }
    u128::from_str_radix(s, 16).map_err(|_| IdError::NotHex)
}

impl TraceId {
    /// Parses 1–32 hex digits in either case; shorter ids are left-padded (64-bit ids).
    pub fn from_hex(s: &str) -> Result<Self, IdError> {
        parse_hex_u128(s, 32).map(TraceId)
    }
    /// Joins Datadog's split id: high 64 bits from `_dd.p.tid`, low 64 from `trace_id`.
    pub fn from_halves(high: u64, low: u64) -> Self {
        TraceId((u128::from(high) << 64) | u128::from(low))
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// The first `n` hex digits, for compact display.
    pub fn short(self, n: usize) -> String {
        let mut s = self.to_string();
        s.truncate(n);
        s
    }
}

impl SpanId {
    /// Parses 1–16 hex digits in either case; shorter ids are left-padded (Java's unpadded ids).
    pub fn from_hex(s: &str) -> Result<Self, IdError> {
        parse_hex_u128(s, 16).map(|v| SpanId(v as u64))
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

/// A half-open range into one of the `Dataset` arenas; 8 bytes instead of a `Vec`'s 24.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slice {
    pub start: u32,
    pub len: u32,
}

impl Slice {
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start as usize + self.len as usize)
    }
    pub fn is_empty(self) -> bool {
        self.len == 0
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanKind {
    #[default]
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// OTLP's numeric enum (0–5); unknown numbers are `Unspecified`.
    pub fn from_otlp(n: i64) -> Self {
        match n {
            1 => Self::Internal,
            2 => Self::Server,
            3 => Self::Client,
            4 => Self::Producer,
            5 => Self::Consumer,
            _ => Self::Unspecified,
        }
    }
    /// Parses names such as `SPAN_KIND_SERVER`, `SERVER`, `server` (OTLP, Zipkin, `span.kind` tags).
    pub fn from_name(s: &str) -> Option<Self> {
        let s = s.strip_prefix("SPAN_KIND_").unwrap_or(s);
        Some(match s.to_ascii_lowercase().as_str() {
            "unspecified" | "" => Self::Unspecified,
            "internal" => Self::Internal,
            "server" => Self::Server,
            "client" => Self::Client,
            "producer" => Self::Producer,
            "consumer" => Self::Consumer,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Internal => "internal",
            Self::Server => "server",
            Self::Client => "client",
            Self::Producer => "producer",
            Self::Consumer => "consumer",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

/// A typed attribute value. Strings are interned; arrays and maps point into the arenas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Empty,
    Str(Sym),
    Bool(bool),
    Int(i64),
    Double(f64),
    /// Raw bytes, kept as an interned string of their base64 text (how every format carries them).
    Bytes(Sym),
    /// Elements in `Dataset::values`.
    Array(Slice),
    /// Entries in `Dataset::attrs`.
    Map(Slice),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attr {
    pub key: Sym,
    pub value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    pub time: u64,
    pub name: Sym,
    pub attrs: Slice,
}

/// What a link means; pointers (Datadog span pointers) name a resource, not a span, and are never resolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkKind {
    #[default]
    Link,
    /// Jaeger/OpenTracing reference that is not the parent: CHILD_OF.
    ChildOf,
    /// Jaeger/OpenTracing FOLLOWS_FROM reference.
    FollowsFrom,
    /// Datadog span pointer (`dd.kind`/`link.kind` = `span-pointer`).
    Pointer,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub trace_state: Option<Sym>,
    pub flags: u32,
    pub kind: LinkKind,
    pub attrs: Slice,
}

/// Resource (service-level) attributes, shared by every span of one resource block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Resource {
    pub attrs: Slice,
}

/// Instrumentation scope (library) shared by the spans it produced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Scope {
    pub name: Option<Sym>,
    pub version: Option<Sym>,
    pub attrs: Slice,
}

/// Index of a `Resource` in `Dataset::resources`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceIdx(pub u32);
/// Index of a `Scope` in `Dataset::scopes`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScopeIdx(pub u32);

/// Per-span flags that the index and UI need but that have no OTLP field.
pub mod span_flags {
    /// Zipkin `shared: true`: the server half of a client/server span pair with one id.
    pub const SHARED: u8 = 1;
    /// The id in the file was invalid (wrong length, zero); a synthetic id was assigned.
    pub const SYNTHETIC_ID: u8 = 2;
    /// End was before start in the file; the duration was clamped to zero.
    pub const CLAMPED_END: u8 = 4;
}

/// One span. About 100 bytes; everything variable-sized lives in the `Dataset` arenas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    /// `SpanId(0)` when the span has no parent in the file.
    pub parent_id: SpanId,
    /// Nanoseconds since the Unix epoch.
    pub start: u64,
    /// Nanoseconds since the Unix epoch; never before `start`.
    pub end: u64,
    pub name: Sym,
    pub service: Sym,
    pub kind: SpanKind,
    pub status: StatusCode,
    pub flags: u8,
    /// Which of `Dataset::files` this span came from.
    pub file: u16,
    pub status_message: Option<Sym>,
    pub trace_state: Option<Sym>,
    pub w3c_flags: u32,
    pub resource: ResourceIdx,
    pub scope: ScopeIdx,
    pub attrs: Slice,
    pub events: Slice,
    pub links: Slice,
}

impl Span {
    /// A span with the given identity, times and names; everything else empty. Loaders fill the rest.
    pub fn new(
        trace_id: TraceId,
        span_id: SpanId,
        parent_id: SpanId,
        start: u64,
        end: u64,
        name: Sym,
        service: Sym,
    ) -> Self {
        Self {
            trace_id,
            span_id,
            parent_id,
            start,
            end,
            name,
            service,
            kind: SpanKind::Unspecified,
            status: StatusCode::Unset,
            flags: 0,
            file: 0,
            status_message: None,
            trace_state: None,
            w3c_flags: 0,
            resource: ResourceIdx::default(),
            scope: ScopeIdx::default(),
            attrs: Slice::default(),
            events: Slice::default(),
            links: Slice::default(),
        }
    }

    pub fn duration(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    pub fn is_error(&self) -> bool {
        self.status == StatusCode::Error
    }
    pub fn has_flag(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Input formats weft reads; the names are what `--format` accepts and `info` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    #[value(name = "otlp-json")]
    OtlpJson,
    #[value(name = "otlp-jsonl")]
    OtlpJsonLines,
    #[value(name = "jaeger-json")]
    JaegerJson,
    #[value(name = "zipkin-json")]
    ZipkinJson,
    #[value(name = "datadog-msgpack-v0.4")]
    DatadogMsgpackV04,
    #[value(name = "datadog-msgpack-v0.5")]
    DatadogMsgpackV05,
    #[value(name = "datadog-json")]
    DatadogJson,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Self::OtlpJson => "otlp-json",
            Self::OtlpJsonLines => "otlp-jsonl",
            Self::JaegerJson => "jaeger-json",
            Self::ZipkinJson => "zipkin-json",
            Self::DatadogMsgpackV04 => "datadog-msgpack-v0.4",
            Self::DatadogMsgpackV05 => "datadog-msgpack-v0.5",
            Self::DatadogJson => "datadog-json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where in a file something happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// 1-based line and column (JSON).
    Line {
        line: usize,
        column: usize,
    },
    /// Byte offset from the start of the (decompressed) input (msgpack).
    Offset(u64),
    Unknown,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line { line, column } => write!(f, "{line}:{column}"),
            Self::Offset(o) => write!(f, "byte {o}"),
            Self::Unknown => Ok(()),
        }
    }
}

/// A record that was skipped or repaired while loading, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub at: Location,
    pub message: String,
    /// True when a whole record (span) was dropped, false when it was kept but repaired.
    pub skipped: bool,
}

/// One loaded input file and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    pub path: String,
    pub format: Format,
    pub spans: usize,
    /// Records dropped; each has a `Warning` with `skipped: true` (only the first few are kept).
    pub skipped: usize,
    pub warnings: Vec<Warning>,
}

/// Keep at most this many warnings of each kind (dropped, repaired) per file; the counts stay exact.
pub const MAX_WARNINGS_PER_FILE: usize = 50;

impl FileInfo {
    pub fn new(path: impl Into<String>, format: Format) -> Self {
        Self { path: path.into(), format, spans: 0, skipped: 0, warnings: Vec::new() }
    }
    /// Records that a record was dropped.
    pub fn skip(&mut self, at: Location, message: impl Into<String>) {
        self.skipped += 1;
        self.push_warning(Warning { at, message: message.into(), skipped: true });
    }
    /// Records that a record was kept but repaired (clamped time, synthetic id…).
    pub fn warn(&mut self, at: Location, message: impl Into<String>) {
        self.push_warning(Warning { at, message: message.into(), skipped: false });
    }
    /// Whether a warning of this kind (`skipped`: a dropped record) would still be kept. Drops and
    /// repairs have separate allowances, so a file whose first fifty problems were repairs still
    /// says why its records were dropped. Loaders ask before building a location or message.
    pub fn keeps(&self, skipped: bool) -> bool {
        self.warnings.len() < MAX_WARNINGS_PER_FILE
            || (self.warnings.len() < 2 * MAX_WARNINGS_PER_FILE
                && self.warnings.iter().filter(|w| w.skipped == skipped).count() < MAX_WARNINGS_PER_FILE)
    }
    /// Takes in another part's warnings (a chunk parsed in parallel), within the same allowances;
    /// the counts (`skipped`) are the caller's to add.
    pub fn extend_warnings(&mut self, warnings: impl IntoIterator<Item = Warning>) {
        for w in warnings {
            self.push_warning(w);
        }
    }
    fn push_warning(&mut self, w: Warning) {
        if self.keeps(w.skipped) {
            self.warnings.push(w);
        }
    }
}

/// Everything loaded: spans plus the arenas their slices point into, and the interned strings.
///
/// Loaders append to one `Dataset`; several datasets (files, parallel chunks) are combined with
/// `Dataset::append`, which remaps symbols and slices.
#[derive(Debug, Default)]
pub struct Dataset {
    pub strings: Interner,
    pub spans: Vec<Span>,
    pub attrs: Vec<Attr>,
    pub values: Vec<Value>,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    pub resources: Vec<Resource>,
    pub scopes: Vec<Scope>,
    pub files: Vec<FileInfo>,
}

fn slice_at(start: usize, len: usize) -> Slice {
    // Arenas over 4 G entries cannot be addressed by a u32 slice; `Dataset` never grows that far
    // (4 G attributes would need far more memory than any input weft can open).
    Slice { start: u32::try_from(start).unwrap_or(u32::MAX), len: u32::try_from(len).unwrap_or(0) }
}

impl Dataset {
    pub fn new() -> Self {
        let mut ds = Self::default();
        // Index 0 is the "no resource / no scope" default, so `ResourceIdx::default()` is valid.
        ds.resources.push(Resource::default());
        ds.scopes.push(Scope::default());
        ds
    }

    #[inline]
    pub fn intern(&mut self, s: &str) -> Sym {
        self.strings.get_or_intern(s)
    }

    pub fn str(&self, sym: Sym) -> &str {
        self.strings.resolve(&sym)
    }

    /// Appends a block of attributes and returns its slice. Nested maps must be added first.
    pub fn add_attrs(&mut self, attrs: &[Attr]) -> Slice {
        let start = self.attrs.len();
        self.attrs.extend_from_slice(attrs);
        slice_at(start, attrs.len())
    }

    /// Appends array elements and returns the `Value::Array` that points at them.
    pub fn add_array(&mut self, values: &[Value]) -> Value {
        let start = self.values.len();
        self.values.extend_from_slice(values);
        Value::Array(slice_at(start, values.len()))
    }

    pub fn add_events(&mut self, events: &[Event]) -> Slice {
        let start = self.events.len();
        self.events.extend_from_slice(events);
        slice_at(start, events.len())
    }

    pub fn add_links(&mut self, links: &[Link]) -> Slice {
        let start = self.links.len();
        self.links.extend_from_slice(links);
        slice_at(start, links.len())
    }

    pub fn add_resource(&mut self, attrs: Slice) -> ResourceIdx {
        self.resources.push(Resource { attrs });
        ResourceIdx(u32::try_from(self.resources.len() - 1).unwrap_or(0))
    }

    pub fn add_scope(&mut self, scope: Scope) -> ScopeIdx {
        self.scopes.push(scope);
        ScopeIdx(u32::try_from(self.scopes.len() - 1).unwrap_or(0))
    }

    pub fn attrs_of(&self, slice: Slice) -> &[Attr] {
        &self.attrs[slice.range()]
    }
    pub fn values_of(&self, slice: Slice) -> &[Value] {
        &self.values[slice.range()]
    }
    pub fn events_of(&self, slice: Slice) -> &[Event] {
        &self.events[slice.range()]
    }
    pub fn links_of(&self, slice: Slice) -> &[Link] {
        &self.links[slice.range()]
    }
    pub fn resource(&self, idx: ResourceIdx) -> &Resource {
        &self.resources[idx.0 as usize]
    }
    pub fn scope(&self, idx: ScopeIdx) -> &Scope {
        &self.scopes[idx.0 as usize]
    }

    /// Looks up a string attribute by key in a slice (first match).
    pub fn find_attr(&self, slice: Slice, key: &str) -> Option<Value> {
        let key = self.strings.get(key)?;
        self.attrs_of(slice).iter().find(|a| a.key == key).map(|a| a.value)
    }

    /// Gives back the arenas' spare capacity once loading is done (they grew by doubling).
    pub fn shrink_to_fit(&mut self) {
        self.strings.shrink_to_fit();
        self.spans.shrink_to_fit();
        self.attrs.shrink_to_fit();
        self.values.shrink_to_fit();
        self.events.shrink_to_fit();
        self.links.shrink_to_fit();
        self.resources.shrink_to_fit();
        self.scopes.shrink_to_fit();
    }

    /// Compresses the strings the explorer rarely shows (attribute values of spans, events and
    /// links) and keeps the rest as plain text: see `Interner::compact`. Call once loading is
    /// done, when the dataset will be browsed for a while; one-shot commands need not. Uses every
    /// core.
    pub fn compact_strings(&mut self) {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let hot = self.hot_symbols(workers);
        self.strings.compact(hot, workers);
    }

    /// The strings shown on every screen or looked up by text, which `compact_strings` keeps
    /// uncompressed: span and event names, services, status messages, trace states, scope names
    /// and versions, every attribute key, and resource and scope attribute values (a few,
    /// shared by many spans). The one place that knows where symbols live in the dataset.
    /// Spans, events and links are split between `workers` threads (it reads every attribute).
    fn hot_symbols(&self, workers: usize) -> crate::intern::SymSet {
        use crate::intern::SymSet;
        /// Marks the keys of `slice` (and of maps nested in it) hot, and its values too when
        /// `values` is set.
        fn walk(ds: &Dataset, hot: &mut SymSet, slice: Slice, values: bool, depth: usize) {
            for a in ds.attrs_of(slice) {
                hot.insert(a.key);
                walk_value(ds, hot, a.value, values, depth);
            }
        }
        fn walk_value(ds: &Dataset, hot: &mut SymSet, value: Value, values: bool, depth: usize) {
            // Nested values are built children first, so a slice only points backwards and
            // cannot loop; the bound is for stack depth on pathological nesting (a key deeper
            // than this merely stays cold).
            if depth > 64 {
                return;
            }
            match value {
                Value::Str(s) | Value::Bytes(s) if values => hot.insert(s),
                Value::Map(m) => walk(ds, hot, m, values, depth + 1),
                Value::Array(items) => {
                    for &v in ds.values_of(items) {
                        walk_value(ds, hot, v, values, depth + 1);
                    }
                }
                _ => {}
            }
        }
        /// Part `k` of `parts` of an arena.
        fn part<T>(all: &[T], k: usize, parts: usize) -> &[T] {
            let at = |k: usize| all.len().saturating_mul(k) / parts.max(1);
            all.get(at(k)..at(k + 1)).unwrap_or_default()
        }
        let walk_part = |k: usize, parts: usize| {
            let mut hot = SymSet::with_len(self.strings.len());
            for s in part(&self.spans, k, parts) {
                hot.insert(s.name);
                hot.insert(s.service);
                for sym in [s.status_message, s.trace_state].into_iter().flatten() {
                    hot.insert(sym);
                }
                walk(self, &mut hot, s.attrs, false, 0);
            }
            for e in part(&self.events, k, parts) {
                hot.insert(e.name);
                walk(self, &mut hot, e.attrs, false, 0);
            }
            for l in part(&self.links, k, parts) {
                if let Some(ts) = l.trace_state {
                    hot.insert(ts);
                }
                walk(self, &mut hot, l.attrs, false, 0);
            }
            if k == 0 {
                for r in &self.resources {
                    walk(self, &mut hot, r.attrs, true, 0);
                }
                for sc in &self.scopes {
                    for sym in [sc.name, sc.version].into_iter().flatten() {
                        hot.insert(sym);
                    }
                    walk(self, &mut hot, sc.attrs, true, 0);
                }
            }
            hot
        };
        // Below this many spans a thread costs more than it saves.
        const PARALLEL_SPANS: usize = 20_000;
        let parts = if self.spans.len() < PARALLEL_SPANS { 1 } else { workers.max(1) };
        std::thread::scope(|scope| {
            let others: Vec<_> = (1..parts).map(|k| scope.spawn(move || walk_part(k, parts))).collect();
            let mut hot = walk_part(0, parts);
            for other in others {
                // A walk thread cannot panic short of a bug; its strings would then stay cold.
                if let Ok(other) = other.join() {
                    hot.union(&other);
                }
            }
            hot
        })
    }

    /// Heap bytes held by the dataset (capacities; warnings and file names not counted).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.strings.heap_bytes()
            + self.spans.capacity() * size_of::<Span>()
            + self.attrs.capacity() * size_of::<Attr>()
            + self.values.capacity() * size_of::<Value>()
            + self.events.capacity() * size_of::<Event>()
            + self.links.capacity() * size_of::<Link>()
            + self.resources.capacity() * size_of::<Resource>()
            + self.scopes.capacity() * size_of::<Scope>()
    }

    /// Whether nothing was added since `Dataset::new()` (or `default()`).
    fn is_blank(&self) -> bool {
        self.spans.is_empty()
            && self.attrs.is_empty()
            && self.values.is_empty()
            && self.events.is_empty()
            && self.links.is_empty()
            && self.resources.len() <= 1
            && self.scopes.len() <= 1
            && self.files.is_empty()
            && self.strings.is_empty()
    }

    /// Moves everything from `other` into `self`, remapping symbols, slices and file numbers.
    /// Appending to a blank dataset just takes `other` over (loading one file costs nothing here).
    pub fn append(&mut self, mut other: Dataset) {
        if self.is_blank() && !other.resources.is_empty() && !other.scopes.is_empty() {
            std::mem::swap(self, &mut other);
            return;
        }
        let syms = self.strings.absorb(&other.strings);
        // Symbols are dense indices, so a symbol of `other` indexes `syms`.
        let map = |s: Sym| syms.get(lasso::Key::into_usize(s)).copied().unwrap_or(s);
        let map_opt = |s: Option<Sym>| s.map(map);
        let shift = |s: Slice, base: usize| Slice { start: s.start + base as u32, len: s.len };
        let (attr_base, value_base, event_base, link_base) =
            (self.attrs.len(), self.values.len(), self.events.len(), self.links.len());
        let map_value = |v: Value| match v {
            Value::Str(s) => Value::Str(map(s)),
            Value::Bytes(s) => Value::Bytes(map(s)),
            Value::Array(sl) => Value::Array(shift(sl, value_base)),
            Value::Map(sl) => Value::Map(shift(sl, attr_base)),
            other => other,
        };
        self.attrs.extend(other.attrs.iter().map(|a| Attr { key: map(a.key), value: map_value(a.value) }));
        self.values.extend(other.values.iter().map(|&v| map_value(v)));
        self.events.extend(other.events.iter().map(|e| Event {
            time: e.time,
            name: map(e.name),
            attrs: shift(e.attrs, attr_base),
        }));
        self.links.extend(other.links.iter().map(|l| Link {
            trace_state: map_opt(l.trace_state),
            attrs: shift(l.attrs, attr_base),
            ..*l
        }));
        // Skip the placeholder at index 0 of `other`; its spans' default indices map to ours.
        let resource_base = self.resources.len() - 1;
        let scope_base = self.scopes.len() - 1;
        self.resources
            .extend(other.resources.iter().skip(1).map(|r| Resource { attrs: shift(r.attrs, attr_base) }));
        self.scopes.extend(other.scopes.iter().skip(1).map(|s| Scope {
            name: map_opt(s.name),
            version: map_opt(s.version),
            attrs: shift(s.attrs, attr_base),
        }));
        // `Span::file` is a u16; `load::load_paths` stops at `load::MAX_FILES`, so this never
        // saturates in practice, and if it did spans would name the last file instead of panicking.
        let file_base = u16::try_from(self.files.len()).unwrap_or(u16::MAX);
        let remap_idx = |i: u32, base: usize| if i == 0 { 0 } else { i + base as u32 };
        self.spans.extend(other.spans.iter().map(|s| Span {
            name: map(s.name),
            service: map(s.service),
            status_message: map_opt(s.status_message),
            trace_state: map_opt(s.trace_state),
            file: s.file.saturating_add(file_base),
            resource: ResourceIdx(remap_idx(s.resource.0, resource_base)),
            scope: ScopeIdx(remap_idx(s.scope.0, scope_base)),
            attrs: shift(s.attrs, attr_base),
            events: shift(s.events, event_base),
            links: shift(s.links, link_base),
            ..*s
        }));
        self.files.extend(other.files);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_either_case_and_pad_short_ones() {
        assert_eq!(
            TraceId::from_hex("5B8EFFF798038103D269B633813FC60C").unwrap().to_string(),
            "5b8efff798038103d269b633813fc60c"
        );
        assert_eq!(TraceId::from_hex("00ff").unwrap().to_string(), "000000000000000000000000000000ff");
        assert_eq!(SpanId::from_hex("0").unwrap(), SpanId(0));
        assert_eq!(SpanId::from_hex("+1"), Err(IdError::NotHex));
        assert_eq!(SpanId::from_hex("12345678901234567"), Err(IdError::TooLong(17, 16)));
        assert_eq!(TraceId::from_halves(1, 2).0, (1u128 << 64) | 2);
    }

    #[test]
    fn compaction_keeps_names_keys_and_resource_values_hot() {
        let mut ds = Dataset::new();
        let (name, svc, key, value, ev, rkey, rval, nested_key, elem) = (
            ds.intern("GET /cart"),
            ds.intern("checkout"),
            ds.intern("db.statement"),
            ds.intern("SELECT * FROM carts WHERE id = 42"),
            ds.intern("exception"),
            ds.intern("host.name"),
            ds.intern("node-7"),
            ds.intern("inner"),
            ds.intern("array element"),
        );
        let inner = ds.add_attrs(&[Attr { key: nested_key, value: Value::Str(value) }]);
        let array = ds.add_array(&[Value::Str(elem)]);
        let attrs = ds.add_attrs(&[
            Attr { key, value: Value::Str(value) },
            Attr { key: nested_key, value: Value::Map(inner) },
            Attr { key: nested_key, value: array },
        ]);
        let rattrs = ds.add_attrs(&[Attr { key: rkey, value: Value::Str(rval) }]);
        let resource = ds.add_resource(rattrs);
        let events = ds.add_events(&[Event { time: 1, name: ev, attrs: Slice::default() }]);
        let mut span = Span::new(TraceId(1), SpanId(1), SpanId(0), 0, 1, name, svc);
        (span.attrs, span.events, span.resource) = (attrs, events, resource);
        ds.spans.push(span);
        let before: Vec<String> = ds.strings.strings().map(str::to_owned).collect();
        ds.compact_strings();
        let cold = |s| ds.strings.is_cold(s);
        assert!(![name, svc, key, ev, rkey, rval, nested_key].into_iter().any(cold));
        assert!(cold(value) && cold(elem));
        assert_eq!(ds.strings.strings().collect::<Vec<_>>(), before);
        assert_eq!(ds.find_attr(span.attrs, "db.statement"), Some(Value::Str(value)));
    }

    #[test]
    fn hot_walk_in_parallel_finds_the_same_symbols() {
        let mut ds = Dataset::new();
        for n in 0..25_000u64 {
            let (name, svc) = (ds.intern(&format!("op {}", n % 300)), ds.intern("svc"));
            let (key, value) = (ds.intern(&format!("key {}", n % 7)), ds.intern(&format!("value {n}")));
            let attrs = ds.add_attrs(&[Attr { key, value: Value::Str(value) }]);
            let events = ds.add_events(&[Event { time: n, name: ds.strings.get("svc").unwrap(), attrs }]);
            let mut span = Span::new(TraceId(1), SpanId(n + 1), SpanId(0), n, n + 1, name, svc);
            (span.attrs, span.events) = (attrs, events);
            ds.spans.push(span);
        }
        let one = ds.hot_symbols(1);
        assert_eq!(ds.hot_symbols(3), one);
        assert!(
            one.contains(ds.strings.get("key 6").unwrap()) && one.contains(ds.strings.get("op 299").unwrap())
        );
        assert!(!one.contains(ds.strings.get("value 24999").unwrap()));
    }

    /// What the CLI prints (summary, trees, and the OTLP export, which reads every attribute)
    /// is the same before and after compaction, for a bundled sample and fixtures of each kind.
    #[test]
    fn compacted_datasets_render_the_same() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let files = [
            "sample-traces/transactional-messaging.otlp.json",
            "sample-traces/scatter-gather.dd.msgpack",
            "tests/fixtures/otlp-json/synthetic_anyvalue_kinds.json",
            "tests/fixtures/jaeger-json/jaeger_ui_01.json",
        ];
        let render = |index: &crate::index::Index| {
            let mut out = Vec::new();
            crate::cli::info::write_text(&mut out, index, &[]).unwrap();
            crate::cli::tree::write(&mut out, index, None).unwrap();
            let all = crate::cli::export::select(index, None, false);
            crate::cli::export::write(&mut out, index, &all).unwrap();
            String::from_utf8(out).unwrap()
        };
        for file in files {
            let bytes = std::fs::read(dir.join(file)).unwrap();
            let load =
                || crate::index::Index::build(crate::load::load_bytes(bytes.clone(), file, None).unwrap());
            let plain = render(&load());
            let mut compacted = load();
            compacted.compact_strings();
            assert!(compacted.data.strings.cold_blocks().0 > 0, "{file} has cold strings");
            assert_eq!(render(&compacted), plain, "{file}");
        }
    }

    #[test]
    fn append_remaps_symbols_slices_and_files() {
        let mut a = Dataset::new();
        let x = a.intern("x");
        a.files.push(FileInfo::new("a", Format::OtlpJson));
        a.spans.push(Span::new(TraceId(1), SpanId(1), SpanId(0), 0, 1, x, x));
        let mut b = Dataset::new();
        let y = b.intern("y");
        let k = b.intern("k");
        let attrs = b.add_attrs(&[Attr { key: k, value: Value::Str(y) }]);
        let res = b.add_resource(attrs);
        b.files.push(FileInfo::new("b", Format::JaegerJson));
        let mut span = Span::new(TraceId(2), SpanId(2), SpanId(0), 0, 1, y, y);
        span.resource = res;
        b.spans.push(span);
        a.append(b);
        let s = a.spans[1];
        assert_eq!(a.str(s.name), "y");
        assert_eq!(s.file, 1);
        let r = *a.resource(s.resource);
        assert_eq!(a.find_attr(r.attrs, "k"), Some(Value::Str(a.strings.get("y").unwrap())));
        assert_eq!(a.files[1].path, "b");
    }
}
