//! Ingest rate of `weft listen` on loopback: a load generator sends OTLP export requests (OTLP/HTTP
//! JSON and protobuf, OTLP/gRPC) of `BATCH` spans (the SDKs' default batch size) over `CONNECTIONS` keep-alive connections to an
//! in-process listener that decodes and saves them (to a temporary file, flushed before each
//! answer, as in real use). divan reports spans/s; the README quotes the median.
//!
//! The save file is emptied before each sample (outside the timed part), so it never holds more
//! than one sample's requests, and its folder is removed when the run ends.
//!
//! `cargo bench --bench listen`. Under `cargo test --all-targets` each benchmark runs once.

mod common;

use divan::Bencher;
use divan::counter::ItemsCount;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{LazyLock, OnceLock};
use weft::index::{Index, TraceIdx};
use weft::listen::grpc::{EXPORT, Raw};
use weft::listen::{Config, Kind, Listener};
use weft::load::{Options, load_slice};

fn main() {
    divan::main();
    // A static is never dropped, so the listener's temp dir is removed here (the writer thread
    // may still hold the file open; on Unix that only delays freeing its blocks to exit).
    if let Some(running) = RUNNING.get() {
        let _ = std::fs::remove_dir_all(running.dir.path());
    }
}

/// Spans per request.
const BATCH: usize = 512;
/// Requests per measured iteration, spread over the connections.
const REQUESTS: usize = 32;
/// Concurrent senders.
const CONNECTIONS: usize = 4;

/// A listener running for the whole benchmark run, with its save file in a temp dir.
struct Running {
    http: SocketAddr,
    grpc: SocketAddr,
    dir: tempfile::TempDir,
    save: std::path::PathBuf,
}

static RUNNING: OnceLock<Running> = OnceLock::new();

fn running() -> &'static Running {
    RUNNING.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp dir");
        let save = dir.path().join("bench.otlp.jsonl");
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let config = Config {
            listeners: vec![(Kind::OtlpHttp, any), (Kind::OtlpGrpc, any)],
            save: save.clone(),
            max_spans: 1_000_000,
            live: None,
        };
        let listener = Listener::start(&config).expect("the listener starts");
        let (http, grpc) = (listener.addrs()[0].1, listener.addrs()[1].1);
        std::thread::spawn(move || listener.serve(std::future::pending()));
        Running { http, grpc, dir, save }
    })
}

/// Empties the save file between samples (no request is in flight then, and the writer appends,
/// so its next line starts the file again).
fn empty_save_file() {
    let file = std::fs::OpenOptions::new().write(true).open(&running().save).expect("the save file opens");
    file.set_len(0).expect("the save file is emptied");
}

/// Distinct request bodies (different trace ids), sent in turn.
static BODIES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    (0..REQUESTS as u64).map(|seed| common::otlp_json(&common::spans(BATCH, 32, seed + 1), false)).collect()
});

/// The same requests as OTLP protobuf (`ExportTraceServiceRequest`), written by weft's exporter.
static PROTO_BODIES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    BODIES
        .iter()
        .map(|json| {
            let ds = load_slice(json, "bench", &Options::default()).expect("generated input loads");
            let index = Index::build(ds);
            let traces: Vec<TraceIdx> = (0..index.traces().len()).map(|t| TraceIdx(t as u32)).collect();
            let mut out = Vec::new();
            weft::export::otlp_proto::write(&mut out, &index, &traces).expect("writing to memory");
            out
        })
        .collect()
});

#[divan::bench]
fn otlp_http_json(bencher: Bencher) {
    http(bencher, "application/json", &BODIES);
}

#[divan::bench]
fn otlp_http_protobuf(bencher: Bencher) {
    http(bencher, "application/x-protobuf", &PROTO_BODIES);
}

#[divan::bench]
fn otlp_grpc(bencher: Bencher) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let url = format!("http://{}", running().grpc);
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            runtime.block_on(async {
                let endpoint = tonic::transport::Endpoint::from_shared(url.clone()).expect("a URL");
                tonic::client::Grpc::new(endpoint.connect().await.expect("the listener accepts"))
            })
        })
        .collect();
    let bodies: Vec<bytes::Bytes> = PROTO_BODIES.iter().map(|b| bytes::Bytes::from(b.clone())).collect();
    bencher.counter(ItemsCount::new(BATCH * REQUESTS)).with_inputs(empty_save_file).bench_values(|()| {
        runtime.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for (c, client) in clients.iter().enumerate() {
                let (mut client, mine) =
                    (client.clone(), bodies.iter().skip(c).step_by(CONNECTIONS).cloned().collect::<Vec<_>>());
                tasks.spawn(async move {
                    for body in mine {
                        client.ready().await.expect("the channel is ready");
                        let path = tonic::codegen::http::uri::PathAndQuery::from_static(EXPORT);
                        client
                            .unary(tonic::Request::new(body), path, Raw)
                            .await
                            .expect("the export succeeds");
                    }
                });
            }
            while let Some(done) = tasks.join_next().await {
                done.expect("a sender finishes");
            }
        });
    });
}

fn http(bencher: Bencher, content_type: &'static str, bodies: &'static [Vec<u8>]) {
    let addr = running().http;
    bencher.counter(ItemsCount::new(BATCH * REQUESTS)).with_inputs(empty_save_file).bench_values(|()| {
        std::thread::scope(|scope| {
            for c in 0..CONNECTIONS {
                scope.spawn(move || {
                    let mut conn = Connection::open(addr);
                    for body in bodies.iter().skip(c).step_by(CONNECTIONS) {
                        conn.post("/v1/traces", content_type, body);
                    }
                });
            }
        });
    });
}

/// A keep-alive HTTP/1.1 connection that sends a request and reads its whole answer.
struct Connection {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
}

impl Connection {
    fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).expect("the listener accepts");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        Self { reader: BufReader::new(stream.try_clone().expect("a second handle")), stream }
    }

    fn post(&mut self, path: &str, content_type: &str, body: &[u8]) {
        write!(
            self.stream,
            "POST {path} HTTP/1.1\r\nHost: weft\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .and_then(|()| self.stream.write_all(body))
        .expect("the request is sent");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a status line");
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("a header line");
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("a length");
            }
        }
        let mut answer = vec![0; length];
        self.reader.read_exact(&mut answer).expect("the answer's body");
    }
}
