//! Small pieces shared by the human-readable outputs: span labels, UTC times, and the lines that
//! report skipped records. All text that came from a trace file passes through `escape_control`.

use crate::index::{Index, SpanIdx};
use crate::model::{FileInfo, Location, Warning};
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
    let path = escape_control(path);
    let message = escape_control(&w.message);
    match w.at {
        Location::Line { line, column } => format!("{path}:{line}:{column}: {message}"),
        Location::Offset(o) => format!("{path}: byte {o}: {message}"),
        Location::Unknown => format!("{path}: {message}"),
    }
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

/// Nanoseconds since the epoch as `YYYY-MM-DD HH:MM:SS.mmmZ` (UTC, proleptic Gregorian).
pub fn utc(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let millis = (ns / 1_000_000) % 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03}Z", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// Days since 1970-01-01 → (year, month, day). Howard Hinnant's `civil_from_days`, for
/// non-negative day counts only (u64 nanoseconds cannot reach before 1970).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000Z");
        // 2000-02-29 (a leap day in a century leap year) 12:34:56.789
        assert_eq!(utc(951_827_696_789_000_000), "2000-02-29 12:34:56.789Z");
        assert_eq!(utc(1_714_564_800_000_000_000), "2024-05-01 12:00:00.000Z");
        assert_eq!(utc(u64::MAX), "2554-07-21 23:34:33.709Z");
    }

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
