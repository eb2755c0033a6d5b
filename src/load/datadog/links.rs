//! Links and events that travel as JSON text inside meta (`_dd.span_links`, `events`; used by
//! v0.5, by older tracers and by Java), and the JSON → attribute value mapping that the JSON
//! form's native links and events share.
//!
//! Tracers cut long meta values (Java stops adding links past 25,000 chars, Python truncates
//! and appends `<truncated>...`), so this JSON may not parse: the elements complete before the
//! error are kept, the text stays as an attribute, and the file gets a warning.

use super::Builder;
use super::json::{JsonEvent, MetaLink};
use crate::load::error::json_message;
use crate::model::{Attr, SpanId, TraceId, Value};
use serde::de::{Deserialize, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use std::fmt;

/// Pushes array elements into a vector as they parse, so those before an error are kept.
struct Collect<'v, T>(&'v mut Vec<T>);

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Collect<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Collect<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element()? {
            self.0.push(item);
        }
        Ok(())
    }
}

/// Parses a JSON array into `out`, keeping the elements before an error, and returns the error.
fn parse_array<'x, T: Deserialize<'x>>(raw: &'x str, out: &mut Vec<T>) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(raw);
    Collect(out).deserialize(&mut de)?;
    de.end()
}

/// Keeps meta JSON that could not be read whole as a plain string attribute.
fn keep_raw(b: &mut Builder<'_>, key: &str, raw: &str) {
    let key = b.sink.intern(key);
    let value = Value::Str(b.sink.intern(raw));
    b.push_attr(Attr { key, value });
}

/// `meta["_dd.span_links"]` → links of the current span, skipping any that a native link
/// already names (same 128-bit trace id and span id).
pub(super) fn meta_links(b: &mut Builder<'_>, raw: &str, at: usize) {
    let mut links: Vec<MetaLink<'_>> = Vec::new();
    if let Err(e) = parse_array(raw, &mut links) {
        b.warn(
            at,
            format!(
                "meta `_dd.span_links` is not valid JSON ({}, cut short by the tracer?); {} link(s) before \
                 that were read and the text is kept as an attribute",
                json_message(&e),
                links.len()
            ),
        );
        keep_raw(b, "_dd.span_links", raw);
    }
    for (i, link) in links.iter().enumerate() {
        let trace = match link.trace_id.as_ref().map(|t| TraceId::from_hex(&t.0)) {
            Some(Ok(t)) => t,
            other => {
                let why = other.map_or_else(
                    || "no trace_id".to_owned(),
                    |e| format!("trace_id: {}", e.err().map_or_else(String::new, |e| e.to_string())),
                );
                b.warn(at, format!("meta `_dd.span_links` link {} dropped: {why}", i + 1));
                continue;
            }
        };
        let span = match link.span_id.as_ref().map(|t| SpanId::from_hex(&t.0)) {
            Some(Ok(s)) => s,
            other => {
                let why = other.map_or_else(
                    || "no span_id".to_owned(),
                    |e| format!("span_id: {}", e.err().map_or_else(String::new, |e| e.to_string())),
                );
                b.warn(at, format!("meta `_dd.span_links` link {} dropped: {why}", i + 1));
                continue;
            }
        };
        let mut attrs = b.take_tmp();
        for (k, v) in link.attributes.iter().flat_map(|m| &m.0) {
            let key = b.sink.intern(&k.0);
            let value = value_of(b, v, 0);
            attrs.push(Attr { key, value });
        }
        let trace_state = link.tracestate.as_ref().filter(|t| !t.0.is_empty()).map(|t| b.sink.intern(&t.0));
        b.add_link(trace, span, trace_state, super::w3c_flags(link.flags.0), &attrs, true);
        b.put_tmp(attrs);
    }
}

/// `meta["events"]` → events of the current span.
pub(super) fn meta_events(b: &mut Builder<'_>, raw: &str, at: usize) {
    let mut events: Vec<JsonEvent<'_>> = Vec::new();
    if let Err(e) = parse_array(raw, &mut events) {
        b.warn(
            at,
            format!(
                "meta `events` is not a valid JSON list of events ({}); {} event(s) before that were read \
                 and the text is kept as an attribute",
                json_message(&e),
                events.len()
            ),
        );
        keep_raw(b, "events", raw);
    }
    for event in &events {
        add_json_event(b, event);
    }
}

/// A JSON span event (native or from meta) → an event of the current span.
pub(super) fn add_json_event(b: &mut Builder<'_>, event: &JsonEvent<'_>) {
    let mut attrs = b.take_tmp();
    for (k, v) in event.attributes.iter().flat_map(|m| &m.0) {
        let key = b.sink.intern(&k.0);
        let value = value_of(b, v, 0);
        attrs.push(Attr { key, value });
    }
    let name = b.sink.intern(event.name.as_ref().map_or("", |t| &t.0));
    b.add_event(event.time_unix_nano.0, name, &attrs);
    b.put_tmp(attrs);
}

/// Nesting below this is kept as JSON text rather than as arrays of arrays.
const MAX_ARRAY_DEPTH: u8 = 2;

/// A JSON attribute value → a model value. Reads both plain values and the native typed form
/// `{type, string_value|bool_value|int_value|double_value|array_value: {values}}`; other objects
/// are kept as their JSON text.
pub(crate) fn value_of(b: &mut Builder<'_>, v: &serde_json::Value, depth: u8) -> Value {
    use serde_json::Value as J;
    match v {
        // Scalars read as everywhere in Datadog.
        J::Null | J::Bool(_) | J::Number(_) | J::String(_) => b.json_tree(v, 0),
        J::Array(items) if depth < MAX_ARRAY_DEPTH => {
            let values: Vec<Value> = items.iter().map(|x| value_of(b, x, depth + 1)).collect();
            b.sink.ds.add_array(&values)
        }
        J::Object(map) => {
            if let Some(J::String(s)) = map.get("int_value")
                && let Ok(i) = s.parse::<i64>()
            {
                return Value::Int(i);
            }
            if let Some(x) =
                ["string_value", "bool_value", "int_value", "double_value"].iter().find_map(|k| map.get(*k))
            {
                return value_of(b, x, depth);
            }
            match map.get("array_value") {
                Some(J::Object(arr)) => match arr.get("values") {
                    Some(values) => value_of(b, values, depth),
                    None => b.sink.ds.add_array(&[]),
                },
                Some(values @ J::Array(_)) => value_of(b, values, depth),
                _ => Value::Str(b.sink.intern(&v.to_string())),
            }
        }
        J::Array(_) => Value::Str(b.sink.intern(&v.to_string())),
    }
}
