//! Drawing: `render(frame, &App)` reads the app and paints one frame. No I/O, no clock, no
//! sorting, no mutation; every view draws only the rows on screen.
//!
//! ```text
//! ┌ header: breadcrumb → trace a1b2c3d4… › service span ·········· N skipped ┐
//! │         trace summary (or totals and sort/filter on the trace list)      │
//! ├──────────────────────────────────────────────┬───────────────────────────┤
//! │ waterfall head: links │ span │ duration │ ruler │ Attributes│Events│Links│  (wide: side by side,
//! │ waterfall rows (visible slice only)           │ detail rows              │   narrow: details below)
//! ├──────────────────────────────────────────────┴───────────────────────────┤
//! │ footer: /search 3/17 · status · key hints from the keymap     ? help q quit│
//! └──────────────────────────────────────────────────────────────────────────┘
//!   overlays (help, link picker, full value, linked traces) are drawn last, centred over the body;
//!   the stitched timeline covers the whole body (ruler line, then rows)
//! ```

pub mod detail;
pub mod diff;
pub mod draw;
pub mod flow;
pub mod footer;
pub mod header;
pub mod help;
pub mod layout;
pub mod links;
pub mod loading;
pub mod picker;
pub mod stitch;
pub mod summary;
pub mod theme;
pub mod too_small;
pub mod trace_list;
pub mod value;
pub mod waterfall;

#[cfg(test)]
mod tests;

use crate::app::{App, Overlay, Screen};
use layout::{Areas, is_too_small};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// Draws the whole screen for `app` into the frame.
pub fn render(frame: &mut Frame<'_>, app: &App<'_>) {
    let area = frame.area();
    draw(app, area, frame.buffer_mut());
}

/// Draws into a buffer (what `render` does; tests call it directly too).
pub fn draw(app: &App<'_>, area: Rect, buf: &mut Buffer) {
    if is_too_small(area) {
        too_small::TooSmall.render(area, buf);
        return;
    }
    let a = Areas::new(area);
    header::Header { app }.render(a.header, buf);
    match &app.screen {
        Screen::List => {
            trace_list::TraceList { app, head: a.list_head, rows: a.list_rows }.render(a.body, buf)
        }
        Screen::Trace(tv) => {
            waterfall::Waterfall { app, tv, head: a.waterfall_head, rows: a.waterfall_rows }
                .render(a.body, buf);
            if a.divider.width > 0 && a.divider.height > 0 {
                let line = "│";
                for y in a.divider.top()..a.divider.bottom() {
                    draw::put(buf, a.divider.x, y, 1, line, theme::dim());
                }
            }
            detail::DetailPane { app, tv, tabs: a.detail_tabs, rows: a.detail_rows }.render(a.body, buf);
        }
    }
    footer::Footer { app }.render(a.footer, buf);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => help::HelpOverlay { app, scroll: *scroll }.render(a.body, buf),
        Overlay::Value { title, lines, scroll, .. } => {
            value::ValueOverlay { app, title, lines, scroll: *scroll }.render(a.body, buf);
        }
        Overlay::Picker { dir, rows, sel, scroll } => {
            picker::Picker { app, dir: *dir, rows, sel: *sel, scroll: *scroll }.render(a.body, buf);
        }
        Overlay::Flow(fv) => flow::LinkedTraces { app, view: fv }.render(a.body, buf),
        Overlay::Summary(sv) => summary::Summary { app, view: sv }.render(a.body, buf),
        Overlay::Diff(dv) => {
            diff::TraceDiffView { app, view: dv, head: a.diff_head(), rows: a.diff_rows() }
                .render(a.body, buf);
        }
        Overlay::Stitch(sv) => {
            stitch::StitchedTimeline { app, view: sv, head: a.stitch_head(), rows: a.stitch_rows() }
                .render(a.body, buf);
        }
    }
}
