//! `{"data": [trace, …]}` cut for threads: where the runs of traces are cut (`plan`) and how
//! they are read and merged (`parse_runs`, and `parse_parts` after a syntax pass).

use super::*;

/// Decides where to cut `{"data": [trace, …] …}` for `workers` threads, or `None` when it cannot
/// be cut cheaply. `data` must be the first key, and what follows its array (the query service
/// adds `total`, `limit`, `offset`, `errors`) must be a well-formed rest of the object without
/// the keys a bare trace would use. Run `k` reads the traces starting in `cuts[k]..cuts[k + 1]`
/// (offsets in the text); the last cut is the `]` that closes `data`.
pub(super) fn plan(text: &[u8], workers: usize) -> Option<Vec<usize>> {
    let mut pos = 0;
    for token in [&b"{"[..], b"\"data\"", b":", b"["] {
        pos = json::skip_whitespace(text, pos);
        if !text.get(pos..)?.starts_with(token) {
            return None;
        }
        pos += token.len();
    }
    let first = json::skip_whitespace(text, pos);
    let array_end = data_end(text)?;
    if first >= array_end {
        return None;
    }
    // One run is worth it too: it reads records in one pass.
    Some(parallel::cuts(first, array_end, workers, |at| trace_start_after(text, at, array_end)))
}

/// The `]` closing `data`, found from the end: the last `]` after which the object ends or goes
/// on with other keys (checked by parsing them). Only a candidate: the runs prove it.
pub(super) fn data_end(text: &[u8]) -> Option<usize> {
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
pub(super) fn trace_start_after(text: &[u8], from: usize, limit: usize) -> Option<usize> {
    let before = |p: usize| text.get(..p)?.iter().rposition(|b| !b.is_ascii_whitespace());
    let key_at = |p: usize, key: &[u8]| {
        let p = json::skip_whitespace(text, p);
        text.get(p..).is_some_and(|t| t.starts_with(key)).then(|| json::skip_whitespace(text, p + key.len()))
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
        let open = json::skip_whitespace(text, colon + 1);
        if text.get(open) != Some(&b'"') {
            continue;
        }
        let Some(len) = text.get(open + 1..limit).and_then(|t| memchr::memchr(b'"', t)) else { continue };
        let after = json::skip_whitespace(text, open + 1 + len + 1);
        if text.get(after) == Some(&b',') && key_at(after + 1, b"\"spans\"").is_some() {
            return Some(hit);
        }
    }
}

/// One run of a parallel parse: its parser, the progress it reported and how many traces it
/// read (its notes number them from 0; `absorb` renumbers them after the runs before).
/// The parser of one run and how many traces it read: its notes number them from 0, and `absorb`
/// renumbers them after the runs before.
pub(super) struct Traces<'a> {
    pub(super) p: Parser<'a>,
    pub(super) count: usize,
}

impl RunParser for Traces<'_> {
    fn spans(&self) -> usize {
        self.p.cx.ds.spans.len()
    }
    fn absorb(&mut self, mut next: Self) {
        for w in &mut next.p.cx.file.warnings {
            renumber_trace(&mut w.message, self.count);
        }
        self.count += next.count;
        self.p.cx.absorb(next.p.cx);
    }
}

pub(super) fn parse_runs<'a, 'p>(
    input: &'a [u8],
    text: &'a str,
    path: &str,
    job: &Job<'p>,
    cuts: &[usize],
) -> Chunked<Run<'p, Traces<'a>>> {
    let new = |share| Traces { p: Parser::new(input, path, share), count: 0 };
    json::read_runs(input, text, job, cuts, new, |run, pos, until| {
        let label = format!("data[{}]", run.count);
        let end = match run.p.read_trace(text, pos, until, &label) {
            OnePass::Done(end) => end,
            OnePass::Broken => return None,
            OnePass::Declined => {
                let (t, end) = json::value_at::<MaybeTrace<'a>>(text, pos, until)?;
                match t.0 {
                    Some(probe) => run.p.add_trace(&probe, &label),
                    None => run
                        .p
                        .cx
                        .file
                        .skip(Location::Unknown, format!("{label}: skipped: a trace must be a JSON object")),
                }
                end
            }
        };
        run.count += 1;
        Some(end)
    })
}

/// Adds `offset` to the trace number of a message that starts `data[i]` (the trace-level notes
/// of a run, which numbers its traces from 0).
pub(super) fn renumber_trace(message: &mut String, offset: usize) {
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
    let progress = crate::load::Progress::new();
    let job = Job { workers, min_chunk: 1, progress: &progress, release: None };
    let Ok(text) = json::text_of(input, "t", FORMAT) else { return false };
    plan(text.as_bytes(), workers)
        .is_some_and(|cuts| matches!(parse_runs(input, text, "t", &job, &cuts), Chunked::Done(..)))
}

/// Where the first trace of a part starts (its first span's text), to report progress from.
pub(super) fn part_start(input: &[u8], part: &[(usize, Option<TraceProbe<'_>>)]) -> Option<usize> {
    part.iter().find_map(|(_, t)| match t.as_ref()?.spans.as_ref()? {
        RawList::Items(items) => items.first().map(|raw| crate::load::offset_of(input, raw.get())),
        RawList::NotArray => None,
    })
}

/// Where a trace's last span ends in the input.
pub(super) fn trace_end(input: &[u8], probe: &TraceProbe<'_>) -> Option<usize> {
    match probe.spans.as_ref()? {
        RawList::Items(items) => {
            items.last().map(|raw| crate::load::offset_of(input, raw.get()) + raw.get().len())
        }
        RawList::NotArray => None,
    }
}

/// Cuts the list of traces into `parts` runs of about the same number of spans, keeping each
/// trace's index (for warnings that name `data[i]`).
pub(super) fn split_traces(
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
