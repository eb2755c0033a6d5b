//! The Zipkin loader's last step, on the whole file's spans: what Zipkin itself does to a trace
//! before showing it (`zipkin2.internal.Trace.merge`), and the placing of spans that have no
//! `timestamp`.
//!
//! - A trace whose spans carry both the 64-bit and the 128-bit form of its id (tracers that pass
//!   on only the low half) is one trace: the short ids take the long one, as links to them do.
//! - Pieces of one span (same id, same `shared`, endpoints that do not disagree as Zipkin's
//!   `EndpointTracker` checks, and, unlike Zipkin, no two kinds or starts; see `may_be_one`) are merged into the first in Zipkin's order (unshared before shared,
//!   clients first, pieces without an endpoint first): missing fields are filled from the later
//!   pieces, their tags win, annotations and links are added. A kind-less fragment that only
//!   carries a late annotation thus joins its half of a client/server pair instead of standing
//!   beside it as a childless duplicate.
//! - Like Zipkin, a SERVER half without `shared` next to a CLIENT half with its id is marked
//!   shared, and a shared half without a parent id takes its client's.
//! - A span still without a timestamp is flagged `UNTIMED` (the index leaves it out of its
//!   trace's bounds) and drawn at its parent's start, else at its trace's earliest start.

use crate::load::dedupe::Retried;
use crate::model::{
    Attr, Dataset, Event, Link, Span, SpanId, SpanKind, StatusCode, TraceId, UNKNOWN_SERVICE, Value,
    span_flags,
};
use rustc_hash::FxHashMap;

/// Runs every step above on `ds` (one file's spans, in file order, its `FileInfo` filed).
pub(super) fn finish(ds: &mut Dataset) {
    join_trace_ids(ds);
    let copies = merge_pieces(ds);
    if let Some(file) = ds.files.first_mut() {
        // Exact copies are retries, reported as every format reports them (`load::dedupe`).
        for c in copies {
            file.warn(crate::model::Location::Unknown, c.to_string());
        }
    }
    for s in &mut ds.spans {
        // The loader leaves a span without `kind` unspecified so the merge can fill it in.
        if s.kind == SpanKind::Unspecified {
            s.kind = SpanKind::Internal;
        }
    }
    place_untimed(ds);
}

/// Gives 64-bit trace ids the 128-bit id whose low half they are, when exactly one such id is in
/// the file (two would be two traces a 64-bit id cannot choose between).
fn join_trace_ids(ds: &mut Dataset) {
    let is_short = |t: TraceId| t.0 >> 64 == 0;
    if !ds.spans.iter().any(|s| is_short(s.trace_id)) || ds.spans.iter().all(|s| is_short(s.trace_id)) {
        return;
    }
    // Low half → the one long id with it, or `None` once a second one is seen.
    let mut long: FxHashMap<u64, Option<TraceId>> = FxHashMap::default();
    for s in ds.spans.iter().filter(|s| !is_short(s.trace_id)) {
        long.entry(s.trace_id.0 as u64)
            .and_modify(|t| {
                if *t != Some(s.trace_id) {
                    *t = None;
                }
            })
            .or_insert(Some(s.trace_id));
    }
    let longer = |t: TraceId| if is_short(t) { long.get(&(t.0 as u64)).copied().flatten() } else { None };
    for s in &mut ds.spans {
        if let Some(t) = longer(s.trace_id) {
            s.trace_id = t;
        }
    }
    for l in &mut ds.links {
        if let Some(t) = longer(l.trace_id) {
            l.trace_id = t;
        }
    }
}

/// What Zipkin's `EndpointTracker` compares: a piece whose local endpoint names another service,
/// address or port than the pieces merged so far is another span (the server half of a pair
/// without `shared`, say), not a piece of this one.
#[derive(Default)]
struct Endpoint {
    service: Option<crate::model::Sym>,
    ip: Option<Value>,
    port: Option<Value>,
}

impl Endpoint {
    fn of(ds: &Dataset, i: usize) -> Self {
        let s = &ds.spans[i];
        let service = Some(s.service).filter(|&v| ds.str(v) != UNKNOWN_SERVICE);
        Self {
            service,
            ip: ds.find_attr(s.attrs, "net.host.ip"),
            port: ds.find_attr(s.attrs, "net.host.port"),
        }
    }

    fn is_empty(&self) -> bool {
        self.service.is_none() && self.ip.is_none() && self.port.is_none()
    }

    /// Whether `other` does not disagree with what is known so far; if so, it adds what it knows.
    fn try_merge(&mut self, other: Self) -> bool {
        fn agrees<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
            a.zip(b).is_none_or(|(a, b)| a == b)
        }
        if !(agrees(self.service, other.service)
            && agrees(self.ip, other.ip)
            && agrees(self.port, other.port))
        {
            return false;
        }
        self.service = self.service.or(other.service);
        self.ip = self.ip.or(other.ip);
        self.port = self.port.or(other.port);
        true
    }
}

/// Merges the pieces of each span and backfills `shared` and parents, as `Trace.merge` does.
/// Returns the pieces that were copies of the span they merged into (the same start and kind).
fn merge_pieces(ds: &mut Dataset) -> Vec<Retried> {
    let mut first: FxHashMap<(TraceId, SpanId), u32> = FxHashMap::default();
    first.reserve(ds.spans.len());
    // Ids carried by more than one span, each with its spans in file order (rare).
    let mut groups: FxHashMap<(TraceId, SpanId), Vec<usize>> = FxHashMap::default();
    for (i, s) in ds.spans.iter().enumerate() {
        let key = (s.trace_id, s.span_id);
        let head = *first.entry(key).or_insert(i as u32) as usize;
        if head != i {
            groups.entry(key).or_insert_with(|| vec![head]).push(i);
        }
    }
    if groups.is_empty() {
        return Vec::new();
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    // File order, so the merged arenas are built the same way every time.
    groups.sort_unstable_by_key(|g| g[0]);
    let mut dropped = Vec::new();
    let mut copies = Vec::new();
    for mut members in groups {
        sort_like_zipkin(ds, &mut members);
        let mut last: Option<usize> = None;
        let mut i = 0;
        while i < members.len() {
            let head = members[i];
            // The pieces that merge into `head`: taken while each fits what is merged so far,
            // then merged at once (pairwise merging would rebuild the arenas per piece).
            let mut acc = ds.spans[head];
            let mut endpoint = Endpoint::of(ds, head);
            let mut run = i + 1;
            while let Some(&next) = members.get(run) {
                let piece = ds.spans[next];
                if acc.has_flag(span_flags::SHARED) != piece.has_flag(span_flags::SHARED)
                    || !may_be_one(&acc, &piece)
                    || !endpoint.try_merge(Endpoint::of(ds, next))
                {
                    break;
                }
                let timed = |s: &Span| !s.has_flag(span_flags::UNTIMED);
                if timed(&acc) && timed(&piece) && acc.kind == piece.kind {
                    copies.push(Retried { index: next, trace_id: piece.trace_id, span_id: piece.span_id });
                }
                fold(ds, &mut acc, &piece);
                run += 1;
            }
            if run > i + 1 {
                merge_arenas(ds, &mut acc, &members[i..run]);
                ds.spans[head] = acc;
                dropped.extend_from_slice(&members[i + 1..run]);
            }
            if let Some(last) = last {
                backfill_shared(ds, last, head);
            }
            last = Some(head);
            i = run;
        }
    }
    dropped.sort_unstable();
    ds.remove_spans(&dropped);
    copies.sort_unstable_by_key(|c| c.index);
    copies
}

/// Where weft is more careful than Zipkin: pieces of one span do not disagree on their kind or
/// their start. Zipkin would also fold, say, five SERVER halves of one fan-out on one host into
/// one and keep only the first one's times; weft keeps them as the spans they are.
fn may_be_one(a: &Span, b: &Span) -> bool {
    let kinds = a.kind == b.kind || a.kind == SpanKind::Unspecified || b.kind == SpanKind::Unspecified;
    let timed = |s: &Span| !s.has_flag(span_flags::UNTIMED);
    kinds && !(timed(a) && timed(b) && a.start != b.start)
}

/// Zipkin's `CLEANUP_COMPARATOR` within one id: unshared first, clients first among them, then
/// pieces without a local endpoint, then by service name; ties keep file order.
fn sort_like_zipkin(ds: &Dataset, members: &mut [usize]) {
    // Stable: equal pieces keep file order.
    members.sort_by_cached_key(|&i| {
        let s = &ds.spans[i];
        let endpoint = Endpoint::of(ds, i);
        // Zipkin sorts a missing service name after any name.
        let service = endpoint.service.map(|v| ds.str(v).to_owned());
        (
            s.has_flag(span_flags::SHARED),
            s.kind != SpanKind::Client,
            !endpoint.is_empty(),
            service.is_none(),
            service,
        )
    });
}

/// `Span.Builder.merge` for the span's own fields: fills what `m` lacks from the later piece `b`
/// (its arenas are `merge_arenas`'s).
fn fold(ds: &Dataset, m: &mut Span, b: &Span) {
    if m.parent_id.is_zero() {
        m.parent_id = b.parent_id;
    }
    if m.kind == SpanKind::Unspecified {
        m.kind = b.kind;
    }
    if ds.str(m.name).is_empty() {
        m.name = b.name;
    }
    if ds.str(m.service) == UNKNOWN_SERVICE {
        (m.service, m.resource) = (b.service, b.resource);
    }
    // Zipkin fills the timestamp and the duration separately.
    let timed = |s: &Span| !s.has_flag(span_flags::UNTIMED);
    let start = if timed(m) || !timed(b) { m.start } else { b.start };
    let duration = if m.duration() > 0 { m.duration() } else { b.duration() };
    let untimed = !timed(m) && !timed(b);
    m.start = start;
    m.end = start.saturating_add(duration);
    m.flags = (m.flags | b.flags) & !span_flags::UNTIMED;
    if untimed {
        m.flags |= span_flags::UNTIMED;
    }
    if b.is_error() || m.status == StatusCode::Unset {
        m.status = b.status;
    }
    m.status_message = m.status_message.or(b.status_message);
    m.trace_state = m.trace_state.or(b.trace_state);
    if m.scope == crate::model::ScopeIdx::default() {
        m.scope = b.scope;
    }
    m.w3c_flags |= b.w3c_flags;
}

/// The merged span's tags (a later piece's value wins), annotations (in time order, equal ones
/// once, as Zipkin keeps them) and links (each target once), from all of `pieces` at once.
fn merge_arenas(ds: &mut Dataset, m: &mut Span, pieces: &[usize]) {
    let spans: Vec<Span> = pieces.iter().map(|&p| ds.spans[p]).collect();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut attrs: Vec<Attr> = Vec::new();
    for s in spans.iter().rev() {
        let own: Vec<Attr> = ds.attrs_of(s.attrs).filter(|a| seen.insert(a.key)).collect();
        attrs.extend(own.into_iter().rev());
    }
    attrs.reverse();
    m.attrs = ds.add_attrs(&attrs);

    let mut events: Vec<Event> = spans.iter().flat_map(|s| ds.events_of(s.events)).copied().collect();
    events.sort_by_key(|e| e.time);
    events.dedup_by(|x, y| x.time == y.time && x.name == y.name && x.attrs.is_empty() && y.attrs.is_empty());
    m.events = ds.add_events(&events);

    let mut targets = rustc_hash::FxHashSet::default();
    let links: Vec<Link> = spans
        .iter()
        .flat_map(|s| ds.links_of(s.links))
        .filter(|l| targets.insert((l.trace_id, l.span_id)))
        .copied()
        .collect();
    m.links = ds.add_links(&links);
}

/// Zipkin's repairs of a pair: a SERVER half next to a CLIENT half with its id is shared even
/// when its instrumentation did not say so, and a shared half missing its parent takes the client's.
fn backfill_shared(ds: &mut Dataset, last: usize, span: usize) {
    let client = ds.spans[last];
    let s = &mut ds.spans[span];
    if client.kind == SpanKind::Client && s.kind == SpanKind::Server {
        s.flags |= span_flags::SHARED;
    }
    if s.has_flag(span_flags::SHARED) && s.parent_id.is_zero() {
        s.parent_id = client.parent_id;
    }
}

/// Puts each span without a timestamp at its parent's start when the parent has one, else at the
/// earliest start in its trace, keeping its duration; it stays flagged `UNTIMED`.
fn place_untimed(ds: &mut Dataset) {
    let untimed = |s: &Span| s.has_flag(span_flags::UNTIMED);
    if !ds.spans.iter().any(untimed) {
        return;
    }
    let mut starts: FxHashMap<(TraceId, SpanId), u64> = FxHashMap::default();
    let mut earliest: FxHashMap<TraceId, u64> = FxHashMap::default();
    for s in ds.spans.iter().filter(|s| !untimed(s)) {
        // Children of a client/server pair's id hang under its shared (server) half.
        let start = starts.entry((s.trace_id, s.span_id)).or_insert(s.start);
        if s.has_flag(span_flags::SHARED) {
            *start = s.start;
        }
        let e = earliest.entry(s.trace_id).or_insert(s.start);
        *e = (*e).min(s.start);
    }
    for s in ds.spans.iter_mut().filter(|s| untimed(s)) {
        let anchor = starts.get(&(s.trace_id, s.parent_id)).or_else(|| earliest.get(&s.trace_id));
        if let Some(&at) = anchor {
            let duration = s.duration();
            s.start = at;
            s.end = at.saturating_add(duration);
        }
    }
}
