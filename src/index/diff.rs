//! Two traces of the `Index` → their aligned span trees (`TraceDiff`), for `weft diff` and the
//! explorer's diff view (`D`). Spans are matched by their path of (service, name) from the root,
//! counting equal siblings in start order: the second `SELECT` under a handler in A pairs with the
//! second `SELECT` under the matching handler in B. What has no partner is only-in-A or only-in-B,
//! and so is everything below it.

use super::{Index, SpanIdx, TraceIdx};
use crate::model::Sym;
use rustc_hash::FxHashMap;

/// One line of the merged tree: a span of A, of B, or a matched pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiffRow {
    pub depth: u16,
    pub a: Option<SpanIdx>,
    pub b: Option<SpanIdx>,
}

/// Totals of one (service, name) in each trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    pub service: Sym,
    pub name: Sym,
    pub count_a: u64,
    pub count_b: u64,
    pub total_a_ns: u64,
    pub total_b_ns: u64,
}

impl Operation {
    pub fn delta_ns(&self) -> i64 {
        signed_delta(self.total_a_ns, self.total_b_ns)
    }
}

/// The merged tree of trace `a` and trace `b` in tree order, and the per-operation totals, the
/// largest change first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceDiff {
    pub a: TraceIdx,
    pub b: TraceIdx,
    pub rows: Vec<DiffRow>,
    pub operations: Vec<Operation>,
}

/// `b - a` in nanoseconds, saturating at the ends of `i64`.
pub fn signed_delta(a: u64, b: u64) -> i64 {
    let d = i128::from(b) - i128::from(a);
    i64::try_from(d).unwrap_or(if d > 0 { i64::MAX } else { i64::MIN })
}

impl DiffRow {
    /// `b - a` for a matched pair.
    pub fn delta_ns(&self, index: &Index) -> Option<i64> {
        match (self.a, self.b) {
            (Some(a), Some(b)) => Some(signed_delta(index.span(a).duration(), index.span(b).duration())),
            _ => None,
        }
    }

    /// The span the row stands for in the explorer: B's (the open trace's) when it has one.
    pub fn span(&self) -> Option<SpanIdx> {
        self.b.or(self.a)
    }
}

impl TraceDiff {
    pub fn build(index: &Index, a: TraceIdx, b: TraceIdx) -> Self {
        let roots = |t| -> Vec<SpanIdx> {
            index.trace_spans(t).iter().copied().filter(|&s| index.parent(s).is_none()).collect()
        };
        let mut rows = Vec::with_capacity(index.trace_spans(a).len().max(index.trace_spans(b).len()));
        // Depth-first with an explicit stack: a chain of a million spans must not overflow it.
        let mut stack: Vec<DiffRow> = align(index, &roots(a), &roots(b), 0);
        stack.reverse();
        while let Some(row) = stack.pop() {
            rows.push(row);
            let kids = |s: Option<SpanIdx>| s.map_or(&[][..], |s| index.children(s));
            let mut next = align(index, kids(row.a), kids(row.b), row.depth.saturating_add(1));
            next.reverse();
            stack.append(&mut next);
        }
        let operations = operations(index, &rows);
        Self { a, b, rows, operations }
    }

    pub fn matched(&self) -> impl Iterator<Item = &DiffRow> {
        self.rows.iter().filter(|r| r.a.is_some() && r.b.is_some())
    }

    pub fn only_a(&self) -> impl Iterator<Item = SpanIdx> + '_ {
        self.rows.iter().filter(|r| r.b.is_none()).filter_map(|r| r.a)
    }

    pub fn only_b(&self) -> impl Iterator<Item = SpanIdx> + '_ {
        self.rows.iter().filter(|r| r.a.is_none()).filter_map(|r| r.b)
    }
}

fn key(index: &Index, s: SpanIdx) -> (Sym, Sym) {
    let span = index.span(s);
    (span.service, span.name)
}

/// Pairs the n-th span of each (service, name) among `xs` with the n-th among `ys`. The result
/// follows `xs`; a span of `ys` without a partner comes just before the first pair whose `ys`
/// span follows it, so both sides keep their start order where they can.
fn align(index: &Index, xs: &[SpanIdx], ys: &[SpanIdx], depth: u16) -> Vec<DiffRow> {
    let mut by_key: FxHashMap<(Sym, Sym), Vec<usize>> = FxHashMap::default();
    for (i, &y) in ys.iter().enumerate() {
        by_key.entry(key(index, y)).or_default().push(i);
    }
    let mut seen: FxHashMap<(Sym, Sym), usize> = FxHashMap::default();
    let mut taken = vec![false; ys.len()];
    let partner: Vec<Option<usize>> = xs
        .iter()
        .map(|&x| {
            let k = key(index, x);
            let n = seen.entry(k).or_default();
            let found = by_key.get(&k).and_then(|v| v.get(*n)).copied();
            *n += 1;
            if let Some(j) = found {
                taken[j] = true;
            }
            found
        })
        .collect();
    let mut out = Vec::with_capacity(xs.len().max(ys.len()));
    let mut next_y = 0;
    let flush_until = |out: &mut Vec<DiffRow>, end: usize, next_y: &mut usize| {
        while *next_y < end.min(ys.len()) {
            if !taken[*next_y] {
                out.push(DiffRow { depth, a: None, b: Some(ys[*next_y]) });
            }
            *next_y += 1;
        }
    };
    for (&x, p) in xs.iter().zip(&partner) {
        if let Some(j) = *p {
            flush_until(&mut out, j, &mut next_y);
        }
        out.push(DiffRow { depth, a: Some(x), b: p.map(|j| ys[j]) });
    }
    flush_until(&mut out, ys.len(), &mut next_y);
    out
}

/// Count and total duration of each (service, name) on both sides, the largest absolute change
/// first (then by service and name, so the order is stable).
fn operations(index: &Index, rows: &[DiffRow]) -> Vec<Operation> {
    let mut ops: FxHashMap<(Sym, Sym), Operation> = FxHashMap::default();
    let mut add = |s: SpanIdx, side_a: bool| {
        let (service, name) = key(index, s);
        let op = ops.entry((service, name)).or_insert(Operation {
            service,
            name,
            count_a: 0,
            count_b: 0,
            total_a_ns: 0,
            total_b_ns: 0,
        });
        let d = index.span(s).duration();
        if side_a {
            op.count_a += 1;
            op.total_a_ns = op.total_a_ns.saturating_add(d);
        } else {
            op.count_b += 1;
            op.total_b_ns = op.total_b_ns.saturating_add(d);
        }
    };
    for r in rows {
        if let Some(a) = r.a {
            add(a, true);
        }
        if let Some(b) = r.b {
            add(b, false);
        }
    }
    let mut ops: Vec<Operation> = ops.into_values().collect();
    ops.sort_by(|x, y| {
        y.delta_ns()
            .unsigned_abs()
            .cmp(&x.delta_ns().unsigned_abs())
            .then_with(|| index.str(x.service).cmp(index.str(y.service)))
            .then_with(|| index.str(x.name).cmp(index.str(y.name)))
    });
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dataset, Span, SpanId, TraceId};

    /// (trace, span, parent, service, name, start, end)
    type S<'a> = (u128, u64, u64, &'a str, &'a str, u64, u64);

    fn index(spans: &[S<'_>]) -> Index {
        let mut ds = Dataset::new();
        for &(t, s, p, service, name, start, end) in spans {
            let (service, name) = (ds.intern(service), ds.intern(name));
            ds.spans.push(Span::new(TraceId(t), SpanId(s), SpanId(p), start, end, name, service));
        }
        Index::build(ds)
    }

    fn shape(index: &Index, d: &TraceDiff) -> Vec<(u16, Option<u64>, Option<u64>)> {
        let id = |s: Option<SpanIdx>| s.map(|s| index.span(s).span_id.0);
        d.rows.iter().map(|r| (r.depth, id(r.a), id(r.b))).collect()
    }

    #[test]
    fn equal_siblings_pair_by_occurrence_and_unmatched_subtrees_stay_on_their_side() {
        let index = index(&[
            (1, 1, 0, "api", "GET", 0, 100),
            (1, 2, 1, "db", "SELECT", 10, 20),
            (1, 3, 1, "db", "SELECT", 30, 40),
            (1, 4, 1, "cache", "MGET", 50, 60),
            (1, 5, 4, "cache", "connect", 51, 52),
            (2, 11, 0, "api", "GET", 0, 130),
            (2, 12, 11, "auth", "check", 5, 8),
            (2, 13, 11, "db", "SELECT", 10, 20),
            (2, 14, 11, "db", "SELECT", 30, 70),
        ]);
        let d = TraceDiff::build(&index, TraceIdx(0), TraceIdx(1));
        assert_eq!(
            shape(&index, &d),
            vec![
                (0, Some(1), Some(11)),
                (1, None, Some(12)),
                (1, Some(2), Some(13)),
                (1, Some(3), Some(14)),
                (1, Some(4), None),
                (2, Some(5), None),
            ]
        );
        let deltas: Vec<Option<i64>> = d.rows.iter().map(|r| r.delta_ns(&index)).collect();
        assert_eq!(deltas, vec![Some(30), None, Some(0), Some(30), None, None]);
        let select = d.operations.iter().find(|o| index.str(o.name) == "SELECT").expect("SELECT");
        assert_eq!((select.count_a, select.count_b, select.total_a_ns, select.total_b_ns), (2, 2, 20, 50));
        // GET and SELECT both changed by 30; the tie goes by service name.
        assert_eq!(index.str(d.operations[0].service), "api");
        assert_eq!(index.str(d.operations[1].service), "db");
    }

    #[test]
    fn a_trace_against_itself_matches_everything_with_zero_deltas() {
        let index = index(&[
            (1, 1, 0, "api", "GET", 0, 100),
            (1, 2, 1, "db", "SELECT", 10, 20),
            (1, 3, 9, "orphan", "x", 10, 20),
        ]);
        let d = TraceDiff::build(&index, TraceIdx(0), TraceIdx(0));
        assert_eq!(d.matched().count(), 3);
        assert!(d.rows.iter().all(|r| r.a == r.b && r.delta_ns(&index) == Some(0)));
        assert!(d.operations.iter().all(|o| o.delta_ns() == 0 && o.count_a == o.count_b));
    }

    #[test]
    fn deep_chains_do_not_exhaust_the_stack() {
        let n = 100_000u64;
        let spans: Vec<S<'_>> = (1..=n).map(|i| (1, i, i - 1, "s", "n", i, 2 * n + 1 - i)).collect();
        let index = index(&spans);
        let d = TraceDiff::build(&index, TraceIdx(0), TraceIdx(0));
        assert_eq!(d.matched().count(), n as usize);
        assert_eq!(d.rows.last().map(|r| r.depth), Some(u16::MAX), "depth saturates");
    }
}
