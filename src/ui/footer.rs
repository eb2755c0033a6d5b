//! The footer line: the search or filter being typed (with its match count), a status
//! message, or key hints for the current context, all from the binding table. Low-priority
//! hints drop out first as the width shrinks; `? help` and `q quit` always stay.

use super::draw::{put, width};
use super::theme;
use crate::app::action::Action;
use crate::app::keymap::{self, Binding, Hint, Key};
use crate::app::{App, Screen};
use crate::text::escape_control;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

pub struct Footer<'a> {
    pub app: &'a App<'a>,
}

/// `key short`, e.g. `] follow ↗`.
fn hint_text(key: &Key, b: &Binding) -> String {
    format!("{} {}", key.label(), b.short)
}

/// The hints that fit in `width_cols` columns for the app's current contexts. A key bound in an
/// earlier (more specific) context shadows the same key further down the chain, so a hint only
/// shows a key that really triggers its action here.
pub fn hints(app: &App<'_>, width_cols: usize) -> Vec<String> {
    let contexts = app.contexts();
    let mut seen_keys: Vec<Key> = Vec::new();
    let mut seen_actions = Vec::new();
    let mut candidates: Vec<(&Binding, String, usize)> = Vec::new();
    for (order, b) in contexts.iter().flat_map(|&c| keymap::bindings_in(c)).enumerate() {
        let live = b.keys.iter().find(|k| !seen_keys.contains(k)).copied();
        seen_keys.extend_from_slice(b.keys);
        let Some(key) = live else { continue };
        if b.hint == Hint::None || seen_actions.contains(&b.action) {
            continue;
        }
        seen_actions.push(b.action);
        let text = match b.action {
            // Only with a store to fetch from, and with the count: `f fetch 7 missing`.
            Action::FetchMissing => match app.remote.as_ref().map_or(0, |r| r.missing_count()) {
                0 => continue,
                n => format!("{} fetch {n} missing", key.label()),
            },
            _ => hint_text(&key, b),
        };
        candidates.push((b, text, order));
    }
    // Keep the highest priorities that fit, then show them in table order with the
    // always-shown ones last.
    candidates.sort_by_key(|(b, _, order)| (std::cmp::Reverse(b.hint), *order));
    let mut kept = Vec::new();
    let mut used = 0usize;
    for (b, text, order) in candidates {
        let w = width(&text) + 2;
        if used + w <= width_cols || b.hint == Hint::Always {
            used += w;
            kept.push((b.hint == Hint::Always, order, text));
        }
    }
    kept.sort_by_key(|(always, order, _)| (*always, *order));
    kept.into_iter().map(|(_, _, text)| text).collect()
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let app = self.app;
        let (mut x, y) = (area.x, area.y);
        let right = area.right();

        // A query being typed (or refused) first: `F text█  12 of 3,402 spans`, or its error.
        let prompt = match &app.screen {
            Screen::List => &app.list.prompt,
            Screen::Trace(tv) => &tv.prompt,
        };
        if prompt.editing || prompt.error.is_some() {
            let text = format!("F {}", escape_control(&prompt.text));
            x += put(buf, x, y, right.saturating_sub(x), &text, theme::title());
            if prompt.editing {
                x += put(buf, x, y, right.saturating_sub(x), "█", Style::new());
            }
            let (note, style) = match (&prompt.error, prompt.pending, app.query_counter()) {
                (Some(e), _, _) => (escape_control(e).into_owned(), theme::error()),
                (None, Some(_), _) => ("running…".to_owned(), theme::warn()),
                (None, None, Some(counter)) => (counter, theme::warn()),
                (None, None, None) => (String::new(), theme::warn()),
            };
            x += put(buf, x, y, right.saturating_sub(x), &format!("  {note}  "), style);
        }

        // Search or filter state next.
        let (query, editing, counter) = match &app.screen {
            Screen::List => (
                &app.list.filter,
                app.list.editing,
                format!("{}/{}", app.list.rows.len(), app.index.traces().len()),
            ),
            Screen::Trace(tv) => {
                let counter = match app.search_preparing() {
                    // The trace's search text is still being built off the UI thread.
                    Some(n) => format!(
                        "searching {} spans…",
                        super::loading::grouped(u64::try_from(n).unwrap_or(u64::MAX))
                    ),
                    None => tv.search.counter(),
                };
                (&tv.search.query, tv.search.editing, counter)
            }
        };
        if editing || !query.is_empty() {
            let text = format!("/{}", escape_control(query));
            x += put(buf, x, y, right.saturating_sub(x), &text, theme::title());
            if editing {
                x += put(buf, x, y, right.saturating_sub(x), "█", Style::new());
            }
            x += put(buf, x, y, right.saturating_sub(x), &format!("  {counter}  "), theme::warn());
        }

        // A fetch in flight stays in view until it ends, whatever else the footer says.
        if let Some(progress) = app.remote.as_ref().and_then(|r| r.progress()) {
            x += put(buf, x, y, right.saturating_sub(x), &format!("{progress}  "), theme::warn());
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
