//! SDK console exporters → `Dataset` (FORMATS.md §10): the OpenTelemetry Python SDK's
//! `ConsoleSpanExporter` (`python.rs`) and the Go SDK's `stdouttrace` (`go.rs`). One of the `load`
//! parsers; each of the two files holds only its schema.
//!
//! Both print one JSON object per span, one after another: pretty-printed over many lines (Python's
//! default, Go's `WithPrettyPrint`) or one per line. That is neither JSON nor JSON Lines, so the
//! input is read as a stream of values. A large input is cut for threads where a line opens an
//! object (`\n{`; the objects' own lines are indented) and run by `parallel::run_chunks`. A value
//! that is not JSON (a truncated tail, Python's `NaN`) is skipped with its line:col and reading
//! resumes at the next line that opens an object; an object that is not a span (a log record of a
//! console log exporter on the same stream) is skipped with a note.

mod go;
mod python;

use super::error::json_message;
use super::json::{Entries, Scalar, Str, scalar, skip_whitespace, text_of};
use super::parallel::{self, Chunked};
use super::progress::Ticker;
use super::sink::Sink;
use super::{Job, LoadError};
use crate::model::{Attr, Dataset, Format, ResourceIdx, SERVICE_NAME_KEY, Sym, UNKNOWN_SERVICE, Value};
use rustc_hash::FxHashMap;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

/// Where a top-level object most likely begins: at the start of a line.
const OBJECT_START: &[u8] = b"\n{";

/// Nesting below this is kept as JSON text rather than as arrays of arrays.
const MAX_VALUE_DEPTH: u8 = 2;

/// Parses a console exporter's output (`format` is `PythonConsole` or `GoStdouttrace`), on up to
/// `job.workers` threads.
pub(crate) fn parse_job(
    input: &[u8],
    path: &str,
    format: Format,
    job: &Job<'_>,
) -> Result<Dataset, LoadError> {
    let text = text_of(input, path, format)?;
    let schema: Schema = if format == Format::PythonConsole { python::add_span } else { go::add_span };
    let base = input.len() - text.len();
    let workers = job.workers_for(input.len());
    if workers > 1 {
        let bytes = text.as_bytes();
        let cuts = parallel::cuts(0, text.len(), workers, |at| {
            memchr::memmem::find(bytes.get(at..)?, OBJECT_START).map(|i| at + i + 1)
        });
        match parse_chunks(input, text, path, format, schema, job, &cuts) {
            Chunked::Done(run) => return Ok(run.reader.finish()),
            Chunked::Cancelled => return Err(LoadError::cancelled(path)),
            Chunked::Mismatch => {}
        }
    }
    let mut reader = Reader::new(input, path, format, input.len());
    let mut ticker = Ticker::for_job(job, 0);
    if reader.read(text, base, 0, text.len(), true, schema, &mut ticker).is_none() {
        return Err(LoadError::cancelled(path));
    }
    ticker.step(input.len(), reader.cx.ds.spans.len());
    Ok(reader.finish())
}

/// One format's schema: reads one top-level value (`raw`) into the reader's dataset.
type Schema = for<'a> fn(&mut Reader<'a>, &'a RawValue);

/// One chunk of a parallel parse: its reader and the progress it reported.
struct Run<'a, 'p> {
    reader: Reader<'a>,
    ticker: Ticker<'p>,
}

impl parallel::Chunk for Run<'_, '_> {
    fn ticker(&self) -> &Ticker<'_> {
        &self.ticker
    }
    fn absorb(&mut self, next: Self) {
        self.reader.absorb(next.reader);
    }
}

fn parse_chunks<'a, 'p>(
    input: &'a [u8],
    text: &'a str,
    path: &str,
    format: Format,
    schema: Schema,
    job: &Job<'p>,
    cuts: &[usize],
) -> Chunked<Run<'a, 'p>> {
    let base = input.len() - text.len();
    parallel::run_chunks(cuts.len() - 1, job, |k| {
        let (from, until) = (*cuts.get(k)?, *cuts.get(k + 1)?);
        // The first chunk's reader takes in all the others, so it is sized for the whole input.
        let share = if k == 0 { input.len() } else { until - from };
        let mut reader = Reader::new(input, path, format, share);
        let mut ticker = Ticker::for_job(job, base + from);
        // A chunk does not resynchronise: a bad value sends the whole input to the sequential
        // pass, which reports it.
        let ok = reader.read(text, base, from, until, false, schema, &mut ticker)?;
        Some((Run { reader, ticker }, ok))
    })
}

/// The per-input state both schemas fill.
pub(super) struct Reader<'a> {
    pub cx: Sink<'a>,
    /// One resource per distinct resource text (the same process prints it on every span).
    resources: FxHashMap<Sym, ResourceIdx>,
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8], path: &str, format: Format, share: usize) -> Self {
        Self { cx: Sink::with_share(input, path, format, share), resources: FxHashMap::default() }
    }

    fn finish(self) -> Dataset {
        self.cx.finish()
    }

    /// Takes in the reader of the next chunk (chunks are absorbed in file order).
    fn absorb(&mut self, other: Reader<'a>) {
        let Reader { cx, resources } = other;
        let appended = self.cx.absorb(cx);
        appended.share(&mut self.cx.ds, &mut self.resources, resources);
    }

    /// Reads the values that start in `text[from..until]`. Says whether the last one ended
    /// exactly at `until` (always so when `resync`, which skips bad values instead of stopping);
    /// `None` when the load was cancelled.
    #[expect(clippy::too_many_arguments, reason = "one call per chunk; the arguments are the chunk")]
    fn read(
        &mut self,
        text: &'a str,
        base: usize,
        from: usize,
        until: usize,
        resync: bool,
        schema: Schema,
        ticker: &mut Ticker<'_>,
    ) -> Option<bool> {
        let bytes = text.as_bytes();
        let mut pos = skip_whitespace(bytes, from);
        while pos < until {
            // `pos` is always at an ASCII byte; a miss would only end this reading.
            let Some(rest) = text.get(pos..until) else { return Some(false) };
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&'a RawValue>();
            match stream.next() {
                Some(Ok(raw)) => {
                    schema(self, raw);
                    pos = skip_whitespace(bytes, pos + stream.byte_offset());
                }
                Some(Err(e)) if resync => {
                    let at = self.cx.error_offset(rest, &e);
                    self.cx.skip_at(at, |_| format!("span skipped: {}", json_message(&e)));
                    let next = bytes.get(pos + 1..until).and_then(|b| memchr::memmem::find(b, OBJECT_START));
                    match next {
                        Some(i) => pos = pos + 1 + i + 1,
                        None => pos = until,
                    }
                }
                Some(Err(_)) => return Some(false),
                None => break,
            }
            if !ticker.step(base + pos.min(until), self.cx.ds.spans.len()) {
                return None;
            }
        }
        Some(pos == until)
    }

    /// Reads one span object into `T`; `None` (skipped, with where and why) when `raw` is not an
    /// object of that shape.
    pub fn span<T: serde::Deserialize<'a>>(&mut self, raw: &'a RawValue, expected: &str) -> Option<T> {
        let text = raw.get();
        if !text.starts_with('{') {
            let at = self.cx.text_offset(text);
            self.cx.skip_at(at, |_| format!("skipped: expected {expected}"));
            return None;
        }
        match serde_json::from_str::<T>(text) {
            Ok(span) => Some(span),
            Err(e) => {
                let at = self.cx.error_offset(text, &e);
                self.cx.skip_at(at, |_| format!("span skipped: {}", json_message(&e)));
                None
            }
        }
    }

    /// The resource printed as `raw` (one per distinct text), made by `attrs` the first time, and
    /// its service (`service.name`, else `unknown_service`).
    pub fn resource(
        &mut self,
        raw: Option<&'a RawValue>,
        attrs: impl FnOnce(&mut Self, &'a RawValue) -> Vec<Attr>,
    ) -> (ResourceIdx, Sym) {
        let unknown = self.cx.intern(UNKNOWN_SERVICE);
        let Some(raw) = raw else { return (ResourceIdx::default(), unknown) };
        let key = self.cx.intern(raw.get());
        let idx = match self.resources.get(&key) {
            Some(&idx) => idx,
            None => {
                let attrs = attrs(self, raw);
                let slice = self.cx.ds.add_attrs(&attrs);
                let idx = self.cx.ds.add_resource(slice);
                self.resources.insert(key, idx);
                idx
            }
        };
        let service_key = self.cx.intern(SERVICE_NAME_KEY);
        let slice = self.cx.ds.resources.get(idx.0 as usize).map(|r| r.attrs).unwrap_or_default();
        let service = self.cx.ds.attrs_of(slice).find_map(|a| match a.value {
            Value::Str(s) if a.key == service_key => Some(s),
            _ => None,
        });
        (idx, service.unwrap_or(unknown))
    }

    /// A plain JSON value (Python's attributes): numbers with a fraction or exponent are doubles,
    /// arrays are arrays, objects are kept as their JSON text.
    pub fn plain_value(&mut self, raw: &'a RawValue, depth: u8) -> Value {
        match scalar(raw) {
            Scalar::Json(t) if t.starts_with('[') && depth < MAX_VALUE_DEPTH => {
                match serde_json::from_str::<Vec<&'a RawValue>>(t) {
                    Ok(items) => {
                        let values: Vec<Value> =
                            items.into_iter().map(|v| self.plain_value(v, depth + 1)).collect();
                        self.cx.ds.add_array(&values)
                    }
                    Err(_) => Value::Str(self.cx.intern(t)),
                }
            }
            other => self.cx.plain_value(other, false),
        }
    }

    /// A `{key: plain value}` object as attributes.
    pub fn plain_attrs(&mut self, entries: Option<&Entries<'a, &'a RawValue>>) -> Vec<Attr> {
        let mut attrs = Vec::new();
        for (key, raw) in entries.map_or(&[][..], |e| &e.0[..]) {
            let key = self.cx.sym(key);
            let value = self.plain_value(raw, 0);
            attrs.push(Attr { key, value });
        }
        attrs
    }

    /// An RFC 3339 time in ns since 1970. `None` for no time (absent, or before 1970 such as Go's
    /// zero time `0001-01-01T00:00:00Z`); a time that is not RFC 3339 is warned about at `span_at`.
    pub fn time(&mut self, s: Option<&Str<'a>>, field: &str, span_at: &str) -> Option<u64> {
        let s = s?;
        match s.parse::<jiff::Timestamp>() {
            Ok(t) => u64::try_from(t.as_nanosecond()).ok(),
            Err(e) => {
                let at = self.cx.str_offset(s, span_at);
                let text = super::json::preview(s);
                self.cx
                    .warn_at(at, |_| format!("{field} \"{text}\" is not an RFC 3339 time ({e}); read as 0"));
                None
            }
        }
    }

    /// Start and end in ns; an end before the start is clamped to it, with a warning.
    pub fn times(&mut self, start: Option<u64>, end: Option<u64>, span_at: &str) -> (u64, u64, u8) {
        let start = start.unwrap_or(0);
        let at = crate::load::offset_of(self.cx.input, span_at);
        let (end, flags) = self.cx.repair_end(at, start, end.unwrap_or(start));
        (start, end, flags)
    }
}

/// Text with a `0x` prefix removed (Python prints ids so), still borrowed when it was.
fn without_0x<'a>(s: &Str<'a>) -> Str<'a> {
    match &s.0 {
        Cow::Borrowed(b) => Str(Cow::Borrowed(b.strip_prefix("0x").unwrap_or(b))),
        Cow::Owned(o) => Str(Cow::Owned(o.strip_prefix("0x").unwrap_or(o).to_owned())),
    }
}

/// Which console format a top-level object is, by its keys: Python's span has `name` and
/// `context`, Go's `Name` and `SpanContext`. Reads keys until it can tell, skipping only the
/// values of the keys that a span of either kind starts with; any other key ends the look (so
/// the whole of a large file in another format is never scanned here). `bytes` starts at `{`.
pub fn sniff_object(bytes: &[u8]) -> Option<Format> {
    struct Keys<'c>(&'c Cell<Option<Format>>);
    impl<'de> Visitor<'de> for Keys<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let (mut python, mut go) = ([false; 2], [false; 2]);
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                match &*key {
                    "name" => python[0] = true,
                    "context" => python[1] = true,
                    "Name" => go[0] = true,
                    "SpanContext" => go[1] = true,
                    _ => break,
                }
                if python == [true; 2] {
                    self.0.set(Some(Format::PythonConsole));
                    break;
                }
                if go == [true; 2] {
                    self.0.set(Some(Format::GoStdouttrace));
                    break;
                }
                map.next_value::<IgnoredAny>()?;
            }
            // Decided either way: the error only ends the walk.
            Err(de::Error::custom("decided"))
        }
    }
    let found = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = de::Deserializer::deserialize_map(&mut de, Keys(&found));
    found.get()
}

#[cfg(test)]
mod tests;
