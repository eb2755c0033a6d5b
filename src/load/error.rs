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
    pub message: String,
}

impl LoadError {
    pub fn new(path: &str, format: Option<Format>, at: Location, message: impl Into<String>) -> Self {
        Self { path: path.to_owned(), format, at, message: message.into() }
    }

    /// A serde_json error, with its line and column.
    pub fn json(path: &str, format: Format, err: &serde_json::Error) -> Self {
        Self::new(path, Some(format), json_location(err), json_message(err))
    }
}

/// serde_json's line/column, or `Unknown` when it has none (I/O errors).
pub fn json_location(err: &serde_json::Error) -> Location {
    if err.line() == 0 {
        Location::Unknown
    } else {
        Location::Line { line: err.line(), column: err.column() }
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
        let path = crate::text::escape_control(&self.path);
        let message = crate::text::escape_control(&self.message);
        match self.at {
            Location::Line { line, column } => write!(f, "{path}:{line}:{column}: {message}"),
            Location::Offset(o) => write!(f, "{path}: byte {o}: {message}"),
            Location::Unknown => write!(f, "{path}: {message}"),
        }
    }
}

impl std::error::Error for LoadError {}
