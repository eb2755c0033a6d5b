//! `weft listen`: receivers for spans sent by running programs — OTLP/gRPC, OTLP/HTTP, Zipkin and
//! the Datadog trace-agent API — feeding the save file (STYLE §9).
//!
//! ```text
//! request ─▶ receiver (http.rs / grpc.rs) ─▶ decode: load::load_slice with the format forced
//!                                            (the same decoders files go through)
//!                                         ─▶ store::Encoded: the save file's line, serialised
//!                                         ─▶ Store::save (store.rs): appended, flushed ─▶ answer
//! ```
//!
//! The receivers run on a small tokio runtime; decoding, and serialising what the save file gets,
//! run on its blocking pool; one thread appends to the file. Memory is bounded: at most `MAX_BODY` bytes per request, `IN_FLIGHT`
//! requests decoded at once (others wait, and so do their senders), a bounded queue to the writer.

pub mod grpc;
mod http;
pub mod store;

use crate::load::{self, LoadError};
use crate::model::{Dataset, Format};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::{Encoded, NotSaved, Store};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// The largest request body accepted, after decompression (the OTLP spec's recommendation).
pub const MAX_BODY: usize = 64 << 20;
/// Requests decoded and saved at once; more wait for a turn.
const IN_FLIGHT: usize = 16;
/// How long in-flight requests may take to finish once weft is asked to stop.
const DRAIN: Duration = Duration::from_secs(5);

/// The protocols weft receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    OtlpGrpc,
    OtlpHttp,
    Zipkin,
    Datadog,
}

impl Kind {
    /// The name in the `listening <kind> <addr>` line and in errors.
    pub fn name(self) -> &'static str {
        match self {
            Self::OtlpGrpc => "otlp-grpc",
            Self::OtlpHttp => "otlp-http",
            Self::Zipkin => "zipkin",
            Self::Datadog => "datadog",
        }
    }

    /// The conventional loopback address: what the SDKs send to by default.
    pub fn default_addr(self) -> SocketAddr {
        let port = match self {
            Self::OtlpGrpc => 4317,
            Self::OtlpHttp => 4318,
            Self::Zipkin => 9411,
            Self::Datadog => 8126,
        };
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    pub const ALL: [Self; 4] = [Self::OtlpGrpc, Self::OtlpHttp, Self::Zipkin, Self::Datadog];
}

/// What to listen on and where to save.
#[derive(Clone, Debug)]
pub struct Config {
    /// One address per receiver to run.
    pub listeners: Vec<(Kind, SocketAddr)>,
    pub save: PathBuf,
    pub max_spans: u64,
    /// Where the live explorer takes each saved batch (bounded: a slow explorer slows the
    /// writer, so the receivers and their senders). `None` when headless.
    pub live: Option<std::sync::mpsc::SyncSender<Dataset>>,
}

/// Where received spans go without `--save`: a new file in the current directory, named for the
/// time weft started (`weft-listen-20261203T161500Z.otlp.jsonl`).
pub fn default_save_path() -> PathBuf {
    let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
    PathBuf::from(format!("weft-listen-{now}.otlp.jsonl"))
}

/// Why `weft listen` could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("{kind}: cannot listen on {addr}: {source}", kind = .kind.name())]
    Bind { kind: Kind, addr: SocketAddr, source: io::Error },
    #[error("cannot open the save file {path}: {source}")]
    Save { path: String, source: io::Error },
    #[error("starting the receivers: {0}")]
    Runtime(io::Error),
}

/// Shared by every receiver: the writer, the decode turns, the shutdown signal.
#[derive(Clone, Debug)]
struct Ingest {
    store: Store,
    turns: Arc<Semaphore>,
}

/// A request that was not taken, and why (each receiver turns it into its protocol's answer).
#[derive(Debug)]
enum Refused {
    /// The body cannot be decoded; the sender must not retry.
    Malformed(String),
    /// The body is larger than `MAX_BODY` (once decompressed).
    TooLarge(String),
    /// A `Content-Type` or `Content-Encoding` weft does not read.
    Unsupported(String),
    /// Not saved (weft is stopping, or the file could not be written); the sender may retry.
    Unavailable(String),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(m) | Self::TooLarge(m) | Self::Unsupported(m) | Self::Unavailable(m) => {
                f.write_str(m)
            }
        }
    }
}

/// A request that was saved: how many spans, and how many records the decoder skipped (the
/// OTLP `partial_success`), with the first reason.
#[derive(Debug, Default)]
struct Accepted {
    rejected: usize,
    reason: Option<String>,
}

/// A turn to decode and save one request, held while its body is read: at most `IN_FLIGHT`
/// bodies are in memory at once.
struct Turn<'a>(#[expect(dead_code, reason = "held for its Drop")] tokio::sync::SemaphorePermit<'a>);

/// How the request body is compressed (HTTP `Content-Encoding`; gRPC bodies arrive decompressed).
#[derive(Clone, Copy, Debug)]
enum Encoding {
    Identity,
    Gzip,
}

impl Ingest {
    async fn turn(&self) -> Result<Turn<'_>, Refused> {
        let permit = self.turns.acquire().await;
        permit.map(Turn).map_err(|_| Refused::Unavailable("weft is shutting down".to_owned()))
    }

    /// Decodes `body` as `format` with the file loaders and saves what it holds.
    async fn take(
        &self,
        _turn: Turn<'_>,
        body: bytes::Bytes,
        encoding: Encoding,
        format: Format,
    ) -> Result<Accepted, Refused> {
        if body.is_empty() {
            // An empty protobuf request, or a tracer probing the endpoint: nothing to save.
            return Ok(Accepted::default());
        }
        // Decoded and serialised for the save file here, side by side with other requests.
        let decoded = tokio::task::spawn_blocking(move || {
            let dataset = decode(&body, encoding, format)?;
            let file = dataset.files.first();
            let accepted = Accepted {
                rejected: file.map_or(0, |f| f.skipped),
                reason: file.and_then(|f| f.warnings.iter().find(|w| w.skipped)).map(|w| w.message.clone()),
            };
            if dataset.spans.is_empty() {
                return Ok((accepted, None));
            }
            let encoded = Encoded::new(dataset)
                .map_err(|e| Refused::Unavailable(format!("saving the spans failed: {e}")))?;
            Ok((accepted, Some(encoded)))
        })
        .await
        .map_err(|e| Refused::Unavailable(format!("decoding failed: {e}")))?;
        let (accepted, encoded) = decoded?;
        if let Some(encoded) = encoded {
            self.store.save(encoded).await.map_err(|NotSaved(why)| Refused::Unavailable(why))?;
        }
        Ok(accepted)
    }
}

/// The request body, undone from `encoding`, through the loader of `format` on one thread
/// (requests are decoded side by side already). Errors name the body as
/// `request body:LINE:COLUMN` or `request body: byte N`.
fn decode(body: &[u8], encoding: Encoding, format: Format) -> Result<Dataset, Refused> {
    let unzipped;
    let body = match encoding {
        Encoding::Identity => body,
        Encoding::Gzip => {
            unzipped = gunzip(body)?;
            &unzipped[..]
        }
    };
    let options = load::Options { forced: Some(format), workers: 1, progress: None };
    load::load_slice(body, "request body", &options).map_err(|e: LoadError| Refused::Malformed(e.to_string()))
}

/// Undoes `Content-Encoding: gzip`, refusing bodies that expand past `MAX_BODY`.
fn gunzip(body: &[u8]) -> Result<Vec<u8>, Refused> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Refused::Malformed(format!("request body: gzip data is corrupt or truncated: {e}")))?;
    if out.len() > MAX_BODY {
        return Err(Refused::TooLarge(format!("request body: gzip data expands past {MAX_BODY} bytes")));
    }
    Ok(out)
}

/// `ExportTraceServiceResponse`, the answer to an OTLP export (protobuf; the JSON form is in
/// `http.rs`). Only answers are encoded here: requests go through the OTLP protobuf loader.
#[derive(Clone, PartialEq, prost::Message)]
struct ExportTraceServiceResponse {
    #[prost(message, optional, tag = "1")]
    partial_success: Option<ExportTracePartialSuccess>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ExportTracePartialSuccess {
    #[prost(int64, tag = "1")]
    rejected_spans: i64,
    #[prost(string, tag = "2")]
    error_message: String,
}

/// `google.rpc.Status`, the body of an OTLP/HTTP error answer to a protobuf request.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn rpc_status(code: i32, message: String) -> Vec<u8> {
    prost::Message::encode_to_vec(&RpcStatus { code, message })
}

/// The protobuf answer to an export: empty, or `partial_success` when spans were rejected.
fn otlp_response(accepted: &Accepted) -> Vec<u8> {
    let partial_success = (accepted.rejected > 0).then(|| ExportTracePartialSuccess {
        rejected_spans: i64::try_from(accepted.rejected).unwrap_or(i64::MAX),
        error_message: accepted.reason.clone().unwrap_or_default(),
    });
    prost::Message::encode_to_vec(&ExportTraceServiceResponse { partial_success })
}

/// Receivers bound to their sockets and the save file open, not yet serving: binding everything
/// first means a port in use fails before anything is announced.
pub struct Listener {
    sockets: Vec<(Kind, TcpListener)>,
    runtime: tokio::runtime::Runtime,
    store: Store,
    writer: std::thread::JoinHandle<()>,
}

impl Listener {
    /// Starts the runtime, binds every listener of `config` and opens the save file.
    pub fn start(config: &Config) -> Result<Self, ListenError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("weft-listen")
            .enable_all()
            .build()
            .map_err(ListenError::Runtime)?;
        let mut sockets = Vec::new();
        for &(kind, addr) in &config.listeners {
            let socket = runtime.block_on(TcpListener::bind(addr)).map_err(|source| ListenError::Bind {
                kind,
                addr,
                source,
            })?;
            sockets.push((kind, socket));
        }
        let (store, writer) = Store::open(&config.save, config.max_spans, config.live.clone())
            .map_err(|source| ListenError::Save { path: config.save.display().to_string(), source })?;
        Ok(Self { sockets, runtime, store, writer })
    }

    /// The real addresses (port 0 resolved), in the order configured.
    pub fn addrs(&self) -> Vec<(Kind, SocketAddr)> {
        self.sockets.iter().filter_map(|(kind, l)| l.local_addr().ok().map(|a| (*kind, a))).collect()
    }

    /// What has been received so far; keeps counting while `serve` runs.
    pub fn counts(&self) -> Arc<store::Counts> {
        Arc::clone(&self.store.counts)
    }

    /// A future that resolves on SIGINT or SIGTERM. The handlers are installed now, so a signal
    /// sent as soon as the `listening` lines are out is caught, not fatal.
    pub fn interrupted(&self) -> io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
        let _inside = self.runtime.enter();
        signals()
    }

    /// Serves every receiver until `stop` resolves; then lets in-flight requests finish (up to
    /// `DRAIN`) and writes everything queued before returning.
    pub fn serve(self, stop: impl std::future::Future<Output = ()> + Send + 'static) {
        let Self { sockets, runtime, store, writer } = self;
        let ingest = Ingest { store, turns: Arc::new(Semaphore::new(IN_FLIGHT)) };
        runtime.block_on(async move {
            let (stopping, stopped) = watch::channel(false);
            let mut servers = tokio::task::JoinSet::new();
            for (kind, socket) in sockets {
                let ingest = ingest.clone();
                let mut stopped = stopped.clone();
                let signal = async move {
                    let _ = stopped.wait_for(|&s| s).await;
                };
                match kind {
                    Kind::OtlpGrpc => servers.spawn(grpc::serve(socket, ingest, signal)),
                    Kind::OtlpHttp => servers.spawn(http::serve(http::otlp_routes(), socket, ingest, signal)),
                    Kind::Zipkin => servers.spawn(http::serve(http::zipkin_routes(), socket, ingest, signal)),
                    Kind::Datadog => {
                        servers.spawn(http::serve(http::datadog_routes(), socket, ingest, signal))
                    }
                };
            }
            drop(ingest);
            stop.await;
            let _ = stopping.send(true);
            // Servers still busy past the drain time are cut off; what they had saved is saved.
            let _ = tokio::time::timeout(DRAIN, async { while servers.join_next().await.is_some() {} }).await;
            servers.abort_all();
        });
        // Dropping the runtime drops every remaining `Store` clone, so the writer drains and ends.
        runtime.shutdown_timeout(DRAIN);
        let _ = writer.join();
    }
}

/// Installs SIGINT and SIGTERM handlers (inside a runtime) and returns a future for the first.
#[cfg(unix)]
fn signals() -> io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn signals() -> io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
