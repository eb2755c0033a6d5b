//! One link as one line, shared by the Links tab and the `]`/`[` picker:
//! direction, where the other end is, its service and name, start offset and duration, then
//! the link's kind and attributes.

use super::draw::put;
use super::theme;
use crate::app::links::{Dir, LinkRow, Whereabouts, kind_label};
use crate::index::{Index, TraceIdx};
use crate::text::{duration, escape_control, value};
use ratatui::buffer::Buffer;
use ratatui::style::Style;

const DIR_WIDTH: u16 = 7;
const WHERE_WIDTH: u16 = 15;

/// "where" column text for a row.
pub fn where_label(index: &Index, w: Whereabouts) -> String {
    match w {
        Whereabouts::SameTrace => "same trace".to_owned(),
        Whereabouts::OtherTrace(t) => format!("trace {}", index.trace(t).id.short(8)),
        Whereabouts::MissingSpan(_) => "span not loaded".to_owned(),
        Whereabouts::MissingTrace => "not loaded".to_owned(),
        Whereabouts::Pointer => "pointer".to_owned(),
    }
}

/// The link's kind and attributes: `follows_from messaging.batch.index=0`.
fn link_meta(index: &Index, row: &LinkRow) -> String {
    let link = row.link(index);
    let mut parts: Vec<String> = Vec::new();
    if let Some(k) = kind_label(link.kind)
        && link.kind != crate::model::LinkKind::Pointer
    {
        parts.push(k.to_owned());
    }
    for a in index.data.attrs_of(link.attrs) {
        parts.push(format!("{}={}", escape_control(index.str(a.key)), value(&index.data, a.value)));
    }
    parts.join(" ")
}

/// Draws `row` at (x, y) in `w` columns, as seen from a span of trace `from`.
pub fn draw_row(buf: &mut Buffer, index: &Index, row: &LinkRow, from: TraceIdx, (x, y, w): (u16, u16, u16)) {
    let right = x.saturating_add(w);
    let (dir_text, dir_style) = match row.dir {
        Dir::Out => ("↗ to", Style::new().fg(theme::LINK_OUT)),
        Dir::In => ("↙ from", Style::new().fg(theme::LINK_IN)),
    };
    put(buf, x, y, DIR_WIDTH.min(w), dir_text, dir_style);
    let mut cx = x.saturating_add(DIR_WIDTH);
    let whereabouts = row.whereabouts(index, from);
    let where_style = match whereabouts {
        Whereabouts::MissingSpan(_) | Whereabouts::MissingTrace => theme::warn(),
        Whereabouts::Pointer => theme::dim(),
        _ => Style::new(),
    };
    put(buf, cx, y, WHERE_WIDTH.min(right.saturating_sub(cx)), &where_label(index, whereabouts), where_style);
    cx = cx.saturating_add(WHERE_WIDTH + 1);
    let link = row.link(index);
    let mut rest = |text: &str, style: Style, cx: &mut u16| {
        let used = put(buf, *cx, y, right.saturating_sub(*cx), text, style);
        *cx = cx.saturating_add(used);
    };
    match row.end(index) {
        crate::app::links::End::Span(s) => {
            let span = index.span(s);
            let other = index.trace(index.trace_of(s));
            let service = index.service(s);
            rest(service, theme::service(service), &mut cx);
            rest(" ", Style::new(), &mut cx);
            rest(index.name(s), if span.is_error() { theme::error() } else { Style::new() }, &mut cx);
            let timing = format!(
                "  +{} {}",
                duration(span.start.saturating_sub(other.start)),
                duration(span.duration())
            );
            rest(&timing, theme::dim(), &mut cx);
        }
        crate::app::links::End::Missing { trace } => {
            let text = match trace {
                Some(_) => format!("span {} (its trace is loaded)", link.span_id),
                None => format!("trace {}… span {} (trace not loaded)", link.trace_id.short(8), link.span_id),
            };
            rest(&text, theme::warn(), &mut cx);
        }
        crate::app::links::End::Pointer => {}
    }
    let meta = link_meta(index, row);
    if !meta.is_empty() {
        // Pointers have nothing between "where" and their attributes.
        if !matches!(row.end(index), crate::app::links::End::Pointer) {
            rest("  ", Style::new(), &mut cx);
        }
        rest(&meta, theme::dim(), &mut cx);
    }
}
