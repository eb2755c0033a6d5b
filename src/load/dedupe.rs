//! The one duplicate-span policy of every loader (README "Duplicate spans"): within one input (a
//! file, stdin, one received batch), a span met more than once is one span sent twice (an SDK or
//! Collector retry, a dump taken twice), so one copy is kept, with a warning for each dropped
//! copy. Across inputs both copies are kept and the index flags the later one (`DUPLICATE_ID`):
//! two files are two sources, and weft shows what each holds.
//!
//! OTLP's readers run it themselves, to place each warning at the dropped copy's byte offset;
//! `parse_format` runs it for every other format. Zipkin merges the pieces of a span first, as
//! Zipkin does (`zipkin_json::merge`), and reports the exact copies among them the same way.

use crate::model::{Dataset, Span, SpanId, TraceId, span_flags};
use rustc_hash::FxHashMap;
use std::fmt;

/// A repeated copy of a span that `dedupe` dropped: its index before the drop, and its ids.
pub(crate) struct Retried {
    pub index: usize,
    pub trace_id: TraceId,
    pub span_id: SpanId,
}

impl fmt::Display for Retried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "span {}/{} appears more than once (an export retry?); kept the copy with the most \
             attributes, events and links",
            self.trace_id, self.span_id
        )
    }
}

/// Drops repeated copies of one span, keeping the copy with the most attributes + events +
/// links. Copies must agree on kind and service, and none may be a Zipkin `shared` half: the two
/// halves of a client/server span (one id), or several server halves answering one client (a
/// fan-out), are different spans. Returns the dropped copies, in input order, to warn about.
pub(crate) fn dedupe(ds: &mut Dataset) -> Vec<Retried> {
    let n = ds.spans.len();
    let mut dropped: Vec<Retried> = Vec::new();
    if n < 2 {
        return dropped;
    }
    let mut seen: FxHashMap<(TraceId, SpanId), usize> = FxHashMap::default();
    seen.reserve(n);
    for i in 0..n {
        let s = ds.spans[i];
        let first = *seen.entry((s.trace_id, s.span_id)).or_insert(i);
        if first == i {
            continue;
        }
        let kept = ds.spans[first];
        let shared = |s: &Span| s.has_flag(span_flags::SHARED);
        if kept.kind != s.kind || kept.service != s.service || shared(&kept) || shared(&s) {
            continue;
        }
        let richness = |s: &Span| u64::from(s.attrs.len) + u64::from(s.events.len) + u64::from(s.links.len);
        if richness(&s) > richness(&kept) {
            ds.spans[first] = s;
        }
        dropped.push(Retried { index: i, trace_id: s.trace_id, span_id: s.span_id });
    }
    // The dropped copies' links (and a replaced first copy's) go with them.
    let indices: Vec<usize> = dropped.iter().map(|d| d.index).collect();
    ds.remove_spans(&indices);
    dropped
}

/// `dedupe` for a loader that keeps no position per span: each warning names the dropped copy's
/// place among the spans read instead.
pub(crate) fn dedupe_unlocated(ds: &mut Dataset) {
    let dropped = dedupe(ds);
    if let Some(file) = ds.files.first_mut() {
        for d in dropped {
            file.warn(crate::model::Location::Unknown, format!("{d} (dropped: span #{} read)", d.index + 1));
        }
    }
}
