//! Incremental search inside one trace. Each trace gets, on its first search, one lowercase
//! text buffer holding every span's name, service, id, attribute values and the bodies of its
//! log records; a keystroke is then
//! one SIMD substring scan (memchr's memmem) over that buffer, however many spans there are.

use crate::index::{Index, SpanIdx, TraceIdx};
use crate::model::Value;
use std::fmt::Write as _;

/// Separates fields and spans in the haystack. Typed queries never contain it, so a match can
/// never straddle two fields or two spans.
const SEP: char = '\0';

/// The lowercase search text of one trace.
#[derive(Debug, Default)]
pub struct Haystack {
    text: String,
    /// `ends[p]`: byte offset one past the text of the span at position `p`.
    ends: Vec<usize>,
}

impl Haystack {
    pub fn build(index: &Index, trace: TraceIdx) -> Self {
        Self::of_spans(index, index.trace_spans(trace))
    }

    /// The search text of `spans`; `find` then answers indices into `spans`.
    pub fn of_spans(index: &Index, spans: &[SpanIdx]) -> Self {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(spans.len());
        let push = |text: &mut String, s: &str| {
            if s.is_ascii() {
                // Fast path for the common case: ASCII lowercasing is one byte per byte.
                text.extend(s.bytes().filter(|&b| b != 0).map(|b| char::from(b.to_ascii_lowercase())));
            } else {
                text.extend(s.chars().flat_map(char::to_lowercase).filter(|&c| c != SEP));
            }
            text.push(SEP);
        };
        for &s in spans {
            let span = index.span(s);
            push(&mut text, index.name(s));
            push(&mut text, index.service(s));
            // Writing into a String cannot fail.
            let _ = write!(text, "{}", span.span_id);
            text.push(SEP);
            let bodies = index.span_logs(s).iter().map(|&i| index.data.logs[i as usize].body);
            for value in index.data.attrs_of(span.attrs).map(|a| a.value).chain(bodies) {
                match value {
                    Value::Str(v) => push(&mut text, index.str(v)),
                    Value::Empty => {}
                    other => push(&mut text, &crate::text::value(&index.data, other)),
                }
            }
            ends.push(text.len());
        }
        Self { text, ends }
    }

    /// Positions of the spans whose text contains `query` (case-insensitive), ascending.
    pub fn find(&self, query: &str) -> Vec<u32> {
        let needle: String = query.chars().flat_map(char::to_lowercase).collect();
        if needle.is_empty() || needle.contains(SEP) {
            return Vec::new();
        }
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let hay = self.text.as_bytes();
        let mut out = Vec::new();
        let mut from = 0usize;
        while let Some(hit) = hay.get(from..).and_then(|rest| finder.find(rest)) {
            let at = from + hit;
            let pos = self.ends.partition_point(|&e| e <= at);
            let Some(&end) = self.ends.get(pos) else { break };
            out.push(u32::try_from(pos).unwrap_or(u32::MAX));
            // One hit per span is enough: continue after this span's text.
            from = end;
        }
        out
    }
}

/// A trace's search: the query, whether it is being typed, and its matches.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    pub editing: bool,
    /// Positions of matching spans, ascending.
    pub matches: Vec<u32>,
    /// Index into `matches` of the current one.
    pub current: Option<usize>,
    /// Where the selection was when typing started; each keystroke searches from there.
    pub anchor: u32,
}

impl Search {
    pub fn is_active(&self) -> bool {
        self.editing || !self.query.is_empty()
    }

    pub fn is_match(&self, pos: u32) -> bool {
        self.matches.binary_search(&pos).is_ok()
    }

    /// `3/17`, or `0/0` with no matches.
    pub fn counter(&self) -> String {
        match self.current {
            Some(i) => format!("{}/{}", i + 1, self.matches.len()),
            None => format!("0/{}", self.matches.len()),
        }
    }

    /// The first match at or after `pos`, wrapping to the first.
    pub fn first_from(&self, pos: u32) -> Option<usize> {
        if self.matches.is_empty() {
            return None;
        }
        let i = self.matches.partition_point(|&m| m < pos);
        Some(if i < self.matches.len() { i } else { 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testdata::{self, CONSUMER};

    #[test]
    fn finds_names_services_and_attribute_values_case_insensitively() {
        let index = testdata::links_index();
        let t = testdata::trace(&index, CONSUMER);
        let hay = Haystack::build(&index, t);
        assert_eq!(hay.find("WORKER"), vec![0, 1, 3, 4], "service of four spans");
        assert_eq!(hay.find("postgres"), vec![2]);
        assert_eq!(hay.find("kafka"), vec![0], "attribute value");
        assert_eq!(hay.find("注文"), vec![3]);
        assert_eq!(hay.find("\u{1b}"), vec![4], "raw text is searched, not the escaped form");
        assert!(hay.find("nothing like this").is_empty());
        assert!(hay.find("").is_empty());
    }

    #[test]
    fn a_match_never_spans_two_fields() {
        let index = testdata::links_index();
        let t = testdata::trace(&index, CONSUMER);
        let hay = Haystack::build(&index, t);
        // "batch" + "worker" adjacent as name/service would read "consume batchworker".
        assert!(hay.find("batchworker").is_empty());
    }

    #[test]
    fn counter_and_first_from() {
        let s = Search { matches: vec![2, 5, 9], current: Some(1), ..Search::default() };
        assert_eq!(s.counter(), "2/3");
        assert_eq!(s.first_from(6), Some(2));
        assert_eq!(s.first_from(10), Some(0));
        assert!(s.is_match(5) && !s.is_match(6));
    }
}
