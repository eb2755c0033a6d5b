use super::*;
use crate::model::{Dataset, FileInfo, Format, Link, LinkKind, Slice, Span, SpanId, TraceId, span_flags};
use proptest::prelude::*;

/// A span to add: (trace, id, parent, start, links as (trace, span)).
#[derive(Debug, Clone)]
struct S {
    t: u128,
    id: u64,
    parent: u64,
    start: u64,
    links: Vec<(u128, u64)>,
    flags: u8,
}

fn s(t: u128, id: u64, parent: u64, start: u64) -> S {
    S { t, id, parent, start, links: Vec::new(), flags: 0 }
}

fn dataset(spans: &[S]) -> Dataset {
    let mut ds = Dataset::new();
    ds.files.push(FileInfo::new("test", Format::OtlpJson));
    for x in spans {
        let name = ds.intern(&format!("op{}", x.id));
        let svc = ds.intern("svc");
        let links: Vec<Link> = x
            .links
            .iter()
            .map(|&(t, sp)| Link {
                trace_id: TraceId(t),
                span_id: SpanId(sp),
                trace_state: None,
                flags: 0,
                kind: LinkKind::Link,
                attrs: Slice::default(),
            })
            .collect();
        let mut span =
            Span::new(TraceId(x.t), SpanId(x.id), SpanId(x.parent), x.start, x.start + 10, name, svc);
        span.links = ds.add_links(&links);
        span.flags = x.flags;
        ds.spans.push(span);
    }
    ds
}

fn idx(index: &Index, t: u128, id: u64) -> SpanIdx {
    index.find_span(TraceId(t), SpanId(id)).unwrap()
}

#[test]
fn children_in_start_order_and_waterfall_is_depth_first() {
    // Children listed before their parent and out of start order, as JSON Lines files do.
    let index = Index::build(dataset(&[s(1, 3, 1, 30), s(1, 2, 1, 20), s(1, 4, 2, 25), s(1, 1, 0, 10)]));
    let root = idx(&index, 1, 1);
    assert_eq!(index.children(root), &[idx(&index, 1, 2), idx(&index, 1, 3)]);
    let order: Vec<u64> = index.trace_spans(TraceIdx(0)).iter().map(|&x| index.span(x).span_id.0).collect();
    assert_eq!(order, vec![1, 2, 4, 3]);
    assert_eq!(index.depth(idx(&index, 1, 4)), 2);
    let info = &index.traces()[0];
    assert_eq!((info.spans, info.root, info.start, info.end), (4, root, 10, 40));
}

#[test]
fn orphans_are_roots_and_the_earliest_root_is_the_trace_root() {
    let index = Index::build(dataset(&[s(1, 2, 99, 5), s(1, 1, 0, 10)]));
    let orphan = idx(&index, 1, 2);
    assert!(index.is_orphan(orphan));
    assert_eq!(index.parent(orphan), None);
    assert_eq!(index.traces()[0].root, orphan);
}

#[test]
fn parent_cycles_and_self_parents_are_cut() {
    let index = Index::build(dataset(&[s(1, 1, 2, 0), s(1, 2, 3, 1), s(1, 3, 1, 2), s(1, 4, 4, 3)]));
    assert_eq!(index.trace_spans(TraceIdx(0)).len(), 4, "every span appears once in the waterfall");
    let cut: Vec<_> =
        (0..4).filter(|&i| index.index_flags(SpanIdx(i)) & index_flags::CYCLE_CUT != 0).collect();
    assert_eq!(cut.len(), 2, "one cut for the 3-cycle, one for the self parent");
}

#[test]
fn zipkin_shared_server_nests_under_its_client_twin() {
    let mut server = s(1, 5, 1, 12);
    server.flags = span_flags::SHARED;
    let index = Index::build(dataset(&[s(1, 1, 0, 0), s(1, 5, 1, 10), server, s(1, 6, 5, 14)]));
    let (client, server, child) = (SpanIdx(1), SpanIdx(2), SpanIdx(3));
    assert_eq!(index.parent(server), Some(client));
    assert_eq!(index.parent(child), Some(server));
    assert_eq!(index.find_span(TraceId(1), SpanId(5)), Some(server));
    assert_eq!(index.index_flags(server) & index_flags::DUPLICATE_ID, 0);
}

#[test]
fn several_server_halves_all_nest_under_the_client() {
    let shared = |start| S { flags: span_flags::SHARED, ..s(1, 5, 1, start) };
    let index = Index::build(dataset(&[s(1, 1, 0, 0), s(1, 5, 1, 10), shared(11), shared(12)]));
    assert_eq!(index.parent(SpanIdx(2)), Some(SpanIdx(1)));
    assert_eq!(index.parent(SpanIdx(3)), Some(SpanIdx(1)));
    assert_eq!(index.index_flags(SpanIdx(3)) & index_flags::DUPLICATE_ID, 0);
}

#[test]
fn plain_duplicate_ids_are_kept_and_flagged() {
    let index = Index::build(dataset(&[s(1, 1, 0, 0), s(1, 2, 1, 1), s(1, 2, 1, 2)]));
    assert_eq!(index.traces()[0].spans, 3);
    assert_ne!(index.index_flags(SpanIdx(2)) & index_flags::DUPLICATE_ID, 0);
    assert_eq!(index.find_span(TraceId(1), SpanId(2)), Some(SpanIdx(1)));
}

#[test]
fn links_resolve_both_ways_across_traces_and_dangling_ones_are_kept() {
    let mut consumer = s(2, 20, 0, 100);
    consumer.links = vec![(1, 10), (1, 99), (7, 1), (2, 20)];
    let index = Index::build(dataset(&[s(1, 10, 0, 0), consumer]));
    let (producer, consumer) = (idx(&index, 1, 10), idx(&index, 2, 20));
    let out: Vec<LinkTarget> = index.links_out(consumer).map(|l| index.link_target(l)).collect();
    let t1 = index.find_trace(TraceId(1)).unwrap();
    assert_eq!(
        out,
        vec![
            LinkTarget::Span(producer),
            LinkTarget::Missing { trace: Some(t1) },
            LinkTarget::Missing { trace: None },
            LinkTarget::Span(consumer),
        ]
    );
    assert_eq!(index.links_in(producer).len(), 1);
    assert_eq!(index.link_source(index.links_in(producer)[0]), consumer);
    assert_eq!(index.links_in(consumer).len(), 1, "self link is its own backlink");
    assert_eq!(index.unresolved_links().count(), 2);
    let t2 = index.find_trace(TraceId(2)).unwrap();
    let linked: Vec<TraceLink> = index.linked_traces(t2).collect();
    assert_eq!(linked, vec![TraceLink { other: t1, out: 2, r#in: 0 }]);
    let back: Vec<TraceLink> = index.linked_traces(t1).collect();
    assert_eq!(back, vec![TraceLink { other: t2, out: 0, r#in: 2 }]);
    assert_eq!((index.trace(t2).links_out, index.trace(t1).links_in), (4, 2));
}

#[test]
fn traces_are_ordered_by_start() {
    let index = Index::build(dataset(&[s(5, 1, 0, 300), s(3, 1, 0, 100), s(4, 1, 0, 200)]));
    let ids: Vec<u128> = index.traces().iter().map(|t| t.id.0).collect();
    assert_eq!(ids, vec![3, 4, 5]);
    assert_eq!(index.trace_of(SpanIdx(0)), TraceIdx(2));
}

#[test]
fn empty_dataset_builds() {
    let index = Index::build(Dataset::new());
    assert!(index.traces().is_empty());
    assert_eq!(index.unresolved_links().count(), 0);
}

/// Random forests over a few traces and a small id space, so duplicates, cycles, self parents,
/// self links, link cycles and dangling targets all occur.
fn arb_spans() -> impl Strategy<Value = Vec<S>> {
    let span = (
        0u128..3,
        1u64..12,
        0u64..12,
        0u64..50,
        prop::collection::vec((0u128..4, 0u64..13), 0..4),
        any::<bool>(),
    )
        .prop_map(|(t, id, parent, start, links, shared)| S {
            t,
            id,
            parent,
            start,
            links,
            flags: if shared { span_flags::SHARED } else { 0 },
        });
    prop::collection::vec(span, 0..40)
}

proptest! {
    #[test]
    fn every_link_is_indexed_once_each_way_and_walks_terminate(spans in arb_spans()) {
        let index = Index::build(dataset(&spans));
        // Waterfall covers every span exactly once.
        let mut seen = vec![0u32; index.span_count()];
        for t in 0..index.traces().len() {
            for &sp in index.trace_spans(TraceIdx(t as u32)) {
                seen[sp.get()] += 1;
                prop_assert_eq!(index.trace_of(sp), TraceIdx(t as u32));
            }
        }
        prop_assert!(seen.iter().all(|&c| c == 1));
        // Parent walks end within span_count steps.
        for sp in 0..index.span_count() {
            let mut cur = SpanIdx(sp as u32);
            let mut steps = 0;
            while let Some(p) = index.parent(cur) {
                cur = p;
                steps += 1;
                prop_assert!(steps <= index.span_count());
            }
        }
        // Each link: once in its source's out list; once in its target's in list or unresolved.
        for l in index.links() {
            let src = index.link_source(l);
            prop_assert_eq!(index.links_out(src).filter(|&x| x == l).count(), 1);
            match index.link_target(l) {
                LinkTarget::Span(t) => {
                    prop_assert_eq!(index.links_in(t).iter().filter(|&&x| x == l).count(), 1);
                    prop_assert_eq!(index.span(t).trace_id, index.link(l).trace_id);
                }
                LinkTarget::Missing { trace } => {
                    prop_assert!(index.find_span(index.link(l).trace_id, index.link(l).span_id).is_none());
                    prop_assert_eq!(trace, index.find_trace(index.link(l).trace_id));
                }
                LinkTarget::Pointer => prop_assert!(false, "no pointers generated"),
            }
        }
        let total_in: usize = (0..index.span_count()).map(|x| index.links_in(SpanIdx(x as u32)).len()).sum();
        prop_assert_eq!(total_in + index.unresolved_links().count(), index.link_count());
    }
}

#[test]
fn the_explorer_compacts_only_large_string_sets() {
    use crate::model::{Attr, Value};
    fn dataset(values: usize, len: usize) -> Dataset {
        let mut ds = Dataset::new();
        let (key, name) = (ds.intern("payload"), ds.intern("op"));
        for i in 0..values {
            let v = ds.intern(&format!("{i:08}{}", "x".repeat(len)));
            let mut span = Span::new(TraceId(1), SpanId(i as u64 + 1), SpanId(0), 0, 1, name, name);
            span.attrs = ds.add_attrs(&[Attr { key, value: Value::Str(v) }]);
            ds.spans.push(span);
        }
        ds
    }
    let mut small = Index::build(dataset(10, 100));
    assert!(!small.compact_if_large(), "a few kilobytes of strings stay as they are");
    assert!(
        !small
            .data
            .strings
            .is_cold(small.data.strings.get("00000003".to_owned() + &"x".repeat(100)).unwrap())
    );

    let per = 8 << 10;
    let mut large = Index::build(dataset(COMPACT_FROM_BYTES / per + 1, per));
    assert!(large.compact_if_large());
    let value = format!("{:08}{}", 7, "x".repeat(per));
    let sym = large.data.strings.get(&value).expect("still found after compaction");
    assert!(large.data.strings.is_cold(sym), "attribute values are compressed");
    assert_eq!(large.data.str(sym), value);
    assert!(!large.data.strings.is_cold(large.data.strings.get("payload").unwrap()), "keys stay plain");
}

// ---- Index::extend ----

/// A trace's spans from logical ids: parents are earlier spans of the trace (or an id that never
/// arrives), links name any span or trace (some never loaded), some ids come twice (a retry) or
/// as a Zipkin shared pair.
fn arb_growing() -> impl Strategy<Value = Vec<S>> {
    let span =
        (0u128..3, 1u64..10, 0u64..10, 0u64..50, prop::collection::vec((0u128..4, 1u64..12), 0..3), 0u8..10);
    prop::collection::vec(span, 1..40).prop_map(|raw| {
        let mut out = Vec::new();
        for (t, id, parent, start, links, extra) in raw {
            let parent = match parent {
                0 => 0,
                9 => 999,
                p if p < id => p,
                _ => 0,
            };
            let mut x = S {
                t: t + 1,
                id,
                parent,
                start,
                links: links.iter().map(|&(t, s)| (t + 1, s)).collect(),
                flags: 0,
            };
            out.push(x.clone());
            match extra {
                0 => out.push(S { start: start + 1, ..x.clone() }),
                1 => {
                    x.flags = span_flags::SHARED;
                    x.start += 2;
                    out.push(x);
                }
                _ => {}
            }
        }
        out
    })
}

/// Everything the index answers, by span and link index (the same in both indexes: spans keep
/// their load order) and by trace id (traces are numbered differently).
fn answers(index: &Index) -> Vec<String> {
    let tid = |t: TraceIdx| index.trace(t).id;
    let target = |l: LinkIdx| match index.link_target(l) {
        LinkTarget::Missing { trace } => format!("missing in {:?}", trace.map(tid)),
        other => format!("{other:?}"),
    };
    let mut out: Vec<String> = (0..index.span_count() as u32)
        .map(SpanIdx)
        .map(|s| {
            format!(
                "span {s:?} trace {} parent {:?} depth {} flags {} children {:?} in {:?}",
                tid(index.trace_of(s)),
                index.parent(s),
                index.depth(s),
                index.index_flags(s),
                index.children(s),
                index.links_in(s)
            )
        })
        .collect();
    out.extend(index.links().map(|l| format!("link {l:?} from {:?} to {}", index.link_source(l), target(l))));
    let mut traces: Vec<String> = (0..index.traces().len() as u32)
        .map(TraceIdx)
        .map(|t| {
            let info = index.trace(t);
            let mut linked: Vec<_> = index.linked_traces(t).map(|x| (tid(x.other), x.out, x.r#in)).collect();
            linked.sort();
            format!(
                "trace {} {}..{} spans {} errors {} out {} in {} root {:?} rows {:?} linked {linked:?}",
                info.id,
                info.start,
                info.end,
                info.spans,
                info.errors,
                info.links_out,
                info.links_in,
                info.root,
                index.trace_spans(t)
            )
        })
        .collect();
    traces.sort();
    out.extend(traces);
    out
}

proptest! {
    #[test]
    fn extending_batch_by_batch_answers_as_building_everything_at_once(
        spans in arb_growing(),
        order in prop::collection::vec(any::<u32>(), 80),
        cuts in prop::collection::vec(any::<u8>(), 0..4),
    ) {
        // Arrival order: shuffled, then cut into batches.
        let mut keyed: Vec<(u32, S)> = spans.into_iter().zip(order).map(|(s, k)| (k, s)).collect();
        keyed.sort_by_key(|(k, _)| *k);
        let spans: Vec<S> = keyed.into_iter().map(|(_, s)| s).collect();
        let mut bounds: Vec<usize> = cuts.iter().map(|&c| c as usize * spans.len() / 256).collect();
        bounds.push(spans.len());
        bounds.sort_unstable();
        let whole = Index::build(dataset(&spans));
        let mut grown = Index::build(dataset(&spans[..bounds[0]]));
        for pair in bounds.windows(2) {
            grown.extend(dataset(&spans[pair[0]..pair[1]]));
        }
        prop_assert_eq!(answers(&grown), answers(&whole));
    }
}

#[test]
fn extend_reports_new_and_touched_traces_and_bound_links() {
    let mut index = Index::build(dataset(&[S { links: vec![(2, 5)], ..s(1, 1, 0, 10) }]));
    assert_eq!(index.link_target(LinkIdx(0)), LinkTarget::Missing { trace: None });
    let growth = index.extend(dataset(&[s(1, 2, 1, 11), s(2, 5, 0, 5)]));
    assert_eq!(growth, Growth { new_traces: 1..2, touched: vec![TraceIdx(0), TraceIdx(1)], bound_links: 1 });
    assert_eq!(index.link_target(LinkIdx(0)), LinkTarget::Span(idx(&index, 2, 5)));
    assert_eq!(index.links_in(idx(&index, 2, 5)), &[LinkIdx(0)]);
    assert_eq!(index.children(idx(&index, 1, 1)), &[idx(&index, 1, 2)]);
    // Trace 2 started earlier but arrived later: it is numbered after trace 1.
    assert_eq!(index.trace(TraceIdx(1)).id, TraceId(2));
}
