//! The stitched timeline: a ruler over the union of the traces' intervals, then one header row
//! per trace (short id, root service and name, duration, its extent on the axis) followed by
//! its spans as in the waterfall. The selected span's link partners carry `◀▶` and a
//! highlighted bar. When the waterfall shows a critical path (`c`/`C`), its spans here carry
//! `◆` and solid bars and the others are shaded, so a path that crossed into a shard shows
//! in that shard's block too. Draws only `rows[scroll..scroll + height]`.

use super::draw::{count, fill, put, put_right};
use super::layout::{WaterfallCols, tree_indent};
use super::theme;
use super::waterfall::{CRITICAL_MARK, draw_head};
use crate::app::App;
use crate::app::critical::CriticalView;
use crate::app::stitch::{StitchRow, StitchView};
use crate::index::Index;
use crate::text::duration;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Clear, Widget};

/// Gutter mark of the selected span's link partners.
pub const PARTNER_MARK: &str = "◀▶";

pub struct StitchedTimeline<'a> {
    pub app: &'a App<'a>,
    pub view: &'a StitchView,
    pub head: Rect,
    pub rows: Rect,
}

fn partner_style() -> Style {
    Style::new().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD)
}

/// Columns of the shared axis `[start, end)` in a bar `w` wide. Each idle stretch in `cuts`
/// takes `cut_w` columns whatever its length; the rest of the time shares the other columns.
struct Axis<'a> {
    start: u64,
    end: u64,
    x: u16,
    w: u16,
    cuts: &'a [(u64, u64)],
    cut_w: u16,
}

/// `⋯ 3m08s ⋯`: how a cut is marked on the ruler; tighter forms when `room` is short.
fn cut_label((a, b): (u64, u64), room: usize) -> String {
    let d = duration(b.saturating_sub(a));
    [format!("⋯ {d} ⋯"), format!("⋯{d}⋯"), "⋯".to_owned()]
        .into_iter()
        .find(|l| super::draw::width(l) <= room)
        .unwrap_or_default()
}

impl<'a> Axis<'a> {
    fn new(v: &'a StitchView, cols: &WaterfallCols) -> Self {
        let (x, w) = cols.bar;
        // As wide as the widest mark, but never more than a third of the bar for all of them.
        let widest = v.cuts.iter().map(|&c| super::draw::width(&cut_label(c, usize::MAX))).max().unwrap_or(0);
        let share = usize::from(w) * 2 / (5 * v.cuts.len()).max(1);
        let cut_w = u16::try_from(widest.min(share).max(1)).unwrap_or(1);
        let cuts = if v.cuts.is_empty() || usize::from(cut_w) * v.cuts.len() >= usize::from(w) {
            &[][..]
        } else {
            &v.cuts[..]
        };
        Self { start: v.start, end: v.end.max(v.start), x, w, cuts, cut_w }
    }

    fn col(&self, t: u64) -> u16 {
        let t = t.clamp(self.start, self.end);
        let cut_cols = self.cut_w.saturating_mul(u16::try_from(self.cuts.len()).unwrap_or(u16::MAX));
        let avail = u128::from(self.w.saturating_sub(cut_cols));
        let kept = u128::from(self.end - self.start)
            - self.cuts.iter().map(|&(a, b)| u128::from(b - a)).sum::<u128>();
        // Time before `t` outside the cuts, and the cuts passed (or the one `t` is inside).
        let mut before = u128::from(t - self.start);
        let mut extra = 0u128;
        for &(a, b) in self.cuts {
            if t >= b {
                before -= u128::from(b - a);
                extra += u128::from(self.cut_w);
            } else if t > a {
                before -= u128::from(t - a);
                extra += u128::from(t - a) * u128::from(self.cut_w) / u128::from(b - a);
            }
        }
        let off = (before * avail).checked_div(kept).unwrap_or(0);
        u16::try_from(off + extra).unwrap_or(self.w).min(self.w)
    }

    /// The ruler with cuts: `|offset` where each stretch of time starts, each cut's mark in its
    /// columns, and the whole span of the axis at the right end.
    fn ruler(&self, buf: &mut Buffer, y: u16) {
        let style = theme::dim();
        let total = duration(self.end - self.start);
        let total_w = u16::try_from(super::draw::width(&total)).unwrap_or(self.w);
        let limit = self.x.saturating_add(self.w).saturating_sub(total_w.saturating_add(1));
        put(buf, self.x, y, self.w, &" ".repeat(usize::from(self.w)), Style::reset());
        put_right(buf, self.x, y, self.w, &total, style);
        let starts = std::iter::once(self.start).chain(self.cuts.iter().map(|&(_, b)| b));
        for t in starts {
            let label =
                if t == self.start { "|0".to_owned() } else { format!("|+{}", duration(t - self.start)) };
            let at = self.x.saturating_add(self.col(t));
            let w = u16::try_from(super::draw::width(&label)).unwrap_or(self.w);
            if at.saturating_add(w) <= limit {
                put(buf, at, y, w, &label, style);
            }
        }
        for &cut in self.cuts {
            let at = self.x.saturating_add(self.col(cut.0));
            put(buf, at, y, self.cut_w, &cut_label(cut, usize::from(self.cut_w)), theme::warn());
        }
    }

    /// Draws `cell` from `t0` to `t1` (at least one cell).
    fn bar(&self, buf: &mut Buffer, y: u16, (t0, t1): (u64, u64), cell: &str, style: Style) {
        if self.w == 0 {
            return;
        }
        let c0 = self.col(t0).min(self.w - 1);
        let c1 = self.col(t1).clamp(c0 + 1, self.w);
        put(buf, self.x.saturating_add(c0), y, c1 - c0, &cell.repeat(usize::from(c1 - c0)), style);
    }
}

impl Widget for StitchedTimeline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Clear.render(area, buf);
        let index = self.app.index;
        let v = self.view;
        let cols = WaterfallCols::new(self.rows);
        let total = v.end.saturating_sub(v.start);
        draw_head(buf, self.head, &cols, total);
        if self.head.height > 0 {
            let mut title = format!("stitched timeline · {} traces", v.blocks.len());
            if v.beyond > 0 {
                title.push_str(&format!(" (+{} not shown)", v.beyond));
            }
            fill(buf, Rect { x: cols.tree.0, width: cols.tree.1, ..self.head }, Style::reset());
            put(buf, cols.tree.0, self.head.y, cols.tree.1, &title, theme::title());
        }
        let axis = Axis::new(v, &cols);
        if !axis.cuts.is_empty() && self.head.height > 0 {
            axis.ruler(buf, self.head.y);
        }
        let critical = self.app.trace_view().and_then(|tv| tv.critical.as_ref());
        let height = usize::from(self.rows.height);
        let start = v.scroll.min(v.rows.len());
        let end = start.saturating_add(height).min(v.rows.len());
        for (i, &row) in v.rows[start..end].iter().enumerate() {
            let y = self.rows.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            match row {
                StitchRow::Header { block } => draw_header(buf, index, v, block, y, &cols, &axis),
                StitchRow::Span { block, pos } => {
                    draw_span(buf, index, &Marks { v, critical }, (block, pos), y, &cols, &axis);
                }
            }
            if start + i == v.sel {
                fill(buf, Rect { y, height: 1, ..self.rows }, theme::selection(true));
            }
        }
    }
}

fn draw_header(
    buf: &mut Buffer,
    index: &Index,
    v: &StitchView,
    block: u32,
    y: u16,
    cols: &WaterfallCols,
    axis: &Axis,
) {
    let Some(b) = v.block(block) else { return };
    let info = index.trace(b.trace);
    let glyph = if b.folded { "▸" } else { "▾" };
    let (gx, gw) = cols.gutter;
    if b.trace == v.root {
        put(buf, gx, y, gw, "this", theme::title());
    }
    let (tx, tw) = cols.tree;
    let right = tx.saturating_add(tw);
    let mut x = tx;
    x += put(buf, x, y, tw, &format!("{glyph} {} ", info.id.short(8)), theme::title());
    let root = info.root;
    if root.get() < index.span_count() {
        let service = index.service(root);
        x += put(
            buf,
            x,
            y,
            right.saturating_sub(x),
            service,
            theme::service(service).add_modifier(Modifier::BOLD),
        );
        x += put(buf, x, y, right.saturating_sub(x), ": ", theme::title());
        x += put(buf, x, y, right.saturating_sub(x), index.name(root), theme::title());
    }
    if b.folded {
        put(buf, x, y, right.saturating_sub(x), &format!(" (+{})", info.spans), theme::dim());
    }
    put_right(
        buf,
        cols.duration.0,
        y,
        cols.duration.1.saturating_sub(1),
        &duration(info.duration()),
        theme::title(),
    );
    axis.bar(buf, y, (info.start, info.end), "━", theme::dim());
}

/// The timeline and the critical path shown over it, if any.
struct Marks<'a> {
    v: &'a StitchView,
    critical: Option<&'a CriticalView>,
}

fn draw_span(
    buf: &mut Buffer,
    index: &Index,
    Marks { v, critical }: &Marks<'_>,
    (block, pos): (u32, u32),
    y: u16,
    cols: &WaterfallCols,
    axis: &Axis,
) {
    let Some(b) = v.block(block) else { return };
    let Some(&s) = index.trace_spans(b.trace).get(pos as usize) else { return };
    let span = index.span(s);
    let partner = v.is_partner(s);
    let on_path = critical.map(|c| c.on_path(s));

    let (gx, gw) = cols.gutter;
    if partner {
        put(buf, gx, y, gw, PARTNER_MARK, partner_style());
    } else {
        let (out, r#in) = crate::app::links::counts(index, s);
        let mut used = 0u16;
        if out > 0 {
            used += put(buf, gx, y, gw, &format!("↗{}", count(out)), Style::new().fg(theme::LINK_OUT));
        }
        if r#in > 0 {
            put(
                buf,
                gx.saturating_add(used),
                y,
                gw.saturating_sub(used),
                &format!("↙{}", count(r#in)),
                Style::new().fg(theme::LINK_IN),
            );
        }
    }

    if on_path == Some(true) && gw > 0 {
        put(buf, gx.saturating_add(gw - 1), y, 1, CRITICAL_MARK, theme::critical());
    }

    // Spans sit one step deeper than their trace's header.
    let (tx, tw) = cols.tree;
    let indent = tree_indent(usize::from(index.depth(s)).saturating_add(1), tw);
    let mut x = tx.saturating_add(u16::try_from(indent).unwrap_or(tw));
    let right = tx.saturating_add(tw);
    let row = StitchRow::Span { block, pos };
    let glyph = if !b.shape.has_children(pos) {
        " "
    } else if v.is_collapsed(row) {
        "▸"
    } else {
        "▾"
    };
    x += put(buf, x, y, right.saturating_sub(x), glyph, theme::dim());
    x += put(buf, x, y, right.saturating_sub(x), " ", theme::dim());
    if span.is_error() {
        x += put(buf, x, y, right.saturating_sub(x), "! ", theme::error());
    }
    let service = index.service(s);
    x += put(buf, x, y, right.saturating_sub(x), service, theme::service(service));
    x += put(buf, x, y, right.saturating_sub(x), " ", theme::dim());
    let name_style = if span.is_error() { Style::new().fg(theme::ERROR) } else { Style::new() };
    x += put(buf, x, y, right.saturating_sub(x), index.name(s), name_style);
    if v.is_collapsed(row) {
        let hidden = b.shape.end.get(pos as usize).copied().unwrap_or(0).saturating_sub(pos + 1);
        put(buf, x, y, right.saturating_sub(x), &format!(" (+{hidden})"), theme::dim());
    }

    put_right(
        buf,
        cols.duration.0,
        y,
        cols.duration.1.saturating_sub(1),
        &duration(span.duration()),
        Style::new(),
    );
    let (cell, style) = if partner {
        ("▓", partner_style())
    } else if on_path == Some(true) {
        ("█", theme::critical())
    } else if on_path == Some(false) {
        ("░", theme::dim())
    } else if span.is_error() {
        ("█", Style::new().fg(theme::ERROR))
    } else {
        ("█", theme::service(service))
    };
    axis.bar(buf, y, (span.start, span.end), cell, style);
}

#[cfg(test)]
mod tests {
    use super::PARTNER_MARK;
    use crate::app::OpenAt;
    use crate::app::action::Action;
    use crate::app::flow::tests::{sample, trace_by_root};
    use crate::app::keymap::{Context, key_for};
    use crate::app::stitch::{StitchRow, StitchView};
    use crate::app::{App, Overlay};
    use crate::ui::tests::screen;
    use rstest::rstest;

    fn view<'b>(app: &'b App<'_>) -> &'b StitchView {
        match &app.overlay {
            Overlay::Stitch(sv) => sv,
            other => panic!("stitched timeline not open: {other:?}"),
        }
    }

    fn open<'a>(index: &'a crate::index::Index, root_service: &str, w: u16, h: u16) -> App<'a> {
        let t = trace_by_root(index, root_service);
        let mut app = App::new(index, OpenAt { trace: Some(t), span: None });
        app.resize(w, h);
        app.handle_key(key_for(Context::Trace, Action::ShowStitchedTimeline).expect("bound"));
        assert!(matches!(app.overlay, Overlay::Stitch(_)));
        app
    }

    /// Moves the selection down to the first span row of `service` named `name`.
    fn select(app: &mut App<'_>, service: &str, name: &str) {
        let index = app.index;
        let i = view(app)
            .rows
            .iter()
            .position(|&r| {
                matches!(r, StitchRow::Span { .. })
                    && view(app)
                        .span_of(index, r)
                        .is_some_and(|s| index.service(s) == service && index.name(s) == name)
            })
            .expect("row shown");
        app.handle_key(key_for(Context::Move, Action::SelectFirst).expect("bound"));
        for _ in 0..i {
            app.handle_key(key_for(Context::Move, Action::SelectNext).expect("bound"));
        }
    }

    fn line_with<'l>(lines: &'l [String], needle: &str) -> &'l str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?}:\n{}", lines.join("\n")))
    }

    #[rstest]
    #[case::s80x24(80, 24, "⋯3m08s⋯")]
    #[case::s200x50(200, 50, "⋯ 3m08s ⋯")]
    fn an_idle_gap_between_linked_traces_is_cut_and_marked_on_the_ruler(
        #[case] w: u16,
        #[case] h: u16,
        #[case] mark: &str,
    ) {
        let index = sample("event-sourcing.otlp.json");
        let t = (0..index.traces().len())
            .map(|i| crate::index::TraceIdx(i as u32))
            .find(|&t| index.trace(t).id.short(8) == "a896f5a9")
            .expect("the checkout trace");
        let mut app = App::new(&index, OpenAt { trace: Some(t), span: None });
        app.resize(w, h);
        app.handle_key(key_for(Context::Trace, Action::ShowStitchedTimeline).expect("bound"));
        let v = view(&app);
        assert_eq!(v.cuts.len(), 1, "the two traces are minutes apart");
        let (_, lines) = screen(&app, w, h);
        let ruler = &lines[2];
        assert!(ruler.contains(mark) && ruler.trim_end().ends_with("3m08s"), "{ruler}");
        // Both traces' header bars get columns of their own, the later one after the mark.
        let cols = crate::ui::layout::WaterfallCols::new(app.areas().stitch_rows());
        let bar_of = |line: &str| {
            let cells: Vec<char> = line.chars().skip(usize::from(cols.bar.0)).collect();
            let first = cells.iter().position(|&c| c == '━').expect("a header bar");
            (first, cells.iter().filter(|&&c| c == '━').count())
        };
        let headers: Vec<&String> = lines.iter().filter(|l| l.contains('━')).collect();
        assert_eq!(headers.len(), 2, "{lines:#?}");
        let (first, second) = (bar_of(headers[0]), bar_of(headers[1]));
        let mark_at =
            ruler.chars().skip(usize::from(cols.bar.0)).collect::<Vec<_>>().iter().position(|&c| c == '⋯');
        assert_eq!(first.0, 0);
        assert!(first.1 >= 2 && second.1 >= 2, "neither squeezed into a column: {first:?} {second:?}");
        assert!(mark_at.is_some_and(|m| second.0 > m), "{ruler}\n{}", headers[1]);
    }

    #[rstest]
    #[case::s80x24(80, 24)]
    #[case::s200x50(200, 50)]
    fn scatter_gather(#[case] w: u16, #[case] h: u16) {
        let index = sample("scatter-gather.otlp.json");
        let mut app = open(&index, "checkout", w, h);
        select(&mut app, "inventory-shard-0", "kafka.produce inventory.shard-replies");
        let (t, lines) = screen(&app, w, h);
        // One ruler for all five traces, from 0 to the end of the last one.
        let ruler = line_with(&lines, "stitched timeline · 5 traces");
        assert!(ruler.contains("|0 ") && ruler.trim_end().ends_with("326ms"), "{ruler}");
        // Blocks of several traces, each opened by its header row (the checkout one scrolled
        // off the small screen).
        if h >= 50 {
            assert!(line_with(&lines, "▾ 1f0fa39f checkout: POST /checkout").starts_with("this"));
        }
        assert!(line_with(&lines, "checkout POST /v1/quotes").contains("19.8ms"));
        assert!(line_with(&lines, "▾ 1c584a6c inventory-shard-0: kafka.consum").contains("22.4ms"));
        // The selected reply's partner, the gather, is marked and its bar highlighted.
        let gather = line_with(&lines, "inventory gather availability");
        assert!(gather.starts_with(PARTNER_MARK) && gather.contains('▓'), "{gather}");
        assert_eq!(lines.iter().filter(|l| l.starts_with(PARTNER_MARK)).count(), 1);
        // Bars sit on the shared axis: the shard starts after the checkout trace does.
        let bar_start = |l: &str, c: char| l.chars().position(|x| x == c).expect("a bar");
        let quotes = line_with(&lines, "checkout POST /v1/quotes");
        let shard = line_with(&lines, "▾ 1c584a6c");
        assert!(bar_start(shard, '━') > bar_start(quotes, '█'), "{quotes}\n{shard}");
        insta::assert_snapshot!(format!("stitch_scatter_gather_{w}x{h}"), t.backend());
    }

    #[rstest]
    #[case::s80x24(80, 24)]
    #[case::s200x50(200, 50)]
    fn message_aggregation(#[case] w: u16, #[case] h: u16) {
        let index = sample("message-aggregation.otlp.json");
        let app = open(&index, "billing-worker", w, h);
        let (t, lines) = screen(&app, w, h);
        assert!(line_with(&lines, "stitched timeline · 12 traces").trim_end().ends_with('s'));
        // The producers come first (they started earlier); the consumer's block, selected at its
        // root, is scrolled into view at the bottom.
        let producers = lines.iter().filter(|l| l.contains("checkout: POST /checkout")).count();
        assert!(producers >= usize::from(h / 24), "{}", lines.join("\n"));
        assert!(line_with(&lines, "billing-worker: kafka.consume").starts_with("this"));
        // The consumer's root holds the links: the producers' publish spans on screen are
        // its partners, and nothing else is.
        let partners: Vec<&String> = lines.iter().filter(|l| l.starts_with(PARTNER_MARK)).collect();
        assert!(partners.len() >= 2, "{}", lines.join("\n"));
        assert!(partners.iter().all(|l| l.contains("orders kafka.produce orders") && l.contains('▓')));
        insta::assert_snapshot!(format!("stitch_message_aggregation_{w}x{h}"), t.backend());
    }

    #[rstest]
    #[case::zero(0, 0)]
    #[case::one(1, 1)]
    fn renders_in_tiny_buffers(#[case] w: u16, #[case] h: u16) {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        use ratatui::widgets::Widget;
        let index = sample("scatter-gather.otlp.json");
        let app = open(&index, "checkout", 80, 24);
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        super::StitchedTimeline { app: &app, view: view(&app), head: area, rows: area }
            .render(area, &mut buf);
        assert_eq!(buf.content.len(), usize::from(w) * usize::from(h));
    }

    #[test]
    fn a_critical_path_across_links_shows_in_the_shard_it_entered() {
        let index = sample("scatter-gather.otlp.json");
        let t = trace_by_root(&index, "checkout");
        let mut app = App::new(&index, OpenAt { trace: Some(t), span: None });
        app.resize(200, 50);
        app.handle_key(key_for(Context::Waterfall, Action::ToggleCrossCriticalPath).expect("bound"));
        app.handle_key(key_for(Context::Trace, Action::ShowStitchedTimeline).expect("bound"));
        app.handle_key(key_for(Context::Move, Action::SelectLast).expect("bound"));
        let (_, lines) = screen(&app, 200, 50);
        let mark = super::CRITICAL_MARK;
        let reply3 = line_with(&lines, "inventory-shard-3 kafka.produce");
        assert!(reply3.contains(mark) && reply3.contains('█') && !reply3.contains('░'), "{reply3}");
        let reply2 = line_with(&lines, "inventory-shard-2 kafka.produce");
        assert!(!reply2.contains(mark) && reply2.contains('░'), "{reply2}");
    }
}
