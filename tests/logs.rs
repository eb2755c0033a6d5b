//! Logs beside their spans, written by the real OpenTelemetry Python SDK
//! (tests/peers/logs_in_spans.py, in the venv of tests/peers/requirements.txt): records emitted
//! inside spans — through Python's `logging` bridge and the SDK's Logger — come back from
//! `weft logs` and `weft info` attached to exactly those spans, with severities, bodies and
//! attributes intact.

#[path = "common/peers.rs"]
mod peers;

use assert_cmd::Command;
use serde_json::Value as J;
use std::path::Path;

/// Runs the SDK script, writing OTLP JSON Lines (spans, then logs) to `out`, or with `proto` the
/// two protobuf messages to `out-spans.binpb` and `out-logs.binpb`; returns what the SDK says it
/// emitted: `{"spans": {span_id: name}, "logs": [record…]}`.
fn emit(out: &Path, how: &str) -> J {
    let script = peers::peers_dir().join("logs_in_spans.py");
    let run = std::process::Command::new(peers::python())
        .arg(&script)
        .arg(out)
        .arg(how)
        .env_remove("OTEL_SDK_DISABLED")
        .env_remove("OTEL_RESOURCE_ATTRIBUTES")
        .env_remove("OTEL_SERVICE_NAME")
        .output()
        .expect("run the SDK script");
    assert!(run.status.success(), "logs_in_spans.py failed:\n{}", String::from_utf8_lossy(&run.stderr));
    serde_json::from_slice(&run.stdout).expect("the script prints JSON")
}

fn weft(args: &[&str]) -> String {
    let out = Command::cargo_bin("weft").unwrap().args(args).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn json_lines(text: &str) -> Vec<J> {
    text.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[test]
fn sdk_logs_come_back_attached_to_their_spans_with_severity_body_and_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("traces-and-logs.jsonl");
    let sdk = emit(&file, "json");
    check(&sdk, &[file.to_str().unwrap()]);
    let info: J = serde_json::from_str(&weft(&["info", file.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!((info["spans"].as_u64(), info["logs"].as_u64()), (Some(3), Some(5)));
    assert_eq!(info["files"][0]["logs"], 5);
    assert_eq!(info["files"][0]["other_signals"], serde_json::json!({"metrics": 0, "log_records": 0}));
}

/// The same records as protobuf: `encode_spans` and `encode_logs` serialized, one message each,
/// as an SDK's OTLP/HTTP exporter sends them.
#[test]
fn sdk_protobuf_logs_come_back_attached_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sdk");
    let sdk = emit(&out, "proto");
    let spans = dir.path().join("sdk-spans.binpb");
    let logs = dir.path().join("sdk-logs.binpb");
    check(&sdk, &[spans.to_str().unwrap(), logs.to_str().unwrap()]);
    let info: J = serde_json::from_str(&weft(&["info", logs.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!((info["spans"].as_u64(), info["logs"].as_u64()), (Some(0), Some(5)));
    assert_eq!(info["files"][0]["format"], "otlp-proto");
}

/// `weft logs` over `paths` gives back exactly what the SDK emitted, each record on its span.
fn check(sdk: &J, paths: &[&str]) {
    let cmd = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["logs".to_owned()];
        args.extend(paths.iter().map(|p| (*p).to_owned()));
        args.extend(extra.iter().map(|e| (*e).to_owned()));
        args
    };
    let run = |extra: &[&str]| -> String {
        let args = cmd(extra);
        weft(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let emitted = sdk["logs"].as_array().unwrap();
    assert_eq!(emitted.len(), 5, "{sdk}");

    // Every record, in time order, exactly as the SDK made it.
    let read = json_lines(&run(&["--json"]));
    assert_eq!(read.len(), emitted.len());
    for (got, want) in read.iter().zip(emitted) {
        for key in [
            "trace_id",
            "span_id",
            "severity_number",
            "severity_text",
            "body",
            "attributes",
            "time_unix_nano",
        ] {
            assert_eq!(got[key], want[key], "{key} of {want}");
        }
    }
    assert!(
        read.iter().any(|r| r["body"]["tags"] == serde_json::json!(["fraud", "limit"])),
        "structured body"
    );
    let outside: Vec<&J> = read.iter().filter(|r| r["span_id"].is_null()).collect();
    assert_eq!(outside.len(), 1, "the record logged outside any span");
    assert!(outside[0]["trace_id"].is_null());

    // Each span's records are exactly those the SDK stamped with its id.
    let spans = sdk["spans"].as_object().unwrap();
    assert_eq!(spans.len(), 3);
    for (span_id, name) in spans {
        let got = json_lines(&run(&["--span", span_id, "--json"]));
        let want: Vec<&J> = emitted.iter().filter(|r| r["span_id"] == span_id.as_str()).collect();
        assert!(!want.is_empty(), "the SDK logged inside {name}");
        assert_eq!(got.iter().collect::<Vec<_>>(), want, "records of {name}");
        let text = run(&["--span", span_id]);
        assert_eq!(text.lines().count(), want.len());
        assert!(
            text.lines().all(|l| l.contains(&format!("[checkout: {}]", name.as_str().unwrap()))),
            "{text}"
        );
    }
    // The trace's records are the four logged inside its spans.
    let trace = emitted[0]["trace_id"].as_str().unwrap();
    assert_eq!(json_lines(&run(&["--trace", &trace[..8], "--json"])).len(), 4);
}
