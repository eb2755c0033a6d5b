//! `weft links`: every link, or the links of one trace or one span in both directions, as text
//! or as JSON Lines (`json::JsonLink`, one per line).

use super::human::{count, span_label};
use super::ids::Selection;
use super::json::{Direction, JsonLink};
use crate::index::{Index, LinkIdx, LinkTarget, TraceIdx};
use crate::text::{VALUE_DISPLAY_MAX, escape_control, value_capped};
use std::io::{self, Write};

/// The links a selection covers, each with its direction when a span was chosen:
/// - a span: its outgoing links, then the links that resolve to it;
/// - a trace: links whose source is in it or whose target is (loaded or not), once each;
/// - nothing: every link, in load order.
pub fn select(index: &Index, sel: Selection) -> Vec<(LinkIdx, Option<Direction>)> {
    if let Some(s) = sel.span {
        let out = index.links_out(s).map(|l| (l, Some(Direction::Out)));
        let r#in = index.links_in(s).iter().map(|&l| (l, Some(Direction::In)));
        return out.chain(r#in).collect();
    }
    match sel.trace {
        Some(t) => index.links().filter(|&l| touches(index, l, t)).map(|l| (l, None)).collect(),
        None => index.links().map(|l| (l, None)).collect(),
    }
}

fn touches(index: &Index, l: LinkIdx, t: TraceIdx) -> bool {
    index.trace_of(index.link_source(l)) == t
        || match index.link_target(l) {
            LinkTarget::Span(s) => index.trace_of(s) == t,
            LinkTarget::Missing { trace } => trace == Some(t),
            LinkTarget::Pointer => false,
        }
}

/// JSON Lines: one object per link.
pub fn write_json(
    w: &mut impl Write,
    index: &Index,
    links: &[(LinkIdx, Option<Direction>)],
) -> io::Result<()> {
    for &(link, direction) in links {
        serde_json::to_writer(&mut *w, &JsonLink { index, link, direction })?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Three lines per link: the ids (with the direction when a span was chosen) and the kind,
/// the two spans' labels, and the attributes if any.
pub fn write_text(
    w: &mut impl Write,
    index: &Index,
    links: &[(LinkIdx, Option<Direction>)],
) -> io::Result<()> {
    if links.is_empty() {
        return writeln!(w, "no links");
    }
    for &(l, direction) in links {
        let link = index.link(l);
        let source_idx = index.link_source(l);
        let source = index.span(source_idx);
        let dir = direction.map_or(String::new(), |d| format!("{:<4}", d.as_str()));
        let target = index.link_target(l);
        let state = match target {
            LinkTarget::Span(_) => "",
            LinkTarget::Missing { .. } => "  unresolved",
            LinkTarget::Pointer => "  (pointer, not a span)",
        };
        writeln!(
            w,
            "{dir}{}/{} → {}/{}  {}{state}",
            source.trace_id,
            source.span_id,
            link.trace_id,
            link.span_id,
            link.kind.name()
        )?;
        let target_label = match target {
            LinkTarget::Span(s) => span_label(index, s),
            LinkTarget::Missing { trace: Some(_) } => "(span not loaded; its trace is)".to_owned(),
            LinkTarget::Missing { trace: None } => "(trace not loaded)".to_owned(),
            LinkTarget::Pointer => "(resource pointer)".to_owned(),
        };
        let pad = if direction.is_some() { "    " } else { "" };
        writeln!(w, "{pad}    {} → {target_label}", span_label(index, source_idx))?;
        let attrs = index.data.attrs_of(link.attrs);
        if !attrs.is_empty() {
            let text: Vec<String> = attrs
                .map(|a| {
                    format!(
                        "{}={}",
                        escape_control(index.str(a.key)),
                        value_capped(&index.data, a.value, VALUE_DISPLAY_MAX)
                    )
                })
                .collect();
            writeln!(w, "{pad}    {}", text.join("  "))?;
        }
        if let Some(ts) = link.trace_state {
            writeln!(w, "{pad}    tracestate={}", escape_control(index.str(ts)))?;
        }
    }
    let unresolved =
        links.iter().filter(|&&(l, _)| matches!(index.link_target(l), LinkTarget::Missing { .. }));
    writeln!(w, "{} ({} unresolved)", count(links.len(), "link"), unresolved.count())
}
