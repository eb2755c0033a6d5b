//! Trace and span ids typed on the command line → dense indices in the `Index`. Every failure
//! is a `UsageError` (exit code 2) that names what was tried and, when ambiguous, the candidates.

use crate::index::{Index, SpanIdx, TraceIdx};
use crate::model::{SpanId, TraceId};
use std::fmt::Write;

/// A prefix shorter than this matches too much to be a useful selector.
pub const MIN_PREFIX: usize = 4;
/// How many candidates an ambiguity error lists before "and N more".
const MAX_CANDIDATES: usize = 8;

/// A command-line value that names nothing (or too much) in what was loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The trace and span that `--trace` / `--span` chose. A span alone also selects its trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selection {
    pub trace: Option<TraceIdx>,
    pub span: Option<SpanIdx>,
}

/// Resolves both options; a span is looked up inside the chosen trace when there is one.
pub fn resolve(index: &Index, trace: Option<&str>, span: Option<&str>) -> Result<Selection, UsageError> {
    let trace = trace.map(|t| resolve_trace(index, t)).transpose()?;
    let span = span.map(|s| resolve_span(index, trace, s)).transpose()?;
    Ok(Selection { trace: trace.or(span.map(|s| index.trace_of(s))), span })
}

/// `text` is printed in messages; it came from the command line, which may hold anything.
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    crate::text::escape_control(text)
}

/// A full trace id (any case; 16-digit ids are zero-extended) or a unique prefix of at least
/// `MIN_PREFIX` hex digits of a loaded trace id. A 64-bit id's prefix may also be typed without
/// the 16 leading zeros it has in the 32-digit form.
pub fn resolve_trace(index: &Index, text: &str) -> Result<TraceIdx, UsageError> {
    let digits = text.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(UsageError(format!("--trace '{}' is not a hex trace id", shown(text))));
    }
    if digits.len() > 32 {
        return Err(UsageError(format!(
            "--trace '{}' has {} hex digits; a trace id has at most 32",
            shown(text),
            digits.len()
        )));
    }
    let full = matches!(digits.len(), 16 | 32);
    if full
        && let Ok(id) = TraceId::from_hex(digits)
        && let Some(t) = index.find_trace(id)
    {
        return Ok(t);
    }
    if digits.len() < MIN_PREFIX {
        return Err(UsageError(format!(
            "--trace '{}' is too short: give the full id or at least {MIN_PREFIX} hex digits",
            shown(text)
        )));
    }
    let prefix = digits.to_ascii_lowercase();
    let matches: Vec<TraceIdx> = (0..index.traces().len())
        .filter_map(|i| u32::try_from(i).ok().map(TraceIdx))
        .filter(|&t| trace_matches(index.trace(t).id, &prefix))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] if full => Err(UsageError(format!("no loaded trace has id {prefix}"))),
        [] => Err(UsageError(format!("no loaded trace id starts with '{prefix}'"))),
        many => {
            let ids = many.iter().map(|&t| index.trace(t).id.to_string());
            Err(UsageError(format!(
                "--trace '{prefix}' matches {} traces; give more digits:{}",
                many.len(),
                candidates(ids)
            )))
        }
    }
}

fn trace_matches(id: TraceId, prefix: &str) -> bool {
    let long = id.to_string();
    long.starts_with(prefix) || (id.0 >> 64 == 0 && long[16..].starts_with(prefix))
}

/// A span id in hex. Inside `trace` when given; otherwise it must name exactly one loaded span.
pub fn resolve_span(index: &Index, trace: Option<TraceIdx>, text: &str) -> Result<SpanIdx, UsageError> {
    let id = SpanId::from_hex(text.trim())
        .map_err(|e| UsageError(format!("--span '{}' is not a span id: {e}", shown(text))))?;
    if let Some(t) = trace {
        let trace_id = index.trace(t).id;
        return index
            .find_span(trace_id, id)
            .ok_or_else(|| UsageError(format!("trace {trace_id} has no span {id}")));
    }
    // One candidate per trace: a Zipkin shared client/server pair has one id twice in a trace,
    // and `find_span` already knows which of the two stands for it.
    let mut traces: Vec<TraceId> =
        index.data.spans.iter().filter(|s| s.span_id == id).map(|s| s.trace_id).collect();
    traces.sort_unstable();
    traces.dedup();
    let found: Vec<SpanIdx> = traces.iter().filter_map(|&t| index.find_span(t, id)).collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(UsageError(format!("no loaded span has id {id}"))),
        many => {
            let ids = many.iter().map(|&s| format!("--trace {} --span {id}", index.span(s).trace_id));
            Err(UsageError(format!(
                "span {id} is in {} traces; add --trace to choose:{}",
                many.len(),
                candidates(ids)
            )))
        }
    }
}

/// Lists the first candidates, one per line, and how many more there are.
fn candidates(items: impl ExactSizeIterator<Item = String>) -> String {
    let total = items.len();
    let mut out = String::new();
    for item in items.take(MAX_CANDIDATES) {
        let _ = write!(out, "\n  {item}");
    }
    if total > MAX_CANDIDATES {
        let _ = write!(out, "\n  … and {} more", total - MAX_CANDIDATES);
    }
    out
}
