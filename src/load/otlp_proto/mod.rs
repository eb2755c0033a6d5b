//! OTLP protobuf bytes → `Dataset` (FORMATS.md §5.1, §8, §9): one `TracesData` /
//! `ExportTraceServiceRequest` message (the two are wire-identical) or `LogsData` /
//! `ExportLogsServiceRequest` (logs, `decode/logs.rs`), or the OpenTelemetry
//! Collector file exporter's stream of messages, each preceded by its length as a 4-byte
//! big-endian u32 (`exporter/fileexporter` `file_writer.go`, `exportMessageAsBuffer`). A framed
//! message may itself be zstd-compressed (`compression: zstd` compresses each message on its own,
//! `codec.go`) and may be OTLP JSON instead of protobuf (`format: json` with compression); JSON
//! messages go through the OTLP JSON reader. A whole-file zstd stream (the
//! `exporter.file.nativeCompression` gate) is undone by `load` before this reader sees it.
//!
//! The decoder is hand-written over the wire format (`wire`, `decode`): it interns strings
//! straight from the input into the dataset, where `prost` would first build a `String` and a
//! `Vec` for every field and reject a whole message for one string that is not UTF-8.
//!
//! Large inputs are decoded in parallel (`load::parallel`): the input is cut between whole
//! messages (frames) or between the `ResourceSpans` records of one message, which the walk that
//! finds them already knows to be record boundaries; the parts are appended in input order, so
//! the result does not depend on the number of threads.

mod decode;
pub(crate) mod wire;

use super::parallel::{self, Chunked};
use super::progress::Ticker;
use super::{Job, LoadError};
use crate::load::otlp_json;
use crate::model::{Dataset, Format, Location};
use decode::Decoder;
use wire::{Fields, Payload, WireError, WireErrorKind};

/// The zstd frame magic, which starts every message the exporter compressed.
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// Bytes of the big-endian length before each framed message.
const FRAME_HEADER: usize = 4;

/// Whether `bytes` look like OTLP protobuf traces or logs, framed or not (FORMATS.md §8.3).
pub fn sniff(bytes: &[u8]) -> bool {
    is_framed(bytes) || is_bare(bytes, starts_with_span) || is_bare(bytes, starts_with_log_record)
}

/// The Collector's framing: a big-endian length whose first byte is 0 (messages under 16 MiB;
/// a bare message never starts with 0), then a message that starts like protobuf (`0A`), a zstd
/// frame, or OTLP JSON.
fn is_framed(bytes: &[u8]) -> bool {
    let Some(payload) = bytes.get(FRAME_HEADER..) else { return false };
    bytes[0] == 0
        && frame_len(bytes) > 0
        && (payload.starts_with(ZSTD_MAGIC) || payload.first().is_some_and(|&b| b == 0x0a || b == b'{'))
}

fn frame_len(bytes: &[u8]) -> u32 {
    bytes.get(..FRAME_HEADER).and_then(|b| <[u8; 4]>::try_from(b).ok()).map_or(0, u32::from_be_bytes)
}

/// A bare message: field-1 records that fill the input (the last may be cut short), whose first
/// non-empty record `looks` right: a span that starts with a 16-byte trace id then an 8-byte span
/// id, or a log record. That check tells traces from logs, metrics and profiles, whose envelopes
/// are numbered the same (§8.3).
fn is_bare(bytes: &[u8], looks: fn(&[u8]) -> bool) -> bool {
    if bytes.first() != Some(&0x0a) {
        return false;
    }
    let (records, problem) = split(bytes, 0);
    if problem.as_ref().is_some_and(|(_, partial)| partial.is_none()) {
        return false;
    }
    let partial = problem.and_then(|(_, p)| p).map(|(b, _)| b);
    records.iter().map(|&(b, _)| b).chain(partial).take(SNIFF_RECORDS).any(looks)
}

/// How many `ResourceSpans` records the sniffer looks into for a span (empty ones are legal).
const SNIFF_RECORDS: usize = 16;

/// The first length-delimited field numbered one of `want` (as far as the bytes go).
fn first_len_field<'a>(buf: &'a [u8], want: &[u32]) -> Option<&'a [u8]> {
    let mut fields = Fields::new(buf, 0);
    loop {
        match fields.next_field() {
            Ok(Some((n, Payload::Len(b, _)))) if want.contains(&n) => return Some(b),
            Ok(Some(_)) => {}
            Ok(None) | Err((_, None)) => return None,
            Err((_, Some(t))) => return want.contains(&t.field).then_some(t.partial),
        }
    }
}

/// Whether the first span in the first `ScopeSpans` of a `ResourceSpans` starts `0A 10 <16
/// bytes> 12 08` (as far as the bytes go).
fn starts_with_span(resource_spans: &[u8]) -> bool {
    let Some(scope_spans) = first_len_field(resource_spans, &[2, 1000]) else { return false };
    let Some(span) = first_len_field(scope_spans, &[2]) else { return false };
    span.starts_with(&[0x0a, 0x10]) && span.get(18..20).is_none_or(|b| b == [0x12, 0x08])
}

/// The tags a `LogRecord`'s fields start with (field number and wire type): time (1, fixed64),
/// severity number (2, varint), severity text (3), body (5), attributes (6), dropped attributes
/// count (7, varint), flags (8, fixed32), trace id (9), span id (10), observed time (11,
/// fixed64), event name (12). A span's first byte is `0A` (its trace id), never one of these.
const LOG_RECORD_TAGS: &[u8] = &[0x09, 0x10, 0x1a, 0x2a, 0x32, 0x38, 0x45, 0x4a, 0x52, 0x59, 0x62];

/// Whether the first record in the first `ScopeLogs` of a `ResourceLogs` starts like a
/// `LogRecord`.
fn starts_with_log_record(resource_logs: &[u8]) -> bool {
    let Some(scope_logs) = first_len_field(resource_logs, &[2, 1000]) else { return false };
    let Some(record) = first_len_field(scope_logs, &[2]) else { return false };
    record.first().is_some_and(|b| LOG_RECORD_TAGS.contains(b))
}

/// Whether a protobuf message holds logs rather than traces.
fn is_logs_message(message: &[u8]) -> bool {
    is_bare(message, starts_with_log_record)
}

/// The length-delimited field-1 records of a message, with their offsets, and the problem that
/// ended the walk early, with what the cut record had (if it was one).
#[expect(clippy::type_complexity, reason = "a private pair of lists, destructured where it is used")]
fn split(buf: &[u8], base: usize) -> (Vec<(&[u8], usize)>, Option<(WireError, Option<(&[u8], usize)>)>) {
    let mut records = Vec::new();
    let mut fields = Fields::new(buf, base);
    loop {
        let at = fields.offset();
        match fields.next_field() {
            Ok(None) => return (records, None),
            Ok(Some((1, Payload::Len(b, o)))) => records.push((b, o)),
            Ok(Some((1, other))) => {
                let kind = WireErrorKind::WrongType {
                    expected: "a length-delimited record",
                    found: other.wire_name(),
                };
                return (records, Some((WireError { at, kind }, None)));
            }
            Ok(Some(_)) => {}
            Err((e, partial)) => {
                let partial = partial.filter(|t| t.field == 1).map(|t| (t.partial, t.at));
                return (records, Some((e, partial)));
            }
        }
    }
}

/// One piece of work, in input order.
enum Unit<'a> {
    /// A `ResourceSpans` (or, with `logs`, `ResourceLogs`) record of a bare message; `cut` when
    /// the input ended inside it.
    Resource { bytes: &'a [u8], at: usize, cut: bool, logs: bool },
    /// A framed message (its payload and where its length prefix is); `cut` when the input
    /// ended inside it.
    Message { payload: &'a [u8], payload_at: usize, frame_at: usize, cut: bool },
    /// Why the rest of the input was not read.
    Problem { at: usize, message: String },
}

impl Unit<'_> {
    fn start(&self) -> usize {
        match self {
            Self::Resource { at, .. } | Self::Problem { at, .. } => *at,
            Self::Message { frame_at, .. } => *frame_at,
        }
    }

    fn end(&self) -> usize {
        match self {
            Self::Resource { bytes, at, .. } => at + bytes.len(),
            Self::Message { payload, payload_at, .. } => payload_at + payload.len(),
            Self::Problem { at, .. } => *at,
        }
    }
}

fn units(input: &[u8]) -> Vec<Unit<'_>> {
    if is_framed(input) {
        return frames(input);
    }
    let logs = is_logs_message(input);
    let (records, problem) = split(input, 0);
    let mut units: Vec<Unit<'_>> =
        records.into_iter().map(|(bytes, at)| Unit::Resource { bytes, at, cut: false, logs }).collect();
    if let Some((e, partial)) = problem {
        if let Some((bytes, at)) = partial {
            units.push(Unit::Resource { bytes, at, cut: true, logs });
        }
        let what = if logs { "LogsData" } else { "TracesData" };
        units.push(Unit::Problem { at: e.at, message: decode::cut_message(what, &e) });
    }
    units
}

/// The Collector's frames: `[u32 big-endian length][message]`, repeated.
fn frames(input: &[u8]) -> Vec<Unit<'_>> {
    let mut units = Vec::new();
    let mut pos = 0;
    while pos < input.len() {
        let rest = &input[pos..];
        if rest.len() < FRAME_HEADER {
            units.push(Unit::Problem {
                at: pos,
                message: format!(
                    "expected a 4-byte message length, found {} bytes (truncated); kept what came before it",
                    rest.len()
                ),
            });
            break;
        }
        let claimed = frame_len(rest) as usize;
        let payload_at = pos + FRAME_HEADER;
        let left = input.len() - payload_at;
        let cut = claimed > left;
        units.push(Unit::Message {
            payload: &input[payload_at..payload_at + claimed.min(left)],
            payload_at,
            frame_at: pos,
            cut,
        });
        if cut {
            units.push(Unit::Problem {
                at: pos,
                message: format!(
                    "the message length says {claimed} bytes but only {left} are left (truncated or corrupt); \
                     kept what came before it"
                ),
            });
            break;
        }
        pos = payload_at + claimed;
    }
    units
}

/// Parses OTLP protobuf with up to `job.workers` threads, reporting progress as it goes.
pub(crate) fn parse_job(input: &[u8], path: &str, job: &Job<'_>) -> Result<Dataset, LoadError> {
    let units = units(input);
    let limit = super::max_decompressed();
    // Units start in input order, so the first one at or after an offset is a binary search away.
    let starts: Vec<usize> = units.iter().map(Unit::start).collect();
    let workers = job.workers_for(input.len()).min(units.len()).max(1);
    let cuts = parallel::cuts(0, input.len(), workers, |at| {
        starts.get(starts.partition_point(|&s| s < at)).copied()
    });
    // Decodes `part` (units starting at `from`, about `share` bytes); `None` when cancelled.
    let decode = |part: &[Unit<'_>], from: usize, share: usize| -> Option<Part<'_>> {
        let mut decoder = Decoder::new(path, share);
        // The first part also counts what comes before its first unit.
        let mut ticker = Ticker::for_job(job, from);
        for unit in part {
            decoder.unit(unit, path, limit);
            if !ticker.step(unit.end(), decoder.ds.spans.len()) {
                return None;
            }
        }
        Some(Part { decoder, ticker })
    };
    let read = |k: usize| {
        let (from, until) = (*cuts.get(k)?, *cuts.get(k + 1)?);
        let part = &units[starts.partition_point(|&s| s < from)..starts.partition_point(|&s| s < until)];
        // Units are whole records, so every part ends exactly at its cut.
        decode(part, from, until - from).map(|p| (p, true))
    };
    let part = match parallel::run_chunks(cuts.len() - 1, job, read) {
        Chunked::Done(part) => part,
        Chunked::Cancelled => return Err(LoadError::cancelled(path)),
        // Only a part that panicked (a bug) gets here: read everything again on this thread.
        Chunked::Mismatch => decode(&units, 0, input.len()).ok_or_else(|| LoadError::cancelled(path))?,
    };
    Ok(part.decoder.finish())
}

/// What one thread decoded, and the progress it reported.
struct Part<'p> {
    decoder: Decoder,
    ticker: Ticker<'p>,
}

impl parallel::Chunk for Part<'_> {
    fn ticker(&self) -> &Ticker<'_> {
        &self.ticker
    }
    fn absorb(&mut self, next: Self) {
        self.decoder.absorb(next.decoder);
    }
}

impl Decoder {
    fn unit(&mut self, unit: &Unit<'_>, path: &str, limit: u64) {
        match *unit {
            Unit::Resource { bytes, at, cut, logs: false } => self.resource_spans(bytes, at, cut),
            Unit::Resource { bytes, at, cut, logs: true } => self.resource_logs(bytes, at, cut),
            Unit::Problem { at, ref message } => self.skip(at, || message.clone()),
            Unit::Message { payload, payload_at, frame_at, cut } => {
                if cut {
                    // Only a protobuf message is read as far as it goes; the cut is reported
                    // by the `Problem` after it.
                    if payload.first() == Some(&0x0a) {
                        self.data(payload, payload_at, true);
                    }
                } else if payload.starts_with(ZSTD_MAGIC) {
                    match super::decompress_at_most(payload, path, limit) {
                        Ok(message) => self.decompressed(&message, frame_at, path),
                        Err(e) => self.skip(frame_at, || format!("zstd message: {}", e.message)),
                    }
                } else {
                    self.message(payload, payload_at, frame_at, path);
                }
            }
        }
    }

    /// A message as framed: OTLP JSON or protobuf, by its first byte.
    fn message(&mut self, payload: &[u8], payload_at: usize, frame_at: usize, path: &str) {
        if payload.first() == Some(&b'{') {
            self.json_message(payload, frame_at, path);
        } else {
            self.data(payload, payload_at, false);
        }
    }

    /// A protobuf message: logs or traces, by what its first record holds.
    fn data(&mut self, message: &[u8], at: usize, cut: bool) {
        if is_logs_message(message) {
            self.logs_data(message, at, cut);
        } else {
            self.traces_data(message, at, cut);
        }
    }

    /// A message decompressed from the frame at `frame_at`. Its warnings point at the frame, and
    /// say where in the decompressed message.
    fn decompressed(&mut self, message: &[u8], frame_at: usize, path: &str) {
        let before = self.file.warnings.len();
        self.message(message, 0, frame_at, path);
        for w in self.file.warnings.iter_mut().skip(before) {
            if let Location::Offset(inner) = w.at {
                w.message = format!("byte {inner} of the zstd message: {}", w.message);
                w.at = Location::Offset(frame_at as u64);
            }
        }
    }

    /// An OTLP JSON message (the exporter's `format: json` with compression), read by the OTLP
    /// JSON reader; its warnings point at the frame and say where in the message.
    fn json_message(&mut self, json: &[u8], frame_at: usize, path: &str) {
        match otlp_json::parse(json, path) {
            Ok(mut ds) => {
                self.json_messages += 1;
                if let Some(file) = ds.files.pop() {
                    self.file.skipped += file.skipped;
                    self.file.extend_warnings(file.warnings.into_iter().map(|mut w| {
                        w.message = format!("JSON message {}: {}", w.at, w.message);
                        w.at = Location::Offset(frame_at as u64);
                        w
                    }));
                }
                self.offsets.extend(std::iter::repeat_n(frame_at, ds.spans.len()));
                self.ds.append(ds);
            }
            Err(e) => self.skip(frame_at, || format!("JSON message {}: {}", e.at, e.message)),
        }
    }

    /// Takes in the next part's decoder (parts are absorbed in input order).
    fn absorb(&mut self, next: Decoder) {
        let Decoder { ds, file, offsets, proto_messages, json_messages, .. } = next;
        self.ds.append(ds);
        self.offsets.extend(offsets);
        self.file.skipped += file.skipped;
        self.file.extend_warnings(file.warnings);
        self.proto_messages += proto_messages;
        self.json_messages += json_messages;
    }

    /// Drops export retries, names the format and files the `FileInfo` in the dataset.
    fn finish(mut self) -> Dataset {
        for dropped in super::dedupe::dedupe(&mut self.ds) {
            let at = self.offsets.get(dropped.index).copied().unwrap_or(0);
            self.warn(at, || dropped.to_string());
        }
        // The exporter's `format: json` with compression frames JSON messages: say JSON.
        if self.proto_messages == 0 && self.json_messages > 0 {
            self.file.format = Format::OtlpJsonLines;
        }
        self.file.spans = self.ds.spans.len();
        self.file.logs = self.ds.logs.len();
        self.ds.files.push(self.file);
        self.ds
    }
}

/// The OTLP trace inside Grafana Tempo's `TraceByIDResponse`, its `/api/v2/traces/<id>` answered
/// as protobuf, and the offset where it starts in `input`. The trace is field 1, a `Trace`, whose
/// own field 1 is the repeated `ResourceSpans` of `TracesData`, so `parse` reads it as is; the
/// response's other fields (metrics, partial status, message) say nothing about spans and are
/// skipped. Without field 1 the trace is empty.
pub fn tempo_trace<'a>(input: &'a [u8], path: &str) -> Result<(&'a [u8], usize), LoadError> {
    let mut fields = Fields::new(input, 0);
    let mut trace: (&[u8], usize) = (&[], 0);
    loop {
        match fields.next_field() {
            Ok(None) => return Ok(trace),
            Ok(Some((1, Payload::Len(bytes, at)))) => trace = (bytes, at),
            Ok(Some((1, other))) => {
                let e = WireError {
                    at: fields.offset(),
                    kind: WireErrorKind::WrongType {
                        expected: "the Trace message in field 1",
                        found: other.wire_name(),
                    },
                };
                return Err(tempo_error(path, &e));
            }
            Ok(Some(_)) => {}
            Err((e, _)) => return Err(tempo_error(path, &e)),
        }
    }
}

fn tempo_error(path: &str, e: &WireError) -> LoadError {
    LoadError::new(
        path,
        None,
        Location::Offset(e.at as u64),
        format!("expected a Tempo TraceByIDResponse: {e}"),
    )
}

/// `parse_job` on one thread.
pub fn parse(input: &[u8], path: &str) -> Result<Dataset, LoadError> {
    let progress = super::Progress::new();
    parse_job(input, path, &Job::one_thread(&progress))
}
