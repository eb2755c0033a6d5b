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
use super::progress::{Progress, Ticker};
use super::{Job, LoadError};
use crate::model::{
    Attr, AttrMark, Dataset, Event, FileInfo, Format, Link, LinkKind, Location, Scope, ScopeIdx, Slice, Span,
    SpanId, SpanKind, StatusCode, Sym, TraceId, Value, span_flags,
};
use base64::Engine as _;
use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Parses OTLP JSON (one document, or several concatenated / one per line), on one thread.
pub fn parse(input: &[u8], path: &str) -> Result<Dataset, LoadError> {
    let progress = Progress::new();
    parse_job(input, path, &Job::one_thread(&progress))
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
    {
        match parse_chunks(input, path, job, &plan) {
            Chunked::Done(cx, stats) => return finish(*cx, stats, path),
            Chunked::Cancelled => return Err(LoadError::cancelled(path)),
            Chunked::Mismatch => {}
        }
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
    let mut de = serde_json::Deserializer::from_slice(cx.input.get(pos..end).unwrap_or_default());
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
    let input = cx.input;
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
                        if !cx.ticker.step(pos, cx.ds.spans.len()) {
                            return None;
                        }
                        continue;
                    }
                    Some(fault) => (cx.locator.at(input, pos), fault),
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
        let start_line = cx.locator.at(input, pos);
        let reason = match (problem.0, start_line) {
            (Location::Line { line: l, .. }, Location::Line { line: s, .. }) if l != s => {
                format!("{}; skipped the document that starts on line {s}", problem.1)
            }
            _ => format!("{}; document skipped", problem.1),
        };
        if first_doc {
            stats.first_error = Some(problem.clone());
        }
        cx.file.skip(problem.0, reason);
        pos = next_document_line(input, pos);
        if !cx.ticker.step(pos, cx.ds.spans.len()) {
            return None;
        }
    }
    if !cx.ticker.step(pos.min(until), cx.ds.spans.len()) {
        return None;
    }
    Some((stats, pos, true))
}

/// The whole-file verdict and the finished dataset.
fn finish(mut cx: Ctx<'_>, stats: DocStats, path: &str) -> Result<Dataset, LoadError> {
    if let (0, Some((at, message))) = (stats.good, stats.first_error) {
        return Err(LoadError::new(path, Some(Format::OtlpJson), at, message));
    }
    if !cx.recognised {
        let message = match cx.api_error.take() {
            Some(m) => format!("the file is an error response, not traces: {m}"),
            None if stats.docs == 0 => "file is empty".to_owned(),
            None => "no `resourceSpans` found; this does not look like OTLP JSON".to_owned(),
        };
        return Err(LoadError::new(path, Some(Format::OtlpJson), Location::Unknown, message));
    }
    cx.file.format = if stats.docs > 1 { Format::OtlpJsonLines } else { Format::OtlpJson };
    cx.dedupe();
    let Ctx { mut ds, mut file, .. } = cx;
    file.spans = ds.spans.len();
    ds.files.push(file);
    Ok(ds)
}

// ---------------------------------------------------------------------------------------------
// Parallel chunks

/// How an input is cut for parallel parsing.
#[derive(Debug, PartialEq)]
enum Plan {
    /// Documents, one per line: chunk `k` reads the documents starting in `cuts[k]..cuts[k + 1]`
    /// (`cuts[0]` is the first byte, the last entry the input length).
    Lines { cuts: Vec<usize> },
    /// One document `{"resourceSpans": [e, e, …]}`: chunk `k` reads the elements starting in
    /// `cuts[k]..cuts[k + 1]`; `array_end` is the offset of the `]` that closes the array
    /// (also the last entry of `cuts`).
    Elements { cuts: Vec<usize>, array_end: usize },
}

/// How far into the input to look for a second document on its own line, to tell JSON Lines from
/// one document. Collector batches are well under this per line.
const LINES_PROBE: usize = 16 << 20;

/// Decides where to cut `input` for `workers` threads, or `None` when it cannot be cut cheaply
/// (the chunks are then one: the sequential parse).
fn plan(input: &[u8], start: usize, workers: usize) -> Option<Plan> {
    let first = skip_whitespace(input, start);
    let probe_end = input.len().min(first.saturating_add(LINES_PROBE));
    let lines = doc_start_after(input, first, probe_end).is_some();
    let targets = (1..workers).map(|k| first + (input.len() - first) / workers * k);
    if lines {
        let mut cuts = vec![first];
        for t in targets {
            let from = t.max(cuts.last().copied().unwrap_or(first) + 1);
            let Some(cut) = doc_start_after(input, from, input.len()) else { break };
            cuts.push(cut);
        }
        cuts.push(input.len());
        cuts.dedup();
        return (cuts.len() > 2).then_some(Plan::Lines { cuts });
    }
    // `{ "resourceSpans" : [`
    let mut pos = first;
    for token in [&b"{"[..], b"\"resourceSpans\"", b":", b"["] {
        pos = skip_whitespace(input, pos);
        if !input.get(pos..)?.starts_with(token) {
            return None;
        }
        pos += token.len();
    }
    let elements = skip_whitespace(input, pos);
    // `] }` and nothing but whitespace after.
    let mut end = input.len();
    for token in [b'}', b']'] {
        end = input.get(..end)?.iter().rposition(|b| !b.is_ascii_whitespace())?;
        if input.get(end) != Some(&token) {
            return None;
        }
    }
    let array_end = end;
    if elements >= array_end {
        return None;
    }
    let mut cuts = vec![elements];
    for t in targets {
        let from = t.max(cuts.last().copied().unwrap_or(elements) + 1);
        match element_start_after(input, from, array_end) {
            Some(cut) => cuts.push(cut),
            None => break,
        }
    }
    cuts.push(array_end);
    cuts.dedup();
    (cuts.len() > 2).then_some(Plan::Elements { cuts, array_end })
}

/// The `{` of the first `} \n {` at or after `from` (before `limit`): a line that starts a
/// document right after one ended, as in JSON Lines. (Elements of one document written one per
/// line are separated by commas, so they do not match.) `parse_chunks` checks the guess.
fn doc_start_after(input: &[u8], from: usize, limit: usize) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(b"\n{");
    let mut at = from;
    loop {
        let hit = at + finder.find(input.get(at..limit)?)?;
        let before = input.get(..hit)?.iter().rposition(|b| !b.is_ascii_whitespace());
        if before.and_then(|p| input.get(p)) == Some(&b'}') {
            return Some(hit + 1);
        }
        at = hit + 1;
    }
}

/// The `{` of the first `, { "resource" :` at or after `from` (before `limit`): where a
/// resourceSpans element most likely starts. Only a guess (the text could sit inside a string);
/// `parse_chunks` checks it.
fn element_start_after(input: &[u8], from: usize, limit: usize) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(b"\"resource\"");
    let mut at = from;
    loop {
        let hit = at + finder.find(input.get(at..limit)?)?;
        let before = |p: usize| input.get(..p)?.iter().rposition(|b| !b.is_ascii_whitespace());
        let after = skip_whitespace(input, hit + b"\"resource\"".len());
        if let Some(brace) = before(hit)
            && input.get(brace) == Some(&b'{')
            && before(brace).and_then(|c| input.get(c)) == Some(&b',')
            && input.get(after) == Some(&b':')
        {
            return Some(brace);
        }
        at = hit + 1;
    }
}

/// Whether `parse_job` with `workers` threads parses `input` in chunks (no fallback).
#[cfg(test)]
pub(crate) fn plan_is_used(input: &[u8], workers: usize) -> bool {
    let progress = Progress::new();
    let job = Job { workers, min_chunk: 1, progress: &progress, release: None };
    plan(input, 0, workers).is_some_and(|p| matches!(parse_chunks(input, "t", &job, &p), Chunked::Done(..)))
}

/// How a chunked parse ended.
enum Chunked<'a> {
    Done(Box<Ctx<'a>>, DocStats),
    Cancelled,
    /// A chunk did not end where the next began: parse sequentially instead.
    Mismatch,
}

/// What one chunk produced: its context, its stats, and whether it ended exactly at its cut.
type ChunkOut<'a> = Option<(Ctx<'a>, DocStats, bool)>;

fn parse_chunks<'a>(input: &'a [u8], path: &str, job: &'a Job<'_>, plan: &Plan) -> Chunked<'a> {
    let (cuts, array_end) = match plan {
        Plan::Lines { cuts } => (cuts, None),
        Plan::Elements { cuts, array_end } => (cuts, Some(*array_end)),
    };
    let run = |k: usize| -> ChunkOut<'a> {
        let (from, until) = (*cuts.get(k)?, *cuts.get(k + 1)?);
        // The first chunk's context takes in all the others, so it is sized for the whole input.
        let share = if k == 0 { input.len() } else { until - from };
        let mut cx = Ctx::new(input, path, job, share);
        // The first chunk also counts what comes before its first record.
        cx.ticker = Ticker::for_job(job, if k == 0 { 0 } else { from });
        cx.check_text(from, until);
        match array_end {
            None => {
                let (stats, end, clean) = read_documents(&mut cx, from, until, until)?;
                Some((cx, stats, clean && end == until))
            }
            Some(array_end) => {
                cx.recognised = true;
                let last = until == array_end;
                let ok = read_elements(&mut cx, from, until, last)?;
                // The whole file is one good document when every chunk checks out.
                let stats =
                    DocStats { docs: usize::from(k == 0), good: usize::from(k == 0), first_error: None };
                Some((cx, stats, ok))
            }
        }
    };
    let run = &run;
    let chunks = cuts.len() - 1;
    let outs: Vec<ChunkOut<'a>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..chunks).map(|k| scope.spawn(move || run(k))).collect();
        let mut outs = vec![run(0)];
        // A worker that panicked is treated like a mismatch: the sequential parse decides.
        outs.extend(handles.into_iter().map(|h| h.join().ok().flatten()));
        outs
    });
    if job.progress.is_cancelled() {
        return Chunked::Cancelled;
    }
    let mut merged: Option<(Ctx<'a>, DocStats)> = None;
    let mut consistent = outs.len() == chunks;
    for out in outs {
        let Some((cx, stats, ok)) = out else {
            consistent = false;
            continue;
        };
        consistent &= ok;
        if !consistent {
            // Take back what this chunk reported, so the sequential pass does not count it twice.
            cx.ticker.undo();
            continue;
        }
        merged = Some(match merged {
            None => (cx, stats),
            Some((mut base, mut total)) => {
                base.absorb(cx);
                total.docs += stats.docs;
                total.good += stats.good;
                (base, total)
            }
        });
    }
    match merged {
        Some((cx, stats)) if consistent => Chunked::Done(Box::new(cx), stats),
        other => {
            if let Some((cx, _)) = other {
                cx.ticker.undo();
            }
            Chunked::Mismatch
        }
    }
}

/// Reads resourceSpans elements from `from` (the `{` of one) as the array's seq visitor would,
/// until the element that ends right before `until`. Says whether the chunk ended exactly there
/// (for the last chunk: at the `]` closing the array); `None` when the load was cancelled.
fn read_elements(cx: &mut Ctx<'_>, from: usize, until: usize, last: bool) -> Option<bool> {
    let input = cx.input;
    let mut pos = from;
    loop {
        let Ok(((), used)) = parse_one(cx, pos, until, "resourceSpans[]", ResourceSpans) else {
            return if cx.ticker.cancelled() { None } else { Some(false) };
        };
        if let Some(fault) = cx.fault.take() {
            cx.skip_at(cx.last_key, |_| fault);
        }
        pos = skip_whitespace(input, pos.saturating_add(used));
        match input.get(pos) {
            Some(b',') => {
                pos = skip_whitespace(input, pos + 1);
                if !cx.ticker.step(pos.min(until), cx.ds.spans.len()) {
                    return None;
                }
                if pos >= until {
                    return Some(pos == until && !last);
                }
            }
            Some(b']') => {
                // The rest (`]}` and whitespace) was checked by `plan`.
                if !cx.ticker.step(input.len(), cx.ds.spans.len()) {
                    return None;
                }
                return Some(last && pos == until);
            }
            _ => return Some(false),
        }
    }
}

fn skip_whitespace(input: &[u8], mut pos: usize) -> usize {
    while input.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

/// Where to resume after a broken document that starts at `pos`: the next line that begins with
/// `{`. JSON Lines put every document at column 1, and a pretty-printed document's inner lines
/// are indented, so this finds the next document in both without re-reading the broken one.
fn next_document_line(input: &[u8], pos: usize) -> usize {
    let mut at = pos;
    while let Some(nl) = input.get(at..).and_then(|r| memchr::memchr(b'\n', r)) {
        at += nl + 1;
        if input.get(at) == Some(&b'{') {
            return at;
        }
    }
    input.len()
}

// ---------------------------------------------------------------------------------------------
// Loader state

/// Interned strings the loader compares against, looked up once per file.
struct Syms {
    empty: Sym,
    service_name: Sym,
    unknown_service: Sym,
    link_kind: Sym,
    dd_kind: Sym,
    span_pointer: Sym,
}

/// Everything the visitors share: the dataset being filled, the file's warnings and scratch space.
struct Ctx<'a> {
    input: &'a [u8],
    ds: Dataset,
    file: FileInfo,
    syms: Syms,
    /// Byte offset of the most recent object key borrowed from the input: records are located by
    /// their first key, which costs one store per key instead of tracking positions.
    last_key: usize,
    /// The first structural problem met inside the record being read; its owner takes it.
    fault: Option<String>,
    /// Byte offset (first key) of each span in `ds.spans`, for duplicate warnings.
    offsets: Vec<usize>,
    attr_pool: Vec<Vec<Attr>>,
    value_pool: Vec<Vec<Value>>,
    events: Vec<Event>,
    links: Vec<Link>,
    locator: Locator,
    base64_warned: bool,
    /// A document had `resourceSpans` (or a wrapper of it): the file is OTLP even if empty.
    recognised: bool,
    /// The message of a Jaeger api_v3 `{"error": …}` response, if one was read.
    api_error: Option<String>,
    ticker: Ticker<'a>,
    /// `input[text.0..]` as text, as far as it was checked to be UTF-8 (see `check_text`).
    text: Option<(usize, &'a str)>,
    /// How many `arrayValue`/`kvlistValue` levels enclose the value being read (see `AnyValue`).
    value_depth: usize,
}

/// Input bytes per span, per attribute and per distinct string, on the low side of what
/// OTLP JSON exports take (gentrace: about 1200, 110 and 630); used only to pre-size.
const BYTES_PER_SPAN: usize = 2048;
const BYTES_PER_ATTR: usize = 160;
const BYTES_PER_DISTINCT_STRING: usize = 512;

const BASE64_NOTE: &str = "ids are base64, not hex (Tempo or pre-2021 OTLP JSON); decoded them as base64";

/// Lengths to cut everything back to when a document turns out to be broken.
#[derive(Clone, Copy)]
struct Marks {
    arena: ArenaMarks,
    spans: usize,
    resources: usize,
    scopes: usize,
    skipped: usize,
    warnings: usize,
    base64_warned: bool,
}

/// Lengths of the per-span arenas, to drop a skipped span's attributes, events and links.
#[derive(Clone, Copy)]
struct ArenaMarks {
    attrs: AttrMark,
    events: usize,
    links: usize,
}

impl<'a> Ctx<'a> {
    /// A context for parsing about `share` bytes of `input` (all of it, or one chunk).
    fn new(input: &'a [u8], path: &str, job: &Job<'a>, share: usize) -> Self {
        let mut ds = Dataset::new();
        // Size the arenas and the interner from the bytes present (estimates on the low side
        // of what OTLP JSON spends per record), so a large file does not keep regrowing them;
        // growing the interner's table would hash every string again.
        let n = share.min(input.len());
        ds.spans.reserve(n / BYTES_PER_SPAN);
        ds.attrs.reserve(n / BYTES_PER_ATTR);
        ds.strings = crate::model::Interner::with_capacity(n / BYTES_PER_DISTINCT_STRING, n / 8);
        let syms = Syms {
            empty: ds.intern(""),
            service_name: ds.intern("service.name"),
            unknown_service: ds.intern("unknown_service"),
            link_kind: ds.intern("link.kind"),
            dd_kind: ds.intern("dd.kind"),
            span_pointer: ds.intern("span-pointer"),
        };
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
            api_error: None,
            ticker: Ticker::for_job(job, 0),
            text: None,
            value_depth: 0,
        }
    }

    /// Checks `input[from..until]` for UTF-8 in one SIMD pass; if it is, strings in it are read
    /// without serde_json checking each one again.
    fn check_text(&mut self, from: usize, until: usize) {
        self.text = self
            .input
            .get(from..until)
            .and_then(|bytes| simdutf8::basic::from_utf8(bytes).ok())
            .map(|text| (from, text));
    }

    /// `input[pos..end]` as text, when that range was checked.
    fn text_range(&self, pos: usize, end: usize) -> Option<&'a str> {
        let (base, text) = self.text?;
        text.get(pos.checked_sub(base)?..end.checked_sub(base)?)
    }

    /// Takes in the next chunk's context (chunks are absorbed in file order).
    fn absorb(&mut self, next: Ctx<'a>) {
        let Ctx { ds, file, offsets, base64_warned, recognised, api_error, ticker, .. } = next;
        self.ticker.take_over(&ticker);
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
        if api_error.is_some() {
            self.api_error = api_error;
        }
    }

    fn arena_marks(&self) -> ArenaMarks {
        ArenaMarks { attrs: self.ds.attr_mark(), events: self.ds.events.len(), links: self.ds.links.len() }
    }

    fn truncate_arenas(&mut self, m: ArenaMarks) {
        self.ds.rollback_attrs(m.attrs);
        self.ds.events.truncate(m.events);
        self.ds.links.truncate(m.links);
    }

    fn marks(&self) -> Marks {
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
    fn rollback(&mut self, m: Marks) {
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

    fn fault(&mut self, field: &str, expected: &str, found: Found<'_>) {
        if self.fault.is_none() {
            self.fault = Some(format!("{field}: expected {expected}, found {found}"));
        }
    }

    /// Whether another warning would be kept; locations and messages are only built if so,
    /// so a file with a million bad spans still loads in linear time.
    fn keeps_warnings(&self, skipped: bool) -> bool {
        self.file.keeps(skipped)
    }

    fn skip_at(&mut self, offset: usize, message: impl FnOnce(&Self) -> String) {
        if self.keeps_warnings(true) {
            let at = self.locator.at(self.input, offset);
            let message = message(self);
            self.file.skip(at, message);
        } else {
            self.file.skipped += 1;
        }
    }

    fn warn_at(&mut self, offset: usize, message: impl FnOnce(&Self) -> String) {
        if self.keeps_warnings(false) {
            let at = self.locator.at(self.input, offset);
            let message = message(self);
            self.file.warn(at, message);
        }
    }

    fn note_base64(&mut self, offset: usize) {
        if !self.base64_warned {
            self.base64_warned = true;
            self.warn_at(offset, |_| BASE64_NOTE.to_owned());
        }
    }

    /// serde_json's line:col is relative to the document's slice; make it relative to the file.
    fn json_error_location(&mut self, doc_start: usize, err: &serde_json::Error) -> Location {
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
    fn intern(&mut self, s: &'a str) -> Sym {
        self.ds.intern(s)
    }

    /// `service.name` from a resource's attributes, or `unknown_service` as SDKs do.
    fn service_of(&self, attrs: Slice) -> Sym {
        self.ds
            .attrs_of(attrs)
            .find(|a| a.key == self.syms.service_name)
            .and_then(|a| match a.value {
                Value::Str(s) if s != self.syms.empty => Some(s),
                _ => None,
            })
            .unwrap_or(self.syms.unknown_service)
    }

    /// A link is a Datadog span pointer when `link.kind` or `dd.kind` is `span-pointer`.
    fn is_pointer(&self, attrs: Slice) -> bool {
        self.ds.attrs_of(attrs).any(|a| {
            (a.key == self.syms.link_kind || a.key == self.syms.dd_kind)
                && a.value == Value::Str(self.syms.span_pointer)
        })
    }

    /// A Jaeger reference kind kept as the `opentracing.ref_type` link attribute (by the
    /// OpenTelemetry Jaeger translator, or `weft export`); a plain link otherwise.
    fn ref_kind(&self, attrs: Slice) -> LinkKind {
        let ds = &self.ds;
        ds.attrs_of(attrs)
            .find(|a| ds.str(a.key) == crate::model::REF_TYPE_KEY)
            .and_then(|a| match a.value {
                Value::Str(v) => LinkKind::from_ref_type(ds.str(v)),
                _ => None,
            })
            .unwrap_or(LinkKind::Link)
    }

    /// Validates and stores one span read by `SpanBody`, or skips it with its location.
    fn finish_span(&mut self, raw: RawSpan, at: usize, marks: ArenaMarks) {
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
        let begin = raw.start.unwrap_or(0);
        let mut end = raw.end.unwrap_or(0);
        let mut flags = 0;
        if end < begin {
            self.warn_at(start, |_| {
                format!("endTimeUnixNano {end} is before startTimeUnixNano {begin}; duration set to 0")
            });
            end = begin;
            flags |= span_flags::CLAMPED_END;
        }
        let service = self.syms.unknown_service;
        let mut span = Span::new(
            TraceId(trace_id),
            SpanId(u64::try_from(span_id).unwrap_or(0)),
            parent_id,
            begin,
            end,
            name,
            service,
        );
        span.flags = flags;
        span.kind = raw.kind;
        span.status = raw.status.code;
        span.status_message = raw.status.message.filter(|&m| m != self.syms.empty);
        span.trace_state = raw.trace_state.filter(|&s| s != self.syms.empty);
        span.w3c_flags = raw.flags;
        span.attrs = raw.attrs;
        span.events = raw.events;
        span.links = raw.links;
        self.ds.spans.push(span);
        self.offsets.push(start);
    }

    /// Drops repeated copies of one span (SDK retries across JSON Lines batches), keeping the
    /// copy with the most attributes + events + links. Copies must also agree on kind and
    /// service: two halves of a Zipkin-style shared span (client and server, one id) are kept.
    fn dedupe(&mut self) {
        let n = self.ds.spans.len();
        if n < 2 {
            return;
        }
        let mut seen: FxHashMap<(TraceId, SpanId), usize> = FxHashMap::default();
        seen.reserve(n);
        let mut dropped: Vec<usize> = Vec::new();
        for i in 0..n {
            let s = self.ds.spans[i];
            let first = *seen.entry((s.trace_id, s.span_id)).or_insert(i);
            if first == i {
                continue;
            }
            let kept = self.ds.spans[first];
            if kept.kind != s.kind || kept.service != s.service {
                continue;
            }
            let richness =
                |s: &Span| u64::from(s.attrs.len) + u64::from(s.events.len) + u64::from(s.links.len);
            if richness(&s) > richness(&kept) {
                self.ds.spans[first] = s;
            }
            dropped.push(i);
            self.warn_at(self.offsets.get(i).copied().unwrap_or(0), |_| {
                format!(
                    "span {}/{} appears more than once (an export retry?); kept the copy with the most \
                     attributes, events and links",
                    s.trace_id, s.span_id
                )
            });
        }
        // The dropped copies' links (and a replaced first copy's) go with them.
        self.ds.remove_spans(&dropped);
    }
}

/// The `{` that opens the object whose first key starts at `key`, or the key itself.
fn object_start(input: &[u8], key: usize) -> usize {
    let quote = key.saturating_sub(1);
    let before = input.get(..quote).unwrap_or_default();
    match before.iter().rposition(|b| !b.is_ascii_whitespace()) {
        Some(p) if before.get(p) == Some(&b'{') => p,
        _ => quote,
    }
}

/// Turns byte offsets into line:col, resuming from the previous answer: warnings come in file
/// order, so locating all of them costs one pass over the input, not one per warning.
struct Locator {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl Default for Locator {
    fn default() -> Self {
        Self { offset: 0, line: 1, line_start: 0 }
    }
}

impl Locator {
    fn at(&mut self, input: &[u8], offset: usize) -> Location {
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

// ---------------------------------------------------------------------------------------------
// Ids

/// Why an id was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdError {
    Empty,
    Zero,
    /// Hex digits, but not as many as the id needs (found, wanted).
    Length(usize, usize),
    /// Neither hex nor base64 of the right size.
    NotHex,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty id"),
            Self::Zero => f.write_str("all-zero id (invalid)"),
            Self::Length(found, wanted) => write!(f, "id has {found} hex digits, expected {wanted}"),
            Self::NotHex => f.write_str("id is neither hex nor base64"),
        }
    }
}

/// Decodes an id of `bytes` bytes (16 for traces, 8 for spans). OTLP JSON writes hex (either
/// case); Tempo and pre-2021 files write base64 (FORMATS.md §1.5), told apart by length and
/// charset. Returns the value and whether it was base64.
fn decode_id(s: &str, bytes: usize) -> Result<(u128, bool), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    let hex_len = bytes * 2;
    let (value, base64) = if s.len() == hex_len
        && let Some(v) = parse_hex(s)
    {
        (v, false)
    } else {
        let all_hex = s.bytes().all(|b| b.is_ascii_hexdigit());
        match decode_base64_id(s, bytes, all_hex) {
            Some(v) => (v, true),
            None if all_hex => return Err(IdError::Length(s.len(), hex_len)),
            None => return Err(IdError::NotHex),
        }
    };
    if value == 0 { Err(IdError::Zero) } else { Ok((value, base64)) }
}

/// Up to 32 hex digits, either case. Hand-rolled (a table and two u64 halves) because ids are
/// the most frequent strings in a file and `from_str_radix` is several times slower.
fn parse_hex(s: &str) -> Option<u128> {
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

/// Base64 of exactly `bytes` bytes: padded (`==` for 16, `=` for 8), or unpadded when it is not
/// plain hex (an all-hex string of the unpadded length is far likelier a short hex id).
fn decode_base64_id(s: &str, bytes: usize, all_hex: bool) -> Option<u128> {
    let padded_len = bytes.div_ceil(3) * 4;
    let unpadded_len = (bytes * 4).div_ceil(3);
    let ok_shape = (s.len() == padded_len && s.ends_with('=')) || (s.len() == unpadded_len && !all_hex);
    if !ok_shape {
        return None;
    }
    let mut buf = [0u8; 24];
    let n = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT.decode_slice(s, &mut buf).ok()?;
    if n != bytes {
        return None;
    }
    Some(buf.get(..n)?.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b)))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum IdOut {
    #[default]
    Missing,
    Ok(u128, bool),
    Bad(IdError),
}

// ---------------------------------------------------------------------------------------------
// Lenient visiting

/// What a JSON value turned out to be, for "expected X, found Y" messages.
#[derive(Clone, Copy, Debug)]
enum Found<'x> {
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(&'x str),
    Array,
    Object,
}

/// Longest string quoted in full in a message.
const MAX_QUOTED: usize = 40;

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::U64(n) => write!(f, "{n}"),
            Self::I64(n) => write!(f, "{n}"),
            Self::F64(n) => write!(f, "{n:?}"),
            Self::Str(s) if s.len() <= MAX_QUOTED => write!(f, "string {s:?}"),
            Self::Str(s) => {
                let mut cut = MAX_QUOTED;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                write!(f, "string {:?}…", s.get(..cut).unwrap_or_default())
            }
            Self::Array => f.write_str("an array"),
            Self::Object => f.write_str("an object"),
        }
    }
}

/// How one kind of JSON value is read. Each method handles one JSON type; the defaults record a
/// fault ("expected X, found Y") and consume the value, so reading never fails on a type.
/// `null` always means "absent" (`Out::default()`), as in protobuf JSON.
trait Body<'a>: Sized {
    type Out: Default;
    const EXPECTED: &'static str;

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut map: A,
    ) -> Result<Self::Out, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(self.wrong(cx, field, Found::Object))
    }
    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut seq: A,
    ) -> Result<Self::Out, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.wrong(cx, field, Found::Array))
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Self::Out {
        self.wrong(cx, field, Found::Str(v))
    }
    /// A string without escapes, borrowed from the input (the common case).
    fn borrowed_str(self, cx: &mut Ctx<'a>, field: &'static str, v: &'a str) -> Self::Out {
        self.str(cx, field, v)
    }
    fn u64(self, cx: &mut Ctx<'a>, field: &'static str, v: u64) -> Self::Out {
        self.wrong(cx, field, Found::U64(v))
    }
    fn i64(self, cx: &mut Ctx<'a>, field: &'static str, v: i64) -> Self::Out {
        self.wrong(cx, field, Found::I64(v))
    }
    fn f64(self, cx: &mut Ctx<'a>, field: &'static str, v: f64) -> Self::Out {
        self.wrong(cx, field, Found::F64(v))
    }
    fn bool(self, cx: &mut Ctx<'a>, field: &'static str, v: bool) -> Self::Out {
        self.wrong(cx, field, Found::Bool(v))
    }
    fn wrong(self, cx: &mut Ctx<'a>, field: &'static str, found: Found<'_>) -> Self::Out {
        cx.fault(field, Self::EXPECTED, found);
        Self::Out::default()
    }
}

/// Adapts a `Body` to serde: a seed that asks for any type and dispatches on what comes.
struct Lenient<'c, 'a, B> {
    cx: &'c mut Ctx<'a>,
    field: &'static str,
    body: B,
}

impl<'a, B: Body<'a>> DeserializeSeed<'a> for Lenient<'_, 'a, B> {
    type Value = B::Out;
    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<B::Out, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'a, B: Body<'a>> Visitor<'a> for Lenient<'_, 'a, B> {
    type Value = B::Out;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(B::EXPECTED)
    }
    fn visit_unit<E: de::Error>(self) -> Result<B::Out, E> {
        Ok(B::Out::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<B::Out, E> {
        Ok(B::Out::default())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<B::Out, E> {
        Ok(self.body.bool(self.cx, self.field, v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<B::Out, E> {
        Ok(self.body.i64(self.cx, self.field, v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<B::Out, E> {
        Ok(self.body.u64(self.cx, self.field, v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<B::Out, E> {
        Ok(self.body.f64(self.cx, self.field, v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<B::Out, E> {
        Ok(self.body.str(self.cx, self.field, v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'a str) -> Result<B::Out, E> {
        Ok(self.body.borrowed_str(self.cx, self.field, v))
    }
    fn visit_seq<A: SeqAccess<'a>>(self, seq: A) -> Result<B::Out, A::Error> {
        self.body.seq(self.cx, self.field, seq)
    }
    fn visit_map<A: MapAccess<'a>>(self, map: A) -> Result<B::Out, A::Error> {
        self.body.map(self.cx, self.field, map)
    }
}

/// Reads an object key and classifies it; a key borrowed from the input also records where it is.
struct KeySeed<'c, 'a, K> {
    cx: &'c mut Ctx<'a>,
    classify: fn(&str) -> K,
}

impl<'a, K> DeserializeSeed<'a> for KeySeed<'_, 'a, K> {
    type Value = K;
    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<K, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'a, K> Visitor<'a> for KeySeed<'_, 'a, K> {
    type Value = K;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'a str) -> Result<K, E> {
        self.cx.last_key = super::offset_of(self.cx.input, v);
        Ok((self.classify)(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<K, E> {
        Ok((self.classify)(v))
    }
}

fn next_key<'a, A: MapAccess<'a>, K>(
    map: &mut A,
    cx: &mut Ctx<'a>,
    classify: fn(&str) -> K,
) -> Result<Option<K>, A::Error> {
    map.next_key_seed(KeySeed { cx, classify })
}

fn read<'a, A: MapAccess<'a>, B: Body<'a>>(
    map: &mut A,
    cx: &mut Ctx<'a>,
    field: &'static str,
    body: B,
) -> Result<B::Out, A::Error> {
    map.next_value_seed(Lenient { cx, field, body })
}

fn ignore<'a, A: MapAccess<'a>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

// ---------------------------------------------------------------------------------------------
// Envelope: document → resourceSpans → scopeSpans → spans

/// A top-level document or a wrapper around one (`result`, `trace`).
struct Doc;

enum DocField {
    ResourceSpans,
    Wrapper(&'static str),
    Error,
    Other,
}

impl<'a> Body<'a> for Doc {
    type Out = ();
    const EXPECTED: &'static str = "an object with resourceSpans";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            // `batches`: Tempo's /api/traces (FORMATS.md §5.2).
            "resourceSpans" | "resource_spans" | "batches" => DocField::ResourceSpans,
            // `result`: Jaeger api_v3; `trace`: Tempo /api/v2/traces.
            "result" => DocField::Wrapper("result"),
            "trace" => DocField::Wrapper("trace"),
            "error" => DocField::Error,
            _ => DocField::Other,
        })? {
            let at = cx.last_key;
            match f {
                DocField::ResourceSpans => {
                    cx.recognised = true;
                    read(&mut map, cx, "resourceSpans", ResourceSpansList)?;
                }
                DocField::Wrapper(name) => read(&mut map, cx, name, Doc)?,
                DocField::Error => {
                    let message = read(&mut map, cx, "error", ApiError)?;
                    cx.fault = None;
                    if let Some(m) = message {
                        let text = cx.ds.str(m).to_owned();
                        cx.warn_at(at, |_| format!("error response: {text}"));
                        cx.api_error = Some(text);
                    }
                }
                DocField::Other => ignore(&mut map)?,
            }
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(at, |_| format!("{fault}; its spans were skipped"));
            }
        }
        Ok(())
    }
}

/// Jaeger api_v3's `{"error": {"httpCode": 404, "message": "…"}}`: keeps the message.
struct ApiError;

impl<'a> Body<'a> for ApiError {
    type Out = Option<Sym>;
    const EXPECTED: &'static str = "an error object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Sym>, A::Error> {
        let mut message = None;
        while let Some(is_message) = next_key(&mut map, cx, |k| k == "message")? {
            if is_message {
                message = read(&mut map, cx, "message", Text)?;
            } else {
                ignore(&mut map)?;
            }
        }
        Ok(message)
    }
}

struct ResourceSpansList;

impl<'a> Body<'a> for ResourceSpansList {
    type Out = ();
    const EXPECTED: &'static str = "an array";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Lenient { cx: &mut *cx, field: "resourceSpans[]", body: ResourceSpans })?
            .is_some()
        {
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| fault);
            }
            if !cx.ticker.step(cx.last_key, cx.ds.spans.len()) {
                // Unwinds the parse; `read_documents` sees the cancellation and stops.
                return Err(de::Error::custom("loading cancelled"));
            }
        }
        Ok(())
    }
}

struct ResourceSpans;

enum ResourceSpansField {
    Resource,
    ScopeSpans,
    Other,
}

impl<'a> Body<'a> for ResourceSpans {
    type Out = ();
    const EXPECTED: &'static str = "a resourceSpans object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        let first_span = cx.ds.spans.len();
        let mut attrs = Slice::default();
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "resource" => ResourceSpansField::Resource,
            // Before proto v0.15 spans were grouped by `instrumentationLibrary` (FORMATS.md §1.1);
            // the Collector also reads `deprecatedScopeSpans`.
            "scopeSpans"
            | "scope_spans"
            | "instrumentationLibrarySpans"
            | "instrumentation_library_spans"
            | "deprecatedScopeSpans"
            | "deprecated_scope_spans" => ResourceSpansField::ScopeSpans,
            _ => ResourceSpansField::Other,
        })? {
            let at = cx.last_key;
            match f {
                ResourceSpansField::Resource => {
                    attrs = read(&mut map, cx, "resource", Resource)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.warn_at(at, |_| format!("resource: {fault}; kept the rest of it"));
                    }
                }
                ResourceSpansField::ScopeSpans => {
                    read(&mut map, cx, "scopeSpans", ScopeSpansList)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.skip_at(at, |_| format!("{fault}; its spans were skipped"));
                    }
                }
                ResourceSpansField::Other => ignore(&mut map)?,
            }
        }
        // The resource can come after its spans in the object, so spans learn it only now.
        let resource = cx.ds.add_resource(attrs);
        let service = cx.service_of(attrs);
        for span in cx.ds.spans.get_mut(first_span..).unwrap_or_default() {
            span.resource = resource;
            span.service = service;
        }
        Ok(())
    }
}

/// `resource` → its attributes.
struct Resource;

impl<'a> Body<'a> for Resource {
    type Out = Slice;
    const EXPECTED: &'static str = "an object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<Slice, A::Error> {
        let mut attrs = Slice::default();
        while let Some(is_attrs) = next_key(&mut map, cx, |k| k == "attributes")? {
            if is_attrs {
                attrs = read(&mut map, cx, "attributes", AttrList)?;
            } else {
                ignore(&mut map)?;
            }
        }
        Ok(attrs)
    }
}

struct ScopeSpansList;

impl<'a> Body<'a> for ScopeSpansList {
    type Out = ();
    const EXPECTED: &'static str = "an array";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Lenient { cx: &mut *cx, field: "scopeSpans[]", body: ScopeSpans })?
            .is_some()
        {
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| fault);
            }
        }
        Ok(())
    }
}

struct ScopeSpans;

enum ScopeSpansField {
    Scope,
    Spans,
    Other,
}

impl<'a> Body<'a> for ScopeSpans {
    type Out = ();
    const EXPECTED: &'static str = "a scopeSpans object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        let first_span = cx.ds.spans.len();
        let mut scope = None;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "scope" | "instrumentationLibrary" | "instrumentation_library" => ScopeSpansField::Scope,
            "spans" => ScopeSpansField::Spans,
            _ => ScopeSpansField::Other,
        })? {
            let at = cx.last_key;
            match f {
                ScopeSpansField::Scope => {
                    scope = read(&mut map, cx, "scope", ScopeBody)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.warn_at(at, |_| format!("scope: {fault}; kept the rest of it"));
                    }
                }
                ScopeSpansField::Spans => {
                    read(&mut map, cx, "spans", SpanList)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.skip_at(at, |_| format!("{fault}; its spans were skipped"));
                    }
                }
                ScopeSpansField::Other => ignore(&mut map)?,
            }
        }
        if let Some(scope) = scope {
            let idx: ScopeIdx = cx.ds.add_scope(scope);
            for span in cx.ds.spans.get_mut(first_span..).unwrap_or_default() {
                span.scope = idx;
            }
        }
        Ok(())
    }
}

/// `scope` (or the old `instrumentationLibrary`): name, version, attributes.
struct ScopeBody;

impl<'a> Body<'a> for ScopeBody {
    type Out = Option<Scope>;
    const EXPECTED: &'static str = "an object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Scope>, A::Error> {
        let mut scope = Scope::default();
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "name" => 0u8,
            "version" => 1,
            "attributes" => 2,
            _ => 3,
        })? {
            match f {
                0 => scope.name = read(&mut map, cx, "scope.name", Text)?,
                1 => scope.version = read(&mut map, cx, "scope.version", Text)?,
                2 => scope.attrs = read(&mut map, cx, "scope.attributes", AttrList)?,
                _ => ignore(&mut map)?,
            }
        }
        let empty = cx.syms.empty;
        scope.name = scope.name.filter(|&n| n != empty);
        scope.version = scope.version.filter(|&v| v != empty);
        Ok(Some(scope))
    }
}

struct SpanList;

impl<'a> Body<'a> for SpanList {
    type Out = ();
    const EXPECTED: &'static str = "an array of spans";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Lenient { cx: &mut *cx, field: "span", body: SpanBody })?.is_some() {
            // Only a span that is not an object gets here with a fault; others took theirs.
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| format!("span skipped: {fault}"));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Span and its parts

/// A span's fields as read, before validation.
#[derive(Default)]
struct RawSpan {
    trace_id: IdOut,
    span_id: IdOut,
    parent_id: IdOut,
    trace_state: Option<Sym>,
    flags: u32,
    name: Option<Sym>,
    kind: SpanKind,
    start: Option<u64>,
    end: Option<u64>,
    attrs: Slice,
    events: Slice,
    links: Slice,
    status: StatusOut,
}

#[derive(Clone, Copy, Default)]
struct StatusOut {
    code: StatusCode,
    message: Option<Sym>,
}

enum SpanField {
    TraceId,
    SpanId,
    ParentSpanId,
    TraceState,
    Flags,
    Name,
    Kind,
    Start,
    End,
    Attributes,
    Events,
    Links,
    Status,
    Other,
}

fn span_field(k: &str) -> SpanField {
    match k {
        "traceId" | "trace_id" => SpanField::TraceId,
        "spanId" | "span_id" => SpanField::SpanId,
        "parentSpanId" | "parent_span_id" => SpanField::ParentSpanId,
        "traceState" | "trace_state" => SpanField::TraceState,
        "flags" => SpanField::Flags,
        "name" => SpanField::Name,
        "kind" => SpanField::Kind,
        "startTimeUnixNano" | "start_time_unix_nano" => SpanField::Start,
        "endTimeUnixNano" | "end_time_unix_nano" => SpanField::End,
        "attributes" => SpanField::Attributes,
        "events" => SpanField::Events,
        "links" => SpanField::Links,
        "status" => SpanField::Status,
        _ => SpanField::Other,
    }
}

struct SpanBody;

impl<'a> Body<'a> for SpanBody {
    type Out = ();
    const EXPECTED: &'static str = "a span object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        let marks = cx.arena_marks();
        // Until the first key is read, the best known position is the key before the span.
        let mut at = cx.last_key;
        let mut first = true;
        let mut raw = RawSpan::default();
        while let Some(f) = next_key(&mut map, cx, span_field)? {
            if first {
                at = cx.last_key;
                first = false;
            }
            match f {
                SpanField::TraceId => raw.trace_id = read(&mut map, cx, "traceId", Id(16))?,
                SpanField::SpanId => raw.span_id = read(&mut map, cx, "spanId", Id(8))?,
                SpanField::ParentSpanId => raw.parent_id = read(&mut map, cx, "parentSpanId", Id(8))?,
                SpanField::TraceState => raw.trace_state = read(&mut map, cx, "traceState", Text)?,
                SpanField::Flags => raw.flags = read(&mut map, cx, "flags", Fixed32)?,
                SpanField::Name => raw.name = read(&mut map, cx, "name", Text)?,
                SpanField::Kind => raw.kind = read(&mut map, cx, "kind", Kind)?,
                SpanField::Start => raw.start = read(&mut map, cx, "startTimeUnixNano", Fixed64)?,
                SpanField::End => raw.end = read(&mut map, cx, "endTimeUnixNano", Fixed64)?,
                SpanField::Attributes => raw.attrs = read(&mut map, cx, "attributes", AttrList)?,
                SpanField::Events => raw.events = read(&mut map, cx, "events", EventList)?,
                SpanField::Links => raw.links = read(&mut map, cx, "links", LinkList)?,
                SpanField::Status => raw.status = read(&mut map, cx, "status", Status)?,
                SpanField::Other => ignore(&mut map)?,
            }
        }
        cx.finish_span(raw, at, marks);
        Ok(())
    }
}

/// `status`: `code` (number or `STATUS_CODE_*` name), `message`, and the pre-v0.12
/// `deprecatedCode`, which counts only when `code` is absent: then any non-zero value is an error.
struct Status;

impl<'a> Body<'a> for Status {
    type Out = StatusOut;
    const EXPECTED: &'static str = "a status object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<StatusOut, A::Error> {
        let mut code = None;
        let mut deprecated = None;
        let mut message = None;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "code" => 0u8,
            "message" => 1,
            "deprecatedCode" | "deprecated_code" => 2,
            _ => 3,
        })? {
            match f {
                0 => code = read(&mut map, cx, "status.code", StatusCodeBody)?,
                1 => message = read(&mut map, cx, "status.message", Text)?,
                2 => deprecated = read(&mut map, cx, "status.deprecatedCode", DeprecatedCode)?,
                _ => ignore(&mut map)?,
            }
        }
        let code = match (code, deprecated) {
            (Some(c), _) => c,
            (None, Some(true)) => StatusCode::Error,
            (None, _) => StatusCode::Unset,
        };
        Ok(StatusOut { code, message })
    }
}

struct EventList;

impl<'a> Body<'a> for EventList {
    type Out = Slice;
    const EXPECTED: &'static str = "an array of events";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<Slice, A::Error> {
        let mut events = std::mem::take(&mut cx.events);
        while let Some(e) =
            seq.next_element_seed(Lenient { cx: &mut *cx, field: "events[]", body: EventBody })?
        {
            events.extend(e);
        }
        let slice = cx.ds.add_events(&events);
        events.clear();
        cx.events = events;
        Ok(slice)
    }
}

struct EventBody;

impl<'a> Body<'a> for EventBody {
    type Out = Option<Event>;
    const EXPECTED: &'static str = "an event object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Event>, A::Error> {
        let (mut time, mut name, mut attrs) = (None, None, Slice::default());
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "timeUnixNano" | "time_unix_nano" => 0u8,
            "name" => 1,
            "attributes" => 2,
            _ => 3,
        })? {
            match f {
                0 => time = read(&mut map, cx, "events[].timeUnixNano", Fixed64)?,
                1 => name = read(&mut map, cx, "events[].name", Text)?,
                2 => attrs = read(&mut map, cx, "events[].attributes", AttrList)?,
                _ => ignore(&mut map)?,
            }
        }
        Ok(Some(Event { time: time.unwrap_or(0), name: name.unwrap_or(cx.syms.empty), attrs }))
    }
}

struct LinkList;

impl<'a> Body<'a> for LinkList {
    type Out = Slice;
    const EXPECTED: &'static str = "an array of links";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<Slice, A::Error> {
        let mut links = std::mem::take(&mut cx.links);
        while let Some(l) =
            seq.next_element_seed(Lenient { cx: &mut *cx, field: "links[]", body: LinkBody })?
        {
            links.extend(l);
        }
        let slice = cx.ds.add_links(&links);
        links.clear();
        cx.links = links;
        Ok(slice)
    }
}

struct LinkBody;

impl<'a> Body<'a> for LinkBody {
    type Out = Option<Link>;
    const EXPECTED: &'static str = "a link object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Link>, A::Error> {
        let marks = cx.arena_marks();
        let (mut trace, mut span, mut trace_state, mut flags, mut attrs) =
            (IdOut::Missing, IdOut::Missing, None, 0u32, Slice::default());
        let mut at = cx.last_key;
        let mut first = true;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "traceId" | "trace_id" => 0u8,
            "spanId" | "span_id" => 1,
            "traceState" | "trace_state" => 2,
            "flags" => 3,
            "attributes" => 4,
            _ => 5,
        })? {
            if first {
                at = cx.last_key;
                first = false;
            }
            match f {
                0 => trace = read(&mut map, cx, "links[].traceId", Id(16))?,
                1 => span = read(&mut map, cx, "links[].spanId", Id(8))?,
                2 => trace_state = read(&mut map, cx, "links[].traceState", Text)?,
                3 => flags = read(&mut map, cx, "links[].flags", Fixed32)?,
                4 => attrs = read(&mut map, cx, "links[].attributes", AttrList)?,
                _ => ignore(&mut map)?,
            }
        }
        let start = object_start(cx.input, at);
        let kind = if cx.is_pointer(attrs) { LinkKind::Pointer } else { cx.ref_kind(attrs) };
        let id = |out: IdOut| match out {
            IdOut::Ok(v, b64) => Ok((v, b64)),
            IdOut::Missing => Err(IdError::Empty),
            IdOut::Bad(e) => Err(e),
        };
        let (trace, span) = match (id(trace), id(span)) {
            (Ok(t), Ok(s)) => (t, s),
            // Span pointers name a resource, and their ids are often zero or made up.
            (t, s) if kind == LinkKind::Pointer => (t.unwrap_or((0, false)), s.unwrap_or((0, false))),
            (t, s) => {
                let which = if t.is_err() { "traceId" } else { "spanId" };
                let e = t.err().or(s.err()).unwrap_or(IdError::Empty);
                cx.truncate_arenas(marks);
                cx.warn_at(start, |_| format!("link dropped: {which}: {e}"));
                return Ok(None);
            }
        };
        if trace.1 || span.1 {
            cx.note_base64(start);
        }
        Ok(Some(Link {
            trace_id: TraceId(trace.0),
            span_id: SpanId(u64::try_from(span.0).unwrap_or(0)),
            trace_state: trace_state.filter(|&s| s != cx.syms.empty),
            flags,
            kind,
            attrs,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Attributes: KeyValue lists and AnyValue

struct AttrList;

impl<'a> Body<'a> for AttrList {
    type Out = Slice;
    const EXPECTED: &'static str = "an array of {key, value}";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut seq: A,
    ) -> Result<Slice, A::Error> {
        // Nested kvlists need their own buffer while the outer one is being filled.
        let mut buf = cx.attr_pool.pop().unwrap_or_default();
        while let Some(kv) = seq.next_element_seed(Lenient { cx: &mut *cx, field, body: KeyValue })? {
            buf.extend(kv);
        }
        let slice = cx.ds.add_attrs(&buf);
        buf.clear();
        cx.attr_pool.push(buf);
        Ok(slice)
    }
}

struct KeyValue;

impl<'a> Body<'a> for KeyValue {
    type Out = Option<Attr>;
    const EXPECTED: &'static str = "a {key, value} object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Attr>, A::Error> {
        let (mut key, mut value) = (None, None);
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "key" => 0u8,
            "value" => 1,
            _ => 2,
        })? {
            match f {
                0 => key = read(&mut map, cx, "key", Text)?,
                1 => value = read(&mut map, cx, "value", AnyValue)?,
                _ => ignore(&mut map)?,
            }
        }
        Ok(Some(Attr { key: key.unwrap_or(cx.syms.empty), value: value.unwrap_or(Value::Empty) }))
    }
}

/// One `AnyValue` object; `{}` (and unknown kinds such as profiles' `stringValueStrindex`) are
/// `Value::Empty`. Arrays and maps are added to the arenas before the value that holds them.
struct AnyValue;

/// Nested `arrayValue`/`kvlistValue` levels read before the rest is skipped as a fault. Each level
/// costs serde_json three or four of its 128 recursion levels, and hitting that limit would fail
/// the whole document; past this bound the value is skipped without recursion (`IgnoredAny`), so
/// only its span is lost.
const MAX_VALUE_NESTING: usize = 24;

enum AnyField {
    Str,
    Bool,
    Int,
    Double,
    Bytes,
    Array,
    Kvlist,
    Other,
}

impl<'a> Body<'a> for AnyValue {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an AnyValue object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut value = Value::Empty;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "stringValue" | "string_value" => AnyField::Str,
            "boolValue" | "bool_value" => AnyField::Bool,
            "intValue" | "int_value" => AnyField::Int,
            "doubleValue" | "double_value" => AnyField::Double,
            "bytesValue" | "bytes_value" => AnyField::Bytes,
            "arrayValue" | "array_value" => AnyField::Array,
            "kvlistValue" | "kvlist_value" => AnyField::Kvlist,
            _ => AnyField::Other,
        })? {
            let v = match f {
                AnyField::Str => read(&mut map, cx, "stringValue", Text)?.map(Value::Str),
                AnyField::Bool => read(&mut map, cx, "boolValue", Bool)?.map(Value::Bool),
                AnyField::Int => read(&mut map, cx, "intValue", Int64)?.map(Value::Int),
                AnyField::Double => read(&mut map, cx, "doubleValue", Double)?.map(Value::Double),
                // Kept as its base64 text, which is how every format carries bytes.
                AnyField::Bytes => read(&mut map, cx, "bytesValue", Text)?.map(Value::Bytes),
                AnyField::Array | AnyField::Kvlist if cx.value_depth >= MAX_VALUE_NESTING => {
                    if cx.fault.is_none() {
                        cx.fault = Some(format!(
                            "value: arrayValue/kvlistValue nested more than {MAX_VALUE_NESTING} levels deep"
                        ));
                    }
                    ignore(&mut map)?;
                    continue;
                }
                AnyField::Array | AnyField::Kvlist => {
                    // Restored before `?`, so a broken document cannot leave the depth raised.
                    cx.value_depth += 1;
                    let v = if matches!(f, AnyField::Array) {
                        read(&mut map, cx, "arrayValue", ValuesOf(ArrayValues))
                    } else {
                        read(&mut map, cx, "kvlistValue", ValuesOf(KvlistValues))
                    };
                    cx.value_depth -= 1;
                    v?
                }
                AnyField::Other => {
                    ignore(&mut map)?;
                    continue;
                }
            };
            value = v.unwrap_or(Value::Empty);
        }
        Ok(Some(value))
    }
}

/// `arrayValue` and `kvlistValue` are both `{"values": [...]}`; `V` reads the list.
struct ValuesOf<V>(V);
#[derive(Clone, Copy)]
struct ArrayValues;
#[derive(Clone, Copy)]
struct KvlistValues;

/// The value of a list kind when `values` is absent (`{}` is an empty list).
trait EmptyList {
    fn empty(self, cx: &mut Ctx<'_>) -> Value;
}

impl EmptyList for ArrayValues {
    fn empty(self, cx: &mut Ctx<'_>) -> Value {
        cx.ds.add_array(&[])
    }
}

impl EmptyList for KvlistValues {
    fn empty(self, cx: &mut Ctx<'_>) -> Value {
        Value::Map(cx.ds.add_attrs(&[]))
    }
}

impl<'a, V: Body<'a, Out = Option<Value>> + EmptyList + Copy> Body<'a> for ValuesOf<V> {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "a {values: [...]} object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut map: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut value = None;
        while let Some(is_values) = next_key(&mut map, cx, |k| k == "values")? {
            if is_values {
                value = read(&mut map, cx, field, self.0)?;
            } else {
                ignore(&mut map)?;
            }
        }
        Ok(Some(value.unwrap_or_else(|| self.0.empty(cx))))
    }
}

impl<'a> Body<'a> for ArrayValues {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an array of AnyValue";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut seq: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut buf = cx.value_pool.pop().unwrap_or_default();
        while let Some(v) =
            seq.next_element_seed(Lenient { cx: &mut *cx, field: "arrayValue", body: AnyValue })?
        {
            buf.push(v.unwrap_or(Value::Empty));
        }
        let value = cx.ds.add_array(&buf);
        buf.clear();
        cx.value_pool.push(buf);
        Ok(Some(value))
    }
}

impl<'a> Body<'a> for KvlistValues {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an array of {key, value}";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        seq: A,
    ) -> Result<Option<Value>, A::Error> {
        AttrList.seq(cx, "kvlistValue", seq).map(|s| Some(Value::Map(s)))
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars

/// A string, interned.
struct Text;

impl<'a> Body<'a> for Text {
    type Out = Option<Sym>;
    const EXPECTED: &'static str = "a string";
    fn str(self, cx: &mut Ctx<'a>, _: &'static str, v: &str) -> Option<Sym> {
        Some(cx.ds.intern(v))
    }
    fn borrowed_str(self, cx: &mut Ctx<'a>, _: &'static str, v: &'a str) -> Option<Sym> {
        Some(cx.intern(v))
    }
}

/// A trace (16) or span (8) id of that many bytes.
struct Id(usize);

impl<'a> Body<'a> for Id {
    type Out = IdOut;
    const EXPECTED: &'static str = "a hex id string";
    fn str(self, _: &mut Ctx<'a>, _: &'static str, v: &str) -> IdOut {
        match decode_id(v, self.0) {
            Ok((value, base64)) => IdOut::Ok(value, base64),
            Err(e) => IdOut::Bad(e),
        }
    }
}

/// An integral float such as `1e3` is accepted where an integer is wanted, as protobuf JSON does.
fn integral(v: f64, min: f64, max_exclusive: f64) -> Option<f64> {
    (v.fract() == 0.0 && v >= min && v < max_exclusive).then_some(v)
}

const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// fixed64 / uint64 (times): a JSON number or a decimal string, never through f64.
struct Fixed64;

impl<'a> Body<'a> for Fixed64 {
    type Out = Option<u64>;
    const EXPECTED: &'static str = "an unsigned integer or decimal string";
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> Option<u64> {
        Some(v)
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<u64> {
        match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => self.wrong(cx, field, Found::Str(v)),
        }
    }
    fn f64(self, cx: &mut Ctx<'a>, field: &'static str, v: f64) -> Option<u64> {
        match integral(v, 0.0, TWO_POW_64) {
            Some(n) => Some(n as u64),
            None => self.wrong(cx, field, Found::F64(v)),
        }
    }
}

/// fixed32 (flags): like `Fixed64` but at most `u32::MAX`.
struct Fixed32;

impl<'a> Body<'a> for Fixed32 {
    type Out = u32;
    const EXPECTED: &'static str = "a 32-bit unsigned integer";
    fn u64(self, cx: &mut Ctx<'a>, field: &'static str, v: u64) -> u32 {
        u32::try_from(v).unwrap_or_else(|_| self.wrong(cx, field, Found::U64(v)))
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> u32 {
        v.parse::<u32>().unwrap_or_else(|_| self.wrong(cx, field, Found::Str(v)))
    }
}

/// int64 (`intValue`): a JSON number or a decimal string, never through f64.
struct Int64;

impl<'a> Body<'a> for Int64 {
    type Out = Option<i64>;
    const EXPECTED: &'static str = "a 64-bit integer or decimal string";
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> Option<i64> {
        Some(v)
    }
    fn u64(self, cx: &mut Ctx<'a>, field: &'static str, v: u64) -> Option<i64> {
        match i64::try_from(v) {
            Ok(n) => Some(n),
            Err(_) => self.wrong(cx, field, Found::U64(v)),
        }
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<i64> {
        match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => self.wrong(cx, field, Found::Str(v)),
        }
    }
    fn f64(self, cx: &mut Ctx<'a>, field: &'static str, v: f64) -> Option<i64> {
        match integral(v, -TWO_POW_63, TWO_POW_63) {
            Some(n) => Some(n as i64),
            None => self.wrong(cx, field, Found::F64(v)),
        }
    }
}

/// double: a number, or the protobuf JSON strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
struct Double;

impl<'a> Body<'a> for Double {
    type Out = Option<f64>;
    const EXPECTED: &'static str = "a number";
    fn f64(self, _: &mut Ctx<'a>, _: &'static str, v: f64) -> Option<f64> {
        Some(v)
    }
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> Option<f64> {
        Some(v as f64)
    }
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> Option<f64> {
        Some(v as f64)
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<f64> {
        match v {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => match v.parse::<f64>() {
                Ok(n) => Some(n),
                Err(_) => self.wrong(cx, field, Found::Str(v)),
            },
        }
    }
}

struct Bool;

impl<'a> Body<'a> for Bool {
    type Out = Option<bool>;
    const EXPECTED: &'static str = "true or false";
    fn bool(self, _: &mut Ctx<'a>, _: &'static str, v: bool) -> Option<bool> {
        Some(v)
    }
}

/// `kind`: 0–5, or a name such as `SPAN_KIND_SERVER` (the Collector accepts names).
struct Kind;

impl<'a> Body<'a> for Kind {
    type Out = SpanKind;
    const EXPECTED: &'static str = "a span kind (0-5 or SPAN_KIND_*)";
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> SpanKind {
        SpanKind::from_otlp(i64::try_from(v).unwrap_or(0))
    }
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> SpanKind {
        SpanKind::from_otlp(v)
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> SpanKind {
        SpanKind::from_name(v).unwrap_or_else(|| self.wrong(cx, field, Found::Str(v)))
    }
}

/// `status.code`: 0 UNSET, 1 OK, 2 ERROR, or a `STATUS_CODE_*` name.
struct StatusCodeBody;

fn status_from_number(n: i128) -> StatusCode {
    match n {
        1 => StatusCode::Ok,
        2 => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

impl<'a> Body<'a> for StatusCodeBody {
    type Out = Option<StatusCode>;
    const EXPECTED: &'static str = "a status code (0-2 or STATUS_CODE_*)";
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> Option<StatusCode> {
        Some(status_from_number(i128::from(v)))
    }
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> Option<StatusCode> {
        Some(status_from_number(i128::from(v)))
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<StatusCode> {
        let name = v.strip_prefix("STATUS_CODE_").unwrap_or(v);
        if name.eq_ignore_ascii_case("unset") {
            Some(StatusCode::Unset)
        } else if name.eq_ignore_ascii_case("ok") {
            Some(StatusCode::Ok)
        } else if name.eq_ignore_ascii_case("error") {
            Some(StatusCode::Error)
        } else {
            self.wrong(cx, field, Found::Str(v))
        }
    }
}

/// The old gRPC-style `deprecatedCode`: `Some(true)` when it says anything but OK.
struct DeprecatedCode;

impl<'a> Body<'a> for DeprecatedCode {
    type Out = Option<bool>;
    const EXPECTED: &'static str = "a deprecated status code";
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> Option<bool> {
        Some(v != 0)
    }
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> Option<bool> {
        Some(v != 0)
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<bool> {
        match v.strip_prefix("DEPRECATED_STATUS_CODE_") {
            Some(rest) => Some(rest != "OK"),
            None => self.wrong(cx, field, Found::Str(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `json` with one body, as the loader would inside a span.
    fn run<B: Body<'static>>(json: &'static str, body: B) -> (Ctx<'static>, B::Out) {
        let progress = Box::leak(Box::new(Progress::new()));
        let job = Box::leak(Box::new(Job { workers: 1, min_chunk: 1, progress, release: None }));
        let mut cx = Ctx::new(json.as_bytes(), "t.json", job, 0);
        let mut de = serde_json::Deserializer::from_str(json);
        let out = Lenient { cx: &mut cx, field: "value", body }.deserialize(&mut de).unwrap();
        (cx, out)
    }

    fn any(json: &'static str) -> (Ctx<'static>, Value) {
        let (cx, v) = run(json, AnyValue);
        (cx, v.unwrap_or(Value::Empty))
    }

    #[test]
    fn hex_ids_in_either_case() {
        assert_eq!(
            decode_id("5B8EFFF798038103D269B633813FC60C", 16),
            Ok((0x5b8e_fff7_9803_8103_d269_b633_813f_c60c, false))
        );
        assert_eq!(decode_id("eee19b7ec3c1b174", 8), Ok((0xeee1_9b7e_c3c1_b174, false)));
        assert_eq!(decode_id("FFFFFFFFFFFFFFFFffffffffffffffff", 16), Ok((u128::MAX, false)));
        assert_eq!(parse_hex("0f"), Some(15));
        assert_eq!(parse_hex(""), Some(0));
        assert_eq!(parse_hex("+f"), None);
        assert_eq!(parse_hex(&"1".repeat(33)), None);
    }

    #[test]
    fn base64_ids_are_recognised_by_length_and_charset() {
        // Tempo writes 16 and 8 raw bytes as standard base64 (FORMATS.md §5.2).
        assert_eq!(
            decode_id("S/kvNXezTaajzpKdDg5HNg==", 16),
            Ok((0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736, true))
        );
        assert_eq!(decode_id("U5lcP0LNitg=", 8), Ok((0x5399_5c3f_42cd_8ad8, true)));
        // Unpadded is accepted when it cannot be a short hex id.
        assert_eq!(
            decode_id("S/kvNXezTaajzpKdDg5HNg", 16),
            Ok((0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736, true))
        );
        assert_eq!(decode_id("abcdef0123456789abcdef", 16), Err(IdError::Length(22, 32)));
        // Right length and padding, but the wrong number of bytes.
        assert_eq!(decode_id("AAAAAAAAAAAAAAAAAAAAAAA=", 16), Err(IdError::NotHex));
    }

    #[test]
    fn invalid_ids_say_why() {
        assert_eq!(decode_id("", 16), Err(IdError::Empty));
        assert_eq!(decode_id(&"0".repeat(32), 16), Err(IdError::Zero));
        assert_eq!(decode_id("AAAAAAAAAAAAAAAAAAAAAA==", 16), Err(IdError::Zero));
        assert_eq!(decode_id("aaaaaaaaaaaaaaaa", 16), Err(IdError::Length(16, 32)));
        assert_eq!(decode_id("123", 8), Err(IdError::Length(3, 16)));
        assert_eq!(decode_id("not-an-id", 8), Err(IdError::NotHex));
        assert_eq!(decode_id("zzzzzzzzzzzzzzzz", 8), Err(IdError::NotHex));
        assert_eq!(IdError::Length(16, 32).to_string(), "id has 16 hex digits, expected 32");
    }

    #[test]
    fn any_value_scalars() {
        let (cx, v) = any(r#"{"stringValue":"hi"}"#);
        assert_eq!(v, Value::Str(cx.ds.strings.get("hi").unwrap()));
        assert_eq!(any(r#"{"boolValue":false}"#).1, Value::Bool(false));
        assert_eq!(any(r#"{"intValue":"-42"}"#).1, Value::Int(-42));
        assert_eq!(any(r#"{"int_value":42}"#).1, Value::Int(42));
        assert_eq!(any(r#"{"intValue":"9223372036854775807"}"#).1, Value::Int(i64::MAX));
        assert_eq!(any(r#"{"intValue":1e3}"#).1, Value::Int(1000));
        assert_eq!(any(r#"{"doubleValue":"-Infinity"}"#).1, Value::Double(f64::NEG_INFINITY));
        assert_eq!(any(r#"{"doubleValue":"2.5"}"#).1, Value::Double(2.5));
        assert!(matches!(any(r#"{"doubleValue":"NaN"}"#).1, Value::Double(d) if d.is_nan()));
        let (cx, v) = any(r#"{"bytesValue":"AAAwOQ=="}"#);
        assert_eq!(v, Value::Bytes(cx.ds.strings.get("AAAwOQ==").unwrap()));
        assert_eq!(any("{}").1, Value::Empty);
        assert_eq!(any(r#"{"stringValue":null}"#).1, Value::Empty);
        assert_eq!(any(r#"{"somethingNew":{"a":[1]}}"#).1, Value::Empty);
        for (_, v) in [any(r#"{"intValue":"1"}"#), any(r#"{"stringValue":"x"}"#)] {
            assert_ne!(v, Value::Empty);
        }
    }

    #[test]
    fn any_value_containers_are_added_before_their_parent() {
        let (cx, v) = any(
            r#"{"kvlistValue":{"values":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"},{}]}}},{"key":"m","value":{"kvlistValue":{"values":[{"key":"x","value":{}}]}}},{"key":"e","value":{"kvlistValue":{}}}]}}"#,
        );
        let Value::Map(map) = v else { panic!("{v:?}") };
        let ds = &cx.ds;
        assert_eq!(map.len, 3);
        let Some(Value::Array(arr)) = ds.find_attr(map, "a") else { panic!("no array") };
        assert_eq!(ds.values_of(arr).collect::<Vec<_>>(), [Value::Int(1), Value::Empty]);
        // The nested map's block was added first, so the parent's block comes after it.
        let Some(Value::Map(inner)) = ds.find_attr(map, "m") else { panic!("no nested map") };
        assert_eq!((inner, map.start), (Slice { start: 0, len: 1 }, 1));
        assert_eq!(ds.find_attr(inner, "x"), Some(Value::Empty));
        assert!(matches!(ds.find_attr(map, "e"), Some(Value::Map(empty)) if empty.is_empty()));
        assert!(cx.fault.is_none());
    }

    #[test]
    fn wrong_types_become_faults_not_errors() {
        let (cx, v) = any(r#"{"intValue":"12abc"}"#);
        assert_eq!(v, Value::Empty);
        assert_eq!(
            cx.fault.as_deref(),
            Some(r#"intValue: expected a 64-bit integer or decimal string, found string "12abc""#)
        );
        let (cx, _) = any(r#"{"intValue":18446744073709551615}"#);
        assert!(cx.fault.unwrap().ends_with("found 18446744073709551615"));
        let (cx, _) = any(r#"{"intValue":1.5}"#);
        assert!(cx.fault.unwrap().ends_with("found 1.5"));
        let (cx, _) = any(r#"{"boolValue":[1,{"a":2}]}"#);
        assert_eq!(cx.fault.as_deref(), Some("boolValue: expected true or false, found an array"));
        let (cx, _) = any(r#"{"arrayValue":{"values":"no"}}"#);
        assert_eq!(
            cx.fault.as_deref(),
            Some(r#"arrayValue: expected an array of AnyValue, found string "no""#)
        );
        // Only the first fault is kept: it is the one that explains the skip.
        let (cx, _) = any(r#"{"intValue":"x","boolValue":1}"#);
        assert!(cx.fault.unwrap().starts_with("intValue"));
        let (cx, out) = run(r#""SPAN_KIND_SOMETHING""#, Kind);
        assert_eq!(out, SpanKind::Unspecified);
        assert!(cx.fault.unwrap().starts_with("value: expected a span kind"));
    }

    #[test]
    fn long_strings_are_cut_in_messages_on_a_char_boundary() {
        let s = format!("{}ü{}", "a".repeat(39), "b".repeat(10));
        assert_eq!(Found::Str(&s).to_string(), format!("string \"{}\"…", "a".repeat(39)));
        assert_eq!(Found::Str("a\u{1b}").to_string(), "string \"a\\u{1b}\"");
        assert_eq!(Found::F64(1e300).to_string(), "1e300");
    }

    #[test]
    fn enums_as_numbers_or_names() {
        assert_eq!(run("3", Kind).1, SpanKind::Client);
        assert_eq!(run(r#""SPAN_KIND_CONSUMER""#, Kind).1, SpanKind::Consumer);
        assert_eq!(run("99", Kind).1, SpanKind::Unspecified);
        assert_eq!(run(r#""STATUS_CODE_ERROR""#, StatusCodeBody).1, Some(StatusCode::Error));
        assert_eq!(run("1", StatusCodeBody).1, Some(StatusCode::Ok));
        let status = |json| run(json, Status).1.code;
        assert_eq!(status(r#"{"code":2}"#), StatusCode::Error);
        assert_eq!(status(r#"{"deprecatedCode":2}"#), StatusCode::Error);
        assert_eq!(status(r#"{"deprecated_code":"DEPRECATED_STATUS_CODE_OK"}"#), StatusCode::Unset);
        // `code` wins over the deprecated field when both are present.
        assert_eq!(status(r#"{"deprecatedCode":2,"code":1}"#), StatusCode::Ok);
        assert_eq!(status("{}"), StatusCode::Unset);
    }

    #[test]
    fn times_never_go_through_f64() {
        assert_eq!(run(r#""18446744073709551615""#, Fixed64).1, Some(u64::MAX));
        assert_eq!(run("1581452772000000321", Fixed64).1, Some(1_581_452_772_000_000_321));
        let (cx, out) = run("-5", Fixed64);
        assert_eq!(out, None);
        assert!(cx.fault.is_some());
        assert_eq!(run("4294967296", Fixed32).1, 0);
        assert_eq!(run(r#""257""#, Fixed32).1, 257);
    }

    #[test]
    fn locator_resumes_and_restarts() {
        let text = b"ab\ncd\nef\n";
        let mut loc = Locator::default();
        assert_eq!(loc.at(text, 4), Location::Line { line: 2, column: 2 });
        assert_eq!(loc.at(text, 7), Location::Line { line: 3, column: 2 });
        assert_eq!(loc.at(text, 1), Location::Line { line: 1, column: 2 });
        assert_eq!(loc.at(text, 100), Location::Line { line: 4, column: 1 });
        for offset in 0..text.len() {
            assert_eq!(Locator::default().at(text, offset), crate::load::location_at(text, offset));
        }
    }

    #[test]
    fn resuming_after_a_broken_document_finds_the_next_line_starting_a_document() {
        let text = b"{\"a\": [\n  {\"nested\": 1}\n{\"next\": 2}\n";
        assert_eq!(next_document_line(text, 0), 24);
        assert_eq!(next_document_line(text, 24), text.len());
        assert_eq!(object_start(b"[ {\n   \"k\": 1}", 8), 2);
        assert_eq!(object_start(b"\"k\"", 1), 0);
    }
}
