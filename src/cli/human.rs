//! Small pieces shared by the human-readable outputs: span labels, UTC times, and the lines that
//! report skipped records. All text that came from a trace file passes through `escape_control`.

use crate::index::{Index, SpanIdx};
use crate::model::{FileInfo, Warning};
use crate::text::escape_control;

/// How many skip reasons are shown per file (the counts stay exact).
pub const FIRST_REASONS: usize = 3;

/// `service: name`, escaped; just the name when the service is empty.
pub fn span_label(index: &Index, s: SpanIdx) -> String {
    let (service, name) = (index.service(s), index.name(s));
    if service.is_empty() {
        escape_control(name).into_owned()
    } else {
        format!("{}: {}", escape_control(service), escape_control(name))
    }
}

/// `1 span`, `3 spans`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// `PATH:LINE:COL: message` (or `PATH: byte N: message`), like a compiler message.
pub fn located(path: &str, w: &Warning) -> String {
    crate::load::located(path, w.at, &w.message)
}

/// The first skip reasons of a file, located.
pub fn first_skip_reasons(file: &FileInfo) -> impl Iterator<Item = String> + '_ {
    file.warnings.iter().filter(|w| w.skipped).take(FIRST_REASONS).map(|w| located(&file.path, w))
}

/// `PATH: skipped N records` (N ≥ 1), for stderr and `info`.
pub fn skip_summary(file: &FileInfo) -> String {
    let noun = if file.skipped == 1 { "record" } else { "records" };
    format!("{}: skipped {} {noun}", escape_control(&file.path), file.skipped)
}

/// `PATH: also holds 3 metrics and 1 log record …` for a file with other signals, else `None`.
pub fn other_signals_note(file: &FileInfo) -> Option<String> {
    (!file.other_signals.is_empty()).then(|| {
        format!(
            "{}: also holds {} (other OpenTelemetry signals; not loaded)",
            escape_control(&file.path),
            file.other_signals
        )
    })
}

/// Nanoseconds since the epoch as `YYYY-MM-DD HH:MM:SS.mmmZ` (UTC, proleptic Gregorian).
pub fn utc(ns: u64) -> String {
    format!("{}Z", crate::text::utc(ns, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Location;

    #[test]
    fn located_reasons_read_like_compiler_messages() {
        let mut f = FileInfo::new("a\x1b.json", crate::model::Format::OtlpJson);
        f.skip(Location::Line { line: 3, column: 9 }, "bad traceId");
        f.warn(Location::Unknown, "repaired");
        f.skip(Location::Offset(40), "truncated");
        let reasons: Vec<String> = first_skip_reasons(&f).collect();
        assert_eq!(reasons, ["a\\x1b.json:3:9: bad traceId", "a\\x1b.json: byte 40: truncated"]);
        assert_eq!(skip_summary(&f), "a\\x1b.json: skipped 2 records");
    }
}
