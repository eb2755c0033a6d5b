//! OTLP JSON cut for threads: where a document or JSON Lines input is cut (`plan`) and how
//! each chunk is read (`parse_chunks`, through `load::parallel`).

use super::*;

/// How an input is cut for parallel parsing.
#[derive(Debug, PartialEq)]
pub(super) enum Plan {
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
pub(super) const LINES_PROBE: usize = 16 << 20;

/// Decides where to cut `input` for `workers` threads, or `None` when it cannot be cut cheaply
/// (the chunks are then one: the sequential parse).
pub(super) fn plan(input: &[u8], start: usize, workers: usize) -> Option<Plan> {
    let first = skip_whitespace(input, start);
    let probe_end = input.len().min(first.saturating_add(LINES_PROBE));
    let lines = doc_start_after(input, first, probe_end).is_some();
    if lines {
        let cuts = parallel::cuts(first, input.len(), workers, |at| doc_start_after(input, at, input.len()));
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
    let cuts = parallel::cuts(elements, array_end, workers, |at| element_start_after(input, at, array_end));
    (cuts.len() > 2).then_some(Plan::Elements { cuts, array_end })
}

/// The `{` of the first `} \n {` at or after `from` (before `limit`): a line that starts a
/// document right after one ended, as in JSON Lines. (Elements of one document written one per
/// line are separated by commas, so they do not match.) `parse_chunks` checks the guess.
pub(super) fn doc_start_after(input: &[u8], from: usize, limit: usize) -> Option<usize> {
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
pub(super) fn element_start_after(input: &[u8], from: usize, limit: usize) -> Option<usize> {
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
    let progress = crate::load::Progress::new();
    let job = Job { workers, min_chunk: 1, progress: &progress, release: None };
    plan(input, 0, workers).is_some_and(|p| matches!(parse_chunks(input, "t", &job, &p), Chunked::Done(..)))
}

/// What one chunk produced: its context and what its documents were.
pub(super) struct Part<'a> {
    pub(super) cx: Ctx<'a>,
    pub(super) stats: DocStats,
}

impl parallel::Chunk for Part<'_> {
    fn ticker(&self) -> &Ticker<'_> {
        &self.cx.ticker
    }
    fn absorb(&mut self, next: Self) {
        self.cx.absorb(next.cx);
        self.stats.docs += next.stats.docs;
        self.stats.good += next.stats.good;
    }
}

pub(super) fn parse_chunks<'a>(
    input: &'a [u8],
    path: &str,
    job: &'a Job<'_>,
    plan: &Plan,
) -> Chunked<Part<'a>> {
    let (cuts, array_end) = match plan {
        Plan::Lines { cuts } => (cuts, None),
        Plan::Elements { cuts, array_end } => (cuts, Some(*array_end)),
    };
    parallel::run_chunks(cuts.len() - 1, job, |k| {
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
                Some((Part { cx, stats }, clean && end == until))
            }
            Some(array_end) => {
                cx.recognised = true;
                let last = until == array_end;
                let ok = read_elements(&mut cx, from, until, last)?;
                // The whole file is one good document when every chunk checks out.
                let stats =
                    DocStats { docs: usize::from(k == 0), good: usize::from(k == 0), first_error: None };
                Some((Part { cx, stats }, ok))
            }
        }
    })
}

/// Reads resourceSpans elements from `from` (the `{` of one) as the array's seq visitor would,
/// until the element that ends right before `until`. Says whether the chunk ended exactly there
/// (for the last chunk: at the `]` closing the array); `None` when the load was cancelled.
pub(super) fn read_elements(cx: &mut Ctx<'_>, from: usize, until: usize, last: bool) -> Option<bool> {
    let input = cx.sink.input;
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
                if !cx.ticker.step(pos.min(until), cx.sink.ds.spans.len()) {
                    return None;
                }
                if pos >= until {
                    return Some(pos == until && !last);
                }
            }
            Some(b']') => {
                // The rest (`]}` and whitespace) was checked by `plan`.
                if !cx.ticker.step(input.len(), cx.sink.ds.spans.len()) {
                    return None;
                }
                return Some(last && pos == until);
            }
            _ => return Some(false),
        }
    }
}

pub(super) fn skip_whitespace(input: &[u8], mut pos: usize) -> usize {
    while input.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

pub(super) use crate::load::json::next_document_line;
