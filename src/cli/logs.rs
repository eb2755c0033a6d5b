//! `weft logs`: the log records read from the inputs — all, a trace's or a span's — oldest first,
//! as text or as JSON Lines whose shape (`time_unix_nano`, `severity_number`, `severity_text`,
//! `body`, `trace_id`, `span_id`, `attributes`; ids null when absent) is a public contract.

use super::ids::Selection;
use super::json::{Hex, JsonAttrs, JsonValue};
use crate::index::Index;
use crate::model::LogRecord;
use crate::text::{VALUE_DISPLAY_MAX, escape_control, utc, value_capped};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::io::{self, Write};

/// The records a selection covers (indices into `data.logs`), oldest first: a span's; a trace's
/// (its spans' and those naming only the trace); or every record read.
pub fn select(index: &Index, sel: Selection) -> Vec<u32> {
    let mut chosen: Vec<u32> = match (sel.span, sel.trace) {
        (Some(s), _) => index.span_logs(s).to_vec(),
        (None, Some(t)) => {
            let spans = index.trace_spans(t).iter().flat_map(|&s| index.span_logs(s).iter().copied());
            spans.chain(index.trace_logs(t).iter().copied()).collect()
        }
        (None, None) => (0..u32::try_from(index.data.logs.len()).unwrap_or(u32::MAX)).collect(),
    };
    chosen.sort_by_key(|&i| (index.data.logs[i as usize].time, i));
    chosen
}

struct JsonLog<'a> {
    index: &'a Index,
    record: &'a LogRecord,
}

impl Serialize for JsonLog<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (ds, r) = (&self.index.data, self.record);
        let mut st = s.serialize_struct("Log", 7)?;
        st.serialize_field("time_unix_nano", &r.time)?;
        st.serialize_field("severity_number", &r.severity)?;
        st.serialize_field("severity_text", &r.severity_text.map(|t| ds.str(t)))?;
        st.serialize_field("body", &JsonValue::new(ds, r.body))?;
        st.serialize_field("trace_id", &(!r.trace_id.is_zero()).then_some(Hex(r.trace_id)))?;
        st.serialize_field("span_id", &(r.span_id.0 != 0).then_some(Hex(r.span_id)))?;
        st.serialize_field("attributes", &JsonAttrs::new(ds, r.attrs))?;
        st.end()
    }
}

/// JSON Lines: one object per record.
pub fn write_json(w: &mut impl Write, index: &Index, records: &[u32]) -> io::Result<()> {
    for &i in records {
        serde_json::to_writer(&mut *w, &JsonLog { index, record: &index.data.logs[i as usize] })?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// One line per record: UTC time, severity, service, the span it belongs to, the body, then the
/// attributes as `key=value`.
pub fn write_text(w: &mut impl Write, index: &Index, records: &[u32]) -> io::Result<()> {
    if records.is_empty() {
        return writeln!(w, "no log records");
    }
    let ds = &index.data;
    for &i in records {
        let r = &ds.logs[i as usize];
        let severity = match r.severity_text {
            Some(t) => escape_control(ds.str(t)).into_owned(),
            None => LogRecord::severity_name(r.severity).to_owned(),
        };
        let place = match index.log_place(i as usize) {
            crate::index::logs::LogPlace::Span(s) => format!("[{}]", super::human::span_label(index, s)),
            crate::index::logs::LogPlace::Trace(t) => format!("[trace {}]", index.trace(t).id.short(8)),
            crate::index::logs::LogPlace::Unattached => "[no span]".to_owned(),
        };
        write!(
            w,
            "{} {severity:<5} {} {place} {}",
            utc(r.time, true),
            escape_control(ds.str(r.service)),
            value_capped(ds, r.body, VALUE_DISPLAY_MAX)
        )?;
        for a in ds.attrs_of(r.attrs) {
            write!(
                w,
                "  {}={}",
                escape_control(ds.str(a.key)),
                value_capped(ds, a.value, VALUE_DISPLAY_MAX)
            )?;
        }
        writeln!(w)?;
    }
    Ok(())
}
