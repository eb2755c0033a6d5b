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
            let span = members[i];
            let mut endpoint = Endpoint::of(ds, span);
            while let Some(&next) = members.get(i + 1) {
                let shared = |s: usize| ds.spans[s].has_flag(span_flags::SHARED);
                if shared(span) != shared(next)
                    || !may_be_one(&ds.spans[span], &ds.spans[next])
                    || !endpoint.try_merge(Endpoint::of(ds, next))
                {
                    break;
                }
                let (a, b) = (&ds.spans[span], &ds.spans[next]);
                if !a.has_flag(span_flags::UNTIMED) && !b.has_flag(span_flags::UNTIMED) && a.kind == b.kind {
                    copies.push(Retried { index: next, trace_id: b.trace_id, span_id: b.span_id });
                }
                merge_into(ds, span, next);
                dropped.push(next);
                members.remove(i + 1);
            }
            if let Some(last) = last {
                backfill_shared(ds, last, span);
            }
            last = Some(span);
            i += 1;
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
/// pieces without a local endpoint, then by service name and address; ties keep file order.
fn sort_like_zipkin(ds: &Dataset, members: &mut [usize]) {
    members.sort_by(|&a, &b| {
        let rank = |i: usize| {
            let s = &ds.spans[i];
            (s.has_flag(span_flags::SHARED), s.kind != SpanKind::Client)
        };
        let (ea, eb) = (Endpoint::of(ds, a), Endpoint::of(ds, b));
        rank(a).cmp(&rank(b)).then_with(|| (!ea.is_empty()).cmp(&!eb.is_empty())).then_with(|| {
            // Zipkin sorts a missing name after any name.
            let name = |e: &Endpoint| e.service.map(|v| ds.str(v));
            match (name(&ea), name(&eb)) {
                (Some(x), Some(y)) => x.cmp(y),
                (x, y) => x.is_none().cmp(&y.is_none()),
            }
        })
    });
}

/// `Span.Builder.merge`: fills what `into` lacks from `from`; `from`'s tags win, its annotations
/// and links are added.
fn merge_into(ds: &mut Dataset, into: usize, from: usize) {
    let (a, b) = (ds.spans[into], ds.spans[from]);
    let mut m = a;
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
    let start = if timed(&a) { a.start } else { b.start };
    let duration = if a.duration() > 0 { a.duration() } else { b.duration() };
    m.start = start;
    m.end = start.saturating_add(duration);
    m.flags = (a.flags | b.flags) & !span_flags::UNTIMED;
    if !timed(&a) && !timed(&b) {
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

    let mut attrs: Vec<Attr> = ds.attrs_of(b.attrs).collect();
    let later: Vec<_> = attrs.iter().map(|x| x.key).collect();
    attrs.splice(0..0, ds.attrs_of(a.attrs).filter(|x| !later.contains(&x.key)));
    m.attrs = ds.add_attrs(&attrs);

    let mut events: Vec<Event> =
        ds.events_of(a.events).iter().chain(ds.events_of(b.events)).copied().collect();
    events.sort_by_key(|e| e.time);
    // Zipkin keeps one of equal annotations (the same time and value).
    events.dedup_by(|x, y| x.time == y.time && x.name == y.name && x.attrs.is_empty() && y.attrs.is_empty());
    m.events = ds.add_events(&events);

    let mut links: Vec<Link> = ds.links_of(a.links).to_vec();
    for l in ds.links_of(b.links) {
        if !links.iter().any(|k| k.trace_id == l.trace_id && k.span_id == l.span_id) {
            links.push(*l);
        }
    }
    m.links = ds.add_links(&links);
    ds.spans[into] = m;
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
