//! Checks that hold for every dataset a loader returns and every index built over it, whatever
//! the input. Shared by the fuzz targets (`fuzz/src/lib.rs`) and `tests/hostile.rs` (which
//! includes this file with `#[path]`), so a fuzz finding and its regression test assert the same.
//!
//! Each check panics with a message naming what broke; a panic is what the fuzzer reports.

use weft::index::{Index, LinkTarget, SpanIdx, TraceIdx};
use weft::model::{Dataset, Slice, Value};

/// How deep `check_value` follows nested arrays/maps before deciding the nesting is a bug: no
/// loader should produce values deeper than JSON's own recursion limit (128).
pub const MAX_VALUE_DEPTH: usize = 256;

fn in_range(slice: Slice, len: usize, what: &str) {
    let end = slice.start as usize + slice.len as usize;
    assert!(end <= len, "{what} slice {slice:?} beyond its arena of {len}");
}

fn check_sym(ds: &Dataset, sym: weft::model::Sym, what: &str) {
    let i = lasso::Key::into_usize(sym);
    assert!(i < ds.strings.len(), "{what}: symbol {i} not in the interner of {}", ds.strings.len());
}

fn check_value(ds: &Dataset, v: Value, depth: usize) {
    assert!(depth <= MAX_VALUE_DEPTH, "attribute values nested deeper than {MAX_VALUE_DEPTH}");
    match v {
        Value::Str(s) | Value::Bytes(s) => check_sym(ds, s, "value"),
        Value::Array(sl) => {
            in_range(sl, ds.values.len(), "array");
            for item in ds.values_of(sl) {
                check_value(ds, item, depth + 1);
            }
        }
        Value::Map(sl) => check_attrs(ds, sl, depth + 1),
        Value::Empty | Value::Bool(_) | Value::Int(_) | Value::Double(_) => {}
    }
}

fn check_attrs(ds: &Dataset, sl: Slice, depth: usize) {
    in_range(sl, ds.attrs.len(), "attrs");
    for a in ds.attrs_of(sl) {
        check_sym(ds, a.key, "attribute key");
        check_value(ds, a.value, depth);
    }
}

/// Every span, slice, symbol and index in `ds` points at something that exists, and the
/// model's promises hold (end never before start, skip counts match kept reasons).
pub fn check_dataset(ds: &Dataset) {
    for f in &ds.files {
        let skipped_reasons = f.warnings.iter().filter(|w| w.skipped).count();
        assert!(skipped_reasons <= f.skipped, "more skip reasons than skips in {}", f.path);
        if f.skipped > 0 {
            assert!(skipped_reasons > 0, "{} records skipped with no reason kept", f.skipped);
        }
    }
    for r in &ds.resources {
        check_attrs(ds, r.attrs, 0);
    }
    for s in &ds.scopes {
        check_attrs(ds, s.attrs, 0);
        for sym in [s.name, s.version].into_iter().flatten() {
            check_sym(ds, sym, "scope");
        }
    }
    for (i, span) in ds.spans.iter().enumerate() {
        assert!(span.end >= span.start, "span {i}: end {} before start {}", span.end, span.start);
        assert!((span.file as usize) < ds.files.len(), "span {i}: file {} of {}", span.file, ds.files.len());
        assert!((span.resource.0 as usize) < ds.resources.len(), "span {i}: resource out of range");
        assert!((span.scope.0 as usize) < ds.scopes.len(), "span {i}: scope out of range");
        check_sym(ds, span.name, "span name");
        check_sym(ds, span.service, "span service");
        for sym in [span.status_message, span.trace_state].into_iter().flatten() {
            check_sym(ds, sym, "span text");
        }
        check_attrs(ds, span.attrs, 0);
        in_range(span.events, ds.events.len(), "events");
        for e in ds.events_of(span.events) {
            check_sym(ds, e.name, "event name");
            check_attrs(ds, e.attrs, 0);
        }
        in_range(span.links, ds.links.len(), "links");
        for l in ds.links_of(span.links) {
            check_attrs(ds, l.attrs, 0);
            if let Some(ts) = l.trace_state {
                check_sym(ds, ts, "link tracestate");
            }
        }
    }
    // The index numbers links by position: each must belong to exactly one span, span after span
    // (a de-duplicated copy's links must go with it).
    assert!(ds.links_tiled(), "links not tiled by the spans' slices (a link without a source span?)");
}

/// Builds the index and walks every trace, span and link in both directions, checking that the
/// tree is a forest covering every span once and that links_out and links_in mirror each other.
/// Returns the number of spans walked (so callers can compare with what they loaded).
pub fn check_index(index: &Index) -> usize {
    let n = index.span_count();
    let mut seen = vec![false; n];
    let mut walked = 0usize;
    for (t, info) in index.traces().iter().enumerate() {
        let t = TraceIdx(u32::try_from(t).expect("trace count fits u32"));
        let spans = index.trace_spans(t);
        assert_eq!(spans.len(), info.spans as usize, "trace {t:?}: span count");
        assert!(info.start <= info.end || spans.is_empty(), "trace {t:?}: start after end");
        assert_eq!(index.find_trace(info.id), Some(t), "trace id lookup");
        for &s in spans {
            assert!(!seen[s.get()], "span {s:?} appears twice in the waterfall");
            seen[s.get()] = true;
            walked += 1;
            assert_eq!(index.trace_of(s), t, "span {s:?} in the wrong trace");
            match index.parent(s) {
                Some(p) => {
                    assert_eq!(index.trace_of(p), t, "parent in another trace");
                    assert!(index.children(p).contains(&s), "parent does not list child");
                    assert_eq!(
                        index.depth(s),
                        index.depth(p).saturating_add(1),
                        "depth of {s:?} is not its parent's plus one"
                    );
                }
                None => assert_eq!(index.depth(s), 0, "root {s:?} not at depth 0"),
            }
            for &c in index.children(s) {
                assert_eq!(index.parent(c), Some(s), "child does not name its parent");
            }
            for l in index.links_out(s) {
                assert_eq!(index.link_source(l), s, "link source");
                if let LinkTarget::Span(target) = index.link_target(l) {
                    assert!(index.links_in(target).contains(&l), "link {l:?} missing from links_in");
                }
            }
            for &l in index.links_in(s) {
                assert_eq!(index.link_target(l), LinkTarget::Span(s), "backlink {l:?} target");
            }
            // Name and service must resolve (rendering reads them for every row).
            let _ = (index.name(s), index.service(s));
        }
        let mut out_total = 0u32;
        for tl in index.linked_traces(t) {
            assert_ne!(tl.other, t, "a trace listed as linked to itself");
            let back =
                index.linked_traces(tl.other).find(|x| x.other == t).expect("linked_traces is symmetric");
            assert_eq!((back.out, back.r#in), (tl.r#in, tl.out), "linked trace counts mirror");
            out_total += tl.out;
        }
        assert!(out_total <= info.links_out, "more cross-trace links than links out");
    }
    assert_eq!(walked, n, "every span is in exactly one trace's waterfall");
    for l in index.links() {
        let source = index.link_source(l);
        assert!(source.get() < n, "link {l:?} has no source span");
        assert!(index.links_out(source).any(|x| x == l), "link {l:?} not among its source's links");
    }
    let backlinks: usize = (0..n).map(|i| index.links_in(SpanIdx(i as u32)).len()).sum();
    let resolved = index.links().filter(|&l| matches!(index.link_target(l), LinkTarget::Span(_))).count();
    assert_eq!(backlinks, resolved, "every resolved link is one backlink");
    walked
}
