//! Jaeger query-service / UI JSON → `Dataset` (FORMATS.md §2). One of the `load` parsers.
//!
//! Accepted shapes: `{"data":[trace…]}`, `{"data":{trace}}`, a bare trace object, a bare array of
//! traces, and the anonymizer's bare array of spans that each embed their `process`; and Jaeger's
//! Elasticsearch/OpenSearch span documents alone, in a `_search` response or in NDJSON dumps
//! (`storage`).
//!
//! The file is read in two passes so that one bad span never sinks the file: the first pass checks
//! the JSON syntax and cuts each span out as a borrowed `RawValue` (a syntax error is a
//! `LoadError` with `path:line:col`); the second parses each span on its own into typed wire
//! structs, so a span with a wrong-typed field is skipped with its own line:col and the rest load.
//! Strings are borrowed from the input and interned; the wire structs of a span are dropped as
//! soon as it is in the `Dataset`. The JSON helpers both loaders share are in `load::json`.
//!
//! The common `{"data": [...]}` file is first read in one pass instead: it is cut into runs of
//! traces (one per thread), and each span goes straight from the text into its wire struct; a
//! span with wrong-typed fields is then read the two-pass way, and anything that is not
//! well-formed sends the whole file down the two-pass path, so errors and notes do not change.
//!
//! Mapping (beyond the obvious): parent = first same-trace `CHILD_OF`, else the first same-trace
//! reference, else `parentSpanID`; every other reference is a link (`LinkKind::ChildOf` /
//! `FollowsFrom`). The tags `span.kind`, `error`, `otel.status_code`, `otel.status_description`,
//! `otel.scope.*`/`otel.library.*` and `w3c.tracestate` are consumed into kind, status, scope and
//! trace state. Span and trace `warnings` become the span attribute `jaeger.warnings`.

use super::json::{self, Entries, Kind, OtelTags, RawList, Run, RunParser, Scalar, Str, preview, scalar};
use super::parallel::{self, Chunked};
use super::progress::Ticker;
use super::sink::Sink;
use super::{Job, LoadError};
use crate::model::{
    Attr, Dataset, Event, Format, IdError, Link, LinkKind, Location, ResourceIdx, SERVICE_NAME_KEY, Slice,
    Span, SpanId, SpanKind, StatusCode, Sym, TraceId, UNKNOWN_SERVICE, Value,
};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::{self, IgnoredAny};
use serde_json::value::RawValue;

mod runs;
mod span;
mod storage;

use self::runs::*;
use self::span::*;

#[cfg(test)]
pub(crate) use self::runs::runs_are_used;

const FORMAT: Format = Format::JaegerJson;
/// Span attribute holding the span's and its trace's `warnings`.
pub const WARNINGS_KEY: &str = "jaeger.warnings";

/// Parses a Jaeger JSON document; see the module comment for shapes and mapping.
pub fn parse(input: &[u8], path: &str) -> Result<Dataset, LoadError> {
    super::on_one_thread(|job| parse_job(input, path, job))
}

/// `parse` with up to `job.workers` threads (each trace is independent), merged back in file
/// order (`Sink::absorb`).
///
/// `{"data": [trace, …], …}` is read in runs of traces cut at checked boundaries (`plan`,
/// `parse_runs`), one run per thread (one run for one thread), each trace in one pass
/// (`Parser::read_trace`). A cut that proves wrong, a syntax error anywhere, or another shape
/// takes the two-pass path below, which for `data` shares the traces out after a sequential
/// syntax pass. Both give the same dataset, notes and errors.
pub(crate) fn parse_job(input: &[u8], path: &str, job: &Job<'_>) -> Result<Dataset, LoadError> {
    let text = json::text_of(input, path, FORMAT)?;
    // `{"data": [trace, …], …}` is first tried in runs of traces cut for the threads, so that
    // the syntax pass is shared out too; any doubt sends the file down the two-pass path.
    let runs = plan(text.as_bytes(), job.workers_for(input.len()))
        .and_then(|cuts| parse_runs(input, text, path, job, &cuts).finished(path));
    match runs {
        Some(merged) => merged.map(|run| run.parser.p.cx.finish()),
        None => two_pass(input, text, path, job),
    }
}

/// The two-pass parse (syntax first, then each record) of `text`, the input without its BOM:
/// the path of every shape but `data` cut in runs, and the reference the runs are tested against.
pub(crate) fn two_pass(input: &[u8], text: &str, path: &str, job: &Job<'_>) -> Result<Dataset, LoadError> {
    let mut ticked = false;
    let mut p = Parser::new(input, path, input.len());
    match json::first_byte(text) {
        Some(b'[') => {
            let items: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| LoadError::json(path, FORMAT, &e))?;
            for (i, item) in items.into_iter().enumerate() {
                // A trace has `spans`; anything else is tried as a span with an embedded process.
                // The probe costs a pass over the item, so items whose text never mentions the
                // key (the spans of the embedded form) skip it.
                let mentions_spans = memchr::memmem::find(item.get().as_bytes(), b"\"spans\"").is_some();
                let probe = mentions_spans
                    .then(|| serde_json::from_str::<TraceProbe>(item.get()).ok())
                    .flatten()
                    .filter(|probe| probe.spans.is_some());
                match probe {
                    Some(probe) => p.add_trace(&probe, &format!("[{i}]")),
                    // Search hits (`_source`) are unwrapped; other items are spans.
                    None if memchr::memmem::find(item.get().as_bytes(), b"\"_source\"").is_some()
                        && p.add_document(item) => {}
                    None => p.add_span(item, &TraceCtx::default()),
                }
            }
        }
        // An NDJSON dump of storage documents.
        Some(b'{') if storage::is_stream(text) => p.add_stream(text),
        Some(b'{') => {
            let top: TopProbe = serde_json::from_str(text).map_err(|e| LoadError::json(path, FORMAT, &e))?;
            match top.data {
                Data::Traces(traces) => {
                    let workers = job.workers_for(input.len()).min(traces.len());
                    let parts = split_traces(traces, workers);
                    p = parse_parts(input, path, job, &parts)?;
                    ticked = true;
                }
                Data::One(probe) => p.add_trace(&probe, "data"),
                // The query service answers `"data": null` next to `errors`.
                Data::Null => {}
                Data::Other => {
                    return Err(LoadError::new(
                        path,
                        Some(FORMAT),
                        Location::Unknown,
                        "`data` must be an array of traces or one trace object",
                    ));
                }
                Data::Absent if top.spans.is_some() => {
                    let probe =
                        TraceProbe { spans: top.spans, processes: top.processes, warnings: top.warnings };
                    p.add_trace(&probe, "trace");
                }
                Data::Absent => {
                    let one: &RawValue =
                        serde_json::from_str(text).map_err(|e| LoadError::json(path, FORMAT, &e))?;
                    if !p.add_document(one) {
                        return Err(LoadError::new(
                            path,
                            Some(FORMAT),
                            Location::Unknown,
                            "expected a Jaeger trace (an object with `data` or `spans`), a span document with \
                             `traceID`, or an Elasticsearch/OpenSearch search response (`hits`)",
                        ));
                    }
                }
            }
        }
        Some(_) => {
            return Err(LoadError::new(
                path,
                Some(FORMAT),
                Location::Unknown,
                "expected a JSON object or array",
            ));
        }
        None => {
            return Err(LoadError::new(path, Some(FORMAT), Location::Unknown, "file is empty"));
        }
    }
    if !ticked {
        // The other shapes are read in one go; report them whole.
        Ticker::for_job(job, 0).step(input.len(), p.cx.ds.spans.len());
    }
    Ok(p.cx.finish())
}

/// The traces of `data` after the syntax pass, one part per thread, each into its own parser
/// reporting progress over its bytes (the first from the file's start, the last to its end),
/// merged in file order. Should a part's thread fail, all parts are read again on this thread.
fn parse_parts<'a>(
    input: &'a [u8],
    path: &str,
    job: &Job<'_>,
    parts: &[Vec<(usize, Option<TraceProbe<'a>>)>],
) -> Result<Parser<'a>, LoadError> {
    let starts: Vec<usize> = parts
        .iter()
        .enumerate()
        .map(|(k, part)| if k == 0 { 0 } else { part_start(input, part).unwrap_or(input.len()) })
        .collect();
    let until = |k: usize| starts.get(k + 1).copied().unwrap_or(input.len());
    let read = |k: usize| {
        let (from, to) = (*starts.get(k)?, until(k));
        // The first part's parser takes in all the others, so it is sized for the whole input.
        let share = if k == 0 { input.len() } else { to.saturating_sub(from) };
        let mut p = Parser::new(input, path, share);
        let mut ticker = Ticker::for_job(job, from);
        p.add_traces(parts.get(k)?, &mut ticker, to);
        // Parts label their traces by their place in `data`: nothing to renumber.
        (!ticker.cancelled()).then_some((Run { parser: Traces { p, count: 0 }, ticker }, true))
    };
    match parallel::run_chunks(parts.len(), job, read) {
        Chunked::Done(run) => Ok(run.parser.p),
        Chunked::Cancelled => Err(LoadError::cancelled(path)),
        Chunked::Mismatch => {
            let mut p = Parser::new(input, path, input.len());
            let mut ticker = Ticker::for_job(job, 0);
            p.add_traces(parts.iter().flatten(), &mut ticker, input.len());
            if ticker.cancelled() { Err(LoadError::cancelled(path)) } else { Ok(p) }
        }
    }
}

// ---- first pass: envelope ----

/// The top-level object: either the query-service envelope (`data`) or a bare trace.
#[derive(Deserialize)]
struct TopProbe<'a> {
    #[serde(default, borrow)]
    data: Data<'a>,
    // The bare-trace fields, spelled out: `#[serde(flatten)]` would buffer and lose the borrows.
    #[serde(default, borrow)]
    spans: Option<RawList<'a>>,
    #[serde(default, borrow)]
    processes: Option<&'a RawValue>,
    #[serde(default, borrow)]
    warnings: Option<&'a RawValue>,
}

/// One trace, with its spans still raw. Every field tolerates any JSON type, so a malformed trace
/// header costs a warning, not the file.
#[derive(Deserialize, Default)]
struct TraceProbe<'a> {
    #[serde(default, borrow)]
    spans: Option<RawList<'a>>,
    #[serde(default, borrow)]
    processes: Option<&'a RawValue>,
    #[serde(default, borrow)]
    warnings: Option<&'a RawValue>,
}

/// `data`: absent, an array of traces (non-objects are `None`), one trace, `null`, or something
/// unusable.
#[derive(Default)]
enum Data<'a> {
    #[default]
    Absent,
    Traces(Vec<Option<TraceProbe<'a>>>),
    One(TraceProbe<'a>),
    Null,
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Data<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Kind::<MaybeTrace<'a>, TraceProbe<'a>>::deserialize(d)? {
            Kind::Array(traces) => Data::Traces(traces.into_iter().map(|t| t.0).collect()),
            Kind::Object(one) => Data::One(one),
            Kind::Null => Data::Null,
            Kind::Scalar => Data::Other,
        })
    }
}

/// One element of `data`: a trace object, or `None` for anything else (consumed and skipped).
struct MaybeTrace<'a>(Option<TraceProbe<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeTrace<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Kind::<IgnoredAny, TraceProbe<'a>>::deserialize(d)? {
            Kind::Object(trace) => MaybeTrace(Some(trace)),
            Kind::Array(_) | Kind::Null | Kind::Scalar => MaybeTrace(None),
        })
    }
}
