//! The diff view (`D`): `index::diff::TraceDiff` of the marked trace (A) against the open one
//! (B), built once when the view opens, with the largest change that scales the delta bars, so
//! drawing only reads it.

use crate::index::diff::TraceDiff;
use crate::index::{Index, SpanIdx, TraceIdx};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffView {
    pub diff: TraceDiff,
    /// The largest |B − A| of a matched pair: the full length of a delta bar.
    pub max_delta: u64,
    pub sel: usize,
    pub scroll: usize,
}

impl DiffView {
    pub fn build(index: &Index, a: TraceIdx, b: TraceIdx) -> Self {
        let diff = TraceDiff::build(index, a, b);
        let max_delta =
            diff.rows.iter().filter_map(|r| r.delta_ns(index)).map(i64::unsigned_abs).max().unwrap_or(0);
        Self { diff, max_delta, sel: 0, scroll: 0 }
    }

    /// What `Enter` opens: the row's span in B (the open trace), or in A when only A has it.
    pub fn selected_span(&self) -> Option<SpanIdx> {
        self.diff.rows.get(self.sel).and_then(|r| r.span())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::app::action::Action;
    use crate::app::flow::tests::sample;
    use crate::app::keymap::{Context, key_for};
    use crate::app::{App, OpenAt, Overlay};
    use crate::model::TraceId;

    /// In message-aggregation: two checkouts, B with a coupon call (3 spans) and a second
    /// `INSERT order_lines` that A lacks.
    pub(crate) const A: &str = "63cad1c139df2a243f61a97d516533a1";
    pub(crate) const B: &str = "f94e5f04a398f289521477970950c5ff";

    pub(crate) fn trace(index: &Index, id: &str) -> TraceIdx {
        index.find_trace(TraceId::from_hex(id).expect("hex id")).expect("trace loaded")
    }

    pub(crate) fn press(app: &mut App<'_>, ctx: Context, action: Action) {
        app.handle_key(key_for(ctx, action).expect("bound"));
    }

    /// The explorer after `m` on A in the list, opening B and `D`.
    pub(crate) fn diff_app(index: &Index) -> App<'_> {
        let mut app = App::new(index, OpenAt::default());
        app.list.select(trace(index, A));
        press(&mut app, Context::TraceList, Action::MarkTrace);
        assert!(
            app.status.as_deref().is_some_and(|s| s.contains("marked trace 63cad1c1")),
            "{:?}",
            app.status
        );
        app.list.select(trace(index, B));
        press(&mut app, Context::TraceList, Action::OpenTrace);
        press(&mut app, Context::Trace, Action::ShowDiff);
        app
    }

    fn view<'b>(app: &'b App<'_>) -> &'b DiffView {
        match &app.overlay {
            Overlay::Diff(dv) => dv,
            other => panic!("diff not open: {other:?}"),
        }
    }

    #[test]
    fn marked_against_open_then_enter_opens_a_span_of_either_side() {
        let index = sample("message-aggregation.otlp.json");
        let mut app = diff_app(&index);
        let dv = view(&app);
        assert_eq!((dv.diff.a, dv.diff.b), (trace(&index, A), trace(&index, B)));
        assert_eq!(
            (dv.diff.matched().count(), dv.diff.only_a().count(), dv.diff.only_b().count()),
            (13, 0, 4)
        );
        assert_eq!(dv.max_delta, 13_600_251, "the root's submit span changed most");

        // The first only-in-B row: Enter opens that span in B; Backspace comes back to B's view.
        let i = dv.diff.rows.iter().position(|r| r.a.is_none()).expect("an only-in-b row");
        let want = dv.diff.rows[i].b.expect("b side");
        for _ in 0..i {
            press(&mut app, Context::Move, Action::SelectNext);
        }
        press(&mut app, Context::Diff, Action::OpenTrace);
        assert_eq!(app.overlay, Overlay::None);
        let tv = app.trace_view().expect("a trace is open");
        assert_eq!((tv.trace, tv.selected_span(&index)), (trace(&index, B), want));
        assert_eq!(index.name(want), "POST /v1/coupons/validate");

        // A matched row opens B's span; with the marks swapped, an only-in-A row opens A's.
        press(&mut app, Context::Trace, Action::MarkTrace);
        app.update(Action::GoUp);
        app.list.select(trace(&index, A));
        press(&mut app, Context::TraceList, Action::OpenTrace);
        press(&mut app, Context::Trace, Action::ShowDiff);
        let dv = view(&app);
        assert_eq!((dv.diff.only_a().count(), dv.diff.only_b().count()), (4, 0));
        let i = dv.diff.rows.iter().position(|r| r.b.is_none()).expect("an only-in-a row");
        let want = dv.diff.rows[i].a.expect("a side");
        for _ in 0..i {
            press(&mut app, Context::Move, Action::SelectNext);
        }
        press(&mut app, Context::Diff, Action::OpenTrace);
        let tv = app.trace_view().expect("a trace is open");
        assert_eq!((tv.trace, tv.selected_span(&index)), (trace(&index, B), want));
    }

    #[test]
    fn d_says_what_is_missing() {
        let index = sample("message-aggregation.otlp.json");
        let mut app = App::new(&index, OpenAt { trace: Some(trace(&index, A)), span: None });
        press(&mut app, Context::Trace, Action::ShowDiff);
        assert_eq!(app.status.as_deref(), Some("no trace is marked: press m on a trace first"));
        press(&mut app, Context::Trace, Action::MarkTrace);
        press(&mut app, Context::Trace, Action::ShowDiff);
        assert_eq!(app.status.as_deref(), Some("this is the marked trace: open another one to compare"));
        assert_eq!(app.overlay, Overlay::None);
    }
}
