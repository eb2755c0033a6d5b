//! weft against trace stores (issue 18): the real binary run on `jaeger+http://…` and friends.
//!
//! - Jaeger: the real server, v1.75.0 (a Collector-based v2 binary, in-memory storage), built from
//!   its Go module by `tests/peers/jaeger/build.sh` when not cached (under `~/.cache/weft-peers/`),
//!   started on free loopback ports, fed the sample flows through its OTLP/HTTP receiver. Every
//!   command run on it must answer as on the file it was fed. A missing Go or a failed build fails
//!   the test with the reason; nothing skips.
//! - Error cases the real server cannot be made to give (401/403, 5xx, a slow answer, a body that
//!   does not parse) come from a deliberately broken local HTTP server.
//! - The explorer fetching on demand (`mod explorer`): the app driven as `tui`'s event loop drives
//!   it (keys from the binding table, `tui::Fetcher`, `tui::take_fetched`), against the real
//!   Jaeger and the broken server.
//! - Tempo is AGPL and cannot be built here; its answers are written by hand to its documented HTTP
//!   API (`/api/v2/traces/<id>` → `{"trace": …}`, `/api/traces/<id>` → `{"batches": …}` with
//!   base64 ids, `/api/search` → `{"traces": [{"traceID": …}]}`, and both trace endpoints as
//!   protobuf when asked with `Accept: application/protobuf`; grafana/tempo
//!   `docs/sources/tempo/api_docs/_index.md`), no Tempo code or test data is used.

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The scatter-gather sample: the checkout trace links to four shard traces, each of which links
/// back (sample-traces/README.md).
const CHECKOUT: &str = "1f0fa39f9f2841a84136f647e65ae7a2";
const SHARD_2: &str = "1d707c42afe984b8ee61fe40a05b1694";
const READY_WITHIN: Duration = Duration::from_secs(60);

fn weft() -> Command {
    Command::cargo_bin("weft").unwrap()
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs weft; returns stdout, failing with stderr unless it succeeded.
fn run(args: &[&str]) -> String {
    let out = weft().args(args).output().unwrap();
    assert!(out.status.success(), "weft {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs weft expecting exit code `code`; returns stderr.
fn fails(args: &[&str], code: i32) -> String {
    let out = weft().args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "weft {args:?}: {stderr}");
    stderr
}

/// `info --json` without its `files` (paths and URLs differ by design), its links sorted (they
/// are listed in load order, which follows the order traces were fetched in).
fn info(args: &[&str]) -> Value {
    let mut all = vec!["info", "--json"];
    all.extend_from_slice(args);
    let mut v: Value = serde_json::from_str(&run(&all)).unwrap();
    v.as_object_mut().unwrap().remove("files");
    if let Some(Value::Array(links)) = v.get_mut("links") {
        links.sort_by_key(|l| (l["source"].to_string(), l["target"].to_string()));
    }
    v
}

/// `links --json` lines, parsed (so attribute order does not matter: Jaeger sorts attributes) and
/// sorted (they come in load order).
fn links(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["links", "--json"];
    all.extend_from_slice(args);
    let mut lines: Vec<Value> = run(&all).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    lines.sort_by_key(|l| (l["source"].to_string(), l["target"].to_string()));
    lines
}

fn tree(args: &[&str]) -> String {
    let mut all = vec!["tree"];
    all.extend_from_slice(args);
    run(&all)
}

/// A copy of an OTLP JSON file with every time moved so the earliest span starts `ago` before
/// now: a search looks back from now, and the samples are fixed in time.
fn shifted_to_now(path: &Path, ago: Duration, out: &Path) {
    fn times(v: &mut Value, f: &mut dyn FnMut(&mut Value)) {
        match v {
            Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    if k.ends_with("UnixNano") {
                        f(x);
                    } else {
                        times(x, f);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|x| times(x, f)),
            _ => {}
        }
    }
    let mut doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let nanos = |x: &Value| x.as_str().unwrap().parse::<u64>().unwrap();
    let mut earliest = u64::MAX;
    times(&mut doc, &mut |x| earliest = earliest.min(nanos(x)));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    let delta = now - ago.as_nanos() as u64 - earliest;
    times(&mut doc, &mut |x| *x = Value::String((nanos(x) + delta).to_string()));
    std::fs::write(out, serde_json::to_vec(&doc).unwrap()).unwrap();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    match agent.get(url).call() {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.into_body().read_to_string().unwrap_or_default())
        }
        Err(e) => (0, e.to_string()),
    }
}

/// A real server started by a test, killed when dropped; its output goes to a log file that
/// failures quote.
struct Peer {
    name: &'static str,
    child: Child,
    dir: tempfile::TempDir,
}

impl Peer {
    fn start(name: &'static str, command: &mut std::process::Command, dir: tempfile::TempDir) -> Self {
        let log = std::fs::File::create(dir.path().join("peer.log")).unwrap();
        let child = command
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({command:?}): {e}"));
        Peer { name, child, dir }
    }

    fn wait_until(&self, ready: impl Fn() -> bool, what: &str) {
        let deadline = Instant::now() + READY_WITHIN;
        while !ready() {
            let log = std::fs::read_to_string(self.dir.path().join("peer.log")).unwrap_or_default();
            assert!(
                Instant::now() < deadline,
                "{}: {what} not ready within {READY_WITHIN:?}; its log:\n{log}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one of the repo's peer scripts, which prints the path of what it built or fetched.
fn peer_script(script: &str) -> PathBuf {
    let script = repo(script);
    let out = std::process::Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(out.status.success(), "{} failed ({}): see its output above", script.display(), out.status);
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// POSTs a JSON file to `url`, asserting the server took it.
fn post_json(url: &str, file: &Path, accepted: u16) {
    let body = std::fs::read(file).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut r = agent.post(url).header("Content-Type", "application/json").send(&body[..]).unwrap();
    assert_eq!(
        r.status().as_u16(),
        accepted,
        "{url} refused the spans: {}",
        r.body_mut().read_to_string().unwrap()
    );
}

/// The real Jaeger (v1.75.0, the version tests/peers/jaeger/build.sh builds), running until dropped.
struct Jaeger {
    peer: Peer,
    query: String,
    otlp: String,
}

impl Jaeger {
    fn start() -> Self {
        let bin = peer_script("tests/peers/jaeger/build.sh");
        let dir = tempfile::tempdir().unwrap();
        let (query, grpc, otlp) = (free_port(), free_port(), free_port());
        // Only what the tests use: OTLP/HTTP in, the query APIs out, memory storage, no telemetry.
        let config = format!(
            "service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:{query}
    grpc:
      endpoint: 127.0.0.1:{grpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{otlp}
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
"
        );
        let config_path = dir.path().join("jaeger.yaml");
        std::fs::write(&config_path, config).unwrap();
        let mut command = std::process::Command::new(&bin);
        command.arg(format!("--config=file:{}", config_path.display()));
        let jaeger = Jaeger {
            peer: Peer::start("Jaeger", &mut command, dir),
            query: format!("127.0.0.1:{query}"),
            otlp: format!("http://127.0.0.1:{otlp}"),
        };
        jaeger
            .peer
            .wait_until(|| get(&format!("http://{}/api/services", jaeger.query)).0 == 200, "its query API");
        jaeger
    }

    fn store(&self) -> String {
        format!("jaeger+http://{}", self.query)
    }

    /// Sends an OTLP JSON file to the OTLP/HTTP receiver and waits until `traces` can be read.
    fn feed(&self, file: &Path, traces: &[&str]) {
        post_json(&format!("{}/v1/traces", self.otlp), file, 200);
        for t in traces {
            self.peer.wait_until(
                || get(&format!("http://{}/api/v3/traces/{t}", self.query)).0 == 200,
                "a fed trace",
            );
        }
    }
}

/// The flow loaded from a store equals the flow loaded from the file Jaeger was fed, through
/// every command; `--linked` starts from either end, from a pasted trace page, from a search and
/// from a file holding part of the flow.
#[test]
fn jaeger_serves_the_flow_it_was_fed_as_the_file_does() {
    let jaeger = Jaeger::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scatter-gather.otlp.json");
    shifted_to_now(&repo("sample-traces/scatter-gather.otlp.json"), Duration::from_secs(600), &file);
    let file = file.to_str().unwrap();
    let shards = [SHARD_2, "1c584a6c84c271072739cdb772aae44e", "86d5bd4ca236445fab2a5861257b5ffd"];
    jaeger.feed(Path::new(file), &[&[CHECKOUT][..], &shards].concat());
    let store = jaeger.store();
    let store = store.as_str();

    // The whole flow, from the gather side and from one shard.
    let whole = info(&[file]);
    assert_eq!((whole["traces"].as_u64(), whole["unresolved_links"].as_u64()), (Some(5), Some(0)));
    assert_eq!(info(&[store, "--trace", CHECKOUT, "--linked"]), whole);
    assert_eq!(info(&[store, "--trace", SHARD_2, "--linked"]), whole);
    let page = format!("http://{}/trace/{SHARD_2}", jaeger.query);
    assert_eq!(info(&[&page, "--linked"]), whole, "a Jaeger UI trace page");

    // Without --linked only the named traces come, their links unresolved.
    let one = info(&[store, "--trace", CHECKOUT]);
    assert_eq!((one["traces"].as_u64(), one["unresolved_links"].as_u64()), (Some(1), Some(4)));

    for trace in [CHECKOUT, SHARD_2] {
        assert_eq!(tree(&[store, "--trace", trace, "--linked"]), tree(&[file, "--trace", trace]));
        assert_eq!(links(&[store, "--trace", trace, "--linked"]), links(&[file, "--trace", trace]));
    }

    // export assembles the flow into one file that reads as the original does.
    let from_store = dir.path().join("from-store.json");
    let from_file = dir.path().join("from-file.json");
    run(&["export", store, "--trace", SHARD_2, "--linked", "-o", from_store.to_str().unwrap()]);
    run(&["export", file, "--trace", SHARD_2, "--linked", "-o", from_file.to_str().unwrap()]);
    let (a, b) = (from_store.to_str().unwrap(), from_file.to_str().unwrap());
    assert_eq!(info(&[a]), info(&[b]));
    assert_eq!(tree(&[a]), tree(&[b]));
    assert_eq!(links(&[a]), links(&[b]));

    // A file holding only the checkout trace, completed from the store (--backend beside a file).
    let part = dir.path().join("checkout-only.json");
    run(&["export", file, "--trace", CHECKOUT, "-o", part.to_str().unwrap()]);
    let part = part.to_str().unwrap();
    assert_eq!(info(&[part])["traces"].as_u64(), Some(1));
    assert_eq!(info(&[part, "--backend", store, "--linked"]), whole);
    let completed = dir.path().join("completed.json");
    run(&[
        "export",
        part,
        "--backend",
        store,
        "--trace",
        CHECKOUT,
        "--linked",
        "-o",
        completed.to_str().unwrap(),
    ]);
    assert_eq!(tree(&[completed.to_str().unwrap()]), tree(&[file]));

    // A search: the service's traces, and with --linked their flow.
    let found = info(&[store, "--service", "inventory-shard-2", "--since", "1h"]);
    assert_eq!(found["traces"].as_u64(), Some(1), "{found}");
    assert_eq!(
        info(&[
            store,
            "--service",
            "inventory-shard-2",
            "--operation",
            "kafka.consume inventory.shard-requests",
            "--linked"
        ]),
        whole
    );
    let none = fails(&["info", store, "--service", "no-such-service"], 1);
    assert!(none.contains("no traces of service 'no-such-service' in the last 1h found"), "{none}");

    // --max-traces bounds the walk and says so.
    let out = weft()
        .args(["info", "--json", store, "--trace", CHECKOUT, "--linked", "--max-traces", "3"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let bounded: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bounded["traces"].as_u64(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--linked stopped at 3 fetched traces; 2 more linked traces were not fetched"),
        "{stderr}"
    );

    // A Jaeger without api_v3 (a proxy that hides it): the same traces through /api/traces, which
    // keeps microseconds and drops link attributes (Jaeger's v1 model), so compare what it keeps.
    let old = hiding_api_v3(&jaeger.query);
    let v1 = info(&[&format!("jaeger+{old}"), "--trace", CHECKOUT, "--linked"]);
    assert_eq!(
        (v1["traces"].as_u64(), v1["spans"].as_u64(), v1["unresolved_links"].as_u64()),
        (Some(5), Some(85), Some(0))
    );
    let ends = |links: Vec<Value>| -> Vec<(Value, Value)> {
        links.into_iter().map(|l| (l["source"].clone(), l["target"].clone())).collect()
    };
    assert_eq!(
        ends(links(&[&format!("jaeger+{old}"), "--trace", CHECKOUT, "--linked"])),
        ends(links(&[file, "--trace", CHECKOUT]))
    );

    // What the real server says when it lacks a trace, and when it is gone.
    let missing = "0000000000000000000000000000abcd";
    let err = fails(&["tree", store, "--trace", missing], 1);
    assert_eq!(
        err.trim(),
        format!("error: http://{}/api/traces/{missing}: trace {missing} not found", jaeger.query)
    );
    let base = jaeger.query.clone();
    drop(jaeger);
    let err = fails(&["tree", store, "--trace", CHECKOUT], 1);
    assert!(
        err.starts_with(&format!(
            "error: http://{base}/api/v3/traces/{CHECKOUT}: cannot reach the trace store:"
        )),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// The real Zipkin server (tests/peers/zipkin/fetch.sh: io.zipkin:zipkin-server's exec jar, on
/// the machine's Java), memory storage, fed weft's Zipkin fixture whose links ride in `otlp.link.N`
/// tags (Zipkin has no links of its own): the store answers as the file does, and the fixture's
/// dangling links are reported as traces Zipkin does not have.
#[test]
fn zipkin_serves_what_it_was_fed_as_the_file_does() {
    let jar = peer_script("tests/peers/zipkin/fetch.sh");
    let port = free_port();
    let mut command = std::process::Command::new("java");
    command
        .args(["-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar"])
        .arg(&jar)
        .arg(format!("--server.port={port}"));
    let zipkin = Peer::start("Zipkin", &mut command, tempfile::tempdir().unwrap());
    zipkin.wait_until(|| get(&format!("http://127.0.0.1:{port}/health")).0 == 200, "its health check");
    let file = repo("tests/fixtures/zipkin-v2/gentrace_seed5_120spans.json");
    post_json(&format!("http://127.0.0.1:{port}/api/v2/spans"), &file, 202);
    let (root, other) = ("5656d9e97572b0f544d50d9b151d6299", "0e9712207f890fb835c8c2249f5a0e43");
    zipkin.wait_until(
        || get(&format!("http://127.0.0.1:{port}/api/v2/trace/{other}")).0 == 200,
        "the fed spans",
    );

    let store = format!("zipkin+http://127.0.0.1:{port}");
    let file = file.to_str().unwrap();
    let whole = info(&[file]);
    assert_eq!(whole["traces"].as_u64(), Some(2));
    let out = weft().args(["info", "--json", &store, "--trace", root, "--linked"]).output().unwrap();
    assert!(out.status.success());
    let mut fetched: Value = serde_json::from_slice(&out.stdout).unwrap();
    fetched.as_object_mut().unwrap().remove("files");
    if let Some(Value::Array(links)) = fetched.get_mut("links") {
        links.sort_by_key(|l| (l["source"].to_string(), l["target"].to_string()));
    }
    assert_eq!(fetched, whole);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The fixture's 11 dangling links point into 11 traces nobody has.
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("--linked: ") && l.ends_with(" not found")).count(),
        11,
        "{stderr}"
    );
    assert_eq!(tree(&[&store, "--trace", root, "--linked"]), tree(&[file, "--trace", root]));
    assert_eq!(links(&[&store, "--trace", other, "--linked"]), links(&[file, "--trace", other]));
    let page = format!("http://127.0.0.1:{port}/zipkin/traces/{other}");
    assert_eq!(info(&[&page, "--linked"]), whole, "a Zipkin UI trace page");
    // The fixture is from November 2023: look back far enough.
    assert_eq!(info(&[&store, "--service", "batch-worker", "--since", "5000d", "--limit", "10"]), whole);
}

/// A local HTTP/1.1 server for the cases a real store cannot be made to give. `answer` gets the
/// request line and headers and returns status, body and a delay before answering.
struct Broken {
    base: String,
    seen: Arc<Mutex<Vec<String>>>,
}

fn broken(answer: impl Fn(&str) -> (u16, String, Duration) + Send + Sync + 'static) -> Broken {
    broken_bytes(move |head| {
        let (status, body, delay) = answer(head);
        Reply { status, body: body.into_bytes(), content_type: None, delay }
    })
}

/// What `broken_bytes` answers: any bytes, with a content type if given.
struct Reply {
    status: u16,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    delay: Duration,
}

fn broken_bytes(answer: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Broken {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answer = Arc::new(answer);
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let answer = Arc::clone(&answer);
            let log = Arc::clone(&log);
            std::thread::spawn(move || serve(stream, &*answer, &log));
        }
    });
    Broken { base, seen }
}

fn serve(mut stream: TcpStream, answer: &dyn Fn(&str) -> Reply, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    log.lock().unwrap().push(head.clone());
    let Reply { status, body, content_type, delay } = answer(&head);
    std::thread::sleep(delay);
    let content_type = content_type.map_or(String::new(), |t| format!("content-type: {t}\r\n"));
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\n{content_type}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

/// A proxy to Jaeger at `target` that answers 404 for `/api/v3/…`, as a Jaeger before api_v3 does.
fn hiding_api_v3(target: &str) -> String {
    let target = target.to_owned();
    broken(move |head| {
        let path = head.split(' ').nth(1).unwrap_or("/");
        if path.starts_with("/api/v3/") {
            return (404, "404 page not found".to_owned(), Duration::ZERO);
        }
        let (status, body) = get(&format!("http://{target}{path}"));
        (status, body, Duration::ZERO)
    })
    .base
}

const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[test]
fn each_failure_is_one_line_naming_the_url_and_exit_1() {
    let cases: [(u16, &str, Duration, &str); 5] = [
        (
            401,
            "",
            Duration::ZERO,
            "HTTP 401: not allowed (pass credentials with --header 'Authorization: …')",
        ),
        (
            403,
            "tenant forbidden",
            Duration::ZERO,
            "HTTP 403: not allowed (pass credentials with --header 'Authorization: …'): tenant forbidden",
        ),
        (503, "upstream\nconnect error", Duration::ZERO, "HTTP 503: upstream connect error"),
        (
            200,
            "<html>login</html>",
            Duration::ZERO,
            "expected zipkin-json: expected a JSON array of Zipkin spans",
        ),
        (200, "[]", Duration::from_secs(3), "no answer within 1 s (raise --timeout)"),
    ];
    for (status, body, delay, expected) in cases {
        let server = broken(move |_| (status, body.to_owned(), delay));
        let store = format!("zipkin+{}", server.base);
        let err = fails(&["tree", &store, "--trace", ID, "--timeout", "1"], 1);
        let url = format!("{}/api/v2/trace/{ID}", server.base);
        assert!(err.starts_with(&format!("error: {url}")), "{status}: {err}");
        assert!(err.contains(expected), "{status}: expected {expected:?} in {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let nobody = format!("jaeger+http://127.0.0.1:{}", free_port());
    let err = fails(&["info", &nobody, "--trace", ID], 1);
    assert!(err.contains("cannot reach the trace store"), "{err}");
    let err = fails(&["info", "jaeger+http://127.0.0.1:1", "--trace", "4bf9"], 2);
    assert!(err.contains("give its full id (16 or 32 hex digits)"), "{err}");
}

#[test]
fn headers_go_with_every_request() {
    let server = broken(|_| (404, String::new(), Duration::ZERO));
    let store = format!("tempo+{}", server.base);
    weft()
        .args(["info", &store, "--trace", ID, "--header", "X-Scope-OrgID: acme"])
        .env("WEFT_HEADERS", "Authorization: Bearer t0k3n")
        .assert()
        .code(1);
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "v2 then v1: {seen:?}");
    for head in seen.iter() {
        // Header names are case-insensitive; ureq sends them in lower case.
        assert!(head.to_ascii_lowercase().contains("x-scope-orgid: acme\r\n"), "{head}");
        assert!(!head.contains("t0k3n"), "--header replaces WEFT_HEADERS, as clap's env does: {head}");
    }
    drop(seen);
    let server = broken(|_| (404, String::new(), Duration::ZERO));
    let store = format!("tempo+{}", server.base);
    weft()
        .args(["info", &store, "--trace", ID])
        .env("WEFT_HEADERS", "Authorization: Bearer t0k3n")
        .assert()
        .code(1);
    assert!(server.seen.lock().unwrap()[0].contains("authorization: Bearer t0k3n\r\n"));
}

/// Tempo's answers as its API documentation gives them (see the module comment).
fn tempo(v2: bool) -> Broken {
    let resource = r#"{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]}"#;
    broken(move |head| {
        let path = head.split(' ').nth(1).unwrap_or("/");
        let ok = |body: String| (200, body, Duration::ZERO);
        if path.starts_with("/api/search?") {
            assert!(path.contains("tags=service.name%3Dorders"), "{path}");
            // Tempo drops leading zeros of search ids.
            return ok(r#"{"traces":[{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","rootServiceName":"orders","rootTraceName":"publish","startTimeUnixNano":"1700000000000000000","durationMs":1}],"metrics":{"inspectedTraces":1}}"#.to_owned());
        }
        if v2 && path == format!("/api/v2/traces/{ID}") {
            let span = format!(
                r#"{{"traceId":"{ID}","spanId":"00f067aa0ba902b7","name":"publish","kind":4,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000","links":[{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"}}]}}"#
            );
            return ok(format!(
                r#"{{"trace":{{"resourceSpans":[{{"resource":{resource},"scopeSpans":[{{"spans":[{span}]}}]}}]}},"status":"complete"}}"#
            ));
        }
        if path == format!("/api/traces/{ID}") {
            // Tempo's v1 answer: `batches`, ids in base64.
            let span = r#"{"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"APBnqgupArc=","name":"publish","kind":"SPAN_KIND_PRODUCER","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000"}"#;
            return ok(format!(
                r#"{{"batches":[{{"resource":{resource},"scopeSpans":[{{"spans":[{span}]}}]}}]}}"#
            ));
        }
        (404, "trace not found".to_owned(), Duration::ZERO)
    })
}

#[test]
fn tempo_answers_as_documented_are_read_by_the_otlp_loader() {
    for v2 in [true, false] {
        let server = tempo(v2);
        let store = format!("tempo+{}", server.base);
        let out = tree(&[&store, "--trace", ID]);
        assert!(out.starts_with(&format!("trace {ID} · 1 span ·")), "v2={v2}: {out}");
        assert!(out.contains("00f067aa0ba902b7") && out.contains("orders: publish"), "{out}");
        let found = info(&[&store, "--service", "orders", "--since", "15m"]);
        assert_eq!(found["spans"].as_u64(), Some(1), "v2={v2}");
        let paths: Vec<String> =
            server.seen.lock().unwrap().iter().map(|h| h.split(' ').nth(1).unwrap().to_owned()).collect();
        let first_fetch = paths.iter().find(|p| p.contains("/traces/")).unwrap();
        assert_eq!(first_fetch, &format!("/api/v2/traces/{ID}"), "v2 is asked first");
    }
    // The v2 trace links to a trace Tempo does not have: --linked notes it and goes on.
    let server = tempo(true);
    let out =
        weft().args(["info", &format!("tempo+{}", server.base), "--trace", ID, "--linked"]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--linked: ") && stderr.contains("trace 0af7651916cd43dd8448eb211c80319c not found"),
        "{stderr}"
    );
}

/// A protobuf length-delimited field: tag, length, bytes.
fn proto_field(field: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![field << 3 | 2];
    let mut n = bytes.len();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(bytes);
    out
}

/// Tempo asked for protobuf (`Accept: application/protobuf`, as its API documents for both trace
/// endpoints) gives it: `/api/v2/traces/<id>` a `TraceByIDResponse` whose `trace` (field 1, the
/// first of the v2 JSON's keys) is an OTLP `Trace`, `/api/traces/<id>` the `Trace` itself. The
/// trace here is the scatter-gather sample's checkout trace written by weft's OTLP protobuf
/// writer; the response wraps it behind a metrics field (field 2, skipped). Both read as the file
/// does; a cut answer is one error line naming the URL and the byte.
#[test]
fn tempo_protobuf_answers_are_read_by_the_otlp_protobuf_reader() {
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("checkout.otlp.pb");
    let sample = repo("sample-traces/scatter-gather.otlp.json");
    run(&[
        "export",
        sample.to_str().unwrap(),
        "--trace",
        CHECKOUT,
        "--to",
        "otlp-proto",
        "-o",
        proto.to_str().unwrap(),
    ]);
    let trace = std::fs::read(&proto).unwrap();
    let metrics = proto_field(2, &[0x08, 0xd2, 0x09]);
    let wrapped = [metrics, proto_field(1, &trace)].concat();
    let expected = info(&[proto.to_str().unwrap()]);
    for v2 in [true, false] {
        let (wrapped, trace) = (wrapped.clone(), trace.clone());
        let server = broken_bytes(move |head| {
            let path = head.split(' ').nth(1).unwrap_or("/");
            let protobuf = head.to_ascii_lowercase().contains("accept: application/protobuf\r\n");
            let body = match path.strip_suffix(CHECKOUT) {
                Some("/api/v2/traces/") if v2 && protobuf => wrapped.clone(),
                Some("/api/traces/") if protobuf => trace.clone(),
                _ => {
                    return Reply {
                        status: 404,
                        body: Vec::new(),
                        content_type: None,
                        delay: Duration::ZERO,
                    };
                }
            };
            Reply { status: 200, body, content_type: Some("application/protobuf"), delay: Duration::ZERO }
        });
        let store = format!("tempo+{}", server.base);
        assert_eq!(info(&[&store, "--trace", CHECKOUT]), expected, "v2={v2}");
    }

    // Cut: the response's own field 1 overruns it. Corrupt inside the trace: the OTLP reader's
    // offset counts from the start of the answer (metrics 5 bytes, then the field's 3-byte head).
    let cut = wrapped[..wrapped.len() - 7].to_vec();
    let mut corrupt = wrapped.clone();
    corrupt[8] = 0xff;
    for (body, expected) in [
        (
            cut,
            "byte 5: expected a Tempo TraceByIDResponse: field 1 claims 15524 bytes but only 15517 are left",
        ),
        (corrupt, "byte 8: no valid otlp-proto records (1 skipped; first: TracesData: expected a field tag"),
    ] {
        let server = broken_bytes(move |_| Reply {
            status: 200,
            body: body.clone(),
            content_type: Some("application/x-protobuf"),
            delay: Duration::ZERO,
        });
        let err = fails(&["info", &format!("tempo+{}", server.base), "--trace", CHECKOUT], 1);
        let url = format!("{}/api/v2/traces/{CHECKOUT}", server.base);
        assert!(err.starts_with(&format!("error: {url}: ")) && err.contains(expected), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

#[test]
fn zipkin_ui_pages_name_the_store_and_the_trace() {
    let server = broken(|head| {
        let path = head.split(' ').nth(1).unwrap_or("/");
        if path == "/base/api/v2/trace/00f067aa0ba902b7" {
            let body = r#"[{"traceId":"00f067aa0ba902b7","id":"0000000000000001","name":"get","timestamp":1700000000000000,"duration":5,"localEndpoint":{"serviceName":"web"}}]"#;
            return (200, body.to_owned(), Duration::ZERO);
        }
        (404, String::new(), Duration::ZERO)
    });
    let page = format!("{}/base/zipkin/traces/00f067aa0ba902b7", server.base);
    let out = tree(&[&page]);
    assert!(out.contains("web: get"), "{out}");
}

// ---- The explorer fetching on demand (`--backend`): the app driven as `tui` drives it ----

mod explorer {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use weft::app::action::Action;
    use weft::app::fetch::{Availability, Remote};
    use weft::app::keymap::{Context, key_for};
    use weft::app::{App, OpenAt};
    use weft::index::Index;
    use weft::model::{SpanId, TraceId};
    use weft::tui::{Fetcher, take_fetched};

    fn press(app: &mut App<'_>, ctx: Context, action: Action) {
        app.handle_key(key_for(ctx, action).expect("bound"));
    }

    fn id(hex: &str) -> TraceId {
        TraceId::from_hex(hex).unwrap()
    }

    fn fetcher_for(store: &str, timeout: Duration) -> Fetcher {
        let backend = weft::backend::address::parse(store).unwrap().backend;
        Fetcher::start(weft::backend::Client::new(timeout, Vec::new()), vec![backend]).unwrap()
    }

    fn index_of(paths: &[PathBuf]) -> Index {
        Index::build(weft::load::load_paths_with(paths, &weft::load::Options::default()).unwrap().dataset)
    }

    /// The app opened on `span` of `trace`, with the stores of `fetcher`, at 80×24.
    fn open<'a>(index: &'a Index, fetcher: &Fetcher, trace: &str, span: u64) -> App<'a> {
        let s = index.find_span(id(trace), SpanId(span)).expect("span loaded");
        let mut app = App::new(index, OpenAt { trace: None, span: Some(s) });
        app.resize(80, 24);
        app.remote = Some(Remote::new(fetcher.stores()));
        app
    }

    /// Enter on the `row`th link of the selected span's Links tab.
    fn enter_on_link(app: &mut App<'_>, row: usize) {
        press(app, Context::Trace, Action::ShowLinks);
        for _ in 0..row {
            press(app, Context::Move, Action::SelectNext);
        }
        press(app, Context::Links, Action::JumpToLink);
    }

    /// The last line of a frame of `app` at 80×24.
    fn footer(app: &App<'_>) -> String {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| weft::ui::render(f, app)).unwrap();
        let buf = terminal.backend().buffer();
        (0..80).map(|x| buf[(x, 23)].symbol().to_owned()).collect::<String>().trim_end().to_owned()
    }

    /// What the event loop does before a frame and between frames: the app's fetches go to the
    /// service, and each answer (waited for here, as there are no frames) goes through
    /// `take_fetched`, i.e. `Index::extend` and the app.
    macro_rules! answers {
        ($app:ident, $index:ident, $fetcher:ident, $n:expr) => {
            $fetcher.run_effects(&mut $app);
            for _ in 0..$n {
                let answer = $fetcher.wait_answer(Duration::from_secs(30)).expect("an answer");
                let parked = $app.park();
                let taken = take_fetched(&mut $index, answer);
                $app = taken.resume(parked, &$index);
            }
        };
    }

    const GATHER: u64 = 0x5a5cfeb4b79c187c;
    const SHARD_0: &str = "1c584a6c84c271072739cdb772aae44e";
    const SHARD_1: &str = "86d5bd4ca236445fab2a5861257b5ffd";
    const NOWHERE: &str = "feed0000000000000000000000000001";

    /// The checkout trace alone in a file, the rest of its flow only in the real Jaeger: Enter
    /// follows a link into a shard trace Jaeger holds, Backspace comes back; Esc cancels; a
    /// trace Jaeger does not have is marked and not asked for again; `f` fetches the rest; a
    /// stopped store is one footer line naming the URL.
    #[test]
    fn follows_links_into_traces_only_the_real_jaeger_holds() {
        let jaeger = Jaeger::start();
        let sample = repo("sample-traces/scatter-gather.otlp.json");
        let shards = [SHARD_0, SHARD_1, SHARD_2, "60b14039bed326948a88d4cc2a5f5f30"];
        jaeger.feed(&sample, &shards);
        let dir = tempfile::tempdir().unwrap();
        let checkout = dir.path().join("checkout.json");
        run(&["export", sample.to_str().unwrap(), "--trace", CHECKOUT, "-o", checkout.to_str().unwrap()]);
        let dangling = dir.path().join("dangling.json");
        std::fs::write(
            &dangling,
            format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"ab000000000000000000000000000001","spanId":"0000000000000001","name":"retry","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000","links":[{{"traceId":"{NOWHERE}","spanId":"0000000000000002"}}]}}]}}]}}]}}"#
            ),
        )
        .unwrap();
        let mut index = index_of(&[checkout, dangling]);
        let mut fetcher = fetcher_for(&jaeger.store(), Duration::from_secs(10));
        assert_eq!(fetcher.stores(), "jaeger");
        let mut app = open(&index, &fetcher, CHECKOUT, GATHER);
        assert_eq!(app.index.traces().len(), 2);

        // Nothing linked is loaded yet: `L` says so, and what `f` would fetch.
        press(&mut app, Context::Trace, Action::ShowLinkedTraces);
        assert_eq!(
            app.status.as_deref(),
            Some("no other loaded trace is linked to this one; f fetches the 4 missing")
        );

        // Enter on the first link: shard 0, which only Jaeger holds.
        enter_on_link(&mut app, 0);
        assert!(app.is_fetching());
        assert!(
            footer(&app).starts_with("fetching 1c584a6c… from jaeger  Esc cancel fetch"),
            "{}",
            footer(&app)
        );
        answers!(app, index, fetcher, 1);
        let target = app.index.find_span(id(SHARD_0), SpanId(0x914fe63b1b48c7f2)).expect("shard 0 fetched");
        let tv = app.trace_view().expect("a trace is open");
        assert_eq!(tv.selected_span(app.index), target, "the view jumped to the link's target");
        let status = app.status.clone().unwrap_or_default();
        assert!(status.starts_with("fetched 1c584a6c… (12 spans) from http://127.0.0.1:"), "{status}");
        assert!(footer(&app).starts_with("fetched 1c584a6c…"));
        // The shard links back to the checkout: that backlink resolved as it arrived.
        let checkout_t = app.index.find_trace(id(CHECKOUT)).unwrap();
        let shard_t = app.index.find_trace(id(SHARD_0)).unwrap();
        let joined = app.index.linked_traces(checkout_t).find(|tl| tl.other == shard_t).expect("linked");
        assert_eq!((joined.out, joined.r#in), (1, 1), "one link each way");
        press(&mut app, Context::Global, Action::GoBack);
        let tv = app.trace_view().expect("back");
        assert_eq!(
            app.index.span(tv.selected_span(app.index)).span_id,
            SpanId(GATHER),
            "Backspace comes back"
        );

        // Enter on shard 1, then Esc at once: nothing arrives, nothing is added.
        enter_on_link(&mut app, 1);
        press(&mut app, Context::Fetching, Action::CancelFetch);
        assert_eq!(app.status.as_deref(), Some("cancelled fetching 86d5bd4c…"));
        fetcher.run_effects(&mut app);
        assert!(fetcher.wait_answer(Duration::from_secs(3)).is_none(), "a cancelled fetch delivers nothing");
        assert!(!app.is_fetching() && app.index.find_trace(id(SHARD_1)).is_none());

        // `f`: the three shards still missing, in one go.
        press(&mut app, Context::Global, Action::GoUp);
        assert!(footer(&app).contains("f fetch 3 missing"), "{}", footer(&app));
        press(&mut app, Context::Trace, Action::FetchMissing);
        answers!(app, index, fetcher, 3);
        assert_eq!(app.status.as_deref(), Some("fetched 3 of 3 traces from jaeger"));
        assert_eq!(app.index.traces().len(), 6);
        assert_eq!(app.unresolved, 1, "only the link into the trace Jaeger lacks");

        // A trace Jaeger does not have: marked, said so, not asked again.
        let retry = app.index.find_span(id("ab000000000000000000000000000001"), SpanId(1)).unwrap();
        app.jump_to_span(retry);
        enter_on_link(&mut app, 0);
        answers!(app, index, fetcher, 1);
        let status = app.status.clone().unwrap_or_default();
        assert!(status.starts_with("trace feed0000… is not in jaeger: http://127.0.0.1:"), "{status}");
        assert!(status.ends_with(&format!("trace {NOWHERE} not found")), "{status}");
        assert_eq!(app.remote.as_ref().unwrap().availability(id(NOWHERE)), Availability::Absent);
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal.draw(|f| weft::ui::render(f, &app)).unwrap();
        let screen = format!("{:?}", terminal.backend());
        assert!(screen.contains("↗ to   not in jaeger"), "{screen}");
        press(&mut app, Context::Links, Action::JumpToLink);
        assert!(app.effects.is_empty(), "not asked again");
        assert!(app.status.as_deref().is_some_and(|s| s.starts_with("trace feed0000… is not in jaeger")));
        assert_eq!(app.index.traces().len(), 6);
    }

    /// A consumer span linking to six traces, each of which the broken store answers its own
    /// way: found, 401, 503, a body that is not Zipkin JSON, too slow; and a store nobody
    /// listens on. Each failure is one footer line naming the URL; the trace fetched first stays.
    #[test]
    fn each_fetch_failure_is_one_footer_line_naming_the_url() {
        let server = broken(|head| {
            let path = head.split(' ').nth(1).unwrap_or("");
            let found = r#"[{"traceId":"0000000000000001","id":"000000000000000a","name":"produce","timestamp":1700000000000000,"duration":5,"localEndpoint":{"serviceName":"shop"}}]"#;
            match path.rsplit('/').next().unwrap_or("") {
                "0000000000000001" => (200, found.to_owned(), Duration::ZERO),
                "0000000000000002" => (401, String::new(), Duration::ZERO),
                "0000000000000003" => (503, "upstream\nconnect error\x1b[2J".to_owned(), Duration::ZERO),
                "0000000000000004" => (200, "<html>login</html>".to_owned(), Duration::ZERO),
                _ => (200, "[]".to_owned(), Duration::from_secs(3)),
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("consumer.json");
        let links: Vec<String> =
            (1..=5).map(|n| format!(r#"{{"traceId":"{n:032x}","spanId":"{:016x}"}}"#, 0xa)).collect();
        std::fs::write(
            &file,
            format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"c0000000000000000000000000000001","spanId":"0000000000000001","name":"consume","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000","links":[{}]}}]}}]}}]}}"#,
                links.join(",")
            ),
        )
        .unwrap();
        let mut index = index_of(&[file]);
        let mut fetcher = fetcher_for(&format!("zipkin+{}", server.base), Duration::from_secs(1));
        let consumer = "c0000000000000000000000000000001";
        let mut app = open(&index, &fetcher, consumer, 1);

        enter_on_link(&mut app, 0);
        answers!(app, index, fetcher, 1);
        assert!(app.index.find_trace(TraceId(1)).is_some(), "{:?}", app.status);
        press(&mut app, Context::Global, Action::GoBack);

        let url = |n: usize| format!("{}/api/v2/trace/{n:016x}", server.base);
        let cases = [
            (2, "HTTP 401: not allowed (pass credentials with --header 'Authorization: …')"),
            (3, "HTTP 503: upstream connect error\\x1b[2J"),
            (4, "expected zipkin-json: expected a JSON array of Zipkin spans"),
            (5, "no answer within 1 s (raise --timeout)"),
        ];
        for (row, expected) in cases {
            enter_on_link(&mut app, row - 1);
            answers!(app, index, fetcher, 1);
            let status = app.status.clone().unwrap_or_default();
            assert!(status.starts_with(&url(row)), "{row}: {status}");
            assert!(status.contains(expected), "{row}: expected {expected:?} in {status}");
            assert!(!status.chars().any(char::is_control), "{row}: {status:?}");
            assert!(footer(&app).starts_with(&status[..40]), "{row}: {}", footer(&app));
            assert_eq!(app.index.traces().len(), 2, "{row}: the trace fetched first stays");
            assert_eq!(
                app.remote.as_ref().unwrap().availability(TraceId(row as u128)),
                Availability::Fetchable,
                "{row}: a failure is not a trace the store lacks; it can be asked again"
            );
        }

        let mut nobody =
            fetcher_for(&format!("jaeger+http://127.0.0.1:{}", free_port()), Duration::from_secs(5));
        app.remote = Some(Remote::new(nobody.stores()));
        enter_on_link(&mut app, 1);
        answers!(app, index, nobody, 1);
        let status = app.status.clone().unwrap_or_default();
        assert!(
            status.starts_with("http://127.0.0.1:") && status.contains("cannot reach the trace store"),
            "{status}"
        );
        assert_eq!(app.index.traces().len(), 2);
    }
}
