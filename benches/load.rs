//! Load + index per format at 10k, 100k and 1M spans, and a query over all of them. Inputs are generated in memory by `common`
//! and parsed from memory, so file reading is not measured here (`examples/loadbench.rs` measures
//! it, against the floor; see README "Performance").
//!
//! `cargo bench --bench load` (add `-- otlp` to filter); a smoke run that checks every benchmark
//! still works: `cargo bench --bench load -- --sample-count 1 --sample-size 1`. The 1M size runs
//! only under `cargo bench` (the `--bench` flag): `cargo test --all-targets` runs each benchmark
//! once as a smoke test, in a debug build, where 1M spans per format would take minutes.

mod common;

use divan::Bencher;
use divan::counter::BytesCount;
use std::sync::LazyLock;
use weft::index::Index;
use weft::load::{Options, load_slice};

fn main() {
    if let Ok(dir) = std::env::var("WEFT_BENCH_DUMP") {
        // Writes the generated inputs, to inspect them or feed them to loadbench.
        let spans = spans(SIZES[1]);
        let files: [(&str, Vec<u8>); 5] = [
            ("otlp.json", common::otlp_json(spans, false)),
            ("otlp.jsonl", common::otlp_json(spans, true)),
            ("dd.msgpack", common::datadog_msgpack(spans)),
            ("jaeger.json", common::jaeger_json(spans)),
            ("zipkin.json", common::zipkin_json(spans)),
        ];
        for (name, bytes) in files {
            std::fs::write(format!("{dir}/bench100k.{name}"), bytes).expect("writable dump folder");
        }
        return;
    }
    divan::main();
}

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// The sizes this run measures: all of them under `cargo bench`, the small ones in the smoke run.
fn sizes() -> &'static [usize] {
    static BENCHING: LazyLock<bool> = LazyLock::new(|| std::env::args().any(|a| a == "--bench"));
    if *BENCHING { &SIZES } else { &SIZES[..2] }
}

/// Spans for each size, generated once (on first use) and shared by every format.
static SPANS: [LazyLock<Vec<common::Span>>; 3] = [
    LazyLock::new(|| common::spans(SIZES[0], 100, 1)),
    LazyLock::new(|| common::spans(SIZES[1], 100, 1)),
    LazyLock::new(|| common::spans(SIZES[2], 100, 1)),
];

fn spans(n: usize) -> &'static [common::Span] {
    let i = SIZES.iter().position(|&s| s == n).expect("a benchmark size");
    &SPANS[i]
}

fn run(bencher: Bencher, input: Vec<u8>, name: &str, workers: usize) {
    bencher.counter(BytesCount::new(input.len())).bench(|| {
        let options = Options { workers, ..Options::default() };
        let ds = load_slice(&input, name, &options).expect("generated input loads");
        Index::build(ds)
    });
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn otlp_json(bencher: Bencher, n: usize) {
    run(bencher, common::otlp_json(spans(n), false), "bench.json", 0);
}

/// The same on one thread, to see what the parallel parse gains.
#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn otlp_json_one_thread(bencher: Bencher, n: usize) {
    run(bencher, common::otlp_json(spans(n), false), "bench.json", 1);
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn otlp_jsonl(bencher: Bencher, n: usize) {
    run(bencher, common::otlp_json(spans(n), true), "bench.jsonl", 0);
}

/// The same spans as one OTLP protobuf message, written by `weft export --to otlp-proto`'s writer
/// from the OTLP JSON input loaded.
fn otlp_proto_input(n: usize) -> Vec<u8> {
    let json = common::otlp_json(spans(n), false);
    let index =
        Index::build(load_slice(&json, "bench.json", &Options::default()).expect("generated input loads"));
    let traces = weft::cli::export::select(&index, None, false);
    let mut out = Vec::new();
    weft::export::otlp_proto::write(&mut out, &index, &traces).expect("writing to memory");
    out
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn otlp_proto(bencher: Bencher, n: usize) {
    run(bencher, otlp_proto_input(n), "bench.binpb", 0);
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn otlp_proto_one_thread(bencher: Bencher, n: usize) {
    run(bencher, otlp_proto_input(n), "bench.binpb", 1);
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn datadog_msgpack(bencher: Bencher, n: usize) {
    run(bencher, common::datadog_msgpack(spans(n)), "bench.msgpack", 0);
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn jaeger_json(bencher: Bencher, n: usize) {
    run(bencher, common::jaeger_json(spans(n)), "bench.jaeger.json", 0);
}

#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn zipkin_json(bencher: Bencher, n: usize) {
    run(bencher, common::zipkin_json(spans(n)), "bench.zipkin.json", 0);
}

/// The floor the README compares against: serde_json into `IgnoredAny`.
#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn floor_serde_json(bencher: Bencher, n: usize) {
    let input = common::otlp_json(spans(n), false);
    bencher
        .counter(BytesCount::new(input.len()))
        .bench(|| serde_json::from_slice::<serde::de::IgnoredAny>(&input).expect("generated input is JSON"));
}

/// A query over every loaded span, as `weft spans --where` runs it (`cli::spans::select`: one
/// compiled predicate per span, every span tested; the trace list's `F` stops at each trace's
/// first match, so costs at most this), on a compacted index as the explorer holds at scale.
/// Its terms touch names, services, kinds, durations, self time (a walk over each span's
/// children) and a numeric attribute compare. The target: under 0.5 s at 1M spans.
#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn query_all_spans(bencher: Bencher, n: usize) {
    let input = common::otlp_json(spans(n), false);
    let mut index =
        Index::build(load_slice(&input, "bench.json", &Options::default()).expect("generated input loads"));
    drop(input);
    index.compact_strings();
    let text = "(duration>500us http.response.status_code>=500) or (error service~PAY) \
                or (self>900us kind=server) or name~\"order.created\"";
    let query = weft::query::Query::new(text, &index).expect("the query parses");
    let hits = weft::cli::spans::select(&index, None, Some(&query)).len();
    assert!(hits > 0 && hits < n, "the query selects some spans: {hits} of {n}");
    bencher.bench(|| weft::cli::spans::select(&index, None, Some(&query)));
}

/// Index building alone, on an OTLP dataset.
#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn index_build(bencher: Bencher, n: usize) {
    let input = common::otlp_json(spans(n), false);
    bencher
        .with_inputs(|| load_slice(&input, "bench.json", &Options::default()).expect("generated input loads"))
        .bench_values(Index::build);
}

/// `Index::extend` by the last 1,000 spans (10 traces, with their links into and out of what is
/// loaded) onto an index of the others: the cost of one live batch, against `index_build`.
#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn index_extend_1k(bencher: Bencher, n: usize) {
    let (loaded, batch) = spans(n).split_at(n - 1_000);
    let (loaded, batch) = (common::otlp_json(loaded, false), common::otlp_json(batch, false));
    bencher
        .with_inputs(|| {
            let load = |input: &[u8]| {
                load_slice(input, "bench.json", &Options::default()).expect("generated input loads")
            };
            (Index::build(load(&loaded)), load(&batch))
        })
        .bench_values(|(mut index, batch)| {
            index.extend(batch);
            index
        });
}

/// What the live explorer does past `--max-spans`: forget the oldest quarter of the traces and
/// build the index again over a copy of the rest (`Index::oldest_beyond` + `Index::without`),
/// against `index_build`. It runs beside the UI thread, which keeps drawing meanwhile.
#[divan::bench(args = sizes(), sample_count = 10, sample_size = 1)]
fn index_drop_oldest_quarter(bencher: Bencher, n: usize) {
    let input = common::otlp_json(spans(n), false);
    bencher
        .with_inputs(|| {
            Index::build(
                load_slice(&input, "bench.json", &Options::default()).expect("generated input loads"),
            )
        })
        .bench_local_refs(|index| {
            let (gone, _) = index.oldest_beyond(n - n / 4);
            index.without(&gone)
        });
}
