//! The details pane: a tab bar (`Attributes 4 │ Events 1 │ Links 3↗ 2↙`) and the selected
//! span's rows for the active tab. Only the rows on screen are drawn.

use super::draw::{fill, put, width};
use super::layout::tab_width;
use super::theme;
use crate::app::App;
use crate::app::detail::{DetailRow, RowKind, attribute_rows, event_rows, tab_title};
use crate::app::trace_view::{Pane, Tab, TraceView};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

/// Key column width: the longest key, capped at this share of the pane (percent).
const KEY_SHARE: usize = 45;

pub struct DetailPane<'a> {
    pub app: &'a App<'a>,
    pub tv: &'a TraceView,
    pub tabs: Rect,
    pub rows: Rect,
}

impl Widget for DetailPane<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let index = self.app.index;
        let span = self.tv.selected_span(index);
        let focused = self.tv.focus == Pane::Details;

        // Tab bar; the rest of its line is a rule separating the panes when they are stacked.
        let mut x = self.tabs.x;
        let right = self.tabs.right();
        if self.tabs.height > 0 {
            let y = self.tabs.y;
            for tab in Tab::ALL {
                let title = tab_title(index, span, tab);
                let style = if tab == self.tv.tab { theme::active_tab(focused) } else { theme::dim() };
                let w = tab_width(&title).min(right.saturating_sub(x));
                put(buf, x, y, w, &format!(" {title} "), style);
                x = x.saturating_add(w);
            }
            let rule = "─".repeat(usize::from(right.saturating_sub(x)));
            put(buf, x, y, right.saturating_sub(x), &rule, theme::dim());
        }

        let h = usize::from(self.rows.height);
        let (first, sel) = (self.tv.detail_scroll, self.tv.detail_sel);
        let len = match self.tv.tab {
            Tab::Attributes => {
                draw_rows(buf, self.rows, &attribute_rows(index, span), first, "no attributes")
            }
            Tab::Events => draw_rows(buf, self.rows, &event_rows(index, span), first, "no events"),
            Tab::Links => {
                let links = &self.tv.links;
                if links.is_empty() {
                    put(
                        buf,
                        self.rows.x.saturating_add(1),
                        self.rows.y,
                        self.rows.width.saturating_sub(1),
                        "no links",
                        theme::dim(),
                    );
                }
                let end = first.saturating_add(h).min(links.len());
                for (i, row) in links.get(first..end).unwrap_or(&[]).iter().enumerate() {
                    let y = self.rows.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
                    super::links::draw_row(
                        buf,
                        self.app,
                        row,
                        self.tv.trace,
                        (self.rows.x.saturating_add(1), y, self.rows.width.saturating_sub(1)),
                    );
                }
                links.len()
            }
        };
        if focused && sel < len && sel >= first && sel < first + h {
            let y = self.rows.y.saturating_add(u16::try_from(sel - first).unwrap_or(u16::MAX));
            fill(buf, Rect { y, height: 1, ..self.rows }, theme::selection(true));
        }
    }
}

/// Draws `rows[first..]` into `area`; returns how many rows there are.
fn draw_rows(buf: &mut Buffer, area: Rect, rows: &[DetailRow], first: usize, empty: &str) -> usize {
    if rows.is_empty() {
        put(buf, area.x.saturating_add(1), area.y, area.width.saturating_sub(1), empty, theme::dim());
        return 0;
    }
    let h = usize::from(area.height);
    let visible = rows.get(first..first.saturating_add(h).min(rows.len())).unwrap_or(&[]);
    // Measured over all rows (one span's attributes), so the column does not shift on scroll.
    let key_w = rows
        .iter()
        .filter(|r| r.kind != RowKind::Heading)
        .map(|r| width(&r.key) + 2 * usize::from(r.indent))
        .max()
        .unwrap_or(0)
        .min(usize::from(area.width) * KEY_SHARE / 100);
    let key_w = u16::try_from(key_w).unwrap_or(0);
    for (i, row) in visible.iter().enumerate() {
        let y = area.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
        let x = area.x.saturating_add(1);
        let right = area.right();
        let indent = u16::from(row.indent) * 2;
        match row.kind {
            RowKind::Heading => {
                let used = put(
                    buf,
                    x.saturating_add(indent),
                    y,
                    right.saturating_sub(x.saturating_add(indent)),
                    &row.key,
                    theme::title(),
                );
                if !row.value.is_empty() {
                    let vx = x.saturating_add(indent).saturating_add(used).saturating_add(1);
                    put(buf, vx, y, right.saturating_sub(vx), &row.value, theme::title());
                }
            }
            RowKind::Field | RowKind::Warning => {
                let key_x = x.saturating_add(1).saturating_add(indent);
                put(buf, key_x, y, key_w.saturating_sub(indent), &row.key, theme::dim());
                let vx = x.saturating_add(key_w).saturating_add(3);
                let style = if row.kind == RowKind::Warning { theme::warn() } else { Style::new() };
                put(buf, vx, y, right.saturating_sub(vx), &row.value, style);
            }
        }
    }
    rows.len()
}
