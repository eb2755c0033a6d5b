//! Which format a (decompressed) input is, from its content (FORMATS.md §0): binary OTLP and
//! Datadog msgpack by their first bytes, JSON by the keys it uses. Keys are read by a small lexer
//! that skips string bodies with memchr and never looks at values, so a 165 KB span name before
//! the deciding key costs nothing and does not push the key out of a byte window.

use super::{console, datadog, otlp_proto};
use crate::model::Format;

/// How many object keys the sniffer reads at most: the keys that decide come within the first
/// record of every format, and a record has far fewer keys than this before them.
const MAX_KEYS: usize = 4096;
/// How many bytes the key lexer walks at most (strings are skipped by memchr, so this bounds
/// only long runs of numbers or other non-key text).
const MAX_SCAN: usize = 64 << 20;

/// Decides the format from content. `None` when nothing matches, or when the input looks like a
/// known format weft does not read (`look_alike` says which).
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    json_verdict(bytes).and_then(Result::ok).or_else(|| binary(bytes))
}

/// A trace format weft knows of but does not read, and what to do instead (FORMATS.md §12.3).
pub struct LookAlike {
    pub what: &'static str,
    pub instead: &'static str,
}

/// What an input that `sniff` refuses looks like, when it is a known format weft does not read:
/// for an error that names it rather than a misleading complaint about a missing field.
pub fn look_alike(bytes: &[u8]) -> Option<LookAlike> {
    json_verdict(bytes).and_then(Result::err)
}

/// The JSON verdict: `Ok(format)`, `Err(look-alike)`, or `None` (not JSON, or no match).
fn json_verdict(bytes: &[u8]) -> Option<Result<Format, LookAlike>> {
    // Binary OTLP first: its first byte can be 0x0A, which the JSON checks skip as whitespace.
    if otlp_proto::sniff(bytes) {
        return None;
    }
    let (at, first) = first_significant(bytes)?;
    let format = match first {
        // A concatenation of span objects, or the Datadog UI's document: told by the keys of
        // the first object, however long its values are.
        b'{' if let Some(console) = console::sniff_object(&bytes[at..]) => console,
        b'{' if datadog::sniff_ui_json(&bytes[at..]) => Format::DatadogUiJson,
        b'{' | b'[' => return Seen::of(&bytes[at..]).verdict(),
        _ => return None,
    };
    Some(Ok(format))
}

/// The binary formats: OTLP protobuf, Datadog msgpack.
fn binary(bytes: &[u8]) -> Option<Format> {
    if otlp_proto::sniff(bytes) {
        return Some(Format::OtlpProto);
    }
    match first_significant(bytes)? {
        (0, 0x90..=0x9f | 0xdc | 0xdd) => datadog::sniff_msgpack(bytes),
        _ => None,
    }
}

/// The first non-whitespace byte after an optional UTF-8 BOM, and its offset.
fn first_significant(bytes: &[u8]) -> Option<(usize, u8)> {
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    bytes[start..].iter().position(|b| !b.is_ascii_whitespace()).map(|i| (start + i, bytes[start + i]))
}

// The keys that decide, as bits of `Seen`.
const TRACE_ID_JAEGER: usize = 0;
const OPERATION_NAME: usize = 1;
const TRACE_ID: usize = 2;
const ID: usize = 3;
const LOCAL_ENDPOINT: usize = 4;
const TRACE_ID_SNAKE: usize = 5;
const SPAN_ID_SNAKE: usize = 6;
const TRACE_ID_LOW: usize = 15;
const BINARY_ANNOTATIONS: usize = 16;
const SPAN_ID_CAMEL: usize = 17;
const SPAN_ID_JAEGER: usize = 18;
const START_TIME_SNAKE: usize = 19;
const SUBSEGMENTS: usize = 20;
/// Any of these makes a file OTLP JSON: the trace envelopes (current, snake_case, Tempo's and
/// pre-2022 names) and, since one Collector file exporter may write them before any trace
/// line, the metrics and logs envelopes (the loader counts those).
const OTLP: &[usize] = &[7, 8, 9, 10, 11, 12, 13, 14];
const KEYS: &[&[u8]] = &[
    b"traceID",
    b"operationName",
    b"traceId",
    b"id",
    b"localEndpoint",
    b"trace_id",
    b"span_id",
    b"resourceSpans",
    b"resource_spans",
    b"scopeSpans",
    b"instrumentationLibrarySpans",
    b"resourceMetrics",
    b"resource_metrics",
    b"resourceLogs",
    b"resource_logs",
    b"traceIdLow",
    b"binaryAnnotations",
    b"spanId",
    b"spanID",
    b"start_time",
    b"subsegments",
];

const THRIFT: LookAlike = LookAlike {
    what: "a Jaeger Thrift `Batch` as JSON (`traceIdLow`/`traceIdHigh`, `vType` tags)",
    instead: "get the trace from the Jaeger query service (`/api/traces/ID`) or as OTLP",
};
const API_V2: LookAlike = LookAlike {
    what: "Jaeger api_v2 protobuf JSON (grpcurl's output of `jaeger.api_v2.QueryService`: base64 ids, \
           RFC 3339 times)",
    instead: "ask the query service's HTTP API instead (`/api/traces/ID`, or `/api/v3/traces/ID` for OTLP)",
};
const ZIPKIN_V1: LookAlike = LookAlike {
    what: "Zipkin v1 JSON (`binaryAnnotations`, endpoints on annotations)",
    instead: "post it to a Zipkin server (or a Collector's zipkin receiver) and read it back as v2 \
              (`/api/v2/trace/ID`)",
};
const XRAY: LookAlike = LookAlike {
    what: "AWS X-Ray segment documents (`trace_id` 1-…, `start_time` in seconds, `subsegments`)",
    instead: "export the traces from X-Ray through an OpenTelemetry Collector (awsxray receiver) as OTLP",
};

/// Which of `KEYS` occur among the first `MAX_KEYS` object keys of a JSON text.
struct Seen(u32);

impl Seen {
    fn of(text: &[u8]) -> Self {
        let mut seen = 0u32;
        for key in Keys::new(text).take(MAX_KEYS) {
            if let Some(i) = KEYS.iter().position(|k| *k == key) {
                seen |= 1 << i;
                // Nothing outranks OTLP: no need to read on.
                if OTLP.contains(&i) {
                    break;
                }
            }
        }
        Self(seen)
    }
    /// The format the keys say (FORMATS.md §0), checking first for the formats that share keys
    /// with one weft reads but that it does not read (§12.3).
    fn verdict(&self) -> Option<Result<Format, LookAlike>> {
        Some(if self.any(OTLP) {
            Ok(Format::OtlpJson)
        } else if self.has(TRACE_ID_LOW) {
            Err(THRIFT)
        } else if self.has(SPAN_ID_CAMEL) && self.has(OPERATION_NAME) && !self.has(SPAN_ID_JAEGER) {
            Err(API_V2)
        } else if self.any(&[TRACE_ID_JAEGER, OPERATION_NAME]) {
            Ok(Format::JaegerJson)
        } else if self.has(TRACE_ID) && self.has(BINARY_ANNOTATIONS) {
            Err(ZIPKIN_V1)
        } else if self.has(TRACE_ID) && self.any(&[ID, LOCAL_ENDPOINT]) {
            Ok(Format::ZipkinJson)
        } else if self.has(TRACE_ID_SNAKE) && self.has(SPAN_ID_SNAKE) {
            Ok(Format::DatadogJson)
        } else if self.has(SUBSEGMENTS) || (self.has(TRACE_ID_SNAKE) && self.has(START_TIME_SNAKE)) {
            Err(XRAY)
        } else {
            return None;
        })
    }

    fn has(&self, key: usize) -> bool {
        self.0 & (1 << key) != 0
    }
    fn any(&self, keys: &[usize]) -> bool {
        keys.iter().any(|&k| self.has(k))
    }
}

/// The object keys of a JSON text in document order (raw, escapes not undone), read without
/// parsing: a string followed by `:` is a key; string bodies are skipped with memchr. Lenient:
/// it never fails, it just stops at the end of the text or after `MAX_SCAN` bytes.
pub(super) struct Keys<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Keys<'a> {
    pub(super) fn new(text: &'a [u8]) -> Self {
        Self { text: &text[..text.len().min(MAX_SCAN)], pos: 0 }
    }

    /// The offset of the `"` that closes the string whose body starts at `from`.
    fn string_end(&self, mut from: usize) -> Option<usize> {
        loop {
            let i = from + memchr::memchr2(b'"', b'\\', self.text.get(from..)?)?;
            if self.text[i] == b'"' {
                return Some(i);
            }
            from = i + 2;
        }
    }
}

impl<'a> Iterator for Keys<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            // Everything between strings is structure, numbers and literals: short, step over it.
            self.pos += memchr::memchr(b'"', self.text.get(self.pos..)?)?;
            let body = self.pos + 1;
            let end = self.string_end(body)?;
            self.pos = super::json::skip_whitespace(self.text, end + 1);
            if self.text.get(self.pos) == Some(&b':') {
                self.pos += 1;
                return self.text.get(body..end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_json_shapes_by_content() {
        assert_eq!(sniff(b"\xEF\xBB\xBF {\"resourceSpans\":[]}"), Some(Format::OtlpJson));
        assert_eq!(sniff(b"{\"result\":{\"resourceSpans\":[]}}"), Some(Format::OtlpJson));
        assert_eq!(sniff(b"{\"batches\":[{\"instrumentationLibrarySpans\":[]}]}"), Some(Format::OtlpJson));
        assert_eq!(sniff(b"{\"data\":[{\"traceID\":\"1\",\"spans\":[]}]}"), Some(Format::JaegerJson));
        assert_eq!(sniff(b"[{\"traceId\":\"1\",\"id\":\"2\"}]"), Some(Format::ZipkinJson));
        assert_eq!(sniff(b"[[{\"trace_id\":1,\"span_id\":2}]]"), Some(Format::DatadogJson));
        assert_eq!(sniff(b"  \n"), None);
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn keys_are_strings_before_a_colon_whatever_the_values_hold() {
        let text = br#"{"a": "x\"y:", "b\\": [1, {"c" : "\\"}, "d"], "e":{}} {"f":1"#;
        let keys: Vec<&[u8]> = Keys::new(text).collect();
        assert_eq!(keys, [&b"a"[..], b"b\\\\", b"c", b"e", b"f"]);
        // A string cut short ends the look without a panic.
        assert_eq!(Keys::new(br#"{"a":"never ends"#).count(), 1);
    }

    /// The deciding key after a value longer than any window (a 1 MB span name): still found,
    /// and a value that only looks like a key does not count.
    #[test]
    fn the_deciding_key_counts_however_long_the_values_before_it() {
        let long = "n".repeat(1 << 20);
        let dd = format!(r#"[[{{"name":"{long}","trace_id":1,"span_id":2}}]]"#);
        assert_eq!(sniff(dd.as_bytes()), Some(Format::DatadogJson));
        let zipkin = format!(r#"[{{"name":"{long}","traceId":"1","id":"2"}}]"#);
        assert_eq!(sniff(zipkin.as_bytes()), Some(Format::ZipkinJson));
        let jaeger = format!(r#"{{"data":[{{"warnings":["{long}"],"traceID":"1","spans":[]}}]}}"#);
        assert_eq!(sniff(jaeger.as_bytes()), Some(Format::JaegerJson));
        assert_eq!(sniff(br#"[{"note":"\"traceID\": here","x":1}]"#), None);
    }
}
