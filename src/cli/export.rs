//! `weft export`: which traces to write (one, its linked set, or all); the OTLP JSON or protobuf
//! itself is written by `export::otlp_json` / `export::otlp_proto`.

use super::ExportFormat;
use super::json::trace_indices;
use crate::index::flow::Flow;
use crate::index::{Index, TraceIdx};
use std::io::{self, Write};

/// The traces to write: `only` alone, with `linked` every trace reachable from it through links
/// in either direction (breadth-first, each once), or every loaded trace.
pub fn select(index: &Index, only: Option<TraceIdx>, linked: bool) -> Vec<TraceIdx> {
    match only {
        Some(t) if linked => Flow::build(index, t, None).traces().collect(),
        Some(t) => vec![t],
        None => trace_indices(index).collect(),
    }
}

/// Writes `traces` as one OTLP JSON document followed by a newline.
pub fn write(w: &mut impl Write, index: &Index, traces: &[TraceIdx]) -> io::Result<()> {
    crate::export::otlp_json::write(&mut *w, index, traces)?;
    w.write_all(b"\n")
}

/// Writes `traces` as `to` says: OTLP JSON (`write`) or one OTLP protobuf message.
pub fn write_as(w: &mut impl Write, index: &Index, traces: &[TraceIdx], to: ExportFormat) -> io::Result<()> {
    match to {
        ExportFormat::OtlpJson => write(w, index, traces),
        ExportFormat::OtlpProto => crate::export::otlp_proto::write(&mut *w, index, traces),
    }
}
