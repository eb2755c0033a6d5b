//! `weft listen`'s options: one address (or `off`) per receiver, the save file and the memory
//! bound. The receivers themselves are in `crate::listen`.

use crate::listen::Kind;
use clap::Args;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Trace files or folders to open in the live explorer first; what arrives is merged with
    /// them (on a terminal only).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// OTLP/gRPC receiver address (`TraceService/Export`), or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:4317", value_parser = addr)]
    pub otlp_grpc: Addr,
    /// OTLP/HTTP receiver address (`POST /v1/traces`), or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:4318", value_parser = addr)]
    pub otlp_http: Addr,
    /// Zipkin receiver address (`POST /api/v2/spans`), or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:9411", value_parser = addr)]
    pub zipkin: Addr,
    /// Datadog trace-agent address (`/v0.4/traces`, `/v0.5/traces`, `/info`), or `off`.
    #[arg(long, value_name = "ADDR|off", default_value = "127.0.0.1:8126", value_parser = addr)]
    pub datadog: Addr,
    /// Append every received span to FILE as OTLP JSON Lines (open it later with `weft FILE`).
    /// Default: a new `weft-listen-<time>.otlp.jsonl` in the current directory.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Hold at most N spans in the explorer (headless: remember at most N spans' worth of trace
    /// ids); past it, the oldest traces are dropped first. The save file keeps everything.
    #[arg(long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_spans: u64,
    #[command(flatten)]
    pub fetch: super::FetchArgs,
}

/// A receiver's address, or none (`off`).
#[derive(Clone, Copy, Debug)]
pub struct Addr(pub Option<SocketAddr>);

/// `off`, or `host:port` (port 0 picks a free port; a host name is resolved, first address wins).
fn addr(text: &str) -> Result<Addr, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(Addr(None));
    }
    let mut found = text.to_socket_addrs().map_err(|e| format!("expected HOST:PORT or `off`: {e}"))?;
    found.next().map(|a| Addr(Some(a))).ok_or_else(|| format!("{text} resolves to no address"))
}

impl ListenArgs {
    /// The receivers to run, in a fixed order.
    pub fn listeners(&self) -> Vec<(Kind, SocketAddr)> {
        let addrs = [self.otlp_grpc, self.otlp_http, self.zipkin, self.datadog];
        Kind::ALL.into_iter().zip(addrs).filter_map(|(kind, Addr(a))| a.map(|a| (kind, a))).collect()
    }
}
