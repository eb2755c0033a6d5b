//! The diff view (`D`): the merged span tree of the marked trace (A) and the open one (B) from
//! `app::diff::DiffView`. Per row: `-` only in A / `+` only in B, the tree, A's and B's
//! durations, the change B − A as signed text, and a bar from a centre line — right and red when
//! B is slower, left and green when faster — so the sign, the side and the colour all say it.
//! Draws only `rows[scroll..scroll + height]`.

use super::draw::{fill, put, put_right};
use super::layout::tree_indent;
use super::theme;
use crate::app::App;
use crate::app::diff::DiffView;
use crate::index::Index;
use crate::index::diff::DiffRow;
use crate::text::{duration, signed_duration};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Clear, Widget};

const MARK_W: u16 = 2;
const TIME_W: u16 = 9;
/// A's duration, B's, the delta.
const TIMES_W: u16 = 3 * TIME_W;
/// Terminals at least this wide give the bars more room.
const WIDE: u16 = 100;

pub const SLOWER: Color = Color::Red;
pub const FASTER: Color = Color::Green;

pub struct TraceDiffView<'a> {
    pub app: &'a App<'a>,
    pub view: &'a DiffView,
    pub head: Rect,
    pub rows: Rect,
}

/// Column (x, width) pairs: marker, tree, the three times, the bar.
struct Cols {
    mark: (u16, u16),
    tree: (u16, u16),
    times: (u16, u16),
    bar: (u16, u16),
}

impl Cols {
    fn new(area: Rect) -> Self {
        let w = area.width;
        let mark = MARK_W.min(w);
        let times = TIMES_W.min(w - mark);
        let rest = w - mark - times;
        let bar = if w >= WIDE { rest * 2 / 5 } else { rest * 3 / 10 };
        let tree = rest - bar;
        let tree_x = area.x.saturating_add(mark);
        let times_x = tree_x.saturating_add(tree);
        Self {
            mark: (area.x, mark),
            tree: (tree_x, tree),
            times: (times_x, times),
            bar: (times_x.saturating_add(times), bar),
        }
    }
}

impl Widget for TraceDiffView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Clear.render(area, buf);
        let index = self.app.index;
        let v = self.view;
        let cols = Cols::new(self.rows);
        if self.head.height > 0 {
            let d = &v.diff;
            let (a, b) = (index.trace(d.a).id.short(8), index.trace(d.b).id.short(8));
            let (m, only_a, only_b) = (d.matched().count(), d.only_a().count(), d.only_b().count());
            let room = usize::from(cols.mark.1 + cols.tree.1);
            let mut title =
                format!("a {a} (marked) → b {b}: {m} matched · {only_a} only a · {only_b} only b");
            if super::draw::width(&title) > room {
                title = format!("a {a} → b {b} ={m} -{only_a} +{only_b}");
            }
            let y = self.head.y;
            put(buf, cols.mark.0, y, cols.mark.1 + cols.tree.1, &title, theme::title());
            draw_times(buf, cols.times, y, ["a", "b", "b − a"], theme::dim());
            let (bx, half) = (cols.bar.0, bar_half(cols.bar.1));
            let arrows = half >= 8;
            let (faster, slower) = if arrows { ("◀ faster", "slower ▶") } else { ("faster", "slower") };
            put_right(buf, bx.saturating_add(1), y, half, faster, theme::dim());
            put(buf, bx.saturating_add(1 + half), y, 1, "│", theme::dim());
            put(buf, bx.saturating_add(2 + half), y, half, slower, theme::dim());
        }
        let height = usize::from(self.rows.height);
        let start = v.scroll.min(v.diff.rows.len());
        let end = start.saturating_add(height).min(v.diff.rows.len());
        for (i, row) in v.diff.rows[start..end].iter().enumerate() {
            let y = self.rows.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            draw_row(buf, index, v, row, y, &cols);
            if start + i == v.sel {
                fill(buf, Rect { y, height: 1, ..self.rows }, theme::selection(true));
            }
        }
    }
}

/// Cells each side of the centre line in a bar column `w` wide (a space, `half` cells, the
/// centre line, `half` cells).
fn bar_half(w: u16) -> u16 {
    w.saturating_sub(2) / 2
}

/// Three right-aligned cells, one per time column.
fn draw_times(buf: &mut Buffer, (x, w): (u16, u16), y: u16, cells: [&str; 3], style: Style) {
    let mut cx = x;
    for cell in cells {
        let cw = TIME_W.min(x.saturating_add(w).saturating_sub(cx));
        put_right(buf, cx, y, cw, cell, style);
        cx = cx.saturating_add(TIME_W);
    }
}

fn draw_row(buf: &mut Buffer, index: &Index, v: &DiffView, row: &DiffRow, y: u16, cols: &Cols) {
    let Some(s) = row.span() else { return };
    let (mark, only) = match (row.a, row.b) {
        (Some(_), None) => ("-", Some("only in a")),
        (None, Some(_)) => ("+", Some("only in b")),
        _ => (" ", None),
    };
    put(buf, cols.mark.0, y, cols.mark.1, mark, theme::bold());
    let (tx, tw) = cols.tree;
    let indent = u16::try_from(tree_indent(usize::from(row.depth), tw)).unwrap_or(tw);
    let mut x = tx.saturating_add(indent);
    let left = |x: u16| tx.saturating_add(tw).saturating_sub(x);
    let service = index.service(s);
    let text_style = if only.is_some() { theme::dim() } else { Style::new() };
    x += put(buf, x, y, left(x), service, theme::service(service));
    x += put(buf, x, y, left(x), " ", Style::new());
    put(buf, x, y, left(x), index.name(s), text_style);
    let dur = |side: Option<_>| side.map_or(String::new(), |s| duration(index.span(s).duration()));
    let delta = row.delta_ns(index);
    let delta_text = delta.map_or(String::new(), signed_duration);
    draw_times(buf, cols.times, y, [&dur(row.a), &dur(row.b), &delta_text], Style::new());
    let (bx, bw) = cols.bar;
    let Some(d) = delta else {
        if let Some(text) = only {
            put(buf, bx.saturating_add(1), y, bw.saturating_sub(1), text, theme::dim());
        }
        return;
    };
    // The centre line, then the bar from it: |d| / max of half the column, rounded (a change of
    // a few ns next to one of milliseconds draws none; its text still says it).
    let half = bar_half(bw);
    let centre = bx.saturating_add(1).saturating_add(half);
    put(buf, centre, y, 1, "│", theme::dim());
    if v.max_delta == 0 {
        return;
    }
    let max = u128::from(v.max_delta);
    let len = (u128::from(d.unsigned_abs()) * u128::from(half) + max / 2) / max;
    let len = u16::try_from(len).unwrap_or(half).min(half);
    if len == 0 {
        return;
    }
    let cells = "█".repeat(usize::from(len));
    if d > 0 {
        put(buf, centre.saturating_add(1), y, len, &cells, Style::new().fg(SLOWER));
    } else {
        put(buf, centre.saturating_sub(len), y, len, &cells, Style::new().fg(FASTER));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Overlay;
    use crate::app::action::Action;
    use crate::app::diff::tests::{A, B, diff_app, press, trace};
    use crate::app::flow::tests::sample;
    use crate::app::keymap::Context;
    use crate::ui::tests::screen;
    use rstest::rstest;

    fn line_with<'l>(lines: &'l [String], needle: &str) -> &'l str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}:\n{}", lines.join("\n")))
    }

    /// The cells of row `y` drawn in `fg`.
    fn cells_in(t: &ratatui::Terminal<ratatui::backend::TestBackend>, y: u16, fg: Color) -> usize {
        let buf = t.backend().buffer();
        (0..buf.area.width).filter(|&x| buf[(x, y)].symbol() == "█" && buf[(x, y)].fg == fg).count()
    }

    #[rstest]
    #[case::s80x24(80, 24)]
    #[case::s160x48(160, 48)]
    fn merged_tree_with_markers_deltas_and_bars(#[case] w: u16, #[case] h: u16) {
        let index = sample("message-aggregation.otlp.json");
        let mut app = diff_app(&index);
        app.resize(w, h);
        let (t, lines) = screen(&app, w, h);
        assert!(line_with(&lines, "a 63cad1c1 ").contains("b f94e5f04"), "{}", lines.join("\n"));
        let root = line_with(&lines[3..], "checkout POST /checkout ");
        assert!(root.starts_with("  ") && root.contains("37.4ms   51.0ms  +13.6ms"), "{root}");
        let coupon = line_with(&lines, "checkout POST /v1/coupons/valid");
        assert!(
            coupon.starts_with("+ ") && coupon.contains("7.20ms") && coupon.contains("only in b"),
            "{coupon}"
        );
        assert_eq!(lines.iter().filter(|l| l.starts_with("+ ")).count(), 4);
        assert!(!lines.iter().any(|l| l.starts_with("- ")));
        // Slower: red cells right of the centre line, as many as half the bar column at most.
        let y = 3 + lines[3..].iter().position(|l| l.contains("checkout POST /checkout ")).expect("root row")
            as u16;
        assert!(cells_in(&t, y, SLOWER) >= 3 && cells_in(&t, y, FASTER) == 0);
        assert!(lines[usize::from(y)].contains("│█"), "{}", lines[usize::from(y)]);
        insta::assert_snapshot!(format!("diff_{w}x{h}"), t.backend());
    }

    #[test]
    fn faster_bars_go_left_in_green_and_only_in_a_is_marked() {
        let index = sample("message-aggregation.otlp.json");
        let mut app = diff_app(&index);
        // Swap: B marked, A open.
        press(&mut app, Context::Global, Action::GoUp);
        press(&mut app, Context::Trace, Action::MarkTrace);
        press(&mut app, Context::Global, Action::GoUp);
        app.list.select(trace(&index, A));
        press(&mut app, Context::TraceList, Action::OpenTrace);
        press(&mut app, Context::Trace, Action::ShowDiff);
        assert!(matches!(app.overlay, Overlay::Diff(_)));
        let (t, lines) = screen(&app, 120, 30);
        let y = 3 + lines[3..].iter().position(|l| l.contains("checkout POST /checkout ")).expect("root row");
        assert!(lines[y].contains("-13.6ms") && lines[y].contains("█│"), "{}", lines[y]);
        assert!(cells_in(&t, y as u16, FASTER) >= 3 && cells_in(&t, y as u16, SLOWER) == 0);
        assert_eq!(lines.iter().filter(|l| l.starts_with("- ")).count(), 4, "{}", lines.join("\n"));
        assert!(line_with(&lines, "a f94e5f04").contains(&B[..8]));
    }

    #[rstest]
    #[case::zero(0, 0)]
    #[case::one(1, 1)]
    fn renders_in_tiny_buffers(#[case] w: u16, #[case] h: u16) {
        let index = sample("message-aggregation.otlp.json");
        let app = diff_app(&index);
        let Overlay::Diff(view) = &app.overlay else { panic!("diff open") };
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        TraceDiffView { app: &app, view, head: area, rows: area }.render(area, &mut buf);
        assert_eq!(buf.area, area);
    }
}
