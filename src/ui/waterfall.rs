//! The waterfall: one row per visible span (tree indentation, service, name, duration and a
//! time bar scaled to the trace), with a gutter of link markers. Draws only the rows on screen:
//! `visible[scroll..scroll + height]`, so the cost does not depend on the trace's size.

use super::draw::{count, fill, put, put_right};
use super::layout::{WaterfallCols, tree_indent};
use super::theme;
use crate::app::App;
use crate::app::trace_view::{Pane, TraceView};
use crate::index::Index;
use crate::model::SEVERITY_ERROR;
use crate::text::duration;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// Before the service of a span whose parent is not loaded.
pub const ORPHAN_MARK: &str = "⊘ ";

/// Gutter mark of a span on the critical path (in the gutter's last column).
pub const CRITICAL_MARK: &str = "◆";

/// On a bar, where a log record of the span happened; `LOG_ERROR_MARK` for ERROR and above.
pub const LOG_MARK: &str = "•";
pub const LOG_ERROR_MARK: &str = "×";
/// Before the count of a span's log records in the gutter.
pub const LOG_COUNT_MARK: &str = "≡";
/// Records of one span looked at for bar marks per frame: past this the gutter still counts
/// them all, so a span with a million records costs no more to draw than one with a thousand.
const MAX_LOG_MARKS: usize = 1000;

/// Minimum columns between two ruler labels.
const RULER_GAP: u16 = 12;

pub struct Waterfall<'a> {
    pub app: &'a App<'a>,
    pub tv: &'a TraceView,
    pub head: Rect,
    pub rows: Rect,
}

impl Widget for Waterfall<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let index = self.app.index;
        let info = index.trace(self.tv.trace);
        let cols = WaterfallCols::new(self.rows);
        // Focused on a span (`z`), the time axis is that span's.
        let axis = match self.tv.zoom.map(|z| index.span(self.tv.span_at(index, z))) {
            Some(z) => (z.start, z.duration()),
            None => (info.start, info.duration()),
        };
        draw_head(buf, self.head, &cols, axis.1);

        let height = usize::from(self.rows.height);
        let start = self.tv.scroll.min(self.tv.visible.len());
        let end = start.saturating_add(height).min(self.tv.visible.len());
        let focused = self.tv.focus == Pane::Waterfall;
        for (i, &pos) in self.tv.visible[start..end].iter().enumerate() {
            let y = self.rows.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            draw_row(buf, index, self.tv, pos, y, &cols, axis);
            if pos == self.tv.selected {
                fill(buf, Rect { y, height: 1, ..self.rows }, theme::selection(focused));
            }
        }
    }
}

pub(super) fn draw_head(buf: &mut Buffer, head: Rect, cols: &WaterfallCols, total: u64) {
    if head.height == 0 {
        return;
    }
    let y = head.y;
    let style = theme::dim();
    put(buf, cols.gutter.0, y, cols.gutter.1, "links", style);
    put(buf, cols.tree.0, y, cols.tree.1, "span", style);
    put_right(buf, cols.duration.0, y, cols.duration.1.saturating_sub(1), "duration", style);
    // Time ruler: labels at even fractions of the trace's duration.
    let (x0, w) = cols.bar;
    if w == 0 {
        return;
    }
    let ticks = (w / RULER_GAP).max(1);
    let last = duration(total);
    let last_w = u16::try_from(super::draw::width(&last)).unwrap_or(w);
    put_right(buf, x0, y, w, &last, style);
    // Intermediate labels stop one column short of the final one.
    let limit = x0.saturating_add(w).saturating_sub(last_w.saturating_add(1));
    for k in 0..ticks {
        let at = u64::from(k) * total / u64::from(ticks);
        let label = if k == 0 { "|0".to_owned() } else { format!("|{}", duration(at)) };
        let x = x0.saturating_add(u16::try_from(u32::from(k) * u32::from(w) / u32::from(ticks)).unwrap_or(w));
        let label_w = u16::try_from(super::draw::width(&label)).unwrap_or(w);
        if x.saturating_add(label_w) <= limit {
            put(buf, x, y, label_w, &label, style);
        }
    }
}

/// Gutter text: own links `↗2↙1`, then, for a collapsed span, what is hidden inside `+↗3↙1`.
fn draw_gutter(buf: &mut Buffer, index: &Index, tv: &TraceView, pos: u32, y: u16, (x, w): (u16, u16)) {
    let s = tv.span_at(index, pos);
    let (out, r#in) = crate::app::links::counts(index, s);
    let mut used = 0u16;
    if out > 0 {
        used +=
            put(buf, x, y, w, &format!("↗{}", count(out)), ratatui::style::Style::new().fg(theme::LINK_OUT));
    }
    if r#in > 0 {
        used += put(
            buf,
            x.saturating_add(used),
            y,
            w - used,
            &format!("↙{}", count(r#in)),
            ratatui::style::Style::new().fg(theme::LINK_IN),
        );
    }
    let logs = crate::app::detail::log_count(index, s);
    if logs > 0 {
        let gap = u16::from(used > 0);
        let mut records = index.span_logs(s).iter().take(MAX_LOG_MARKS);
        let error = records.any(|&i| index.data.logs[i as usize].severity >= SEVERITY_ERROR);
        let style = if error { theme::error() } else { theme::dim() };
        let text = format!("{LOG_COUNT_MARK}{}", count(logs));
        used += gap + put(buf, x.saturating_add(used + gap), y, w.saturating_sub(used + gap), &text, style);
    }
    if tv.is_collapsed(pos) {
        let p = pos as usize;
        let inner_out = tv.shape.inner_out.get(p).copied().unwrap_or(0) as usize;
        let inner_in = tv.shape.inner_in.get(p).copied().unwrap_or(0) as usize;
        if inner_out + inner_in > 0 {
            let mut agg = String::from("+");
            if inner_out > 0 {
                agg.push_str(&format!("↗{}", count(inner_out)));
            }
            if inner_in > 0 {
                agg.push_str(&format!("↙{}", count(inner_in)));
            }
            let gap = u16::from(used > 0);
            put(buf, x.saturating_add(used + gap), y, w.saturating_sub(used + gap), &agg, theme::dim());
        }
    }
}

fn draw_row(
    buf: &mut Buffer,
    index: &Index,
    tv: &TraceView,
    pos: u32,
    y: u16,
    cols: &WaterfallCols,
    (trace_start, trace_dur): (u64, u64),
) {
    let s = tv.span_at(index, pos);
    let span = index.span(s);
    draw_gutter(buf, index, tv, pos, y, cols.gutter);
    if tv.critical.as_ref().is_some_and(|c| c.is_marked(pos)) && cols.gutter.1 > 0 {
        let x = cols.gutter.0.saturating_add(cols.gutter.1 - 1);
        put(buf, x, y, 1, CRITICAL_MARK, theme::critical());
    }

    // Tree: indentation, expand glyph, error mark, service, name, hidden-children note.
    let (tx, tw) = cols.tree;
    let indent = tree_indent(usize::from(index.depth(s)), tw);
    let mut x = tx.saturating_add(u16::try_from(indent).unwrap_or(tw));
    let right = tx.saturating_add(tw);
    let collapsed = tv.is_collapsed(pos);
    let glyph = if !tv.shape.has_children(pos) {
        " "
    } else if collapsed {
        "▸"
    } else {
        "▾"
    };
    x += put(buf, x, y, right.saturating_sub(x), glyph, theme::dim());
    x += put(buf, x, y, right.saturating_sub(x), " ", theme::dim());
    if index.is_orphan(s) {
        // Its parent is not loaded (another file or dump may hold it): a root only here.
        x += put(buf, x, y, right.saturating_sub(x), ORPHAN_MARK, theme::warn());
    }
    if span.is_error() {
        x += put(buf, x, y, right.saturating_sub(x), "! ", theme::error());
    }
    let service = index.service(s);
    // With a query applied, the ancestors kept only to place the matches are dimmed.
    let context_only = tv.filter.as_ref().is_some_and(|f| !f.is_match(pos));
    let service_style = if context_only { theme::dim() } else { theme::service(service) };
    x += put(buf, x, y, right.saturating_sub(x), service, service_style);
    x += put(buf, x, y, right.saturating_sub(x), " ", theme::dim());
    let name_style = if context_only {
        theme::dim()
    } else if tv.search.is_match(pos) {
        theme::matched()
    } else if span.is_error() {
        ratatui::style::Style::new().fg(theme::ERROR)
    } else {
        ratatui::style::Style::new()
    };
    x += put(buf, x, y, right.saturating_sub(x), index.name(s), name_style);
    if collapsed {
        let p = pos as usize;
        let hidden = tv.shape.end.get(p).copied().unwrap_or(0).saturating_sub(pos + 1);
        let errors = tv.shape.inner_errors.get(p).copied().unwrap_or(0);
        x += put(buf, x, y, right.saturating_sub(x), &format!(" (+{hidden})"), theme::dim());
        if errors > 0 {
            put(buf, x, y, right.saturating_sub(x), &format!(" !{errors}"), theme::error());
        }
    }

    let (dx, dw) = cols.duration;
    put_right(buf, dx, y, dw.saturating_sub(1), &duration(span.duration()), ratatui::style::Style::new());

    // Time bar, scaled to the whole trace; at least one cell so instant spans still show.
    let (bx, bw) = cols.bar;
    if bw == 0 {
        return;
    }
    let scale = |t: u64| -> u16 {
        if trace_dur == 0 {
            return 0;
        }
        let off = u128::from(t.saturating_sub(trace_start).min(trace_dur));
        u16::try_from(off * u128::from(bw) / u128::from(trace_dur)).unwrap_or(bw)
    };
    let c0 = scale(span.start).min(bw - 1);
    let c1 = scale(span.end).clamp(c0 + 1, bw);
    let color = if span.is_error() { theme::ERROR } else { theme::service_color(service) };
    // With the critical path shown, its spans keep solid bars and the rest fade to shade.
    let (cell, style) = match &tv.critical {
        Some(c) if c.is_marked(pos) => ("█", theme::critical()),
        Some(_) => ("░", theme::dim()),
        None => ("█", ratatui::style::Style::new().fg(color)),
    };
    let bar = cell.repeat(usize::from(c1 - c0));
    put(buf, bx.saturating_add(c0), y, c1 - c0, &bar, style);
    // Log records where they happened: errors and above as `×` in the error colour, drawn last
    // so they win a cell they share with other records.
    let logs = index.span_logs(s);
    let logs = &logs[..logs.len().min(MAX_LOG_MARKS)];
    for error in [false, true] {
        for r in logs.iter().map(|&i| &index.data.logs[i as usize]) {
            if (r.severity >= SEVERITY_ERROR) != error {
                continue;
            }
            let c = scale(r.time).min(bw - 1);
            let (mark, style) = if error {
                (LOG_ERROR_MARK, theme::error().add_modifier(ratatui::style::Modifier::BOLD))
            } else {
                (LOG_MARK, ratatui::style::Style::new().fg(ratatui::style::Color::White))
            };
            put(buf, bx.saturating_add(c), y, 1, mark, style);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CRITICAL_MARK;
    use crate::app::OpenAt;
    use crate::app::action::Action;
    use crate::app::flow::tests::{sample, trace_by_root};
    use crate::app::keymap::{Context, key_for};
    use crate::app::{App, Screen};
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use rstest::rstest;

    fn lines(app: &App<'_>, w: u16, h: u16) -> Vec<String> {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        crate::ui::draw(app, buf.area, &mut buf);
        (0..h)
            .map(|y| {
                let mut line = String::new();
                let mut x = 0;
                while x < w {
                    let sym = buf[(x, y)].symbol();
                    line.push_str(sym);
                    x += u16::try_from(unicode_width::UnicodeWidthStr::width(sym)).unwrap_or(1).max(1);
                }
                line
            })
            .collect()
    }

    #[rstest]
    #[case::s80x24(80, 24)]
    #[case::s200x50(200, 50)]
    fn critical_path_marks_rows_and_sums_in_the_header(#[case] w: u16, #[case] h: u16) {
        let index = sample("scatter-gather.otlp.json");
        let checkout = trace_by_root(&index, "checkout");
        let mut app = App::new(&index, OpenAt { trace: Some(checkout), span: None });
        app.resize(w, h);
        app.handle_key(key_for(Context::Waterfall, Action::ToggleCriticalPath).expect("bound"));
        let screen = lines(&app, w, h);
        let Screen::Trace(tv) = &app.screen else { panic!("trace open") };
        let cv = tv.critical.as_ref().expect("path shown");
        assert!(
            screen[1].starts_with(&format!("critical path: {} spans, 326ms · ", cv.spans)),
            "{}",
            screen[1]
        );
        // Rows on screen: marked ones carry ◆ and a solid bar, the others a shaded one.
        let body = usize::from(app.areas().waterfall_rows.y);
        let shown = tv.visible.len().min(usize::from(app.areas().waterfall_rows.height));
        let mut marked = 0;
        for (i, &pos) in tv.visible[..shown].iter().enumerate() {
            let row = &screen[body + i];
            if cv.is_marked(pos) {
                marked += 1;
                assert!(row.contains(CRITICAL_MARK) && row.contains('█') && !row.contains('░'), "{row}");
            } else {
                assert!(!row.contains(CRITICAL_MARK) && row.contains('░') && !row.contains('█'), "{row}");
            }
        }
        assert!(marked >= 2, "the root and something under it are on screen");
    }
}
