//! Received spans → the save file, before the sender hears "accepted". Each request's spans are
//! written as one OTLP JSON line (the same writer as `weft export`) on the request's own decoding
//! task (`Encoded::new`), so requests are serialised side by side; one writer thread owns the
//! file: receivers hand it encoded batches over a bounded channel, it appends their lines,
//! flushes, and only then answers each batch, so an exporter that got a success never loses data
//! to a weft that stops.
//!
//! With a live explorer, each written group of batches then goes to it over a bounded channel.
//!
//! Batches that queue up while a write is in progress are written together (one flush), which
//! keeps the per-request cost low under load without delaying any answer.

use crate::model::{Dataset, TraceId};
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// Batches waiting for the writer. Full, it makes receivers wait, and so their senders.
const QUEUE: usize = 64;
/// At most this many queued batches go into one write.
const GROUP: usize = 64;

/// One decoded request, and where to say whether it was saved.
struct Batch {
    encoded: Encoded,
    saved: oneshot::Sender<Result<(), String>>,
}

/// A decoded request and the line the save file gets for it.
#[derive(Debug)]
pub struct Encoded {
    dataset: Dataset,
    /// `dataset` as OTLP JSON, newline included.
    line: Vec<u8>,
}

impl Encoded {
    /// Serialises `dataset` (on the caller's thread: the writer thread then only copies bytes).
    pub fn new(dataset: Dataset) -> io::Result<Self> {
        let mut line = Vec::with_capacity(dataset.spans.len() * LINE_BYTES_PER_SPAN);
        crate::export::otlp_json::write_dataset(&mut line, &dataset)?;
        line.push(b'\n');
        Ok(Self { dataset, line })
    }
}

/// About what a span of an SDK export takes as OTLP JSON; used only to pre-size a line.
const LINE_BYTES_PER_SPAN: usize = 512;

/// The receivers' side of the writer.
#[derive(Clone, Debug)]
pub struct Store {
    queue: mpsc::Sender<Batch>,
    pub counts: Arc<Counts>,
}

/// What has been received, for the summary at exit.
#[derive(Debug, Default)]
pub struct Counts {
    /// Spans saved.
    pub spans: AtomicU64,
    /// Distinct traces seen (a trace forgotten under `--max-spans` and seen again counts again).
    pub traces: AtomicU64,
    /// Traces forgotten to stay under `--max-spans`, and their spans.
    pub evicted_traces: AtomicU64,
    pub evicted_spans: AtomicU64,
}

impl Counts {
    /// Spans saved so far.
    pub fn spans(&self) -> u64 {
        self.spans.load(Ordering::Relaxed)
    }

    /// What was received: `1,234 spans · 56 traces` (and what `--max-spans` made weft forget).
    pub fn status_total(&self) -> String {
        let mut line =
            format!("received {} spans · {} traces", self.spans(), self.traces.load(Ordering::Relaxed));
        let evicted = self.evicted_traces.load(Ordering::Relaxed);
        if evicted > 0 {
            let spans = self.evicted_spans.load(Ordering::Relaxed);
            line.push_str(&format!(" · {evicted} traces ({spans} spans) past --max-spans forgotten"));
        }
        line
    }
}

/// Why a batch was not saved.
#[derive(Debug)]
pub struct NotSaved(pub String);

impl Store {
    /// Opens `path` for appending and starts the writer thread; the thread ends (after writing
    /// everything queued) once every `Store` clone is dropped.
    pub fn open(
        path: &Path,
        max_spans: u64,
        live: Option<std::sync::mpsc::SyncSender<Dataset>>,
    ) -> io::Result<(Self, std::thread::JoinHandle<()>)> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let (queue, rx) = mpsc::channel(QUEUE);
        let counts = Arc::new(Counts::default());
        let writer = Writer {
            out: BufWriter::new(file),
            held: Held::new(max_spans),
            counts: Arc::clone(&counts),
            live,
        };
        let thread =
            std::thread::Builder::new().name("weft-save".to_owned()).spawn(move || writer.run(rx))?;
        Ok((Self { queue, counts }, thread))
    }

    /// Saves `encoded`; returns once it is written to the file (in the kernel's hands, so it
    /// survives weft being killed).
    pub async fn save(&self, encoded: Encoded) -> Result<(), NotSaved> {
        let (saved, answer) = oneshot::channel();
        let closed = || NotSaved("weft is shutting down".to_owned());
        self.queue.send(Batch { encoded, saved }).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?.map_err(NotSaved)
    }
}

struct Writer {
    out: BufWriter<File>,
    held: Held,
    counts: Arc<Counts>,
    /// The live explorer's queue, until it hangs up.
    live: Option<std::sync::mpsc::SyncSender<Dataset>>,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Batch>) {
        let mut group = Vec::with_capacity(GROUP);
        while rx.blocking_recv_many(&mut group, GROUP) > 0 {
            let result = self.write(&group).map_err(|e| format!("saving the spans failed: {e}"));
            if result.is_ok() {
                for batch in &group {
                    let spans = &batch.encoded.dataset.spans;
                    self.counts.spans.fetch_add(spans.len() as u64, Ordering::Relaxed);
                    self.held.add(spans.iter().map(|s| s.trace_id), &self.counts);
                }
            }
            let mut merged = (result.is_ok() && self.live.is_some()).then(Dataset::new);
            for Batch { encoded, saved } in group.drain(..) {
                // A sender that went away (disconnected) still had its spans saved.
                let _ = saved.send(result.clone());
                if let Some(merged) = &mut merged {
                    merged.append(encoded.dataset);
                }
            }
            // Saved and answered; now shown. Waiting here for a busy explorer is the back pressure.
            if let Some(merged) = merged
                && let Some(live) = &self.live
                && live.send(merged).is_err()
            {
                self.live = None;
            }
        }
    }

    /// Appends the batches' lines and flushes them to the file. A write that fails midway (a
    /// full disk) is cut back off, so the file stays valid JSON Lines and a later write that
    /// succeeds starts on a line of its own.
    fn write(&mut self, group: &[Batch]) -> io::Result<()> {
        let end = self.out.get_ref().metadata()?.len();
        let written = group
            .iter()
            .try_for_each(|batch| self.out.write_all(&batch.encoded.line))
            .and_then(|()| self.out.flush());
        if written.is_err() {
            // Drop what is still buffered (it was not written) and what was, past `end`.
            let fresh = BufWriter::new(self.out.get_ref().try_clone()?);
            let (file, _unwritten) = std::mem::replace(&mut self.out, fresh).into_parts();
            let _ = file.set_len(end);
        }
        written
    }
}

/// The traces received, oldest first, with their span counts: at most `max_spans` spans' worth is
/// remembered (whole traces are forgotten oldest first), so a long session's memory stays bounded.
/// It is what a live explorer will hold; headless, it counts distinct traces.
struct Held {
    max_spans: u64,
    spans: u64,
    order: VecDeque<TraceId>,
    by_id: rustc_hash::FxHashMap<TraceId, u64>,
}

impl Held {
    fn new(max_spans: u64) -> Self {
        Self { max_spans, spans: 0, order: VecDeque::new(), by_id: rustc_hash::FxHashMap::default() }
    }

    fn add(&mut self, ids: impl IntoIterator<Item = TraceId>, counts: &Counts) {
        for id in ids {
            let n = self.by_id.entry(id).or_insert_with(|| {
                self.order.push_back(id);
                counts.traces.fetch_add(1, Ordering::Relaxed);
                0
            });
            *n += 1;
            self.spans += 1;
        }
        while self.spans > self.max_spans {
            let Some(oldest) = self.order.pop_front() else { break };
            let n = self.by_id.remove(&oldest).unwrap_or(0);
            self.spans -= n;
            counts.evicted_traces.fetch_add(1, Ordering::Relaxed);
            counts.evicted_spans.fetch_add(n, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_forgets_whole_traces_oldest_first_past_the_limit() {
        let counts = Counts::default();
        let mut held = Held::new(3);
        let (a, b, c) = (TraceId(1), TraceId(2), TraceId(3));
        held.add([a, a, b], &counts);
        assert_eq!(counts.evicted_traces.load(Ordering::Relaxed), 0);
        held.add([c, c], &counts);
        // 5 spans > 3: `a` (2 spans) goes; 3 left.
        assert_eq!(held.spans, 3);
        assert_eq!(held.order, [b, c]);
        assert_eq!(counts.traces.load(Ordering::Relaxed), 3);
        assert_eq!(counts.evicted_traces.load(Ordering::Relaxed), 1);
        assert_eq!(counts.evicted_spans.load(Ordering::Relaxed), 2);
        counts.spans.store(5, Ordering::Relaxed);
        assert_eq!(
            counts.status_total(),
            "received 5 spans · 3 traces · 1 traces (2 spans) past --max-spans forgotten"
        );
    }
}
