//! Why a fetch failed: each variant is one line naming the URL, for stderr (exit 1) or the
//! explorer's footer.

use crate::load::{LoadError, LoadErrorKind};
use crate::model::{Location, TraceId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// No connection: refused, unknown host, TLS failure.
    #[error("{url}: cannot reach the trace store: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url}: no answer within {seconds} s (raise --timeout)")]
    Timeout { url: String, seconds: u64 },
    /// Every endpoint tried answered 404 (or an empty trace).
    #[error("{url}: trace {trace} not found")]
    NotFound { url: String, trace: TraceId },
    #[error("{url}: HTTP {status}: not allowed (pass credentials with --header 'Authorization: …'){detail}")]
    Denied { url: String, status: u16, detail: String },
    /// Any other status that is not a success; `detail` is the start of the body.
    #[error("{url}: HTTP {status}{detail}")]
    Status { url: String, status: u16, detail: String },
    /// The answer was not what the endpoint documents.
    #[error("{0}")]
    Body(LoadError),
    /// The fetch was cancelled before it was sent.
    #[error("{url}: cancelled")]
    Cancelled { url: String },
}

impl FetchError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// A body that could not be read as what the endpoint returns.
    pub fn body(url: &str, message: impl Into<String>) -> Self {
        Self::Body(LoadError::new(url, None, Location::Unknown, message))
    }
}

/// The CLI reports fetch failures as load failures (exit 1): a store is one more input. A store
/// that cannot be read from is an `Io` error, one that lacks the trace a `Content` one.
impl From<FetchError> for LoadError {
    fn from(e: FetchError) -> Self {
        let (kind, url) = match &e {
            FetchError::Body(e) => return e.clone(),
            FetchError::Cancelled { url } => return LoadError::cancelled(url),
            FetchError::NotFound { url, .. } => (LoadErrorKind::Content, url.clone()),
            FetchError::Unreachable { url, .. }
            | FetchError::Timeout { url, .. }
            | FetchError::Denied { url, .. }
            | FetchError::Status { url, .. } => (LoadErrorKind::Io, url.clone()),
        };
        let text = e.to_string();
        let reason = text.strip_prefix(url.as_str()).and_then(|r| r.strip_prefix(": ")).unwrap_or(&text);
        LoadError::of_kind(kind, &url, None, Location::Unknown, reason)
    }
}
