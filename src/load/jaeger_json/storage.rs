//! Jaeger's storage documents (FORMATS.md §12): what Jaeger writes to Elasticsearch/OpenSearch,
//! one span per document with its `process` embedded, and the ways people get them out: one
//! document, a `_search` response (`{"hits":{"hits":[{"_source":doc}]}}`), and NDJSON dumps
//! (one hit or bare document per line, or `_bulk` pairs of an action line and a document).
//! Each span document is read like a span of the anonymizer's form (`Parser::add_span`), its
//! elevated `tag` maps merged into its tags (`Parser::tags`).

use super::*;

/// The wrappers a storage document may come in; every field optional, so any object reads.
#[derive(Deserialize, Default)]
struct DocProbe<'a> {
    /// A search hit or a dump line: the document itself.
    #[serde(rename = "_source", default, borrow)]
    source: Option<&'a RawValue>,
    /// A `_search` response.
    #[serde(default, borrow)]
    hits: Option<HitsProbe<'a>>,
    #[serde(rename = "traceID", default)]
    trace_id: Option<IgnoredAny>,
    /// A `_bulk` action line (`{"index": {…}}`): no span.
    #[serde(default)]
    index: Option<IgnoredAny>,
    #[serde(default)]
    create: Option<IgnoredAny>,
    /// A service document (`jaeger-service-*`: `serviceName` + `operationName`), which a search
    /// over several indices returns beside the spans: no span.
    #[serde(rename = "serviceName", default)]
    service_name: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
struct HitsProbe<'a> {
    #[serde(default, borrow)]
    hits: Option<Vec<HitProbe<'a>>>,
}

#[derive(Deserialize)]
struct HitProbe<'a> {
    #[serde(rename = "_source", default, borrow)]
    source: Option<&'a RawValue>,
}

impl<'a> Parser<'a> {
    /// Reads one top-level object that is not a trace: a span document, a hit, a `_search`
    /// response, a bulk action or a service document. `false` when it is none of these.
    pub(super) fn add_document(&mut self, raw: &'a RawValue) -> bool {
        let Ok(probe) = serde_json::from_str::<DocProbe<'a>>(raw.get()) else { return false };
        if let Some(doc) = probe.source {
            self.add_source(doc);
        } else if let Some(hits) = probe.hits {
            for (i, hit) in hits.hits.unwrap_or_default().into_iter().enumerate() {
                match hit.source {
                    Some(doc) => self.add_source(doc),
                    None => self.cx.file.skip(
                        Location::Unknown,
                        format!("hits.hits[{i}] skipped: no `_source` (searched with _source off?)"),
                    ),
                }
            }
        } else if probe.trace_id.is_some() {
            self.add_span(raw, &TraceCtx::default());
        } else {
            return probe.index.is_some() || probe.create.is_some() || probe.service_name.is_some();
        }
        true
    }

    /// A hit's `_source`: a span document, or a service document (skipped); anything else is
    /// read as a span, to be skipped with what it lacks.
    fn add_source(&mut self, doc: &'a RawValue) {
        if !self.add_document(doc) {
            self.add_span(doc, &TraceCtx::default());
        }
    }

    /// An NDJSON dump: top-level values one after another, each read by `add_document`. A line
    /// that is not JSON, or not a document, is skipped with its position, and reading resumes at
    /// the next line that opens an object.
    pub(super) fn add_stream(&mut self, text: &'a str) {
        let mut pos = 0;
        loop {
            pos = json::skip_whitespace(text.as_bytes(), pos);
            let Some(rest) = text.get(pos..).filter(|r| !r.is_empty()) else { break };
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&'a RawValue>();
            match stream.next() {
                None => break,
                Some(Ok(raw)) => {
                    // Reading resumes after this value (which `pos` never passes backwards).
                    if !self.add_document(raw) {
                        let at = self.cx.text_offset(raw.get());
                        self.cx.skip_at(at, |_| {
                            "document skipped: not a Jaeger span document, hit or search response".to_owned()
                        });
                    }
                    pos += stream.byte_offset();
                }
                Some(Err(e)) => {
                    // Placed at the broken document's start; the parser noticed at `noticed`.
                    let noticed = self.cx.error_location(rest, &e);
                    let at = self.cx.text_offset(rest);
                    let why = crate::load::error::json_message(&e);
                    self.cx.skip_at(at, |_| format!("document skipped: {why} (at {noticed})"));
                    pos = json::next_document_line(text.as_bytes(), pos);
                }
            }
        }
    }
}

/// Whether `text` holds more than one top-level JSON value (NDJSON) — judged by the first value
/// ending before the text does. A first value that does not parse is not judged here.
pub(super) fn is_stream(text: &str) -> bool {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    matches!(stream.next(), Some(Ok(_))) && !text[stream.byte_offset()..].trim_start().is_empty()
}
