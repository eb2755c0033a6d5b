//! `weft listen` end to end: the real binary on port 0, spans sent by the real SDKs (the
//! OpenTelemetry JS and Python exporters, Datadog's ddtrace), SIGINT, then the save file read back
//! with weft's own loader. The peers are installed by this test (pinned, cached under
//! `target/tmp/`), so `cargo test` needs only Python 3, Node.js and the package registries.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};
#[path = "common/peers.rs"]
mod peers;
use peers::{cached, install, peers_dir, python};
use weft::index::{Index, LinkTarget};
use weft::model::{SpanId, TraceId};

const START_TIMEOUT: Duration = Duration::from_secs(30);
const PEER_TIMEOUT: Duration = Duration::from_secs(180);

/// A running `weft listen`, its receivers' addresses and its stderr.
struct Listen {
    child: Child,
    addrs: HashMap<String, SocketAddr>,
    stderr: mpsc::Receiver<String>,
    save: PathBuf,
    _dir: tempfile::TempDir,
}

impl Listen {
    /// Starts `weft listen` with every receiver on port 0 (plus `extra` arguments) and waits for
    /// its four `listening` lines.
    fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let save = dir.path().join("received.otlp.jsonl");
        Self::start_saving(save, dir, extra)
    }

    /// `start`, saving to `save`.
    fn start_saving(save: PathBuf, dir: tempfile::TempDir, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(["listen", "--otlp-grpc", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0"])
            .args(["--zipkin", "127.0.0.1:0", "--datadog", "127.0.0.1:0", "--save"])
            .arg(&save)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, stderr) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut addrs = HashMap::new();
        let deadline = Instant::now() + START_TIMEOUT;
        while addrs.len() < 4 {
            let line = stderr
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("weft listen did not announce its receivers; got {addrs:?}"));
            if let Some(rest) = line.strip_prefix("listening ") {
                let (kind, addr) = rest.split_once(' ').expect("`listening <kind> <host:port>`");
                addrs.insert(kind.to_owned(), addr.parse().expect("a socket address"));
            }
        }
        Self { child, addrs, stderr, save, _dir: dir }
    }

    fn addr(&self, kind: &str) -> SocketAddr {
        self.addrs[kind]
    }

    /// SIGINT, then waits for exit 0; returns the rest of stderr. The save file stays until
    /// `self` is dropped.
    fn stop(&mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
        let status = wait(&mut self.child, START_TIMEOUT, "weft listen after SIGINT");
        let rest: Vec<String> = self.stderr.iter().collect();
        let rest = rest.join("\n");
        assert!(status.success(), "weft listen exited with {status}: {rest}");
        rest
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait(child: &mut Child, timeout: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- real peers ---------------------------------------------------------------------------

/// node_modules with the OpenTelemetry JS OTLP/HTTP (JSON) exporter (tests/peers/js/package-lock.json).
fn node_modules() -> &'static Path {
    static MODULES: OnceLock<PathBuf> = OnceLock::new();
    MODULES.get_or_init(|| {
        let js = peers_dir().join("js");
        let lock = std::fs::read(js.join("package-lock.json")).unwrap();
        let dir = cached("peers-js", &lock, |dir| {
            for file in ["package.json", "package-lock.json"] {
                std::fs::copy(js.join(file), dir.join(file)).unwrap();
            }
            install(
                Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir),
                "npm ci in tests/peers/js (Node.js and npm are needed)",
            );
        });
        dir.join("node_modules")
    })
}

/// Runs a peer with a clean environment (no `OTEL_*`, `DD_*` or proxy variables from the
/// caller: ddtrace, for one, reads `OTEL_*`), returning its stdout.
fn run_peer(cmd: &mut Command, env: &[(&str, &str)], what: &str) -> String {
    cmd.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
    if let Some(home) = std::env::var_os("HOME") {
        cmd.env("HOME", home);
    }
    let mut child =
        cmd.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    out.read_to_string(&mut stdout).unwrap();
    let status = wait(&mut child, PEER_TIMEOUT, what);
    let stderr = err.join().unwrap();
    assert!(status.success(), "{what} failed ({status}):\n{stdout}\n{stderr}");
    stdout
}

/// A span as a peer says it sent it.
#[derive(Debug, serde::Deserialize)]
struct Sent {
    trace_id: String,
    span_id: String,
    parent_id: Option<String>,
    service: String,
    name: String,
    links: Vec<SentLink>,
}

#[derive(Debug, serde::Deserialize)]
struct SentLink {
    trace_id: String,
    span_id: String,
}

#[derive(Debug, serde::Deserialize)]
struct Report {
    #[serde(default)]
    results: HashMap<String, String>,
    spans: Vec<Sent>,
}

fn ids(trace: &str, span: &str) -> (TraceId, SpanId) {
    (TraceId::from_hex(trace).unwrap(), SpanId::from_hex(span).unwrap())
}

/// Every span in `sent` is in the file at `save`, with its parent, service, name, and links
/// that resolve to the spans they name.
fn assert_saved(save: &Path, sent: &[Sent]) {
    let loaded = weft::load::load_paths(&[save.to_path_buf()], None).unwrap();
    let index = Index::build(loaded.dataset);
    let ds = &index.data;
    for s in sent {
        let (trace, span) = ids(&s.trace_id, &s.span_id);
        let at = index.find_span(trace, span).unwrap_or_else(|| panic!("not saved: {s:?}"));
        let got = index.span(at);
        assert_eq!(ds.str(got.service), s.service, "{s:?}");
        assert_eq!(ds.str(got.name), s.name, "{s:?}");
        let parent = index.parent(at).map(|p| index.span(p).span_id.to_string());
        assert_eq!(parent, s.parent_id, "parent of {s:?}");
        let links: Vec<(TraceId, SpanId, LinkTarget)> = index
            .links_out(at)
            .map(|l| {
                let link = &ds.links[l.get()];
                (link.trace_id, link.span_id, index.link_target(l))
            })
            .collect();
        assert_eq!(links.len(), s.links.len(), "links of {s:?}: {links:?}");
        for want in &s.links {
            let (t, sp) = ids(&want.trace_id, &want.span_id);
            let target = index.find_span(t, sp).expect("a link target that was sent");
            assert!(
                links
                    .iter()
                    .any(|&(lt, ls, resolved)| lt == t && ls == sp && resolved == LinkTarget::Span(target)),
                "link {want:?} of {s:?} does not resolve: {links:?}"
            );
        }
    }
}

#[test]
fn spans_from_the_real_sdks_over_every_protocol_are_saved_with_parents_services_and_links() {
    let (python, node_modules) = (python(), node_modules());
    let mut weft = Listen::start(&[]);
    let url = |kind: &str, path: &str| format!("http://{}{path}", weft.addr(kind));

    let js = run_peer(
        Command::new("node").arg(peers_dir().join("js/otlp_json.js")).arg(url("otlp-http", "/v1/traces")),
        &[("NODE_PATH", node_modules.to_str().unwrap())],
        "the OpenTelemetry JS exporter (OTLP/HTTP JSON)",
    );
    let js: serde_json::Value = serde_json::from_str(&js).unwrap();
    let config = serde_json::json!({
        "zipkin": url("zipkin", "/api/v2/spans"),
        "otlp_http": url("otlp-http", "/v1/traces"),
        "otlp_grpc": weft.addr("otlp-grpc").to_string(),
        "js": js,
    });
    let dd_url = url("datadog", "");
    let py = run_peer(
        Command::new(python).arg(peers_dir().join("send.py")).arg(config.to_string()),
        &[
            ("DD_TRACE_AGENT_URL", &dd_url),
            ("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false"),
            ("DD_REMOTE_CONFIGURATION_ENABLED", "false"),
        ],
        "the Python peers (OTel SDK exporters, ddtrace)",
    );
    let stderr = weft.stop();
    let save = &weft.save;

    let py: Report = serde_json::from_str(&py).unwrap();
    let js: Report = serde_json::from_value(js).unwrap();
    for client in ["zipkin", "datadog", "otlp-http", "otlp-grpc"] {
        assert_eq!(py.results.get(client).map(String::as_str), Some("success"), "{client}: {:?}", py.results);
    }
    let sent: Vec<Sent> = js.spans.into_iter().chain(py.spans).collect();
    assert_eq!(sent.len(), 10, "{sent:?}");
    assert_saved(save, &sent);
    assert!(stderr.contains("received 10 spans · 5 traces"), "{stderr}");
    assert!(stderr.contains(&format!("open it with: weft {}", save.display())), "{stderr}");
}

// ---- hand-made requests: errors, disconnects, ports ----------------------------------------

/// One HTTP/1.1 request on a new connection; returns the status code and the body.
fn request(addr: SocketAddr, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    // Protobuf answers are not text; what is asserted of them is.
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("an HTTP status line");
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    (status, body)
}

fn otlp_json(trace: &str, span: &str, name: &str) -> Vec<u8> {
    serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "hand"}}]},
        "scopeSpans": [{"spans": [{"traceId": trace, "spanId": span, "name": name,
            "startTimeUnixNano": "1000", "endTimeUnixNano": "2000"}]}]}]})
    .to_string()
    .into_bytes()
}

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

#[test]
fn a_malformed_body_gets_400_with_a_reason_and_the_next_request_is_served() {
    let mut weft = Listen::start(&[]);
    let http = weft.addr("otlp-http");
    let (status, body) = request(http, "POST", "/v1/traces", "application/json", b"{\"resourceSpans\": [");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"code\":3") && body.contains("request body:1:"), "{body}");
    let (status, body) =
        request(weft.addr("zipkin"), "POST", "/api/v2/spans", "application/json", b"[{\"traceId\": 12}]");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("request body"), "{body}");
    let (status, body) =
        request(weft.addr("datadog"), "PUT", "/v0.4/traces", "application/msgpack", b"\x91\x91\xc1");
    assert_eq!(status, 400, "{body}");
    let (status, body) = request(http, "POST", "/v1/traces", "text/plain", b"hello");
    assert_eq!(status, 415, "{body}");
    assert!(body.contains("application/json"), "{body}");

    // One good span and one with a bad id: 200 with partialSuccess naming the rejected one.
    let mut mixed: serde_json::Value =
        serde_json::from_slice(&otlp_json(TRACE, "b7ad6b7169203331", "ok")).unwrap();
    let spans = mixed["resourceSpans"][0]["scopeSpans"][0]["spans"].as_array_mut().unwrap();
    spans.push(serde_json::json!({"traceId": TRACE, "spanId": "zz", "name": "bad"}));
    let (status, body) =
        request(http, "POST", "/v1/traces", "application/json", mixed.to_string().as_bytes());
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedSpans"], "1", "{body}");
    assert!(answer["partialSuccess"]["errorMessage"].as_str().unwrap().contains("spanId"), "{body}");

    let (status, body) = request(
        http,
        "POST",
        "/v1/traces",
        "application/json",
        &otlp_json(TRACE, "00f067aa0ba902b7", "next"),
    );
    assert_eq!((status, body.as_str()), (200, "{}"));
    weft.stop();
    let sent: Vec<Sent> = ["b7ad6b7169203331", "00f067aa0ba902b7"]
        .iter()
        .zip(["ok", "next"])
        .map(|(span, name)| Sent {
            trace_id: TRACE.to_owned(),
            span_id: (*span).to_owned(),
            parent_id: None,
            service: "hand".to_owned(),
            name: name.to_owned(),
            links: Vec::new(),
        })
        .collect();
    assert_saved(&weft.save, &sent);
}

#[test]
fn a_malformed_grpc_export_gets_invalid_argument_and_the_next_is_served() {
    use weft::listen::grpc::{EXPORT, Raw};
    let mut weft = Listen::start(&[]);
    let url = format!("http://{}", weft.addr("otlp-grpc"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let export = |body: Vec<u8>| {
        runtime.block_on(async {
            let channel =
                tonic::transport::Endpoint::from_shared(url.clone()).unwrap().connect().await.unwrap();
            let mut client = tonic::client::Grpc::new(channel);
            client.ready().await.unwrap();
            let path = tonic::codegen::http::uri::PathAndQuery::from_static(EXPORT);
            client.unary(tonic::Request::new(bytes::Bytes::from(body)), path, Raw).await
        })
    };
    // Field 1 (resource_spans), length 200, with 2 bytes present.
    let status = export(vec![0x0a, 0xc8, 0x01, 0x0a, 0x00]).unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(status.message().starts_with("request body: "), "{status:?}");
    // An empty request is a valid, empty export.
    assert!(export(Vec::new()).unwrap().into_inner().is_empty());
    weft.stop();
}

#[test]
fn a_malformed_protobuf_body_over_http_gets_400_in_protobuf() {
    let mut weft = Listen::start(&[]);
    let http = weft.addr("otlp-http");
    let (status, body) = request(http, "POST", "/v1/traces", "application/x-protobuf", b"\x0a\xc8\x01\x0a");
    assert_eq!(status, 400);
    // google.rpc.Status: code (field 1) = 3, then the message (field 2).
    assert!(body.starts_with("\x08\x03\x12"), "{body:?}");
    assert!(body.contains("request body: "), "{body:?}");
    weft.stop();
}

#[test]
fn a_client_that_disconnects_mid_request_loses_nothing_already_acknowledged() {
    let mut weft = Listen::start(&[]);
    let http = weft.addr("otlp-http");
    let first = otlp_json(TRACE, "b7ad6b7169203331", "acknowledged");
    assert_eq!(request(http, "POST", "/v1/traces", "application/json", &first).0, 200);
    // Half a body, then the connection closes.
    let second = otlp_json(TRACE, "00f067aa0ba902b7", "cut");
    let mut stream = TcpStream::connect(http).unwrap();
    write!(
        stream,
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        second.len()
    )
    .unwrap();
    stream.write_all(&second[..second.len() / 2]).unwrap();
    drop(stream);
    let third = otlp_json(TRACE, "1111111111111111", "after");
    assert_eq!(request(http, "POST", "/v1/traces", "application/json", &third).0, 200);
    let stderr = weft.stop();
    let loaded = weft::load::load_paths(std::slice::from_ref(&weft.save), None).unwrap();
    let names: Vec<&str> = loaded.dataset.spans.iter().map(|s| loaded.dataset.str(s.name)).collect();
    assert_eq!(names, ["acknowledged", "after"], "{stderr}");
}

#[test]
fn spans_that_cannot_be_saved_are_answered_503_so_the_sender_retries() {
    // Every write to /dev/full fails with "no space left on device".
    let mut weft = Listen::start_saving(PathBuf::from("/dev/full"), tempfile::tempdir().unwrap(), &[]);
    let body = otlp_json(TRACE, "b7ad6b7169203331", "x");
    let (status, body) = request(weft.addr("otlp-http"), "POST", "/v1/traces", "application/json", &body);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"code\":14") && body.contains("saving the spans failed"), "{body}");
    let stderr = weft.stop();
    assert!(stderr.contains("received 0 spans"), "{stderr}");
}

#[test]
fn the_datadog_agent_api_answers_what_tracers_expect() {
    let mut weft = Listen::start(&[]);
    let dd = weft.addr("datadog");
    let (status, body) = request(dd, "GET", "/info", "application/json", b"");
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["endpoints"], serde_json::json!(["/v0.4/traces", "/v0.5/traces", "/info"]));
    assert_eq!(info["client_drop_p0s"], false);
    // An empty v0.4 payload (a tracer's probe): accepted with the body tracers parse.
    let (status, body) = request(dd, "PUT", "/v0.4/traces", "application/msgpack", b"\x90");
    assert_eq!((status, body.as_str()), (200, r#"{"rate_by_service":{"service:,env:":1}}"#));
    weft.stop();
}

#[test]
fn a_port_in_use_is_an_error_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["listen", "--otlp-grpc", "off", "--otlp-http", "off", "--datadog", "off", "--zipkin", &addr])
        .args(["--save", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("zipkin: cannot listen on {addr}")), "{stderr}");
    assert!(!stderr.contains("listening "), "nothing is announced when a port fails: {stderr}");
}
