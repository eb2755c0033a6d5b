//! OTLP protobuf and the Collector file exporter's framings, on files the real OpenTelemetry
//! Python SDK wrote (`tests/fixtures/otlp_proto/make_fixtures.py`, provenance in its README):
//! every framing loads the same spans, parents, links and backlinks as the SDK's spans written
//! as OTLP JSON; a cut or corrupt file says `PATH: byte N: …` and keeps what came before.

#[path = "common/canon.rs"]
mod canon;

use std::path::{Path, PathBuf};
use weft::index::Index;
use weft::load::{self, LoadError};
use weft::model::{Dataset, Format, Location};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/otlp_proto").join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// Each span with its parent, children, outgoing and incoming links as ids, resolved by the index.
fn graph(index: &Index) -> Vec<String> {
    let id = |s| format!("{}/{}", index.span(s).trace_id, index.span(s).span_id);
    let mut out: Vec<String> = (0..index.span_count())
        .map(|i| {
            let s = weft::index::SpanIdx(i as u32);
            let mut children: Vec<String> = index.children(s).iter().map(|&c| id(c)).collect();
            children.sort();
            let mut outs: Vec<String> =
                index.links_out(s).map(|l| format!("{:?}", index.link_target(l))).collect();
            outs.sort();
            let mut ins: Vec<String> = index.links_in(s).iter().map(|&l| id(index.link_source(l))).collect();
            ins.sort();
            format!(
                "{} parent={:?} orphan={} children={children:?} out={outs:?} in={ins:?}",
                id(s),
                index.parent(s).map(id),
                index.is_orphan(s)
            )
        })
        .collect();
    out.sort();
    out
}

const FILES: &[(&str, Format)] = &[
    ("sdk_request.binpb", Format::OtlpProto),
    ("sdk_tracesdata.binpb", Format::OtlpProto),
    ("collector_proto.binpb", Format::OtlpProto),
    ("collector_proto_zstd.bin", Format::OtlpProto),
    // `format: json` + `compression: zstd`: framed JSON messages, reported as JSON.
    ("collector_json_zstd.bin", Format::OtlpJsonLines),
    ("collector_json.jsonl", Format::OtlpJsonLines),
];

#[test]
fn every_framing_loads_the_same_spans_parents_links_and_backlinks_as_the_json_twin() {
    let twin = load::load_file(&fixture("sdk_spans.json"), None).unwrap();
    assert_eq!(twin.spans.len(), 7);
    let want = canon::canon(&twin, false);
    let want_graph = graph(&Index::build(twin));
    // The twin has what the test is about: a remote (orphan) parent, children across services,
    // a link to another trace with attributes and one to a span in no file.
    assert!(want_graph.iter().any(|g| g.contains("orphan=true")));
    assert!(want_graph.iter().any(|g| g.contains("Span(") && g.contains("Missing")), "{want_graph:#?}");
    assert!(want.keys().any(|k| k.contains("messaging.operation") && k.contains("receive")));
    for &(name, format) in FILES {
        let ds = load::load_file(&fixture(name), None).unwrap();
        assert_eq!(
            load::sniff(&bytes(name)).map(|f| f == Format::OtlpProto),
            Some(name.ends_with("bin") || name.ends_with("binpb")),
            "{name}"
        );
        let file = &ds.files[0];
        assert_eq!((file.format, file.skipped), (format, 0), "{name}");
        assert!(file.warnings.is_empty(), "{name}: {:?}", file.warnings);
        assert_eq!(canon::canon(&ds, false), want, "{name}");
        assert_eq!(graph(&Index::build(ds)), want_graph, "{name}");
    }
}

#[test]
fn a_forced_format_reads_the_same_and_threads_do_not_change_the_result() {
    for &(name, _) in &FILES[..4] {
        let input = bytes(name);
        let one = load::load_bytes_split(&input, name, Some(Format::OtlpProto), 1, usize::MAX).unwrap();
        for workers in [2, 3, 8] {
            let many = load::load_bytes_split(&input, name, None, workers, 1).unwrap();
            assert_eq!(canon::canon(&many, false), canon::canon(&one, false), "{name} × {workers}");
            assert_eq!(many.files, one.files, "{name} × {workers}");
        }
    }
}

fn load_err(input: &[u8], name: &str) -> LoadError {
    load::load_bytes(input.to_vec(), name, None).unwrap_err()
}

#[test]
fn a_cut_file_keeps_every_whole_span_before_the_cut_and_says_where() {
    // A bare message cut inside its last span: the spans before it in the same record are kept.
    let request = bytes("sdk_request.binpb");
    let load = |len: usize| load::load_bytes(request[..len].to_vec(), "cut.binpb", None).unwrap();
    let len = (0..request.len()).rev().find(|&len| load(len).spans.len() < 7).unwrap();
    let cut = &request[..len];
    let ds = load(len);
    let file = &ds.files[0];
    assert_eq!((file.format, ds.spans.len(), file.skipped), (Format::OtlpProto, 6, 1));
    let w = &file.warnings[0];
    assert!(matches!(w.at, Location::Offset(n) if n > 0 && n < cut.len() as u64), "{w:?}");
    // The outermost record the cut is in is named, at its first byte.
    assert!(w.message.starts_with("TracesData: field 1 claims"), "{}", w.message);
    assert!(w.message.ends_with("(truncated or corrupt); kept what came before it"), "{}", w.message);
    // Every cut of a framed file keeps the whole messages before it, and never fails to say why.
    for name in ["collector_proto.binpb", "collector_proto_zstd.bin", "collector_json_zstd.bin"] {
        let input = bytes(name);
        let first_frame = 4 + u32::from_be_bytes(input[..4].try_into().unwrap()) as usize;
        for len in [first_frame, first_frame + 1, first_frame + 3, first_frame + 50, input.len() - 1] {
            let ds = load::load_bytes(input[..len].to_vec(), "cut.bin", None).unwrap();
            assert!(ds.spans.len() >= 3, "{name} cut at {len}: {}", ds.spans.len());
            let file = &ds.files[0];
            if len > first_frame {
                assert_eq!(file.skipped, 1, "{name} cut at {len}");
                assert!(matches!(file.warnings[0].at, Location::Offset(n) if n >= first_frame as u64));
            }
        }
    }
    // A cut inside the first frame's message: nothing whole, so the file fails, at the cut.
    let err = load_err(&bytes("collector_proto_zstd.bin")[..40], "t.bin");
    assert_eq!(
        err.to_string(),
        "t.bin: byte 0: no valid otlp-proto records (1 skipped; first: the message length says 1163 bytes \
         but only 36 are left (truncated or corrupt); kept what came before it)"
            .replace(
                "1163",
                &u32::from_be_bytes(bytes("collector_proto_zstd.bin")[..4].try_into().unwrap()).to_string()
            ),
        "{err}"
    );
}

#[test]
fn a_corrupt_record_is_skipped_with_its_offset_and_the_rest_loads() {
    // A span whose trace id is 3 bytes: that span alone is skipped, at its record.
    let mut input = bytes("collector_proto.binpb");
    let at = input.windows(2).position(|w| w == [0x0a, 0x10]).unwrap();
    let span_at = at - 2 - usize::from(input[at - 1] & 0x80 != 0);
    input[at + 1] = 3; // the id now claims 3 bytes; the other 13 are read as fields
    let ds = load::load_bytes(input, "c.binpb", None).unwrap();
    let file = &ds.files[0];
    assert_eq!((ds.spans.len(), file.skipped), (6, 1), "{:?}", file.warnings);
    assert!(file.warnings[0].message.starts_with("span \""), "{:?}", file.warnings[0]);
    assert!(matches!(file.warnings[0].at, Location::Offset(n) if n as usize >= span_at));
    // A corrupt zstd message is skipped at its frame; the next messages load.
    let mut input = bytes("collector_proto_zstd.bin");
    input[10] ^= 0xff;
    let ds = load::load_bytes(input, "z.bin", None).unwrap();
    let file = &ds.files[0];
    assert_eq!((ds.spans.len(), file.skipped), (4, 1), "{:?}", file.warnings);
    assert_eq!(file.warnings[0].at, Location::Offset(0));
    assert!(
        file.warnings[0].message.starts_with("zstd message: zstd data is corrupt"),
        "{:?}",
        file.warnings
    );
    // Not protobuf at all, forced: an error at the first byte that cannot be a field.
    let err =
        load::load_bytes(b"\x0a\x05hello\xff".to_vec(), "x.binpb", Some(Format::OtlpProto)).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "x.binpb: byte 4: no valid otlp-proto records (2 skipped; first: resourceSpans: expected a field \
             tag, found 0x6c (field 13, wire type 4)"
        ),
        "{err}"
    );
}

#[test]
fn sniffing_tells_protobuf_traces_from_other_signals_and_text() {
    assert_eq!(load::sniff(&bytes("sdk_request.binpb")), Some(Format::OtlpProto));
    assert_eq!(load::sniff(&bytes("collector_json_zstd.bin")), Some(Format::OtlpProto));
    assert_eq!(load::sniff(&bytes("sdk_spans.json")), Some(Format::OtlpJson));
    // A cut bare message is still recognised, so the load can say where it was cut.
    let request = bytes("sdk_request.binpb");
    assert_eq!(load::sniff(&request[..request.len() / 2]), Some(Format::OtlpProto));
    // LogsData has the same envelope; its first record is a LogRecord (`09` time), not a span:
    // logs are read too. MetricsData's first record is a Metric (`0A` name), neither.
    let envelope = |record: &[u8]| {
        let scope = [&[0x12, record.len() as u8][..], record].concat();
        let resource = [&[0x12, scope.len() as u8][..], &scope].concat();
        [&[0x0a, resource.len() as u8][..], &resource].concat()
    };
    assert_eq!(load::sniff(&envelope(&[0x09, 1, 0, 0, 0, 0, 0, 0, 0])), Some(Format::OtlpProto));
    assert_eq!(load::sniff(&envelope(&[0x0a, 3, b'c', b'p', b'u'])), None);
    assert_eq!(load::sniff(b"\n{\"resourceSpans\":[]}"), Some(Format::OtlpJson));
    assert_eq!(load::sniff(b"\x0a\x05hello"), None);
}

#[test]
fn a_folder_of_rotated_and_grouped_files_loads_every_one() {
    // The exporter keeps the configured name's extension on rotated backups
    // (`traces-2024-09-14T05-02-14.173.json`) and writes one file per group in `group_by`.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("collector_proto.binpb"), dir.path().join("traces.json")).unwrap();
    std::fs::copy(
        fixture("collector_proto_zstd.bin"),
        dir.path().join("traces-2024-09-14T05-02-14.173.json"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("group")).unwrap();
    std::fs::copy(fixture("collector_json_zstd.bin"), dir.path().join("group/frontend.json")).unwrap();
    let loaded = load::load_paths(&[dir.path().to_path_buf()], None).unwrap();
    assert!(loaded.skipped_paths.is_empty(), "{:?}", loaded.skipped_paths);
    assert_eq!(loaded.dataset.files.len(), 3);
    assert_eq!(loaded.dataset.spans.len(), 21);
}

#[test]
fn every_prefix_and_every_flipped_byte_loads_or_fails_without_panicking() {
    let check = |ds: Result<Dataset, LoadError>| match ds {
        Ok(ds) => assert!(ds.files[0].spans == ds.spans.len()),
        Err(e) => assert!(e.to_string().contains(": "), "{e}"),
    };
    for name in ["sdk_request.binpb", "collector_proto.binpb"] {
        let input = bytes(name);
        for len in 0..input.len() {
            check(load::load_bytes(input[..len].to_vec(), name, Some(Format::OtlpProto)));
        }
        for i in 0..input.len() {
            let mut bad = input.clone();
            bad[i] ^= 0x5a;
            check(load::load_bytes(bad, name, Some(Format::OtlpProto)));
        }
    }
}

/// A length-delimited protobuf field (field numbers under 16).
fn record(field: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![field << 3 | 2];
    let mut len = bytes.len();
    while len >= 0x80 {
        out.push(len as u8 | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(bytes);
    out
}

/// A `LogsData` written field by field: the second record's severity is out of range, so it is
/// skipped at its offset while the records around it load with their ids, severity and body;
/// then the same bytes cut inside the last record keep the records before the cut.
#[test]
fn protobuf_log_records_load_and_a_bad_one_is_skipped_at_its_offset() {
    let log_record = |severity: u8, body: &str| {
        let time = [&[0x09][..], &7u64.to_le_bytes()].concat();
        let trace = record(9, &[0xab; 16]);
        let span = record(10, &[0xcd; 8]);
        let body = record(5, &record(1, body.as_bytes()));
        [time, vec![0x10, severity], body, trace, span].concat()
    };
    let records: Vec<Vec<u8>> = vec![log_record(17, "first"), log_record(99, "bad"), log_record(9, "third")];
    let scope = records.iter().map(|r| record(2, r)).collect::<Vec<_>>().concat();
    let message = record(1, &record(2, &scope));
    let ds = load::load_bytes(message.clone(), "logs.binpb", None).expect("loads");
    let bodies: Vec<String> = ds.logs.iter().map(|r| weft::text::value(&ds, r.body)).collect();
    assert_eq!(bodies, ["first", "third"]);
    assert_eq!(
        (ds.logs[0].severity, ds.logs[0].trace_id.0, ds.logs[0].span_id.0),
        (17, u128::MAX / 255 * 0xab, u64::MAX / 255 * 0xcd)
    );
    assert_eq!((ds.files[0].logs, ds.files[0].skipped), (2, 1));
    let bad = message.windows(3).position(|w| w == [0x10, 99, 0x2a]).expect("the bad record") as u64;
    let warning = &ds.files[0].warnings[0];
    assert!(warning.message.contains("severityNumber 99 is not 0-24"), "{}", warning.message);
    // At the record's tag: before its 2-byte tag and length and its 9-byte time.
    assert_eq!(warning.at, Location::Offset(bad - 11));

    let cut = load::load_bytes(message[..message.len() - 3].to_vec(), "cut.binpb", None).expect("loads");
    assert_eq!(cut.logs.len(), 1, "the third record was cut");
    assert!(
        cut.files[0].warnings.iter().any(|w| w.message.contains("log record")),
        "{:?}",
        cut.files[0].warnings
    );
}

#[test]
fn strings_that_are_not_utf8_are_repaired_and_noted_every_time_even_after_valid_repeats() {
    // Only bytes new to the interner are checked: a valid name seen before is not checked
    // again, but a bad one (stored repaired, so never found as it is) is noted each time.
    let span = |id: u8, name: &[u8]| {
        let attr = [record(1, b"key"), record(2, &record(1, name))].concat();
        [record(1, &[id; 16]), record(2, &[id; 8]), record(5, name), record(9, &attr)].concat()
    };
    let spans = [span(1, b"ok"), span(2, b"bad\xff"), span(3, b"ok"), span(4, b"bad\xff")];
    let scope_spans: Vec<u8> = spans.iter().flat_map(|s| record(2, s)).collect();
    let message = record(1, &record(2, &scope_spans));
    let ds = load::load_bytes(message, "utf8.binpb", Some(Format::OtlpProto)).unwrap();
    let names: Vec<&str> = ds.spans.iter().map(|s| ds.str(s.name)).collect();
    assert_eq!(names, ["ok", "bad\u{FFFD}", "ok", "bad\u{FFFD}"]);
    let value = |s: &weft::model::Span| match ds.attrs_of(s.attrs).next().unwrap().value {
        weft::model::Value::Str(sym) => ds.str(sym),
        other => panic!("{other:?}"),
    };
    let values: Vec<&str> = ds.spans.iter().map(value).collect();
    assert_eq!(values, names);
    let notes: Vec<&str> = ds.files[0].warnings.iter().map(|w| w.message.as_str()).collect();
    let name = "name: not valid UTF-8; shown with U+FFFD for the bad bytes";
    let value = "stringValue: not valid UTF-8; shown with U+FFFD for the bad bytes";
    assert_eq!(notes, [name, value, name, value]);
    assert_eq!(ds.files[0].skipped, 0);
}
