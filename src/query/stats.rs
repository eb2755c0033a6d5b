//! Per-operation and per-service summary of a set of spans: what `weft stats` prints and the
//! explorer's `S` overlay shows. Percentiles are nearest-rank over span durations: p-th = the
//! value at rank ⌈p·n/100⌉ (1-based) of the n durations sorted ascending.

use super::self_time;
use crate::index::{Index, SpanIdx};
use crate::model::Sym;
use rustc_hash::FxHashMap;

/// One (service, span name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpStats {
    pub service: Sym,
    pub name: Sym,
    pub spans: u64,
    pub errors: u64,
    /// Sum of durations.
    pub total_ns: u64,
    /// Sum of self times (`query::self_time`).
    pub self_ns: u64,
    pub max_ns: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
}

/// One service: its operations summed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceStats {
    pub service: Sym,
    pub spans: u64,
    pub errors: u64,
    pub self_ns: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// By `self_ns` descending, then service and name.
    pub operations: Vec<OpStats>,
    /// By `self_ns` descending, then service.
    pub services: Vec<ServiceStats>,
    /// The durations of the traces summarised, added up: what "share" is a share of.
    pub traces_ns: u64,
}

/// The nearest-rank `p`-th percentile of ascending `sorted` (0 when empty).
pub fn percentile(sorted: &[u64], p: u64) -> u64 {
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).clamp(1, n.max(1));
    sorted.get(rank as usize - 1).copied().unwrap_or(0)
}

impl Stats {
    /// Summarises `spans`; `traces_ns` is the total time of the traces they come from.
    pub fn compute(index: &Index, spans: impl IntoIterator<Item = SpanIdx>, traces_ns: u64) -> Self {
        let mut durations: FxHashMap<(Sym, Sym), Vec<u64>> = FxHashMap::default();
        let mut ops: FxHashMap<(Sym, Sym), OpStats> = FxHashMap::default();
        for s in spans {
            let span = index.span(s);
            let d = span.duration();
            let own = self_time(index, s);
            let key = (span.service, span.name);
            let op = ops.entry(key).or_insert_with(|| OpStats {
                service: span.service,
                name: span.name,
                spans: 0,
                errors: 0,
                total_ns: 0,
                self_ns: 0,
                max_ns: 0,
                p50_ns: 0,
                p99_ns: 0,
            });
            op.spans += 1;
            op.errors += u64::from(span.is_error());
            op.total_ns = op.total_ns.saturating_add(d);
            op.self_ns = op.self_ns.saturating_add(own);
            op.max_ns = op.max_ns.max(d);
            durations.entry(key).or_default().push(d);
        }
        let mut services: FxHashMap<Sym, ServiceStats> = FxHashMap::default();
        let mut operations: Vec<OpStats> = ops
            .into_iter()
            .map(|(key, mut op)| {
                if let Some(ds) = durations.get_mut(&key) {
                    ds.sort_unstable();
                    op.p50_ns = percentile(ds, 50);
                    op.p99_ns = percentile(ds, 99);
                }
                let svc = services.entry(op.service).or_insert(ServiceStats {
                    service: op.service,
                    spans: 0,
                    errors: 0,
                    self_ns: 0,
                });
                svc.spans += op.spans;
                svc.errors += op.errors;
                svc.self_ns = svc.self_ns.saturating_add(op.self_ns);
                op
            })
            .collect();
        operations.sort_by(|a, b| {
            b.self_ns
                .cmp(&a.self_ns)
                .then_with(|| index.str(a.service).cmp(index.str(b.service)))
                .then_with(|| index.str(a.name).cmp(index.str(b.name)))
        });
        let mut services: Vec<ServiceStats> = services.into_values().collect();
        services.sort_by(|a, b| {
            b.self_ns.cmp(&a.self_ns).then_with(|| index.str(a.service).cmp(index.str(b.service)))
        });
        Self { operations, services, traces_ns }
    }

    /// `self_ns` as a share of the traces' time, in percent.
    pub fn share(&self, self_ns: u64) -> f64 {
        if self.traces_ns == 0 { 0.0 } else { self_ns as f64 * 100.0 / self.traces_ns as f64 }
    }
}
