//! The link picker (`]`/`[` on a span with several links): the links in that direction, one per
//! line as in the Links tab; Enter jumps, Esc closes.

use super::draw::fill;
use super::theme;
use crate::app::links::{Dir, LinkRow};
use crate::app::{App, inner};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear, Widget};

pub struct Picker<'a> {
    pub app: &'a App<'a>,
    pub dir: Dir,
    pub rows: &'a [LinkRow],
    pub sel: usize,
    pub scroll: usize,
}

impl Widget for Picker<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let Some(tv) = self.app.trace_view() else { return };
        let frame = self.app.areas().picker(self.rows.len());
        Clear.render(frame, buf);
        let title = match self.dir {
            Dir::Out => format!(" follow ↗ · {} outgoing links ", self.rows.len()),
            Dir::In => format!(" follow ↙ · {} incoming links ", self.rows.len()),
        };
        Block::bordered().title(title).title_bottom(" Enter jump · Esc close ").render(frame, buf);
        let inner = inner(frame);
        let h = usize::from(inner.height);
        let first = self.scroll.min(self.rows.len());
        let end = first.saturating_add(h).min(self.rows.len());
        for (i, row) in self.rows[first..end].iter().enumerate() {
            let y = inner.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            super::links::draw_row(
                buf,
                self.app,
                row,
                tv.trace,
                (inner.x.saturating_add(1), y, inner.width.saturating_sub(1)),
            );
            if first + i == self.sel {
                fill(buf, Rect { y, height: 1, ..inner }, theme::selection(true));
            }
        }
    }
}
