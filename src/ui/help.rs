//! The `?` overlay: every binding, grouped by context, generated from the keymap table (so it
//! cannot disagree with what the keys do), then the mouse.

use super::draw::put;
use super::theme;
use crate::app::App;
use crate::app::keymap::{HelpLine, help_lines};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear, Widget};

/// Width of the keys column.
const KEYS_WIDTH: u16 = 26;

pub struct HelpOverlay<'a> {
    pub app: &'a App<'a>,
    pub scroll: usize,
}

impl Widget for HelpOverlay<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let frame = self.app.areas().help();
        Clear.render(frame, buf);
        let block = Block::bordered().title(" keys · ? or Esc closes · j/k scroll ");
        let inner = block.inner(frame);
        block.render(frame, buf);
        let lines = help_lines();
        let h = usize::from(inner.height);
        let first = self.scroll.min(lines.len());
        let end = first.saturating_add(h).min(lines.len());
        for (i, line) in lines[first..end].iter().enumerate() {
            let y = inner.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
            let x = inner.x.saturating_add(1);
            let w = inner.width.saturating_sub(1);
            match line {
                HelpLine::Section(title) => {
                    put(buf, x, y, w, title, theme::title());
                }
                HelpLine::Entry { keys, desc } => {
                    let kw = KEYS_WIDTH.min(w);
                    put(
                        buf,
                        x.saturating_add(2),
                        y,
                        kw.saturating_sub(3),
                        keys,
                        ratatui::style::Style::new().fg(theme::LINK_OUT),
                    );
                    put(
                        buf,
                        x.saturating_add(kw),
                        y,
                        w.saturating_sub(kw),
                        desc,
                        ratatui::style::Style::new(),
                    );
                }
                HelpLine::Blank => {}
            }
        }
    }
}
