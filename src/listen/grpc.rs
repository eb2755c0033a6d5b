//! The OTLP/gRPC receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export` served by
//! tonic with a codec that hands over the request message's bytes untouched, so the message is
//! decoded by the same OTLP loader as files (no generated copy of the schema). tonic does the
//! HTTP/2 framing, gzip (`grpc-encoding`), message size limits and status trailers.

use super::{Accepted, Encoding, Ingest, MAX_BODY, Refused};
use crate::model::Format;
use bytes::{Buf, BufMut, Bytes};
use std::convert::Infallible;
use std::task::{Context, Poll};
use tokio::net::TcpListener;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::{Grpc, NamedService};
use tonic::{Request, Response, Status};

const SERVICE: &str = "opentelemetry.proto.collector.trace.v1.TraceService";
/// The gRPC path of the OTLP trace export.
pub const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Bytes a sender may have in flight on one call before weft reads them.
const RECEIVE_WINDOW: u32 = 2 << 20;

/// Serves the trace service on `socket` until `signal`, then finishes the calls in flight.
pub(super) async fn serve(
    socket: TcpListener,
    ingest: Ingest,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let incoming = tonic::transport::server::TcpIncoming::from(socket);
    // An accept error ends only this receiver; there is nothing else to do with it.
    // HTTP/2's default 64 KiB receive window would make a sender of 512-span exports (~100 KiB)
    // wait a round trip for more window several times per request.
    let _ = tonic::transport::Server::builder()
        .initial_stream_window_size(Some(RECEIVE_WINDOW))
        .initial_connection_window_size(Some(4 * RECEIVE_WINDOW))
        .add_service(TraceService { ingest })
        .serve_with_incoming_shutdown(incoming, signal)
        .await;
}

/// Message bytes in, message bytes out: a tonic codec for code that reads or writes protobuf
/// itself (the receiver here; load generators and tests as clients).
#[derive(Clone, Copy, Debug, Default)]
pub struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

#[derive(Clone, Debug)]
struct TraceService {
    ingest: Ingest,
}

impl NamedService for TraceService {
    const NAME: &'static str = SERVICE;
}

impl<B> Service<http::Request<B>> for TraceService
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.uri().path() != EXPORT {
            let status = Status::unimplemented(format!("weft serves only {EXPORT}"));
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let export = Export { ingest: self.ingest.clone() };
        Box::pin(async move {
            let mut grpc = Grpc::new(Raw)
                .accept_compressed(CompressionEncoding::Gzip)
                .send_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(MAX_BODY)
                .max_encoding_message_size(MAX_BODY);
            Ok(grpc.unary(export, req).await)
        })
    }
}

/// One `Export` call.
struct Export {
    ingest: Ingest,
}

impl Service<Request<Bytes>> for Export {
    type Response = Response<Bytes>;
    type Error = Status;
    type Future = BoxFuture<Response<Bytes>, Status>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let ingest = self.ingest.clone();
        Box::pin(async move {
            let turn = ingest.turn().await.map_err(status)?;
            let body = request.into_inner();
            let accepted = ingest.take(turn, body, Encoding::Identity, Format::OtlpProto).await;
            accepted.map(|a| Response::new(response(&a))).map_err(status)
        })
    }
}

fn status(refused: Refused) -> Status {
    match refused {
        Refused::Malformed(m) => Status::invalid_argument(m),
        Refused::TooLarge(m) => Status::resource_exhausted(m),
        Refused::Unsupported(m) => Status::unimplemented(m),
        Refused::Unavailable(m) => Status::unavailable(m),
    }
}

/// `ExportTraceServiceResponse` (protobuf): empty, or `partial_success` when spans were rejected.
fn response(accepted: &Accepted) -> Bytes {
    super::otlp_response(accepted).into()
}
