//! Log records → where they belong: each `Dataset::logs` record attaches to its span by (trace
//! id, span id), or, when that span is not loaded or the record names none, to its trace; the
//! rest are counted as unattached. Lists are in time order. Built with the index; `extend`
//! attaches the records of each batch (a record that arrived before its span stays where it
//! was first placed).

use super::lists::Lists;
use super::{Index, SpanIdx, TraceIdx};

/// Where a record went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogPlace {
    Span(SpanIdx),
    Trace(TraceIdx),
    Unattached,
}

#[derive(Debug, Default)]
pub(super) struct LogLinks {
    by_span: Lists<u32>,
    /// Records of a loaded trace that name no loaded span of it.
    by_trace: Lists<u32>,
    unattached: usize,
}

impl LogLinks {
    pub(super) fn compact_if_wasteful(&mut self, spans: usize, traces: usize) {
        if self.by_span.wasteful() {
            self.by_span.compact(spans);
        }
        if self.by_trace.wasteful() {
            self.by_trace.compact(traces);
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.by_span.heap_bytes() + self.by_trace.heap_bytes()
    }
}

impl Index {
    /// Where record `i` of `data.logs` belongs.
    pub fn log_place(&self, i: usize) -> LogPlace {
        let Some(r) = self.data.logs.get(i) else { return LogPlace::Unattached };
        if r.trace_id.is_zero() {
            return LogPlace::Unattached;
        }
        if r.span_id.0 != 0
            && let Some(s) = self.find_span(r.trace_id, r.span_id)
        {
            return LogPlace::Span(s);
        }
        self.find_trace(r.trace_id).map_or(LogPlace::Unattached, LogPlace::Trace)
    }

    /// Attaches every record, in time order; called once the spans are indexed.
    pub(super) fn attach_logs(&mut self) {
        let mut order: Vec<u32> = (0..u32::try_from(self.data.logs.len()).unwrap_or(u32::MAX)).collect();
        order.sort_by_key(|&i| self.data.logs[i as usize].time);
        let places: Vec<(u32, LogPlace)> = order.iter().map(|&i| (i, self.log_place(i as usize))).collect();
        let spans = places.iter().filter_map(|&(i, p)| match p {
            LogPlace::Span(s) => Some((s.get(), i)),
            _ => None,
        });
        let traces = places.iter().filter_map(|&(i, p)| match p {
            LogPlace::Trace(t) => Some((t.get(), i)),
            _ => None,
        });
        self.logs = LogLinks {
            by_span: Lists::from_pairs(self.span_count(), spans),
            by_trace: Lists::from_pairs(self.traces().len(), traces),
            unattached: places.iter().filter(|(_, p)| *p == LogPlace::Unattached).count(),
        };
    }

    /// Attaches the records from `first` on (a batch `extend` appended), each in time order.
    pub(super) fn attach_new_logs(&mut self, first: usize) {
        for i in first..self.data.logs.len() {
            let time = self.data.logs[i].time;
            let item = u32::try_from(i).unwrap_or(u32::MAX);
            let data = &self.data.logs;
            let pos = |list: &[u32]| list.partition_point(|&j| data[j as usize].time <= time);
            match self.log_place(i) {
                LogPlace::Span(s) => {
                    let at = pos(self.logs.by_span.get(s.get()));
                    self.logs.by_span.insert(s.get(), at, item);
                }
                LogPlace::Trace(t) => {
                    let at = pos(self.logs.by_trace.get(t.get()));
                    self.logs.by_trace.insert(t.get(), at, item);
                }
                LogPlace::Unattached => self.logs.unattached += 1,
            }
        }
    }

    /// Records attached to span `s`, oldest first (indices into `data.logs`).
    pub fn span_logs(&self, s: SpanIdx) -> &[u32] {
        self.logs.by_span.get(s.get())
    }

    /// Records of trace `t` that name no loaded span of it, oldest first.
    pub fn trace_logs(&self, t: TraceIdx) -> &[u32] {
        self.logs.by_trace.get(t.get())
    }

    /// Records whose trace is not loaded, or that name no trace.
    pub fn unattached_logs(&self) -> usize {
        self.logs.unattached
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dataset, LogRecord, Span, SpanId, TraceId, Value};

    fn record(ds: &mut Dataset, trace: u128, span: u64, time: u64) -> LogRecord {
        LogRecord {
            time,
            trace_id: TraceId(trace),
            span_id: SpanId(span),
            severity: 9,
            severity_text: None,
            body: Value::Int(time as i64),
            attrs: Default::default(),
            service: ds.intern("svc"),
            file: 0,
        }
    }

    #[test]
    fn records_attach_to_span_else_trace_else_nowhere_in_time_order_and_as_batches_arrive() {
        let mut ds = Dataset::new();
        let n = ds.intern("n");
        ds.spans.push(Span::new(TraceId(1), SpanId(1), SpanId(0), 0, 100, n, n));
        ds.spans.push(Span::new(TraceId(1), SpanId(2), SpanId(1), 10, 20, n, n));
        for (t, s, time) in [(1, 2, 30), (1, 2, 15), (1, 9, 5), (1, 0, 6), (7, 1, 1), (0, 0, 2)] {
            let r = record(&mut ds, t, s, time);
            ds.logs.push(r);
        }
        let mut index = Index::build(ds);
        let child = index.find_span(TraceId(1), SpanId(2)).expect("child");
        let times = |ix: &Index, list: &[u32]| -> Vec<u64> {
            list.iter().map(|&i| ix.data.logs[i as usize].time).collect()
        };
        assert_eq!(times(&index, index.span_logs(child)), vec![15, 30]);
        assert_eq!(times(&index, index.trace_logs(TraceIdx(0))), vec![5, 6], "unknown span 9, and no span");
        assert_eq!(index.unattached_logs(), 2, "trace 7 is not loaded; one names no trace");

        let mut batch = Dataset::new();
        let r = record(&mut batch, 1, 2, 20);
        batch.logs.push(r);
        let r = record(&mut batch, 3, 0, 1);
        batch.logs.push(r);
        index.extend(batch);
        assert_eq!(times(&index, index.span_logs(child)), vec![15, 20, 30]);
        assert_eq!(index.unattached_logs(), 3);
    }
}
