//! `weft spans --where QUERY` and `weft stats`: the spans a query matches, one per line or as
//! JSON Lines, and the per-operation / per-service summary of a set of spans (`query::stats`).

use super::human::span_label;
use super::ids::UsageError;
use super::json::{Hex, trace_indices};
use super::tree::markers;
use crate::index::{Index, SpanIdx, TraceIdx};
use crate::query::stats::Stats;
use crate::query::{Query, self_time};
use crate::text::{duration, escape_control};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::io::{self, Write};

/// Checks a `--where` query before anything is loaded, so a typo fails at once (exit 2) with
/// its column.
pub fn check(text: &str) -> Result<(), UsageError> {
    crate::query::parse::parse(text).map(|_| ()).map_err(|e| where_error(text, &e))
}

/// Compiles a `--where` query for what was loaded.
pub fn compile(text: &str, index: &Index) -> Result<Query, UsageError> {
    Query::new(text, index).map_err(|e| where_error(text, &e))
}

fn where_error(text: &str, e: &crate::query::QueryError) -> UsageError {
    UsageError(format!("--where '{}': {e}", escape_control(text)))
}

/// The spans of one trace (or of every trace, trace after trace), in waterfall order, that
/// `query` matches (all of them without one).
pub fn select(index: &Index, only: Option<TraceIdx>, query: Option<&Query>) -> Vec<SpanIdx> {
    let traces: Vec<TraceIdx> = match only {
        Some(t) => vec![t],
        None => trace_indices(index).collect(),
    };
    traces
        .into_iter()
        .flat_map(|t| index.trace_spans(t).iter().copied())
        .filter(|&s| query.is_none_or(|q| q.matches(index, s)))
        .collect()
}

/// The time of the traces `stats` covers: the one chosen, or all of them.
pub fn traces_ns(index: &Index, only: Option<TraceIdx>) -> u64 {
    match only {
        Some(t) => index.trace(t).duration(),
        None => trace_indices(index).map(|t| index.trace(t).duration()).sum(),
    }
}

/// One line per span: trace id, span id, duration, self time, `service: name` and markers.
pub fn write_text(w: &mut impl Write, index: &Index, spans: &[SpanIdx]) -> io::Result<()> {
    for &s in spans {
        let span = index.span(s);
        writeln!(
            w,
            "{} {}  {:>9}  self {:>9}  {}{}",
            span.trace_id,
            span.span_id,
            duration(span.duration()),
            duration(self_time(index, s)),
            span_label(index, s),
            markers(index, s),
        )?;
    }
    Ok(())
}

/// JSON Lines, one `JsonSpan` per span.
pub fn write_json(w: &mut impl Write, index: &Index, spans: &[SpanIdx]) -> io::Result<()> {
    for &span in spans {
        serde_json::to_writer(&mut *w, &JsonSpan { index, span })?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// `{"trace_id","span_id","parent_span_id","service","name","kind","start_unix_nano",
/// "duration_ns","self_ns","error","links_out","links_in"}`; `parent_span_id` is the parent id
/// the span carries (null for a root; an orphan's names a span that is not loaded).
struct JsonSpan<'a> {
    index: &'a Index,
    span: SpanIdx,
}

impl Serialize for JsonSpan<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (index, i) = (self.index, self.span);
        let span = index.span(i);
        let parent = (!span.parent_id.is_zero()).then_some(Hex(span.parent_id));
        let mut st = s.serialize_struct("Span", 12)?;
        st.serialize_field("trace_id", &Hex(span.trace_id))?;
        st.serialize_field("span_id", &Hex(span.span_id))?;
        st.serialize_field("parent_span_id", &parent)?;
        st.serialize_field("service", index.service(i))?;
        st.serialize_field("name", index.name(i))?;
        st.serialize_field("kind", span.kind.as_str())?;
        st.serialize_field("start_unix_nano", &span.start)?;
        st.serialize_field("duration_ns", &span.duration())?;
        st.serialize_field("self_ns", &self_time(index, i))?;
        st.serialize_field("error", &span.is_error())?;
        st.serialize_field("links_out", &index.links_out(i).len())?;
        st.serialize_field("links_in", &index.links_in(i).len())?;
        st.end()
    }
}

/// Two tables: operations (service, name) and services, each by self time descending.
pub fn write_stats_text(w: &mut impl Write, index: &Index, stats: &Stats) -> io::Result<()> {
    if stats.operations.is_empty() {
        return writeln!(w, "no spans");
    }
    let rows: Vec<[String; 10]> = stats
        .operations
        .iter()
        .map(|o| {
            [
                escape_control(index.str(o.service)).into_owned(),
                escape_control(index.str(o.name)).into_owned(),
                o.spans.to_string(),
                o.errors.to_string(),
                duration(o.total_ns),
                duration(o.self_ns),
                format!("{:.1}%", stats.share(o.self_ns)),
                duration(o.max_ns),
                duration(o.p50_ns),
                duration(o.p99_ns),
            ]
        })
        .collect();
    write_table(
        w,
        ["service", "name", "spans", "errors", "total", "self", "share", "max", "p50", "p99"],
        &rows,
    )?;
    writeln!(w)?;
    let rows: Vec<[String; 5]> = stats
        .services
        .iter()
        .map(|s| {
            [
                escape_control(index.str(s.service)).into_owned(),
                s.spans.to_string(),
                s.errors.to_string(),
                duration(s.self_ns),
                format!("{:.1}%", stats.share(s.self_ns)),
            ]
        })
        .collect();
    write_table(w, ["service", "spans", "errors", "self", "share"], &rows)
}

/// Text columns left-aligned (the first one or two), numbers right-aligned, two spaces apart.
fn write_table<const N: usize>(w: &mut impl Write, head: [&str; N], rows: &[[String; N]]) -> io::Result<()> {
    use unicode_width::UnicodeWidthStr;
    let mut widths = head.map(UnicodeWidthStr::width);
    for row in rows {
        for (wd, cell) in widths.iter_mut().zip(row) {
            *wd = (*wd).max(cell.width());
        }
    }
    // The text columns: the service, and the name when there is one.
    let text_cols = if head.get(1) == Some(&"name") { 2 } else { 1 };
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (c, (cell, wd)) in cells.iter().zip(widths).enumerate() {
            let pad = " ".repeat(wd.saturating_sub(cell.width()));
            if c > 0 {
                out.push_str("  ");
            }
            if c < text_cols {
                out.push_str(cell);
                out.push_str(&pad);
            } else {
                out.push_str(&pad);
                out.push_str(cell);
            }
        }
        out.trim_end().to_owned()
    };
    writeln!(w, "{}", line(head.to_vec()))?;
    for row in rows {
        writeln!(w, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// `{"operations":[…],"services":[…]}`, each sorted by `self_ns` descending.
pub fn write_stats_json(w: &mut impl Write, index: &Index, stats: &Stats) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &JsonStats { index, stats })?;
    w.write_all(b"\n")
}

struct JsonStats<'a> {
    index: &'a Index,
    stats: &'a Stats,
}

impl Serialize for JsonStats<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = self.index;
        let ops: Vec<JsonOp> = self.stats.operations.iter().map(|o| JsonOp { index, op: o }).collect();
        let services: Vec<JsonService> =
            self.stats.services.iter().map(|sv| JsonService { index, service: sv }).collect();
        let mut st = s.serialize_struct("Stats", 2)?;
        st.serialize_field("operations", &ops)?;
        st.serialize_field("services", &services)?;
        st.end()
    }
}

struct JsonOp<'a> {
    index: &'a Index,
    op: &'a crate::query::stats::OpStats,
}

impl Serialize for JsonOp<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.op;
        let mut st = s.serialize_struct("Operation", 9)?;
        st.serialize_field("service", self.index.str(o.service))?;
        st.serialize_field("name", self.index.str(o.name))?;
        st.serialize_field("spans", &o.spans)?;
        st.serialize_field("errors", &o.errors)?;
        st.serialize_field("total_ns", &o.total_ns)?;
        st.serialize_field("self_ns", &o.self_ns)?;
        st.serialize_field("max_ns", &o.max_ns)?;
        st.serialize_field("p50_ns", &o.p50_ns)?;
        st.serialize_field("p99_ns", &o.p99_ns)?;
        st.end()
    }
}

struct JsonService<'a> {
    index: &'a Index,
    service: &'a crate::query::stats::ServiceStats,
}

impl Serialize for JsonService<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sv = self.service;
        let mut st = s.serialize_struct("Service", 4)?;
        st.serialize_field("service", self.index.str(sv.service))?;
        st.serialize_field("spans", &sv.spans)?;
        st.serialize_field("errors", &sv.errors)?;
        st.serialize_field("self_ns", &sv.self_ns)?;
        st.end()
    }
}
