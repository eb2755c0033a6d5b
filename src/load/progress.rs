//! Progress and cancellation of a load, shared between the loading threads and whoever watches:
//! the CLI's stderr bar (`Reporter`) or the explorer's loading screen.
//!
//! The loaders add to plain atomic counters at record boundaries (a resourceSpans element, a
//! JSON Lines document, a Datadog trace chunk), so watching costs them one relaxed add per
//! record, and they check `is_cancelled` at the same points. A cancelled load returns a
//! `LoadError` for which `is_cancelled()` is true.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// Counters a load updates while it runs. Share it as `Arc<Progress>`.
#[derive(Debug, Default)]
pub struct Progress {
    total: AtomicU64,
    done: AtomicU64,
    spans: AtomicU64,
    cancel: AtomicBool,
}

/// One reading of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Input bytes parsed so far (decompressed bytes for compressed files).
    pub bytes_done: u64,
    /// Input bytes known so far: the sizes of the files being loaded, corrected for compression
    /// once a file is decompressed.
    pub bytes_total: u64,
    /// Spans read so far.
    pub spans: u64,
}

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            bytes_done: self.done.load(Relaxed),
            bytes_total: self.total.load(Relaxed),
            spans: self.spans.load(Relaxed),
        }
    }

    /// Asks the load to stop at the next record boundary.
    pub fn cancel(&self) {
        self.cancel.store(true, Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Relaxed)
    }

    pub(crate) fn add_total(&self, bytes: u64) {
        self.total.fetch_add(bytes, Relaxed);
    }

    pub(crate) fn sub_total(&self, bytes: u64) {
        // Saturating: a watcher must never see the total wrap.
        let _ = self.total.fetch_update(Relaxed, Relaxed, |t| Some(t.saturating_sub(bytes)));
    }

    pub(crate) fn add_done(&self, bytes: u64) {
        self.done.fetch_add(bytes, Relaxed);
    }

    pub(crate) fn add_spans(&self, spans: u64) {
        self.spans.fetch_add(spans, Relaxed);
    }

    fn sub_done(&self, bytes: u64, spans: u64) {
        let _ = self.done.fetch_update(Relaxed, Relaxed, |d| Some(d.saturating_sub(bytes)));
        let _ = self.spans.fetch_update(Relaxed, Relaxed, |s| Some(s.saturating_sub(spans)));
    }
}

/// Reports progress of one parse in steps: `step(pos, spans)` adds what was parsed since the
/// previous step (`pos` is a byte offset into the input, `spans` the parser's running count).
#[derive(Debug)]
pub(crate) struct Ticker<'p> {
    progress: &'p Progress,
    pos: usize,
    spans: usize,
    /// Everything this ticker (and the ones it took over) added, to take it back with `undo`.
    added_bytes: u64,
    added_spans: u64,
}

impl<'p> Ticker<'p> {
    pub fn new(progress: &'p Progress, start: usize) -> Self {
        Self { progress, pos: start, spans: 0, added_bytes: 0, added_spans: 0 }
    }

    /// Adds the bytes up to `pos` and the spans up to `spans`; says whether to go on.
    #[inline]
    pub fn step(&mut self, pos: usize, spans: usize) -> bool {
        if pos > self.pos {
            let bytes = (pos - self.pos) as u64;
            self.progress.add_done(bytes);
            self.added_bytes += bytes;
            self.pos = pos;
        }
        if spans > self.spans {
            let n = (spans - self.spans) as u64;
            self.progress.add_spans(n);
            self.added_spans += n;
            self.spans = spans;
        }
        !self.progress.is_cancelled()
    }

    pub fn cancelled(&self) -> bool {
        self.progress.is_cancelled()
    }

    /// Counts what `other` (a chunk merged into this one) added as this ticker's own.
    pub fn take_over(&mut self, other: &Ticker<'_>) {
        self.added_bytes += other.added_bytes;
        self.added_spans += other.added_spans;
    }

    /// Takes back everything reported, when the work is thrown away and done again.
    pub fn undo(&self) {
        self.progress.sub_done(self.added_bytes, self.added_spans);
    }
}
