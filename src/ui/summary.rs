//! The summary overlay (`S`): one row per operation of the open trace, as
//! `app::summary::SummaryView` sorted it: service and name, then the numbers of `weft stats`.
//! Narrow terminals drop the least telling columns first (share, max, p50, total).

use super::draw::{fill, put, put_right};
use super::theme;
use crate::app::App;
use crate::app::summary::SummaryView;
use crate::query::stats::OpStats;
use crate::text::duration;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Widget};

/// Columns left for service and name before the next optional number column is dropped.
const MIN_NAME_W: u16 = 28;

/// A number column: heading, width, and its text for one operation.
struct Column {
    head: &'static str,
    width: u16,
    /// Lower drops first when narrow.
    keep: u8,
    cell: fn(&SummaryView, &OpStats) -> String,
}

const COLUMNS: &[Column] = &[
    Column { head: "spans", width: 7, keep: 9, cell: |_, o| o.spans.to_string() },
    Column { head: "errors", width: 7, keep: 8, cell: |_, o| o.errors.to_string() },
    Column { head: "total", width: 8, keep: 4, cell: |_, o| duration(o.total_ns) },
    Column { head: "self", width: 8, keep: 9, cell: |_, o| duration(o.self_ns) },
    Column { head: "share", width: 7, keep: 1, cell: |v, o| format!("{:.1}%", v.stats.share(o.self_ns)) },
    Column { head: "max", width: 8, keep: 2, cell: |_, o| duration(o.max_ns) },
    Column { head: "p50", width: 8, keep: 3, cell: |_, o| duration(o.p50_ns) },
    Column { head: "p99", width: 8, keep: 7, cell: |_, o| duration(o.p99_ns) },
];

pub struct Summary<'a> {
    pub app: &'a App<'a>,
    pub view: &'a SummaryView,
}

impl Widget for Summary<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let areas = self.app.areas();
        let view = self.view;
        let frame = areas.summary(view.rows.len());
        if frame.width < 3 || frame.height < 3 {
            return;
        }
        let index = self.app.index;
        Clear.render(frame, buf);
        let title = format!(
            " summary of {} · {} operations · sorted by {} ",
            index.trace(view.trace).id.short(8),
            view.rows.len(),
            view.sort.title()
        );
        let block = Block::bordered()
            .title(Line::from(title))
            .title_bottom(Line::from(" s sort · Enter filter · Esc close ").right_aligned());
        let inner = block.inner(frame);
        block.render(frame, buf);
        let rows = areas.summary_rows(view.rows.len());
        let (x, w) = (inner.x.saturating_add(1), inner.width.saturating_sub(2));
        // The widest set of columns that leaves room for the names.
        let mut shown: Vec<&Column> = COLUMNS.iter().collect();
        while shown.iter().map(|c| c.width).sum::<u16>().saturating_add(MIN_NAME_W) > w {
            let Some(drop) = shown.iter().enumerate().min_by_key(|(_, c)| c.keep).map(|(i, _)| i) else {
                break;
            };
            if shown.len() <= 1 {
                break;
            }
            shown.remove(drop);
        }
        let right_w = shown.iter().map(|c| c.width).sum::<u16>().min(w);
        let left_w = w.saturating_sub(right_w).saturating_sub(1);
        let left_x = x.saturating_add(w).saturating_sub(right_w);
        let number_cols = |buf: &mut Buffer, y: u16, text: &dyn Fn(&Column) -> String, style| {
            let mut cx = left_x;
            for c in &shown {
                put_right(buf, cx, y, c.width, &text(c), style);
                cx = cx.saturating_add(c.width);
            }
        };
        put(buf, x, inner.y, left_w, "service name", theme::dim());
        number_cols(buf, inner.y, &|c| c.head.to_owned(), theme::dim());
        let first = view.scroll.min(view.rows.len());
        let end = first.saturating_add(usize::from(rows.height)).min(view.rows.len());
        for (i, &op) in view.rows[first..end].iter().enumerate() {
            let Some(o) = view.stats.operations.get(op) else { continue };
            let y = rows.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            let service = index.str(o.service);
            let used = put(buf, x, y, left_w, service, theme::service(service));
            let name_x = x.saturating_add(used).saturating_add(1);
            let name_style = if o.errors > 0 { theme::error() } else { ratatui::style::Style::new() };
            put(buf, name_x, y, left_w.saturating_sub(used.saturating_add(1)), index.str(o.name), name_style);
            number_cols(buf, y, &|c| (c.cell)(view, o), ratatui::style::Style::new());
            if first + i == view.sel {
                fill(buf, Rect { y, height: 1, ..rows }, theme::selection(true));
            }
        }
    }
}
