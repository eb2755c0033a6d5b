//! One link as one line, shared by the Links tab and the `]`/`[` picker:
//! direction, where the other end is, its service and name, start offset and duration, then
//! the link's kind and attributes.

use super::draw::put;
use super::theme;
use crate::app::App;
use crate::app::fetch::{Availability, Remote};
use crate::app::links::{Dir, LinkRow, Whereabouts, kind_label};
use crate::index::{Index, TraceIdx};
use crate::model::TraceId;
use crate::text::{VALUE_DISPLAY_MAX, duration, escape_control, value_capped};
use ratatui::buffer::Buffer;
use ratatui::style::Style;

const DIR_WIDTH: u16 = 7;
const WHERE_WIDTH: u16 = 15;

/// "where" column text for a row; a trace that is not loaded says whether the stores
/// (`--backend`) can give it.
pub fn where_label(index: &Index, w: Whereabouts, fetch: Option<(&Remote, TraceId)>) -> String {
    match (w, fetch) {
        (Whereabouts::SameTrace, _) => "same trace".to_owned(),
        (Whereabouts::OtherTrace(t), _) => format!("trace {}", index.trace(t).id.short(8)),
        (Whereabouts::MissingSpan(_), _) => "span not loaded".to_owned(),
        (Whereabouts::MissingTrace, None) => "not loaded".to_owned(),
        (Whereabouts::MissingTrace, Some((remote, t))) => match remote.availability(t) {
            Availability::Fetchable => format!("fetch: {}", store_word(remote)),
            Availability::Fetching => "fetching…".to_owned(),
            Availability::Absent => format!("not in {}", store_word(remote)),
        },
        (Whereabouts::Pointer, _) => "pointer".to_owned(),
    }
}

/// The stores, short enough for the "where" column: `jaeger`, or `stores` for several.
fn store_word(remote: &Remote) -> &str {
    if remote.stores.contains(',') { "stores" } else { &remote.stores }
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
        let shown = value_capped(&index.data, a.value, VALUE_DISPLAY_MAX);
        parts.push(format!("{}={shown}", escape_control(index.str(a.key))));
    }
    parts.join(" ")
}

/// Draws `row` at (x, y) in `w` columns, as seen from a span of trace `from`.
pub fn draw_row(buf: &mut Buffer, app: &App<'_>, row: &LinkRow, from: TraceIdx, (x, y, w): (u16, u16, u16)) {
    let index = app.index;
    let link = row.link(index);
    let fetch = app.remote.as_ref().map(|r| (r, link.trace_id));
    let right = x.saturating_add(w);
    let (dir_text, dir_style) = match row.dir {
        Dir::Out => ("↗ to", Style::new().fg(theme::LINK_OUT)),
        Dir::In => ("↙ from", Style::new().fg(theme::LINK_IN)),
    };
    put(buf, x, y, DIR_WIDTH.min(w), dir_text, dir_style);
    let mut cx = x.saturating_add(DIR_WIDTH);
    let whereabouts = row.whereabouts(index, from);
    let fetchable = fetch.is_some_and(|(r, t)| r.availability(t) != Availability::Absent);
    let where_style = match whereabouts {
        Whereabouts::MissingTrace if fetchable => Style::new().fg(theme::LINK_OUT),
        Whereabouts::MissingSpan(_) | Whereabouts::MissingTrace => theme::warn(),
        Whereabouts::Pointer => theme::dim(),
        _ => Style::new(),
    };
    put(
        buf,
        cx,
        y,
        WHERE_WIDTH.min(right.saturating_sub(cx)),
        &where_label(index, whereabouts, fetch),
        where_style,
    );
    cx = cx.saturating_add(WHERE_WIDTH + 1);
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
            // The "where" column names the store; this only says what to do.
            let why = match fetch.map(|(r, t)| r.availability(t)) {
                None => "trace not loaded",
                Some(Availability::Fetchable) => "Enter fetches it",
                Some(Availability::Fetching) => "being fetched",
                Some(Availability::Absent) => "the store does not have it",
            };
            let text = match trace {
                Some(_) => format!("span {} (its trace is loaded)", link.span_id),
                None => format!("trace {}… span {} ({why})", link.trace_id.short(8), link.span_id),
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
