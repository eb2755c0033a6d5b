//! Text rows of the Attributes, Events and Logs tabs for one span, and the tab titles. Pure functions
//! over the index: their cost depends on one span's attributes, never on the trace's size.
//! Every string from the data is escaped here.

use super::links;
use super::trace_view::Tab;
use crate::index::{Index, SpanIdx, index_flags};
use crate::model::{LogRecord, SEVERITY_ERROR, Slice, span_flags};
use crate::text::{VALUE_DISPLAY_MAX, duration, escape_control, utc, value_capped};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// A section title (`span`, `resource`, `scope …`, an event, a log record).
    Heading,
    /// The heading of a log record of severity ERROR or above.
    AlertHeading,
    /// `key = value`.
    Field,
    /// A field that reports a problem (error status, repaired data).
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetailRow {
    pub kind: RowKind,
    /// Indentation level (nested event attributes are 1).
    pub indent: u8,
    pub key: String,
    pub value: String,
}

impl DetailRow {
    fn heading(text: impl Into<String>) -> Self {
        Self { kind: RowKind::Heading, indent: 0, key: text.into(), value: String::new() }
    }
    fn field(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self { kind: RowKind::Field, indent: 0, key: key.into(), value: value.into() }
    }
    fn warning(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self { kind: RowKind::Warning, indent: 0, key: key.into(), value: value.into() }
    }
}

fn attr_rows(index: &Index, slice: Slice, indent: u8, out: &mut Vec<DetailRow>) {
    for a in index.data.attrs_of(slice) {
        // Capped: these rows are rebuilt for every frame, and the value overlay shows the same text.
        let shown = value_capped(&index.data, a.value, VALUE_DISPLAY_MAX);
        let mut row = DetailRow::field(escape_control(index.str(a.key)), shown);
        row.indent = indent;
        out.push(row);
    }
}

/// The Attributes tab: the span's own fields and attributes, then its resource, then its scope.
pub fn attribute_rows(index: &Index, s: SpanIdx) -> Vec<DetailRow> {
    let mut out = Vec::new();
    if s.get() >= index.span_count() {
        return out;
    }
    let span = index.span(s);
    let trace = index.trace(index.trace_of(s));
    out.push(DetailRow::heading("span"));
    out.push(DetailRow::field("span id", span.span_id.to_string()));
    let parent = if span.parent_id.is_zero() {
        "none (root)".to_owned()
    } else if index.is_orphan(s) {
        format!("{} (not loaded)", span.parent_id)
    } else {
        span.parent_id.to_string()
    };
    out.push(DetailRow::field("parent", parent));
    out.push(DetailRow::field("kind", span.kind.as_str()));
    let status = span.status.as_str();
    let status = match span.status_message {
        Some(m) => format!("{status}: {}", escape_control(index.str(m))),
        None => status.to_owned(),
    };
    if span.is_error() {
        out.push(DetailRow::warning("status", status));
    } else {
        out.push(DetailRow::field("status", status));
    }
    out.push(DetailRow::field("start", format!("+{}", duration(span.start.saturating_sub(trace.start)))));
    out.push(DetailRow::field("duration", duration(span.duration())));
    let notes = [
        (span.has_flag(span_flags::SHARED), "shared (server half of a client/server pair)"),
        (span.has_flag(span_flags::SYNTHETIC_ID), "id was invalid; a synthetic id was assigned"),
        (span.has_flag(span_flags::CLAMPED_END), "end was before start; duration clamped to 0"),
        (span.has_flag(span_flags::UNTIMED), "untimed: the file gives no start; drawn at its parent's start"),
        (index.index_flags(s) & index_flags::CYCLE_CUT != 0, "parent cycle cut here"),
        (index.index_flags(s) & index_flags::DUPLICATE_ID != 0, "another span has the same id"),
    ];
    for (_, note) in notes.iter().filter(|(on, _)| *on) {
        out.push(DetailRow::warning("note", *note));
    }
    if let Some(ts) = span.trace_state {
        out.push(DetailRow::field("tracestate", escape_control(index.str(ts))));
    }
    attr_rows(index, span.attrs, 0, &mut out);

    let resource = index.data.resource(span.resource);
    if !resource.attrs.is_empty() {
        out.push(DetailRow::heading("resource"));
        attr_rows(index, resource.attrs, 0, &mut out);
    }
    let scope = index.data.scope(span.scope);
    if scope.name.is_some() || !scope.attrs.is_empty() {
        let mut title = String::from("scope");
        for part in [scope.name, scope.version].into_iter().flatten() {
            title.push(' ');
            title.push_str(&escape_control(index.str(part)));
        }
        out.push(DetailRow::heading(title));
        attr_rows(index, scope.attrs, 0, &mut out);
    }
    out
}

/// The Events tab: each event as `+offset name`, then its attributes indented.
pub fn event_rows(index: &Index, s: SpanIdx) -> Vec<DetailRow> {
    let mut out = Vec::new();
    if s.get() >= index.span_count() {
        return out;
    }
    let span = index.span(s);
    for e in index.data.events_of(span.events) {
        let offset = if e.time >= span.start {
            format!("+{}", duration(e.time - span.start))
        } else {
            format!("-{}", duration(span.start - e.time))
        };
        let mut row = DetailRow::heading(offset);
        row.value = escape_control(index.str(e.name)).into_owned();
        out.push(row);
        attr_rows(index, e.attrs, 1, &mut out);
    }
    out
}

/// The records the Logs tab lists for span `s`, oldest first: its own, and on the trace's root
/// also those that name only the trace.
pub fn log_records(index: &Index, s: SpanIdx) -> Vec<u32> {
    if s.get() >= index.span_count() {
        return Vec::new();
    }
    let t = index.trace_of(s);
    let mut records = index.span_logs(s).to_vec();
    if index.trace(t).root == s && !index.trace_logs(t).is_empty() {
        records.extend_from_slice(index.trace_logs(t));
        records.sort_by_key(|&i| (index.data.logs[i as usize].time, i));
    }
    records
}

/// How many records `log_records` lists, without listing them (the waterfall's gutter).
pub fn log_count(index: &Index, s: SpanIdx) -> usize {
    if s.get() >= index.span_count() {
        return 0;
    }
    let t = index.trace_of(s);
    let trace_level = if index.trace(t).root == s { index.trace_logs(t).len() } else { 0 };
    index.span_logs(s).len() + trace_level
}

/// `ERROR`, as the record says it, or the name of its severity number.
fn severity_label(index: &Index, r: &LogRecord) -> String {
    match r.severity_text {
        Some(t) => escape_control(index.str(t)).into_owned(),
        None => LogRecord::severity_name(r.severity).to_owned(),
    }
}

/// The Logs tab: per record `+offset SEVERITY body` (offset from the trace's start; `(trace)`
/// when the record names no span), then its attributes indented. Errors and above stand out.
pub fn log_rows(index: &Index, s: SpanIdx) -> Vec<DetailRow> {
    let mut out = Vec::new();
    let records = log_records(index, s);
    if records.is_empty() {
        return out;
    }
    let start = index.trace(index.trace_of(s)).start;
    for i in records {
        let r = &index.data.logs[i as usize];
        let offset = if r.time >= start {
            format!("+{}", duration(r.time - start))
        } else {
            format!("-{}", duration(start - r.time))
        };
        let whose = if r.span_id == index.span(s).span_id { "" } else { " (trace)" };
        let mut row = DetailRow::heading(format!("{offset} {}{whose}", severity_label(index, r)));
        if r.severity >= SEVERITY_ERROR {
            row.kind = RowKind::AlertHeading;
        }
        row.value = value_capped(&index.data, r.body, VALUE_DISPLAY_MAX);
        out.push(row);
        attr_rows(index, r.attrs, 1, &mut out);
    }
    out
}

/// The record the Logs tab's row `row` belongs to, in full for the value overlay: a title, and
/// its time, severity, ids, service, body and attributes, one per line.
pub fn log_record_text(index: &Index, s: SpanIdx, row: usize) -> Option<(String, String)> {
    let records = log_records(index, s);
    let mut at = 0;
    let i = records.into_iter().find(|&i| {
        at += 1 + index.data.logs[i as usize].attrs.len as usize;
        row < at
    })?;
    let r = &index.data.logs[i as usize];
    let ds = &index.data;
    let id = |zero: bool, text: String| if zero { "none".to_owned() } else { text };
    let mut lines = vec![
        format!("time: {}", utc(r.time, true)),
        format!("severity: {} ({})", severity_label(index, r), r.severity),
        format!("service: {}", escape_control(ds.str(r.service))),
        format!("trace id: {}", id(r.trace_id.is_zero(), r.trace_id.to_string())),
        format!("span id: {}", id(r.span_id.0 == 0, r.span_id.to_string())),
        format!("body: {}", value_capped(ds, r.body, VALUE_DISPLAY_MAX)),
    ];
    for a in ds.attrs_of(r.attrs) {
        lines.push(format!(
            "{}: {}",
            escape_control(ds.str(a.key)),
            value_capped(ds, a.value, VALUE_DISPLAY_MAX)
        ));
    }
    Some((format!("log record, {}", severity_label(index, r)), lines.join("\\n")))
}

/// How many rows the tab has (what the selection moves over).
pub fn row_count(index: &Index, s: SpanIdx, tab: Tab, links: &[links::LinkRow]) -> usize {
    match tab {
        Tab::Attributes => attribute_rows(index, s).len(),
        Tab::Events => event_rows(index, s).len(),
        Tab::Links => links.len(),
        Tab::Logs => log_rows(index, s).len(),
    }
}

/// Tab titles with counts: `Attributes 4`, `Events 1`, `Links 3↗ 2↙`.
pub fn tab_title(index: &Index, s: SpanIdx, tab: Tab) -> String {
    if s.get() >= index.span_count() {
        return String::new();
    }
    let span = index.span(s);
    match tab {
        Tab::Attributes => format!("Attributes {}", span.attrs.len),
        Tab::Events => format!("Events {}", span.events.len),
        Tab::Links => {
            let (out, r#in) = links::counts(index, s);
            format!("Links {out}↗ {in}↙")
        }
        Tab::Logs => format!("Logs {}", log_count(index, s)),
    }
}

/// Splits escaped text into lines of at most `width` columns for the value overlay: at the
/// escaped newlines (`\\n`, so stack traces read as they were written), then by width.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut out = Vec::new();
    for part in text.split("\\n") {
        let mut line = String::new();
        let mut w = 0;
        for c in part.chars() {
            let cw = UnicodeWidthChar::width(c).unwrap_or(0);
            if w + cw > width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
                w = 0;
            }
            line.push(c);
            w += cw;
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testdata::{self, BATCH, CONSUMER, DB};

    #[test]
    fn attributes_show_span_resource_and_scope_sections() {
        let index = testdata::links_index();
        let rows = attribute_rows(&index, testdata::span(&index, CONSUMER, BATCH));
        let headings: Vec<_> =
            rows.iter().filter(|r| r.kind == RowKind::Heading).map(|r| r.key.as_str()).collect();
        assert_eq!(headings, vec!["span", "resource", "scope io.opentelemetry.kafka 1.2.3"]);
        assert!(rows.iter().any(|r| r.key == "messaging.system" && r.value == "kafka"));
        assert!(rows.iter().any(|r| r.key == "host.name" && r.value == "node-1"));
    }

    #[test]
    fn error_status_is_a_warning_row_with_its_message() {
        let index = testdata::links_index();
        let rows = attribute_rows(&index, testdata::span(&index, CONSUMER, DB));
        assert!(rows.iter().any(|r| r.kind == RowKind::Warning && r.value == "error: timeout"));
    }

    #[test]
    fn an_untimed_span_says_so() {
        let bytes = br#"[{"traceId":"463ac35c9f6413ad","id":"0000000000000001","name":"root","timestamp":1700000000000000,"duration":5},
            {"traceId":"463ac35c9f6413ad","id":"0000000000000002","parentId":"0000000000000001","name":"late"}]"#;
        let index = Index::build(crate::load::load_bytes(bytes.to_vec(), "z.json", None).expect("loads"));
        let note = |s: u32| {
            attribute_rows(&index, crate::index::SpanIdx(s))
                .iter()
                .any(|r| r.kind == RowKind::Warning && r.value.starts_with("untimed"))
        };
        assert!(!note(0) && note(1));
    }

    #[test]
    fn wrap_splits_at_escaped_newlines_and_by_width() {
        assert_eq!(wrap("abcdef\\nxy", 4), vec!["abcd", "ef", "xy"]);
        assert_eq!(wrap("注文処理", 5), vec!["注文", "処理"]);
        assert_eq!(wrap("", 3), vec![""]);
    }

    #[test]
    fn events_and_titles() {
        let index = testdata::links_index();
        let batch = testdata::span(&index, CONSUMER, BATCH);
        let rows = event_rows(&index, batch);
        assert_eq!(rows[0].key, "+1.00ms");
        assert_eq!(rows[0].value, "batch received");
        assert_eq!((rows[1].indent, rows[1].key.as_str(), rows[1].value.as_str()), (1, "size", "2"));
        assert_eq!(tab_title(&index, batch, Tab::Links), "Links 5↗ 0↙");
        assert_eq!(tab_title(&index, batch, Tab::Events), "Events 1");
    }
}
