//! The bundled samples in `sample-traces/`: they are exactly what the generator writes, and they
//! load into the link structure `sample-traces/README.md` promises.

#[path = "../examples/gen_samples.rs"]
mod gen_samples;

use std::path::{Path, PathBuf};
use weft::index::{Index, LinkIdx, LinkTarget, SpanIdx, index_flags};
use weft::model::{SpanKind, Value};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces")
}

/// Hand edits to a sample would be lost the next time someone regenerates; this catches them, and
/// catches a generator change whose output was not committed.
#[test]
fn committed_samples_are_what_the_generator_writes() {
    let generated = gen_samples::generate();
    let mut names: Vec<&str> = generated.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    let mut on_disk: Vec<String> = std::fs::read_dir(sample_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .collect();
    on_disk.sort();
    assert_eq!(names, on_disk, "sample-traces/ holds other files than the generator writes");
    for (name, bytes) in generated {
        let committed = std::fs::read(sample_dir().join(name)).unwrap();
        assert!(committed == bytes, "{name} is stale: run `cargo run --example gen_samples` and commit");
    }
}

#[test]
fn generator_is_deterministic() {
    let a = gen_samples::generate();
    let b = gen_samples::generate();
    assert!(a == b);
}

// ---- loaded through weft's loaders and index ----

fn load(paths: &[PathBuf]) -> Index {
    let loaded = weft::load::load_paths(paths, None).unwrap();
    // The folder's README is the only file that is not a trace.
    for skipped in &loaded.skipped_paths {
        assert!(skipped.to_string().contains("README.md"), "a sample failed to load: {skipped}");
    }
    for file in &loaded.dataset.files {
        assert_eq!((file.skipped, file.warnings.len()), (0, 0), "{}: {:?}", file.path, file.warnings);
    }
    Index::build(loaded.dataset)
}

fn load_folder() -> Index {
    load(&[sample_dir()])
}

fn load_file(name: &str) -> Index {
    load(&[sample_dir().join(name)])
}

/// A string attribute of a span.
fn attr<'a>(idx: &'a Index, s: SpanIdx, key: &str) -> Option<&'a str> {
    match idx.data.find_attr(idx.span(s).attrs, key)? {
        Value::Str(sym) => Some(idx.str(sym)),
        _ => None,
    }
}

/// What the span is called in the samples' README: its name, or for Datadog spans (whose name is
/// the coarse operation, like `trace.annotation`) its resource.
fn label(idx: &Index, s: SpanIdx) -> &str {
    attr(idx, s, "dd.span.Resource").unwrap_or_else(|| idx.name(s))
}

fn spans_named<'a>(idx: &'a Index, name: &'a str) -> impl Iterator<Item = SpanIdx> + 'a {
    (0..idx.span_count() as u32).map(SpanIdx).filter(move |&s| label(idx, s) == name)
}

fn file_of(idx: &Index, s: SpanIdx) -> &str {
    &idx.data.files[usize::from(idx.span(s).file)].path
}

fn is_missing(idx: &Index, l: LinkIdx) -> bool {
    matches!(idx.link_target(l), LinkTarget::Missing { .. })
}

/// (file, traces, spans, links, unresolved links) when the file is loaded on its own; the table in
/// sample-traces/README.md.
const EXPECTED: &[(&str, usize, usize, usize, usize)] = &[
    ("scatter-gather.otlp.json", 5, 85, 8, 0),
    ("scatter-gather.dd.msgpack", 5, 85, 8, 0),
    ("scatter-gather.otlp.jsonl", 5, 85, 8, 0),
    ("message-aggregation.otlp.json", 12, 193, 12, 1),
    ("message-aggregation.dd.msgpack", 12, 193, 12, 1),
    ("transactional-messaging.otlp.json", 4, 46, 5, 0),
    ("transactional-messaging.dd.msgpack", 4, 46, 5, 0),
    ("event-sourcing.otlp.json", 5, 72, 7, 1),
    // Its cross-file link only resolves when event-sourcing.otlp.json is loaded too.
    ("event-sourcing.dd.msgpack", 5, 73, 8, 2),
];

#[test]
fn each_sample_has_the_documented_counts() {
    for &(name, traces, spans, links, unresolved) in EXPECTED {
        let idx = load_file(name);
        let got = (idx.traces().len(), idx.span_count(), idx.link_count(), idx.unresolved_links().count());
        assert_eq!(got, (traces, spans, links, unresolved), "{name}: (traces, spans, links, unresolved)");
        // Every span hangs in one tree: a lost `_dd.p.tid` or parent id would make orphans.
        for t in 0..idx.traces().len() as u32 {
            let roots =
                idx.trace_spans(weft::index::TraceIdx(t)).iter().filter(|&&s| idx.depth(s) == 0).count();
            assert_eq!(roots, 1, "{name}: trace {t} has {roots} roots");
        }
    }
}

#[test]
fn the_whole_folder_loads_without_duplicate_ids() {
    let idx = load_folder();
    let sum = |f: fn(&(&str, usize, usize, usize, usize)) -> usize| EXPECTED.iter().map(f).sum::<usize>();
    assert_eq!(idx.traces().len(), sum(|e| e.1));
    assert_eq!(idx.span_count(), sum(|e| e.2));
    assert_eq!(idx.link_count(), sum(|e| e.3));
    // Loaded together, the Datadog rebuild's link into the OTLP file resolves.
    assert_eq!(idx.unresolved_links().count(), sum(|e| e.4) - 1);
    for i in 0..idx.span_count() as u32 {
        let s = SpanIdx(i);
        let sp = idx.span(s);
        assert_eq!(idx.find_span(sp.trace_id, sp.span_id), Some(s), "span id {:?} is not unique", sp.span_id);
        assert_eq!(idx.index_flags(s) & (index_flags::DUPLICATE_ID | index_flags::ORPHAN), 0);
    }
}

#[test]
fn every_link_is_listed_once_at_each_end() {
    let idx = load_folder();
    let mut incoming = 0;
    for l in idx.links() {
        let src = idx.link_source(l);
        assert_eq!(idx.links_out(src).filter(|&x| x == l).count(), 1);
        match idx.link_target(l) {
            LinkTarget::Span(t) => {
                assert_eq!(idx.links_in(t).iter().filter(|&&x| x == l).count(), 1);
                let link = idx.link(l);
                assert_eq!((idx.span(t).trace_id, idx.span(t).span_id), (link.trace_id, link.span_id));
            }
            LinkTarget::Missing { .. } => {}
            LinkTarget::Pointer => panic!("the samples have no span pointers"),
        }
    }
    for i in 0..idx.span_count() as u32 {
        incoming += idx.links_in(SpanIdx(i)).len();
    }
    assert_eq!(incoming + idx.unresolved_links().count(), idx.link_count());
}

#[test]
fn batch_consumer_links_to_twelve_producers_one_of_them_not_loaded() {
    let idx = load_folder();
    // The OTLP consumer is named `kafka.consume orders`, the Datadog one `kafka.consume` with the
    // resource `Consume Topic orders`: find them by what they do.
    let consumers: Vec<SpanIdx> = (0..idx.span_count() as u32)
        .map(SpanIdx)
        .filter(|&s| {
            idx.span(s).kind == SpanKind::Consumer
                && attr(&idx, s, "messaging.destination.name") == Some("orders")
        })
        .collect();
    assert_eq!(consumers.len(), 2, "one batch consumer per copy (OTLP and Datadog)");
    for c in consumers {
        assert_eq!(idx.service(c), "billing-worker");
        let out: Vec<LinkIdx> = idx.links_out(c).collect();
        assert_eq!(out.len(), 12);
        let dangling: Vec<_> = out.iter().filter(|&&l| is_missing(&idx, l)).collect();
        assert_eq!(dangling.len(), 1);
        assert_eq!(
            idx.link_target(*dangling[0]),
            LinkTarget::Missing { trace: None },
            "its trace is not loaded"
        );
        let mut producer_traces = std::collections::HashSet::new();
        for &l in &out {
            let LinkTarget::Span(p) = idx.link_target(l) else { continue };
            assert_eq!(idx.span(p).kind, SpanKind::Producer);
            assert_eq!(attr(&idx, p, "messaging.destination.name"), Some("orders"));
            assert!(
                idx.links_in(p).iter().any(|&back| idx.link_source(back) == c),
                "producer lacks the backlink"
            );
            assert!(idx.span(p).end < idx.span(c).start, "a message was consumed before it was produced");
            assert_ne!(idx.trace_of(p), idx.trace_of(c));
            producer_traces.insert(idx.trace_of(p));
        }
        assert_eq!(producer_traces.len(), 11, "each message comes from its own trace");
    }
}

#[test]
fn datadog_rebuild_links_into_the_otlp_file() {
    let idx = load_folder();
    let cross: Vec<(SpanIdx, SpanIdx)> = idx
        .links()
        .filter_map(|l| match idx.link_target(l) {
            LinkTarget::Span(t) if file_of(&idx, idx.link_source(l)) != file_of(&idx, t) => {
                Some((idx.link_source(l), t))
            }
            _ => None,
        })
        .collect();
    assert_eq!(cross.len(), 1, "exactly one link crosses files");
    let (from, to) = cross[0];
    assert!(file_of(&idx, from).ends_with("event-sourcing.dd.msgpack"), "{}", file_of(&idx, from));
    assert!(file_of(&idx, to).ends_with("event-sourcing.otlp.json"), "{}", file_of(&idx, to));
    assert_eq!(label(&idx, to), "save snapshot Order order-1042");
    assert!(idx.span(to).end < idx.span(from).start, "the snapshot predates the rebuild");
}

#[test]
fn event_rebuild_links_across_traces_and_within_its_own() {
    for name in ["event-sourcing.otlp.json", "event-sourcing.dd.msgpack"] {
        let idx = load_file(name);
        let projection = spans_named(&idx, "project OrderSummary order-1042").next().unwrap();
        let out: Vec<LinkIdx> = idx.links_out(projection).collect();
        assert_eq!(out.len(), 2);
        for l in out {
            let LinkTarget::Span(ev) = idx.link_target(l) else {
                panic!("{name}: projection link unresolved")
            };
            assert_eq!(
                idx.trace_of(ev),
                idx.trace_of(projection),
                "{name}: projection links stay in its trace"
            );
            assert!(label(&idx, ev).starts_with("eventstore.append "), "{name}: {}", label(&idx, ev));
        }
        // The rebuild span's first links: every earlier event, one of them in a loaded trace but missing.
        let rebuild = (0..idx.span_count() as u32)
            .map(SpanIdx)
            .find(|&s| idx.links_out(s).len() >= 5 && idx.trace_of(s) == idx.trace_of(projection))
            .unwrap();
        let missing: Vec<LinkTarget> = idx
            .links_out(rebuild)
            .map(|l| idx.link_target(l))
            .filter(|t| matches!(t, LinkTarget::Missing { .. }))
            .collect();
        assert!(
            missing.contains(&LinkTarget::Missing { trace: Some(missing_trace(&idx)) }),
            "{name}: {missing:?}"
        );
        let resolved_traces: std::collections::HashSet<_> = idx
            .links_out(rebuild)
            .filter_map(|l| match idx.link_target(l) {
                LinkTarget::Span(t) => Some(idx.trace_of(t)),
                _ => None,
            })
            .collect();
        assert_eq!(resolved_traces.len(), 3, "{name}: events come from three other loaded traces");
        assert!(!resolved_traces.contains(&idx.trace_of(rebuild)));
    }
}

/// The change trace whose append span was dropped: the only one without an `eventstore.append`.
fn missing_trace(idx: &Index) -> weft::index::TraceIdx {
    let without_append: Vec<_> = (0..idx.traces().len() as u32)
        .map(weft::index::TraceIdx)
        .filter(|&t| !idx.trace_spans(t).iter().any(|&s| label(idx, s).starts_with("eventstore.append ")))
        .collect();
    assert_eq!(without_append.len(), 1);
    without_append[0]
}

#[test]
fn gather_waits_for_the_slowest_shard() {
    for name in ["scatter-gather.otlp.json", "scatter-gather.dd.msgpack", "scatter-gather.otlp.jsonl"] {
        let idx = load_file(name);
        let gather = spans_named(&idx, "gather availability").next().unwrap();
        let scatter = spans_named(&idx, "scatter availability").next().unwrap();
        let replies: Vec<SpanIdx> = idx
            .links_out(gather)
            .map(|l| match idx.link_target(l) {
                LinkTarget::Span(t) => t,
                other => panic!("{name}: gather link to {other:?}"),
            })
            .collect();
        assert_eq!(replies.len(), 4);
        let shard_traces: std::collections::HashSet<_> = replies.iter().map(|&r| idx.trace_of(r)).collect();
        assert_eq!(shard_traces.len(), 4, "{name}: one trace per shard");
        // Forward in time: each reply starts after the gather began.
        assert!(replies.iter().all(|&r| idx.span(r).start > idx.span(gather).start));
        let slowest = replies.iter().max_by_key(|&&r| idx.span(r).end).unwrap();
        assert_eq!(idx.service(*slowest), "inventory-shard-3");
        assert!(idx.span(gather).end > idx.span(*slowest).end);
        // Backward: every shard trace's root links to the scatter span.
        let back: Vec<SpanIdx> = idx.links_in(scatter).iter().map(|&l| idx.link_source(l)).collect();
        assert_eq!(back.len(), 4);
        for s in back {
            assert_eq!(idx.depth(s), 0);
            assert!(shard_traces.contains(&idx.trace_of(s)));
        }
    }
}

#[test]
fn outbox_chain_runs_consumer_to_publish_to_transaction() {
    for name in ["transactional-messaging.otlp.json", "transactional-messaging.dd.msgpack"] {
        let idx = load_file(name);
        let tx = spans_named(&idx, "db.transaction orders").next().unwrap();
        let publishes: Vec<SpanIdx> = idx.links_in(tx).iter().map(|&l| idx.link_source(l)).collect();
        assert_eq!(publishes.len(), 3, "{name}");
        let consumers: Vec<SpanIdx> =
            publishes.iter().flat_map(|&p| idx.links_in(p).iter().map(|&l| idx.link_source(l))).collect();
        let services: Vec<&str> = consumers.iter().map(|&c| idx.service(c)).collect();
        assert_eq!(services.len(), 2, "{name}");
        assert!(
            services.contains(&"billing-worker") && services.contains(&"notifications"),
            "{name}: {services:?}"
        );
        let traces: std::collections::HashSet<_> =
            [tx, publishes[0], consumers[0], consumers[1]].iter().map(|&s| idx.trace_of(s)).collect();
        assert_eq!(traces.len(), 4, "{name}: transaction, relay and two consumers are four traces");
    }
}

#[test]
fn children_lie_inside_their_parents_in_time() {
    let idx = load_folder();
    for i in 0..idx.span_count() as u32 {
        let s = SpanIdx(i);
        if let Some(p) = idx.parent(s) {
            let (c, p) = (idx.span(s), idx.span(p));
            assert!(p.start <= c.start && c.end <= p.end, "{} sticks out of its parent", label(&idx, s));
        }
    }
}
