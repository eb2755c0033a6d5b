//! The linked-traces view (`L`): every trace reachable from the open one through links, as the
//! tree `app::flow::FlowView` laid out when it opened. One line per trace: tree lines, the
//! links joining it to the line it hangs from (`↗` from it, `↙` into it), root `service: name`,
//! then start offset from the open trace, duration, spans and errors.

use super::draw::{fill, put, put_right};
use super::theme;
use crate::app::App;
use crate::app::flow::{FlowRow, FlowView, MAX_FLOW_DEPTH};
use crate::index::Index;
use crate::text::duration;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

/// Widths of the right-hand columns: start offset, duration, spans, errors.
const START_W: u16 = 9;
const DURATION_W: u16 = 9;
const SPANS_W: u16 = 6;
const ERRORS_W: u16 = 7;
const RIGHT_W: u16 = START_W + DURATION_W + SPANS_W + ERRORS_W;

pub struct LinkedTraces<'a> {
    pub app: &'a App<'a>,
    pub view: &'a FlowView,
}

/// `+1.2ms`, `-300µs`; the open trace itself starts at `0`.
fn signed(ns: i64) -> String {
    if ns == 0 { "0".to_owned() } else { crate::text::signed_duration(ns) }
}

impl Widget for LinkedTraces<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let areas = self.app.areas();
        let frame = areas.flow(self.view.rows.len());
        if frame.width < 3 || frame.height < 3 {
            return;
        }
        let index = self.app.index;
        let view = self.view;
        Clear.render(frame, buf);
        let root_id = index.trace(view.root).id.short(8);
        let n = view.rows.len();
        let noun = if n == 1 { "trace" } else { "traces" };
        let mut title = vec![Span::raw(format!(" linked traces of {root_id} · {n} {noun} "))];
        if view.beyond > 0 {
            title.push(Span::styled(
                format!("+{} more beyond depth {MAX_FLOW_DEPTH} ", view.beyond),
                theme::warn(),
            ));
        }
        let block = Block::bordered().title(Line::from(title)).title_bottom(
            Line::from(" ↗ to row above · ↙ from it · Enter open · Esc close ").right_aligned(),
        );
        let inner = block.inner(frame);
        block.render(frame, buf);
        let rows = areas.flow_rows(view.rows.len());
        let (x, w) = (inner.x.saturating_add(1), inner.width.saturating_sub(2));
        let right_w = RIGHT_W.min(w);
        let left_w = w.saturating_sub(right_w).saturating_sub(1);
        let rx = x.saturating_add(w.saturating_sub(right_w));
        // Column heads.
        put(buf, x, inner.y, left_w, "trace (root service: name)", theme::dim());
        draw_right(buf, rx, inner.y, right_w, ["start", "duration", "spans", "errors"], [theme::dim(); 4]);
        let first = view.scroll.min(view.rows.len());
        let end = first.saturating_add(usize::from(rows.height)).min(view.rows.len());
        for (i, row) in view.rows[first..end].iter().enumerate() {
            let y = rows.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            draw_row(buf, index, row, (x, y, left_w), (rx, right_w));
            if first + i == view.sel {
                fill(buf, Rect { y, height: 1, ..rows }, theme::selection(true));
            }
        }
    }
}

/// The four right-hand cells, right-aligned in their columns, cut from the left when narrow.
fn draw_right(buf: &mut Buffer, x: u16, y: u16, w: u16, cells: [&str; 4], styles: [Style; 4]) {
    let widths = [START_W, DURATION_W, SPANS_W, ERRORS_W];
    let mut col_x = x.saturating_add(w).saturating_sub(RIGHT_W);
    for ((cell, style), cw) in cells.iter().zip(styles).zip(widths) {
        if col_x >= x {
            put_right(buf, col_x, y, cw, cell, style);
        }
        col_x = col_x.saturating_add(cw);
    }
}

fn draw_row(buf: &mut Buffer, index: &Index, row: &FlowRow, (x, y, w): (u16, u16, u16), right: (u16, u16)) {
    let info = index.trace(row.trace);
    let mut at = x;
    let end = x.saturating_add(w);
    let left = |at: u16| end.saturating_sub(at);
    at = at.saturating_add(put(buf, at, y, left(at), &row.prefix, theme::dim()));
    if row.depth > 0 {
        if row.to_parent > 0 {
            let text = format!("↗{} ", row.to_parent);
            at = at.saturating_add(put(buf, at, y, left(at), &text, Style::new().fg(theme::LINK_OUT)));
        }
        if row.from_parent > 0 {
            let text = format!("↙{} ", row.from_parent);
            at = at.saturating_add(put(buf, at, y, left(at), &text, Style::new().fg(theme::LINK_IN)));
        }
    }
    let root = info.root;
    if root.get() < index.span_count() {
        let service = index.service(root);
        let style = if row.depth == 0 {
            theme::service(service).patch(theme::bold())
        } else {
            theme::service(service)
        };
        at = at.saturating_add(put(buf, at, y, left(at), service, style));
        at = at.saturating_add(put(buf, at, y, left(at), ": ", Style::new()));
        put(buf, at, y, left(at), index.name(root), Style::new());
    } else {
        put(buf, at, y, left(at), &info.id.short(8), theme::dim());
    }
    let errors = if info.errors == 0 { String::new() } else { info.errors.to_string() };
    draw_right(
        buf,
        right.0,
        y,
        right.1,
        [&signed(row.offset_ns), &duration(info.duration()), &info.spans.to_string(), &errors],
        [theme::dim(), Style::new(), Style::new(), theme::error()],
    );
}

#[cfg(test)]
mod tests {
    use crate::app::OpenAt;
    use crate::app::action::Action;
    use crate::app::flow::tests::{chain, sample, trace_by_root};
    use crate::app::keymap::{Context, key_for};
    use crate::app::{App, Overlay};
    use crate::ui::tests::screen;
    use rstest::rstest;

    fn open_flow<'a>(index: &'a crate::index::Index, root_service: &str, w: u16, h: u16) -> App<'a> {
        let t = trace_by_root(index, root_service);
        let mut app = App::new(index, OpenAt { trace: Some(t), span: None });
        app.resize(w, h);
        app.handle_key(key_for(Context::Trace, Action::ShowLinkedTraces).expect("bound"));
        assert!(matches!(app.overlay, Overlay::Flow(_)));
        app
    }

    fn line_with<'l>(lines: &'l [String], needle: &str) -> &'l str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}:\n{}", lines.join("\n")))
    }

    #[rstest]
    #[case::s80x24(80, 24)]
    #[case::s200x50(200, 50)]
    fn scatter_gather(#[case] w: u16, #[case] h: u16) {
        let index = sample("scatter-gather.otlp.json");
        let app = open_flow(&index, "checkout", w, h);
        let (t, lines) = screen(&app, w, h);
        assert!(line_with(&lines, "linked traces of 1f0fa39f · 5 traces").contains('┌'));
        let shard2 = line_with(&lines, "inventory-shard-2");
        assert!(shard2.contains("├─ ↗1 ↙1 inventory-shard-2: kafka.consu"), "{shard2}");
        assert!(shard2.contains("+36.5ms") && shard2.contains("65.5ms"), "{shard2}");
        // 13 spans, 1 error, right-aligned in the last two columns.
        assert!(shard2.trim_end_matches([' ', '│']).ends_with("13      1"), "{shard2}");
        assert!(line_with(&lines, "inventory-shard-3").contains("└─ ↗1 ↙1 inventory-shard-3"));
        assert!(line_with(&lines, "Enter open · Esc close").contains("↗ to row above"));
        insta::assert_snapshot!(format!("flow_scatter_gather_{w}x{h}"), t.backend());
    }

    #[rstest]
    #[case::s80x24(80, 24)]
    #[case::s200x50(200, 50)]
    fn message_aggregation_from_one_producer(#[case] w: u16, #[case] h: u16) {
        let index = sample("message-aggregation.otlp.json");
        // The first producer: the batch consumer links to it, and to ten other producers.
        let first = crate::index::TraceIdx(0);
        assert_eq!(index.service(index.trace(first).root), "checkout");
        let mut app = App::new(&index, OpenAt { trace: Some(first), span: None });
        app.resize(w, h);
        app.handle_key(key_for(Context::Trace, Action::ShowLinkedTraces).expect("bound"));
        let (t, lines) = screen(&app, w, h);
        assert!(line_with(&lines, "linked traces of 0a8d259c").contains("12 traces"));
        let consumer = line_with(&lines, "billing-worker");
        assert!(consumer.contains("└─ ↗1 billing-worker: kafka.consume"), "{consumer}");
        assert!(consumer.contains("+50.2s"), "{consumer}");
        let siblings = lines.iter().filter(|l| l.contains("   ├─ ↙1 checkout: POST /checkout")).count();
        assert_eq!(siblings, 9, "{}", lines.join("\n"));
        assert_eq!(lines.iter().filter(|l| l.contains("   └─ ↙1 checkout: POST /checkout")).count(), 1);
        insta::assert_snapshot!(format!("flow_message_aggregation_{w}x{h}"), t.backend());
    }

    #[test]
    fn scrolls_to_the_selection() {
        let index = sample("message-aggregation.otlp.json");
        let (w, h) = (80, 12);
        let mut app = App::new(&index, OpenAt { trace: Some(crate::index::TraceIdx(0)), span: None });
        app.resize(w, h);
        app.handle_key(key_for(Context::Trace, Action::ShowLinkedTraces).expect("bound"));
        app.handle_key(key_for(Context::Move, Action::SelectLast).expect("bound"));
        let (_, lines) = screen(&app, w, h);
        assert!(line_with(&lines, "└─ ↙1 checkout").contains("+45.3s"));
        assert!(!lines.iter().any(|l| l.contains("billing-worker")), "scrolled past the first rows");
    }

    #[test]
    fn counts_what_lies_beyond_the_depth_limit() {
        // 1 → 2 → … → 8: four hops are listed, three more traces lie beyond.
        let index = chain(&[&[2], &[3], &[4], &[5], &[6], &[7], &[8], &[]]);
        let mut app = App::new(&index, OpenAt { trace: Some(crate::index::TraceIdx(0)), span: None });
        app.resize(80, 24);
        app.handle_key(key_for(Context::Trace, Action::ShowLinkedTraces).expect("bound"));
        let (_, lines) = screen(&app, 80, 24);
        assert!(line_with(&lines, "+3 more beyond depth 4").contains("linked traces of 00000000 · 5 traces"));
        assert!(line_with(&lines, "         └─ ↙1 n: n").contains("+400ns"));
    }
}
