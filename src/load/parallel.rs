//! One input parsed on several threads: where loaders cut it (`cuts`) and how the chunks run and
//! merge (`run_chunks`). Each loader supplies only its boundary test and its per-chunk reader,
//! so all of them share one policy for a panicking chunk, cancellation and progress.

use super::progress::Ticker;
use super::{Job, LoadError};

/// What one chunk of a parse produced, merged in file order into the first chunk's.
pub(crate) trait Chunk: Send {
    /// The progress this chunk reported, taken back when its work is thrown away.
    fn ticker(&self) -> &Ticker<'_>;
    /// Takes in the next chunk (chunks are absorbed in file order, so strings, spans, warnings
    /// and skips are numbered as one sequential pass numbers them).
    fn absorb(&mut self, next: Self);
}

/// How a chunked parse ended.
pub(crate) enum Chunked<C> {
    Done(C),
    Cancelled,
    /// A chunk did not end where the next began, or one panicked: parse sequentially instead.
    Mismatch,
}

impl<C> Chunked<C> {
    /// The merged chunks, or the cancellation as the load's error; `None` on a mismatch (the
    /// caller then parses sequentially).
    pub(crate) fn finished(self, path: &str) -> Option<Result<C, LoadError>> {
        match self {
            Self::Done(chunk) => Some(Ok(chunk)),
            Self::Cancelled => Some(Err(LoadError::cancelled(path))),
            Self::Mismatch => None,
        }
    }
}

/// Offsets at which to cut `from..until` into at most `workers` chunks: `from`, then for each
/// even share the first boundary `next_start(at)` finds at or after it, then `until`. Chunk `k`
/// reads the records that start in `cuts[k]..cuts[k + 1]`. `next_start` only guesses (the text
/// could sit inside a string); `run_chunks` checks every cut.
pub(crate) fn cuts(
    from: usize,
    until: usize,
    workers: usize,
    mut next_start: impl FnMut(usize) -> Option<usize>,
) -> Vec<usize> {
    let per_worker = until.saturating_sub(from) / workers.max(1);
    let mut cuts = vec![from];
    for k in 1..workers {
        let target = from.saturating_add(per_worker.saturating_mul(k));
        let at = target.max(cuts.last().copied().unwrap_or(from) + 1);
        match next_start(at) {
            Some(cut) => cuts.push(cut),
            None => break,
        }
    }
    cuts.push(until);
    cuts.dedup();
    cuts
}

/// Runs `read(k)` for chunks `0..chunks`, the first on this thread and the others on threads of
/// their own, and merges them in order. `read` returns the chunk and whether it ended exactly at
/// its cut (which proves the cut was a record boundary), or `None` when the load was cancelled.
///
/// The one policy for every loader: a chunk that panicked, or that did not end at its cut, makes
/// the whole run a `Mismatch`, and the caller parses the input again sequentially. Nothing is
/// lost that way (a skip note instead would drop the chunk's records) and the result never
/// depends on the number of threads. Before that, every chunk's progress is taken back, so the
/// sequential pass does not count its bytes twice.
pub(crate) fn run_chunks<C: Chunk>(
    chunks: usize,
    job: &Job<'_>,
    read: impl Fn(usize) -> Option<(C, bool)> + Sync,
) -> Chunked<C> {
    let read = &read;
    let outs: Vec<Option<(C, bool)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..chunks).map(|k| scope.spawn(move || read(k))).collect();
        let mut outs = vec![read(0)];
        // A panicked chunk is `None` here, like a cancelled one; the checks below tell them apart.
        outs.extend(handles.into_iter().map(|h| h.join().ok().flatten()));
        outs
    });
    if job.progress.is_cancelled() {
        return Chunked::Cancelled;
    }
    if !outs.iter().all(|o| o.as_ref().is_some_and(|(_, at_cut)| *at_cut)) {
        outs.iter().flatten().for_each(|(chunk, _)| chunk.ticker().undo());
        return Chunked::Mismatch;
    }
    let mut chunks = outs.into_iter().flatten().map(|(chunk, _)| chunk);
    let Some(mut merged) = chunks.next() else { return Chunked::Mismatch };
    for next in chunks {
        merged.absorb(next);
    }
    Chunked::Done(merged)
}
