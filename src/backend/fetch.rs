//! One trace by id, or one search, from one store: which endpoints, in which order, and which
//! loader reads each answer (the same `load::load_slice` a file goes through, told the format).

use super::address::{Backend, Kind};
use super::error::FetchError;
use super::http::Client;
use crate::load;
use crate::model::{Dataset, Format, TraceId};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `--service NAME [--operation NAME] [--since DURATION] [--limit N]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    pub service: String,
    pub operation: Option<String>,
    /// How far back from now to look.
    pub since: Duration,
    pub limit: usize,
}

/// What a search answered: whole traces (Jaeger, Zipkin), or ids to fetch one by one (Tempo).
#[derive(Debug)]
pub enum Found {
    Traces(Box<Dataset>),
    Ids(Vec<TraceId>),
}

/// What a Tempo endpoint answers when asked for protobuf (`Accept: application/protobuf`, which
/// its API documents for both trace endpoints): the OTLP trace, wrapped or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protobuf {
    /// `/api/v2/traces`: a `TraceByIDResponse` holding the trace.
    Wrapped,
    /// `/api/traces`: the trace itself (its `batches`, wire-identical to OTLP `TracesData`).
    Bare,
}

/// The endpoints that return one trace, most preferred first, with the format each returns (as
/// JSON) and, where the store can answer protobuf, how. A 404 from one moves on to the next (an
/// older server lacks the newer API); a 404 from the last means the store does not have the trace.
fn trace_endpoints(kind: Kind, id: TraceId) -> Vec<(String, Format, Option<Protobuf>)> {
    let hex = id.to_string();
    match kind {
        Kind::Jaeger => {
            vec![
                (format!("/api/v3/traces/{hex}"), Format::OtlpJson, None),
                (format!("/api/traces/{hex}"), Format::JaegerJson, None),
            ]
        }
        Kind::Tempo => {
            vec![
                (format!("/api/v2/traces/{hex}"), Format::OtlpJson, Some(Protobuf::Wrapped)),
                (format!("/api/traces/{hex}"), Format::OtlpJson, Some(Protobuf::Bare)),
            ]
        }
        // Zipkin stores a 64-bit id as 16 digits; with its default strict matching only that form finds it.
        Kind::Zipkin => vec![(format!("/api/v2/trace/{}", zipkin_id(id)), Format::ZipkinJson, None)],
    }
}

fn zipkin_id(id: TraceId) -> String {
    if id.0 >> 64 == 0 { format!("{:016x}", id.0) } else { id.to_string() }
}

/// Fetches trace `id` from `backend`, read by the loader of the format the endpoint returns.
pub fn trace(client: &Client, backend: &Backend, id: TraceId) -> Result<Dataset, FetchError> {
    let endpoints = trace_endpoints(backend.kind, id);
    let mut last_url = String::new();
    for (path, format, protobuf) in endpoints {
        let url = format!("{}{path}", backend.base);
        let answer = match protobuf {
            // Protobuf is half the bytes and has no base64 ids; a server that cannot give it
            // answers JSON, which the content type tells.
            Some(_) => client.get_as(&url, "application/protobuf")?,
            None => client.get(&url)?,
        };
        if answer.status == 404 || answer.status == 405 || answer.status == 501 {
            last_url = url;
            continue;
        }
        if !answer.is_success() {
            return Err(answer.into_error(&url));
        }
        let ds = match protobuf.filter(|_| answer.protobuf) {
            Some(wrapping) => read_protobuf(&answer.body, &url, wrapping)?,
            None => read(&answer.body, &url, format)?,
        };
        if ds.spans.iter().all(|s| s.trace_id != id) {
            // Jaeger's v1 API answers an unknown id with 200 and no data on some storages.
            return Err(FetchError::NotFound { url, trace: id });
        }
        return Ok(ds);
    }
    Err(FetchError::NotFound { url: last_url, trace: id })
}

/// Reads an answer with one loader; an empty answer (`[]`, `{}`) is a dataset with no spans.
fn read(body: &[u8], url: &str, format: Format) -> Result<Dataset, FetchError> {
    let options = load::Options { forced: Some(format), workers: 1, progress: None };
    match load::load_slice(body, url, &options) {
        Ok(ds) => Ok(ds),
        Err(e) if body.iter().all(u8::is_ascii_whitespace) => {
            Err(FetchError::body(url, format!("empty answer (expected {format}): {}", e.message)))
        }
        Err(e) => Err(FetchError::Body(e).with_expected(format.name())),
    }
}

/// Reads a Tempo trace answered as protobuf with the OTLP protobuf loader; error offsets count
/// from the start of the answer.
fn read_protobuf(body: &[u8], url: &str, wrapping: Protobuf) -> Result<Dataset, FetchError> {
    let (trace, at) = match wrapping {
        Protobuf::Bare => (body, 0),
        Protobuf::Wrapped => load::otlp_proto::tempo_trace(body, url).map_err(FetchError::Body)?,
    };
    if trace.is_empty() {
        // No spans: the caller says the trace was not found.
        return Ok(Dataset::new());
    }
    let options = load::Options { forced: Some(Format::OtlpProto), workers: 1, progress: None };
    load::load_slice(trace, url, &options).map_err(|mut e| {
        if let crate::model::Location::Offset(o) = &mut e.at {
            *o += at as u64;
        }
        FetchError::Body(e)
    })
}

/// Runs `search` on `backend`: Jaeger `/api/v3/traces` (OTLP JSON; `/api/traces` on servers
/// without it), Zipkin `/api/v2/traces` (both answer whole traces), Tempo `/api/search` (ids).
pub fn search(client: &Client, backend: &Backend, search: &Search) -> Result<Found, FetchError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let start = now.saturating_sub(search.since);
    let service = encode(&search.service);
    let operation =
        |key: &str| search.operation.as_ref().map_or(String::new(), |op| format!("&{key}={}", encode(op)));
    let limit = search.limit;
    let endpoints = match backend.kind {
        Kind::Jaeger => vec![
            (
                format!(
                    "/api/v3/traces?query.service_name={service}{}&query.start_time_min={}&query.start_time_max={}\
                     &query.num_traces={limit}",
                    operation("query.operation_name"),
                    rfc3339(start),
                    rfc3339(now)
                ),
                Format::OtlpJson,
            ),
            (
                format!(
                    "/api/traces?service={service}{}&start={}&end={}&limit={limit}",
                    operation("operation"),
                    start.as_micros(),
                    now.as_micros()
                ),
                Format::JaegerJson,
            ),
        ],
        Kind::Zipkin => vec![(
            format!(
                "/api/v2/traces?serviceName={service}{}&endTs={}&lookback={}&limit={limit}",
                operation("spanName"),
                now.as_millis(),
                search.since.as_millis()
            ),
            Format::ZipkinJson,
        )],
        Kind::Tempo => {
            // The logfmt `tags` form of Tempo's documented search API, which also works on Tempo
            // versions without TraceQL.
            let mut tags = format!("service.name={}", logfmt(&search.service));
            if let Some(op) = &search.operation {
                tags.push_str(&format!(" name={}", logfmt(op)));
            }
            let url = format!(
                "{}/api/search?tags={}&start={}&end={}&limit={limit}",
                backend.base,
                encode(&tags),
                start.as_secs(),
                now.as_secs().max(start.as_secs() + 1),
            );
            let answer = client.get(&url)?;
            if !answer.is_success() {
                return Err(answer.into_error(&url));
            }
            return tempo_ids(&answer.body, &url).map(Found::Ids);
        }
    };
    let mut last = None;
    for (path, format) in endpoints {
        let url = format!("{}{path}", backend.base);
        let answer = client.get(&url)?;
        if answer.status == 404 && is_gateway_error(&answer.body) {
            // Jaeger's api_v3 says "No traces found" this way.
            return Ok(Found::Traces(Box::default()));
        }
        if answer.status == 404 || answer.status == 405 || answer.status == 501 {
            last = Some(answer.into_error(&url));
            continue;
        }
        if !answer.is_success() {
            return Err(answer.into_error(&url));
        }
        if is_empty_listing(&answer.body) {
            return Ok(Found::Traces(Box::default()));
        }
        return read(&answer.body, &url, format).map(|ds| Found::Traces(Box::new(ds)));
    }
    Err(last.unwrap_or_else(|| FetchError::body(&backend.base, "no search endpoint answered")))
}

/// A time as RFC 3339 (UTC, nanoseconds), as Jaeger's api_v3 takes it.
fn rfc3339(since_epoch: Duration) -> String {
    let nanos = i128::try_from(since_epoch.as_nanos()).unwrap_or(i128::MAX);
    jiff::Timestamp::from_nanosecond(nanos)
        .map_or_else(|_| jiff::Timestamp::MAX.to_string(), |t| t.to_string())
}

/// The gRPC-gateway error object Jaeger's api_v3 answers with: `{"error": {"httpCode": …}}`.
fn is_gateway_error(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Gateway {
        #[serde(rename = "error")]
        _error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        #[serde(rename = "httpCode")]
        _http_code: i64,
    }
    serde_json::from_slice::<Gateway>(body).is_ok()
}

/// `[]`, or Jaeger's `{"data": []}` / `{"data": null}`: a search that found nothing, which the
/// loaders (rightly, for a file) call an error.
fn is_empty_listing(body: &[u8]) -> bool {
    // An empty listing is a few bytes; anything larger holds traces (and is not worth a parse).
    const SMALL: usize = 4096;
    if body.len() > SMALL {
        return false;
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(items)) => items.is_empty(),
        Ok(serde_json::Value::Object(map)) => match map.get("data") {
            Some(serde_json::Value::Null) => true,
            Some(serde_json::Value::Array(items)) => items.is_empty(),
            _ => false,
        },
        _ => false,
    }
}

/// The trace ids of a Tempo search answer: `{"traces": [{"traceID": "<hex>", …}], …}`. Tempo
/// drops leading zeros of the id; `TraceId::from_hex` pads them back.
fn tempo_ids(body: &[u8], url: &str) -> Result<Vec<TraceId>, FetchError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(default)]
        traces: Option<Vec<Hit>>,
    }
    #[derive(serde::Deserialize)]
    struct Hit {
        #[serde(rename = "traceID")]
        trace_id: String,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        FetchError::Body(load::LoadError::json(url, Format::OtlpJson, &e))
            .with_expected("a Tempo search answer")
    })?;
    answer
        .traces
        .unwrap_or_default()
        .into_iter()
        .map(|hit| {
            TraceId::from_hex(&hit.trace_id).ok().filter(|t| !t.is_zero()).ok_or_else(|| {
                FetchError::body(url, format!("traces[].traceID '{}' is not a hex trace id", hit.trace_id))
            })
        })
        .collect()
}

impl FetchError {
    /// Prefixes a body error's message with what the answer should have been.
    fn with_expected(self, what: &str) -> Self {
        match self {
            Self::Body(mut e) => {
                e.format = None;
                e.message = format!("expected {what}: {}", e.message);
                Self::Body(e)
            }
            other => other,
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A logfmt value: quoted when it holds a space, a quote or `=`.
fn logfmt(value: &str) -> String {
    if value.is_empty() || value.contains([' ', '"', '=']) {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_each_stores_preference() {
        let id = TraceId(0x1234);
        let paths = |k| trace_endpoints(k, id).into_iter().map(|(p, _, _)| p).collect::<Vec<_>>();
        assert_eq!(
            paths(Kind::Jaeger),
            [
                "/api/v3/traces/00000000000000000000000000001234",
                "/api/traces/00000000000000000000000000001234"
            ]
        );
        assert_eq!(
            paths(Kind::Tempo),
            [
                "/api/v2/traces/00000000000000000000000000001234",
                "/api/traces/00000000000000000000000000001234"
            ]
        );
        assert_eq!(paths(Kind::Zipkin), ["/api/v2/trace/0000000000001234"]);
        assert_eq!(zipkin_id(TraceId(1 << 64)), "00000000000000010000000000000000");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("a b/c&d=é"), "a%20b%2Fc%26d%3D%C3%A9");
        assert_eq!(logfmt("GET /x"), "\"GET /x\"");
        assert_eq!(logfmt("orders"), "orders");
    }

    #[test]
    fn empty_listings_are_told_from_traces() {
        assert!(is_empty_listing(b" [] "));
        assert!(is_empty_listing(br#"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#));
        assert!(is_empty_listing(br#"{"data":null}"#));
        assert!(!is_empty_listing(br#"{"data":[{"traceID":"1"}]}"#));
        assert!(!is_empty_listing(br#"[[{"traceId":"1","id":"2"}]]"#));
        assert!(!is_empty_listing(br#"{"result":{"resourceSpans":[]}}"#));
        assert!(is_gateway_error(br#"{"error":{"httpCode":404,"message":"No traces found"}}"#));
        assert!(!is_gateway_error(b"404 page not found"));
        assert_eq!(rfc3339(Duration::from_millis(1_500)), "1970-01-01T00:00:01.5Z");
    }

    #[test]
    fn tempo_search_ids_are_read_and_padded() {
        let body = br#"{"traces":[{"traceID":"2f3e0cee77ae5dc9c17ade3689eb2e54","rootServiceName":"a"},
                       {"traceID":"ade3689eb2e54"}],"metrics":{"inspectedBytes":"1"}}"#;
        let ids = tempo_ids(body, "u").unwrap();
        assert_eq!(ids, [TraceId(0x2f3e0cee77ae5dc9c17ade3689eb2e54), TraceId(0xade3689eb2e54)]);
        assert_eq!(tempo_ids(br#"{"metrics":{}}"#, "u").unwrap(), []);
        let err = tempo_ids(br#"{"traces":[{"traceID":"zz"}]}"#, "u").unwrap_err();
        assert_eq!(err.to_string(), "u: traces[].traceID 'zz' is not a hex trace id");
        let err = tempo_ids(b"<html>", "u").unwrap_err();
        assert!(
            err.to_string().starts_with("u:1:1: expected a Tempo search answer: expected value"),
            "{err}"
        );
    }
}
