//! `weft diff` on the built binary: a generated 106-span Jaeger trace against itself, and against
//! a copy written to a temp dir with one leaf span removed and one span's duration changed.

use assert_cmd::Command;
use serde_json::Value as J;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const FIXTURE: &str = "tests/fixtures/jaeger-json/gentrace_seed5_120spans.json";
const TRACE: &str = "5656d9e97572b0f544d50d9b151d6299";
const COPY: &str = "c0ffee00000000000000000000000001";
/// Added to the changed span's duration (Jaeger durations are µs).
const SLOWER_US: u64 = 5_000;

fn weft() -> Command {
    Command::cargo_bin("weft").unwrap()
}

fn run(args: &[&str]) -> String {
    let out = weft().args(args).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn diff_json(paths: &[&Path], a: &str, b: &str) -> J {
    let mut args = vec!["diff"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--trace", a, "--trace", b, "--json"]);
    serde_json::from_str(&run(&args)).unwrap()
}

/// The spans of the fixture's trace, and for each the (parent, service, name) that aligns it.
struct Trace {
    doc: J,
    parent: HashMap<String, String>,
    key: HashMap<String, (String, String)>,
}

fn load() -> Trace {
    let doc: J = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let trace = &doc["data"][0];
    assert_eq!(trace["traceID"], TRACE);
    let (mut parent, mut key) = (HashMap::new(), HashMap::new());
    for s in trace["spans"].as_array().unwrap() {
        let id = s["spanID"].as_str().unwrap().to_owned();
        let service = trace["processes"][s["processID"].as_str().unwrap()]["serviceName"].as_str().unwrap();
        key.insert(id.clone(), (service.to_owned(), s["operationName"].as_str().unwrap().to_owned()));
        for r in s["references"].as_array().into_iter().flatten() {
            if r["refType"] == "CHILD_OF" && r["traceID"] == TRACE {
                parent.insert(id.clone(), r["spanID"].as_str().unwrap().to_owned());
            }
        }
    }
    Trace { doc, parent, key }
}

impl Trace {
    /// Non-root spans no reference points at, whose (service, name) no sibling shares: removing
    /// or changing one cannot shift how its siblings pair up.
    fn lone_leaves(&self) -> Vec<String> {
        let refs = self.doc.to_string();
        let mut ids: Vec<String> = self
            .parent
            .iter()
            .filter(|(id, p)| {
                let siblings = self.parent.iter().filter(|(o, op)| op == p && o != id);
                refs.matches(id.as_str()).count() == 1
                    && siblings.into_iter().all(|(o, _)| self.key[o] != self.key[*id])
            })
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        ids
    }
}

#[test]
fn a_trace_against_itself_matches_every_span_with_zero_deltas() {
    let d = diff_json(&[Path::new(FIXTURE)], "5656d9e9", TRACE);
    assert_eq!((d["a"].as_str(), d["b"].as_str()), (Some(TRACE), Some(TRACE)));
    let matched = d["matched"].as_array().unwrap();
    assert_eq!(matched.len(), 106);
    for m in matched {
        assert_eq!(m["a_span_id"], m["b_span_id"], "{m}");
        assert_eq!(
            (m["delta_ns"].as_i64(), m["duration_a_ns"].clone()),
            (Some(0), m["duration_b_ns"].clone())
        );
    }
    assert_eq!((d["only_a"].as_array().unwrap().len(), d["only_b"].as_array().unwrap().len()), (0, 0));
    let ops = d["operations"].as_array().unwrap();
    assert!(ops.iter().all(|o| o["count_a"] == o["count_b"] && o["total_a_ns"] == o["total_b_ns"]));
    let counted: u64 = ops.iter().map(|o| o["count_a"].as_u64().unwrap()).sum();
    assert_eq!(counted, 106);
}

#[test]
fn a_copy_missing_one_span_with_one_slower_span_shows_exactly_those() {
    let t = load();
    let leaves = t.lone_leaves();
    assert!(leaves.len() >= 2, "the fixture has lone leaves: {leaves:?}");
    let (removed, slowed) = (&leaves[0], &leaves[1]);
    // The copy: the same trace under another id, without `removed`, with `slowed` slower.
    let mut trace = t.doc["data"][0].clone();
    let text = trace.to_string().replace(TRACE, COPY);
    trace = serde_json::from_str(&text).unwrap();
    let spans = trace["spans"].as_array_mut().unwrap();
    spans.retain(|s| s["spanID"] != removed.as_str());
    let s = spans.iter_mut().find(|s| s["spanID"] == slowed.as_str()).unwrap();
    let before = s["duration"].as_u64().unwrap();
    s["duration"] = J::from(before + SLOWER_US);
    let dir = tempfile::tempdir().unwrap();
    let copy: PathBuf = dir.path().join("copy.json");
    std::fs::write(&copy, serde_json::json!({ "data": [trace] }).to_string()).unwrap();

    let d = diff_json(&[Path::new(FIXTURE), &copy], TRACE, "c0ffee");
    assert_eq!(d["b"], COPY);
    let only_a = d["only_a"].as_array().unwrap();
    assert_eq!(only_a.len(), 1, "{only_a:?}");
    assert_eq!(only_a[0]["span_id"], removed.as_str());
    assert_eq!(
        (only_a[0]["service"].as_str().unwrap(), only_a[0]["name"].as_str().unwrap()),
        (t.key[removed].0.as_str(), t.key[removed].1.as_str())
    );
    assert!(d["only_b"].as_array().unwrap().is_empty());
    let matched = d["matched"].as_array().unwrap();
    assert_eq!(matched.len(), 105);
    let changed: Vec<&J> = matched.iter().filter(|m| m["delta_ns"] != 0).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(
        (changed[0]["a_span_id"].as_str(), changed[0]["b_span_id"].as_str()),
        (Some(slowed.as_str()), Some(slowed.as_str()))
    );
    assert_eq!(changed[0]["delta_ns"].as_i64(), Some((SLOWER_US * 1000) as i64));
    assert_eq!(changed[0]["duration_a_ns"].as_u64(), Some(before * 1000));
    let op = d["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["service"] == t.key[removed].0.as_str() && o["name"] == t.key[removed].1.as_str())
        .unwrap();
    assert_eq!(op["count_a"].as_u64().unwrap(), op["count_b"].as_u64().unwrap() + 1);

    // The text form: the removed span marked `-`, the slower one with its delta.
    let text = run(&["diff", FIXTURE, copy.to_str().unwrap(), "--trace", TRACE, "--trace", COPY]);
    assert!(text.contains("105 matched · 1 only in a (-) · 0 only in b (+)"), "{text}");
    let (tree, ops) = text.split_once("\noperations").unwrap();
    let minus: Vec<&str> = tree.lines().filter(|l| l.starts_with('-')).collect();
    assert_eq!(minus.len(), 1, "{text}");
    assert!(minus[0].ends_with(&format!("{}: {}", t.key[removed].0, t.key[removed].1)), "{}", minus[0]);
    let slow: Vec<&str> = tree.lines().filter(|l| l.contains("+5.00ms")).collect();
    assert_eq!(slow.len(), 1, "{text}");
    assert!(slow[0].ends_with(&format!("{}: {}", t.key[slowed].0, t.key[slowed].1)), "{}", slow[0]);
    assert_eq!(tree.lines().filter(|l| l.starts_with('+')).count(), 0, "{text}");
    assert_eq!(ops.lines().filter(|l| l.contains("+5.00ms")).count(), 1, "{ops}");
}

#[test]
fn diff_needs_two_known_traces() {
    for args in [vec![FIXTURE, "--trace", TRACE], vec![FIXTURE, "--trace", TRACE, "--trace", "ffff"]] {
        let out = weft().arg("diff").args(&args).assert().code(2).get_output().stderr.clone();
        let err = String::from_utf8(out).unwrap();
        assert!(err.contains("two traces") || err.contains("no loaded trace id starts with 'ffff'"), "{err}");
    }
}
