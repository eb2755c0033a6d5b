//! The two header lines. Line 1: the breadcrumb of how you got here, ending in the current
//! trace id and selected span (`trace a1b2… › orders process → trace 9f8e1234… › orders
//! publish`, cut from the left when narrow), and the count of records skipped while loading;
//! while data arrives, `live · N spans · R/s` before it (and what `--max-spans` kept out).
//! Line 2: a summary of the trace (or of everything loaded, on the list).

use super::draw::{put, put_right, truncate_left, width};
use super::theme;
use crate::app::history::Place;
use crate::app::live::Live;
use crate::app::{App, Screen};
use crate::index::{Index, SpanIdx, TraceIdx};
use crate::text::{duration, escape_control};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

/// Breadcrumb entries shown at most; older ones would be cut off anyway.
const MAX_CRUMBS: usize = 8;
const SEPARATOR: &str = " → ";

pub struct Header<'a> {
    pub app: &'a App<'a>,
}

/// `trace a1b2… › orders process`: a trace (id cut to `hex` digits) and a span in it.
fn crumb(index: &Index, t: TraceIdx, s: SpanIdx, hex: usize) -> String {
    let id = index.trace(t).id.short(hex);
    if s.get() >= index.span_count() {
        return format!("trace {id}…");
    }
    format!("trace {id}… › {} {}", escape_control(index.service(s)), escape_control(index.name(s)))
}

fn place_crumb(index: &Index, place: &Place) -> String {
    match place {
        Place::List { .. } => "traces".to_owned(),
        Place::Trace(snap) => crumb(index, snap.trace, snap.selected, 4),
    }
}

/// `1 span`, `2 spans`.
fn plural(n: u64, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// `live · 1234 spans · 56/s`, then, once `--max-spans` made the explorer forget its oldest
/// traces, `· 3 old traces (1200 spans) dropped`, and `· dropping old traces…` while it does;
/// `short`, only `· 1200 dropped`.
fn live_counts(live: &Live, short: bool) -> String {
    let mut text = format!("live · {} · {:.0}/s", plural(live.received, "span"), live.rate);
    match (live.dropped.traces, short) {
        (0, _) => {}
        (_, true) => text.push_str(&format!(" · {} dropped", live.dropped.spans)),
        (traces, false) => text.push_str(&format!(
            " · {} ({}) dropped",
            plural(traces, "old trace"),
            plural(live.dropped.spans, "span")
        )),
    }
    if live.dropping && !short {
        text.push_str(" · dropping old traces…");
    }
    text
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let app = self.app;
        let index = app.index;
        let (x, y, w) = (area.x, area.y, area.width);

        let skipped = match app.skipped_files {
            0 => format!("{} skipped", app.skipped),
            1 => format!("{} skipped · 1 file skipped", app.skipped),
            n => format!("{} skipped · {n} files skipped", app.skipped),
        };
        // Live, the counts come first and the skipped count goes first when space runs out.
        let candidates = match &app.live {
            Some(live) => {
                let (long, short) = (live_counts(live, false), live_counts(live, true));
                vec![format!("{long} · {skipped}"), long, short, "live".to_owned()]
            }
            None => vec![skipped],
        };
        let skipped_style =
            if app.skipped > 0 || app.skipped_files > 0 { theme::warn() } else { theme::dim() };
        let right = candidates.into_iter().find(|c| usize::from(w) > width(c) + 20);
        let right_w = right.as_ref().map_or(0, |r| u16::try_from(width(r)).unwrap_or(0) + 1);
        if let Some(right) = &right {
            put_right(buf, x, y, w, right, skipped_style);
        }
        let avail = usize::from(w.saturating_sub(right_w));

        let current = match &app.screen {
            Screen::List => format!("weft · {} traces", index.traces().len()),
            Screen::Trace(tv) => match tv.zoom.map(|z| tv.span_at(index, z)) {
                // `trace a1b2c3d4… › focus orders POST /v1/orders › orders INSERT orders`
                Some(z) => {
                    let focus = crumb(index, tv.trace, z, 8).replacen(" › ", " › focus ", 1);
                    let s = tv.selected_span(index);
                    if s == z {
                        focus
                    } else {
                        format!(
                            "{focus} › {} {}",
                            escape_control(index.service(s)),
                            escape_control(index.name(s))
                        )
                    }
                }
                None => crumb(index, tv.trace, tv.selected_span(index), 8),
            },
        };
        let trail = app.history.trail();
        let past: Vec<String> =
            trail[trail.len().saturating_sub(MAX_CRUMBS)..].iter().map(|p| place_crumb(index, p)).collect();
        let mut before = past.join(SEPARATOR);
        if !before.is_empty() {
            before.push_str(SEPARATOR);
        }
        let cur_w = width(&current);
        let room = avail.saturating_sub(cur_w);
        let before = truncate_left(&before, room);
        let used = put(buf, x, y, u16::try_from(avail).unwrap_or(w), &before, theme::dim());
        put(
            buf,
            x.saturating_add(used),
            y,
            u16::try_from(avail).unwrap_or(w).saturating_sub(used),
            &current,
            theme::title(),
        );

        if area.height < 2 {
            return;
        }
        let y = y.saturating_add(1);
        let summary = match &app.screen {
            Screen::List => {
                let unresolved = app.unresolved;
                let mut s = format!(
                    "{} spans · {} links ({} unresolved) · sorted by {}{}",
                    index.span_count(),
                    index.link_count(),
                    unresolved,
                    app.list.sort.title(),
                    if app.list.reverse { " ▼" } else { " ▲" }
                );
                if !app.list.filter.is_empty() {
                    // First, so a narrow terminal cuts the totals rather than the filter.
                    s = format!(
                        "filter “{}”: {} of {} · {s}",
                        escape_control(&app.list.filter),
                        app.list.rows.len(),
                        index.traces().len()
                    );
                }
                s
            }
            Screen::Trace(tv) => {
                let info = index.trace(tv.trace);
                let linked = index.linked_traces(tv.trace).count();
                // With a query applied, its `12 of 3,402 spans` (drawn first) already counts them.
                let spans = match tv.filter {
                    Some(_) => String::new(),
                    None => format!("{} · ", plural(u64::from(info.spans), "span")),
                };
                format!(
                    "{spans}{} · links {}↗ {}↙ · {} · {} · trace {}",
                    plural(u64::from(info.errors), "error"),
                    info.links_out,
                    info.links_in,
                    plural(linked as u64, "linked trace"),
                    duration(info.duration()),
                    info.id,
                )
            }
        };
        let critical = match &app.screen {
            Screen::Trace(tv) => tv.critical.as_ref(),
            Screen::List => None,
        };
        let mut used = match critical {
            Some(c) => {
                let text = format!("{} · ", c.summary());
                put(buf, x, y, w, &text, theme::critical())
            }
            None => 0,
        };
        // An applied query first: `F duration>50ms · 12 of 3,402 spans · `.
        let query = match &app.screen {
            Screen::List => app.list.query.as_ref().map(|q| q.text.as_str()),
            Screen::Trace(tv) => tv.filter.as_ref().map(|f| f.text.as_str()),
        };
        if let (Some(text), Some(counter)) = (query, app.query_counter()) {
            let text = format!("F {} · {counter} · ", escape_control(text));
            used = used.saturating_add(put(
                buf,
                x.saturating_add(used),
                y,
                w.saturating_sub(used),
                &text,
                theme::title(),
            ));
        }
        put(buf, x.saturating_add(used), y, w.saturating_sub(used), &summary, Style::new());
    }
}
