//! The critical-path overlay on the waterfall (`c`, or `C` across links): computed once here
//! from `index::critical_path` when toggled, so drawing only reads `marked[pos]` and the
//! totals for the header.

use crate::index::critical_path::{critical_path, total};
use crate::index::{Index, SpanIdx, TraceIdx};
use rustc_hash::FxHashSet;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CriticalView {
    /// Whether the path may cross links into other traces.
    pub cross: bool,
    /// `marked[pos]`: the span at that waterfall position of the open trace is on the path.
    pub marked: Vec<bool>,
    /// Spans on the path (in every trace it passes through).
    pub spans: usize,
    /// Traces it passes through (1 unless it crossed links).
    pub traces: usize,
    /// The sum of the path's self times.
    pub total_ns: u64,
    /// Every span on the path, in every trace, sorted (the stitched timeline marks them too).
    pub path: Vec<SpanIdx>,
}

impl CriticalView {
    pub fn build(index: &Index, trace: TraceIdx, cross: bool, pos_of: &[u32]) -> Self {
        let path = critical_path(index, trace, cross);
        let mut marked = vec![false; index.trace_spans(trace).len()];
        let mut traces = FxHashSet::default();
        for step in &path {
            let t = index.trace_of(step.span);
            traces.insert(t);
            if t == trace
                && let Some(m) = pos_of.get(step.span.get()).and_then(|&p| marked.get_mut(p as usize))
            {
                *m = true;
            }
        }
        let mut on_path: Vec<SpanIdx> = path.iter().map(|s| s.span).collect();
        on_path.sort_unstable();
        Self { cross, marked, spans: path.len(), traces: traces.len(), total_ns: total(&path), path: on_path }
    }

    /// Whether span `s` (of any trace) is on the path.
    pub fn on_path(&self, s: SpanIdx) -> bool {
        self.path.binary_search(&s).is_ok()
    }

    pub fn is_marked(&self, pos: u32) -> bool {
        self.marked.get(pos as usize).copied().unwrap_or(false)
    }

    /// `critical path: 7 spans, 326ms` (and `across 2 traces` when it crossed links).
    pub fn summary(&self) -> String {
        let mut s = format!("critical path: {} spans, {}", self.spans, crate::text::duration(self.total_ns));
        if self.cross {
            s.push_str(&format!(" across {} traces", self.traces));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use crate::app::OpenAt;
    use crate::app::action::Action;
    use crate::app::flow::tests::{sample, trace_by_root};
    use crate::app::keymap::{Context, key_for};
    use crate::app::{App, Screen};

    fn press(app: &mut App<'_>, ctx: Context, action: Action) {
        app.handle_key(key_for(ctx, action).expect("bound"));
    }

    #[test]
    fn toggles_mark_the_path_and_cross_into_the_slowest_shard() {
        let index = sample("scatter-gather.otlp.json");
        let checkout = trace_by_root(&index, "checkout");
        let mut app = App::new(&index, OpenAt { trace: Some(checkout), span: None });
        press(&mut app, Context::Waterfall, Action::ToggleCriticalPath);
        let Screen::Trace(tv) = &app.screen else { panic!("trace open") };
        let cv = tv.critical.as_ref().expect("path shown");
        assert!(!cv.cross && cv.traces == 1);
        assert!(cv.is_marked(0), "the root is always on the path");
        assert_eq!(cv.marked.iter().filter(|m| **m).count(), cv.spans);
        assert_eq!(cv.total_ns, index.trace(checkout).duration());
        let plain_spans = cv.spans;

        // `C` switches to the path across links: it enters shard 3, so fewer of this trace's
        // spans are marked, and the total is still the root's duration.
        press(&mut app, Context::Waterfall, Action::ToggleCrossCriticalPath);
        let Screen::Trace(tv) = &app.screen else { panic!("trace open") };
        let cv = tv.critical.as_ref().expect("path shown");
        assert!(cv.cross && cv.traces == 2, "{cv:?}");
        assert!(cv.marked.iter().filter(|m| **m).count() < cv.spans);
        assert_ne!(cv.spans, plain_spans);
        assert_eq!(cv.summary(), format!("critical path: {} spans, 326ms across 2 traces", cv.spans));

        press(&mut app, Context::Waterfall, Action::ToggleCrossCriticalPath);
        let Screen::Trace(tv) = &app.screen else { panic!("trace open") };
        assert!(tv.critical.is_none());
        assert_eq!(app.status.as_deref(), Some("critical path hidden"));
    }

    /// The critical path is part of where you were: leaving the trace through a link and coming
    /// back (Backspace, then forward again) shows it as it was, `C` kept as `C`.
    #[test]
    fn history_keeps_the_critical_path() {
        let index = sample("scatter-gather.otlp.json");
        let checkout = trace_by_root(&index, "checkout");
        let mut app = App::new(&index, OpenAt { trace: Some(checkout), span: None });
        press(&mut app, Context::Waterfall, Action::ToggleCrossCriticalPath);
        let shown = |app: &App<'_>| match &app.screen {
            Screen::Trace(tv) => tv.critical.as_ref().map(|c| (tv.trace, c.cross, c.spans)),
            _ => None,
        };
        let before = shown(&app).expect("path shown");
        app.update(Action::ShowLinkedTraces);
        app.update(Action::SelectNext);
        app.update(Action::OpenTrace);
        let Screen::Trace(tv) = &app.screen else { panic!("a linked trace is open") };
        assert_ne!(tv.trace, checkout);
        assert!(tv.critical.is_none(), "the other trace starts without one");
        app.update(Action::GoBack);
        assert_eq!(shown(&app), Some(before));
    }
}
