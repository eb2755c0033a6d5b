//! The trace JSON users copy out of the Datadog UI (what `doggo` reads, FORMATS.md §11) →
//! `Builder`:
//! `{"trace": {"root_id", "spans": {"<id>": span, …}}, "orphaned": [{"root_id", "spans"}, …],
//! "is_truncated"}`.
//!
//! Each span map is read by `json::feed`, the agent payload mapping, with the UI's own forms of
//! three fields: ids are strings (hex when they hold a–f or are 32 digits long, else decimal),
//! `start` and `duration` are seconds (floats), and `status: "error"` marks an error. The tree
//! comes from `parent_id` (`"0"` is a root); `children_ids` repeats it and is not read. Orphans
//! (spans whose parent is not in the trace) are kept; a span found twice is kept once.
//!
//! No real file of this shape was found: the schema is doggo's Go struct and keep's reader (see
//! FORMATS.md §11), and the test file is built from that description.

use super::Builder;
use super::json::{JsonSpan, Nanos, Pairs, SpanIdent, error_offset, feed};
use crate::load::LoadError;
use crate::load::error::json_message;
use crate::model::Format;
use rustc_hash::FxHashSet;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::cell::Cell;
use std::fmt;

const FORMAT: Format = Format::DatadogUiJson;

/// A UI id: a hex or decimal string (or a plain integer).
#[derive(Default, Clone, Copy)]
pub(super) struct UiId(u128);

impl<'de> serde::Deserialize<'de> for UiId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = UiId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id (a decimal or hex string)")
            }
            fn visit_u64<E>(self, v: u64) -> Result<UiId, E> {
                Ok(UiId(u128::from(v)))
            }
            fn visit_unit<E>(self) -> Result<UiId, E> {
                Ok(UiId(0))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UiId, E> {
                let hex = v.len() == 32 || v.bytes().any(|b| matches!(b, b'a'..=b'f' | b'A'..=b'F'));
                let parsed = if hex { u128::from_str_radix(v, 16) } else { v.parse::<u128>() };
                parsed.map(UiId).map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

impl SpanIdent for UiId {
    #[expect(clippy::cast_possible_truncation, reason = "the low 64 bits, by intent")]
    fn low(&self) -> u64 {
        self.0 as u64
    }
    fn high(&self) -> Option<u64> {
        u64::try_from(self.0 >> 64).ok().filter(|&h| h != 0)
    }
}

/// Seconds since 1970 (or a duration in seconds), as a float.
#[derive(Default, Clone, Copy)]
pub(super) struct Seconds(f64);

impl<'de> serde::Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<f64>::deserialize(d).map(|s| Seconds(s.unwrap_or(0.0)))
    }
}

impl Nanos for Seconds {
    fn ns(&self) -> i64 {
        /// Past this many seconds, ns no longer fit an i64 (the year 2262).
        const MAX_SECONDS: f64 = 9.2e9;
        if self.0.is_finite() && self.0.abs() < MAX_SECONDS {
            // An epoch in seconds as a double holds about 16 digits: microseconds, not ns.
            #[expect(clippy::cast_possible_truncation, reason = "checked to fit")]
            let us = (self.0 * 1e6).round() as i64;
            us * 1000
        } else {
            -1
        }
    }
}

/// One trace (or one orphaned fragment): its spans keyed by id.
#[derive(serde::Deserialize)]
struct UiTrace<'a> {
    #[serde(borrow, default)]
    spans: Option<Pairs<'a, &'a RawValue>>,
}

/// Reads the whole document into the builder.
pub(super) fn parse<'a>(b: &mut Builder<'a>, input: &'a [u8], path: &str) -> Result<(), LoadError> {
    let text = crate::load::json::text_of(input, path, FORMAT)?;
    let doc: Pairs<'a, &'a RawValue> =
        serde_json::from_str(text).map_err(|e| LoadError::json(path, FORMAT, &e))?;
    let mut seen = FxHashSet::default();
    for (key, value) in doc.0 {
        match &*key.0 {
            "trace" => add_trace(b, input, value, &mut seen),
            "orphaned" => match serde_json::from_str::<Vec<&'a RawValue>>(value.get()) {
                Ok(items) => items.into_iter().for_each(|item| add_trace(b, input, item, &mut seen)),
                Err(e) => b.skip(
                    error_offset(input, value.get(), &e),
                    format!("orphaned skipped: {}", json_message(&e)),
                ),
            },
            _ => {}
        }
    }
    Ok(())
}

/// A `{root_id, spans}` object, or (in `orphaned`) a bare span map.
fn add_trace<'a>(
    b: &mut Builder<'a>,
    input: &'a [u8],
    raw: &'a RawValue,
    seen: &mut FxHashSet<(u128, u128)>,
) {
    let trace = match serde_json::from_str::<UiTrace<'a>>(raw.get()) {
        Ok(t) => t,
        Err(e) => {
            b.skip(error_offset(input, raw.get(), &e), format!("trace skipped: {}", json_message(&e)));
            return;
        }
    };
    let spans = match trace.spans {
        Some(spans) => spans.0.into_iter().map(|(_, span)| span).collect(),
        None => vec![raw],
    };
    b.begin_chunk();
    for span in spans {
        let at = crate::load::offset_of(input, span.get());
        match serde_json::from_str::<JsonSpan<'a, UiId, Seconds>>(span.get()) {
            Ok(s) if !seen.insert((s.trace_id.0, s.span_id.0)) => {
                b.warn(at, "span listed twice (in trace and orphaned); kept once");
            }
            Ok(s) => {
                b.begin_span();
                feed(b, s, at);
            }
            Err(e) => {
                b.skip(error_offset(input, span.get(), &e), format!("span skipped: {}", json_message(&e)))
            }
        }
    }
    b.end_chunk();
}

/// Whether a document that starts with `{` (at `bytes[0]`) is the UI's: its `trace` holds
/// `root_id`/`spans` (Tempo's holds `resourceSpans`), or it has `orphaned`/`is_truncated`. Reads
/// keys only until it can tell; any other first key ends the look, so another format's file is
/// never scanned whole here.
pub fn sniff(bytes: &[u8]) -> bool {
    struct Top<'c>(&'c Cell<bool>);
    struct Inner<'c>(&'c Cell<bool>);
    impl<'de> Visitor<'de> for Top<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            if let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match &*key {
                    "trace" => map.next_value_seed(Inner(self.0))?,
                    "orphaned" | "is_truncated" => self.0.set(true),
                    _ => {}
                }
            }
            // Decided by the first key: the error only ends the walk.
            Err(de::Error::custom("decided"))
        }
    }
    impl<'de> de::DeserializeSeed<'de> for Inner<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Inner<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            if let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                self.0.set(matches!(&*key, "root_id" | "spans"));
            }
            Err(de::Error::custom("decided"))
        }
    }
    let found = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = de.deserialize_map(Top(&found));
    found.get()
}
