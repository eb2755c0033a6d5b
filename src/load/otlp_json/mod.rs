//! OTLP JSON bytes → `Dataset` (FORMATS.md §1, §2.6, §5.2): one `TracesData` /
//! `ExportTraceServiceRequest` document, JSON Lines of them (the Collector file exporter), and the
//! Jaeger api_v3 (`{"result": …}`) and Tempo (`{"batches": …}`, `{"trace": …}`) wrappers.
//!
//! One pass of serde_json over the input drives hand-written visitors that write straight into
//! the dataset arenas: no intermediate per-span structs, strings interned as they are read.
//! Every visitor accepts any JSON type, so a wrong type inside one span only marks that span
//! faulty (it is skipped with its line:col) instead of aborting the document; only JSON syntax
//! errors end a document, and then only that document (one line of a JSON Lines file).

use super::error::json_message;
use super::parallel::{self, Chunked};
use super::progress::Ticker;
use super::sink::{Positions, Sink, Sizing};
use super::{Job, LoadError};
use crate::model::{
    Attr, AttrMark, Dataset, Event, Format, IdError, Link, LinkKind, Location, LogRecord, OtherSignals,
    Scope, ScopeIdx, Slice, Span, SpanId, SpanKind, StatusCode, Sym, TraceId, Value, span_flags,
};
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

mod context;
mod ids;
mod logs;
mod plan;
mod schema;
mod signals;
#[cfg(test)]
mod tests;
mod values;
mod visit;

use self::context::*;
use self::ids::*;
use self::plan::*;
use self::schema::*;
use self::values::*;
use self::visit::*;

#[cfg(test)]
pub(crate) use self::plan::plan_is_used;
// What the OTLP protobuf reader shares with this one.
pub(crate) use self::context::{SpanParts, Syms, link_kind, service_of, store_span};
pub(crate) use self::schema::MAX_VALUE_NESTING;
pub(crate) use self::values::status_from_number;

/// Parses OTLP JSON (one document, or several concatenated / one per line), on one thread.
pub fn parse(input: &[u8], path: &str) -> Result<Dataset, LoadError> {
    super::on_one_thread(|job| parse_job(input, path, job))
}

/// Parses OTLP JSON with up to `job.workers` threads, reporting progress as it goes.
///
/// Large inputs are cut into chunks that parse independently (see `plan`): JSON Lines at lines
/// that start a document, one document between its `resourceSpans` elements. Each chunk runs the
/// same code as a sequential parse would from that point, into its own `Ctx`; the chunks are then
/// merged in file order, which numbers strings, spans, warnings and skips exactly as one pass
/// would. Every cut is checked: the chunk before it must end exactly there. If one does not
/// (a document runs across the cut, or a syntax error needs the whole document), the input is
/// parsed again sequentially, so the result never depends on the number of threads.
pub(crate) fn parse_job(input: &[u8], path: &str, job: &Job<'_>) -> Result<Dataset, LoadError> {
    let start = if input.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let workers = job.workers_for(input.len());
    if workers > 1
        && let Some(plan) = plan(input, start, workers)
        && let Some(merged) = parse_chunks(input, path, job, &plan).finished(path)
    {
        return merged.and_then(|part| finish(part.cx, part.stats, path));
    }
    let mut cx = Ctx::new(input, path, job, input.len());
    cx.check_text(0, input.len());
    let Some((stats, ..)) = read_documents(&mut cx, start, input.len(), input.len()) else {
        return Err(LoadError::cancelled(path));
    };
    finish(cx, stats, path)
}

/// What a run over some documents found, for the whole-file verdict in `finish`.
#[derive(Default)]
struct DocStats {
    docs: usize,
    good: usize,
    /// The problem with the file's first document, if it was skipped.
    first_error: Option<(Location, String)>,
}

/// Reads one value from `input[pos..end]` with `body` and returns the bytes it took. Uses the
/// text view of the input when the range is known to be UTF-8, so serde_json does not check
/// every string again.
fn parse_one<'a, B: Body<'a>>(
    cx: &mut Ctx<'a>,
    pos: usize,
    end: usize,
    field: &'static str,
    body: B,
) -> Result<(B::Out, usize), serde_json::Error> {
    if let Some(text) = cx.text_range(pos, end) {
        let mut de = serde_json::Deserializer::from_str(text);
        let out = Lenient { cx, field, body }.deserialize(&mut de)?;
        return Ok((out, de.into_iter::<IgnoredAny>().byte_offset()));
    }
    let mut de = serde_json::Deserializer::from_slice(cx.sink.input.get(pos..end).unwrap_or_default());
    let out = Lenient { cx, field, body }.deserialize(&mut de)?;
    Ok((out, de.into_iter::<IgnoredAny>().byte_offset()))
}

/// Reads the documents that start in `from..until` and returns what happened and the offset
/// where the next document would start. The parser sees no further than `limit`; a document
/// cut there (end of input inside it) before the end of the input means the chunk boundary was
/// wrong, and the third value is false. `None` when the load was cancelled.
fn read_documents(
    cx: &mut Ctx<'_>,
    from: usize,
    until: usize,
    limit: usize,
) -> Option<(DocStats, usize, bool)> {
    let input = cx.sink.input;
    let first_doc_at = skip_whitespace(input, if input.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 });
    let mut pos = from;
    let mut stats = DocStats::default();
    loop {
        pos = skip_whitespace(input, pos);
        if pos >= until {
            break;
        }
        if pos >= limit {
            break;
        }
        let first_doc = pos == first_doc_at;
        stats.docs += 1;
        let marks = cx.marks();
        let result = parse_one(cx, pos, limit, "document", Doc);
        if cx.ticker.cancelled() {
            return None;
        }
        let problem = match result {
            Ok(((), used)) => {
                let end = pos.saturating_add(used);
                match cx.fault.take() {
                    None => {
                        stats.good += 1;
                        // A value was consumed, so `end > pos`; `max` guards the loop regardless.
                        pos = end.max(pos + 1);
                        if !cx.ticker.step(pos, cx.sink.ds.spans.len()) {
                            return None;
                        }
                        continue;
                    }
                    Some(fault) => (cx.sink.locate(pos), fault),
                }
            }
            Err(err) => {
                if err.is_eof() && limit < input.len() {
                    return Some((stats, pos, false));
                }
                cx.rollback(marks);
                (cx.json_error_location(pos, &err), json_message(&err))
            }
        };
        let start_line = cx.sink.locate(pos);
        let reason = match (problem.0, start_line) {
            (Location::Line { line: l, .. }, Location::Line { line: s, .. }) if l != s => {
                format!("{}; skipped the document that starts on line {s}", problem.1)
            }
            _ => format!("{}; document skipped", problem.1),
        };
        if first_doc {
            stats.first_error = Some(problem.clone());
        }
        cx.sink.file.skip(problem.0, reason);
        pos = next_document_line(input, pos);
        if !cx.ticker.step(pos, cx.sink.ds.spans.len()) {
            return None;
        }
    }
    if !cx.ticker.step(pos.min(until), cx.sink.ds.spans.len()) {
        return None;
    }
    Some((stats, pos, true))
}

/// The whole-file verdict and the finished dataset.
fn finish(mut cx: Ctx<'_>, stats: DocStats, path: &str) -> Result<Dataset, LoadError> {
    if let (0, Some((at, message))) = (stats.good, stats.first_error) {
        return Err(LoadError::new(path, Some(Format::OtlpJson), at, message));
    }
    let signals = cx.signals;
    if !cx.recognised {
        let message = match cx.api_error.take() {
            Some(m) => format!("the file is an error response, not traces: {m}"),
            None if !signals.is_empty() => {
                format!("holds OpenTelemetry {signals} but no traces or logs (weft reads traces and logs)")
            }
            None if stats.docs == 0 => "file is empty".to_owned(),
            None => "no `resourceSpans` found; this does not look like OTLP JSON".to_owned(),
        };
        return Err(LoadError::new(path, Some(Format::OtlpJson), Location::Unknown, message));
    }
    cx.sink.file.format = if stats.docs > 1 { Format::OtlpJsonLines } else { Format::OtlpJson };
    // Said on stderr and by `weft info` (`human::other_signals_note`), not as a repaired record.
    cx.sink.file.other_signals = signals;
    cx.dedupe();
    Ok(cx.sink.finish())
}
