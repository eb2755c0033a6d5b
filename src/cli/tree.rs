//! `weft tree`: each trace's waterfall as indented text — one line per span with its id, start
//! offset from the trace start, duration, `service: name` indented by depth, and markers for
//! errors, links (`↗out ↙in`) and repaired tree structure.

use super::human::span_label;
use super::json::{root_of, trace_indices};
use crate::index::{Index, SpanIdx, TraceIdx, index_flags};
use crate::text::duration;
use std::io::{self, Write};

/// Spaces per level of nesting.
pub const INDENT: usize = 2;
/// Deeper spans are indented as if at this depth and prefixed with their real depth (`[depth 75]`),
/// so a pathological chain of spans cannot make the output grow with the square of its length.
pub const MAX_INDENT_DEPTH: usize = 40;
/// Width of the offset and duration columns (`+12.3ms`, `2m05s`).
const TIME_WIDTH: usize = 9;

/// Writes one trace, or every trace separated by blank lines.
pub fn write(w: &mut impl Write, index: &Index, only: Option<TraceIdx>) -> io::Result<()> {
    match only {
        Some(t) => write_trace(w, index, t),
        None => {
            for (i, t) in trace_indices(index).enumerate() {
                if i > 0 {
                    writeln!(w)?;
                }
                write_trace(w, index, t)?;
            }
            Ok(())
        }
    }
}

fn write_trace(w: &mut impl Write, index: &Index, t: TraceIdx) -> io::Result<()> {
    let info = index.trace(t);
    let errors = match info.errors {
        0 => String::new(),
        1 => " · 1 error".to_owned(),
        n => format!(" · {n} errors"),
    };
    writeln!(
        w,
        "trace {} · {} · {}{errors} · links ↗{} ↙{}",
        info.id,
        super::human::count(info.spans as usize, "span"),
        duration(info.duration()),
        info.links_out,
        info.links_in
    )?;
    if root_of(index, t).is_none() {
        return Ok(());
    }
    for &s in index.trace_spans(t) {
        let span = index.span(s);
        let offset = format!("+{}", duration(span.start.saturating_sub(info.start)));
        let depth = usize::from(index.depth(s));
        let deep = if depth > MAX_INDENT_DEPTH { format!("[depth {depth}] ") } else { String::new() };
        writeln!(
            w,
            "{}  {offset:>TIME_WIDTH$} {:>TIME_WIDTH$}  {:indent$}{deep}{}{}",
            span.span_id,
            duration(span.duration()),
            "",
            span_label(index, s),
            markers(index, s),
            indent = depth.min(MAX_INDENT_DEPTH) * INDENT,
        )?;
    }
    Ok(())
}

/// `  [error] ↗2 ↙1 [orphan: parent … not loaded]`, or empty.
pub fn markers(index: &Index, s: SpanIdx) -> String {
    let span = index.span(s);
    let mut out = Vec::new();
    if span.is_error() {
        out.push("[error]".to_owned());
    }
    let (links_out, links_in) = (index.links_out(s).len(), index.links_in(s).len());
    if links_out > 0 {
        out.push(format!("↗{links_out}"));
    }
    if links_in > 0 {
        out.push(format!("↙{links_in}"));
    }
    let flags = index.index_flags(s);
    if flags & index_flags::ORPHAN != 0 {
        out.push(format!("[orphan: parent {} not loaded]", span.parent_id));
    }
    if flags & index_flags::CYCLE_CUT != 0 {
        out.push("[parent cycle cut]".to_owned());
    }
    if flags & index_flags::DUPLICATE_ID != 0 {
        out.push("[duplicate span id]".to_owned());
    }
    if out.is_empty() { String::new() } else { format!("  {}", out.join(" ")) }
}
