//! The footer line: the search or filter being typed (with its match count), a status
//! message, or key hints for the current context, all from the binding table. Low-priority
//! hints drop out first as the width shrinks; `? help` and `q quit` always stay.

use super::draw::{put, width};
use super::theme;
use crate::app::keymap::{self, Binding, Hint};
use crate::app::{App, Screen};
use crate::text::escape_control;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

pub struct Footer<'a> {
    pub app: &'a App<'a>,
}

fn hint_text(b: &Binding) -> String {
    let key = b.keys.first().map(|k| k.label()).unwrap_or_default();
    format!("{key} {}", b.short)
}

/// The hints that fit in `width` columns for the app's current contexts.
pub fn hints(app: &App<'_>, width_cols: usize) -> Vec<String> {
    let contexts = app.contexts();
    let mut seen_actions = Vec::new();
    let mut candidates: Vec<(&Binding, usize)> = Vec::new();
    for (order, b) in
        contexts.iter().flat_map(|&c| keymap::bindings_in(c)).filter(|b| b.hint != Hint::None).enumerate()
    {
        if seen_actions.contains(&b.action) {
            continue;
        }
        seen_actions.push(b.action);
        candidates.push((b, order));
    }
    // Keep the highest priorities that fit, then show them in table order with the
    // always-shown ones last.
    let mut by_priority = candidates.clone();
    by_priority.sort_by_key(|(b, order)| (std::cmp::Reverse(b.hint), *order));
    let mut kept = Vec::new();
    let mut used = 0usize;
    for (b, order) in by_priority {
        let w = width(&hint_text(b)) + 2;
        if used + w <= width_cols || b.hint == Hint::Always {
            used += w;
            kept.push((b, order));
        }
    }
    kept.sort_by_key(|(b, order)| (b.hint == Hint::Always, *order));
    kept.into_iter().map(|(b, _)| hint_text(b)).collect()
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let app = self.app;
        let (mut x, y) = (area.x, area.y);
        let right = area.right();

        // Search or filter state first.
        let (query, editing, counter) = match &app.screen {
            Screen::List => (
                &app.list.filter,
                app.list.editing,
                format!("{}/{}", app.list.rows.len(), app.index.traces().len()),
            ),
            Screen::Trace(tv) => (&tv.search.query, tv.search.editing, tv.search.counter()),
        };
        if editing || !query.is_empty() {
            let text = format!("/{}", escape_control(query));
            x += put(buf, x, y, right.saturating_sub(x), &text, theme::title());
            if editing {
                x += put(buf, x, y, right.saturating_sub(x), "█", Style::new());
            }
            x += put(buf, x, y, right.saturating_sub(x), &format!("  {counter}  "), theme::warn());
        }

        if let Some(status) = &app.status {
            put(buf, x, y, right.saturating_sub(x), status, theme::warn());
            return;
        }
        let room = usize::from(right.saturating_sub(x));
        for h in hints(app, room) {
            let Some((key, rest)) = h.split_once(' ') else { continue };
            let used = put(buf, x, y, right.saturating_sub(x), key, theme::title());
            x = x.saturating_add(used);
            let used = put(buf, x, y, right.saturating_sub(x), &format!(" {rest}  "), theme::dim());
            x = x.saturating_add(used);
        }
    }
}
