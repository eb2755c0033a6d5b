//! OTLP protobuf logs: `LogsData` / `ExportLogsServiceRequest` → `ResourceLogs` → `ScopeLogs` →
//! `LogRecord` into `Dataset::logs`, mapped as the OTLP JSON reader maps them (`otlp_json/logs.rs`).
//! A problem inside a record skips that record; a record cut by the end of the input is dropped
//! with the cut reported.

use super::*;
use crate::model::LogRecord;

/// The fields of one `LogRecord` as read.
#[derive(Default)]
struct RawLog<'a> {
    time: u64,
    observed: u64,
    severity: u64,
    severity_text: Option<Sym>,
    body: Option<Value>,
    trace_id: Option<&'a [u8]>,
    span_id: Option<&'a [u8]>,
}

impl Decoder {
    /// A `LogsData` message (`buf` starts at `base`); `cut` as for `traces_data`.
    pub fn logs_data(&mut self, buf: &[u8], base: usize, cut: bool) {
        self.proto_messages += 1;
        let (records, problem) = crate::load::otlp_proto::split(buf, base);
        for (bytes, at) in records {
            self.resource_logs(bytes, at, false);
        }
        if let Some((e, partial)) = problem {
            if let Some((bytes, at)) = partial {
                self.resource_logs(bytes, at, true);
            }
            if !cut {
                self.cut("LogsData", &e);
            }
        }
    }

    /// One `ResourceLogs`: its resource (for the service), then every scope's records.
    pub fn resource_logs(&mut self, buf: &[u8], base: usize, cut: bool) {
        let first = self.ds.logs.len();
        let mut attrs = self.attr_pool.pop().unwrap_or_default();
        let mut fields = Fields::new(buf, base);
        loop {
            let at = fields.offset();
            match fields.next_field() {
                Ok(None) => break,
                Ok(Some((1, p))) => {
                    if let Err(f) = len("resource", p, at).and_then(|(b, o)| self.resource(b, o, &mut attrs))
                    {
                        self.warn(f.at, || format!("resource: {}; kept the rest of it", f.message));
                    }
                }
                // 1000: `instrumentation_library_logs` before proto v0.19.
                Ok(Some((2 | 1000, p))) => match len("scopeLogs", p, at) {
                    Ok((b, o)) => self.scope_logs(b, o, false),
                    Err(f) => self.skip(f.at, || f.message),
                },
                Ok(Some(_)) => {}
                Err((e, partial)) => {
                    if let Some(Truncated { field: 2 | 1000, partial, at }) = partial {
                        self.scope_logs(partial, at, true);
                    }
                    if !cut {
                        self.cut("resourceLogs", &e);
                    }
                    break;
                }
            }
        }
        let slice = self.ds.add_attrs(&attrs);
        attrs.clear();
        self.attr_pool.push(attrs);
        let service = service_of(&self.ds, &self.syms, slice);
        for record in self.ds.logs.get_mut(first..).unwrap_or_default() {
            record.service = service;
        }
    }

    fn scope_logs(&mut self, buf: &[u8], base: usize, cut: bool) {
        let mut fields = Fields::new(buf, base);
        loop {
            let at = fields.offset();
            match fields.next_field() {
                Ok(None) => break,
                Ok(Some((2, p))) => match len("logRecord", p, at) {
                    Ok((b, o)) => self.log_record(b, o, at),
                    Err(f) => self.skip(f.at, || format!("log record skipped: {}", f.message)),
                },
                Ok(Some(_)) => {}
                Err((e, partial)) => {
                    if !cut {
                        let what =
                            if partial.is_some_and(|t| t.field == 2) { "log record" } else { "scopeLogs" };
                        self.cut(what, &e);
                    }
                    break;
                }
            }
        }
    }

    /// One `LogRecord` at `tag`; skipped as a whole if anything in it is wrong.
    fn log_record(&mut self, buf: &[u8], base: usize, tag: usize) {
        let mark = self.ds.attr_mark();
        let mut attrs = self.attr_pool.pop().unwrap_or_default();
        let mut raw = RawLog::default();
        let read = self.log_fields(buf, base, &mut raw, &mut attrs);
        let slice = self.ds.add_attrs(&attrs);
        attrs.clear();
        self.attr_pool.push(attrs);
        let severity = u8::try_from(raw.severity).ok().filter(|&s| s <= 24);
        let checked = read.and_then(|()| {
            severity.ok_or_else(|| Fault {
                at: tag,
                message: format!("severityNumber {} is not 0-24", raw.severity),
            })
        });
        let severity = match checked {
            Ok(s) => s,
            Err(f) => {
                self.ds.rollback_attrs(mark);
                self.skip(f.at, || format!("log record skipped: {}", f.message));
                return;
            }
        };
        // Records outside any span carry empty ids; a malformed one is dropped with a note.
        let mut id = |bytes: Option<&[u8]>, want: usize, name: &str| match bytes {
            None | Some([]) => 0,
            Some(b) if b.len() == want && b.iter().all(|&x| x == 0) => 0,
            Some(b) => check_id(b, want).unwrap_or_else(|e| {
                self.warn(tag, || format!("log record {name}: {e}; kept without it"));
                0
            }),
        };
        let trace_id = TraceId(id(raw.trace_id, 16, "traceId"));
        let span_id = SpanId(id(raw.span_id, 8, "spanId") as u64);
        let empty = self.syms.empty;
        self.ds.logs.push(LogRecord {
            time: if raw.time != 0 { raw.time } else { raw.observed },
            trace_id,
            span_id,
            severity,
            severity_text: raw.severity_text.filter(|&t| t != empty),
            body: raw.body.unwrap_or(Value::Empty),
            attrs: slice,
            service: empty,
            // Files are numbered when datasets are appended; this one's is 0.
            file: 0,
        });
    }

    fn log_fields<'a>(
        &mut self,
        buf: &'a [u8],
        base: usize,
        raw: &mut RawLog<'a>,
        attrs: &mut Vec<Attr>,
    ) -> Faulty<()> {
        let mut fields = Fields::new(buf, base);
        while let Some((n, p, at)) = next(&mut fields)? {
            match n {
                1 => raw.time = fixed64("timeUnixNano", p, at)?,
                11 => raw.observed = fixed64("observedTimeUnixNano", p, at)?,
                2 => raw.severity = varint("severityNumber", p, at)?,
                3 => raw.severity_text = Some(self.text_field("severityText", p, at)?),
                5 => {
                    let (b, o) = len("body", p, at)?;
                    raw.body = Some(self.any_value(b, o)?);
                }
                6 => {
                    let (b, o) = len("attributes", p, at)?;
                    attrs.push(self.key_value(b, o)?);
                }
                9 => raw.trace_id = Some(len("traceId", p, at)?.0),
                10 => raw.span_id = Some(len("spanId", p, at)?.0),
                _ => {}
            }
        }
        Ok(())
    }
}
