//! Browser-like jump history: every jump (link follow, open trace, back to the list) records
//! where it started, so `GoBack`/`GoForward` can restore the trace, selection, collapsed spans
//! and scroll exactly.

use super::trace_view::{Pane, Tab};
use crate::index::{SpanIdx, TraceIdx};

/// Older entries are dropped past this many, so a long session cannot grow without bound.
pub const MAX_HISTORY: usize = 500;

/// Everything needed to put a trace's screen back the way it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceSnapshot {
    pub trace: TraceIdx,
    pub selected: SpanIdx,
    pub scroll: usize,
    /// Positions (in the trace's waterfall order) of the collapsed spans.
    pub collapsed: Vec<u32>,
    pub focus: Pane,
    pub tab: Tab,
    pub detail_sel: usize,
    pub detail_scroll: usize,
    /// The critical path shown, if any: `Some(cross)` for `c` (false) or `C` (true).
    pub critical: Option<bool>,
    /// The span focused with `z`, if any.
    pub zoom: Option<SpanIdx>,
}

/// One place in the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// The trace list, with the trace that was selected there.
    List {
        selected: Option<TraceIdx>,
    },
    Trace(TraceSnapshot),
}

#[derive(Debug, Default)]
pub struct History {
    back: Vec<Place>,
    forward: Vec<Place>,
}

impl History {
    /// A jump is leaving `from`: remember it and forget the forward entries (as a browser does).
    pub fn record(&mut self, from: Place) {
        self.back.push(from);
        if self.back.len() > MAX_HISTORY {
            self.back.remove(0);
        }
        self.forward.clear();
    }

    /// Steps back from `current`; returns the place to restore.
    pub fn back(&mut self, current: Place) -> Option<Place> {
        let to = self.back.pop()?;
        self.forward.push(current);
        Some(to)
    }

    /// Steps forward from `current`; returns the place to restore.
    pub fn forward(&mut self, current: Place) -> Option<Place> {
        let to = self.forward.pop()?;
        self.back.push(current);
        Some(to)
    }

    /// The places behind the current one, oldest first: the breadcrumb trail.
    /// Every place, back and forward, taken out (to be looked up in a rebuilt index).
    pub fn take(&mut self) -> (Vec<Place>, Vec<Place>) {
        (std::mem::take(&mut self.back), std::mem::take(&mut self.forward))
    }

    /// Puts back what `take` took, as found again.
    pub fn put_back(&mut self, back: Vec<Place>, forward: Vec<Place>) {
        self.back = back;
        self.forward = forward;
    }

    pub fn trail(&self) -> &[Place] {
        &self.back
    }

    pub fn can_go_forward(&self) -> bool {
        !self.forward.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(t: u32) -> Place {
        Place::List { selected: Some(TraceIdx(t)) }
    }

    #[test]
    fn back_and_forward_walk_the_stack_and_a_new_jump_drops_forward() {
        let mut h = History::default();
        h.record(list(0));
        h.record(list(1));
        assert_eq!(h.back(list(2)), Some(list(1)));
        assert_eq!(h.back(list(1)), Some(list(0)));
        assert_eq!(h.back(list(0)), None);
        assert_eq!(h.forward(list(0)), Some(list(1)));
        h.record(list(9));
        assert!(!h.can_go_forward());
        assert_eq!(h.trail(), &[list(0), list(9)]);
    }

    #[test]
    fn history_is_bounded() {
        let mut h = History::default();
        for i in 0..(MAX_HISTORY as u32 + 10) {
            h.record(list(i));
        }
        assert_eq!(h.trail().len(), MAX_HISTORY);
        assert_eq!(h.trail()[0], list(10));
    }
}
