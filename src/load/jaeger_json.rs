//! Jaeger query-service / UI JSON → `Dataset` (FORMATS.md §2). One of the `load` parsers.
//!
//! Accepted shapes: `{"data":[trace…]}`, `{"data":{trace}}`, a bare trace object, a bare array of
//! traces, and the anonymizer's bare array of spans that each embed their `process`.
//!
//! The file is read in two passes so that one bad span never sinks the file: the first pass checks
//! the JSON syntax and cuts each span out as a borrowed `RawValue` (a syntax error is a
//! `LoadError` with `path:line:col`); the second parses each span on its own into typed wire
//! structs, so a span with a wrong-typed field is skipped with its own line:col and the rest load.
//! Strings are borrowed from the input and interned; the wire structs of a span are dropped as
//! soon as it is in the `Dataset`. The JSON helpers both loaders share are in `wire` below.
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

use self::wire::{Ctx, Entries, OtelTags, RawList, Scalar, Str, preview, scalar};
use super::LoadError;
use super::progress::Ticker;
use crate::model::{
    Attr, Dataset, Event, Format, IdError, Link, LinkKind, Location, ResourceIdx, Slice, Span, SpanId,
    SpanKind, StatusCode, Sym, TraceId, Value,
};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

const FORMAT: Format = Format::JaegerJson;
/// Service name for spans whose process is missing (the OTel convention for an unnamed service).
pub(crate) const UNKNOWN_SERVICE: &str = "unknown_service";
/// Span attribute holding the span's and its trace's `warnings`.
pub const WARNINGS_KEY: &str = "jaeger.warnings";

/// Parses a Jaeger JSON document; see the module comment for shapes and mapping.
pub fn parse(input: &[u8], path: &str) -> Result<Dataset, LoadError> {
    let progress = super::Progress::new();
    parse_job(input, path, &super::Job::one_thread(&progress))
}

/// `parse` with up to `job.workers` threads (each trace is independent), merged back in file
/// order (`Ctx::absorb`).
///
/// `{"data": [trace, …], …}` is read in runs of traces cut at checked boundaries (`plan`,
/// `parse_runs`), one run per thread (one run for one thread), each trace in one pass
/// (`Parser::read_trace`). A cut that proves wrong, a syntax error anywhere, or another shape
/// takes the two-pass path below, which for `data` shares the traces out after a sequential
/// syntax pass. Both give the same dataset, notes and errors.
pub(crate) fn parse_job(input: &[u8], path: &str, job: &super::Job<'_>) -> Result<Dataset, LoadError> {
    parse_with(input, path, job, true)
}

/// `parse` the two-pass way only (syntax first, then each record): the reference the one-pass
/// runs are tested against.
#[cfg(test)]
pub(crate) fn parse_two_pass(input: &[u8], path: &str) -> Result<Dataset, LoadError> {
    let progress = super::Progress::new();
    let job = super::Job::one_thread(&progress);
    parse_with(input, path, &job, false)
}

/// `parse_job`, trying runs first when `runs` (always, but in tests of the other path).
fn parse_with(input: &[u8], path: &str, job: &super::Job<'_>, runs: bool) -> Result<Dataset, LoadError> {
    let text = wire::text_of(input, path, FORMAT)?;
    // `{"data": [trace, …], …}` is first tried in runs of traces cut for the threads, so that
    // the syntax pass is shared out too; any doubt sends the file down the path below.
    let workers = job.workers_for(input.len());
    if runs && let Some(plan) = plan(text.as_bytes(), workers) {
        match parse_runs(input, text, path, job, &plan) {
            Runs::Done(p) => return Ok(p.cx.finish()),
            Runs::Cancelled => return Err(LoadError::cancelled(path)),
            Runs::Mismatch => {}
        }
    }
    let mut ticked = false;
    let mut p = Parser { cx: Ctx::new(input, path, FORMAT), procs: FxHashMap::default() };
    match wire::first_byte(text) {
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
                    Some(probe) => p.add_trace(probe, &format!("[{i}]")),
                    None => p.add_span(item, &TraceCtx::default()),
                }
            }
        }
        Some(b'{') => {
            let top: TopProbe = serde_json::from_str(text).map_err(|e| LoadError::json(path, FORMAT, &e))?;
            match top.data {
                Data::Traces(traces) => {
                    let workers = job.workers_for(input.len()).min(traces.len());
                    let parts = split_traces(traces, workers);
                    // Each part reports progress over its bytes (the first from the file's start,
                    // the last to its end) and releases the input pages it has passed.
                    let starts: Vec<usize> = parts
                        .iter()
                        .enumerate()
                        .map(
                            |(k, part)| {
                                if k == 0 { 0 } else { part_start(input, part).unwrap_or(input.len()) }
                            },
                        )
                        .collect();
                    let until = |k: usize| starts.get(k + 1).copied().unwrap_or(input.len());
                    let others: Vec<Option<Parser<'_>>> = std::thread::scope(|scope| {
                        let mut parts = parts.into_iter().enumerate();
                        let first = parts.next().map(|(_, part)| part).unwrap_or_default();
                        let handles: Vec<_> = parts
                            .map(|(k, part)| {
                                let (from, to) = (starts.get(k).copied().unwrap_or(0), until(k));
                                scope.spawn(move || {
                                    let mut q = Parser {
                                        cx: Ctx::with_share(input, path, FORMAT, to.saturating_sub(from)),
                                        procs: FxHashMap::default(),
                                    };
                                    q.add_traces(part, &mut Ticker::for_job(job, from), to);
                                    q
                                })
                            })
                            .collect();
                        p.add_traces(first, &mut Ticker::for_job(job, 0), until(0));
                        handles.into_iter().map(|h| h.join().ok()).collect()
                    });
                    ticked = true;
                    for other in others {
                        match other {
                            Some(q) => p.cx.absorb(q.cx),
                            // Nothing in the loader panics on input; if a thread did anyway, say so.
                            None => {
                                p.cx.file
                                    .skip(Location::Unknown, "some traces were lost to an internal error")
                            }
                        }
                    }
                    if job.progress.is_cancelled() {
                        return Err(LoadError::cancelled(path));
                    }
                }
                Data::One(probe) => p.add_trace(probe, "data"),
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
                    p.add_trace(probe, "trace");
                }
                Data::Absent => {
                    return Err(LoadError::new(
                        path,
                        Some(FORMAT),
                        Location::Unknown,
                        "expected a Jaeger trace: an object with `data` or `spans`",
                    ));
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

// ---- runs: `data` cut for threads ----

/// Where `data` is cut: run `k` reads the traces starting in `cuts[k]..cuts[k + 1]` (offsets in
/// the text); the last entry is `array_end`, the `]` that closes `data`.
#[derive(Debug, PartialEq)]
struct Plan {
    cuts: Vec<usize>,
    array_end: usize,
}

/// Decides where to cut `{"data": [trace, …] …}` for `workers` threads, or `None` when it cannot
/// be cut cheaply. `data` must be the first key, and what follows its array (the query service
/// adds `total`, `limit`, `offset`, `errors`) must be a well-formed rest of the object without
/// the keys a bare trace would use.
fn plan(text: &[u8], workers: usize) -> Option<Plan> {
    let mut pos = 0;
    for token in [&b"{"[..], b"\"data\"", b":", b"["] {
        pos = wire::skip_whitespace(text, pos);
        if !text.get(pos..)?.starts_with(token) {
            return None;
        }
        pos += token.len();
    }
    let first = wire::skip_whitespace(text, pos);
    let array_end = data_end(text)?;
    if first >= array_end {
        return None;
    }
    let per_worker = (array_end - first) / workers.max(1);
    let mut cuts = vec![first];
    for k in 1..workers {
        let target = first.saturating_add(per_worker.saturating_mul(k));
        let from = target.max(cuts.last().copied().unwrap_or(first) + 1);
        match trace_start_after(text, from, array_end) {
            Some(cut) => cuts.push(cut),
            None => break,
        }
    }
    cuts.push(array_end);
    cuts.dedup();
    // One run is worth it too: it reads records in one pass.
    (cuts.len() >= 2).then_some(Plan { cuts, array_end })
}

/// The `]` closing `data`, found from the end: the last `]` after which the object ends or goes
/// on with other keys (checked by parsing them). Only a candidate: the runs prove it.
fn data_end(text: &[u8]) -> Option<usize> {
    /// How many `]` from the end to try, and how much tail to look at.
    const TRIES: usize = 8;
    const TAIL: usize = 64 * 1024;
    let close = text.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if text.get(close) != Some(&b'}') {
        return None;
    }
    let window_start = close.saturating_sub(TAIL);
    let window = text.get(window_start..close)?;
    for bracket in memchr::memrchr_iter(b']', window).take(TRIES) {
        let at = window_start + bracket;
        let between = std::str::from_utf8(text.get(at + 1..close)?).ok()?.trim();
        if between.is_empty() {
            return Some(at);
        }
        let Some(rest) = between.strip_prefix(',') else { continue };
        let object = format!("{{{rest}}}");
        let Ok(entries) = serde_json::from_str::<Entries<'_, IgnoredAny>>(&object) else {
            continue;
        };
        // A second `data` or a bare trace's keys would change what the sequential parse does.
        let plain =
            entries.0.iter().all(|(k, _)| !matches!(&**k, "data" | "spans" | "processes" | "warnings"));
        return (plain && !rest.trim().is_empty()).then_some(at);
    }
    None
}

/// The `{` of the first trace object at or after `from` (before `limit`): after `} ,`, with the
/// key `spans` or `processes` first, or `spans` right after a string `traceID` (a span has
/// `spanID` there). Only a guess; the runs check it.
fn trace_start_after(text: &[u8], from: usize, limit: usize) -> Option<usize> {
    let before = |p: usize| text.get(..p)?.iter().rposition(|b| !b.is_ascii_whitespace());
    let key_at = |p: usize, key: &[u8]| {
        let p = wire::skip_whitespace(text, p);
        text.get(p..).is_some_and(|t| t.starts_with(key)).then(|| wire::skip_whitespace(text, p + key.len()))
    };
    let mut at = from;
    loop {
        let hit = at + memchr::memchr(b'{', text.get(at..limit)?)?;
        at = hit + 1;
        let Some(comma) = before(hit).filter(|&c| text.get(c) == Some(&b',')) else { continue };
        if before(comma).and_then(|c| text.get(c)) != Some(&b'}') {
            continue;
        }
        // Keys a trace has and a span has not.
        if key_at(hit + 1, b"\"spans\"").is_some() || key_at(hit + 1, b"\"processes\"").is_some() {
            return Some(hit);
        }
        // `"traceID" : "…" , "spans"`
        let Some(colon) = key_at(hit + 1, b"\"traceID\"") else { continue };
        if text.get(colon) != Some(&b':') {
            continue;
        }
        let open = wire::skip_whitespace(text, colon + 1);
        if text.get(open) != Some(&b'"') {
            continue;
        }
        let Some(len) = text.get(open + 1..limit).and_then(|t| memchr::memchr(b'"', t)) else { continue };
        let after = wire::skip_whitespace(text, open + 1 + len + 1);
        if text.get(after) == Some(&b',') && key_at(after + 1, b"\"spans\"").is_some() {
            return Some(hit);
        }
    }
}

/// How a parse in runs ended.
enum Runs<'a> {
    Done(Box<Parser<'a>>),
    Cancelled,
    /// A run did not end where the next began, or met a syntax error: take the usual path.
    Mismatch,
}

/// What one run produced: its parser, ticker and trace count, and whether it ended exactly at
/// its cut (`None` when the load was cancelled).
type RunOut<'a, 'p> = Option<(Parser<'a>, Ticker<'p>, usize, bool)>;

fn parse_runs<'a>(input: &'a [u8], text: &'a str, path: &str, job: &super::Job<'_>, plan: &Plan) -> Runs<'a> {
    // Offsets in `text` are this much past those in `input` (a BOM).
    let base = input.len() - text.len();
    let cuts = &plan.cuts;
    let run = |k: usize| -> RunOut<'a, '_> {
        let (from, until) = (*cuts.get(k)?, *cuts.get(k + 1)?);
        // The first run's context takes in all the others, so it is sized for the whole input.
        let share = if k == 0 { input.len() } else { until - from };
        let mut p = Parser { cx: Ctx::with_share(input, path, FORMAT, share), procs: FxHashMap::default() };
        let mut ticker = Ticker::for_job(job, if k == 0 { 0 } else { base + from });
        let last = until == plan.array_end;
        // Traces are numbered within the run here (`data[i]` in messages); `parse_runs` renumbers.
        let mut i = 0;
        let ok = wire::read_run(text, base, from, until, last, &mut ticker, |pos| {
            let label = format!("data[{i}]");
            let end = match p.read_trace(text, pos, until, &label) {
                OnePass::Done(end) => end,
                OnePass::Broken => return None,
                OnePass::Declined => {
                    let (t, end) = wire::value_at::<MaybeTrace<'a>>(text, pos, until)?;
                    match t.0 {
                        Some(probe) => p.add_trace(probe, &label),
                        None => p.cx.file.skip(
                            Location::Unknown,
                            format!("{label}: skipped: a trace must be a JSON object"),
                        ),
                    }
                    end
                }
            };
            i += 1;
            Some((end, p.cx.ds.spans.len()))
        })?;
        // The last run also counts the rest of the object.
        let end = if last { input.len() } else { base + until };
        if ok {
            ticker.step(end, p.cx.ds.spans.len());
        }
        Some((p, ticker, i, ok))
    };
    let run = &run;
    let runs = cuts.len() - 1;
    let outs: Vec<RunOut<'a, '_>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..runs).map(|k| scope.spawn(move || run(k))).collect();
        let mut outs = vec![run(0)];
        // A run that panicked is treated like a mismatch: the usual path decides.
        outs.extend(handles.into_iter().map(|h| h.join().ok().flatten()));
        outs
    });
    if job.progress.is_cancelled() {
        return Runs::Cancelled;
    }
    if outs.len() != runs || !outs.iter().all(|o| o.as_ref().is_some_and(|o| o.3)) {
        // Take back what the runs reported, so the other path does not count it twice.
        outs.iter().flatten().for_each(|(_, ticker, ..)| ticker.undo());
        return Runs::Mismatch;
    }
    let mut merged: Option<Parser<'a>> = None;
    let mut traces_before = 0;
    for (mut p, _, traces, _) in outs.into_iter().flatten() {
        for w in &mut p.cx.file.warnings {
            renumber_trace(&mut w.message, traces_before);
        }
        traces_before += traces;
        merged = Some(match merged {
            None => p,
            Some(mut first) => {
                first.cx.absorb(p.cx);
                first
            }
        });
    }
    merged.map_or(Runs::Mismatch, |p| Runs::Done(Box::new(p)))
}

/// Adds `offset` to the trace number of a message that starts `data[i]` (the trace-level notes
/// of a run, which numbers its traces from 0).
fn renumber_trace(message: &mut String, offset: usize) {
    let Some(rest) = message.strip_prefix("data[") else { return };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || rest.as_bytes().get(digits) != Some(&b']') {
        return;
    }
    let (Some(number), Some(tail)) = (rest.get(..digits), rest.get(digits..)) else { return };
    let Ok(i) = number.parse::<usize>() else { return };
    *message = format!("data[{}{tail}", i.saturating_add(offset));
}

/// Whether `parse_job` with `workers` threads reads `input` in runs (no fallback).
#[cfg(test)]
pub(crate) fn runs_are_used(input: &[u8], workers: usize) -> bool {
    let progress = super::Progress::new();
    let job = super::Job { workers, min_chunk: 1, progress: &progress, release: None };
    let Ok(text) = wire::text_of(input, "t", FORMAT) else { return false };
    plan(text.as_bytes(), workers)
        .is_some_and(|p| matches!(parse_runs(input, text, "t", &job, &p), Runs::Done(..)))
}

/// Where the first trace of a part starts (its first span's text), to report progress from.
fn part_start(input: &[u8], part: &[(usize, Option<TraceProbe<'_>>)]) -> Option<usize> {
    part.iter().find_map(|(_, t)| match t.as_ref()?.spans.as_ref()? {
        RawList::Items(items) => items.first().map(|raw| super::offset_of(input, raw.get())),
        RawList::NotArray => None,
    })
}

/// Where a trace's last span ends in the input.
fn trace_end(input: &[u8], probe: &TraceProbe<'_>) -> Option<usize> {
    match probe.spans.as_ref()? {
        RawList::Items(items) => items.last().map(|raw| super::offset_of(input, raw.get()) + raw.get().len()),
        RawList::NotArray => None,
    }
}

/// Cuts the list of traces into `parts` runs of about the same number of spans, keeping each
/// trace's index (for warnings that name `data[i]`).
fn split_traces(
    traces: Vec<Option<TraceProbe<'_>>>,
    parts: usize,
) -> Vec<Vec<(usize, Option<TraceProbe<'_>>)>> {
    let weight = |t: &Option<TraceProbe<'_>>| match t.as_ref().and_then(|p| p.spans.as_ref()) {
        Some(RawList::Items(items)) => items.len() + 1,
        _ => 1,
    };
    let total: usize = traces.iter().map(weight).sum();
    let share = total.div_ceil(parts.max(1)).max(1);
    let mut out = vec![Vec::new()];
    let mut filled = 0;
    for (i, t) in traces.into_iter().enumerate() {
        if filled >= share && out.len() < parts {
            out.push(Vec::new());
            filled = 0;
        }
        filled += weight(&t);
        if let Some(last) = out.last_mut() {
            last.push((i, t));
        }
    }
    out
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
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Data<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of traces or a trace object")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<MaybeTrace<'a>>()? {
                    out.push(item.0);
                }
                Ok(Data::Traces(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                TraceProbe::deserialize(de::value::MapAccessDeserializer::new(map)).map(Data::One)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Data::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Data::Null)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Data::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Data::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Data::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Data::Other)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Data::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// One element of `data`: a trace object, or `None` for anything else (consumed and skipped).
struct MaybeTrace<'a>(Option<TraceProbe<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeTrace<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = MaybeTrace<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a trace object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                TraceProbe::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| MaybeTrace(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeTrace(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeTrace(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MaybeTrace(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MaybeTrace(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MaybeTrace(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MaybeTrace(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MaybeTrace(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

// ---- second pass: one span ----

#[derive(Deserialize)]
struct WireSpan<'a> {
    #[serde(rename = "traceID", default, borrow)]
    trace_id: Option<Str<'a>>,
    #[serde(rename = "spanID", default, borrow)]
    span_id: Option<Str<'a>>,
    /// Only in the embedded-process form; references take priority.
    #[serde(rename = "parentSpanID", default, borrow)]
    parent_span_id: Option<Str<'a>>,
    #[serde(default)]
    flags: Option<u32>,
    #[serde(rename = "operationName", default, borrow)]
    operation_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    references: Option<Vec<WireRef<'a>>>,
    /// µs since the epoch.
    #[serde(rename = "startTime", default)]
    start_time: Option<u64>,
    /// µs.
    #[serde(default)]
    duration: Option<u64>,
    #[serde(default, borrow)]
    tags: Option<Vec<WireKv<'a>>>,
    #[serde(default, borrow)]
    logs: Option<Vec<WireLog<'a>>>,
    #[serde(rename = "processID", default, borrow)]
    process_id: Option<Str<'a>>,
    /// Kept raw: identical embedded processes share one resource, keyed by their text.
    #[serde(default, borrow)]
    process: Option<&'a RawValue>,
    #[serde(default, borrow)]
    warnings: Option<Vec<Str<'a>>>,
}

#[derive(Deserialize)]
struct WireRef<'a> {
    #[serde(rename = "refType", default, borrow)]
    ref_type: Option<Str<'a>>,
    #[serde(rename = "traceID", default, borrow)]
    trace_id: Option<Str<'a>>,
    #[serde(rename = "spanID", default, borrow)]
    span_id: Option<Str<'a>>,
}

/// A typed tag. `value` stays raw so that writers who disagree with `type` are read leniently.
#[derive(Deserialize)]
struct WireKv<'a> {
    #[serde(borrow)]
    key: Str<'a>,
    #[serde(rename = "type", default, borrow)]
    ty: Option<Str<'a>>,
    #[serde(default, borrow)]
    value: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WireLog<'a> {
    #[serde(default)]
    timestamp: Option<u64>,
    #[serde(default, borrow)]
    fields: Option<Vec<WireKv<'a>>>,
}

#[derive(Deserialize)]
struct WireProcess<'a> {
    #[serde(rename = "serviceName", default, borrow)]
    service_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    tags: Option<Vec<WireKv<'a>>>,
}

/// A resolved process: the service name and the resource it became.
#[derive(Clone, Copy)]
struct Proc {
    service: Sym,
    resource: ResourceIdx,
}

/// What a span's tags say besides its attributes.
#[derive(Default)]
struct SpanTags {
    kind: SpanKind,
    error: bool,
    otel: OtelTags,
    attrs: Slice,
}

/// What spans of one trace share: its processes and its `warnings`.
#[derive(Default)]
struct TraceCtx<'a> {
    procs: FxHashMap<&'a str, Proc>,
    /// Owned process ids (ids that contained JSON escapes), rare.
    owned_procs: FxHashMap<String, Proc>,
    warnings: Vec<Sym>,
}

struct Parser<'a> {
    cx: Ctx<'a>,
    /// Embedded processes already turned into resources, per trace, keyed by their JSON text.
    procs: FxHashMap<(TraceId, &'a str), Proc>,
}

impl<'a> Parser<'a> {
    /// The traces of one part of `data`, with their indices there, reporting each to `ticker`
    /// and, once done, everything up to `until`.
    fn add_traces(
        &mut self,
        traces: Vec<(usize, Option<TraceProbe<'a>>)>,
        ticker: &mut Ticker<'_>,
        until: usize,
    ) {
        for (i, t) in traces {
            match t {
                Some(probe) => {
                    let end = trace_end(self.cx.input, &probe);
                    self.add_trace(probe, &format!("data[{i}]"));
                    if let Some(end) = end
                        && !ticker.step(end, self.cx.ds.spans.len())
                    {
                        return;
                    }
                }
                None => self
                    .cx
                    .file
                    .skip(Location::Unknown, format!("data[{i}]: skipped: a trace must be a JSON object")),
            }
        }
        ticker.step(until, self.cx.ds.spans.len());
    }

    fn add_trace(&mut self, probe: TraceProbe<'a>, label: &str) {
        let tcx = self.trace_ctx(probe.processes, probe.warnings, label);
        match probe.spans {
            Some(RawList::Items(spans)) => {
                for raw in spans {
                    self.add_span(raw, &tcx);
                }
            }
            Some(RawList::NotArray) => self
                .cx
                .file
                .skip(Location::Unknown, format!("{label}: trace skipped: `spans` is not an array")),
            None => {}
        }
    }

    /// What the spans of a trace share: its `processes` and `warnings` (raw), read and noted.
    fn trace_ctx(
        &mut self,
        processes: Option<&'a RawValue>,
        warnings: Option<&'a RawValue>,
        label: &str,
    ) -> TraceCtx<'a> {
        let mut tcx = TraceCtx::default();
        if let Some(raw) = processes {
            match serde_json::from_str::<Option<Entries<'a, &'a RawValue>>>(raw.get()) {
                Ok(entries) => {
                    for (id, praw) in entries.map(|e| e.0).unwrap_or_default() {
                        let Some(proc) = self.process(praw) else { continue };
                        match id.0 {
                            std::borrow::Cow::Borrowed(b) => tcx.procs.insert(b, proc),
                            std::borrow::Cow::Owned(o) => tcx.owned_procs.insert(o, proc),
                        };
                    }
                }
                Err(e) => {
                    let at = self.cx.error_location(raw.get(), &e);
                    self.cx
                        .file
                        .warn(at, format!("{label}.processes ignored: {}", super::error::json_message(&e)));
                }
            }
        }
        if let Some(raw) = warnings {
            match serde_json::from_str::<Option<Vec<Str<'a>>>>(raw.get()) {
                Ok(list) => {
                    for w in list.unwrap_or_default() {
                        let sym = self.cx.sym(&w);
                        tcx.warnings.push(sym);
                    }
                }
                Err(e) => {
                    let at = self.cx.error_location(raw.get(), &e);
                    self.cx
                        .file
                        .warn(at, format!("{label}.warnings ignored: {}", super::error::json_message(&e)));
                }
            }
        }
        tcx
    }

    /// Turns a process object into a service and a resource; `None` (with a warning) if malformed.
    fn process(&mut self, raw: &'a RawValue) -> Option<Proc> {
        let wp: WireProcess<'a> = match serde_json::from_str(raw.get()) {
            Ok(p) => p,
            Err(e) => {
                let at = self.cx.error_location(raw.get(), &e);
                self.cx.file.warn(at, format!("process ignored: {}", super::error::json_message(&e)));
                return None;
            }
        };
        let service = match &wp.service_name {
            Some(s) if !s.is_empty() => self.cx.sym(s),
            _ => self.cx.sym_str(UNKNOWN_SERVICE),
        };
        let key = self.cx.sym_str("service.name");
        let mut attrs = vec![Attr { key, value: Value::Str(service) }];
        for kv in wp.tags.iter().flatten() {
            let key = self.cx.sym(&kv.key);
            let value = self.tag_value(kv);
            attrs.push(Attr { key, value });
        }
        let slice = self.cx.ds.add_attrs(&attrs);
        Some(Proc { service, resource: self.cx.ds.add_resource(slice) })
    }

    /// Converts a tag's raw value by its declared `type`, leniently (FORMATS.md §2.2).
    fn tag_value(&mut self, kv: &WireKv<'a>) -> Value {
        let sc = kv.value.map_or(Scalar::Null, scalar);
        let ty = kv.ty.as_deref().unwrap_or("");
        match sc {
            Scalar::Str(s) => {
                if ty.eq_ignore_ascii_case("binary") {
                    return Value::Bytes(self.cx.sym(&s));
                }
                if ty.eq_ignore_ascii_case("int64") {
                    if let Ok(n) = s.trim().parse::<i64>() {
                        return Value::Int(n);
                    }
                } else if ty.eq_ignore_ascii_case("float64") {
                    if let Ok(x) = s.trim().parse::<f64>() {
                        return Value::Double(x);
                    }
                } else if ty.eq_ignore_ascii_case("bool") {
                    if s.eq_ignore_ascii_case("true") {
                        return Value::Bool(true);
                    } else if s.eq_ignore_ascii_case("false") {
                        return Value::Bool(false);
                    }
                }
                Value::Str(self.cx.sym(&s))
            }
            other => self.cx.plain_value(other, ty.eq_ignore_ascii_case("float64")),
        }
    }

    fn add_span(&mut self, raw: &'a RawValue, tcx: &TraceCtx<'a>) {
        self.add_span_text(raw.get(), tcx);
    }

    /// Loads the span whose JSON text (borrowed from the input) is `span_at`.
    fn add_span_text(&mut self, span_at: &'a str, tcx: &TraceCtx<'a>) {
        let ws: WireSpan<'a> = match serde_json::from_str(span_at) {
            Ok(s) => s,
            Err(e) => {
                let at = self.cx.error_location(span_at, &e);
                self.cx.file.skip(at, format!("span skipped: {}", super::error::json_message(&e)));
                return;
            }
        };
        self.add_wire_span(ws, span_at, tcx);
    }

    /// Loads a span read from `span_at`, its text (for locating warnings: a line:col is
    /// computed only when reported).
    fn add_wire_span(&mut self, ws: WireSpan<'a>, span_at: &'a str, tcx: &TraceCtx<'a>) {
        let Some(trace_id) = self.cx.trace_id(ws.trace_id.as_ref(), "traceID", span_at) else { return };
        let Some(span_id) = self.cx.span_id(ws.span_id.as_ref(), "spanID", span_at) else { return };

        let (mut parent_id, links) =
            self.references(ws.references.as_deref().unwrap_or(&[]), trace_id, span_at);
        if parent_id.is_zero()
            && let Some(p) = &ws.parent_span_id
        {
            match SpanId::from_hex(p) {
                Ok(id) => parent_id = id,
                Err(e) => {
                    let at = self.cx.location_of_str(p, span_at);
                    self.cx.file.warn(at, format!("parentSpanID \"{}\" ignored: {e}", preview(p)));
                }
            }
        }
        let (start, end) = self.cx.times_us(ws.start_time, ws.duration, span_at);
        let (service, resource) = self.service(&ws, tcx, trace_id, span_at);
        let tags = self.tags(&ws, tcx);
        let events = self.events(ws.logs.as_deref().unwrap_or(&[]));
        let scope = tags.otel.scope(&mut self.cx);
        let name = match &ws.operation_name {
            Some(n) => self.cx.sym(n),
            None => self.cx.sym_str(""),
        };

        let mut span = Span::new(trace_id, span_id, parent_id, start, end, name, service);
        span.kind = tags.kind;
        // `error=true` wins over `otel.status_code` (FORMATS.md §2.5).
        span.status =
            if tags.error { StatusCode::Error } else { tags.otel.status.unwrap_or(StatusCode::Unset) };
        span.status_message = tags.otel.status_message;
        span.trace_state = tags.otel.trace_state;
        span.w3c_flags = ws.flags.unwrap_or(0);
        span.resource = resource;
        span.scope = scope;
        span.attrs = tags.attrs;
        span.events = events;
        span.links = self.cx.ds.add_links(&links);
        self.cx.ds.spans.push(span);
    }

    /// The parent from the references (the first same-trace CHILD_OF, else the first same-trace
    /// reference; `SpanId(0)` if none) and every other reference as a link, including a second
    /// reference to the parent. References with unusable ids are dropped with a warning.
    fn references(&mut self, refs: &[WireRef<'a>], trace_id: TraceId, span_at: &str) -> (SpanId, Vec<Link>) {
        let mut links: Vec<Link> = Vec::with_capacity(refs.len());
        for r in refs {
            let rt = r.trace_id.as_ref().map_or(Ok(trace_id), |t| TraceId::from_hex(t));
            let rs = r.span_id.as_ref().map_or(Err(IdError::Empty), |s| SpanId::from_hex(s));
            let (Ok(rt), Ok(rs)) = (rt, rs) else {
                self.bad_reference(r, span_at);
                continue;
            };
            if rt.is_zero() || rs.is_zero() {
                self.bad_reference(r, span_at);
                continue;
            }
            let ty = r.ref_type.as_deref().unwrap_or("");
            let kind = if ty.eq_ignore_ascii_case("CHILD_OF") {
                LinkKind::ChildOf
            } else if ty.eq_ignore_ascii_case("FOLLOWS_FROM") {
                LinkKind::FollowsFrom
            } else {
                LinkKind::Link
            };
            links.push(Link {
                trace_id: rt,
                span_id: rs,
                trace_state: None,
                flags: 0,
                kind,
                attrs: Slice::default(),
            });
        }
        let same_trace = |i: &usize| links[*i].trace_id == trace_id;
        let parent = (0..links.len())
            .filter(same_trace)
            .find(|&i| links[i].kind == LinkKind::ChildOf)
            .or_else(|| (0..links.len()).find(same_trace));
        match parent {
            Some(i) => (links.remove(i).span_id, links),
            None => (SpanId(0), links),
        }
    }

    fn bad_reference(&mut self, r: &WireRef<'a>, span_at: &str) {
        let at = match &r.span_id {
            Some(s) => self.cx.location_of_str(s, span_at),
            None => self.cx.location_of(span_at),
        };
        let shown = format!(
            "{}/{}",
            preview(r.trace_id.as_deref().unwrap_or("")),
            preview(r.span_id.as_deref().unwrap_or(""))
        );
        self.cx.file.warn(at, format!("reference to {shown} dropped: bad trace or span id"));
    }

    /// The span's service and resource: its `processID` in the trace's `processes`, else its
    /// embedded `process`, else `unknown_service` with a warning.
    fn service(
        &mut self,
        ws: &WireSpan<'a>,
        tcx: &TraceCtx<'a>,
        trace_id: TraceId,
        span_at: &str,
    ) -> (Sym, ResourceIdx) {
        let proc = match ws.process_id.as_ref().and_then(|id| tcx.get(id)) {
            Some(p) => Some(p),
            None => ws.process.and_then(|praw| self.embedded_process(trace_id, praw)),
        };
        if let Some(p) = proc {
            return (p.service, p.resource);
        }
        let why = match &ws.process_id {
            Some(id) => format!("process \"{}\" not found", preview(id)),
            None => "span has no process".to_owned(),
        };
        let at = self.cx.location_of(span_at);
        self.cx.file.warn(at, format!("{why}; service set to {UNKNOWN_SERVICE}"));
        (self.cx.sym_str(UNKNOWN_SERVICE), ResourceIdx::default())
    }

    /// Tags → attributes, minus those that map to span fields; plus the `warnings`.
    fn tags(&mut self, ws: &WireSpan<'a>, tcx: &TraceCtx<'a>) -> SpanTags {
        let mut out = SpanTags::default();
        let mut attrs = std::mem::take(&mut self.cx.attrs);
        attrs.clear();
        for kv in ws.tags.iter().flatten() {
            let value = self.tag_value(kv);
            match (&*kv.key, value) {
                ("span.kind", Value::Str(s)) => {
                    if let Some(k) = SpanKind::from_name(self.cx.ds.str(s)) {
                        out.kind = k;
                        continue;
                    }
                }
                // A bool, or the string "true"/"false" that older writers use.
                ("error", Value::Bool(b)) => {
                    out.error |= b;
                    continue;
                }
                ("error", Value::Str(s)) => {
                    if let Ok(b) = self.cx.ds.str(s).parse::<bool>() {
                        out.error |= b;
                        continue;
                    }
                }
                // `take` keeps the tag when it is one of OTel's.
                (key, Value::Str(s)) if out.otel.take(key, s, self.cx.ds.str(s)) => continue,
                _ => {}
            }
            let key = self.cx.sym(&kv.key);
            attrs.push(Attr { key, value });
        }
        // Span warnings first, then the trace's.
        let own = ws.warnings.as_deref().unwrap_or(&[]);
        if !own.is_empty() || !tcx.warnings.is_empty() {
            let mut values: Vec<Value> = Vec::with_capacity(own.len() + tcx.warnings.len());
            for w in own {
                values.push(Value::Str(self.cx.sym(w)));
            }
            values.extend(tcx.warnings.iter().map(|&s| Value::Str(s)));
            let key = self.cx.sym_str(WARNINGS_KEY);
            let value = self.cx.ds.add_array(&values);
            attrs.push(Attr { key, value });
        }
        out.attrs = self.cx.ds.add_attrs(&attrs);
        self.cx.attrs = attrs;
        out
    }

    fn embedded_process(&mut self, trace_id: TraceId, raw: &'a RawValue) -> Option<Proc> {
        let key = (trace_id, raw.get());
        if let Some(&p) = self.procs.get(&key) {
            return Some(p);
        }
        let p = self.process(raw)?;
        self.procs.insert(key, p);
        Some(p)
    }

    /// Logs → events: name from the field `event`, else `message`, else "log"; other fields are
    /// the event's attributes.
    fn events(&mut self, logs: &[WireLog<'a>]) -> Slice {
        if logs.is_empty() {
            return Default::default();
        }
        let mut events = Vec::with_capacity(logs.len());
        for log in logs {
            let fields = log.fields.as_deref().unwrap_or(&[]);
            let is_text = |kv: &WireKv| kv.value.is_some_and(|v| v.get().starts_with('"'));
            let name_at = fields
                .iter()
                .position(|kv| &*kv.key == "event" && is_text(kv))
                .or_else(|| fields.iter().position(|kv| &*kv.key == "message" && is_text(kv)));
            let mut name = None;
            let mut attrs = Vec::with_capacity(fields.len());
            for (i, kv) in fields.iter().enumerate() {
                let value = self.tag_value(kv);
                if Some(i) == name_at
                    && let Value::Str(s) = value
                {
                    name = Some(s);
                    continue;
                }
                let key = self.cx.sym(&kv.key);
                attrs.push(Attr { key, value });
            }
            let name = name.unwrap_or_else(|| self.cx.sym_str("log"));
            let time = log.timestamp.unwrap_or(0).saturating_mul(1000);
            events.push(Event { time, name, attrs: self.cx.ds.add_attrs(&attrs) });
        }
        self.cx.ds.add_events(&events)
    }
}

/// How reading a trace in one pass (`Parser::read_trace`) went.
enum OnePass {
    /// Loaded; the trace ends here.
    Done(usize),
    /// Nothing loaded: read the trace the two-pass way (it is not a plain trace object).
    Declined,
    /// Not well-formed JSON, or an oddity met after spans were loaded: the run cannot go on.
    Broken,
}

/// A span of a trace read in one pass, waiting for the trace's `processes` and `warnings`
/// (at most `MAX_PENDING` per trace).
// Kept unboxed: one `Vec` per trace holds them, where a box would cost an allocation per span.
#[allow(clippy::large_enum_variant)]
enum Pending<'a> {
    Typed(WireSpan<'a>, &'a str),
    /// Text only: a span with wrong-typed fields (it is read again, and skipped with its reason).
    Text(&'a str),
}

/// Typed spans kept per trace until its processes are known (Jaeger writes `spans` before
/// `processes`); further ones keep only their text and are read again, so memory stays bounded
/// in a giant trace.
const MAX_PENDING: usize = 4096;

impl<'a> Parser<'a> {
    /// Reads the trace object at `text[pos..until]` in one pass: each span goes straight into its
    /// wire struct instead of being cut out raw first, and is loaded exactly as `add_trace`
    /// would load it (same order of strings, notes and spans).
    fn read_trace(&mut self, text: &'a str, pos: usize, until: usize, label: &str) -> OnePass {
        let b = text.as_bytes();
        if b.get(pos) != Some(&b'{') {
            return OnePass::Declined;
        }
        // `None` until the key is met.
        let (mut processes, mut warnings): (Option<&'a RawValue>, Option<&'a RawValue>) = (None, None);
        let mut spans_seen = false;
        let mut pending: Vec<Pending<'a>> = Vec::new();
        // The spans past `MAX_PENDING`, as text (16 bytes each, where a `Pending` is ~300).
        let mut later: Vec<&'a str> = Vec::new();
        // Set once spans are loaded as they come (`processes` and `warnings` came first); after
        // that nothing can be undone, so an oddity breaks the run instead of declining.
        let mut tcx: Option<TraceCtx<'a>> = None;
        let mut at = wire::skip_whitespace(b, pos + 1);
        if b.get(at) == Some(&b'}') {
            return OnePass::Declined;
        }
        loop {
            let stop = |loaded: bool| if loaded { OnePass::Broken } else { OnePass::Declined };
            let Some((key, end)) = wire::value_at::<Str<'a>>(text, at, until) else {
                return stop(tcx.is_some());
            };
            at = wire::skip_whitespace(b, end);
            if b.get(at) != Some(&b':') {
                return stop(tcx.is_some());
            }
            at = wire::skip_whitespace(b, at + 1);
            match &*key {
                "spans" => {
                    if spans_seen || b.get(at) != Some(&b'[') {
                        return stop(tcx.is_some());
                    }
                    spans_seen = true;
                    if let (Some(p), Some(w)) = (processes, warnings) {
                        tcx = Some(self.trace_ctx(Some(p), Some(w), label));
                    }
                    at = wire::skip_whitespace(b, at + 1);
                    if b.get(at) == Some(&b']') {
                        at += 1;
                    } else {
                        loop {
                            // Only objects: serde would also read a struct from an array.
                            let typed = match b.get(at) {
                                Some(b'{') => wire::value_at::<WireSpan<'a>>(text, at, until),
                                _ => None,
                            };
                            let (item, end) = match typed {
                                Some((ws, end)) => {
                                    (Pending::Typed(ws, text.get(at..end).unwrap_or_default()), end)
                                }
                                None => match wire::value_at::<&'a RawValue>(text, at, until) {
                                    Some((raw, end)) => (Pending::Text(raw.get()), end),
                                    None => return OnePass::Broken,
                                },
                            };
                            match &tcx {
                                Some(t) => self.add_pending(item, t),
                                None if pending.len() < MAX_PENDING => pending.push(item),
                                None => later.push(text.get(at..end).unwrap_or_default()),
                            }
                            at = wire::skip_whitespace(b, end);
                            match b.get(at) {
                                Some(b',') => at = wire::skip_whitespace(b, at + 1),
                                Some(b']') => {
                                    at += 1;
                                    break;
                                }
                                _ => return OnePass::Broken,
                            }
                        }
                    }
                }
                "processes" | "warnings" => {
                    let slot = if &*key == "processes" { &mut processes } else { &mut warnings };
                    if slot.is_some() {
                        return stop(tcx.is_some());
                    }
                    let Some((raw, end)) = wire::value_at::<&'a RawValue>(text, at, until) else {
                        return OnePass::Broken;
                    };
                    *slot = Some(raw);
                    at = end;
                }
                _ => {
                    let Some((IgnoredAny, end)) = wire::value_at::<IgnoredAny>(text, at, until) else {
                        return OnePass::Broken;
                    };
                    at = end;
                }
            }
            at = wire::skip_whitespace(b, at);
            match b.get(at) {
                Some(b',') => at = wire::skip_whitespace(b, at + 1),
                Some(b'}') => break,
                _ => return stop(tcx.is_some()),
            }
        }
        let tcx = match tcx {
            Some(t) => t,
            None => self.trace_ctx(processes, warnings, label),
        };
        for item in pending {
            self.add_pending(item, &tcx);
        }
        for span_at in later {
            self.add_span_text(span_at, &tcx);
        }
        OnePass::Done(at + 1)
    }

    fn add_pending(&mut self, item: Pending<'a>, tcx: &TraceCtx<'a>) {
        match item {
            Pending::Typed(ws, span_at) => self.add_wire_span(ws, span_at, tcx),
            Pending::Text(span_at) => self.add_span_text(span_at, tcx),
        }
    }
}

impl TraceCtx<'_> {
    fn get(&self, id: &Str<'_>) -> Option<Proc> {
        self.procs.get(&**id).or_else(|| self.owned_procs.get(&**id)).copied()
    }
}

/// JSON helpers shared by the Jaeger and Zipkin loaders: borrowed strings, lenient scalars,
/// ordered maps, and the per-file context (interner cache, warnings, locations).
pub(crate) mod wire {
    use crate::load::LoadError;
    use crate::load::progress::Ticker;
    use crate::model::{
        Dataset, FileInfo, Format, IdError, Location, Scope, ScopeIdx, SpanId, StatusCode, Sym, TraceId,
        Value,
    };
    use rustc_hash::FxHashMap;
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

    /// A JSON array kept as raw elements, or a note that the value was not an array (consumed).
    pub(crate) enum RawList<'a> {
        Items(Vec<&'a RawValue>),
        NotArray,
    }

    impl<'de: 'a, 'a> Deserialize<'de> for RawList<'a> {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = RawList<'a>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an array")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                    // No `size_hint` preallocation: the input cannot make us reserve more than it holds.
                    let mut out = Vec::new();
                    while let Some(item) = seq.next_element::<&'a RawValue>()? {
                        out.push(item);
                    }
                    Ok(RawList::Items(out))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(RawList::NotArray)
                }
                fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                    Ok(RawList::NotArray)
                }
                fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                    Ok(RawList::NotArray)
                }
                fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                    Ok(RawList::NotArray)
                }
                fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                    Ok(RawList::NotArray)
                }
                fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                    Ok(RawList::NotArray)
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(RawList::Items(Vec::new()))
                }
            }
            d.deserialize_any(V(PhantomData))
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
    pub(crate) fn read_run(
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

    /// Shortens untrusted text quoted in a warning.
    pub(crate) fn preview(s: &str) -> String {
        const MAX: usize = 40;
        match s.char_indices().nth(MAX) {
            Some((cut, _)) => format!("{}…", &s[..cut]),
            None => s.to_owned(),
        }
    }

    /// The input as text (JSON must be UTF-8), without a leading BOM.
    pub(crate) fn text_of<'a>(input: &'a [u8], path: &str, format: Format) -> Result<&'a str, LoadError> {
        // One SIMD pass (several times faster than std's check on a 1 GB file); std's check,
        // which says where the bad byte is, runs only when the input is not UTF-8.
        let text =
            simdutf8::basic::from_utf8(input).or_else(|_| std::str::from_utf8(input)).map_err(|e| {
                let at = crate::load::location_at(input, e.valid_up_to());
                LoadError::new(path, Some(format), at, "invalid UTF-8")
            })?;
        Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
    }

    pub(crate) fn first_byte(text: &str) -> Option<u8> {
        text.bytes().find(|b| !b.is_ascii_whitespace())
    }

    /// Input bytes per span, attribute and distinct string: below what Jaeger and Zipkin JSON
    /// exports spend (700–1400, 70–120 and 200–600 bytes in gentrace and the fixtures).
    const BYTES_PER_SPAN: usize = 1024;
    const BYTES_PER_ATTR: usize = 128;
    const BYTES_PER_DISTINCT_STRING: usize = 512;
    /// Zipkin spends fewer bytes on all three (a span is about half a Jaeger one, and every tag
    /// value is a string, numbers too): 696, 70 and 240 bytes in gentrace's files. The first run
    /// of a parallel parse is sized for the whole file, so the others merge into it without
    /// regrowing its arenas while theirs are still alive.
    const ZIPKIN_BYTES_PER_SPAN: usize = 640;
    const ZIPKIN_BYTES_PER_ATTR: usize = 64;
    const ZIPKIN_BYTES_PER_DISTINCT_STRING: usize = 224;

    /// Per-file state shared by both loaders.
    pub(crate) struct Ctx<'a> {
        pub input: &'a [u8],
        pub ds: Dataset,
        pub file: FileInfo,
        /// Scratch for one span's attributes, reused to avoid an allocation per span.
        pub attrs: Vec<crate::model::Attr>,
        scopes: FxHashMap<(Sym, Option<Sym>), ScopeIdx>,
        /// The last located offset and its (line, line start): warnings come in file order, so
        /// each lookup counts newlines only from the previous one.
        last_line: std::cell::Cell<(usize, usize, usize)>,
    }

    impl<'a> Ctx<'a> {
        pub fn new(input: &'a [u8], path: &str, format: Format) -> Self {
            Self::with_share(input, path, format, input.len())
        }

        /// A context for a part of `input` about `share` bytes long (a chunk parsed on its own
        /// thread): its arenas are sized for that part, not for the whole input.
        pub fn with_share(input: &'a [u8], path: &str, format: Format, share: usize) -> Self {
            // Size the arenas and the interner from the bytes present (low estimates, so a large
            // file pays for fewer regrowths without reserving much it will not use).
            let n = share.min(input.len());
            let mut ds = Dataset::new();
            let (per_span, per_attr, per_string) = match format {
                Format::ZipkinJson => {
                    (ZIPKIN_BYTES_PER_SPAN, ZIPKIN_BYTES_PER_ATTR, ZIPKIN_BYTES_PER_DISTINCT_STRING)
                }
                _ => (BYTES_PER_SPAN, BYTES_PER_ATTR, BYTES_PER_DISTINCT_STRING),
            };
            ds.spans.reserve(n / per_span);
            ds.attrs.reserve(n / per_attr);
            ds.strings = crate::model::Interner::with_capacity(n / per_string, n / 8);
            Self {
                input,
                ds,
                file: FileInfo::new(path, format),
                attrs: Vec::new(),
                scopes: FxHashMap::default(),
                last_line: std::cell::Cell::new((0, 1, 0)),
            }
        }

        pub fn finish(mut self) -> Dataset {
            self.file.spans = self.ds.spans.len();
            self.ds.files.push(self.file);
            self.ds
        }

        /// Interns text read from the input.
        pub fn sym(&mut self, s: &Str<'a>) -> Sym {
            match &s.0 {
                Cow::Borrowed(b) => self.sym_input(b),
                Cow::Owned(o) => self.ds.intern(o),
            }
        }

        /// Interns text borrowed from the input. No cache of our own in front: the interner's
        /// front cache already answers the strings that repeat without hashing them, and a
        /// second hash of every unique value (most attribute values) cost more than it saved.
        #[inline]
        pub fn sym_input(&mut self, s: &'a str) -> Sym {
            self.ds.intern(s)
        }

        /// Interns other text (constants, text unescaped or decoded into a temporary).
        pub fn sym_str(&mut self, s: &str) -> Sym {
            self.ds.intern(s)
        }

        /// A scalar that is not a string, as a typed value. `float` forces numbers to doubles.
        pub fn plain_value(&mut self, sc: Scalar<'a>, float: bool) -> Value {
            match sc {
                Scalar::Null => Value::Empty,
                Scalar::Bool(b) => Value::Bool(b),
                Scalar::Num(t) => number(t, float).unwrap_or_else(|| Value::Str(self.sym_input(t))),
                Scalar::Str(s) => Value::Str(self.sym(&s)),
                Scalar::Json(t) => Value::Str(self.sym_input(t)),
            }
        }

        /// µs start and duration → ns start and end, checked; an overflow is clamped to the end
        /// of time with a warning at `span_at` rather than wrapped.
        pub fn times_us(
            &mut self,
            start_us: Option<u64>,
            duration_us: Option<u64>,
            span_at: &str,
        ) -> (u64, u64) {
            let start_us = start_us.unwrap_or(0);
            let start = start_us.checked_mul(1000);
            let end = start_us.checked_add(duration_us.unwrap_or(0)).and_then(|e| e.checked_mul(1000));
            match (start, end) {
                (Some(s), Some(e)) => (s, e),
                _ => {
                    let at = self.location_of(span_at);
                    self.file.warn(at, "start time or duration overflows nanoseconds since 1970; clamped");
                    let s = start.unwrap_or(u64::MAX);
                    (s, end.unwrap_or(u64::MAX))
                }
            }
        }

        /// Takes in the context of the next part of the file, parsed on another thread (parts
        /// are absorbed in file order): its spans and arenas, its notes, and its scopes, which
        /// become the same scope as an equal one already here, as in a sequential parse.
        pub fn absorb(&mut self, other: Ctx<'a>) {
            let Ctx { ds, file, scopes, .. } = other;
            let mut theirs: Vec<(ScopeIdx, String, Option<String>)> = scopes
                .into_iter()
                .map(|((name, version), idx)| {
                    (idx, ds.str(name).to_owned(), version.map(|v| ds.str(v).to_owned()))
                })
                .collect();
            theirs.sort_unstable_by_key(|(idx, ..)| idx.0);
            // `append` moves their scope `i` (0 is the shared default) to `i + base`.
            let base = self.ds.scopes.len() - 1;
            let first_span = self.ds.spans.len();
            self.ds.append(ds);
            let mut kept = Vec::new();
            let mut remap: FxHashMap<u32, ScopeIdx> = FxHashMap::default();
            for (idx, name, version) in theirs {
                let Some(&scope) = self.ds.scopes.get(idx.0 as usize + base) else { continue };
                let key = (self.ds.strings.get(&name), version.map(|v| self.ds.strings.get(&v)));
                let (Some(name), version) = key else { continue };
                let version = version.flatten();
                let new = match self.scopes.get(&(name, version)) {
                    Some(&existing) => existing,
                    None => {
                        let new = ScopeIdx(u32::try_from(base + 1 + kept.len()).unwrap_or(0));
                        kept.push(scope);
                        self.scopes.insert((name, version), new);
                        new
                    }
                };
                remap.insert(idx.0 + base as u32, new);
            }
            self.ds.scopes.truncate(base + 1);
            self.ds.scopes.extend(kept);
            for span in self.ds.spans.get_mut(first_span..).unwrap_or_default() {
                if let Some(&s) = remap.get(&span.scope.0) {
                    span.scope = s;
                }
            }
            self.file.skipped += file.skipped;
            self.file.extend_warnings(file.warnings);
        }

        /// A scope for (name, version), one per distinct pair; the default scope without a name.
        pub fn scope(&mut self, name: Option<Sym>, version: Option<Sym>) -> ScopeIdx {
            let Some(name) = name else { return ScopeIdx::default() };
            if let Some(&s) = self.scopes.get(&(name, version)) {
                return s;
            }
            let idx = self.ds.add_scope(Scope { name: Some(name), version, attrs: Default::default() });
            self.scopes.insert((name, version), idx);
            idx
        }

        /// False once the file keeps no more warnings of either kind; finding a line:col costs a
        /// scan, so it is skipped for warnings that would be dropped.
        fn wants_location(&self) -> bool {
            self.file.keeps(true) || self.file.keeps(false)
        }

        /// Where `part` (borrowed from the input) starts.
        pub fn location_of(&self, part: &str) -> Location {
            if !self.wants_location() {
                return Location::Unknown;
            }
            self.locate(crate::load::offset_of(self.input, part))
        }

        /// Line and column of a byte offset, as `load::location_at` computes them.
        fn locate(&self, offset: usize) -> Location {
            let offset = offset.min(self.input.len());
            let (from, mut line, mut line_start) = match self.last_line.get() {
                (at, line, start) if at <= offset => (at, line, start),
                _ => (0, 1, 0),
            };
            for nl in memchr::memchr_iter(b'\n', &self.input[from..offset]) {
                line += 1;
                line_start = from + nl + 1;
            }
            self.last_line.set((offset, line, line_start));
            Location::Line { line, column: offset - line_start + 1 }
        }

        /// Where a parsed string starts, or where `fallback` (borrowed from the input) starts when
        /// the string was unescaped into a copy.
        pub fn location_of_str(&self, s: &Str<'a>, fallback: &str) -> Location {
            if !self.wants_location() {
                return Location::Unknown;
            }
            match &s.0 {
                // The string sits inside its quotes; point at the opening quote.
                Cow::Borrowed(b) => self.locate(crate::load::offset_of(self.input, b).saturating_sub(1)),
                Cow::Owned(_) => self.location_of(fallback),
            }
        }

        /// The file position of a serde error raised while parsing `raw` (borrowed from the input).
        pub fn error_location(&self, raw: &str, err: &serde_json::Error) -> Location {
            if !self.wants_location() {
                return Location::Unknown;
            }
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
            self.locate(base.saturating_add(within))
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
                (None, _) => (self.location_of(span_at), format!("span skipped: missing {field}")),
                (Some(s), Some(e)) => (
                    self.location_of_str(s, span_at),
                    format!("span skipped: bad {field} \"{}\": {e}", preview(s)),
                ),
                (Some(s), None) => {
                    (self.location_of_str(s, span_at), format!("span skipped: {field} is zero"))
                }
            };
            self.file.skip(at, msg);
        }
    }

    /// Span fields that OTel's Jaeger and Zipkin exporters write as tags (FORMATS.md §2.5, §3.3).
    #[derive(Default)]
    pub(crate) struct OtelTags {
        pub status: Option<StatusCode>,
        pub status_message: Option<Sym>,
        pub trace_state: Option<Sym>,
        scope_name: Option<Sym>,
        scope_version: Option<Sym>,
        library_name: Option<Sym>,
        library_version: Option<Sym>,
    }

    impl OtelTags {
        /// Takes the tag if it is one of these (`value` is its interned `text`); false otherwise.
        pub fn take(&mut self, key: &str, value: Sym, text: &str) -> bool {
            let slot = match key {
                "otel.status_code" => {
                    self.status = Some(if text.eq_ignore_ascii_case("ERROR") {
                        StatusCode::Error
                    } else if text.eq_ignore_ascii_case("OK") {
                        StatusCode::Ok
                    } else {
                        StatusCode::Unset
                    });
                    return true;
                }
                "otel.status_description" => &mut self.status_message,
                "w3c.tracestate" => &mut self.trace_state,
                "otel.scope.name" => &mut self.scope_name,
                "otel.scope.version" => &mut self.scope_version,
                "otel.library.name" => &mut self.library_name,
                "otel.library.version" => &mut self.library_version,
                _ => return false,
            };
            *slot = Some(value);
            true
        }

        /// The scope these tags name (`otel.scope.*`, else the older `otel.library.*`).
        pub fn scope(&self, cx: &mut Ctx<'_>) -> ScopeIdx {
            cx.scope(self.scope_name.or(self.library_name), self.scope_version.or(self.library_version))
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
}
