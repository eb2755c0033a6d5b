//! Forgetting the oldest traces: what bounds a live session's memory (`--max-spans`). The
//! index is built again from a copy of the spans it keeps (`Dataset::retain_traces`), so the
//! memory of what it forgets (attributes, events, strings) is given back; `extend` never
//! shrinks anything.

use super::Index;
use crate::model::TraceId;
use rustc_hash::FxHashSet;

/// What an index forgot, for the header to count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evicted {
    pub traces: u64,
    pub spans: u64,
}

impl Evicted {
    pub fn add(&mut self, other: Evicted) {
        self.traces += other.traces;
        self.spans += other.spans;
    }
}

impl Index {
    /// The whole traces to forget, oldest first (earliest start, then id: the order a build lists
    /// them in), for at most `keep` spans to remain; empty when there are no more than that.
    pub fn oldest_beyond(&self, keep: usize) -> (FxHashSet<TraceId>, Evicted) {
        let mut gone = FxHashSet::default();
        let mut evicted = Evicted::default();
        let mut held = self.span_count();
        if held <= keep {
            return (gone, evicted);
        }
        let mut oldest: Vec<_> = self.traces().iter().map(|t| (t.start, t.id, t.spans)).collect();
        oldest.sort_unstable();
        for (_, id, spans) in oldest {
            if held <= keep {
                break;
            }
            gone.insert(id);
            held = held.saturating_sub(spans as usize);
            evicted.add(Evicted { traces: 1, spans: u64::from(spans) });
        }
        (gone, evicted)
    }

    /// This index without the traces in `gone`, built again over a copy of what it keeps.
    pub fn without(&self, gone: &FxHashSet<TraceId>) -> Index {
        Index::build(self.data.retain_traces(|t| !gone.contains(&t)))
    }
}

#[cfg(test)]
mod tests {
    use crate::index::Index;
    use crate::model::{Dataset, Span, SpanId, TraceId};

    /// Traces `(id, start, spans)`, each a root with children.
    fn index(traces: &[(u128, u64, u64)]) -> Index {
        let mut data = Dataset::new();
        let name = data.intern("op");
        for &(id, start, spans) in traces {
            for s in 1..=spans {
                let parent = if s == 1 { SpanId(0) } else { SpanId(1) };
                data.spans.push(Span::new(
                    TraceId(id),
                    SpanId(s),
                    parent,
                    start + s,
                    start + 100,
                    name,
                    name,
                ));
            }
        }
        Index::build(data)
    }

    #[test]
    fn the_oldest_whole_traces_go_until_at_most_keep_spans_remain() {
        // Listed out of start order: age is the start, not the position.
        let ix = index(&[(3, 3_000, 4), (1, 1_000, 2), (2, 2_000, 3)]);
        let (gone, evicted) = ix.oldest_beyond(6);
        assert_eq!(gone, [TraceId(1), TraceId(2)].into_iter().collect());
        assert_eq!((evicted.traces, evicted.spans), (2, 5));
        let kept = ix.without(&gone);
        assert_eq!(kept.span_count(), 4);
        assert_eq!(kept.traces().len(), 1);
        assert_eq!(kept.traces()[0].id, TraceId(3));
        assert!(ix.oldest_beyond(9).0.is_empty(), "nothing goes while under the limit");
    }
}
