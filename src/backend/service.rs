//! Background fetches: a few worker threads take trace ids from a bounded queue, fetch each from
//! the stores in order (the first that has it wins) and deliver a `Fetched` message through the
//! caller's sink. Nothing here blocks its caller: a full queue is `Busy`, at once.
//!
//! How the explorer drives it (STYLE §9): `tui` starts one service for the `--backend` stores
//! (`cli::store::inputs` gives their `Plan`: `backends` and `client`) with a `deliver` that wraps
//! each `Fetched` in the event loop's message and sends it into the loop's channel. The app asks
//! for `Effect::Fetch(trace)`; `tui` drains it with `try_request` and keeps the `Ticket` (the
//! footer's "fetching … from jaeger"); `Esc` is `cancel(ticket)`. A `Fetched` comes back as an
//! action: `Ok(dataset)` goes to `Index::extend` (its `Growth` says which traces are new and how
//! many waiting links bound; a test below does exactly this), `Err` to the footer (`is_not_found`
//! marks the link as not in the store). The CLI's `--linked` walk (`gather`) uses the same service.

use super::address::Backend;
use super::error::FetchError;
use super::fetch;
use super::http::Client;
use crate::model::{Dataset, TraceId};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

/// Names one request, so its answer can be matched and it can be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub u64);

/// One finished request.
#[derive(Debug)]
pub struct Fetched {
    pub ticket: Ticket,
    pub trace: TraceId,
    /// The trace from the first store that had it (`Dataset::files[0].path` is the URL it came
    /// from), or why not: `NotFound` when no store had it, else the first store's other failure.
    pub result: Result<Dataset, FetchError>,
}

/// The queue is full: too many fetches are waiting; ask again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} fetches are already waiting")]
pub struct Busy(pub usize);

struct Job {
    ticket: Ticket,
    trace: TraceId,
}

/// State the workers share with the handle.
struct Shared {
    client: Client,
    backends: Vec<Backend>,
    tickets: Mutex<Tickets>,
    deliver: Box<dyn Fn(Fetched) + Send + Sync>,
}

/// Requests queued or running, and which of them were cancelled (always a subset, so cancelling
/// a finished request leaves nothing behind).
#[derive(Default)]
struct Tickets {
    open: HashSet<Ticket>,
    cancelled: HashSet<Ticket>,
}

/// The handle the app (or the CLI) keeps. Dropping it closes the queue: idle workers exit at once,
/// busy ones after their request ends (at most the client's timeout); nothing waits for them.
pub struct FetchService {
    queue: SyncSender<Job>,
    capacity: usize,
    next: AtomicU64,
    shared: Arc<Shared>,
}

impl FetchService {
    /// Starts `workers` threads (at least 1) behind a queue of `capacity` waiting requests (at
    /// least 1). `deliver` is called on a worker thread with each answer; it should only send it on
    /// (e.g. wrap it in the app's event and push it into the event channel).
    pub fn start(
        client: Client,
        backends: Vec<Backend>,
        workers: usize,
        capacity: usize,
        deliver: impl Fn(Fetched) + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let capacity = capacity.max(1);
        let (queue, jobs) = sync_channel::<Job>(capacity);
        let jobs = Arc::new(Mutex::new(jobs));
        let shared = Arc::new(Shared {
            client,
            backends,
            tickets: Mutex::new(Tickets::default()),
            deliver: Box::new(deliver),
        });
        for n in 0..workers.max(1) {
            let jobs = Arc::clone(&jobs);
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("weft-fetch-{n}"))
                .spawn(move || work(&jobs, &shared))?;
        }
        Ok(Self { queue, capacity, next: AtomicU64::new(0), shared })
    }

    /// Queues a fetch of `trace` without waiting; `Busy` when the queue is full.
    pub fn try_request(&self, trace: TraceId) -> Result<Ticket, Busy> {
        let ticket = self.ticket();
        self.shared.tickets().open.insert(ticket);
        match self.queue.try_send(Job { ticket, trace }) {
            Ok(()) => Ok(ticket),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.tickets().open.remove(&ticket);
                Err(Busy(self.capacity))
            }
        }
    }

    /// Cancels a request: if it has not started it is never sent, and if it has, its answer is
    /// dropped. Either way no `Fetched` arrives for it. A finished request is not affected.
    pub fn cancel(&self, ticket: Ticket) {
        let mut tickets = self.shared.tickets();
        if tickets.open.contains(&ticket) {
            tickets.cancelled.insert(ticket);
        }
    }

    /// The stores asked, in order.
    pub fn backends(&self) -> &[Backend] {
        &self.shared.backends
    }

    fn ticket(&self) -> Ticket {
        Ticket(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

impl Shared {
    fn tickets(&self) -> std::sync::MutexGuard<'_, Tickets> {
        self.tickets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_cancelled(&self, ticket: Ticket) -> bool {
        self.tickets().cancelled.contains(&ticket)
    }

    /// Closes `ticket`; whether it had been cancelled.
    fn close(&self, ticket: Ticket) -> bool {
        let mut tickets = self.tickets();
        tickets.open.remove(&ticket);
        tickets.cancelled.remove(&ticket)
    }

    /// The first store that has `trace`; a store that fails otherwise does not stop the next
    /// one from being asked, but its error is the one reported when none has it.
    fn fetch(&self, trace: TraceId) -> Result<Dataset, FetchError> {
        let mut first_error = None;
        for backend in &self.backends {
            match fetch::trace(&self.client, backend, trace) {
                Ok(ds) => return Ok(ds),
                Err(e) if e.is_not_found() => first_error = first_error.or(Some(e)),
                Err(e) => {
                    first_error = Some(first_error.filter(|f: &FetchError| !f.is_not_found()).unwrap_or(e))
                }
            }
        }
        Err(first_error
            .unwrap_or_else(|| FetchError::NotFound { url: "(no trace store given)".to_owned(), trace }))
    }
}

fn work(jobs: &Mutex<Receiver<Job>>, shared: &Shared) {
    loop {
        // One worker waits on the queue at a time; the others wait for the lock.
        let job = match jobs.lock().unwrap_or_else(PoisonError::into_inner).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        if shared.is_cancelled(job.ticket) {
            shared.close(job.ticket);
            continue;
        }
        let result = shared.fetch(job.trace);
        if !shared.close(job.ticket) {
            (shared.deliver)(Fetched { ticket: job.ticket, trace: job.trace, result });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::address::Kind;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A local HTTP server answering each request with what `answer(path)` says, until dropped
    /// with the test. Its connections are handled one at a time, each after `delay`.
    fn server(delay: Duration, answer: impl Fn(&str) -> (u16, String) + Send + 'static) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                reader.read_line(&mut line).unwrap();
                while reader.read_line(&mut String::new()).unwrap_or(0) > 2 {}
                std::thread::sleep(delay);
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                let (status, body) = answer(&path);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Backend { kind: Kind::Zipkin, base }
    }

    fn zipkin_trace(path: &str) -> (u16, String) {
        let id = path.rsplit('/').next().unwrap_or("");
        if id.ends_with('1') {
            (
                200,
                format!(
                    r#"[{{"traceId":"{id}","id":"0000000000000001","name":"a","timestamp":1,"duration":1}}]"#
                ),
            )
        } else {
            (404, String::new())
        }
    }

    fn service(
        backends: Vec<Backend>,
        workers: usize,
        capacity: usize,
    ) -> (FetchService, mpsc::Receiver<Fetched>) {
        let (tx, rx) = mpsc::channel();
        let client = Client::new(Duration::from_secs(5), Vec::new());
        let service = FetchService::start(client, backends, workers, capacity, move |f| {
            let _ = tx.send(f);
        })
        .unwrap();
        (service, rx)
    }

    #[test]
    fn answers_arrive_as_messages_naming_their_ticket() {
        let (svc, rx) = service(vec![server(Duration::ZERO, zipkin_trace)], 2, 4);
        let found = svc.try_request(TraceId(0x11)).unwrap();
        let missing = svc.try_request(TraceId(0x12)).unwrap();
        let mut got: Vec<Fetched> =
            (0..2).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        got.sort_by_key(|f| f.ticket);
        assert_eq!((got[0].ticket, got[0].trace), (found, TraceId(0x11)));
        let ds = got[0].result.as_ref().unwrap();
        assert_eq!(ds.spans.len(), 1);
        assert!(ds.files[0].path.ends_with("/api/v2/trace/0000000000000011"), "{}", ds.files[0].path);
        assert_eq!(got[1].ticket, missing);
        let err = got[1].result.as_ref().unwrap_err();
        assert!(
            err.is_not_found()
                && err.to_string().ends_with("trace 00000000000000000000000000000012 not found")
        );
    }

    #[test]
    fn the_first_store_that_has_the_trace_wins() {
        let empty = server(Duration::ZERO, |_| (404, String::new()));
        let full = server(Duration::ZERO, zipkin_trace);
        let (svc, rx) = service(vec![empty, full.clone()], 1, 1);
        svc.try_request(TraceId(0x21)).unwrap();
        let got = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(got.result.unwrap().files[0].path.starts_with(&full.base));
    }

    #[test]
    fn a_full_queue_refuses_without_waiting_and_cancelled_requests_deliver_nothing() {
        let (svc, rx) = service(vec![server(Duration::from_millis(300), zipkin_trace)], 1, 1);
        let first = svc.try_request(TraceId(0x31)).unwrap();
        // The worker may or may not have taken the first job yet; fill the queue either way.
        let mut queued = vec![first];
        let busy = loop {
            match svc.try_request(TraceId(0x41)) {
                Ok(t) => queued.push(t),
                Err(busy) => break busy,
            }
            assert!(queued.len() <= 3, "the queue holds one request");
        };
        assert_eq!(busy.to_string(), "1 fetches are already waiting");
        for t in &queued[1..] {
            svc.cancel(*t);
        }
        let got = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(got.ticket, first);
        assert!(rx.recv_timeout(Duration::from_millis(900)).is_err(), "cancelled requests deliver nothing");
        svc.cancel(first);
        let tickets = svc.shared.tickets();
        assert!(tickets.open.is_empty() && tickets.cancelled.is_empty(), "nothing is left behind");
    }

    /// What the explorer will do with an answer: `Index::extend` binds the link that waited for it.
    #[test]
    fn a_fetched_trace_extends_the_index_and_binds_the_link_waiting_for_it() {
        let consumer = br#"[{"traceId":"00000000000000a1","id":"0000000000000002","name":"consume","timestamp":1,"duration":1,
            "tags":{"otlp.link.0":"00000000000000000000000000000011|0000000000000001||{}|0"}}]"#;
        let mut index =
            crate::index::Index::build(crate::load::load_bytes(consumer.to_vec(), "c.json", None).unwrap());
        assert_eq!(index.unresolved_links().count(), 1);
        let (svc, rx) = service(vec![server(Duration::ZERO, zipkin_trace)], 1, 1);
        svc.try_request(TraceId(0x11)).unwrap();
        let got = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let growth = index.extend(got.result.unwrap());
        assert_eq!((growth.new_traces.len(), growth.bound_links), (1, 1));
        assert_eq!(index.unresolved_links().count(), 0);
    }

    #[test]
    fn a_store_that_fails_is_reported_over_one_that_lacks_the_trace() {
        let broken = server(Duration::ZERO, |_| (500, "boom".to_owned()));
        let empty = server(Duration::ZERO, |_| (404, String::new()));
        let (svc, rx) = service(vec![empty, broken], 1, 1);
        svc.try_request(TraceId(0x51)).unwrap();
        let err = rx.recv_timeout(Duration::from_secs(10)).unwrap().result.unwrap_err();
        assert!(err.to_string().ends_with(": HTTP 500: boom"), "{err}");
    }
}
