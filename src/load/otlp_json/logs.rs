//! OTLP JSON logs (FORMATS.md §13): `resourceLogs` → `scopeLogs` → `logRecords`, read beside the
//! traces of the same file (one Collector file exporter writes both, often into one JSON Lines
//! file) into `Dataset::logs`. A record with a wrong type somewhere is skipped with its line:col,
//! as a span would be; the rest of the document loads.

use super::*;

pub(super) struct ResourceLogsList;

impl<'a> Body<'a> for ResourceLogsList {
    type Out = ();
    const EXPECTED: &'static str = "an array";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Lenient { cx: &mut *cx, field: "resourceLogs[]", body: ResourceLogs })?
            .is_some()
        {
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| fault);
            }
        }
        Ok(())
    }
}

struct ResourceLogs;

impl<'a> Body<'a> for ResourceLogs {
    type Out = ();
    const EXPECTED: &'static str = "a resourceLogs object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        let first = cx.sink.ds.logs.len();
        let mut attrs = Slice::default();
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "resource" => 0u8,
            "scopeLogs" | "scope_logs" | "instrumentationLibraryLogs" | "instrumentation_library_logs" => 1,
            _ => 2,
        })? {
            let at = cx.last_key;
            match f {
                0 => {
                    attrs = read(&mut map, cx, "resource", Resource)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.warn_at(at, |_| format!("resource: {fault}; kept the rest of it"));
                    }
                }
                1 => {
                    read(&mut map, cx, "scopeLogs", ScopeLogsList)?;
                    if let Some(fault) = cx.fault.take() {
                        cx.skip_at(at, |_| format!("{fault}; its log records were skipped"));
                    }
                }
                _ => ignore(&mut map)?,
            }
        }
        // As with spans, the resource may follow its records in the object.
        let service = cx.service_of(attrs);
        for record in cx.sink.ds.logs.get_mut(first..).unwrap_or_default() {
            record.service = service;
        }
        Ok(())
    }
}

struct ScopeLogsList;

impl<'a> Body<'a> for ScopeLogsList {
    type Out = ();
    const EXPECTED: &'static str = "an array";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Lenient { cx: &mut *cx, field: "scopeLogs[]", body: ScopeLogs })?
            .is_some()
        {
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| fault);
            }
        }
        Ok(())
    }
}

struct ScopeLogs;

impl<'a> Body<'a> for ScopeLogs {
    type Out = ();
    const EXPECTED: &'static str = "a scopeLogs object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        while let Some(records) =
            next_key(&mut map, cx, |k| matches!(k, "logRecords" | "log_records" | "logs"))?
        {
            if records {
                let at = cx.last_key;
                read(&mut map, cx, "logRecords", LogRecordList)?;
                if let Some(fault) = cx.fault.take() {
                    cx.skip_at(at, |_| format!("{fault}; its log records were skipped"));
                }
            } else {
                ignore(&mut map)?;
            }
        }
        Ok(())
    }
}

struct LogRecordList;

impl<'a> Body<'a> for LogRecordList {
    type Out = ();
    const EXPECTED: &'static str = "an array of log records";

    fn seq<A: SeqAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Lenient { cx: &mut *cx, field: "logRecord", body: LogRecordBody })?
            .is_some()
        {
            if let Some(fault) = cx.fault.take() {
                cx.skip_at(cx.last_key, |_| format!("log record skipped: {fault}"));
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct RawLog {
    time: Option<u64>,
    observed: Option<u64>,
    severity: u8,
    severity_text: Option<Sym>,
    body: Option<Value>,
    attrs: Slice,
    trace_id: IdOut,
    span_id: IdOut,
}

struct LogRecordBody;

impl<'a> Body<'a> for LogRecordBody {
    type Out = ();
    const EXPECTED: &'static str = "a log record object";

    fn map<A: MapAccess<'a>>(self, cx: &mut Ctx<'a>, _: &'static str, mut map: A) -> Result<(), A::Error> {
        let marks = cx.arena_marks();
        let mut at = cx.last_key;
        let mut first = true;
        let mut raw = RawLog::default();
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "timeUnixNano" | "time_unix_nano" => 0u8,
            "observedTimeUnixNano" | "observed_time_unix_nano" => 1,
            "severityNumber" | "severity_number" => 2,
            "severityText" | "severity_text" => 3,
            "body" => 4,
            "attributes" => 5,
            "traceId" | "trace_id" => 6,
            "spanId" | "span_id" => 7,
            _ => 8,
        })? {
            if first {
                at = cx.last_key;
                first = false;
            }
            match f {
                0 => raw.time = read(&mut map, cx, "timeUnixNano", Fixed64)?,
                1 => raw.observed = read(&mut map, cx, "observedTimeUnixNano", Fixed64)?,
                2 => raw.severity = read(&mut map, cx, "severityNumber", Severity)?,
                3 => raw.severity_text = read(&mut map, cx, "severityText", Text)?,
                4 => raw.body = read(&mut map, cx, "body", AnyValue)?,
                5 => raw.attrs = read(&mut map, cx, "attributes", AttrList)?,
                6 => raw.trace_id = read(&mut map, cx, "traceId", Id(16))?,
                7 => raw.span_id = read(&mut map, cx, "spanId", Id(8))?,
                _ => ignore(&mut map)?,
            }
        }
        let start = object_start(cx.sink.input, at);
        if let Some(fault) = cx.fault.take() {
            cx.truncate_arenas(marks);
            cx.skip_at(start, |_| format!("log record skipped: {fault}"));
            return Ok(());
        }
        // A record outside any span carries empty ids (or none): it is kept, unattached.
        let mut id = |out: IdOut, field: &str| match out {
            IdOut::Ok(v, b64) => {
                if b64 {
                    cx.note_base64(start);
                }
                v
            }
            IdOut::Missing | IdOut::Bad(IdError::Empty) => 0,
            IdOut::Bad(e) => {
                cx.warn_at(start, |_| format!("log record {field}: {e}; kept without it"));
                0
            }
        };
        let trace_id = TraceId(id(raw.trace_id, "traceId"));
        let span_id = SpanId(u64::try_from(id(raw.span_id, "spanId")).unwrap_or(0));
        cx.sink.ds.logs.push(LogRecord {
            time: raw.time.filter(|&t| t != 0).or(raw.observed).unwrap_or(0),
            trace_id,
            span_id,
            severity: raw.severity,
            severity_text: raw.severity_text.filter(|&t| t != cx.syms.empty),
            body: raw.body.unwrap_or(Value::Empty),
            attrs: raw.attrs,
            service: cx.syms.empty,
            // Files are numbered when datasets are appended; this one's is 0.
            file: 0,
        });
        Ok(())
    }
}

/// `severityNumber`: 0–24, or a name such as `SEVERITY_NUMBER_WARN2`.
struct Severity;

/// `SEVERITY_NUMBER_INFO3` → 11.
fn severity_from_name(name: &str) -> Option<u8> {
    let rest = name.strip_prefix("SEVERITY_NUMBER_").unwrap_or(name);
    if rest == "UNSPECIFIED" {
        return Some(0);
    }
    let split = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
    let (level, n) = rest.split_at(split);
    let base = match level {
        "TRACE" => 1,
        "DEBUG" => 5,
        "INFO" => 9,
        "WARN" => 13,
        "ERROR" => 17,
        "FATAL" => 21,
        _ => return None,
    };
    let step = match n {
        "" => 0,
        "2" => 1,
        "3" => 2,
        "4" => 3,
        _ => return None,
    };
    Some(base + step)
}

impl<'a> Body<'a> for Severity {
    type Out = u8;
    const EXPECTED: &'static str = "a severity number (0-24 or SEVERITY_NUMBER_*)";
    fn u64(self, cx: &mut Ctx<'a>, field: &'static str, v: u64) -> u8 {
        match u8::try_from(v) {
            Ok(n) if n <= 24 => n,
            _ => self.wrong(cx, field, Found::U64(v)),
        }
    }
    fn i64(self, cx: &mut Ctx<'a>, field: &'static str, v: i64) -> u8 {
        match u8::try_from(v) {
            Ok(n) if n <= 24 => n,
            _ => self.wrong(cx, field, Found::I64(v)),
        }
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> u8 {
        severity_from_name(v).unwrap_or_else(|| self.wrong(cx, field, Found::Str(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::severity_from_name;

    #[test]
    fn severity_names_map_to_their_numbers() {
        assert_eq!(severity_from_name("SEVERITY_NUMBER_INFO"), Some(9));
        assert_eq!(severity_from_name("SEVERITY_NUMBER_WARN2"), Some(14));
        assert_eq!(severity_from_name("ERROR"), Some(17));
        assert_eq!(severity_from_name("SEVERITY_NUMBER_FATAL4"), Some(24));
        assert_eq!(severity_from_name("SEVERITY_NUMBER_UNSPECIFIED"), Some(0));
        assert_eq!(severity_from_name("SEVERITY_NUMBER_INFO5"), None);
        assert_eq!(severity_from_name("LOUD"), None);
    }
}
