//! The HTTP receivers (axum): OTLP/HTTP `POST /v1/traces`, Zipkin `POST /api/v2/spans` and the
//! Datadog trace-agent API (`/v0.4/traces`, `/v0.5/traces`, `/info`). Each picks the format from
//! the path and `Content-Type`, hands the body to `Ingest::take` and answers the way its senders
//! expect (FORMATS.md §14).

use super::{Accepted, Encoding, Ingest, MAX_BODY, Refused};
use crate::model::Format;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use tokio::net::TcpListener;

/// OTLP/HTTP: `POST /v1/traces`.
pub(super) fn otlp_routes() -> Router<Ingest> {
    Router::new().route("/v1/traces", post(otlp))
}

/// Zipkin: `POST /api/v2/spans`.
pub(super) fn zipkin_routes() -> Router<Ingest> {
    Router::new().route("/api/v2/spans", post(zipkin))
}

/// The Datadog trace agent: `PUT`/`POST` `/v0.4/traces` and `/v0.5/traces`, `GET /info`.
pub(super) fn datadog_routes() -> Router<Ingest> {
    Router::new()
        .route("/v0.4/traces", put(datadog_v04).post(datadog_v04))
        .route("/v0.5/traces", put(datadog_v05).post(datadog_v05))
        .route("/info", get(datadog_info))
}

/// Serves `router` on `socket` until `signal`, then finishes the requests in flight.
pub(super) async fn serve(
    router: Router<Ingest>,
    socket: TcpListener,
    ingest: Ingest,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) {
    // Bodies are read in `read_body`, after a turn is granted, with their own limit.
    let router = router.layer(DefaultBodyLimit::disable()).with_state(ingest);
    // An accept error ends only this receiver; there is nothing else to do with it.
    let _ = axum::serve(socket, router).with_graceful_shutdown(signal).await;
}

/// The media type of `Content-Type`, lower case, without parameters (`application/json`).
fn media_type(headers: &HeaderMap) -> String {
    let value = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    value.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// `Content-Encoding` → how to undo it; only gzip (what the SDKs send) and none are read.
fn encoding(headers: &HeaderMap) -> Result<Encoding, Refused> {
    let value = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(Encoding::Identity),
        "gzip" | "x-gzip" => Ok(Encoding::Gzip),
        other => Err(Refused::Unsupported(format!(
            "Content-Encoding {other:?} is not supported; send gzip or no encoding"
        ))),
    }
}

/// Reads the whole body (at most `MAX_BODY` bytes).
async fn read_body(body: Body) -> Result<Bytes, Refused> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|e| {
        let too_big =
            std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_big {
            Refused::TooLarge(format!("request body is larger than {MAX_BODY} bytes"))
        } else {
            Refused::Malformed(format!("reading the request body failed: {e}"))
        }
    })
}

/// Waits for a turn, reads the body and takes it as `format`.
async fn receive(
    ingest: &Ingest,
    headers: &HeaderMap,
    body: Body,
    format: Format,
) -> Result<Accepted, Refused> {
    let encoding = encoding(headers)?;
    let turn = ingest.turn().await?;
    let bytes = read_body(body).await?;
    ingest.take(turn, bytes, encoding, format).await
}

fn status_code(refused: &Refused) -> StatusCode {
    match refused {
        Refused::Malformed(_) => StatusCode::BAD_REQUEST,
        Refused::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Refused::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Refused::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// A plain-text answer, as the Zipkin and Datadog receivers give (and every receiver for a
/// media type it does not read).
fn text(refused: Refused) -> Response {
    let status = status_code(&refused);
    let message = format!("{refused}\n");
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.to_string())
        .into_response()
}

// ---- OTLP/HTTP ----------------------------------------------------------------------------

/// gRPC status codes used in OTLP error bodies (`google.rpc.Status.code`).
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;
const UNAVAILABLE: i32 = 14;

async fn otlp(State(ingest): State<Ingest>, headers: HeaderMap, body: Body) -> Response {
    let media = media_type(&headers);
    let format = match media.as_str() {
        "application/json" => Format::OtlpJson,
        "application/x-protobuf" | "application/protobuf" => Format::OtlpProto,
        _ => {
            return text(Refused::Unsupported(format!(
                "Content-Type {media:?} is not supported; send application/json or application/x-protobuf"
            )));
        }
    };
    let received = receive(&ingest, &headers, body, format).await;
    // Answers, and errors of the export itself (a `google.rpc.Status`), are in the request's encoding.
    let (status, code) = match &received {
        Ok(_) => (StatusCode::OK, 0),
        Err(refused) => (status_code(refused), rpc_code(refused)),
    };
    if format == Format::OtlpProto {
        let body = match &received {
            Ok(accepted) => super::otlp_response(accepted),
            Err(refused) => super::rpc_status(code, refused.to_string()),
        };
        return (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"))], body)
            .into_response();
    }
    let body = match &received {
        Ok(accepted) => otlp_json_response(accepted),
        Err(refused) => serde_json::json!({"code": code, "message": refused.to_string()}),
    };
    json(status, body)
}

/// The gRPC status code an OTLP/HTTP error body carries.
fn rpc_code(refused: &Refused) -> i32 {
    match refused {
        Refused::Unavailable(_) => UNAVAILABLE,
        Refused::TooLarge(_) => RESOURCE_EXHAUSTED,
        Refused::Malformed(_) | Refused::Unsupported(_) => INVALID_ARGUMENT,
    }
}

/// `ExportTraceServiceResponse` in JSON: `{}`, or `partialSuccess` when spans were rejected.
fn otlp_json_response(accepted: &Accepted) -> serde_json::Value {
    if accepted.rejected == 0 {
        return serde_json::json!({});
    }
    serde_json::json!({"partialSuccess": {
        "rejectedSpans": accepted.rejected.to_string(),
        "errorMessage": accepted.reason.clone().unwrap_or_default(),
    }})
}

// ---- Zipkin -------------------------------------------------------------------------------

async fn zipkin(State(ingest): State<Ingest>, headers: HeaderMap, body: Body) -> Response {
    if media_type(&headers) == "application/x-protobuf" {
        return text(Refused::Unsupported("Zipkin protobuf is not read; send Zipkin v2 JSON".to_owned()));
    }
    match receive(&ingest, &headers, body, Format::ZipkinJson).await {
        // The OTel Zipkin exporter counts only 200 and 202 as success.
        Ok(_) => StatusCode::ACCEPTED.into_response(),
        Err(refused) => text(refused),
    }
}

// ---- Datadog trace agent ------------------------------------------------------------------

async fn datadog_v04(State(ingest): State<Ingest>, headers: HeaderMap, body: Body) -> Response {
    let format = if media_type(&headers) == "application/json" {
        Format::DatadogJson
    } else {
        Format::DatadogMsgpackV04
    };
    datadog(&ingest, &headers, body, format).await
}

async fn datadog_v05(State(ingest): State<Ingest>, headers: HeaderMap, body: Body) -> Response {
    datadog(&ingest, &headers, body, Format::DatadogMsgpackV05).await
}

async fn datadog(ingest: &Ingest, headers: &HeaderMap, body: Body, format: Format) -> Response {
    match receive(ingest, headers, body, format).await {
        // Tracers treat an empty 200 as a failure and read `rate_by_service`: keep everything.
        Ok(_) => json(StatusCode::OK, serde_json::json!({"rate_by_service": {"service:,env:": 1}})),
        Err(refused) => text(refused),
    }
}

/// What tracers learn from `GET /info`. `client_drop_p0s` stays false: tracers would otherwise
/// drop unsampled traces themselves, expecting the agent to compute stats.
async fn datadog_info() -> Response {
    json(
        StatusCode::OK,
        serde_json::json!({
            "version": concat!("weft-", env!("CARGO_PKG_VERSION")),
            "endpoints": ["/v0.4/traces", "/v0.5/traces", "/info"],
            "client_drop_p0s": false,
            "span_meta_structs": false,
            "long_running_spans": false,
        }),
    )
}
