//! The trace list: one row per trace (start, id, root service and name, duration, spans,
//! errors, links out and in), with the sort column marked. Draws only the rows on screen.

use super::draw::{fill, put, put_right};
use super::theme;
use crate::app::App;
use crate::app::list::SortKey;
use crate::text::duration;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

/// From this width on, the start column shows the date too.
const DATE_WIDTH: u16 = 120;

pub struct TraceList<'a> {
    pub app: &'a App<'a>,
    pub head: Rect,
    pub rows: Rect,
}

/// Service and name together keep at least this many columns; other columns go first.
const MIN_FLEX: u16 = 28;

/// (column, width incl. one column of spacing, right-aligned) for a list `w` columns wide.
/// Service and name share what the fixed columns leave; on narrow terminals the trace id,
/// span and error counts are dropped (width 0) before they would squeeze the names away.
fn columns(w: u16) -> [(SortKey, u16, bool); 9] {
    let start = if w >= DATE_WIDTH { 24 } else { 13 };
    let mut cols = [
        (SortKey::Start, start, false),
        (SortKey::Trace, 9, false),
        (SortKey::Service, 0, false),
        (SortKey::Name, 0, false),
        (SortKey::Duration, 10, true),
        (SortKey::Spans, 7, true),
        (SortKey::Errors, 8, true),
        (SortKey::LinksOut, 6, true),
        (SortKey::LinksIn, 6, true),
    ];
    let fixed = |cols: &[(SortKey, u16, bool); 9]| cols.iter().map(|c| c.1).sum::<u16>();
    for drop in [SortKey::Trace, SortKey::Spans, SortKey::Errors] {
        if fixed(&cols) + MIN_FLEX < w {
            break;
        }
        if let Some(col) = cols.iter_mut().find(|c| c.0 == drop) {
            col.1 = 0;
        }
    }
    // One column of left margin.
    let flex = w.saturating_sub(fixed(&cols) + 1);
    let service = (flex * 2 / 5).min(24);
    cols[2].1 = service;
    cols[3].1 = flex - service;
    cols
}

impl Widget for TraceList<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let index = app.index;
        let list = &app.list;
        let cols = columns(self.rows.width.max(self.head.width));
        let with_date = self.rows.width >= DATE_WIDTH;

        if self.head.height > 0 {
            let mut x = self.head.x.saturating_add(1);
            for (key, w, right) in cols {
                let mut title = key.heading().to_owned();
                if key == list.sort {
                    title.push_str(if list.reverse { "▼" } else { "▲" });
                }
                let style = if key == list.sort { theme::title() } else { theme::dim() };
                if right {
                    put_right(buf, x, self.head.y, w.saturating_sub(1), &title, style);
                } else {
                    put(buf, x, self.head.y, w.saturating_sub(1), &title, style);
                }
                x = x.saturating_add(w);
            }
        }

        if list.rows.is_empty() {
            let msg = if index.traces().is_empty() {
                "no traces loaded"
            } else {
                "no trace matches the filter (Esc clears it)"
            };
            put(
                buf,
                self.rows.x.saturating_add(1),
                self.rows.y,
                self.rows.width.saturating_sub(1),
                msg,
                theme::dim(),
            );
            return;
        }
        let h = usize::from(self.rows.height);
        let end = list.scroll.saturating_add(h).min(list.rows.len());
        for (i, &t) in list.rows.get(list.scroll..end).unwrap_or(&[]).iter().enumerate() {
            let y = self.rows.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            let info = index.trace(t);
            let service = index.service(info.root);
            let mut x = self.rows.x.saturating_add(1);
            for (key, w, right) in cols {
                let cw = w.saturating_sub(1);
                let (text, style) = match key {
                    SortKey::Start => (crate::text::utc(info.start, with_date), Style::new()),
                    SortKey::Trace => (info.id.short(8), theme::dim()),
                    SortKey::Service => (service.to_owned(), theme::service(service)),
                    SortKey::Name => (index.name(info.root).to_owned(), Style::new()),
                    SortKey::Duration => (duration(info.duration()), Style::new()),
                    SortKey::Spans => (info.spans.to_string(), Style::new()),
                    SortKey::Errors => {
                        (info.errors.to_string(), if info.errors > 0 { theme::error() } else { theme::dim() })
                    }
                    SortKey::LinksOut => (
                        format!("{}↗", info.links_out),
                        if info.links_out > 0 { Style::new().fg(theme::LINK_OUT) } else { theme::dim() },
                    ),
                    SortKey::LinksIn => (
                        format!("{}↙", info.links_in),
                        if info.links_in > 0 { Style::new().fg(theme::LINK_IN) } else { theme::dim() },
                    ),
                };
                if right {
                    put_right(buf, x, y, cw, &text, style);
                } else {
                    put(buf, x, y, cw, &text, style);
                }
                x = x.saturating_add(w);
            }
            if i + list.scroll == list.sel {
                fill(buf, Rect { y, height: 1, ..self.rows }, theme::selection(true));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_the_width() {
        for w in [40u16, 80, 120, 250] {
            let total: u16 = columns(w).iter().map(|c| c.1).sum();
            assert!(total < w, "{w}: {total}");
        }
    }
}
