//! What a terminal below the minimum size shows instead of the explorer.

use super::layout::{MIN_HEIGHT, MIN_WIDTH};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub struct TooSmall;

pub fn message(area: Rect) -> String {
    format!("terminal {}×{} is too small; need {MIN_WIDTH}×{MIN_HEIGHT}", area.width, area.height)
}

impl Widget for TooSmall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        Paragraph::new(message(area)).wrap(Wrap { trim: true }).render(area, buf);
    }
}
