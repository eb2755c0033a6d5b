//! The error a loader returns when a whole input cannot be read. Record-level problems are not
//! errors: they become `model::Warning`s on the file and the rest of the file still loads.

use crate::model::{Format, Location};
use std::fmt;

/// A file that could not be loaded, with where and why, printed like a compiler message:
/// `traces.json:12:5: expected 32 hex digits in traceId` or `dump.msgpack: byte 812: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: String,
    pub format: Option<Format>,
    pub at: Location,
    pub kind: LoadErrorKind,
    pub message: String,
}

/// What went wrong, for callers that act on it (a cancelled load is not a failure; a folder's
/// unreadable file is skipped) without comparing message text. Like serde_json's `Category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// The file, folder or stdin could not be read.
    Io,
    /// The bytes are not well-formed JSON, msgpack, gzip or zstd.
    Syntax,
    /// Well-formed, but not traces weft reads (unknown format, empty, no valid record).
    Content,
    /// More than weft takes at once (files in one load).
    Limit,
    /// Ctrl-C, or the explorer's loading screen was closed.
    Cancelled,
}

impl LoadError {
    /// A problem with what the input holds (`LoadErrorKind::Content`).
    pub fn new(path: &str, format: Option<Format>, at: Location, message: impl Into<String>) -> Self {
        Self::of_kind(LoadErrorKind::Content, path, format, at, message)
    }

    pub fn of_kind(
        kind: LoadErrorKind,
        path: &str,
        format: Option<Format>,
        at: Location,
        message: impl Into<String>,
    ) -> Self {
        Self { path: path.to_owned(), format, at, kind, message: message.into() }
    }

    /// An input that could not be read.
    pub fn io(path: &str, err: &std::io::Error) -> Self {
        Self::of_kind(LoadErrorKind::Io, path, None, Location::Unknown, err.to_string())
    }

    /// Bytes that are not well-formed in their encoding, at `at`.
    pub fn syntax(path: &str, format: Option<Format>, at: Location, message: impl Into<String>) -> Self {
        Self::of_kind(LoadErrorKind::Syntax, path, format, at, message)
    }

    /// The load was cancelled (Ctrl-C, or the explorer's loading screen was closed).
    pub fn cancelled(path: &str) -> Self {
        Self::of_kind(LoadErrorKind::Cancelled, path, None, Location::Unknown, "loading cancelled")
    }

    pub fn is_cancelled(&self) -> bool {
        self.kind == LoadErrorKind::Cancelled
    }

    /// A serde_json error, with its line and column; its category says which kind it is.
    pub fn json(path: &str, format: Format, err: &serde_json::Error) -> Self {
        let kind = match err.classify() {
            serde_json::error::Category::Io => LoadErrorKind::Io,
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => LoadErrorKind::Syntax,
            serde_json::error::Category::Data => LoadErrorKind::Content,
        };
        Self::of_kind(kind, path, Some(format), json_location(err), json_message(err))
    }
}

/// `PATH:LINE:COL: message`, `PATH: byte N: message` or `PATH: message`, like a compiler
/// message, with control characters escaped: the one form load errors and file warnings print in.
pub fn located(path: &str, at: Location, message: &str) -> String {
    let path = crate::text::escape_control(path);
    let message = crate::text::escape_control(message);
    match at {
        Location::Line { line, column } => format!("{path}:{line}:{column}: {message}"),
        Location::Offset(o) => format!("{path}: byte {o}: {message}"),
        Location::Unknown => format!("{path}: {message}"),
    }
}

/// serde_json's line/column, or `Unknown` when it has none (I/O errors).
pub fn json_location(err: &serde_json::Error) -> Location {
    if err.line() == 0 {
        Location::Unknown
    } else {
        // serde_json says column 0 for an error met at a newline; columns here count from 1.
        Location::Line { line: err.line(), column: err.column().max(1) }
    }
}

/// serde_json's message without its trailing " at line L column C", which `Location` already says.
pub fn json_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&located(&self.path, self.at, &self.message))
    }
}

impl std::error::Error for LoadError {}

/// Line and column (1-based, column in bytes) of a byte offset in a text input. Loaders compute
/// this only when they report something, so the cost is paid per warning, not per record.
pub fn location_at(input: &[u8], offset: usize) -> Location {
    crate::load::sink::Locator::default().at(input, offset)
}

/// Byte offset of `part` inside `input`, when `part` was borrowed from it (e.g. a
/// `serde_json::value::RawValue` of one span); 0 otherwise.
pub fn offset_of(input: &[u8], part: &str) -> usize {
    let base = input.as_ptr() as usize;
    let at = part.as_ptr() as usize;
    if at >= base && at <= base + input.len() { at - base } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_at_counts_lines_and_columns_from_one() {
        let text = b"ab\ncd\nef";
        assert_eq!(location_at(text, 0), Location::Line { line: 1, column: 1 });
        assert_eq!(location_at(text, 4), Location::Line { line: 2, column: 2 });
        assert_eq!(location_at(text, 99), Location::Line { line: 3, column: 3 });
        let s = std::str::from_utf8(text).unwrap();
        assert_eq!(offset_of(text, &s[3..5]), 3);
    }

    #[test]
    fn display_reads_like_a_compiler_message() {
        let e = LoadError::new("t.json", None, Location::Line { line: 3, column: 7 }, "expected `]`");
        assert_eq!(e.to_string(), "t.json:3:7: expected `]`");
        let e = LoadError::new("d.msgpack", None, Location::Offset(12), "truncated\x1b[31m");
        assert_eq!(e.to_string(), "d.msgpack: byte 12: truncated\\x1b[31m");
    }

    #[test]
    fn kinds_come_from_the_cause_not_the_message() {
        assert!(LoadError::cancelled("t.json").is_cancelled());
        let look_alike = LoadError::new("t.json", None, Location::Unknown, "loading cancelled");
        assert!(!look_alike.is_cancelled());
        let syntax = serde_json::from_str::<serde_json::Value>("[1,").unwrap_err();
        assert_eq!(LoadError::json("t.json", Format::OtlpJson, &syntax).kind, LoadErrorKind::Syntax);
        let data = serde_json::from_str::<u8>("\"x\"").unwrap_err();
        assert_eq!(LoadError::json("t.json", Format::OtlpJson, &data).kind, LoadErrorKind::Content);
    }
}
