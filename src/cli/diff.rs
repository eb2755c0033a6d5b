//! `weft diff`: `index::diff::TraceDiff` of two traces as text (the merged tree with `-`/`+`
//! markers and duration deltas, then the totals per operation) or as one JSON object, whose
//! shape (`a`, `b`, `matched`, `only_a`, `only_b`, `operations`) is a public contract.

use super::human::{count, span_label};
use super::tree::{INDENT, MAX_INDENT_DEPTH};
use crate::index::diff::{DiffRow, TraceDiff, signed_delta};
use crate::index::{Index, SpanIdx, TraceIdx};
use crate::text::{duration, signed_duration};
use serde::Serialize;
use std::io::{self, Write};

/// Width of the duration and delta columns.
const TIME_WIDTH: usize = 9;

#[derive(Serialize)]
struct JsonDiff<'a> {
    a: String,
    b: String,
    matched: Vec<Matched<'a>>,
    only_a: Vec<Only<'a>>,
    only_b: Vec<Only<'a>>,
    operations: Vec<Op<'a>>,
}

#[derive(Serialize)]
struct Matched<'a> {
    a_span_id: String,
    b_span_id: String,
    service: &'a str,
    name: &'a str,
    duration_a_ns: u64,
    duration_b_ns: u64,
    delta_ns: i64,
}

#[derive(Serialize)]
struct Only<'a> {
    span_id: String,
    service: &'a str,
    name: &'a str,
    duration_ns: u64,
}

#[derive(Serialize)]
struct Op<'a> {
    service: &'a str,
    name: &'a str,
    count_a: u64,
    count_b: u64,
    total_a_ns: u64,
    total_b_ns: u64,
}

fn only(index: &Index, s: SpanIdx) -> Only<'_> {
    Only {
        span_id: index.span(s).span_id.to_string(),
        service: index.service(s),
        name: index.name(s),
        duration_ns: index.span(s).duration(),
    }
}

/// One JSON object (and a newline).
pub fn write_json(w: &mut impl Write, index: &Index, diff: &TraceDiff) -> io::Result<()> {
    let matched = diff
        .matched()
        .filter_map(|r| Some((r.a?, r.b?)))
        .map(|(a, b)| {
            let (da, db) = (index.span(a).duration(), index.span(b).duration());
            Matched {
                a_span_id: index.span(a).span_id.to_string(),
                b_span_id: index.span(b).span_id.to_string(),
                service: index.service(a),
                name: index.name(a),
                duration_a_ns: da,
                duration_b_ns: db,
                delta_ns: signed_delta(da, db),
            }
        })
        .collect();
    let operations = diff
        .operations
        .iter()
        .map(|o| Op {
            service: index.str(o.service),
            name: index.str(o.name),
            count_a: o.count_a,
            count_b: o.count_b,
            total_a_ns: o.total_a_ns,
            total_b_ns: o.total_b_ns,
        })
        .collect();
    let json = JsonDiff {
        a: index.trace(diff.a).id.to_string(),
        b: index.trace(diff.b).id.to_string(),
        matched,
        only_a: diff.only_a().map(|s| only(index, s)).collect(),
        only_b: diff.only_b().map(|s| only(index, s)).collect(),
        operations,
    };
    serde_json::to_writer(&mut *w, &json)?;
    writeln!(w)
}

/// `a 1f0f… checkout: POST /checkout · 34 spans · 326ms`.
fn trace_line(w: &mut impl Write, index: &Index, side: char, t: TraceIdx) -> io::Result<()> {
    let info = index.trace(t);
    let root =
        if info.root.get() < index.span_count() { span_label(index, info.root) } else { String::new() };
    writeln!(
        w,
        "{side} {}  {root} · {} · {}",
        info.id,
        count(info.spans as usize, "span"),
        duration(info.duration())
    )
}

/// The two traces, the counts, the merged tree and the operations.
pub fn write_text(w: &mut impl Write, index: &Index, diff: &TraceDiff) -> io::Result<()> {
    trace_line(w, index, 'a', diff.a)?;
    trace_line(w, index, 'b', diff.b)?;
    let total = signed_delta(index.trace(diff.a).duration(), index.trace(diff.b).duration());
    writeln!(
        w,
        "{} matched · {} only in a (-) · {} only in b (+) · duration {}",
        diff.matched().count(),
        diff.only_a().count(),
        diff.only_b().count(),
        signed_duration(total)
    )?;
    writeln!(w)?;
    writeln!(w, "  {:>TIME_WIDTH$} {:>TIME_WIDTH$} {:>TIME_WIDTH$}  span", "a", "b", "delta")?;
    for row in &diff.rows {
        write_row(w, index, row)?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "operations, largest change first\n  {:>8} {:>8} {:>TIME_WIDTH$} {:>TIME_WIDTH$} {:>TIME_WIDTH$}  span",
        "count a", "count b", "total a", "total b", "delta"
    )?;
    for op in &diff.operations {
        let label = crate::text::escape_control(index.str(op.service)).into_owned()
            + ": "
            + &crate::text::escape_control(index.str(op.name));
        writeln!(
            w,
            "  {:>8} {:>8} {:>TIME_WIDTH$} {:>TIME_WIDTH$} {:>TIME_WIDTH$}  {label}",
            op.count_a,
            op.count_b,
            duration(op.total_a_ns),
            duration(op.total_b_ns),
            signed_duration(op.delta_ns()),
        )?;
    }
    Ok(())
}

fn write_row(w: &mut impl Write, index: &Index, row: &DiffRow) -> io::Result<()> {
    let dur = |s: Option<SpanIdx>| s.map_or(String::new(), |s| duration(index.span(s).duration()));
    let marker = match (row.a, row.b) {
        (Some(_), None) => '-',
        (None, Some(_)) => '+',
        _ => ' ',
    };
    let delta = row.delta_ns(index).map_or(String::new(), signed_duration);
    let Some(s) = row.span() else { return Ok(()) };
    let depth = usize::from(row.depth);
    let deep = if depth > MAX_INDENT_DEPTH { format!("[depth {depth}] ") } else { String::new() };
    writeln!(
        w,
        "{marker} {:>TIME_WIDTH$} {:>TIME_WIDTH$} {delta:>TIME_WIDTH$}  {:indent$}{deep}{}",
        dur(row.a),
        dur(row.b),
        "",
        span_label(index, s),
        indent = depth.min(MAX_INDENT_DEPTH) * INDENT,
    )
}
