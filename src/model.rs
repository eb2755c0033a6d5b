//! The common model every loader writes into: compact span records whose strings are interned
//! and whose attributes, events and links live in shared arenas (see `Dataset`).
//!
//! No format details and no UI here. Loaders fill a `Dataset`; `index::Index` reads it.

pub use crate::intern::{Interner, Sym};
use std::fmt;

mod retain;

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

/// Why an id was rejected; loaders turn this into a located error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("empty id")]
    Empty,
    #[error("all-zero id (invalid)")]
    Zero,
    #[error("id has {0} hex digits, at most {1} allowed")]
    TooLong(usize, usize),
    /// Hex digits, but not as many as a fixed-width id needs (found, wanted).
    #[error("id has {0} hex digits, expected {1}")]
    Length(usize, usize),
    #[error("id is not hex")]
    NotHex,
    /// For formats that also take base64 ids (OTLP JSON).
    #[error("id is neither hex nor base64")]
    NotHexOrBase64,
}

fn parse_hex_u128(s: &str, max_digits: usize) -> Result<u128, IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > max_digits {
        return Err(IdError::TooLong(s.len(), max_digits));
    }
    parse_hex(s).ok_or(IdError::NotHex)
}

/// Up to 32 hex digits, either case, nothing else (no sign, no `0x`). Hand-rolled (a table and
/// two u64 halves) because ids are the most frequent strings in a file and `from_str_radix` is
/// several times slower. Inline: OTLP JSON calls it for every id, from another module.
#[inline]
pub fn parse_hex(s: &str) -> Option<u128> {
    if s.len() > 32 {
        return None;
    }
    let (high, low) = s.as_bytes().split_at(s.len().saturating_sub(16));
    let half = |digits: &[u8]| {
        digits.iter().try_fold(0u64, |acc, &c| match HEX_DIGIT[usize::from(c)] {
            NOT_HEX => None,
            d => Some((acc << 4) | u64::from(d)),
        })
    };
    Some((u128::from(half(high)?) << 64) | u128::from(half(low)?))
}

const NOT_HEX: u8 = 0xFF;

/// Value of each byte as a hex digit, or `NOT_HEX`.
const HEX_DIGIT: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

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

impl StatusCode {
    /// `unset`, `ok`, `error`: how the details pane and the JSON outputs name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unset => "unset",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }

    /// Parses `STATUS_CODE_ERROR`, `ERROR`, `error` (OTLP JSON, `otel.status_code` tags).
    pub fn from_name(s: &str) -> Option<Self> {
        let name = s.strip_prefix("STATUS_CODE_").unwrap_or(s);
        [Self::Unset, Self::Ok, Self::Error].into_iter().find(|code| name.eq_ignore_ascii_case(code.as_str()))
    }
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

/// One attribute (or, with key 0, one array element) as stored: 8 bytes instead of `Attr`'s 24.
///
/// `head` holds the key's symbol index in its high 28 bits and a tag in its low 4 bits;
/// `payload` is the value itself when it fits 32 bits (a string symbol, a bool, an int that
/// fits `i32`, a double that is exactly an `f32`) and otherwise an index into `Dataset::wide`
/// (wide ints, other doubles, array and map slices). A key whose symbol needs more than 28 bits
/// is spilled: `payload` indexes two `wide` entries holding the full key with the value's tag,
/// then the value's 64 bits. Build and read these only through `Dataset` (`add_attrs`,
/// `attrs_of`): the payload means nothing without the `wide` arena it was made with.
// No `PartialEq`: two equal attributes can point at different `wide` entries.
#[derive(Clone, Copy, Debug, Default)]
pub struct PackedAttr {
    head: u32,
    payload: u32,
}

/// Tags of `PackedAttr::head`. Up to `F32` the payload is the value; the `_W` tags keep their
/// 64-bit payload in `Dataset::wide` (`pack` and `unpack` rely on this order).
mod tag {
    pub const EMPTY: u32 = 0;
    pub const STR: u32 = 1;
    pub const BYTES: u32 = 2;
    pub const BOOL: u32 = 3;
    /// An int that fits `i32`, stored as its two's complement bits.
    pub const INT32: u32 = 4;
    /// A double that converts to `f32` and back bit-exactly (0.5, -0.0, 100.0…).
    pub const F32: u32 = 5;
    pub const INT_W: u32 = 6;
    pub const F64_W: u32 = 7;
    /// `start << 32 | len` of the slice in `Dataset::values`.
    pub const ARRAY_W: u32 = 8;
    /// `start << 32 | len` of the slice in `Dataset::attrs`.
    pub const MAP_W: u32 = 9;
    /// The key does not fit 28 bits: `wide[payload]` = key index | tag << 32, then the value bits.
    pub const SPILL: u32 = 10;
    pub const MASK: u32 = 0xf;
}

/// Keys with a symbol index below this are stored inline in `PackedAttr::head`.
const INLINE_KEY_LIMIT: usize = 1 << 28;

fn sym_index(s: Sym) -> u64 {
    // Symbols hold at most u32::MAX - 1 distinct strings, so this never truncates.
    lasso::Key::into_usize(s) as u64
}

fn sym_at(bits: u64) -> Sym {
    // Only ever decodes what `sym_index` produced; the default (symbol 0) is a safe fallback.
    usize::try_from(bits).ok().and_then(lasso::Key::try_from_usize).unwrap_or_default()
}

fn slice_bits(s: Slice) -> u64 {
    (u64::from(s.start) << 32) | u64::from(s.len)
}

fn slice_of_bits(bits: u64) -> Slice {
    Slice { start: (bits >> 32) as u32, len: bits as u32 }
}

/// A value as a tag and its full 64-bit payload; the tag says whether it fits 32 bits.
fn lower(v: Value) -> (u32, u64) {
    match v {
        Value::Empty => (tag::EMPTY, 0),
        Value::Str(s) => (tag::STR, sym_index(s)),
        Value::Bytes(s) => (tag::BYTES, sym_index(s)),
        Value::Bool(b) => (tag::BOOL, u64::from(b)),
        Value::Int(i) => match i32::try_from(i) {
            Ok(small) => (tag::INT32, u64::from(small as u32)),
            Err(_) => (tag::INT_W, i as u64),
        },
        Value::Double(d) => {
            let narrow = d as f32;
            if f64::from(narrow).to_bits() == d.to_bits() {
                (tag::F32, u64::from(narrow.to_bits()))
            } else {
                (tag::F64_W, d.to_bits())
            }
        }
        Value::Array(s) => (tag::ARRAY_W, slice_bits(s)),
        Value::Map(s) => (tag::MAP_W, slice_bits(s)),
    }
}

/// The inverse of `lower`.
fn raise(t: u32, bits: u64) -> Value {
    match t {
        tag::STR => Value::Str(sym_at(bits)),
        tag::BYTES => Value::Bytes(sym_at(bits)),
        tag::BOOL => Value::Bool(bits != 0),
        tag::INT32 => Value::Int(i64::from(bits as u32 as i32)),
        tag::F32 => Value::Double(f64::from(f32::from_bits(bits as u32))),
        tag::INT_W => Value::Int(bits as i64),
        tag::F64_W => Value::Double(f64::from_bits(bits)),
        tag::ARRAY_W => Value::Array(slice_of_bits(bits)),
        tag::MAP_W => Value::Map(slice_of_bits(bits)),
        _ => Value::Empty,
    }
}

/// Packs one attribute, pushing its wide parts (if any) onto `wide`.
fn pack(key: Sym, value: Value, wide: &mut Vec<u64>) -> PackedAttr {
    let (t, bits) = lower(value);
    let key_index = lasso::Key::into_usize(key);
    // `wide` would need 32 GiB to outgrow a u32 index; were it ever to, the value is dropped
    // (kept as empty) rather than pointing at the wrong entry.
    let next = u32::try_from(wide.len()).ok();
    if key_index < INLINE_KEY_LIMIT {
        let head = ((key_index as u32) << 4) | t;
        if t <= tag::F32 {
            return PackedAttr { head, payload: bits as u32 };
        }
        if let Some(at) = next {
            wide.push(bits);
            return PackedAttr { head, payload: at };
        }
        return PackedAttr { head: head & !tag::MASK, payload: 0 };
    }
    match next {
        Some(at) => {
            wide.push(sym_index(key) | (u64::from(t) << 32));
            wide.push(bits);
            PackedAttr { head: tag::SPILL, payload: at }
        }
        None => PackedAttr::default(),
    }
}

/// Unpacks what `pack` built with the same `wide`.
#[inline]
fn unpack(p: PackedAttr, wide: &[u64]) -> Attr {
    let t = p.head & tag::MASK;
    let at = p.payload as usize;
    let wide_at = |i: usize| wide.get(i).copied().unwrap_or(0);
    if t <= tag::F32 {
        return Attr { key: sym_at(u64::from(p.head >> 4)), value: raise(t, u64::from(p.payload)) };
    }
    if t == tag::SPILL {
        let first = wide_at(at);
        let key = sym_at(first & u64::from(u32::MAX));
        return Attr { key, value: raise((first >> 32) as u32, wide_at(at.saturating_add(1))) };
    }
    Attr { key: sym_at(u64::from(p.head >> 4)), value: raise(t, wide_at(at)) }
}

/// The attributes of a slice, decoded by value (`Dataset::attrs_of`).
#[derive(Clone, Debug)]
pub struct AttrIter<'a> {
    packed: std::slice::Iter<'a, PackedAttr>,
    wide: &'a [u64],
}

impl Iterator for AttrIter<'_> {
    type Item = Attr;
    #[inline]
    fn next(&mut self) -> Option<Attr> {
        self.packed.next().map(|&p| unpack(p, self.wide))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.packed.size_hint()
    }
    fn nth(&mut self, n: usize) -> Option<Attr> {
        self.packed.nth(n).map(|&p| unpack(p, self.wide))
    }
}
impl ExactSizeIterator for AttrIter<'_> {}
impl AttrIter<'_> {
    /// Whether no attributes are left (`ExactSizeIterator::is_empty` is not stable).
    pub fn is_empty(&self) -> bool {
        self.packed.len() == 0
    }
}
impl DoubleEndedIterator for AttrIter<'_> {
    fn next_back(&mut self) -> Option<Attr> {
        self.packed.next_back().map(|&p| unpack(p, self.wide))
    }
}
impl std::iter::FusedIterator for AttrIter<'_> {}

/// The elements of an array, decoded by value (`Dataset::values_of`).
#[derive(Clone, Debug)]
pub struct ValueIter<'a>(AttrIter<'a>);

impl Iterator for ValueIter<'_> {
    type Item = Value;
    #[inline]
    fn next(&mut self) -> Option<Value> {
        self.0.next().map(|a| a.value)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
    fn nth(&mut self, n: usize) -> Option<Value> {
        self.0.nth(n).map(|a| a.value)
    }
}
impl ExactSizeIterator for ValueIter<'_> {}
impl ValueIter<'_> {
    /// Whether no elements are left (`ExactSizeIterator::is_empty` is not stable).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
impl DoubleEndedIterator for ValueIter<'_> {
    fn next_back(&mut self) -> Option<Value> {
        self.0.next_back().map(|a| a.value)
    }
}
impl std::iter::FusedIterator for ValueIter<'_> {}

/// Lengths of the attribute arenas, to drop what a record that turned out bad added
/// (`Dataset::attr_mark` / `Dataset::rollback_attrs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttrMark {
    attrs: usize,
    values: usize,
    wide: usize,
}

/// One OTLP log record. `trace_id`/`span_id` are zero when the record has none; the index
/// attaches it to its span, else to its trace, else counts it as unattached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogRecord {
    /// `timeUnixNano`, or `observedTimeUnixNano` when that is absent (as OTLP says to read it).
    pub time: u64,
    pub trace_id: TraceId,
    pub span_id: SpanId,
    /// `SeverityNumber`: 0 unspecified, 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20
    /// error, 21–24 fatal.
    pub severity: u8,
    pub severity_text: Option<Sym>,
    pub body: Value,
    pub attrs: Slice,
    /// The resource's `service.name`.
    pub service: Sym,
    /// Which of `Dataset::files` it came from.
    pub file: u16,
}

/// `SeverityNumber` from which a record counts as an error (ERROR, FATAL).
pub const SEVERITY_ERROR: u8 = 17;

impl LogRecord {
    /// `ERROR2`-style short names for a severity number, as OTLP's enum spells them.
    pub fn severity_name(severity: u8) -> &'static str {
        const NAMES: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
        match severity {
            0 => "UNSPECIFIED",
            1..=24 => NAMES[usize::from((severity - 1) / 4)],
            _ => "UNKNOWN",
        }
    }
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

/// The resource attribute naming a span's service (OpenTelemetry semantic conventions).
pub const SERVICE_NAME_KEY: &str = "service.name";
/// The service of spans that name none, as the OpenTelemetry SDKs call it.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// The link attribute that carries a Jaeger/OpenTracing reference kind in OTLP (the
/// OpenTelemetry Jaeger translator writes it, and so does `weft export`).
pub const REF_TYPE_KEY: &str = "opentracing.ref_type";

impl LinkKind {
    /// `link`, `child_of`, `follows_from` or `pointer`: the name the CLI's JSON and the Links tab use.
    pub fn name(self) -> &'static str {
        match self {
            LinkKind::Link => "link",
            LinkKind::ChildOf => "child_of",
            LinkKind::FollowsFrom => "follows_from",
            LinkKind::Pointer => "pointer",
        }
    }

    /// The `opentracing.ref_type` value of a Jaeger reference kind; `None` for plain links and
    /// pointers.
    pub fn ref_type(self) -> Option<&'static str> {
        matches!(self, LinkKind::ChildOf | LinkKind::FollowsFrom).then(|| self.name())
    }

    /// The kind an `opentracing.ref_type` value stands for.
    pub fn from_ref_type(value: &str) -> Option<Self> {
        [LinkKind::ChildOf, LinkKind::FollowsFrom].into_iter().find(|k| k.ref_type() == Some(value))
    }
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
    /// The file gave no start time (a Zipkin span without `timestamp`): the loader placed the
    /// span near its parent, and it does not count towards its trace's bounds.
    pub const UNTIMED: u8 = 8;
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
    /// OTLP protobuf: one message, or the Collector file exporter's length-prefixed messages.
    #[value(name = "otlp-proto")]
    OtlpProto,
    #[value(name = "datadog-ui-json")]
    DatadogUiJson,
    #[value(name = "otel-python-console")]
    PythonConsole,
    #[value(name = "otel-go-stdouttrace")]
    GoStdouttrace,
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
            Self::OtlpProto => "otlp-proto",
            Self::DatadogUiJson => "datadog-ui-json",
            Self::PythonConsole => "otel-python-console",
            Self::GoStdouttrace => "otel-go-stdouttrace",
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
    /// Log records read from it.
    pub logs: usize,
    /// What else the file holds besides traces and logs.
    pub other_signals: OtherSignals,
}

/// Records of OpenTelemetry signals other than traces and logs found in a trace file (one
/// Collector file exporter serving several pipelines writes them all into one file): counted, not
/// loaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OtherSignals {
    /// Metrics (each with its data points) in `resourceMetrics` documents.
    pub metrics: u64,
    /// Log records counted but not read. OTLP JSON logs are read into `Dataset::logs` now, so no
    /// reader counts any; the field stays for the `other_signals` JSON contract.
    pub log_records: u64,
}

impl OtherSignals {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
    pub fn add(&mut self, other: Self) {
        self.metrics += other.metrics;
        self.log_records += other.log_records;
    }
}

/// "3 metrics and 1 log record", naming only what is there.
impl fmt::Display for OtherSignals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let metrics = format!("{} metric{}", self.metrics, plural(self.metrics));
        let logs = format!("{} log record{}", self.log_records, plural(self.log_records));
        match (self.metrics, self.log_records) {
            (0, _) => f.write_str(&logs),
            (_, 0) => f.write_str(&metrics),
            _ => write!(f, "{metrics} and {logs}"),
        }
    }
}

/// Keep at most this many warnings of each kind (dropped, repaired) per file; the counts stay exact.
pub const MAX_WARNINGS_PER_FILE: usize = 50;

impl FileInfo {
    pub fn new(path: impl Into<String>, format: Format) -> Self {
        Self {
            path: path.into(),
            format,
            spans: 0,
            skipped: 0,
            warnings: Vec::new(),
            logs: 0,
            other_signals: OtherSignals::default(),
        }
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
    /// Attributes, 8 bytes each; read them with `attrs_of`, add them with `add_attrs`.
    pub attrs: Vec<PackedAttr>,
    /// Array elements, packed like attributes (key 0); read with `values_of`.
    pub values: Vec<PackedAttr>,
    /// The 64-bit parts of packed attributes and array elements that do not fit 32 bits.
    pub wide: Vec<u64>,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
    pub resources: Vec<Resource>,
    pub scopes: Vec<Scope>,
    pub files: Vec<FileInfo>,
    /// Log records read from the same inputs (OTLP logs), in input order.
    pub logs: Vec<LogRecord>,
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
        self.attrs.reserve(attrs.len());
        for a in attrs {
            let packed = pack(a.key, a.value, &mut self.wide);
            self.attrs.push(packed);
        }
        slice_at(start, attrs.len())
    }

    /// Appends array elements and returns the `Value::Array` that points at them.
    pub fn add_array(&mut self, values: &[Value]) -> Value {
        let start = self.values.len();
        self.values.reserve(values.len());
        for &v in values {
            let packed = pack(Sym::default(), v, &mut self.wide);
            self.values.push(packed);
        }
        Value::Array(slice_at(start, values.len()))
    }

    /// Where the attribute arenas end now, for `rollback_attrs`.
    pub fn attr_mark(&self) -> AttrMark {
        AttrMark { attrs: self.attrs.len(), values: self.values.len(), wide: self.wide.len() }
    }

    /// Drops every attribute and array element added since `mark` (a record that was skipped).
    pub fn rollback_attrs(&mut self, mark: AttrMark) {
        self.attrs.truncate(mark.attrs);
        self.values.truncate(mark.values);
        self.wide.truncate(mark.wide);
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

    /// Whether the spans' link slices tile `links` exactly, span after span: every link has
    /// exactly one source span, the order `Index` numbers links by.
    pub fn links_tiled(&self) -> bool {
        let mut next = 0u64;
        for s in self.spans.iter().filter(|s| !s.links.is_empty()) {
            if u64::from(s.links.start) != next {
                return false;
            }
            next += u64::from(s.links.len);
        }
        next == self.links.len() as u64
    }

    /// Rebuilds `links` so the spans' slices tile it (see `links_tiled`), dropping links no span
    /// owns (those of a de-duplicated copy) and copying links two slices share. A no-op when the
    /// links are tiled already, as every loader leaves them unless it removed or replaced spans.
    pub fn tile_links(&mut self) {
        if self.links_tiled() {
            return;
        }
        let old = std::mem::take(&mut self.links);
        for span in &mut self.spans {
            let own = old.get(span.links.range()).unwrap_or_default();
            let start = self.links.len();
            self.links.extend_from_slice(own);
            span.links = slice_at(start, own.len());
        }
    }

    /// Removes the spans at `drop` (ascending indices) and the links they owned.
    pub fn remove_spans(&mut self, drop: &[usize]) {
        if drop.is_empty() {
            return;
        }
        let mut next = drop.iter().copied().peekable();
        let mut i = 0;
        self.spans.retain(|_| {
            let keep = next.next_if_eq(&i).is_none();
            i += 1;
            keep
        });
        self.tile_links();
    }

    pub fn add_resource(&mut self, attrs: Slice) -> ResourceIdx {
        self.resources.push(Resource { attrs });
        ResourceIdx(u32::try_from(self.resources.len() - 1).unwrap_or(0))
    }

    pub fn add_scope(&mut self, scope: Scope) -> ScopeIdx {
        self.scopes.push(scope);
        ScopeIdx(u32::try_from(self.scopes.len() - 1).unwrap_or(0))
    }

    /// The attributes of `slice`, decoded (empty if the slice is not from this dataset).
    pub fn attrs_of(&self, slice: Slice) -> AttrIter<'_> {
        AttrIter { packed: self.attrs.get(slice.range()).unwrap_or_default().iter(), wide: &self.wide }
    }
    /// The elements of an array, decoded (empty if the slice is not from this dataset).
    pub fn values_of(&self, slice: Slice) -> ValueIter<'_> {
        ValueIter(AttrIter {
            packed: self.values.get(slice.range()).unwrap_or_default().iter(),
            wide: &self.wide,
        })
    }
    /// Every attribute of every block (spans, events, links, resources, scopes, nested maps).
    pub fn all_attrs(&self) -> AttrIter<'_> {
        AttrIter { packed: self.attrs.iter(), wide: &self.wide }
    }
    /// Every array element of every array.
    pub fn all_values(&self) -> ValueIter<'_> {
        ValueIter(AttrIter { packed: self.values.iter(), wide: &self.wide })
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
        self.attrs_of(slice).find(|a| a.key == key).map(|a| a.value)
    }

    /// Gives back the arenas' spare capacity once loading is done (they grew by doubling).
    pub fn shrink_to_fit(&mut self) {
        self.strings.shrink_to_fit();
        self.spans.shrink_to_fit();
        self.attrs.shrink_to_fit();
        self.values.shrink_to_fit();
        self.wide.shrink_to_fit();
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
                    for v in ds.values_of(items) {
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
            + self.attrs.capacity() * size_of::<PackedAttr>()
            + self.values.capacity() * size_of::<PackedAttr>()
            + self.wide.capacity() * size_of::<u64>()
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
            && self.wide.is_empty()
            && self.events.is_empty()
            && self.links.is_empty()
            && self.resources.len() <= 1
            && self.scopes.len() <= 1
            && self.files.is_empty()
            && self.logs.is_empty()
            && self.strings.is_empty()
    }

    /// Moves everything from `other` into `self`, remapping symbols, slices and file numbers.
    /// Appending to a blank dataset just takes `other` over (loading one file costs nothing here).
    pub fn append(&mut self, other: Dataset) {
        self.append_mapped(other);
    }

    /// `append`, saying where `other`'s symbols went, for callers that hold keys made of them.
    pub fn append_mapped(&mut self, mut other: Dataset) -> SymMap {
        if self.is_blank() && !other.resources.is_empty() && !other.scopes.is_empty() {
            std::mem::swap(self, &mut other);
            return SymMap(Vec::new());
        }
        let syms = SymMap(self.strings.absorb(&other.strings));
        let map = |s: Sym| syms.get(s);
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
        // Decoded and packed again: a remapped key may no longer fit inline, and wide entries
        // move to the end of our `wide`.
        self.attrs.reserve(other.attrs.len());
        self.values.reserve(other.values.len());
        self.wide.reserve(other.wide.len());
        for a in other.all_attrs() {
            let packed = pack(map(a.key), map_value(a.value), &mut self.wide);
            self.attrs.push(packed);
        }
        for v in other.all_values() {
            let packed = pack(Sym::default(), map_value(v), &mut self.wide);
            self.values.push(packed);
        }
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
        self.logs.extend(other.logs.iter().map(|l| LogRecord {
            severity_text: map_opt(l.severity_text),
            body: map_value(l.body),
            attrs: shift(l.attrs, attr_base),
            service: map(l.service),
            file: l.file.saturating_add(file_base),
            ..*l
        }));
        self.files.extend(other.files);
        syms
    }
}

/// Where the symbols of an appended dataset went (`Dataset::append_mapped`).
#[derive(Debug)]
pub struct SymMap(Vec<Sym>);

impl SymMap {
    pub fn get(&self, s: Sym) -> Sym {
        // Symbols are dense indices, so a symbol of the appended dataset indexes the map; an
        // empty map is the identity (the dataset was taken over whole).
        self.0.get(lasso::Key::into_usize(s)).copied().unwrap_or(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_parse_with_or_without_the_otlp_prefix_in_any_case() {
        assert_eq!(StatusCode::from_name("STATUS_CODE_ERROR"), Some(StatusCode::Error));
        assert_eq!(StatusCode::from_name("ok"), Some(StatusCode::Ok));
        assert_eq!(StatusCode::from_name("Unset"), Some(StatusCode::Unset));
        assert_eq!(StatusCode::from_name("fine"), None);
    }

    #[test]
    fn ids_parse_either_case_and_pad_short_ones() {
        assert_eq!(
            TraceId::from_hex("5B8EFFF798038103D269B633813FC60C").unwrap().to_string(),
            "5b8efff798038103d269b633813fc60c"
        );
        assert_eq!(TraceId::from_hex("00ff").unwrap().to_string(), "000000000000000000000000000000ff");
        assert_eq!(SpanId::from_hex("0").unwrap(), SpanId(0));
        assert_eq!(SpanId::from_hex("+1"), Err(IdError::NotHex));
        assert_eq!(parse_hex("0f"), Some(15));
        assert_eq!(parse_hex(""), Some(0));
        assert_eq!(parse_hex("+f"), None);
        assert_eq!(parse_hex(&"1".repeat(33)), None);
        assert_eq!(SpanId::from_hex("12345678901234567"), Err(IdError::TooLong(17, 16)));
        assert_eq!(TraceId::from_halves(1, 2).0, (1u128 << 64) | 2);
    }

    /// Bit-exact equality, so NaN payloads and -0.0 count as different values.
    fn same(a: Value, b: Value) -> bool {
        match (a, b) {
            (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
            _ => a == b,
        }
    }

    fn fake_sym(i: usize) -> Sym {
        lasso::Key::try_from_usize(i).expect("below u32::MAX")
    }

    fn every_kind_of_value(ds: &mut Dataset) -> Vec<Value> {
        let s = ds.intern("text");
        let b = ds.intern("aGk=");
        let inner = ds.add_array(&[Value::Int(i64::MIN), Value::Double(f64::NAN)]);
        let nested_map = ds.add_attrs(&[Attr { key: s, value: inner }]);
        let empty_map = ds.add_attrs(&[]);
        let empty_array = ds.add_array(&[]);
        let mut out = vec![
            Value::Empty,
            Value::Str(s),
            Value::Bytes(b),
            Value::Bool(false),
            Value::Bool(true),
            Value::Int(0),
            Value::Int(-1),
            Value::Int(i64::from(i32::MIN)),
            Value::Int(i64::from(i32::MAX)),
            Value::Int(i64::from(i32::MIN) - 1),
            Value::Int(i64::from(i32::MAX) + 1),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Double(0.0),
            Value::Double(-0.0),
            Value::Double(0.5),
            Value::Double(0.1),
            Value::Double(1e300),
            Value::Double(f64::MIN_POSITIVE),
            Value::Double(f64::INFINITY),
            Value::Double(f64::NEG_INFINITY),
            Value::Double(f64::NAN),
            Value::Double(-f64::NAN),
            // A NaN with a payload that an f32 cannot carry.
            Value::Double(f64::from_bits(0x7ff0_0000_0000_0001)),
            Value::Double(f64::from_bits(0x7ff8_0000_0000_0001)),
            inner,
            empty_array,
            Value::Map(nested_map),
            Value::Map(empty_map),
        ];
        // Slices whose start or length need more than 16 bits.
        out.push(Value::Array(Slice { start: u32::MAX - 5, len: 5 }));
        out.push(Value::Map(Slice { start: 70_000, len: 70_000 }));
        out
    }

    #[test]
    fn packed_attributes_take_eight_bytes() {
        assert_eq!(std::mem::size_of::<PackedAttr>(), 8);
    }

    #[test]
    fn every_value_round_trips_as_attribute_and_array_element() {
        let mut ds = Dataset::new();
        let values = every_kind_of_value(&mut ds);
        let keys: Vec<Sym> = (0..values.len()).map(|i| ds.intern(&format!("k{i}"))).collect();
        let attrs: Vec<Attr> = keys.iter().zip(&values).map(|(&key, &value)| Attr { key, value }).collect();
        let slice = ds.add_attrs(&attrs);
        let back: Vec<Attr> = ds.attrs_of(slice).collect();
        assert_eq!(back.len(), attrs.len());
        for (a, b) in attrs.iter().zip(&back) {
            assert_eq!(a.key, b.key);
            assert!(same(a.value, b.value), "{:?} came back as {:?}", a.value, b.value);
        }
        let Value::Array(arr) = ds.add_array(&values) else { panic!("add_array returns an array") };
        let elems: Vec<Value> = ds.values_of(arr).collect();
        assert_eq!(elems.len(), values.len());
        for (&a, &b) in values.iter().zip(&elems) {
            assert!(same(a, b), "{a:?} came back as {b:?}");
        }
        // Iterating from the back decodes the same entries.
        let rev: Vec<Value> = ds.values_of(arr).rev().collect();
        assert!(rev.iter().rev().zip(&elems).all(|(&a, &b)| same(a, b)));
        // Small values stay inline: only the wide ints, non-f32 doubles and slices use `wide`.
        let wide_values = values
            .iter()
            .filter(|v| match v {
                Value::Int(i) => i32::try_from(*i).is_err(),
                Value::Double(d) => f64::from(*d as f32).to_bits() != d.to_bits(),
                Value::Array(_) | Value::Map(_) => true,
                _ => false,
            })
            .count();
        let before = ds.wide.len();
        ds.add_attrs(&attrs);
        assert_eq!(ds.wide.len() - before, wide_values);
    }

    #[test]
    fn keys_past_28_bits_spill_without_corruption() {
        let mut ds = Dataset::new();
        let values = every_kind_of_value(&mut ds);
        let big = [INLINE_KEY_LIMIT - 1, INLINE_KEY_LIMIT, 300_000_000, u32::MAX as usize - 1];
        let mut attrs = Vec::new();
        for (i, &value) in values.iter().enumerate() {
            attrs.push(Attr { key: fake_sym(big[i % big.len()]), value });
        }
        let slice = ds.add_attrs(&attrs);
        for (a, b) in attrs.iter().zip(ds.attrs_of(slice)) {
            assert_eq!(lasso::Key::into_usize(a.key), lasso::Key::into_usize(b.key));
            assert!(same(a.value, b.value), "{:?} came back as {:?}", a.value, b.value);
        }
        // Neighbours with ordinary keys are untouched.
        let k = ds.intern("small");
        let after = ds.add_attrs(&[Attr { key: k, value: Value::Int(7) }]);
        assert_eq!(ds.attrs_of(after).collect::<Vec<_>>(), [Attr { key: k, value: Value::Int(7) }]);
    }

    #[test]
    fn attrs_of_a_foreign_slice_is_empty_not_a_panic() {
        let ds = Dataset::new();
        assert!(ds.attrs_of(Slice { start: 5, len: 3 }).is_empty());
        assert_eq!(ds.values_of(Slice { start: u32::MAX, len: u32::MAX }).len(), 0);
    }

    #[test]
    fn rollback_drops_attributes_elements_and_wide_entries() {
        let mut ds = Dataset::new();
        let k = ds.intern("k");
        let kept = ds.add_attrs(&[Attr { key: k, value: Value::Int(i64::MAX) }]);
        let mark = ds.attr_mark();
        let (attrs, values, wide) = (ds.attrs.len(), ds.values.len(), ds.wide.len());
        let arr = ds.add_array(&[Value::Double(0.1), Value::Int(1)]);
        ds.add_attrs(&[Attr { key: fake_sym(300_000_000), value: arr }]);
        assert!(ds.wide.len() > wide);
        ds.rollback_attrs(mark);
        assert_eq!((ds.attrs.len(), ds.values.len(), ds.wide.len()), (attrs, values, wide));
        assert_eq!(ds.attrs_of(kept).collect::<Vec<_>>(), [Attr { key: k, value: Value::Int(i64::MAX) }]);
        // What is added next reuses the freed positions and decodes as itself.
        let again = ds.add_attrs(&[Attr { key: k, value: Value::Double(0.1) }]);
        assert_eq!(again.start as usize, attrs);
        assert_eq!(ds.find_attr(again, "k"), Some(Value::Double(0.1)));
    }

    #[test]
    fn append_remaps_packed_keys_values_and_wide_slices() {
        let mut a = Dataset::new();
        a.files.push(FileInfo::new("a", Format::OtlpJson));
        // Give `a` some symbols and wide entries so nothing lines up by accident.
        let a_keys: Vec<Sym> = (0..5).map(|i| a.intern(&format!("a{i}"))).collect();
        a.add_attrs(&[Attr { key: a_keys[0], value: Value::Int(i64::MIN) }]);
        a.add_array(&[Value::Double(0.1)]);
        let x = a.intern("x");
        a.spans.push(Span::new(TraceId(1), SpanId(1), SpanId(0), 0, 1, x, x));

        let mut b = Dataset::new();
        let (k, s, m, bytes) = (b.intern("k"), b.intern("s"), b.intern("m"), b.intern("Ynl0ZXM="));
        let arr = b.add_array(&[Value::Str(s), Value::Int(i64::MAX), Value::Bytes(bytes)]);
        let inner = b.add_attrs(&[Attr { key: k, value: arr }, Attr { key: s, value: Value::Double(0.1) }]);
        let outer = b.add_attrs(&[
            Attr { key: m, value: Value::Map(inner) },
            Attr { key: k, value: Value::Int(-5) },
            Attr { key: fake_sym(300_000_000), value: Value::Double(-0.0) },
        ]);
        let mut span = Span::new(TraceId(2), SpanId(2), SpanId(0), 0, 1, s, s);
        span.attrs = outer;
        b.spans.push(span);
        b.files.push(FileInfo::new("b", Format::OtlpJson));
        a.append(b);

        let span = a.spans[1];
        let outer: Vec<Attr> = a.attrs_of(span.attrs).collect();
        assert_eq!(outer.len(), 3);
        assert_eq!(a.str(outer[0].key), "m");
        assert_eq!(a.str(outer[1].key), "k");
        assert_eq!(outer[1].value, Value::Int(-5));
        // The fabricated key is not one of `b`'s strings, so it is kept as is, and so is -0.0.
        assert_eq!(lasso::Key::into_usize(outer[2].key), 300_000_000);
        assert!(same(outer[2].value, Value::Double(-0.0)));
        let Value::Map(inner) = outer[0].value else { panic!("{:?}", outer[0].value) };
        assert_eq!(a.find_attr(inner, "s"), Some(Value::Double(0.1)));
        let Some(Value::Array(arr)) = a.find_attr(inner, "k") else { panic!("no array") };
        let elems: Vec<Value> = a.values_of(arr).collect();
        assert_eq!(elems.len(), 3);
        assert!(matches!(elems[0], Value::Str(v) if a.str(v) == "s"));
        assert_eq!(elems[1], Value::Int(i64::MAX));
        assert!(matches!(elems[2], Value::Bytes(v) if a.str(v) == "Ynl0ZXM="));
        // `a`'s own entries are untouched.
        assert_eq!(
            a.attrs_of(Slice { start: 0, len: 1 }).next().map(|x| x.value),
            Some(Value::Int(i64::MIN))
        );
        assert_eq!(a.values_of(Slice { start: 0, len: 1 }).next(), Some(Value::Double(0.1)));
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
