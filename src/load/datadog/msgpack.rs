//! Datadog msgpack payloads (v0.4 span maps, v0.5 string-table arrays) → `Builder`.
//!
//! A small borrowing cursor over the input (`Reader`) classifies markers with `rmp::Marker` and
//! tracks the byte offset itself, so every problem names its byte. Strings are borrowed from the
//! input; no length the input claims drives an allocation (capacities are capped by the bytes
//! left, and a string longer than the rest of the input is an error before anything is read).
//!
//! Recovery: msgpack is self-delimiting, so a span of the wrong shape is skipped by its encoded
//! length (`Reader::skip`) and the rest of its chunk still loads. Only running out of input (or a
//! byte that is not msgpack at all) stops reading; what was complete before that point is kept.

use super::Builder;
pub(crate) use super::reader::{Error, ErrorKind, Number, Reader, Result, Scalar, text};
use crate::load::parallel::{self, Chunked};
use crate::load::progress::Ticker;
use crate::model::{Attr, SpanId, TraceId, Value};
use rmp::Marker;
use std::borrow::Cow;

// ---------------------------------------------------------------------------------------------
// Field decoding shared by v0.4 and v0.5

/// A span/trace id: any integer width, signed or unsigned. Java and old JRuby send int64, so a
/// negative value is the same 64 bits read as unsigned. nil is 0.
fn id(r: &mut Reader<'_>) -> Result<u64> {
    let at = r.pos();
    match r.number().map_err(|e| expected(e, "an integer id"))? {
        Number::U(v) => Ok(v),
        #[expect(clippy::cast_sign_loss, reason = "negative int64 ids are unsigned ids sent as signed")]
        Number::I(v) => Ok(v as u64),
        Number::Nil => Ok(0),
        Number::F(_) => {
            Err(Error { at, kind: ErrorKind::Type { expected: "an integer id", found: "a float" } })
        }
    }
}

/// An int64 field (`start`, `duration`, `error`): uint is accepted up to i64::MAX, nil is 0.
fn int64(r: &mut Reader<'_>, field: &str) -> Result<i64> {
    let at = r.pos();
    match r.number().map_err(|e| expected(e, "an integer"))? {
        Number::U(v) => i64::try_from(v)
            .map_err(|_| Error::invalid(at, format!("`{field}` is {v}, more than the int64 maximum"))),
        Number::I(v) => Ok(v),
        Number::Nil => Ok(0),
        Number::F(_) => Err(Error { at, kind: ErrorKind::Type { expected: "an integer", found: "a float" } }),
    }
}

/// Names what was expected more precisely than the reader could (a type error only).
fn expected(e: Error, what: &'static str) -> Error {
    match e.kind {
        ErrorKind::Type { found, .. } => Error { at: e.at, kind: ErrorKind::Type { expected: what, found } },
        _ => e,
    }
}

/// A metric value: any number as f64 (ints above 2^53 lose precision, as in the agent).
fn number_f64(n: Number) -> Option<f64> {
    match n {
        Number::U(v) => Some(v as f64),
        Number::I(v) => Some(v as f64),
        Number::F(v) => Some(v),
        Number::Nil => Some(0.0),
    }
}

/// A lenient scalar as an attribute value (meta values should be strings, but numbers and bools
/// are kept typed rather than dropped).
fn scalar_value<'a>(b: &mut Builder<'a>, s: Scalar<'a>) -> Option<Value> {
    Some(match s {
        Scalar::Str(bytes) => Value::Str(b.sym_bytes(bytes)),
        Scalar::Bin(bytes) => Value::Bytes(b.sink.intern(&super::base64(bytes))),
        Scalar::Bool(v) => Value::Bool(v),
        // Past i64 the exact digits are kept as text (as the JSON loaders do), not a lossy double.
        Scalar::Num(Number::U(v)) => {
            i64::try_from(v).map_or_else(|_| Value::Str(b.sink.intern(&v.to_string())), Value::Int)
        }
        Scalar::Num(Number::I(v)) => Value::Int(v),
        Scalar::Num(Number::F(v)) => Value::Double(v),
        Scalar::Num(Number::Nil) => Value::Empty,
        Scalar::Other(_) => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// v0.4

/// What a v0.4 payload holds at the top: `[chunk, …]`, each chunk `[span map, …]`.
pub(crate) fn parse_v04<'a>(b: &mut Builder<'a>, input: &'a [u8]) -> std::result::Result<(), Error> {
    let mut r = Reader::new(input);
    let chunks = v04_header(&mut r)?;
    let outcome = read_chunks(&mut r, b, 0, chunks, |r, b| span_v04(r, b));
    finish_payload(&mut r, b, outcome, chunks)
}

fn v04_header(r: &mut Reader<'_>) -> Result<u32> {
    r.array_len().map_err(|e| expected(e, "an array of trace chunks (Datadog v0.4)"))
}

/// How reading a list of chunks ended.
pub(crate) enum Outcome {
    Complete,
    /// Reading stopped early: the error, and which chunk (0-based) it stopped in.
    Stopped(Error, u32),
    /// The load was cancelled (`Builder::ticker`).
    Cancelled,
}

/// Reads chunks `first..first + count` of spans with `span` decoding one span. A span of the
/// wrong shape is skipped by its length; a chunk that is not an array is skipped whole.
///
/// Each chunk is independent (its `_dd.p.tid` applies only inside it), so `parse_parallel`
/// gives ranges of chunks to separate `Builder`s.
pub(crate) fn read_chunks<'a, F>(
    r: &mut Reader<'a>,
    b: &mut Builder<'a>,
    first: u32,
    count: u32,
    mut span: F,
) -> Outcome
where
    F: FnMut(&mut Reader<'a>, &mut Builder<'a>) -> Result<()>,
{
    for ci in first..first.saturating_add(count) {
        if !b.ticker.step(r.pos(), b.span_count()) {
            return Outcome::Cancelled;
        }
        let chunk_at = r.pos();
        let n = match r.array_len() {
            Ok(n) => n,
            Err(e) if e.is_fatal() => return Outcome::Stopped(e, ci),
            Err(e) => {
                if let Err(e) = r.skip() {
                    return Outcome::Stopped(e, ci);
                }
                b.skip(chunk_at, format!("trace chunk {} skipped: {e}", u64::from(ci) + 1));
                continue;
            }
        };
        b.begin_chunk();
        for _ in 0..n {
            let span_at = r.pos();
            b.begin_span();
            match span(r, b) {
                Ok(()) => b.finish_span(span_at),
                Err(e) if e.is_fatal() => {
                    b.abort_span();
                    b.end_chunk();
                    return Outcome::Stopped(e, ci);
                }
                Err(e) => {
                    b.abort_span();
                    r.set_pos(span_at);
                    if let Err(fatal) = r.skip() {
                        b.end_chunk();
                        return Outcome::Stopped(fatal, ci);
                    }
                    b.skip(e.at, format!("span at byte {span_at} skipped: {e}"));
                }
            }
        }
        b.end_chunk();
    }
    if !b.ticker.step(r.pos(), b.span_count()) {
        return Outcome::Cancelled;
    }
    Outcome::Complete
}

/// Where to cut a list of `chunks` chunks that starts at `r` for `workers` threads: (first chunk,
/// its offset) of each range, found by skipping chunks by their encoded lengths. `None` when
/// the list cannot be cut (too few chunks, or it is broken: the sequential parse reports that).
fn chunk_cuts(r: &Reader<'_>, chunks: u32, workers: usize) -> Option<Vec<(u32, usize)>> {
    let mut r = r.clone();
    let start = r.pos();
    let share = (r.left() / workers.max(1)).max(1);
    let mut cuts = vec![(0u32, start)];
    let mut target = start.saturating_add(share);
    for ci in 0..chunks {
        if cuts.len() == workers {
            break;
        }
        if r.pos() >= target {
            cuts.push((ci, r.pos()));
            target = r.pos().saturating_add(share);
        }
        r.skip().ok()?;
    }
    (cuts.len() > 1).then_some(cuts)
}

/// Parses a v0.4 or v0.5 payload with up to `job.workers` threads: the trace chunks are cut
/// into ranges (`chunk_cuts`), each read into its own `Builder` by the same code a sequential
/// parse runs, then merged in order. Returns `None` when that is not possible or not the same
/// as a sequential parse (the payload is truncated inside the last range): the caller then
/// parses sequentially.
pub(crate) fn parse_parallel<'a>(
    input: &'a [u8],
    path: &str,
    format: crate::model::Format,
    job: &'a crate::load::Job<'_>,
) -> Option<std::result::Result<crate::model::Dataset, crate::load::LoadError>> {
    use crate::model::Format;
    let workers = job.workers_for(input.len());
    if workers < 2 {
        return None;
    }
    let mut head = Builder::new(input, path, format, job, input.len());
    let mut r = Reader::new(input);
    let (table, chunks) = match format {
        Format::DatadogMsgpackV05 => {
            let table = v05_table(&mut r, &mut head).ok()?;
            (Some(table), r.array_len().ok()?)
        }
        _ => (None, v04_header(&mut r).ok()?),
    };
    let table_end = if table.is_some() { r.pos() } else { 0 };
    let cuts = chunk_cuts(&r, chunks, workers)?;
    let table = table.as_deref();
    // The first range goes on with the builder that read the header (and its notes).
    let head = std::sync::Mutex::new(Some(head));
    let read = |k: usize| {
        let (first, at) = *cuts.get(k)?;
        let end = cuts.get(k + 1).map_or(chunks, |c| c.0);
        let head = if k == 0 { head.lock().ok()?.take() } else { None };
        let mut b = head.unwrap_or_else(|| {
            let share = cuts.get(k + 1).map_or(input.len(), |c| c.1).saturating_sub(at);
            Builder::new(input, path, format, job, share)
        });
        let mut r = Reader::new(input);
        r.set_pos(at);
        // The first range also counts the header (and v0.5 string table) before it.
        b.ticker = Ticker::for_job(job, if k == 0 { 0 } else { at });
        // v0.5 spans read their strings from the table at the start, so keep it resident.
        b.ticker.keep_until(table_end);
        let outcome = match table {
            Some(t) => read_chunks(&mut r, &mut b, first, end - first, |r, b| span_v05(r, b, t)),
            None => read_chunks(&mut r, &mut b, first, end - first, |r, b| span_v04(r, b)),
        };
        // The cuts were found by skipping whole chunks, so a range that stopped early (the
        // payload is truncated in the last one) is left to the sequential parse, which words it.
        match outcome {
            Outcome::Cancelled => None,
            Outcome::Complete => Some((Range { b, end: r.pos() }, true)),
            Outcome::Stopped(..) => Some((Range { b, end: r.pos() }, false)),
        }
    };
    Some(match parallel::run_chunks(cuts.len(), job, read) {
        Chunked::Done(Range { mut b, end }) => {
            let mut r = Reader::new(input);
            r.set_pos(end);
            match finish_payload(&mut r, &mut b, Outcome::Complete, chunks) {
                Ok(()) => Ok(b.finish()),
                Err(e) => Err(b.mp_error(&e)),
            }
        }
        Chunked::Cancelled => Err(crate::load::LoadError::cancelled(path)),
        Chunked::Mismatch => return None,
    })
}

/// One range of trace chunks read on its own thread: its builder and where its reading ended.
struct Range<'a> {
    b: Builder<'a>,
    end: usize,
}

impl parallel::Chunk for Range<'_> {
    fn ticker(&self) -> &Ticker<'_> {
        &self.b.ticker
    }
    fn absorb(&mut self, next: Self) {
        self.b.absorb(next.b);
        self.end = next.end;
    }
}

/// Turns an early stop into a skip note (something was read) or an error (nothing was), and
/// notes bytes after the payload.
fn finish_payload(
    r: &mut Reader<'_>,
    b: &mut Builder<'_>,
    outcome: Outcome,
    chunks: u32,
) -> std::result::Result<(), Error> {
    match outcome {
        Outcome::Complete => {
            if !r.at_end() {
                let left = r.left();
                b.warn(r.pos(), format!("{left} bytes after the end of the payload were ignored"));
            }
            Ok(())
        }
        // The caller turns this into a `LoadError::cancelled`.
        Outcome::Cancelled => Ok(()),
        Outcome::Stopped(e, ci) => {
            let what = format!(
                "{e}; reading stopped in trace chunk {} of the {chunks} the payload announces",
                u64::from(ci) + 1
            );
            if b.span_count() == 0 {
                Err(Error::invalid(e.at, format!("{what}; no complete span before that point")))
            } else {
                b.skip(e.at, format!("{what}; the spans after this point are lost"));
                Ok(())
            }
        }
    }
}

/// One v0.4 span map.
fn span_v04<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>) -> Result<()> {
    let fields = r.map_len()?;
    for _ in 0..fields {
        let key = r.str_bytes()?;
        match key {
            b"service" => {
                let v = r.str_bytes()?;
                b.s.service = Some(b.sym_bytes(v));
            }
            b"name" => {
                let v = r.str_bytes()?;
                b.s.name = Some(b.sym_bytes(v));
            }
            b"resource" => {
                let v = r.str_bytes()?;
                let v = b.sym_bytes(v);
                b.set_resource(v);
            }
            b"type" => {
                let v = r.str_bytes()?;
                let v = b.sym_bytes(v);
                b.set_type(v);
            }
            b"trace_id" => b.s.trace_id = id(r)?,
            b"span_id" => b.s.span_id = id(r)?,
            b"parent_id" => b.s.parent_id = id(r)?,
            b"start" => b.s.start = int64(r, "start")?,
            b"duration" => b.s.duration = int64(r, "duration")?,
            b"error" => b.s.error = int64(r, "error")?,
            b"meta" => meta_v04(r, b)?,
            b"metrics" => metrics_v04(r, b)?,
            b"meta_struct" => meta_struct_v04(r, b)?,
            b"span_links" => {
                let n = r.array_len_or_nil()?;
                for _ in 0..n {
                    link_v04(r, b)?;
                }
            }
            b"span_events" => {
                let n = r.array_len_or_nil()?;
                for _ in 0..n {
                    event_v04(r, b)?;
                }
            }
            _ => r.skip()?,
        }
    }
    Ok(())
}

/// `meta`: str → str. A non-string value is kept typed; a container value is dropped with a note.
fn meta_v04<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>) -> Result<()> {
    let n = r.map_len_or_nil()?;
    for _ in 0..n {
        let key_at = r.pos();
        let key = r.str_bytes()?;
        let at = r.pos();
        match r.scalar()? {
            Scalar::Str(v) => b.meta_bytes(key, v, at),
            Scalar::Other(what) => {
                r.skip()?;
                b.warn(key_at, format!("meta `{}` is {what}, not a string; dropped", text(key)));
            }
            other => {
                if let Some(v) = scalar_value(b, other) {
                    b.meta_value(&text(key), v);
                }
            }
        }
    }
    Ok(())
}

/// `metrics`: str → number (any width; nil is 0).
fn metrics_v04<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>) -> Result<()> {
    let n = r.map_len_or_nil()?;
    for _ in 0..n {
        let key_at = r.pos();
        let key = r.str_bytes()?;
        match r.scalar()? {
            Scalar::Num(num) => {
                if let Some(v) = number_f64(num) {
                    b.metric_bytes(key, v);
                }
            }
            Scalar::Other(what) => {
                r.skip()?;
                b.warn(key_at, format!("metric `{}` is {what}, not a number; dropped", text(key)));
            }
            other => {
                if let Some(v) = scalar_value(b, other) {
                    b.meta_value(&text(key), v);
                }
            }
        }
    }
    Ok(())
}

/// `meta_struct`: str → msgpack-encoded bytes, kept opaque as base64 (`Value::Bytes`), or the
/// decoded structure itself (a map or array, as in a test-agent snapshot converted to msgpack),
/// kept as a structured value.
fn meta_struct_v04<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>) -> Result<()> {
    let n = r.map_len_or_nil()?;
    for _ in 0..n {
        let key_at = r.pos();
        let key = text(r.str_bytes()?);
        if is_container(r.peek()?) {
            let value = tree_value(r, b, 0)?;
            b.meta_struct_value(&key, value);
            continue;
        }
        match r.scalar()? {
            Scalar::Bin(bytes) | Scalar::Str(bytes) => b.meta_struct(&key, bytes),
            Scalar::Other(what) => {
                r.skip()?;
                b.warn(key_at, format!("meta_struct `{key}` is {what}, not bytes or a map; dropped"));
            }
            _ => b.warn(key_at, format!("meta_struct `{key}` is not bytes or a map; dropped")),
        }
    }
    Ok(())
}

fn is_container(m: Marker) -> bool {
    matches!(
        m,
        Marker::FixMap(_)
            | Marker::Map16
            | Marker::Map32
            | Marker::FixArray(_)
            | Marker::Array16
            | Marker::Array32
    )
}

/// Any msgpack value as a model value: maps (string keys) as maps, arrays as arrays, to
/// `MAX_VALUE_NESTING` levels; deeper containers and extensions are skipped and kept empty.
fn tree_value<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>, depth: usize) -> Result<Value> {
    let m = r.peek()?;
    if !is_container(m) {
        let s = r.scalar()?;
        return Ok(match scalar_value(b, s) {
            Some(v) => v,
            None => {
                r.skip()?;
                Value::Empty
            }
        });
    }
    if depth >= crate::load::otlp_json::MAX_VALUE_NESTING {
        r.skip()?;
        return Ok(Value::Empty);
    }
    if matches!(m, Marker::FixArray(_) | Marker::Array16 | Marker::Array32) {
        let n = r.array_len()?;
        let mut values = Vec::with_capacity(r.capacity_for(n));
        for _ in 0..n {
            values.push(tree_value(r, b, depth + 1)?);
        }
        return Ok(b.sink.ds.add_array(&values));
    }
    let n = r.map_len()?;
    let mut attrs = Vec::with_capacity(r.capacity_for(n));
    for _ in 0..n {
        let key = b.sym_bytes(r.str_bytes()?);
        let value = tree_value(r, b, depth + 1)?;
        attrs.push(Attr { key, value });
    }
    Ok(Value::Map(b.sink.ds.add_attrs(&attrs)))
}

/// One native `span_links` entry.
fn link_v04<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>) -> Result<()> {
    let (mut low, mut high, mut span, mut flags) = (0u64, 0u64, 0u64, 0u64);
    let mut trace_state = None;
    let mut attrs = b.take_tmp();
    let fields = r.map_len()?;
    for _ in 0..fields {
        let key = r.str_bytes()?;
        match key {
            b"trace_id" => low = id(r)?,
            b"trace_id_high" => high = id(r)?,
            b"span_id" => span = id(r)?,
            b"flags" => flags = id(r)?,
            b"tracestate" => {
                let v = r.str_bytes()?;
                if !v.is_empty() {
                    trace_state = Some(b.sym_bytes(v));
                }
            }
            b"attributes" => {
                let n = r.map_len_or_nil()?;
                for _ in 0..n {
                    let k = text(r.str_bytes()?);
                    let s = r.scalar()?;
                    let value = match scalar_value(b, s) {
                        Some(v) => v,
                        None => {
                            r.skip()?;
                            continue;
                        }
                    };
                    let key = b.sym(&k);
                    attrs.push(Attr { key, value });
                }
            }
            // `dropped_attributes_count` and anything newer.
            _ => r.skip()?,
        }
    }
    b.add_link(
        TraceId::from_halves(high, low),
        SpanId(span),
        trace_state,
        super::w3c_flags(flags),
        &attrs,
        false,
    );
    b.put_tmp(attrs);
    Ok(())
}

/// One native `span_events` entry: `{name, time_unix_nano, attributes: {key: AnyValue}}`.
fn event_v04<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>) -> Result<()> {
    let mut name = None;
    let mut time = 0u64;
    let mut attrs = b.take_tmp();
    let fields = r.map_len()?;
    for _ in 0..fields {
        let key = r.str_bytes()?;
        match key {
            b"name" => {
                let v = r.str_bytes()?;
                name = Some(b.sym_bytes(v));
            }
            b"time_unix_nano" => time = id(r)?,
            b"attributes" => {
                let n = r.map_len_or_nil()?;
                for _ in 0..n {
                    let k = text(r.str_bytes()?);
                    let value = any_value(r, b, 0)?;
                    let key = b.sym(&k);
                    attrs.push(Attr { key, value });
                }
            }
            _ => r.skip()?,
        }
    }
    let name = name.unwrap_or_else(|| b.sink.intern(""));
    b.add_event(time, name, &attrs);
    b.put_tmp(attrs);
    Ok(())
}

/// A native event attribute value: `{type: 0..4, string_value|bool_value|int_value|double_value|
/// array_value: {values: [...]}}`. A bare scalar is accepted too. Arrays nest one level only.
fn any_value<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>, depth: u8) -> Result<Value> {
    let s = r.scalar()?;
    if let Some(v) = scalar_value(b, s) {
        return Ok(v);
    }
    if !matches!(r.peek()?, Marker::FixMap(_) | Marker::Map16 | Marker::Map32) {
        r.skip()?;
        return Ok(Value::Empty);
    }
    let mut out = Value::Empty;
    let fields = r.map_len()?;
    for _ in 0..fields {
        let key = r.str_bytes()?;
        match key {
            b"string_value" | b"bool_value" | b"int_value" | b"double_value" => {
                let s = r.scalar()?;
                match scalar_value(b, s) {
                    Some(v) => out = v,
                    None => r.skip()?,
                }
            }
            b"array_value" if depth == 0 => {
                let mut values = Vec::new();
                let n = r.map_len_or_nil()?;
                for _ in 0..n {
                    if r.str_bytes()? == b"values" {
                        let count = r.array_len_or_nil()?;
                        values.reserve(r.capacity_for(count));
                        for _ in 0..count {
                            values.push(any_value(r, b, depth + 1)?);
                        }
                    } else {
                        r.skip()?;
                    }
                }
                out = b.sink.ds.add_array(&values);
            }
            _ => r.skip()?,
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// v0.5

/// `[ [string, …], [ [ [12 elements], … ], … ] ]`: every string is an index into the table.
pub(crate) fn parse_v05<'a>(b: &mut Builder<'a>, input: &'a [u8]) -> std::result::Result<(), Error> {
    let mut r = Reader::new(input);
    let table = v05_table(&mut r, b)?;
    b.ticker.keep_until(r.pos());
    let chunks = r.array_len().map_err(|e| expected(e, "the v0.5 list of traces (an array)"))?;
    let outcome = read_chunks(&mut r, b, 0, chunks, |r, b| span_v05(r, b, &table));
    finish_payload(&mut r, b, outcome, chunks)
}

/// The v0.5 header and string table, leaving `r` on the list of traces.
fn v05_table<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>) -> Result<Vec<Cow<'a, str>>> {
    let at = r.pos();
    let outer =
        r.array_len().map_err(|e| expected(e, "an array of [string table, traces] (Datadog v0.5)"))?;
    if outer != 2 {
        return Err(Error::invalid(
            at,
            format!("a v0.5 payload is an array of 2 elements (string table, traces), this one has {outer}"),
        ));
    }
    let count = r.array_len().map_err(|e| expected(e, "the v0.5 string table (an array of strings)"))?;
    let mut table: Vec<Cow<'a, str>> = Vec::with_capacity(r.capacity_for(count));
    for i in 0..count {
        let at = r.pos();
        match r.scalar() {
            Ok(Scalar::Str(s) | Scalar::Bin(s)) => table.push(text(s)),
            Ok(Scalar::Num(Number::Nil)) => table.push(Cow::Borrowed("")),
            Ok(_) => {
                r.set_pos(at);
                r.skip()?;
                b.warn(at, format!("string table entry {i} is not a string; read as \"\""));
                table.push(Cow::Borrowed(""));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(table)
}

/// Number of elements in a v0.5 span array.
const V05_SPAN_LEN: u32 = 12;

fn string_index(r: &mut Reader<'_>) -> Result<(usize, u64)> {
    let at = r.pos();
    match r.number()? {
        Number::U(v) => Ok((at, v)),
        Number::Nil => Ok((at, 0)),
        Number::I(v) => u64::try_from(v)
            .map(|v| (at, v))
            .map_err(|_| Error::invalid(at, format!("string index {v} is negative"))),
        Number::F(_) => {
            Err(Error { at, kind: ErrorKind::Type { expected: "a string index", found: "a float" } })
        }
    }
}

fn lookup<'t, 'a>(table: &'t [Cow<'a, str>], (at, i): (usize, u64)) -> Result<&'t Cow<'a, str>> {
    usize::try_from(i).ok().and_then(|i| table.get(i)).ok_or_else(|| {
        Error::invalid(
            at,
            format!("string index {i} is out of range (the string table has {} entries)", table.len()),
        )
    })
}

fn span_v05<'a>(r: &mut Reader<'a>, b: &mut Builder<'a>, table: &[Cow<'a, str>]) -> Result<()> {
    let at = r.pos();
    let n = r.array_len()?;
    if n != V05_SPAN_LEN {
        return Err(Error::invalid(at, format!("a v0.5 span has {V05_SPAN_LEN} elements, this one has {n}")));
    }
    let service = lookup(table, string_index(r)?)?;
    b.s.service = Some(b.sym(service));
    let name = lookup(table, string_index(r)?)?;
    b.s.name = Some(b.sym(name));
    let resource = lookup(table, string_index(r)?)?;
    let resource = b.sym(resource);
    b.set_resource(resource);
    b.s.trace_id = id(r)?;
    b.s.span_id = id(r)?;
    b.s.parent_id = id(r)?;
    b.s.start = int64(r, "start")?;
    b.s.duration = int64(r, "duration")?;
    b.s.error = int64(r, "error")?;
    let meta = r.map_len_or_nil()?;
    for _ in 0..meta {
        let key = lookup(table, string_index(r)?)?;
        let at = r.pos();
        let value = lookup(table, string_index(r)?)?;
        b.meta(key, value, at);
    }
    let metrics = r.map_len_or_nil()?;
    for _ in 0..metrics {
        let key = lookup(table, string_index(r)?)?;
        let at = r.pos();
        let value = r.number()?;
        match number_f64(value) {
            Some(v) => b.metric(key, v),
            None => b.warn(at, format!("metric `{key}` is not a number; dropped")),
        }
    }
    let kind = lookup(table, string_index(r)?)?;
    let kind = b.sym(kind);
    b.set_type(kind);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_every_width_and_sign() {
        let bytes =
            [0x05, 0xe0, 0xcc, 200, 0xd0, 0x80, 0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xc0];
        let mut r = Reader::new(&bytes);
        assert_eq!(id(&mut r).unwrap(), 5);
        assert_eq!(id(&mut r).unwrap(), (-32i64) as u64);
        assert_eq!(id(&mut r).unwrap(), 200);
        assert_eq!(id(&mut r).unwrap(), (-128i64) as u64);
        assert_eq!(id(&mut r).unwrap(), u64::MAX - 1);
        assert_eq!(id(&mut r).unwrap(), 0);
    }
}
