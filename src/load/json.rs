//! The lenient JSON toolkit the text loaders share (Jaeger, Zipkin): borrowed strings, scalars
//! read from raw text, ordered maps, array runs cut for threads, and what they add to the
//! `Sink` (text read as `Str`, µs times, ids, places named by borrowed text).

use crate::load::Job;
use crate::load::LoadError;
use crate::load::parallel::{self, Chunked};
use crate::load::progress::Ticker;
use crate::load::sink::{Positions, Sink, Sizing};
use crate::model::{Format, IdError, Location, ScopeIdx, SpanId, StatusCode, Sym, TraceId, Value};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A JSON string, borrowed from the input unless it contained escapes.
///
/// serde's own `Option<Cow<str>>` always copies; this newtype borrows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V(PhantomData))
    }
}

/// A JSON value told apart by its kind, for fields that may hold several shapes: an array of `E`,
/// an object read as `O`, `null`, or another scalar (consumed). The one lenient visitor the
/// probes of the text loaders are built on.
pub(crate) enum Kind<E, O> {
    Array(Vec<E>),
    Object(O),
    Null,
    Scalar,
}

impl<'de, E: Deserialize<'de>, O: Deserialize<'de>> Deserialize<'de> for Kind<E, O> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<E, O>(PhantomData<(E, O)>);
        impl<'de, E: Deserialize<'de>, O: Deserialize<'de>> Visitor<'de> for V<E, O> {
            type Value = Kind<E, O>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // No `size_hint` preallocation: the input cannot make us reserve more than it holds.
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<E>()? {
                    out.push(item);
                }
                Ok(Kind::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                O::deserialize(de::value::MapAccessDeserializer::new(map)).map(Kind::Object)
            }
            fn visit_unit<E2: de::Error>(self) -> Result<Self::Value, E2> {
                Ok(Kind::Null)
            }
            fn visit_none<E2: de::Error>(self) -> Result<Self::Value, E2> {
                Ok(Kind::Null)
            }
            fn visit_bool<E2: de::Error>(self, _: bool) -> Result<Self::Value, E2> {
                Ok(Kind::Scalar)
            }
            fn visit_i64<E2: de::Error>(self, _: i64) -> Result<Self::Value, E2> {
                Ok(Kind::Scalar)
            }
            fn visit_u64<E2: de::Error>(self, _: u64) -> Result<Self::Value, E2> {
                Ok(Kind::Scalar)
            }
            fn visit_f64<E2: de::Error>(self, _: f64) -> Result<Self::Value, E2> {
                Ok(Kind::Scalar)
            }
            fn visit_str<E2: de::Error>(self, _: &str) -> Result<Self::Value, E2> {
                Ok(Kind::Scalar)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON array kept as raw elements, or a note that the value was not an array (consumed);
/// `null` is an empty array.
pub(crate) enum RawList<'a> {
    Items(Vec<&'a RawValue>),
    NotArray,
}

impl<'de: 'a, 'a> Deserialize<'de> for RawList<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Kind::<&'a RawValue, IgnoredAny>::deserialize(d)? {
            Kind::Array(items) => RawList::Items(items),
            Kind::Null => RawList::Items(Vec::new()),
            Kind::Object(_) | Kind::Scalar => RawList::NotArray,
        })
    }
}

/// A JSON object as its entries in file order (tag maps, process maps).
pub(crate) struct Entries<'a, V>(pub Vec<(Str<'a>, V)>);

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Entries<'a, T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a, T>(PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for V<'a, T> {
            type Value = Entries<'a, T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<Str<'a>, T>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// A JSON scalar read from its raw text without building a `serde_json::Value`.
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    /// The number's literal text, converted by the caller (int64 vs float64 vs too big).
    Num(&'a str),
    Str(Str<'a>),
    /// An array or object, kept as its JSON text.
    Json(&'a str),
}

/// Classifies already-validated raw JSON. Strings without escapes are borrowed.
pub(crate) fn scalar<'a>(raw: &'a RawValue) -> Scalar<'a> {
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'"') => {
            let inner = &text[1..text.len().saturating_sub(1).max(1)];
            if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
                Scalar::Str(Str(Cow::Borrowed(inner)))
            } else {
                // Valid JSON (checked in the first pass), so this only fails on bad surrogates.
                match serde_json::from_str::<String>(text) {
                    Ok(s) => Scalar::Str(Str(Cow::Owned(s))),
                    Err(_) => Scalar::Str(Str(Cow::Borrowed(inner))),
                }
            }
        }
        Some(b't') => Scalar::Bool(true),
        Some(b'f') => Scalar::Bool(false),
        Some(b'n') | None => Scalar::Null,
        Some(b'[' | b'{') => Scalar::Json(text),
        Some(_) => Scalar::Num(text),
    }
}

pub(crate) fn skip_whitespace(text: &[u8], mut pos: usize) -> usize {
    while text.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

/// Where to resume after a broken document that starts at `pos`: the next line that begins with
/// `{`. JSON Lines put every document at column 1, and a pretty-printed document's inner lines
/// are indented, so this finds the next document in both without re-reading the broken one.
pub(crate) fn next_document_line(input: &[u8], pos: usize) -> usize {
    let mut at = pos;
    while let Some(nl) = input.get(at..).and_then(|r| memchr::memchr(b'\n', r)) {
        at += nl + 1;
        if input.get(at) == Some(&b'{') {
            return at;
        }
    }
    input.len()
}

/// One JSON value of type `T` at `text[pos..until]` (the end bounds it) and where it ends;
/// `None` when the text there is not a `T` (or not JSON).
pub(crate) fn value_at<'a, T: Deserialize<'a>>(
    text: &'a str,
    pos: usize,
    until: usize,
) -> Option<(T, usize)> {
    let mut stream = serde_json::Deserializer::from_str(text.get(pos..until)?).into_iter::<T>();
    let value = stream.next()?.ok()?;
    Some((value, pos + stream.byte_offset()))
}

/// Reads the elements of a top-level array from `from` (the start of one) as a sequential
/// parse does, until the element that ends right before `until`: one run of a file cut for
/// threads. `read(pos)` reads and loads the element at `pos` and says where it ends and how
/// many spans are loaded so far (`None`: not well-formed JSON there). Says whether the run
/// ended exactly at `until` (for the `last` run: at the `]` closing the array), which proves
/// the cut was an element boundary; `None` when the load was cancelled. `text` starts `base`
/// bytes into the input (after a BOM); the ticker counts input bytes.
fn read_run(
    text: &str,
    base: usize,
    from: usize,
    until: usize,
    last: bool,
    ticker: &mut Ticker<'_>,
    mut read: impl FnMut(usize) -> Option<(usize, usize)>,
) -> Option<bool> {
    let bytes = text.as_bytes();
    let mut pos = from;
    loop {
        let Some((end, spans)) = read(pos) else { return Some(false) };
        pos = skip_whitespace(bytes, end);
        match bytes.get(pos) {
            Some(b',') => {
                pos = skip_whitespace(bytes, pos + 1);
                if !ticker.step(base + pos.min(until), spans) {
                    return None;
                }
                if pos >= until {
                    // A comma before the closing `]` is a syntax error.
                    return Some(pos == until && !last);
                }
            }
            Some(b']') => return Some(last && pos == until),
            _ => return Some(false),
        }
    }
}

/// A run's parser as `read_runs` drives it.
pub(crate) trait RunParser: Send {
    /// Spans loaded so far, for progress.
    fn spans(&self) -> usize;
    /// Takes in the parser of the next run (runs are absorbed in file order).
    fn absorb(&mut self, next: Self);
}

/// One run of a parallel parse: its parser and the progress it reported.
pub(crate) struct Run<'p, P> {
    pub parser: P,
    pub ticker: Ticker<'p>,
}

impl<P: RunParser> parallel::Chunk for Run<'_, P> {
    fn ticker(&self) -> &Ticker<'_> {
        &self.ticker
    }
    fn absorb(&mut self, next: Self) {
        self.parser.absorb(next.parser);
    }
}

/// Reads a top-level array cut at `cuts` (offsets in `text`; the last is the `]` that closes
/// it), one run per chunk through `parallel::run_chunks`. `new(share)` makes the parser of a
/// run of about `share` bytes (the first run's takes in all the others, so it is sized for the
/// whole input); `read(parser, pos, until)` loads the element at `pos` and says where it ends
/// (`None`: not well-formed there, so the cut was wrong or the file is broken).
pub(crate) fn read_runs<'p, P: RunParser>(
    input: &[u8],
    text: &str,
    job: &Job<'p>,
    cuts: &[usize],
    new: impl Fn(usize) -> P + Sync,
    read: impl Fn(&mut P, usize, usize) -> Option<usize> + Sync,
) -> Chunked<Run<'p, P>> {
    // Offsets in `text` are this much past those in `input` (a BOM).
    let base = input.len() - text.len();
    let array_end = cuts.last().copied().unwrap_or(0);
    parallel::run_chunks(cuts.len() - 1, job, |k| {
        let (from, until) = (*cuts.get(k)?, *cuts.get(k + 1)?);
        let mut parser = new(if k == 0 { input.len() } else { until - from });
        // The first run also counts what comes before its first element.
        let mut ticker = Ticker::for_job(job, if k == 0 { 0 } else { base + from });
        let last = until == array_end;
        let ok = read_run(text, base, from, until, last, &mut ticker, |pos| {
            let end = read(&mut parser, pos, until)?;
            Some((end, parser.spans()))
        })?;
        // The last run also counts the closing `]` and what follows it.
        let end = if last { input.len() } else { base + until };
        if ok {
            ticker.step(end, parser.spans());
        }
        Some((Run { parser, ticker }, ok))
    })
}

/// Shortens untrusted text quoted in a warning (`text::quoted_prefix`).
pub(crate) fn preview(s: &str) -> String {
    let (prefix, more) = crate::text::quoted_prefix(s);
    format!("{prefix}{more}")
}

/// The input as text (JSON must be UTF-8), without a leading BOM (serde_json does not skip one):
/// the one check and message of every loader that reads the whole input as text.
pub(crate) fn text_of<'a>(input: &'a [u8], path: &str, format: Format) -> Result<&'a str, LoadError> {
    // One SIMD pass (several times faster than std's check on a 1 GB file); std's check,
    // which says where the bad byte is, runs only when the input is not UTF-8.
    let text = simdutf8::basic::from_utf8(input).or_else(|_| std::str::from_utf8(input)).map_err(|e| {
        let at = crate::load::location_at(input, e.valid_up_to());
        LoadError::syntax(path, Some(format), at, "invalid UTF-8")
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

pub(crate) fn first_byte(text: &str) -> Option<u8> {
    text.bytes().find(|b| !b.is_ascii_whitespace())
}

/// Input bytes per span, attribute and distinct string: below what Jaeger and Zipkin JSON
/// exports spend (700–1400, 70–120 and 200–600 bytes in gentrace and the fixtures).
const SIZING: Sizing = Sizing { per_span: 1024, per_attr: 128, per_distinct_string: 512, per_string_byte: 8 };
/// Zipkin spends fewer bytes on all three (a span is about half a Jaeger one, and every tag
/// value is a string, numbers too): 696, 70 and 240 bytes in gentrace's files. The first run
/// of a parallel parse is sized for the whole file, so the others merge into it without
/// regrowing its arenas while theirs are still alive.
const ZIPKIN_SIZING: Sizing =
    Sizing { per_span: 640, per_attr: 64, per_distinct_string: 224, per_string_byte: 8 };

/// What the text loaders (Jaeger, Zipkin, console exporters) add to the sink: text read as
/// `Str`, scalars, µs times, ids, and places named by text borrowed from the input.
impl<'a> Sink<'a> {
    /// A sink for a part of `input` about `share` bytes long, sized for the format.
    pub fn with_share(input: &'a [u8], path: &str, format: Format, share: usize) -> Self {
        let sizing = if format == Format::ZipkinJson { &ZIPKIN_SIZING } else { &SIZING };
        Sink::new(input, path, format, Positions::Lines, share, sizing)
    }

    /// Interns text read from the input.
    pub fn sym(&mut self, s: &Str<'a>) -> Sym {
        match &s.0 {
            Cow::Borrowed(b) => self.intern(b),
            Cow::Owned(o) => self.ds.intern(o),
        }
    }

    /// Interns text read from the input, or "" for an absent field.
    pub fn sym_or_empty(&mut self, s: Option<&Str<'a>>) -> Sym {
        match s {
            Some(s) => self.sym(s),
            None => self.intern(""),
        }
    }

    /// A scalar that is not a string, as a typed value. `float` forces numbers to doubles.
    pub fn plain_value(&mut self, sc: Scalar<'a>, float: bool) -> Value {
        match sc {
            Scalar::Null => Value::Empty,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Num(t) => number(t, float).unwrap_or_else(|| Value::Str(self.intern(t))),
            Scalar::Str(s) => Value::Str(self.sym(&s)),
            Scalar::Json(t) => Value::Str(self.intern(t)),
        }
    }

    /// µs start and duration → ns start and end, checked (`time_us`).
    pub fn times_us(&mut self, start_us: Option<u64>, duration_us: Option<u64>, span_at: &str) -> (u64, u64) {
        let start_us = start_us.unwrap_or(0);
        let end_us = start_us.saturating_add(duration_us.unwrap_or(0));
        // The end overflows whenever the start does: one warning, for the end.
        let start = start_us.saturating_mul(1000);
        (start, self.time_us(Some(end_us), span_at))
    }

    /// A µs time (span or event) → ns: one that overflows is clamped to the end of time with a
    /// warning at `span_at` rather than wrapped. Span and event times are repaired alike.
    pub fn time_us(&mut self, us: Option<u64>, span_at: &str) -> u64 {
        let us = us.unwrap_or(0);
        us.checked_mul(1000).unwrap_or_else(|| {
            let at = self.text_offset(span_at);
            self.warn_at(at, |_| format!("time {us} µs overflows nanoseconds since 1970; clamped"));
            u64::MAX
        })
    }

    /// False once the file keeps no more warnings of either kind; finding a line:col costs a
    /// scan, so it is skipped for warnings that would be dropped.
    fn wants_location(&self) -> bool {
        self.file.keeps(true) || self.file.keeps(false)
    }

    /// The byte offset where `part` (borrowed from the input) starts.
    pub fn text_offset(&self, part: &str) -> usize {
        crate::load::offset_of(self.input, part)
    }

    /// Where a parsed string starts, or where `fallback` (borrowed from the input) starts when
    /// the string was unescaped into a copy.
    pub fn str_offset(&self, s: &Str<'a>, fallback: &str) -> usize {
        match &s.0 {
            // The string sits inside its quotes; point at the opening quote.
            Cow::Borrowed(b) => self.text_offset(b).saturating_sub(1),
            Cow::Owned(_) => self.text_offset(fallback),
        }
    }

    /// The line:col of a serde error raised while parsing `raw` (borrowed from the input), for
    /// quoting it in a message.
    pub fn error_location(&self, raw: &str, err: &serde_json::Error) -> Location {
        if !self.wants_location() {
            return Location::Unknown;
        }
        self.locate(self.error_offset(raw, err))
    }

    /// The byte offset of a serde error raised while parsing `raw` (borrowed from the input).
    pub fn error_offset(&self, raw: &str, err: &serde_json::Error) -> usize {
        let base = crate::load::offset_of(self.input, raw);
        let mut line_start = 0;
        if err.line() > 1 {
            for (i, nl) in memchr::memchr_iter(b'\n', raw.as_bytes()).enumerate() {
                line_start = nl + 1;
                if i + 2 >= err.line() {
                    break;
                }
            }
        }
        let within = (line_start + err.column().saturating_sub(1)).min(raw.len());
        base.saturating_add(within)
    }

    /// Parses a required trace id; on failure records the span as skipped and returns `None`.
    pub fn trace_id(&mut self, s: Option<&Str<'a>>, field: &str, span_at: &str) -> Option<TraceId> {
        let res = s.ok_or(IdError::Empty).and_then(|s| TraceId::from_hex(s));
        match res {
            Ok(id) if !id.is_zero() => Some(id),
            other => {
                self.skip_bad_id(s, field, other.err(), span_at);
                None
            }
        }
    }

    /// Parses a required span id; on failure records the span as skipped and returns `None`.
    pub fn span_id(&mut self, s: Option<&Str<'a>>, field: &str, span_at: &str) -> Option<SpanId> {
        let res = s.ok_or(IdError::Empty).and_then(|s| SpanId::from_hex(s));
        match res {
            Ok(id) if !id.is_zero() => Some(id),
            other => {
                self.skip_bad_id(s, field, other.err(), span_at);
                None
            }
        }
    }

    fn skip_bad_id(&mut self, s: Option<&Str<'a>>, field: &str, err: Option<IdError>, span_at: &str) {
        let (at, msg) = match (s, err) {
            (None, _) => (self.text_offset(span_at), format!("span skipped: missing {field}")),
            (Some(s), Some(e)) => {
                (self.str_offset(s, span_at), format!("span skipped: bad {field} \"{}\": {e}", preview(s)))
            }
            (Some(s), None) => (self.str_offset(s, span_at), format!("span skipped: {field} is zero")),
        };
        self.skip_at(at, |_| msg);
    }
}

/// Span fields that OTel's Jaeger and Zipkin exporters write as tags (FORMATS.md §2.5, §3.3).
#[derive(Default)]
pub(crate) struct OtelTags {
    pub status: Option<StatusCode>,
    pub status_message: Option<Sym>,
    pub trace_state: Option<Sym>,
    /// `otel.scope.*`, and the older `otel.library.*` read when it is absent.
    scope: NameVersion,
    library: NameVersion,
}

/// An instrumentation scope's name and version as tags give them.
#[derive(Default)]
struct NameVersion {
    name: Option<Sym>,
    version: Option<Sym>,
}

impl OtelTags {
    /// Takes the tag if it is one of these (`value` is its interned `text`); false otherwise.
    pub fn take(&mut self, key: &str, value: Sym, text: &str) -> bool {
        let slot = match key {
            "otel.status_code" => {
                self.status = Some(StatusCode::from_name(text).unwrap_or_default());
                return true;
            }
            "otel.status_description" => &mut self.status_message,
            "w3c.tracestate" => &mut self.trace_state,
            "otel.scope.name" => &mut self.scope.name,
            "otel.scope.version" => &mut self.scope.version,
            "otel.library.name" => &mut self.library.name,
            "otel.library.version" => &mut self.library.version,
            _ => return false,
        };
        *slot = Some(value);
        true
    }

    /// The scope these tags name.
    pub fn scope(&self, cx: &mut Sink<'_>) -> ScopeIdx {
        cx.scope(self.scope.name.or(self.library.name), self.scope.version.or(self.library.version))
    }
}

/// A JSON number literal as an int (when it is one and fits) or a double.
pub(crate) fn number(text: &str, float: bool) -> Option<Value> {
    if !float && let Ok(n) = text.parse::<i64>() {
        return Some(Value::Int(n));
    }
    // Integers beyond i64 keep their exact digits as text rather than lose precision.
    if !float && !text.contains(['.', 'e', 'E']) {
        return None;
    }
    text.parse::<f64>().ok().map(Value::Double)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_and_event_times_that_overflow_are_clamped_with_one_warning_each() {
        let input = b"{\"timestamp\": 18446744073709551}";
        let text = std::str::from_utf8(input).unwrap();
        let mut cx = Sink::with_share(input, "z.json", Format::ZipkinJson, 0);
        assert_eq!(cx.time_us(Some(5), text), 5000);
        assert!(cx.file.warnings.is_empty());
        assert_eq!(cx.time_us(Some(u64::MAX / 100), text), u64::MAX, "an event time");
        assert_eq!(cx.times_us(Some(u64::MAX / 100), Some(1), text), (u64::MAX, u64::MAX), "a span's");
        let messages: Vec<&str> = cx.file.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages.iter().all(|m| m.ends_with("µs overflows nanoseconds since 1970; clamped")));
        assert_eq!(cx.file.warnings[0].at, Location::Line { line: 1, column: 1 });
    }
}
