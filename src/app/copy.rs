//! What `Y` puts on the clipboard: the selected span as one JSON object (`cli::json::JsonSpan`,
//! the shape of the `--json` outputs), kept under what terminals accept in one OSC 52 sequence.
//! `App` hands the text to `tui` as an `Effect::Copy`.

use crate::cli::json::JsonSpan;
use crate::index::{Index, SpanIdx};

/// The most JSON text one copy sends: its base64 (4/3 larger) stays under the 100,000 bytes that
/// the stricter terminals accept in one OSC 52 sequence.
pub const CLIPBOARD_MAX: usize = 64 * 1024;
/// Where string values are cut when the whole span does not fit in `CLIPBOARD_MAX`.
pub const CUT_VALUES_AT: usize = 1024;

/// How a span's JSON was made to fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    Whole,
    /// String values longer than `CUT_VALUES_AT` bytes were cut (still valid JSON).
    ValuesCut,
    /// Even so it was too long: the text stops at `CLIPBOARD_MAX` and is not valid JSON.
    TextCut,
}

/// Span `s` as one line of JSON of at most `max` bytes, with no raw control character, and how it
/// was made to fit.
pub fn span_json(index: &Index, s: SpanIdx, max: usize) -> (String, Fit) {
    // Escaped so that pasting it into a terminal cannot drive the terminal either.
    let json = |max_text| {
        let text = serde_json::to_string(&JsonSpan { index, span: s, max_text }).unwrap_or_default();
        crate::text::json_terminal_safe(&text).into_owned()
    };
    let whole = json(usize::MAX);
    if whole.len() <= max {
        return (whole, Fit::Whole);
    }
    let cut = json(CUT_VALUES_AT);
    if cut.len() <= max {
        return (cut, Fit::ValuesCut);
    }
    let (shown, _) = crate::text::truncate_display(&cut, max);
    (shown.to_owned(), Fit::TextCut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testdata::{self, BATCH, CONSUMER};
    use serde_json::Value as J;

    #[test]
    fn a_span_is_one_object_with_its_ids_times_attributes_and_links_both_ways() {
        let index = testdata::links_index();
        let s = testdata::span(&index, CONSUMER, BATCH);
        let (text, fit) = span_json(&index, s, CLIPBOARD_MAX);
        assert_eq!(fit, Fit::Whole);
        let v: J = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["trace_id"], CONSUMER.to_string());
        assert_eq!(v["span_id"], BATCH.to_string());
        assert_eq!(v["service"], index.service(s));
        assert_eq!(v["name"], index.name(s));
        let span = index.span(s);
        assert_eq!(v["duration_ns"], span.end - span.start);
        assert_eq!(v["start_unix_nano"], span.start);
        let links = v["links"].as_array().expect("links");
        assert_eq!(links.len(), index.links_out(s).len() + index.links_in(s).len());
        assert!(links.iter().all(|l| l["direction"] == "out" && l["source"]["span_id"] == BATCH.to_string()));
        assert!(links.iter().any(|l| l["resolved"] == true) && links.iter().any(|l| l["resolved"] == false));
        for key in ["attributes", "resource", "scope", "events", "kind", "status", "parent_span_id"] {
            assert!(v.get(key).is_some(), "{key} missing: {text}");
        }
    }

    #[test]
    fn too_long_a_span_has_its_long_values_cut_then_its_text() {
        let index = testdata::long_value_index(200_000);
        let s = testdata::span(&index, testdata::P1, testdata::P1_ROOT);
        let (whole, fit) = span_json(&index, s, usize::MAX);
        assert_eq!(fit, Fit::Whole);
        assert!(whole.len() > CLIPBOARD_MAX);
        // Over the cap: the long value is cut (on a character boundary) and the JSON stays valid.
        let (cut, fit) = span_json(&index, s, CLIPBOARD_MAX);
        assert_eq!(fit, Fit::ValuesCut);
        let v: J = serde_json::from_str(&cut).expect("still valid JSON");
        assert_eq!(v["attributes"]["short"], "ok");
        let long = v["attributes"]["db.statement"].as_str().expect("a string");
        assert!(long.ends_with("… (showing 1024 of 200000 bytes)"), "{}", &long[1000..]);
        // Too long even then: the text is cut at the cap.
        let (text, fit) = span_json(&index, s, 100);
        assert_eq!(fit, Fit::TextCut);
        assert!(text.len() <= 100 && cut.starts_with(&text));
        assert!(serde_json::from_str::<J>(&text).is_err());
    }
}
