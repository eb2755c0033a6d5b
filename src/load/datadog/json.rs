//! The v0.4 JSON form (and dd-apm-test-agent snapshots) → `Builder`.
//!
//! The document is `[[span, …], …]`. It is first split into borrowed raw chunks and spans
//! (`RawValue`), so a span that does not fit the schema is skipped with its line and column while
//! the rest loads. Each span is then read into `JsonSpan`, whose strings borrow from the input
//! when they have no escapes. Ids are JSON integers up to 2^64−1 (negative ones are signed ids)
//! and never pass through f64.

use super::Builder;
use crate::load::LoadError;
use crate::load::error::json_message;
use crate::model::{Attr, Format, SpanId, TraceId};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

// ---------------------------------------------------------------------------------------------
// Lenient field types (also used for the JSON inside meta, see `links.rs`)

/// Text borrowed from the input when it has no escapes. Other scalars are read as their text
/// (meta values should be strings, but reading beats dropping) and null as "".
pub(crate) struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed("")))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A 64-bit id: any JSON integer up to 2^64−1; a negative one is a signed id whose bits are the
/// id (the Java habit); null is 0; a decimal string is accepted.
#[derive(Default, Clone, Copy)]
pub(crate) struct Id(pub u64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer id (0 to 2^64-1, or a negative int64)")
            }
            fn visit_u64<E>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v))
            }
            #[expect(clippy::cast_sign_loss, reason = "negative int64 ids are unsigned ids sent as signed")]
            fn visit_i64<E>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v as u64))
            }
            fn visit_unit<E>(self) -> Result<Id, E> {
                Ok(Id(0))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                match (v.parse::<u64>(), v.parse::<i64>()) {
                    (Ok(u), _) => Ok(Id(u)),
                    (_, Ok(i)) => self.visit_i64(i),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                // serde_json hands integers beyond the 64-bit range (and fractions) over as f64.
                Err(E::custom(format_args!(
                    "id {v} is not an integer in the 64-bit range (ids are never read through floating point)"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// An int64 field (`start`, `duration`, `error`): an integer up to i64::MAX, an integral float,
/// or null (0).
#[derive(Default, Clone, Copy)]
pub(crate) struct Int(pub i64);

/// Floats beyond this are not integral int64 values.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an int64")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v).map(Int).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                if v.fract() == 0.0 && (-I64_LIMIT..I64_LIMIT).contains(&v) {
                    #[expect(clippy::cast_possible_truncation, reason = "checked integral and in range")]
                    Ok(Int(v as i64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_unit<E>(self) -> Result<Int, E> {
                Ok(Int(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// A metric value: any number; null is 0; a numeric string is parsed; anything else is dropped.
pub(crate) struct Metric(pub Option<f64>);

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Metric;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Metric, E> {
                Ok(Metric(Some(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Metric, E> {
                Ok(Metric(Some(v as f64)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Metric, E> {
                Ok(Metric(Some(v as f64)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Metric, E> {
                Ok(Metric(Some(if v { 1.0 } else { 0.0 })))
            }
            fn visit_unit<E>(self) -> Result<Metric, E> {
                Ok(Metric(Some(0.0)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Metric, E> {
                Ok(Metric(v.trim().parse().ok()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON object as its entries in document order, keys borrowed; null is empty. Cheaper than a
/// map, and the order is what the file says.
pub(crate) struct Pairs<'a, V>(pub Vec<(Text<'a>, V)>);

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Pairs<'a, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<'a, V>(PhantomData<(&'a (), V)>);
        impl<'de: 'a, 'a, V: Deserialize<'de>> Visitor<'de> for Vis<'a, V> {
            type Value = Pairs<'a, V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Pairs(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Text<'a>>()? {
                    out.push((k, map.next_value::<V>()?));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_any(Vis(PhantomData))
    }
}

// ---------------------------------------------------------------------------------------------
// Wire structs

/// One span map, as in the msgpack v0.4 form. Unknown keys are ignored. Ids (`I`) and times
/// (`T`) are the agent's integers here; the Datadog UI's JSON (`ui_json.rs`) writes them as
/// strings and seconds.
#[derive(serde::Deserialize)]
pub(super) struct JsonSpan<'a, I = Id, T = Int> {
    #[serde(borrow, default)]
    service: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    resource: Option<Text<'a>>,
    #[serde(borrow, default, rename = "type")]
    span_type: Option<Text<'a>>,
    #[serde(default)]
    pub trace_id: I,
    #[serde(default)]
    pub span_id: I,
    #[serde(default)]
    parent_id: I,
    #[serde(default)]
    start: T,
    #[serde(default)]
    duration: T,
    #[serde(default)]
    error: Int,
    /// The Datadog UI's `"error"` (the agent's payloads have no such key).
    #[serde(borrow, default)]
    status: Option<Text<'a>>,
    #[serde(borrow, default)]
    meta: Option<Pairs<'a, Text<'a>>>,
    #[serde(borrow, default)]
    metrics: Option<Pairs<'a, Metric>>,
    #[serde(borrow, default)]
    meta_struct: Option<Pairs<'a, &'a RawValue>>,
    #[serde(borrow, default)]
    span_links: Option<Vec<JsonLink<'a>>>,
    #[serde(borrow, default)]
    span_events: Option<Vec<JsonEvent<'a>>>,
}

/// A native `span_links` entry.
#[derive(serde::Deserialize)]
struct JsonLink<'a> {
    #[serde(default)]
    trace_id: Id,
    #[serde(default)]
    trace_id_high: Id,
    #[serde(default)]
    span_id: Id,
    #[serde(borrow, default)]
    attributes: Option<Pairs<'a, serde_json::Value>>,
    #[serde(borrow, default)]
    tracestate: Option<Text<'a>>,
    #[serde(default)]
    flags: Id,
}

/// One entry of `meta["_dd.span_links"]`. Ids are hex: `trace_id` 32 digits, `span_id` 16 or
/// (Java) unpadded; `flags` are the raw 8 W3C bits.
#[derive(serde::Deserialize)]
pub(crate) struct MetaLink<'x> {
    #[serde(borrow, default)]
    pub trace_id: Option<Text<'x>>,
    #[serde(borrow, default)]
    pub span_id: Option<Text<'x>>,
    #[serde(borrow, default)]
    pub attributes: Option<Pairs<'x, serde_json::Value>>,
    #[serde(borrow, default)]
    pub tracestate: Option<Text<'x>>,
    #[serde(default)]
    pub flags: Id,
}

/// A span event, native (`span_events`, typed attribute values) or from `meta["events"]`
/// (plain attribute values); `links::value_of` reads both kinds of value.
#[derive(serde::Deserialize)]
pub(crate) struct JsonEvent<'a> {
    #[serde(borrow, default)]
    pub name: Option<Text<'a>>,
    #[serde(default)]
    pub time_unix_nano: Id,
    #[serde(borrow, default)]
    pub attributes: Option<Pairs<'a, serde_json::Value>>,
}

// ---------------------------------------------------------------------------------------------

/// Reads the whole document into the builder.
pub(super) fn parse<'a>(b: &mut Builder<'a>, input: &'a [u8], path: &str) -> Result<(), LoadError> {
    let format = Format::DatadogJson;
    let text = crate::load::json::text_of(input, path, format)?;
    let chunks: Vec<&'a RawValue> = serde_json::from_str(text)
        .map_err(|e| LoadError::new(path, Some(format), error_location(input, text, &e), top_message(&e)))?;
    for (ci, chunk) in chunks.iter().enumerate() {
        let spans: Vec<&'a RawValue> = match serde_json::from_str(chunk.get()) {
            Ok(spans) => spans,
            Err(e) => {
                let at = error_offset(input, chunk.get(), &e);
                b.skip(at, format!("trace chunk {} skipped: {}", ci + 1, json_message(&e)));
                continue;
            }
        };
        b.begin_chunk();
        for raw in spans {
            let at = crate::load::offset_of(input, raw.get());
            match serde_json::from_str::<JsonSpan<'a>>(raw.get()) {
                Ok(span) => {
                    b.begin_span();
                    feed(b, span, at);
                }
                Err(e) => {
                    let err_at = error_offset(input, raw.get(), &e);
                    b.skip(err_at, format!("span skipped: {}", json_message(&e)));
                }
            }
        }
        b.end_chunk();
    }
    Ok(())
}

/// Says what the top level should be when it is not.
fn top_message(e: &serde_json::Error) -> String {
    let msg = json_message(e);
    if e.is_data() {
        format!("{msg}: a Datadog JSON payload is an array of trace chunks, each an array of spans")
    } else {
        msg
    }
}

/// Byte offset in `input` of a serde_json error inside `part` (a slice of `input`).
pub(super) fn error_offset(input: &[u8], part: &str, e: &serde_json::Error) -> usize {
    let base = crate::load::offset_of(input, part);
    if e.line() == 0 {
        return base;
    }
    // serde_json counts lines from 1 and columns (bytes) from 1.
    let line_start: usize = part.split_inclusive('\n').take(e.line() - 1).map(str::len).sum();
    (base + line_start + e.column().saturating_sub(1)).min(input.len())
}

fn error_location(input: &[u8], part: &str, e: &serde_json::Error) -> crate::model::Location {
    if e.line() == 0 {
        return crate::model::Location::Unknown;
    }
    crate::load::location_at(input, error_offset(input, part, e))
}

/// An id as a span map writes it: its low 64 bits and, for a 128-bit trace id, the high ones.
pub(super) trait SpanIdent {
    fn low(&self) -> u64;
    fn high(&self) -> Option<u64>;
}

impl SpanIdent for Id {
    fn low(&self) -> u64 {
        self.0
    }
    fn high(&self) -> Option<u64> {
        None
    }
}

/// A start or duration as a span map writes it, in ns.
pub(super) trait Nanos {
    fn ns(&self) -> i64;
}

impl Nanos for Int {
    fn ns(&self) -> i64 {
        self.0
    }
}

pub(super) fn feed<'a, I: SpanIdent, T: Nanos>(b: &mut Builder<'a>, span: JsonSpan<'a, I, T>, at: usize) {
    if let Some(t) = &span.service {
        b.s.service = Some(b.sym(&t.0));
    }
    if let Some(t) = &span.name {
        b.s.name = Some(b.sym(&t.0));
    }
    if let Some(t) = &span.resource {
        let v = b.sym(&t.0);
        b.set_resource(v);
    }
    if let Some(t) = &span.span_type {
        let v = b.sym(&t.0);
        b.set_type(v);
    }
    b.s.trace_id = span.trace_id.low();
    if let Some(high) = span.trace_id.high() {
        b.s.tid = Some(high);
    }
    b.s.span_id = span.span_id.low();
    b.s.parent_id = span.parent_id.low();
    b.s.start = span.start.ns();
    b.s.duration = span.duration.ns();
    b.s.error = span.error.0;
    if span.status.as_ref().is_some_and(|s| s.0.eq_ignore_ascii_case("error")) {
        b.s.error = 1;
    }
    for (k, v) in span.meta.iter().flat_map(|m| &m.0) {
        b.meta(&k.0, &v.0, at);
    }
    for (k, v) in span.metrics.iter().flat_map(|m| &m.0) {
        match v.0 {
            Some(v) => b.metric(&k.0, v),
            None => b.warn(at, format!("metric `{}` is not a number; dropped", k.0)),
        }
    }
    for (k, v) in span.meta_struct.iter().flat_map(|m| &m.0) {
        let text = v.get();
        if text.starts_with('"') {
            // In JSON the bytes can only travel as text (base64); keep that text.
            if let Ok(t) = serde_json::from_str::<Text<'_>>(text) {
                let value = crate::model::Value::Bytes(b.sink.intern(&t.0));
                b.meta_struct_value(&k.0, value);
                continue;
            }
        } else if (text.starts_with('{') || text.starts_with('['))
            // The test agent's snapshots hold the decoded structure.
            && let Ok(tree) = serde_json::from_str::<serde_json::Value>(text)
        {
            let value = b.json_tree(&tree, 0);
            b.meta_struct_value(&k.0, value);
            continue;
        }
        b.warn(
            at,
            format!("meta_struct `{}` is neither a base64 string nor an object or array; dropped", k.0),
        );
    }
    for link in span.span_links.iter().flatten() {
        let mut attrs = b.take_tmp();
        for (k, v) in link.attributes.iter().flat_map(|m| &m.0) {
            let key = b.sym(&k.0);
            let value = super::links::value_of(b, v, 0);
            attrs.push(Attr { key, value });
        }
        let trace_state = link.tracestate.as_ref().filter(|t| !t.0.is_empty()).map(|t| b.sym(&t.0));
        b.add_link(
            TraceId::from_halves(link.trace_id_high.0, link.trace_id.0),
            SpanId(link.span_id.0),
            trace_state,
            super::w3c_flags(link.flags.0),
            &attrs,
            false,
        );
        b.put_tmp(attrs);
    }
    for event in span.span_events.iter().flatten() {
        super::links::add_json_event(b, event);
    }
    b.finish_span(at);
}
