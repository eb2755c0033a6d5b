//! Ingest rate of `weft listen` on loopback: a load generator sends OTLP export requests of
//! `BATCH` spans (the SDKs' default batch size) over `CONNECTIONS` keep-alive connections to an
//! in-process listener that decodes and saves them (to a temporary file, flushed before each
//! answer, as in real use). divan reports spans/s; the README quotes the median.
//!
//! `cargo bench --bench listen`. Under `cargo test --all-targets` each benchmark runs once.

mod common;

use divan::Bencher;
use divan::counter::ItemsCount;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::LazyLock;
use weft::listen::{Config, Kind, Listener};

fn main() {
    divan::main();
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
    _dir: tempfile::TempDir,
}

static RUNNING: LazyLock<Running> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temp dir");
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = Config {
        listeners: vec![(Kind::OtlpHttp, any)],
        save: dir.path().join("bench.otlp.jsonl"),
        max_spans: 1_000_000,
        live: None,
    };
    let listener = Listener::start(&config).expect("the listener starts");
    let http = listener.addrs()[0].1;
    std::thread::spawn(move || listener.serve(std::future::pending()));
    Running { http, _dir: dir }
});

/// Distinct request bodies (different trace ids), sent in turn.
static BODIES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    (0..REQUESTS as u64).map(|seed| common::otlp_json(&common::spans(BATCH, 32, seed + 1), false)).collect()
});

#[divan::bench]
fn otlp_http_json(bencher: Bencher) {
    let addr = RUNNING.http;
    let bodies = &*BODIES;
    bencher.counter(ItemsCount::new(BATCH * REQUESTS)).bench(|| {
        std::thread::scope(|scope| {
            for c in 0..CONNECTIONS {
                scope.spawn(move || {
                    let mut conn = Connection::open(addr);
                    for body in bodies.iter().skip(c).step_by(CONNECTIONS) {
                        conn.post("/v1/traces", "application/json", body);
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
