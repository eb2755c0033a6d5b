//! The full-value overlay (Enter on an Attributes or Events row): long values such as SQL
//! statements and stack traces, wrapped, with escaped newlines shown as line breaks.

use super::draw::put;
use crate::app::App;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Clear, Widget};

pub struct ValueOverlay<'a> {
    pub app: &'a App<'a>,
    pub title: &'a str,
    /// Already escaped and wrapped by `app::detail::wrap`.
    pub lines: &'a [String],
    pub scroll: usize,
}

impl Widget for ValueOverlay<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let frame = self.app.areas().help();
        Clear.render(frame, buf);
        let title = format!(" {} ", crate::text::escape_control(self.title));
        let block = Block::bordered().title(title).title_bottom(" j/k scroll · Esc close ");
        let inner = block.inner(frame);
        block.render(frame, buf);
        let first = self.scroll.min(self.lines.len());
        let end = first.saturating_add(usize::from(inner.height)).min(self.lines.len());
        for (i, line) in self.lines[first..end].iter().enumerate() {
            let y = inner.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            put(buf, inner.x.saturating_add(1), y, inner.width.saturating_sub(1), line, Style::new());
        }
    }
}
